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
// Trees whose every node the flat form holds, with missing values going to one of the two
// children or making the prediction missing, are also compiled to compact nodes (16 bytes with
// a double threshold, 12 with a float32 one: the threshold in the compared precision, the index
// of the first child, a 16-bit feature index and the missing rule; a leaf holds its node id,
// inverted).  An inner node's children are side by side (the second is the first + 1), placed
// depth first from the root (a node's pair, then its first child's subtree), and one step is
// branch-free: `next = first + (v <= t ? 0 : 1)`, a missing value going to the child its node
// names or marking the row's prediction missing.  A block with no missing value in the
// features the trees read takes walks that do not test for one.  Eight rows step down the tree
// together, so the loads of eight walks overlap instead of waiting on each other; in deep trees
// (more than 16 levels, as randomForest grows them) sixteen rows are in flight, and a lane that
// reaches its leaf takes the next row at once instead of waiting for the others.  Every compact walk
// reads the block row by row (a row's features together in one or two cache lines).  float32
// models compare the block's inputs converted to float once, which is the comparison of the
// double of the float.
//
// Shallow compact trees (at most kCompleteDepth levels) that no missing value makes null are
// also laid out complete: a leaf above the bottom level is padded with tests that always hold
// (reading a zero the block adds to every row), so node p's children are 2p+1 and 2p+2, a node
// is only the threshold and the feature (8 bytes for float32), and eight rows step down exactly
// `depth` levels with no test for leaves and no branch; the bottom level maps to the leaf ids.
// The block is then copied row by row (a row's features together), and padding is allowed while
// it costs at most eight times the tree's own nodes.
//
// Nodes whose rule the flat form does not hold (category sets, surrogates, equality tests,
// missing rules other than "go to a child") send the row to the evaluator's generic walk of that
// tree from its root, which is the definition; the result is the same leaf, bit for bit.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "lib/eval/estimator_eval.hpp"
#include "lib/ir/estimators.hpp"

namespace mb::eval {

class TreeWalker {
 public:
  // The generic walk: the node whose values predict for (tree, row), or -1 for a missing
  // prediction.
  using Generic = std::function<int32_t(const ir::Tree&, const FeatureColumns&, size_t)>;

  // `compact`: use the compact layout where it applies (false keeps the one-row-at-a-time walk,
  // for tests that compare the two).
  // `shared`: walkers of the same ensemble (the same object, not changed meanwhile) share one
  // layout, as the workers of `score --threads N` do.
  TreeWalker(const ir::TreeEnsemble& t, Generic generic, bool compact = true, bool shared = false);

  // Rows per block: a tree's nodes stay in cache for the whole block, so big trees want many
  // rows; the leaves of a block (trees x rows) are held to about 4 MB, or 16 MB and 16384 rows
  // when the layout is larger than 4 MB (each block then reads every tree from memory again:
  // a 100-tree randomForest scores a third faster than with 8192 rows; 32768 rows would save
  // another 6% of its CPU time for 8 MB more per thread).  kBlock is the most.  (Sums ask for a
  // few trees at a time, which holds less.)
  static constexpr size_t kBlock = 16384;
  size_t block_rows() const {
    const bool big = layout_->bytes_ > (size_t{4} << 20);
    return std::clamp<size_t>((size_t{1} << (big ? 24 : 22)) / (4 * std::max<size_t>(t_.trees.size(), 1)), 256,
                              big ? kBlock : 8192);
  }

  // leaves[t * n + i] = the leaf of tree t for row r0 + i (i < n <= kBlock), or -1.
  void leaves(const FeatureColumns& x, size_t r0, size_t n, int32_t* leaves) const {
    this->leaves(x, r0, n, leaves, 0, t_.trees.size());
  }
  // Trees t0 <= t < t1 only: leaves[(t - t0) * n + i] (a block's leaves for a few trees at a
  // time need less memory than for all of them).  `same_block`: the rows are those of this
  // thread's previous call on this walker (the same x, r0 and n, unchanged since), whose copy of
  // the block in the layout's row order is reused instead of made again.
  void leaves(const FeatureColumns& x, size_t r0, size_t n, int32_t* leaves, size_t t0, size_t t1,
              bool same_block = false) const;

