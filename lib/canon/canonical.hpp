// Canonical semantic form of a model and its hash.
//
// Two models have the same form exactly when they are the same function of their named inputs
// as far as the IR can tell: every number that reaches a prediction is kept to the bit, every
// choice of representation that cannot change a prediction is normalised away.
//
// Grammar, version "mb-canon/2": one stream of tokens, each followed by one space.
//   model     := "mb-canon/2" schema features estimator
//   schema    := "inputs" N { input } "target" task K { str }      (K class labels, model order)
//   input     := "in" str kind L { str } repl cast [ "pos" ]       (L levels, model order)
//   kind      := "cont" | "cat" | "ord"
//   repl      := "-" | num | str               (missing-value replacement, number or label)
//   cast      := "f64" | "f32"                  (float32 narrowing of the input)
//   task      := "regression" | "classification" | "clustering"
//   features  := "features" F { expr }          (feature names are dropped)
//              | "features inline"              (trees: each test names its feature's expr)
//   expr      := "(" opname operands { expr } ")"
//       Const: num · Input: i · LevelIs: i k · LevelMap: i nums · Discretize: nums nums ints
//       (i is the input's position in the sorted input list, below)
//   estimator := linear | trees | svm | mlp | nb | kmeans | ensemble
//   ensemble  := "ensemble" combine M { "member" num(weight) features estimator }
//                (combine: PMML's multipleModelMethod name; members in model order)
//   linear    := "linear" T nums(coefficients) nums(intercepts) offset_feature link
//                ("ref"|"noref") transform prec [ "ort" post_transform ("l1"|"nonorm") ]
//   trees     := "trees" n_outputs n_trees { tree } aggregate [ num(total weight) ] nums(base)
//                link transform prec(thresholds) prec(values) ort
//   tree      := "tree" n_nodes { node ";" }  (see lib/canon/tree_canon.hpp: the function the tree
//                computes, as a shared DAG written in post-order; tree weights are in the
//                leaves, an average adds the total weight, a majority vote is written as the
//                sum (aggregate 0) of one-hot leaves, and leading single-leaf trees of a double
//                sum are added to the base in order)
//   ort       := "noort" | "ort" post_transform ("f32out"|"f64out") ("ortlabels"|"labels") [ "class1" ]
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
//  - Trees are written as the function they compute (tree_canon.hpp), so node numbering, node
//    order and the way a format spells splits, surrogates and missing-value rules do not matter.
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
#include <vector>

#include "lib/ir/model.hpp"

namespace mb::canon {

std::string canonical_form(const ir::Model& m);

// The canonical form of each tree of a tree ensemble, without the leading constant trees that the
// form adds to the base (`first` of them; `base` is the base after adding them).  Empty for other
// estimators.  Two trees with equal forms compute the same function.
struct TreeForms {
  size_t first = 0;
  std::vector<std::string> trees;
  std::vector<double> base;
};
TreeForms tree_forms(const ir::Model& m);
std::string schema_form(const ir::Model& m);
// "sha256:<64 hex>"
std::string sha256_hex(const std::string& bytes);
// sha256_hex(canonical_form(m)), without holding the whole text (a forest's is tens of MB).
std::string model_hash(const ir::Model& m);
inline std::string schema_hash(const ir::Model& m) { return sha256_hex(schema_form(m)); }

}  // namespace mb::canon
