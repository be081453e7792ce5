// Decision trees and tree ensembles.
#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/links.hpp"
#include "lib/eval/tree_walk.hpp"
#include "lib/ir/split.hpp"

namespace mb::eval {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class TreeEval final : public EstimatorEval {
 public:
  TreeEval(const ir::Model& m, const ir::TreeEnsemble& t, const EvalOptions& o)
      : m_(m),
        t_(t),
        walker_(
            t, [this](const ir::Tree& tr, const FeatureColumns& x, size_t r) { return traverse(tr, x, r); }, true,
            o.share_layouts) {}

  int test(ir::SplitOp op, double x, double thr, const ir::Tree& tree, int32_t set_off, int32_t set_size) const {
    return ir::split_direction(tree, op, x, thr, set_off, set_size, t_.threshold_precision == ir::Precision::Float32);
  }

  // Returns the node whose values predict for row r, or -1 for a missing prediction.
  int32_t traverse(const ir::Tree& tr, const FeatureColumns& x, size_t r) const {
    int32_t n = 0;
    const bool has_sets = !tr.set_offset.empty();
    const bool has_surrogates = !tr.sur_size.empty();
    while (tr.op[n] != ir::SplitOp::Leaf) {
      const double v = x.columns[tr.feature[n]][r];
      if (!std::isnan(v)) {
        const int dir =
            test(tr.op[n], v, tr.threshold[n], tr, has_sets ? tr.set_offset[n] : 0, has_sets ? tr.set_size[n] : 0);
        if (dir >= 0) {
          n = dir ? tr.left[n] : tr.right[n];
          continue;
        }
      }
      // Missing (or no direction): surrogates in order, the first one with a direction decides.
      bool moved = false;
      if (has_surrogates) {
        for (int32_t s = tr.sur_offset[n]; s < tr.sur_offset[n] + tr.sur_size[n]; ++s) {
          const double sv = x.columns[tr.sur_feature[s]][r];
          if (std::isnan(sv)) continue;
          const bool set = tr.sur_op[s] == ir::SplitOp::InSet;
          int dir = test(tr.sur_op[s], sv, tr.sur_threshold[s], tr, set ? tr.sur_set_offset[s] : 0,
                         set ? tr.sur_set_size[s] : 0);
          if (dir < 0) continue;
          if (tr.sur_flip[s]) dir = !dir;
          n = dir ? tr.left[n] : tr.right[n];
          moved = true;
          break;
        }
      }
      if (moved) continue;
      switch (tr.missing[n]) {
        case ir::MissingGo::Left: n = tr.left[n]; break;
        case ir::MissingGo::Right: n = tr.right[n]; break;
        case ir::MissingGo::Node: n = tr.missing_child[n]; break;
        case ir::MissingGo::StopHere: return n;
        case ir::MissingGo::Null: return -1;
        case ir::MissingGo::Majority: {
          const double cl = tr.count[tr.left[n]], cr = tr.count[tr.right[n]];
          if (cl == cr) return n;  // a tie stops here (rpart)
          n = cl > cr ? tr.left[n] : tr.right[n];
          break;
        }
      }
    }
    return n;
  }

  size_t batch_rows() const override { return walker_.block_rows(); }

  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows, K = t_.n_outputs, T = t_.trees.size();
    scores_.assign(rows * K, 0.0);
    const bool f32 = t_.value_precision == ir::Precision::Float32;
    double total_weight = 0;
    for (size_t t = 0; t < T; ++t) total_weight += t_.tree_weights.empty() ? 1.0 : t_.tree_weights[t];
    // A double-precision Sum starts from the base and adds trees in order, as gbm does
    // (initF + f1 + f2 + ...); other aggregates add the base afterwards.
    const bool sum_from_base = t_.aggregate == ir::Aggregate::Sum && !f32 && !t_.base.empty();
    // Sums are added tree by tree over the block (a tree's values stay in cache), in tree order
    // for every row, as row by row: the same numbers.
    const bool by_tree = t_.aggregate == ir::Aggregate::Sum || t_.aggregate == ir::Aggregate::Average;
    acc_.resize(K);
    acc32_.resize(K);
    // Sums take the leaves of a few trees at a time (about 2 MB of them), the other aggregates
    // those of every tree.
    const size_t group =
        std::max<size_t>(by_tree ? std::min<size_t>((size_t{1} << 19) / walker_.block_rows(), T) : T, 1);
    leaves_.resize(group * walker_.block_rows());
    if (node_labels_) label_of_.assign(rows, -1);
    for (size_t r0 = 0; r0 < rows; r0 += walker_.block_rows()) {
      const size_t n = std::min(walker_.block_rows(), rows - r0);
      if (!by_tree) walker_.leaves(x, r0, n, leaves_.data());
      if (by_tree) {
        null_.assign(n, 0);
        if (f32) block32_.assign(n * K, 0.0f);
        else {
          block64_.resize(n * K);
          for (size_t i = 0; i < n; ++i)
            for (size_t k = 0; k < K; ++k) block64_[i * K + k] = sum_from_base ? t_.base[k] : 0;
        }
        for (size_t t = 0; t < T; ++t) {
          if (t % group == 0) walker_.leaves(x, r0, n, leaves_.data(), t, std::min(t + group, T), t > 0);
          const double w = t_.tree_weights.empty() ? 1.0 : t_.tree_weights[t];
          const double* values = t_.trees[t].values.data();
          const int32_t* leaf = &leaves_[(t % group) * n];
          for (size_t i = 0; i < n; ++i) {
            if (leaf[i] < 0) {
              null_[i] = 1;
              continue;
            }
            const double* v = &values[static_cast<size_t>(leaf[i]) * K];
            if (f32)
              for (size_t k = 0; k < K; ++k) block32_[i * K + k] += static_cast<float>(w * v[k]);
            else
              for (size_t k = 0; k < K; ++k) block64_[i * K + k] += w * v[k];
          }
        }
      }
      for (size_t i = 0; i < n; ++i) {
        const size_t r = r0 + i;
        bool null = false;
        if (by_tree) {
          null = null_[i] != 0;
          for (size_t k = 0; k < K; ++k) {
            acc_[k] = f32 ? 0 : block64_[i * K + k];
            acc32_[k] = f32 ? block32_[i * K + k] : 0;
          }
        } else {
          null = row_aggregate(&leaves_[i], n);
        }
        double* s = &scores_[r * K];
        for (size_t k = 0; k < K; ++k) {
          if (null) {
            s[k] = kNaN;
            continue;
          }
          double a = f32 ? static_cast<double>(acc32_[k]) : acc_[k];
          if (t_.aggregate == ir::Aggregate::Average) a /= total_weight;
          if (!t_.base.empty() && !sum_from_base) a += t_.base[k];
          s[k] = inverse_link(t_.link, a);
        }
      }
      // A one-tree classifier with node labels: the label of the node each row ends at (its
      // leaves are the first n of leaves_ in both paths above).
      if (node_labels_)
        for (size_t i = 0; i < n; ++i)
          label_of_[r0 + i] = leaves_[i] >= 0 ? t_.trees[0].label[static_cast<size_t>(leaves_[i])] : -1;
    }
    finish_scores(m_, t_.transform, K, scores_, out, t_.class_cutoffs);
    if (node_labels_)
      for (size_t r = 0; r < rows; ++r)
        if (label_of_[r] >= 0 && out.label[r] >= 0) out.label[r] = label_of_[r];
  }