  // When walkers alive share a layout of `t` that holds every tree (no tree needs the one-row
  // walk nor the generic one), frees the trees' nodes, which they no longer read, but for their
  // values (the leaves found index them); returns whether it did.  `score` calls it once its
  // evaluators are built; `t` then only serves those walkers.
  static bool release_nodes(ir::TreeEnsemble& t);

  // Trees walked in the compact layout (the complete layout's included).
  size_t compact_trees() const { return layout_->compact_count_; }
  // Trees walked in the complete layout.
  size_t complete_trees() const { return layout_->complete_count_; }
  // The deepest tree the complete layout holds.
  static constexpr int kCompleteDepth = 12;

 private:
  struct Node {
    double threshold;  // the test is `x <= threshold`
    int32_t feature;   // -1: leaf; -2: a node the flat form does not hold (generic walk)
    int32_t yes, no;   // children when the test holds / does not
    int32_t missing;   // child for a missing value; -1: generic walk
  };
  // A node of the compact layout: 16 bytes with a double threshold, 12 with a float32 one.
  // An inner node's two children are adjacent, `first` and `first + 1`.
  template <typename T>
  struct Compact {
    T threshold;       // the test `x <= threshold` goes to the first child, else the second
    int32_t first;     // inner node: its first child; leaf: ~(the tree's node id), which is negative
    uint16_t feature;  // index into the block's feature columns (a leaf: 0, read and ignored)
    uint16_t flags;    // kMissingToFirst (else a missing value goes to the second); kMissingNull
  };
  static constexpr uint16_t kMissingToFirst = 1, kMissingNull = 2;
  // A node of the complete layout: the test `x <= threshold`; `feature` indexes a row of the
  // block (its high bit set: a missing value goes to the first child, else to the second).
  template <typename T>
  struct Complete {
    T threshold;
    uint32_t feature;
  };
  static constexpr uint32_t kMissingFirst = 0x80000000u;
  template <typename T, bool kAnyMissingFirst>
  static void walk_complete(const Complete<T>* nodes, const int32_t* leaf_ids, int depth, const T* block, size_t stride,
                            size_t n, int32_t* out);
  template <typename T, bool kMissing>
  static void walk_compact(const Compact<T>* nodes, const T* block, size_t stride, size_t n, int32_t* out);
  template <typename T, bool kMissing>
  static void walk_compact_deep(const Compact<T>* nodes, const T* block, size_t stride, size_t n, int32_t* out);
  void walk_flat(size_t t, const FeatureColumns& x, size_t r0, size_t n, int32_t* out) const;

  // What is built once per ensemble (and may be shared by walkers).
  struct Layout {
    bool f32_ = false;
    std::vector<Node> nodes_;
    std::vector<size_t> offset_;  // per tree: its first node (node ids are the tree's own)
    // The compact layout: per tree, its first node in compact32_ / compact64_, or -1 when the
    // tree is walked by walk_flat().
    std::vector<int64_t> compact_offset_;
    std::vector<uint8_t> deep_;  // per tree: deeper than kLockstepDepth (rows refill lanes as they finish)
    std::vector<Compact<float>> compact32_;
    std::vector<Compact<double>> compact64_;
    size_t compact_count_ = 0;
    // The complete layout: per tree its first node in complete32_ / complete64_ and first leaf in
    // complete_leaf_, or -1; its depth.  Node p's children are 2p+1 (the test holds) and 2p+2.
    std::vector<int64_t> complete_offset_, complete_leaf_offset_;
    std::vector<uint8_t> complete_depth_;
    std::vector<Complete<float>> complete32_;
    std::vector<Complete<double>> complete64_;
    std::vector<int32_t> complete_leaf_;
    size_t complete_count_ = 0;
    bool any_missing_first_ = false;
    size_t stride_ = 0;               // values per row of the row-major block: the used features, then a zero
    std::vector<int> used_features_;  // features compact trees read (converted per block for float32)
    size_t bytes_ = 0;                // of all the above
  };
  static std::shared_ptr<const Layout> build(const ir::TreeEnsemble& t, bool compact);

  static std::mutex cache_mu_;
  static std::map<std::pair<const ir::TreeEnsemble*, bool>, std::weak_ptr<const Layout>> cache_;

  const ir::TreeEnsemble& t_;
  Generic generic_;
  std::shared_ptr<const Layout> layout_;
};

}  // namespace mb::eval
