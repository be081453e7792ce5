// Writer of the JSON layout jsonlite::serializeJSON writes, from the R object tree
// (robject.hpp): nested {"type": T, "attributes": {...}, "value": V} nodes that
// jsonlite::unserializeJSON turns back into the R object.
//
// Precision: every double of a vector is written with 17 significant digits ("%.17g"), which
// jsonlite's parser (strtod) reads back bit for bit; NA, NaN, Inf, -Inf as jsonlite writes them.
// R code (calls, formulas, predvars) is stored by jsonlite as deparsed text that R's own parser
// reads back: numbers in it are written as the shortest decimal of at most 15 significant digits
// when there is one that R's parser (R_strtod, which scales in long double and can miss the
// nearest double for longer literals) reads back exactly, else as hexadecimal constants
// (0x1.8p+1), which it reads exactly.
//
// What jsonlite cannot carry and how it is written (the reason predict() fails after
// unserializeJSON(serializeJSON(model))):
//  - jsonlite restores every environment as an empty environment whose parent is the empty
//    environment, so a formula or terms object restored with it cannot even find `list`.  The
//    writer therefore writes R_GlobalEnv, and any environment held as a `.Environment`
//    attribute (formulas, terms), as the namespace "base": unserializeJSON restores it with
//    getNamespace("base"), whose enclosure is the global environment, so model.frame() finds
//    every function on the search path as it would from R_GlobalEnv.  Other environments are
//    written as jsonlite writes them (empty).
//  - jsonlite restores closures in the global environment; a call of a compiled routine of the
//    closure's package (`.Call(C_logit_linkinv, eta)` in a binomial family) then finds no
//    routine.  Such routine symbols (first argument of .Call/.External/.C/.Fortran named C_...)
//    are written as `stats:::C_...` (or the namespace of the closure's environment when the
//    .rds reader recorded it).
//  - closures keep only formals and body (jsonlite's as.list(fn)); attributes of closures, the
//    insides of external pointers and byte code are not written.
#pragma once
#include <string>

#include "formats/r/lang/robject.hpp"

namespace mb::r {

std::string write_rjson(const RObject& root);

// R code as text that R's parse() turns back into the same call (numbers exact, see above).
// Throws mb::Error for objects that R code cannot hold (environments, closures inside calls).
std::string deparse_exact(const RObject& node);

// What R's parser (R_strtod in arithmetic.c, long double arithmetic) makes of a decimal
// literal; for tests and for choosing between decimal and hexadecimal text.
double r_parser_strtod(const std::string& text);

}  // namespace mb::r
