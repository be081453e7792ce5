#include "lib/eval/tree_walk.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mb::eval {

TreeWalker::TreeWalker(const ir::TreeEnsemble& t, Generic generic, bool compact) : t_(t), generic_(std::move(generic)) {
  f32_ = t.threshold_precision == ir::Precision::Float32;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // The largest value below `thr` in the compared precision: x < thr <=> x <= below(thr).
  auto below = [&](double thr) {
    return f32_ ? static_cast<double>(std::nextafter(static_cast<float>(thr), -std::numeric_limits<float>::infinity()))
                : std::nextafter(thr, -kInf);
  };
  for (const ir::Tree& tr : t.trees) {
    offset_.push_back(nodes_.size());
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
        case ir::SplitOp::GreaterThan: node.threshold = thr; std::swap(node.yes, node.no); break;
        case ir::SplitOp::LessThan: node.threshold = below(thr); flat &= thr != -kInf; break;
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
  }
  // The compact layout, for the trees it holds.
  std::vector<bool> used;
  for (size_t ti = 0; ti < t.trees.size(); ++ti) {
    const ir::Tree& tr = t.trees[ti];
    const size_t off = offset_[ti], count = tr.op.size();
    const bool has_sur = !tr.sur_size.empty();
    const auto null_leaf = static_cast<int32_t>(count);
    // The missing child of node k in the compact form, or -1 when it has none.
    auto missing_of = [&](size_t k) -> int32_t {
      const Node& nd = nodes_[off + k];
      if (nd.missing >= 0) return nd.missing == nd.yes || nd.missing == nd.no ? nd.missing : -1;
      if (tr.missing[k] == ir::MissingGo::Null && (!has_sur || tr.sur_size[k] == 0)) return null_leaf;
      return -1;
    };
    bool ok = compact && count < static_cast<size_t>(std::numeric_limits<int32_t>::max());
    for (size_t k = 0; k < count && ok; ++k) {
      const Node& nd = nodes_[off + k];
      if (nd.feature == -1) continue;
      ok = nd.feature >= 0 && nd.feature <= 0xFFFF && missing_of(k) >= 0;
    }
    if (!ok) {
      compact_offset_.push_back(-1);
      deep_.push_back(0);
      continue;
    }
    ++compact_count_;
    {
      std::vector<int32_t> depth(count, 0);
      std::vector<int32_t> stack{0};
      int32_t deepest = 0;
      while (!stack.empty()) {
        const int32_t k = stack.back();
        stack.pop_back();
        const Node& nd = nodes_[off + static_cast<size_t>(k)];
        deepest = std::max(deepest, depth[static_cast<size_t>(k)]);
        if (nd.feature == -1) continue;
        for (int32_t c : {nd.yes, nd.no}) {
          depth[static_cast<size_t>(c)] = depth[static_cast<size_t>(k)] + 1;
          stack.push_back(c);
        }
      }
      deep_.push_back(deepest > 16 ? 1 : 0);
    }
    compact_offset_.push_back(static_cast<int64_t>(f32_ ? compact32_.size() : compact64_.size()));
    for (size_t k = 0; k <= count; ++k) {  // the nodes, then the null leaf
      const auto self = static_cast<int32_t>(k);
      const bool leaf = k == count || nodes_[off + k].feature == -1;
      const Node nd = k == count ? Node{} : nodes_[off + k];
      const uint16_t f = leaf ? 0 : static_cast<uint16_t>(nd.feature);
      const int32_t yes = leaf ? self : nd.yes, no = leaf ? self : nd.no, miss = leaf ? self : missing_of(k);
      if (f32_) compact32_.push_back({static_cast<float>(nd.threshold), yes, no, miss, f, leaf});
      else compact64_.push_back({nd.threshold, yes, no, miss, f, leaf});
      if (!leaf) {
        if (used.size() <= f) used.resize(f + 1u, false);
        used[f] = true;
      }
    }
  }
  // The one-row nodes are kept only for the trees the compact layout does not hold.
  if (compact_count_ > 0) {
    std::vector<Node> kept;
    for (size_t ti = 0; ti < t.trees.size(); ++ti) {
      if (compact_offset_[ti] >= 0) continue;
      const size_t off = offset_[ti];
      offset_[ti] = kept.size();
      kept.insert(kept.end(), nodes_.begin() + static_cast<std::ptrdiff_t>(off),
                  nodes_.begin() + static_cast<std::ptrdiff_t>(off + t.trees[ti].op.size()));
    }
    nodes_ = std::move(kept);
  }
  if (used.empty()) used.resize(1);
  used[0] = true;  // leaves read feature 0 (and ignore it)
  for (size_t f = 0; f < used.size(); ++f)
    if (used[f]) used_features_.push_back(static_cast<int>(f));
}

