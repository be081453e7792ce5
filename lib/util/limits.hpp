// Budgets against hostile or corrupt input, in one place.  Every reader checks the budgets
// that concern it as it reads, before it allocates; exceeding one is an mb::Error (exit 2) that
// names the limit and how to raise it (see exceeded()).
//
// Defaults are generous for real models; a user raises one with the environment variable
//   MODELBRIDGE_LIMITS=name=value,name=value
// (values are integers, optionally with a K, M or G suffix: powers of 1024).  An unknown name
// or a malformed value is an error naming MODELBRIDGE_LIMITS.  README.md ("Limits") and
// man/modelbridge.1 (LIMITS) list the same table.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/util/error.hpp"

namespace mb::limits {

// The error exceeded() throws: an ordinary input error (exit 2) that code which tolerates bad
// input (keeping an unparsable expression as text, say) must not swallow.
class LimitError : public Error {
 public:
  using Error::Error;
};

enum class Id {
  DecompressedBytes,   // decompressed-bytes: absolute cap on the bytes a compressed .rds inflates to
  DecompressionRatio,  // decompression-ratio: decompressed size / compressed size (above 64 MiB)
  RdsDepth,            // rds-depth: nesting of items in an .rds stream
  AltrepElements,      // altrep-elements: elements materialised from ALTREP sequences, per file
  JsonDepth,           // json-depth: nesting of jsonlite objects
  ExprDepth,           // expr-depth: depth of one R expression (formula, call) parsed from text
  XmlDepth,            // xml-depth: nesting of PMML elements
  GraphDepth,          // graph-depth: chain of ONNX nodes from a graph output back to an input
  TreeNodes,           // tree-nodes: binary nodes of all trees of a model after unsharing
  TreeExpansion,       // tree-expansion: nodes after unsharing / nodes as stored (above 1M nodes)
  TreeDepth,           // tree-depth: depth of one tree
  PmmlTreeNodes,       // pmml-tree-nodes: binary nodes of one PMML tree once its multiway splits are binary
  Columns,             // columns: columns of a CSV header or of one ONNX input tensor
  Count
};

struct Info {
  Id id;
  const char* name;
  uint64_t default_value;
  const char* what;  // for the documentation table and messages
};

// The table of every limit, in a fixed order.
const std::vector<Info>& table();

// The value in force: the default, or MODELBRIDGE_LIMITS' value (parsed at the first call;
// a bad MODELBRIDGE_LIMITS throws mb::Error).
uint64_t get(Id id);
const char* name(Id id);

// Throws LimitError(file, place, "<what> exceeds the limit <name> = <value>; raise it with
// MODELBRIDGE_LIMITS=<name>=N").  `what` says what was found ("the tree nesting (4097 levels)").
[[noreturn]] void exceeded(Id id, const std::string& file, const std::string& place, const std::string& what);
// The sentence exceeded() appends, for readers that build their own Error.
std::string advice(Id id);

// Re-reads MODELBRIDGE_LIMITS (or `spec` when given); for tests.
void reload();
void reload(std::string_view spec);

// Parses "name=value,..." into (id, value) pairs; throws mb::Error naming MODELBRIDGE_LIMITS.
std::vector<std::pair<Id, uint64_t>> parse(std::string_view spec);

}  // namespace mb::limits
