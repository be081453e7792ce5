#include "lib/eval/tree_walk.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

namespace mb::eval {
namespace {
constexpr uint32_t kZeroColumn = 0x7FFFFFFFu;  // while building: the block's zero column
}

// The layouts of the ensembles that walkers share, while a walker holds one.
std::mutex TreeWalker::cache_mu_;
std::map<std::pair<const ir::TreeEnsemble*, bool>, std::weak_ptr<const TreeWalker::Layout>> TreeWalker::cache_;

TreeWalker::TreeWalker(const ir::TreeEnsemble& t, Generic generic, bool compact, bool shared)
    : t_(t), generic_(std::move(generic)) {
  if (!shared) {
    layout_ = build(t, compact);
    return;
  }
  std::lock_guard lock(cache_mu_);
  auto& slot = cache_[{&t, compact}];
  layout_ = slot.lock();
  if (!layout_) {
    layout_ = build(t, compact);
    slot = layout_;
  }
  for (auto it = cache_.begin(); it != cache_.end();) it = it->second.expired() ? cache_.erase(it) : std::next(it);
}

bool TreeWalker::release_nodes(ir::TreeEnsemble& t) {
  std::lock_guard lock(cache_mu_);
  const auto it = cache_.find({&t, true});
  const auto layout = it == cache_.end() ? nullptr : it->second.lock();
  if (!layout || layout->compact_count_ != t.trees.size()) return false;
  for (ir::Tree& tr : t.trees) {
    ir::Tree kept;
    kept.values = std::move(tr.values);
    tr = std::move(kept);
  }
  return true;
}

std::shared_ptr<const TreeWalker::Layout> TreeWalker::build(const ir::TreeEnsemble& t, bool compact) {
  auto layout = std::make_shared<Layout>();
  Layout& L = *layout;
  auto& f32_ = L.f32_;
  auto& nodes_ = L.nodes_;
  auto& offset_ = L.offset_;
  auto& compact_offset_ = L.compact_offset_;
  auto& deep_ = L.deep_;
  auto& compact32_ = L.compact32_;
  auto& compact64_ = L.compact64_;
  auto& compact_count_ = L.compact_count_;
  auto& complete_offset_ = L.complete_offset_;
  auto& complete_leaf_offset_ = L.complete_leaf_offset_;
  auto& complete_depth_ = L.complete_depth_;
  auto& complete32_ = L.complete32_;
  auto& complete64_ = L.complete64_;
  auto& complete_leaf_ = L.complete_leaf_;
  auto& complete_count_ = L.complete_count_;
  auto& any_missing_first_ = L.any_missing_first_;
  auto& stride_ = L.stride_;
  auto& used_features_ = L.used_features_;
  f32_ = t.threshold_precision == ir::Precision::Float32;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // The largest value below `thr` in the compared precision: x < thr <=> x <= below(thr).
  auto below = [&](double thr) {
    return f32_ ? static_cast<double>(std::nextafter(static_cast<float>(thr), -std::numeric_limits<float>::infinity()))
                : std::nextafter(thr, -kInf);
  };
  // A tree's one-row nodes (kept only for the trees the compact layout does not hold).
  auto nodes_of = [&](const ir::Tree& tr, std::vector<Node>& nodes_) {
    nodes_.clear();
    const bool has_sur = !tr.sur_size.empty();
    for (size_t n = 0; n < tr.op.size(); ++n) {
      Node node{0.0, -2, tr.left[n], tr.right[n], -1};
      const ir::SplitOp op = tr.op[n];
      if (op == ir::SplitOp::Leaf) {
        node.feature = -1;
        nodes_.push_back(node);
        continue;
      }
      const double thr = f32_ ? static_cast<double>(static_cast<float>(tr.threshold[n])) : tr.threshold[n];
      bool flat = !std::isnan(thr);
      switch (op) {
        case ir::SplitOp::LessOrEqual: node.threshold = thr; break;
        case ir::SplitOp::GreaterThan:
          node.threshold = thr;
          std::swap(node.yes, node.no);
          break;
        case ir::SplitOp::LessThan:
          node.threshold = below(thr);
          flat &= thr != -kInf;
          break;
        case ir::SplitOp::GreaterOrEqual:
          node.threshold = below(thr);
          flat &= thr != -kInf;
          std::swap(node.yes, node.no);
          break;
        default: flat = false; break;
      }
      if (flat) node.feature = tr.feature[n];
      if (!has_sur || tr.sur_size[n] == 0) {
        switch (tr.missing[n]) {
          case ir::MissingGo::Left: node.missing = tr.left[n]; break;
          case ir::MissingGo::Right: node.missing = tr.right[n]; break;
          case ir::MissingGo::Node: node.missing = tr.missing_child[n]; break;
          default: break;  // stop here, null, majority: the generic walk decides
        }
      }
      nodes_.push_back(node);
    }
  };
  // The compact layout, for the trees it holds, built tree by tree (a forest's nodes are not
  // held twice).
  size_t total = 0;
  for (const ir::Tree& tr : t.trees) total += tr.op.size() + 1;
  if (compact) {
    if (f32_) compact32_.reserve(total);
    else compact64_.reserve(total);
  }
  std::vector<bool> used;
  std::vector<Node> tn;
  for (size_t ti = 0; ti < t.trees.size(); ++ti) {
    const ir::Tree& tr = t.trees[ti];
    const size_t count = tr.op.size();
    nodes_of(tr, tn);
    const bool has_sur = !tr.sur_size.empty();
    const auto null_leaf = static_cast<int32_t>(count);
    // The missing child of node k in the compact form, or -1 when it has none.
    auto missing_of = [&](size_t k) -> int32_t {
      const Node& nd = tn[k];
      if (nd.missing >= 0) return nd.missing == nd.yes || nd.missing == nd.no ? nd.missing : -1;
      if (tr.missing[k] == ir::MissingGo::Null && (!has_sur || tr.sur_size[k] == 0)) return null_leaf;
      return -1;
    };
    bool ok = compact && count < static_cast<size_t>(std::numeric_limits<int32_t>::max());
    for (size_t k = 0; k < count && ok; ++k) {
      const Node& nd = tn[k];
      if (nd.feature == -1) continue;
      ok = nd.feature >= 0 && nd.feature <= 0xFFFF && missing_of(k) >= 0;
    }
    if (!ok) {
      offset_.push_back(nodes_.size());
      nodes_.insert(nodes_.end(), tn.begin(), tn.end());
      compact_offset_.push_back(-1);
      deep_.push_back(0);
      complete_offset_.push_back(-1);
      complete_leaf_offset_.push_back(-1);
      complete_depth_.push_back(0);
      continue;
    }
    offset_.push_back(0);
    ++compact_count_;
    {
      std::vector<int32_t> depth(count, 0);
      std::vector<int32_t> stack{0};
      int32_t deepest = 0;
      while (!stack.empty()) {
        const int32_t k = stack.back();
        stack.pop_back();
        const Node& nd = tn[static_cast<size_t>(k)];
        deepest = std::max(deepest, depth[static_cast<size_t>(k)]);
        if (nd.feature == -1) continue;
        for (int32_t c : {nd.yes, nd.no}) {
          depth[static_cast<size_t>(c)] = depth[static_cast<size_t>(k)] + 1;
          stack.push_back(c);
        }
      }
      deep_.push_back(deepest > 16 ? 1 : 0);
      // The complete layout: shallow trees that no missing value makes null, padded to a
      // complete tree (a leaf above the bottom becomes tests that always hold, on the block's
      // zero column) while that costs at most eight times the tree's own nodes.
      bool complete = deepest <= kCompleteDepth && (size_t{1} << deepest) <= 8 * count + 64;
      for (size_t k = 0; k < count && complete; ++k) complete = tn[k].feature == -1 || missing_of(k) != null_leaf;
      if (complete) {
        ++complete_count_;
        const size_t P = (size_t{1} << deepest) - 1;
        complete_offset_.push_back(static_cast<int64_t>(f32_ ? complete32_.size() : complete64_.size()));
        complete_leaf_offset_.push_back(static_cast<int64_t>(complete_leaf_.size()));
        complete_depth_.push_back(static_cast<uint8_t>(deepest));
        const size_t base = f32_ ? complete32_.size() : complete64_.size(), leaf_base = complete_leaf_.size();
        if (f32_) complete32_.resize(base + P);
        else complete64_.resize(base + P);
        complete_leaf_.resize(leaf_base + P + 1);
        std::vector<std::pair<size_t, int32_t>> todo{{0, 0}};  // (position, node)
        while (!todo.empty()) {
          const auto [p, k] = todo.back();
          todo.pop_back();
          if (p >= P) {
            complete_leaf_[leaf_base + p - P] = k;
            continue;
          }
          const Node& nd = tn[static_cast<size_t>(k)];
          const bool leaf = nd.feature == -1;
          // Features are renumbered to rows of the block when it is known (below); a leaf's
          // padding reads the zero column, marked for now as kZeroColumn.
          uint32_t f = leaf ? kZeroColumn : static_cast<uint32_t>(nd.feature);
          if (!leaf && nd.missing == nd.yes) {
            f |= kMissingFirst;
            any_missing_first_ = true;
          }
          const double thr = leaf ? std::numeric_limits<double>::infinity() : nd.threshold;
          if (f32_) complete32_[base + p] = {static_cast<float>(thr), f};
          else complete64_[base + p] = {thr, f};
          todo.push_back({2 * p + 1, leaf ? k : nd.yes});
          todo.push_back({2 * p + 2, leaf ? k : nd.no});
        }
      } else {
        complete_offset_.push_back(-1);
        complete_leaf_offset_.push_back(-1);
        complete_depth_.push_back(0);
      }
    }
    // The compact nodes, depth first from the root: an inner node's children are placed side by
    // side, and the first child's subtree follows them (its top levels share cache lines).  A node
    // reached twice (several parents) is placed again; a graph that needs more than twice the
    // tree's nodes (or loops) stays on the one-row walk.
    const size_t base = f32_ ? compact32_.size() : compact64_.size();
    auto place = [&](auto& out) {
      using T = decltype(out[0].threshold);
      out.push_back({});
      std::vector<std::pair<int32_t, size_t>> todo{{0, base}};  // (node, its place)
      while (!todo.empty()) {
        const auto [k, at] = todo.back();
        todo.pop_back();
        const Node& nd = tn[static_cast<size_t>(k)];
        if (nd.feature == -1) {
          out[at] = {T{}, ~k, 0, 0};  // ~k < 0 marks the leaf
          continue;
        }
        if (out.size() - base + 2 > 2 * count + 2) return false;
        const int32_t miss = missing_of(static_cast<size_t>(k));
        const uint16_t flags = miss == null_leaf ? kMissingNull : miss == nd.yes ? kMissingToFirst : 0;
        const size_t first = out.size();
        out[at] = {static_cast<T>(nd.threshold), static_cast<int32_t>(first - base), static_cast<uint16_t>(nd.feature),
                   flags};
        out.push_back({});
        out.push_back({});
        if (used.size() <= static_cast<size_t>(nd.feature)) used.resize(static_cast<size_t>(nd.feature) + 1, false);
        used[static_cast<size_t>(nd.feature)] = true;
        todo.push_back({nd.no, first + 1});
        todo.push_back({nd.yes, first});
      }
      return true;
    };
    if (!(f32_ ? place(compact32_) : place(compact64_))) {
      if (f32_) compact32_.resize(base);
      else compact64_.resize(base);
      --compact_count_;
      offset_.back() = nodes_.size();
      nodes_.insert(nodes_.end(), tn.begin(), tn.end());
      compact_offset_.push_back(-1);
      deep_.back() = 0;
      if (complete_offset_.back() >= 0) {  // its complete nodes stay, unused
        --complete_count_;
        complete_offset_.back() = -1;
      }
      continue;
    }
    compact_offset_.push_back(static_cast<int64_t>(base));
  }
  if (used.empty()) used.resize(1);
  used[0] = true;  // leaves read feature 0 (and ignore it)
  for (size_t f = 0; f < used.size(); ++f)
    if (used[f]) used_features_.push_back(static_cast<int>(f));
  // The row-major block of the complete layout: features 0..last used, then a zero.
  stride_ = static_cast<size_t>(used_features_.back()) + 2;
  auto renumber = [&](auto& nodes) {
    for (auto& nd : nodes)
      if (nd.feature == kZeroColumn) nd.feature = static_cast<uint32_t>(stride_ - 1);
  };
  renumber(complete32_);
  renumber(complete64_);
  L.bytes_ = nodes_.size() * sizeof(Node) + compact32_.size() * sizeof(Compact<float>) +
             compact64_.size() * sizeof(Compact<double>) + complete32_.size() * sizeof(Complete<float>) +
             complete64_.size() * sizeof(Complete<double>) + complete_leaf_.size() * sizeof(int32_t);
  return layout;
}

// One step down a compact tree (an inner node), without a branch: the first child when
// `v <= threshold`, else the second.  kMissing: `v` may be missing, and then goes to the first
// child when the node says so, else to the second, and `null` becomes 1 when the node makes the
// prediction missing.  Without kMissing (a block with no missing value) that is all skipped.
template <bool kMissing, typename N, typename T>
inline int32_t compact_step(const N& nd, T v, uint32_t& null) {
  if constexpr (kMissing) {
    const uint32_t holds = v <= nd.threshold, missing = v != v, flags = nd.flags;
    null |= missing & (flags >> 1);
    return nd.first + static_cast<int32_t>((holds ^ 1u) & ~(missing & flags) & 1u);
  } else {
    return nd.first + static_cast<int32_t>(v > nd.threshold);
  }
}

// Eight rows at a time step down a complete tree, one level at a time: no test of leaves, the
// next node is 2p+1 or 2p+2, a missing value goes to the second child unless its node says
// the first.
template <typename T, bool kAnyMissingFirst>
void TreeWalker::walk_complete(const Complete<T>* nodes, const int32_t* leaf_ids, int depth, const T* block,
                               size_t stride, size_t n, int32_t* out) {
  constexpr size_t G = 8;
  const uint32_t P = (uint32_t{1} << depth) - 1;
  auto step = [&](uint32_t p, const T* x) {
    const Complete<T> nd = nodes[p];
    if constexpr (kAnyMissingFirst) {
      const T v = x[nd.feature & ~kMissingFirst];
      const uint32_t second =
          static_cast<uint32_t>(v > nd.threshold) | (static_cast<uint32_t>(v != v) & ~(nd.feature >> 31));
      return 2 * p + 1 + second;
    } else {
      const T v = x[nd.feature];
      return 2 * p + 1 + static_cast<uint32_t>(!(v <= nd.threshold));
    }
  };
  size_t i = 0;
  for (; i + G <= n; i += G) {
    uint32_t p[G] = {0, 0, 0, 0, 0, 0, 0, 0};
    const T* x = block + i * stride;
    for (int d = 0; d < depth; ++d) {
#pragma GCC unroll 8
      for (size_t j = 0; j < G; ++j) p[j] = step(p[j], x + j * stride);
    }
    for (size_t j = 0; j < G; ++j) out[i + j] = leaf_ids[p[j] - P];
  }
  for (; i < n; ++i) {
    uint32_t p = 0;
    for (int d = 0; d < depth; ++d) p = step(p, block + i * stride);
    out[i] = leaf_ids[p - P];
  }
}

// Eight rows at a time step down the tree together until every one is at a leaf (a leaf's
// lane stays where it is).
template <typename T, bool kMissing>
void TreeWalker::walk_compact(const Compact<T>* nodes, const T* block, size_t stride, size_t n, int32_t* out) {
  constexpr size_t G = 8;
  size_t i = 0;
  for (; i + G <= n; i += G) {
    int32_t k[G] = {0, 0, 0, 0, 0, 0, 0, 0};
    uint32_t null[G] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (;;) {
      int32_t all_leaves = -1;
      for (size_t j = 0; j < G; ++j) {
        const Compact<T>& nd = nodes[k[j]];
        const int32_t leaf = nd.first >> 31;  // all ones at a leaf
        all_leaves &= leaf;
        const int32_t stepped = compact_step<kMissing>(nd, block[(i + j) * stride + nd.feature], null[j]);
        k[j] = stepped ^ ((stepped ^ k[j]) & leaf);
      }
      if (all_leaves) break;
    }
    for (size_t j = 0; j < G; ++j) out[i + j] = null[j] ? -1 : ~nodes[k[j]].first;
  }
  for (; i < n; ++i) {
    int32_t k = 0;
    uint32_t null = 0;
    while (nodes[k].first >= 0) k = compact_step<kMissing>(nodes[k], block[i * stride + nodes[k].feature], null);
    out[i] = null ? -1 : ~nodes[k].first;
  }
}

// Sixteen lanes, each with its row's features and output slot; a lane whose row reaches its
// leaf writes it (0 when missing, inverted at the end with the rest) and takes the next row.
// That branch is taken once a row and tree (about one step in 17 in a randomForest): cheaper
// than doing a lane's bookkeeping without a branch at every step (10% of the CPU time,
// measured), and it leaves room for sixteen walks in flight (10% faster than eight; 24 are no
// faster).  The rows still in lanes when fewer than sixteen remain to hand out finish one by one.
template <typename T, bool kMissing>
void TreeWalker::walk_compact_deep(const Compact<T>* nodes, const T* block, size_t stride, size_t n, int32_t* out) {
  constexpr size_t G = 16;
  auto finish = [&](int32_t p, uint32_t nl, size_t r) {
    const T* x = block + r * stride;
    while (nodes[p].first >= 0) p = compact_step<kMissing>(nodes[p], x[nodes[p].feature], nl);
    out[r] = nl ? 0 : nodes[p].first;
  };
  size_t next = 0;
  if (n >= 2 * G) {
    int32_t k[G];
    uint32_t null[G];
    int32_t* o[G];
    const T* x[G];
    for (size_t j = 0; j < G; ++j) {
      k[j] = 0;
      null[j] = 0;
      o[j] = out + j;
      x[j] = block + j * stride;
    }
    next = G;
    while (next + G <= n) {
#pragma GCC unroll 8
      for (size_t j = 0; j < G; ++j) {
        const Compact<T>& nd = nodes[k[j]];
        const int32_t first = nd.first;
        if (first < 0) {  // a leaf: the lane takes the next row
          *o[j] = first & ~-static_cast<int32_t>(null[j]);
          o[j] = out + next;
          x[j] = block + next * stride;
          ++next;
          k[j] = 0;
          null[j] = 0;
        } else {
          k[j] = compact_step<kMissing>(nd, x[j][nd.feature], null[j]);
        }
      }
    }
    for (size_t j = 0; j < G; ++j) finish(k[j], null[j], static_cast<size_t>(o[j] - out));
  }
  for (; next < n; ++next) finish(0, 0, next);
  for (size_t i = 0; i < n; ++i) out[i] = ~out[i];
}

void TreeWalker::leaves(const FeatureColumns& x, size_t r0, size_t n, int32_t* out, size_t t0, size_t t1,
                        bool same_block) const {
  const Layout& L = *layout_;
  const auto& f32_ = L.f32_;
  const auto& compact_offset_ = L.compact_offset_;
  const auto& deep_ = L.deep_;
  const auto& compact32_ = L.compact32_;
  const auto& compact64_ = L.compact64_;
  const auto& compact_count_ = L.compact_count_;
  const auto& complete_offset_ = L.complete_offset_;
  const auto& complete_leaf_offset_ = L.complete_leaf_offset_;
  const auto& complete_depth_ = L.complete_depth_;
  const auto& complete32_ = L.complete32_;
  const auto& complete64_ = L.complete64_;
  const auto& complete_leaf_ = L.complete_leaf_;
  const auto& any_missing_first_ = L.any_missing_first_;
  const auto& stride_ = L.stride_;
  const auto& used_features_ = L.used_features_;
  const bool compact = compact_count_ > 0 && x.columns.size() > static_cast<size_t>(used_features_.back());
  // The block's inputs as the compact trees read them, row by row (a row's features together,
  // then a zero): float32 models compare floats.
  thread_local std::vector<float> rows32;
  thread_local std::vector<double> rows64;
  thread_local bool missing = false;             // a used feature is missing in a row of the block
  thread_local const Layout* rows_of = nullptr;  // the layout whose row order they follow
  if (compact && !(same_block && rows_of == &L && (f32_ ? rows32.size() : rows64.size()) == stride_ * n)) {
    rows_of = &L;
    missing = false;
    const size_t S = stride_;
    if (f32_) rows32.assign(S * n, 0.0f);
    else rows64.assign(S * n, 0.0);
    for (int f : used_features_) {
      const double* src = x.columns[static_cast<size_t>(f)] + r0;
      bool nan = false;
      if (f32_)
        for (size_t i = 0; i < n; ++i) {
          rows32[i * S + static_cast<size_t>(f)] = static_cast<float>(src[i]);
          nan |= src[i] != src[i];
        }
      else
        for (size_t i = 0; i < n; ++i) {
          rows64[i * S + static_cast<size_t>(f)] = src[i];
          nan |= src[i] != src[i];
        }
      missing |= nan;
    }
  }
  for (size_t t = t0; t < t1; ++t) {
    int32_t* o = out + (t - t0) * n;
    const int64_t c = compact_offset_[t];
    if (c < 0) walk_flat(t, x, r0, n, o);
    else if (!compact) std::fill(o, o + n, 0);  // no feature columns: a tree is its root leaf
    else if (complete_offset_[t] >= 0) {
      const int64_t p = complete_offset_[t];
      const int32_t* ids = complete_leaf_.data() + complete_leaf_offset_[t];
      const int d = complete_depth_[t];
      if (f32_) {
        if (any_missing_first_)
          walk_complete<float, true>(complete32_.data() + p, ids, d, rows32.data(), stride_, n, o);
        else walk_complete<float, false>(complete32_.data() + p, ids, d, rows32.data(), stride_, n, o);
      } else {
        if (any_missing_first_)
          walk_complete<double, true>(complete64_.data() + p, ids, d, rows64.data(), stride_, n, o);
        else walk_complete<double, false>(complete64_.data() + p, ids, d, rows64.data(), stride_, n, o);
      }
    } else {
      // The nodes and rows of the model's precision (the other vectors are empty); a block
      // without missing values takes the walks that never test for one.
      const auto walk = [&]<typename T>(const std::vector<Compact<T>>& nodes, const T* rows) {
        const Compact<T>* at = nodes.data() + c;
        if (deep_[t])
          missing ? walk_compact_deep<T, true>(at, rows, stride_, n, o)
                  : walk_compact_deep<T, false>(at, rows, stride_, n, o);
        else missing ? walk_compact<T, true>(at, rows, stride_, n, o) : walk_compact<T, false>(at, rows, stride_, n, o);
      };
      if (f32_) walk(compact32_, rows32.data());
      else walk(compact64_, rows64.data());
    }
  }
}

void TreeWalker::walk_flat(size_t t, const FeatureColumns& x, size_t r0, size_t n, int32_t* o) const {
  const Layout& L = *layout_;
  const auto& nodes_ = L.nodes_;
  const auto& offset_ = L.offset_;
  const bool f32_ = L.f32_;
  const double* const* cols = x.columns.data();
  const Node* nodes = nodes_.data() + offset_[t];
  for (size_t i = 0; i < n; ++i) {
    const size_t r = r0 + i;
    int32_t k = 0;
    for (;;) {
      const Node& nd = nodes[k];
      if (nd.feature < 0) {
        if (nd.feature == -1) break;
        k = generic_(t_.trees[t], x, r);
        break;
      }
      double v = cols[nd.feature][r];
      if (std::isnan(v)) {
        if (nd.missing < 0) {
          k = generic_(t_.trees[t], x, r);
          break;
        }
        k = nd.missing;
        continue;
      }
      if (f32_) v = static_cast<float>(v);
      k = v <= nd.threshold ? nd.yes : nd.no;
    }
    o[i] = k;
  }
}

}  // namespace mb::eval
