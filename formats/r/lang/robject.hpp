// The R object tree.  Both R readers produce it: the jsonlite JSON reader (rjson_reader) and the
// native .rds reader (rds_reader).  Per-class importers (lm, glm, rpart, ...) read only this tree,
// so everything after parsing is shared.
//
// Conventions, identical for both readers:
//  - Vectors: Logical and Integer use `ints` (NA = NA_INTEGER = INT32_MIN); Double uses `reals`
//    (NA_real_ is the NaN with low word 1954, see is_na_real; plain NaN stays NaN); Complex uses
//    `reals` as (re, im) pairs; Character uses `strings` (NA = std::nullopt); Raw uses `bytes`.
//  - List (VECSXP) and Expression: `elements`.
//  - Pairlist, Language (a call), Dots: `elements` are the CARs in order, `tags` the TAGs ("" when
//    absent), same length.  A Language node's elements[0] is the function (usually a Symbol).
//    The JSON reader parses jsonlite's deparsed text into this tree with the R expression parser
//    (rparse.hpp); text it cannot parse is kept as a Language node with `text` set and no
//    elements (`unparsed` true).
//  - Symbol: `text` = name.  Environments, closures, promises, bytecode, external pointers keep
//    what is cheap (closure: elements = {formals, body}); their contents are never needed.
//  - S4 objects: type S4, slots are attributes.
//  - attributes: in stored order (names, dim, dimnames, levels, class, ...).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mb::r {

enum class RType : uint8_t {
  Null,
  Symbol,
  Pairlist,
  Closure,
  Environment,
  Promise,
  Language,
  Special,
  Builtin,
  Logical,
  Integer,
  Double,
  Complex,
  Character,
  Dots,
  List,
  Expression,
  Bytecode,
  ExternalPtr,
  WeakRef,
  Raw,
  S4,
  Namespace,
  Package,
  Persist,
  GlobalEnv,
  BaseEnv,
  EmptyEnv,
  BaseNamespace,
  MissingArg,
  UnboundValue,
};

const char* rtype_name(RType t);  // jsonlite's names: "double", "list", "language", ...

constexpr int32_t kNaInteger = std::numeric_limits<int32_t>::min();

inline double na_real() {
  uint64_t bits = 0x7FF00000000007A2ULL;  // R's NA_real_: NaN payload 1954
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
inline bool is_na_real(double d) {
  if (!std::isnan(d)) return false;
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof d);
  return (bits & 0xFFFFFFFFULL) == 1954;
}

struct RObject;
using RPtr = std::shared_ptr<RObject>;

struct RObject {
  RType type = RType::Null;
  std::vector<std::pair<std::string, RPtr>> attributes;
  std::vector<int32_t> ints;
  std::vector<double> reals;
  std::vector<std::optional<std::string>> strings;
  std::vector<uint8_t> bytes;
  std::vector<RPtr> elements;
  std::vector<std::string> tags;
  std::string text;
  bool unparsed = false;
  // What the .rds reader keeps for writing the object back (rds_writer.hpp): the environment of
  // a Closure or a Promise (null for a forced promise and for objects read from JSON) and the
  // enclosure of an Environment; the item's flags word as stored (-1 when not read from .rds);
  // an Environment's lock flag.
  RPtr env;
  int32_t rds_flags = -1;
  bool locked = false;
  // An Environment stub "<cycle>" (a reference back into an environment still being read): the
  // environment it refers to, not owned, so the tree never owns itself.
  std::weak_ptr<RObject> cycle_target;

  // --- helpers used by importers -------------------------------------------------------------
  const RObject* attr(const std::string& name) const {
    for (auto& [k, v] : attributes)
      if (k == name) return v.get();
    return nullptr;
  }
  // The class attribute as a vector ("" entries for NA).
  std::vector<std::string> classes() const;
  bool inherits(const std::string& cls) const;
  // Element names from @names (List, atomic vectors) or `tags` (Pairlist/Language).
  std::vector<std::string> names() const;
  // List element by name ($x), or nullptr.
  const RObject* get(const std::string& name) const;
  // The same element as the shared pointer that holds it (to share it in a new object), or nullptr.
  const RPtr* get_ptr(const std::string& name) const;
  size_t length() const;
  bool is_null() const { return type == RType::Null; }
  bool is_numeric() const { return type == RType::Double || type == RType::Integer || type == RType::Logical; }
  // Element i as double: Integer/Logical NA -> NaN (R's NA_real_), Double as stored.
  double number(size_t i) const;
  std::vector<double> numbers() const;
  // Element i of a Character vector, or throws if NA / out of range / not character.
  const std::string& str(size_t i) const;
  // Factor levels (for factors) or empty.
  std::vector<std::string> levels() const;
  std::vector<int32_t> dim() const;
};

// An R object path for messages: "$terms@predvars", "$forest$xbestsplit[3]".
std::string path_join(const std::string& base, const std::string& child);

}  // namespace mb::r
