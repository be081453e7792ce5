// Writer of R's serialization format: what saveRDS() writes, from the R object tree of
// robject.hpp (as the readers produce it or as an exporter builds it).
//
// Stream: XDR ("X\n", big-endian), version 3 (the default of R >= 3.6, native encoding "UTF-8")
// or 2; container gzip (saveRDS's default), bzip2, xz or none.  Items are written as
// serialize.c's WriteItem writes them: symbols, namespaces and environments that occur again are
// references; attributes follow a vector's contents and precede a pairlist cell's tag; strings
// are flagged ASCII or UTF-8 (the readers hold UTF-8); ALTREP vectors are written materialised.
//
// What the object tree does not hold, and is therefore written the way R would write a fresh
// object:
//  - an item's general-purpose bits and object bit come from RObject::rds_flags when the .rds
//    reader recorded them, else the object bit is set when the item has a class attribute and
//    an S4 object gets R's S4 bit;
//  - an environment is written with its bindings in an unhashed frame (R reads it back as an
//    unhashed environment with the same bindings), its enclosure from RObject::env (R_GlobalEnv
//    when unknown, as for objects read from JSON) and its lock flag;
//  - a closure without a recorded environment (read from JSON) gets R_GlobalEnv, as jsonlite
//    gives it, unless it calls a compiled routine by symbol (.Call(C_logit_linkinv, eta) in a
//    binomial family): then the stats namespace, where such symbols are found;
//  - an Environment stub "<cycle>" (the reader's mark for a reference back into an environment
//    being read) refers to the environment it stands for (RObject::cycle_target), which must be
//    one being written (an error otherwise);
//  - byte code was replaced by its source by the reader, so closures are written uncompiled.
// Nodes that cannot be written (R code the JSON reader could not parse, opaque JSON values such
// as "bytecode") throw mb::Error naming the object path.
#pragma once
#include <string>

#include "formats/r/lang/robject.hpp"

namespace mb::r {

enum class RdsCompression { Gzip, Bzip2, Xz, None };

struct RdsWriteOptions {
  int version = 3;  // 2 or 3
  RdsCompression compression = RdsCompression::Gzip;
};

// The complete file saveRDS() would write.
std::string write_rds(const RObject& root, const RdsWriteOptions& options = {});

// The uncompressed XDR serialization stream ("X\n" ...), as serialize(x, NULL, xdr = TRUE,
// version = `version`) returns it.
std::string serialize_xdr(const RObject& root, int version = 3);

// "gzip", "bzip2", "xz", "none" (also R's names "gz", "bz2", and "false" for none).
bool parse_rds_compression(const std::string& name, RdsCompression& out);

}  // namespace mb::r
