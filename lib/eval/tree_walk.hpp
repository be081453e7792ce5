// Finding the leaf of every tree for a block of rows, fast: the scoring layout of a tree
// ensemble, built once per model.
//
// Each tree becomes a contiguous array of 24-byte nodes (threshold, feature, children, the child
// a missing value goes to) whose test is always `x <= t`: `x < t` becomes `x <= t'` with t' the
// next value below t in the precision compared (the same decision for every non-missing x), and
// `>` / `>=` swap the children (missing values are handled before the test).  Thresholds are
// held as the model compares them: a float32 threshold as the double of that float, compared with
// the double of the float32 input, which is the float32 comparison.  Leaves are found tree by tree over a
// block of rows, so a tree's nodes stay in cache while the block goes through it.
//
// Nodes whose rule the flat form does not hold (category sets, surrogates, equality tests,
// missing rules other than "go to a child") send the row to the evaluator's generic walk of that
// tree from its root, which is the definition; the result is the same leaf, bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "lib/eval/estimator_eval.hpp"
#include "lib/ir/estimators.hpp"

namespace mb::eval {

class TreeWalker {
 public:
  // The generic walk: the node whose values predict for (tree, row), or -1 for a missing
  // prediction.
  using Generic = std::function<int32_t(const ir::Tree&, const FeatureColumns&, size_t)>;

  TreeWalker(const ir::TreeEnsemble& t, Generic generic);

  // Rows per block the callers use: a tree's nodes stay in cache for the whole block.
  static constexpr size_t kBlock = 256;

  // leaves[t * n + i] = the leaf of tree t for row r0 + i (i < n <= kBlock), or -1.
  void leaves(const FeatureColumns& x, size_t r0, size_t n, int32_t* leaves) const;

 private:
  struct Node {
    double threshold;  // the test is `x <= threshold`
    int32_t feature;   // -1: leaf; -2: a node the flat form does not hold (generic walk)
    int32_t yes, no;   // children when the test holds / does not
    int32_t missing;   // child for a missing value; -1: generic walk
  };
  const ir::TreeEnsemble& t_;
  Generic generic_;
  bool f32_ = false;
  std::vector<Node> nodes_;
  std::vector<size_t> offset_;  // per tree: its first node (node ids are the tree's own)
};

}  // namespace mb::eval
