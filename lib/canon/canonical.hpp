// Canonical semantic form of a model and its hash.
//
// Grammar, version "mb-canon/1" (one token stream, space separated, written by canonical_form):
//   model    := "mb-canon/1" schema features estimator
//   schema   := "inputs" N { input } "target" task K { label }
//   input    := "in" str kind L { level } repl cast          (kind: cont|cat|ord; repl: "-" or num/str)
//   features := "features" F { expr }                         (derived fields are inlined, names dropped)
//   expr     := "(" opname [num|index|level|table] { expr } ")"
//   estimator:= "linear" ... | "trees" ... | "svm" ... | "mlp" ... | "nb" ... | "kmeans" ...
//   num      := C99 hex float ("%a"), so every bit of a double is kept; NaN as "nan"
//   str      := length ":" bytes
// Trees are written depth-first from the root (left before right), so node numbering does not
// matter.  Names of features and derived fields, the target's name, provenance, producer strings
// and metadata are not part of the form.  The schema form (--schema) is "mb-canon-schema/1"
// followed by the schema part alone.
//
// The form only grows: a new IR field is appended to the part it belongs to, and the version
// changes when an existing model's form would change.
#pragma once
#include <string>

#include "lib/ir/model.hpp"

namespace mb::canon {

std::string canonical_form(const ir::Model& m);
std::string schema_form(const ir::Model& m);
// "sha256:<64 hex>"
std::string sha256_hex(const std::string& bytes);
inline std::string model_hash(const ir::Model& m) { return sha256_hex(canonical_form(m)); }
inline std::string schema_hash(const ir::Model& m) { return sha256_hex(schema_form(m)); }

}  // namespace mb::canon
