// ONNX writer, tree ensembles: what write_trees.cpp (rewriting, double graph, ml-opset 5) and
// write_trees_v3.cpp (float32 ml-opset-3 operators) share.  Internal to the ONNX writer.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "formats/onnx/emitter.hpp"
#include "formats/onnx/write_trees.hpp"

namespace mb::onnxfmt::prims {

// A test `x[feature] <= thr` with three exits, or a leaf (feature < 0) with K values.
struct Prim {
  int32_t feature = -1;
  double thr = 0;
  int32_t t = -1, f = -1, nan = -1;
  int32_t leaf = -1;  // index into PrimForest::values / K
};

// The trees rewritten into Prim nodes; each tree's leaves are its own (never shared between
// trees), with the tree weights (and Vote's one-hot vote, for the node's label where it has one)
// folded into the values.
struct PrimForest {
  int K = 1;
  std::vector<Prim> nodes;
  std::vector<int32_t> roots;
  std::vector<double> values;   // leaves x K
  std::vector<int32_t> labels;  // per leaf: its node label (ir::Tree::label) outside votes, else -1
  bool has_null = false;

  int32_t leaf(const double* v, int32_t label = -1) {
    Prim p;
    p.leaf = static_cast<int32_t>(values.size() / K);
    values.insert(values.end(), v, v + K);
    labels.push_back(label);
    nodes.push_back(p);
    return static_cast<int32_t>(nodes.size() - 1);
  }
  int32_t test(int32_t feature, double thr, int32_t t, int32_t f, int32_t nan) {
    Prim p;
    p.feature = feature;
    p.thr = thr;
    p.t = t;
    p.f = f;
    p.nan = nan;
    nodes.push_back(p);
    return static_cast<int32_t>(nodes.size() - 1);
  }
};

// Calls on_leaf(leaf index) for every leaf reachable from `root` not yet marked in `seen` (sized
// to pf.nodes; shared subtrees are visited once); stops early and returns false when on_leaf does.
template <class F>
bool for_each_leaf(const PrimForest& pf, int32_t root, std::vector<uint8_t>& seen, F&& on_leaf) {
  std::vector<int32_t> stack{root};
  while (!stack.empty()) {
    const int32_t n = stack.back();
    stack.pop_back();
    if (seen[n]) continue;
    seen[n] = 1;
    const Prim& p = pf.nodes[n];
    if (p.leaf < 0) {
      stack.insert(stack.end(), {p.t, p.f, p.nan});
      continue;
    }
    if (!on_leaf(p.leaf)) return false;
  }
  return true;
}

// The largest float32 not above t (keeps `(float)x <= t` on float inputs).
inline double float_floor(double t) {
  if (std::isnan(t) || std::isinf(t)) return t;
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// Float32 (WriteOptions::precision) with OnnxTrees::Core, write_trees_v3.cpp: one ai.onnx.ml
// opset-3 TreeEnsembleClassifier for classification models whose class probabilities it can
// output (TreeScores::op_label / op_probabilities set), otherwise one TreeEnsembleRegressor
// (TreeScores::scores).  `te` is the ensemble with the IR's meaning (no onnxruntime rules),
// `total_weight` the sum of its tree weights.
TreeScores write_v3(const ir::Model& m, const ir::TreeEnsemble& te, const PrimForest& pf, double total_weight,
                    onnx::GraphProto* g, Emitter& e, const std::string& features, Warnings& warnings);

}  // namespace mb::onnxfmt::prims