  // Vote, Max and Min, one row across the trees (its leaves at row_leaves[t * stride]) into
  // acc_; true when a tree's prediction is missing.
  bool row_aggregate(const int32_t* row_leaves, size_t stride) {
    const size_t K = t_.n_outputs, T = t_.trees.size();
    for (size_t k = 0; k < K; ++k) acc_[k] = 0;
    bool first = true;
    for (size_t t = 0; t < T; ++t) {
      const int32_t leaf = row_leaves[t * stride];
      if (leaf < 0) return true;
      const double w = t_.tree_weights.empty() ? 1.0 : t_.tree_weights[t];
      const double* v = &t_.trees[t].values[static_cast<size_t>(leaf) * K];
      if (t_.aggregate == ir::Aggregate::Vote) {
        size_t best = 0;
        for (size_t k = 1; k < K; ++k)
          if (v[k] > v[best]) best = k;
        const auto& labels = t_.trees[t].label;
        if (!labels.empty() && labels[static_cast<size_t>(leaf)] >= 0) best = static_cast<size_t>(labels[leaf]);
        acc_[best] += w;
      } else {
        for (size_t k = 0; k < K; ++k) {
          if (first) acc_[k] = v[k];
          else acc_[k] = t_.aggregate == ir::Aggregate::Max ? std::max(acc_[k], v[k]) : std::min(acc_[k], v[k]);
        }
      }
      first = false;
    }
    return false;
  }

 private:
  const ir::Model& m_;
  const ir::TreeEnsemble& t_;
  std::vector<double> scores_, acc_;
  std::vector<float> acc32_;
  std::vector<double> block64_;  // block rows x outputs: the sums tree by tree
  std::vector<float> block32_;
  std::vector<uint8_t> null_;  // block rows: a tree's prediction is missing
  TreeWalker walker_;
  std::vector<int32_t> leaves_;  // trees x block rows
  // One tree that is not a vote, with node labels (ir::Tree::label): the label per row.
  const bool node_labels_ = t_.trees.size() == 1 && t_.aggregate != ir::Aggregate::Vote && !t_.trees[0].label.empty();
  std::vector<int32_t> label_of_;
};

class ClusteringEval final : public EstimatorEval {
 public:
  ClusteringEval(const ir::Clustering& c) : c_(c) {}
  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows, F = x.columns.size();
    out.label.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      int32_t best = -1;
      double best_d = 0;
      for (int32_t k = 0; k < c_.k; ++k) {
        double d = 0;
        for (size_t f = 0; f < F; ++f) {
          const double diff = x.columns[f][r] - c_.centers[k * F + f];
          d += diff * diff;
        }
        if (std::isnan(d)) {
          best = -1;
          break;
        }
        if (best < 0 || d < best_d) {
          best = k;
          best_d = d;
        }
      }
      out.label[r] = best;
    }
  }

 private:
  const ir::Clustering& c_;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_tree_eval(const ir::Model& m, const ir::TreeEnsemble& t, const EvalOptions& o) {
  return std::make_unique<TreeEval>(m, t, o);
}
std::unique_ptr<EstimatorEval> make_clustering_eval(const ir::Model&, const ir::Clustering& c, const EvalOptions&) {
  return std::make_unique<ClusteringEval>(c);
}

}  // namespace mb::eval
