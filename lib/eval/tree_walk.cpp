#include "lib/eval/tree_walk.hpp"

#include <cmath>
#include <limits>

namespace mb::eval {

TreeWalker::TreeWalker(const ir::TreeEnsemble& t, Generic generic) : t_(t), generic_(std::move(generic)) {
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
}

void TreeWalker::leaves(const FeatureColumns& x, size_t r0, size_t n, int32_t* out) const {
  const double* const* cols = x.columns.data();
  const size_t T = t_.trees.size();
  for (size_t t = 0; t < T; ++t) {
    const Node* nodes = nodes_.data() + offset_[t];
    int32_t* o = out + t * n;
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
}

}  // namespace mb::eval
