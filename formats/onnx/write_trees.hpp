// ONNX writer, tree ensembles (write_trees.cpp).
//
// Double (default): the trees are evaluated with ai.onnx core operators in double, which both
// Debian's onnx 1.12 checker and onnxruntime 1.30 accept (the double-capable ai.onnx.ml
// TreeEnsemble of ml-opset 5 is unknown to that checker, and ml-opset-3 operators declare float
// outputs).  Every split is first rewritten into tests `x <= t` with three exits (true, false,
// missing): `x < t` is `x <= nextafter(t, -inf)` (exact for doubles), `>`/`>=` swap the exits,
// `==`/`!=` take two tests, category sets become interval tests on the level code, surrogates
// chain on the missing exit, and StopHere / Null / Majority end in leaves of their own.  All
// trees are stacked into one node table (initializers trees/feature, trees/threshold,
// trees/true, trees/false, trees/missing, trees/values, trees/roots); one step per level
// gathers each row's feature and threshold, compares, and moves to the next node (leaves point
// to themselves); the leaf values (tree weights and votes folded in) are gathered and summed,
// maximised or minimised over the trees (output trees/scores), then divided (Average) and
// shifted by the base values.  Node labels (ir::Tree::label): a Vote counts each tree's vote for
// its node's label (folded into the values); a one-tree classifier also gathers the table
// trees/label (per node, the class index or -1) at the node each row reaches (trees/node_label),
// and the graph's class is that label where it is not -1, else ArgMax of the probabilities.
//
// Float32 (WriteOptions::precision, write_trees_v3.cpp): one ai.onnx.ml opset-3 operator on the
// float32 input, float thresholds chosen so that `(float)x <= t'` keeps every split's meaning on
// float inputs (t' = the largest float <= t for the `<=` tests above), shared subtrees expanded
// because onnxruntime refuses node DAGs.  Classification models whose class probabilities a
// TreeEnsembleClassifier outputs (see write_trees_v3.cpp for the layouts) are that operator: its
// label output is the graph's class, its probabilities (widened to double) the graph's
// probabilities (TreeScores::op_label, op_probabilities).  The others: a TreeEnsembleRegressor
// with n_targets = the score columns, base values and averaging inside the operator, followed by
// the default graph.
//
// OnnxTrees::Ml5 (--onnx-trees ml5): one ai.onnx.ml opset-5 TreeEnsemble with typed tensor
// attributes (double, or float32 with Precision::Float32) holding the same `x <= t` tests
// (nodes_modes 0 = BRANCH_LEQ; a test whose missing exit is neither branch gets a guard
// `x <= +inf` whose false branch is the missing exit), shared subtrees expanded (onnxruntime
// refuses shared interior nodes), one tree copy per score column (a leaf names one target),
// base values added with Add; the graph after the scores is the default one.  The file needs
// ai.onnx.ml opset 5 (warning `onnx-ml-opset-5`).
#pragma once
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "formats/onnx/emitter.hpp"
#include "formats/onnx/onnx.hpp"

namespace mb::onnxfmt {

inline constexpr const char* kMetaTrees = "modelbridge.trees";  // "sum" | "max" | "min"
inline constexpr const char* kTreeScoresName = "trees/scores";
// Node labels (ir::Tree::label) of a one-tree classifier: the table (per node, the class index or
// -1) and the label of the node each row reaches ([N] int64).
inline constexpr const char* kTreeLabelTable = "trees/label";
inline constexpr const char* kNodeLabelName = "trees/node_label";

struct TreeScores {
  std::string scores;  // [N, n_scores] double
  int n_scores = 0;
  ir::Link link = ir::Link::Identity;
  ir::ScoreTransform transform = ir::ScoreTransform::None;
  std::string aggregate_meta;  // value of kMetaTrees ("" for the float32 operator)
  int ml_opset = 3;            // the ai.onnx.ml opset the graph needs (5 with OnnxTrees::Ml5)
  // A TreeEnsembleClassifier (float32): its label output ([N] string) and its probabilities
  // widened to double ([N, n_scores], the model's class probabilities); `scores` is then empty.
  std::string op_label, op_probabilities;
  // Double graph of a one-tree classifier with node labels: kNodeLabelName ([N] int64, -1 where
  // the label is the largest probability's class), else empty.
  std::string node_label;
};

// Emits the tree ensemble of `m` reading `features` ([N, F] double, the model's features).
TreeScores write_tree_scores(const ir::Model& m, onnx::GraphProto* g, Emitter& e, const std::string& features,
                             const WriteOptions& options, Warnings& warnings);

}  // namespace mb::onnxfmt
