// Canonical semantic form of a model and its hash.
//
// Two models have the same form exactly when they are the same function of their named inputs
// as far as the IR can tell: every number that reaches a prediction is kept to the bit, every
// choice of representation that cannot change a prediction is normalised away.
//
// Grammar, version "mb-canon/1": one stream of tokens, each followed by one space.
//   model     := "mb-canon/1" schema features estimator
//   schema    := "inputs" N { input } "target" task K { str }      (K class labels, model order)
//   input     := "in" str kind L { str } repl cast [ "pos" ]       (L levels, model order)
//   kind      := "cont" | "cat" | "ord"
//   repl      := "-" | num | str               (missing-value replacement, number or label)
//   cast      := "f64" | "f32"                  (float32 narrowing of the input)
//   task      := "regression" | "classification" | "clustering"
//   features  := "features" F { expr }          (feature names are dropped)
//   expr      := "(" opname operands { expr } ")"
//       Const: num · Input: i · LevelIs: i k · LevelMap: i nums · Discretize: nums nums ints
//       (i is the input's position in the sorted input list, below)
//   estimator := linear | trees | svm | mlp | nb | kmeans
//   linear    := "linear" T nums(coefficients) nums(intercepts) offset_feature link
//                ("ref"|"noref") transform prec
//   trees     := "trees" n_outputs n_trees { node } nums(tree_weights) aggregate nums(base)
//                link transform prec(thresholds) prec(values) ort
//   node      := op [ feature ( set | num ) missing [ num num ] [ "sur" S { surrogate } ] ]
//                [ n_outputs × num ] [ node node [ node ] ]
//       Nodes are written depth first from the root: the true child, the false child, then the
//       missing child when missing = Node.  Values are written where a row can stop: at leaves
//       and at inner nodes whose missing rule is StopHere or Majority; Majority adds the record
//       counts of both children.  set := ints(true-side codes) [ "else" ints(false-side codes) ]
//       surrogate := feature op ( set | num ) flip
//   ort       := "noort" | "ort" post_transform ("f32out"|"f64out") ("ortlabels"|"labels")
//   svm, mlp, nb, kmeans: "svm" / "mlp" / "nb" / "kmeans" and then every parameter of the
//       estimator in the order of its declaration in lib/ir/estimators.hpp.
//   nums      := count { num } · ints := count { integer }
//   num       := C99 hex float ("%a"): every bit of a double is kept; NaN is "nan"
//   str       := byte length ":" bytes
//   Enumerations (op, missing, link, transform, aggregate, post_transform) are the integer
//   values of the IR enums.
//
// Normalisations (representations that cannot change a prediction):
//  - Inputs are written sorted by name (byte order) because data columns are bound by name;
//    the models of ONNX unnamed matrices (positional inputs) keep their order.
//  - Derived fields are inlined where they are used; their names are dropped.
//  - An indicator of one level is written "level_is i k" whatever its form: LevelIs(i, k),
//    LevelMap(i, t) with t the k-th unit vector over all the levels of i, and Input(i) of a
//    two-level factor (k = 1).
//  - Trees are walked from the root, so node numbering and node order do not matter.
//  - Not part of the form: names of features and derived fields, the target's name, provenance
//    (format, version, producer, source class, family text, preprocessing notes, warnings),
//    metadata, and the unseen-level policy (a scoring option, see score --unseen).
//
// The schema form (hash --schema) is "mb-canon-schema/1" followed by the schema part alone.
//
// Changing what an existing model's form is requires a new version string, and the pinned
// table testdata/hashes/hashes.tsv must be regenerated deliberately (tests/cli/test_hashes.py
// --update).
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
