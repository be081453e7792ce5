// Native reader for R's serialization format (saveRDS / serialize output).
//
// Containers are detected by their magic bytes: gzip, bzip2, xz or none.  Streams: XDR ("X\n",
// big-endian, the default), native binary ("B\n", little-endian) and ASCII ("A\n", decimal or
// hexadecimal doubles), versions 2 and 3.  The result is the R object tree of robject.hpp:
// ALTREP objects are materialised, byte code is replaced by its source expression, references
// to shared objects (symbols, environments) share one RObject.  A reference from inside an
// environment back to that same environment (a cycle) becomes an empty Environment node with
// text "<cycle>" whose cycle_target points (weakly) to that environment, so the tree never owns
// itself.
//
// What the nodes hold beyond the conventions of robject.hpp:
//  - Environment: its bindings as `elements` with the names in `tags` (unhashed frame first,
//    then the hash buckets in order); the enclosure is not kept.
//  - Promise: elements = {value (UnboundValue when not forced), code}.
//  - ExternalPtr: elements = {protected value, tag}.  WeakRef: nothing.
//  - Namespace / Package / Persist: `strings` as stored (name and version; "package:NAME").
//  - Builtin / Special: `text` = the primitive's name.
//  - Strings are UTF-8: latin1-flagged strings are converted (as Windows-1252, like R), strings
//    flagged "bytes" are kept as they are, and unflagged strings of a version-3 stream written
//    in a latin1/CP1252 locale are converted.
// Errors: mb::Error(file, place, message) with place "byte N" (offset in the decompressed
// stream) plus the object path when known, e.g. "byte 1234 (object [[3]]@names)", or
// "compressed byte N" for damaged gzip/bzip2/xz data.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/r/lang/robject.hpp"
#include "lib/util/limits.hpp"

namespace mb::r {

// Bounds against hostile or corrupt files (defaults: lib/util/limits, raised through
// MODELBRIDGE_LIMITS).  Every violation is an mb::Error.
struct RdsLimits {
  // Decompressed bytes: at most max_decompressed_bytes, and above 64 MiB at most
  // decompression_ratio times the compressed size.
  uint64_t max_decompressed_bytes = limits::get(limits::Id::DecompressedBytes);
  uint64_t decompression_ratio = limits::get(limits::Id::DecompressionRatio);
  // Nesting of items (lists, calls, attributes).
  int max_depth = static_cast<int>(std::min<uint64_t>(limits::get(limits::Id::RdsDepth), 1u << 30));
  // Elements materialised from ALTREP compact sequences, all of the file's together.
  uint64_t max_altrep_length = limits::get(limits::Id::AltrepElements);
};

RPtr read_rds(std::string_view bytes, const std::string& file);
RPtr read_rds(std::string_view bytes, const std::string& file, const RdsLimits& limits);
// The same, taking the bytes: they are freed as soon as they are decompressed (the file, the
// stream and the object tree are then never all alive at once).
RPtr read_rds(std::string&& bytes, const std::string& file);

// gzip/bzip2/xz magic, or "X\n" / "B\n" / "A\n" followed by a plausible format version.
bool looks_like_rds(std::string_view head);

// The serialization stream inside the container (exposed for tests and diagnostics).
std::string decompress_rds(std::string_view bytes, const std::string& file, const RdsLimits& limits);

}  // namespace mb::r