// Eight rows at a time step down the tree together until every one is at a leaf.
template <typename T>
void TreeWalker::walk_compact(const Compact<T>* nodes, int32_t null_leaf, const T* const* cols, size_t n,
                              int32_t* out) const {
  constexpr size_t G = 8;
  size_t i = 0;
  for (; i + G <= n; i += G) {
    int32_t k[G] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (;;) {
      bool all_leaves = true;
      for (size_t j = 0; j < G; ++j) {
        const Compact<T>& nd = nodes[k[j]];
        all_leaves &= nd.leaf != 0;
        const T v = cols[nd.feature][i + j];
        const int32_t next = v <= nd.threshold ? nd.yes : nd.no;
        k[j] = v != v ? nd.missing : next;
      }
      if (all_leaves) break;
    }
    for (size_t j = 0; j < G; ++j) out[i + j] = k[j] == null_leaf ? -1 : k[j];
  }
  for (; i < n; ++i) {
    int32_t k = 0;
    while (!nodes[k].leaf) {
      const Compact<T>& nd = nodes[k];
      const T v = cols[nd.feature][i];
      const int32_t next = v <= nd.threshold ? nd.yes : nd.no;
      k = v != v ? nd.missing : next;
    }
    out[i] = k == null_leaf ? -1 : k;
  }
}

// Eight lanes; a lane whose row reaches its leaf takes the next row.
template <typename T>
void TreeWalker::walk_compact_deep(const Compact<T>* nodes, int32_t null_leaf, const T* const* cols, size_t n,
                                   int32_t* out) const {
  constexpr size_t G = 8;
  int32_t k[G];
  size_t row[G];
  size_t next = 0, active = 0;
  for (size_t j = 0; j < G; ++j) {
    k[j] = 0;
    row[j] = next < n ? next++ : SIZE_MAX;
    active += row[j] != SIZE_MAX;
  }
  while (active > 0) {
    for (size_t j = 0; j < G; ++j) {
      if (row[j] == SIZE_MAX) continue;
      const Compact<T>& nd = nodes[k[j]];
      if (nd.leaf) {
        out[row[j]] = k[j] == null_leaf ? -1 : k[j];
        k[j] = 0;
        if (next < n) {
          row[j] = next++;
        } else {
          row[j] = SIZE_MAX;
          --active;
        }
        continue;
      }
      const T v = cols[nd.feature][row[j]];
      const int32_t go = v <= nd.threshold ? nd.yes : nd.no;
      k[j] = v != v ? nd.missing : go;
    }
  }
}

void TreeWalker::leaves(const FeatureColumns& x, size_t r0, size_t n, int32_t* out) const {
  const size_t T = t_.trees.size();
  // The block's inputs as the compact trees read them: float32 models compare floats.
  thread_local std::vector<float> block32;
  thread_local std::vector<const float*> cols32;
  thread_local std::vector<const double*> cols64;
  const bool compact = compact_count_ > 0 && x.columns.size() > static_cast<size_t>(used_features_.back());
  if (compact) {
    if (f32_) {
      const size_t F = static_cast<size_t>(used_features_.back()) + 1;
      block32.resize(F * n);
      cols32.assign(F, nullptr);
      for (int f : used_features_) {
        float* dst = &block32[static_cast<size_t>(f) * n];
        const double* src = x.columns[static_cast<size_t>(f)] + r0;
        for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
        cols32[static_cast<size_t>(f)] = dst;
      }
    } else {
      cols64.resize(x.columns.size());
      for (size_t f = 0; f < x.columns.size(); ++f) cols64[f] = x.columns[f] + r0;
    }
  }
  for (size_t t = 0; t < T; ++t) {
    int32_t* o = out + t * n;
    const int64_t c = compact_offset_[t];
    if (c < 0) walk_flat(t, x, r0, n, o);
    else if (!compact) std::fill(o, o + n, 0);  // no feature columns: a tree is its root leaf
    else {
      const auto null_leaf = static_cast<int32_t>(t_.trees[t].op.size());
      if (deep_[t]) {
        if (f32_) walk_compact_deep(compact32_.data() + c, null_leaf, cols32.data(), n, o);
        else walk_compact_deep(compact64_.data() + c, null_leaf, cols64.data(), n, o);
      } else {
        if (f32_) walk_compact(compact32_.data() + c, null_leaf, cols32.data(), n, o);
        else walk_compact(compact64_.data() + c, null_leaf, cols64.data(), n, o);
      }
    }
  }
}

void TreeWalker::walk_flat(size_t t, const FeatureColumns& x, size_t r0, size_t n, int32_t* o) const {
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
