// Native reader for R's serialization format (saveRDS / serialize output).
//
// Containers are detected by their magic bytes: gzip, bzip2, xz or none.  Streams: XDR ("X\n",
// big-endian, the default), native binary ("B\n", little-endian) and ASCII ("A\n", decimal or
// hexadecimal doubles), versions 2 and 3.  The result is the R object tree of robject.hpp:
// ALTREP objects are materialised, byte code is replaced by its source expression, references
// to shared objects (symbols, environments) share one RObject.  A reference from inside an
// environment back to that same environment (a cycle) becomes an empty Environment node with
// text "<cycle>", so the tree never owns itself.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/r/robject.hpp"

namespace mb::r {

// Bounds against hostile or corrupt files.  Every violation is an mb::Error.
struct RdsLimits {
  uint64_t max_decompressed_bytes = uint64_t{2} << 30;  // 2 GiB
  int max_depth = 10000;                                // nesting of items (lists, calls, attributes)
  uint64_t max_altrep_length = uint64_t{1} << 26;       // elements materialised from a compact sequence
};

RPtr read_rds(std::string_view bytes, const std::string& file);
RPtr read_rds(std::string_view bytes, const std::string& file, const RdsLimits& limits);

// gzip/bzip2/xz magic, or "X\n" / "B\n" / "A\n" followed by a plausible format version.
bool looks_like_rds(std::string_view head);

// The serialization stream inside the container (exposed for tests and diagnostics).
std::string decompress_rds(std::string_view bytes, const std::string& file, const RdsLimits& limits);

}  // namespace mb::r
