// Internals of the .rds reader shared by rds_reader.cpp, rds_input.cpp, rds_altrep.cpp and
// rds_bytecode.cpp.  Not part of the public interface (see rds_reader.hpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/r/lang/robject.hpp"
#include "formats/r/serial/rds_reader.hpp"
#include "formats/r/serial/sexp_codes.hpp"

namespace mb::r::rds {

// Thrown inside the reader; read_rds turns it into mb::Error with file and place.
struct Failure {
  size_t offset;                  // byte offset in the decompressed stream
  std::string message;            // what was expected
  std::vector<std::string> path;  // R object path segments, innermost first ("$x", "@terms", "[[2]]")
  bool unsupported = false;       // a valid construct the reader does not handle (mb::Unsupported)
};

enum class Format { Xdr, Binary, Ascii };

// Primitive input of one serialization stream (integers, doubles, strings) in its format.
class Input {
 public:
  explicit Input(std::string_view data) : data_(data) {}
  void set_format(Format f) { format_ = f; }
  Format format() const { return format_; }
  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  // How many elements of `binary_size` bytes each the rest of the stream can hold at most.
  uint64_t capacity(size_t binary_size) const {
    return format_ == Format::Ascii ? remaining() / 2 + 1 : remaining() / binary_size;
  }

  [[noreturn]] void fail(std::string message) const { fail_at(pos_, std::move(message)); }
  [[noreturn]] void fail_at(size_t offset, std::string message) const { throw Failure{offset, std::move(message), {}}; }
  [[noreturn]] void unsupported_at(size_t offset, std::string message) const {
    throw Failure{offset, std::move(message), {}, true};
  }

  std::string_view raw_bytes(size_t n, const char* what);  // format-independent
  int32_t read_int(const char* what);
  double read_double(const char* what);
  void read_ints(int32_t* out, size_t n, const char* what);
  void read_doubles(double* out, size_t n, const char* what);
  void read_raw(uint8_t* out, size_t n);
  std::string read_string(size_t n, const char* what);  // CHARSXP contents

 private:
  std::string_view word(const char* what);  // ASCII: next whitespace-delimited word
  int next_char(const char* what);          // ASCII
  std::string_view data_;
  size_t pos_ = 0;
  Format format_ = Format::Xdr;
};

inline RPtr make_object(RType t) {
  auto p = std::make_shared<RObject>();
  p->type = t;
  return p;
}

// R's as.character() of one double (15 significant digits, fixed or scientific by width).
std::string format_double_as_character(double x, int scipen);
// Latin-1 (or Windows-1252 when `cp1252`) bytes to UTF-8.
std::string latin1_to_utf8(std::string_view s, bool cp1252);

class Reader {
 public:
  Reader(std::string_view stream, const RdsLimits& limits) : in_(stream), limits_(limits) {}
  RPtr read_stream();  // header, then the one top-level item

 private:
  friend struct DepthGuard;
  RPtr read_item(RPtr* dotted_tail = nullptr);  // reads the flags, one level deeper
  RPtr dispatch(int32_t flags, RPtr* dotted_tail);
  RPtr read_chain(int32_t flags, RPtr* dotted_tail);
  RPtr read_ref(int32_t flags);
  RPtr read_env();
  RPtr read_atomic(int type);
  RPtr read_strings();
  RPtr read_generic_vector(int type);
  RPtr read_primitive(int type);
  RPtr read_string_vec_ref(RType t);  // NAMESPACESXP / PACKAGESXP / PERSISTSXP
  RPtr read_symbol();
  std::optional<std::string> read_charsxp(int32_t flags);
  std::optional<std::string> read_charsxp_item();
  std::vector<std::pair<std::string, RPtr>> read_attributes();
  std::vector<std::pair<std::string, RPtr>> to_attributes(RPtr pairlist, size_t at);
  uint64_t read_length(size_t binary_size);
  size_t add_ref(RPtr obj, bool open);

  // rds_altrep.cpp
  RPtr read_altrep();
  // rds_bytecode.cpp
  struct BcNode;
  struct BcState;
  RPtr read_bytecode();
  BcNode read_bc1(BcState& st);
  BcNode read_bc_lang(BcState& st, int type);
  RPtr bc_to_object(BcState& st, const BcNode& node, int depth);

  Input in_;
  const RdsLimits& limits_;
  int depth_ = 0;
  uint64_t altrep_elements_ = 0;  // materialised from compact sequences so far
  bool attributes_next_ = false;  // the chain about to be read is an attribute list
  int version_ = 0;
  std::string native_encoding_;
  std::vector<RPtr> refs_;
  std::vector<char> open_;  // reference entries whose contents are still being read
};

struct DepthGuard {
  explicit DepthGuard(Reader& r) : reader(r) {
    if (reader.depth_ >= reader.limits_.max_depth)
      reader.in_.fail("objects nested deeper than the limit of " + std::to_string(reader.limits_.max_depth) +
                      " levels (rds-depth; raise it with " + "MODELBRIDGE_LIMITS=rds-depth=N)");
    ++reader.depth_;
  }
  ~DepthGuard() { --reader.depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  Reader& reader;
};

}  // namespace mb::r::rds
