// Tree ensembles read from onnxruntime's ai.onnx.ml tree operators, scored with the runtime's own
// arithmetic (an output stage with ir::Arithmetic::Operator, see lib/ir/output.hpp): sums per output in tree order
// in the operator's value type, base values and averaging after the sum, the post-transforms of
// ml_common.h in float32, the binary classifier layouts and labels of onnxruntime 1.30, and the
// operator output rounded to float32 where the operator declares a float output.  What follows
// the operator in the graph (the IR's link and transform) is applied in double afterwards.
#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/links.hpp"
#include "lib/eval/ort_math.hpp"
#include "lib/eval/tree_walk.hpp"

namespace mb::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class OrtTreeEval final : public EstimatorEval {
 public:
  OrtTreeEval(const ir::Model& m, const ir::TreeEnsemble& t, const EvalOptions& o)
      : m_(m),
        t_(t),
        walker_(
            t, [this](const ir::Tree& tr, const FeatureColumns& x, size_t r) { return leaf(tr, x, r); }, true,
            o.share_layouts) {
    const size_t K = t_.n_outputs;
    classifier_ = t_.output.label == ir::LabelRule::RawScores;
    n_classes_ = classifier_ ? m_.schema.target.classes.size() : K;
    // Operator output columns: a binary classifier always writes two.
    out_cols_ = classifier_ ? n_classes_ : K;
    float_output_ = t_.output.output_precision == ir::Precision::Float32;
    for (const auto& tr : t_.trees)
      for (size_t n = 0; n < tr.op.size(); ++n)
        if (tr.op[n] == ir::SplitOp::Leaf)
          for (size_t k = 0; k < K; ++k) all_positive_ &= !(tr.values[n * K + k] < 0);
  }

  int32_t leaf(const ir::Tree& tr, const FeatureColumns& x, size_t r) const {
    const bool f32 = t_.threshold_precision == ir::Precision::Float32;
    int32_t n = 0;
    while (tr.op[n] != ir::SplitOp::Leaf) {
      double v = x.columns[tr.feature[n]][r];
      double thr = tr.threshold[n];
      if (std::isnan(v)) {
        n = tr.missing[n] == ir::MissingGo::Left ? tr.left[n] : tr.right[n];
        continue;
      }
      if (f32) {
        v = static_cast<float>(v);
        thr = static_cast<float>(thr);
      }
      bool go = false;
      switch (tr.op[n]) {
        case ir::SplitOp::LessThan: go = v < thr; break;
        case ir::SplitOp::LessOrEqual: go = v <= thr; break;
        case ir::SplitOp::GreaterThan: go = v > thr; break;
        case ir::SplitOp::GreaterOrEqual: go = v >= thr; break;
        case ir::SplitOp::Equal: go = v == thr; break;
        case ir::SplitOp::NotEqual: go = v != thr; break;
        default: go = false; break;
      }
      n = go ? tr.left[n] : tr.right[n];
    }
    return n;
  }

  // `leaves`: the leaf of tree t for this row at leaves[t * stride].  `sums`: when not null, the
  // row's per-output sums over the trees in tree order, already added (Sum and Average).
  template <typename T>
  void row(const int32_t* leaves, size_t stride, const T* sums, double* z, int32_t& label) {
    const size_t K = t_.n_outputs, NT = t_.trees.size();
    T acc[kMaxStack];
    T* a = K <= kMaxStack ? acc : reinterpret_cast<T*>(heap_.data());
    for (size_t k = 0; k < K; ++k) a[k] = sums ? sums[k] : 0;
    for (size_t t = 0; t < NT && !sums; ++t) {
      const ir::Tree& tr = t_.trees[t];
      const double* v = &tr.values[static_cast<size_t>(leaves[t * stride]) * K];
      for (size_t k = 0; k < K; ++k) {
        const T w = static_cast<T>(v[k]);
        switch (t_.aggregate) {
          case ir::Aggregate::Max: a[k] = (t == 0 || w > a[k]) ? w : a[k]; break;
          case ir::Aggregate::Min: a[k] = (t == 0 || w < a[k]) ? w : a[k]; break;
          default: a[k] += w; break;
        }
      }
    }
    const auto post = t_.output.post;
    const auto layout = t_.output.layout;
    const auto& base = t_.base;
    T s[kMaxStack];
    T* o = out_cols_ <= kMaxStack ? s : reinterpret_cast<T*>(heap_.data()) + K;
    if (!classifier_) {
      if (K == 1) {
        T val = a[0];
        if (t_.aggregate == ir::Aggregate::Average) val /= static_cast<T>(NT);
        if (base.size() == 1) val += static_cast<T>(base[0]);
        o[0] = post == ir::PostTransform::Probit ? static_cast<T>(ort_probit(static_cast<float>(val))) : val;
      } else {
        for (size_t k = 0; k < K; ++k) {
          T val = a[k];
          if (t_.aggregate == ir::Aggregate::Average) val /= static_cast<T>(NT);
          if (base.size() == K) val += static_cast<T>(base[k]);
          o[k] = val;
        }
        transform(o, K, post);
      }
    } else if (layout == ir::ScoreLayout::PerOutput) {
      for (size_t k = 0; k < K; ++k) o[k] = a[k] + (k < base.size() ? static_cast<T>(base[k]) : T(0));
      size_t best = 0;
      for (size_t k = 1; k < K; ++k)
        if (o[k] > o[best]) best = k;
      label = static_cast<int32_t>(best);
      transform(o, K, post);
    } else if (layout == ir::ScoreLayout::TwoScores) {
      // Both classes carry weights (onnxruntime's "binary as multiclass").
      if (base.size() == 2) {
        o[1] = static_cast<T>(base[1]) + a[0];
        o[0] = -o[1];
      } else {
        o[0] = a[0] + (base.size() == 1 ? static_cast<T>(base[0]) : T(0));
        o[1] = a[1];
      }
      label = o[1] > 0 ? 1 : 0;
      transform(o, 2, post);
    } else if (layout == ir::ScoreLayout::OneScoreClass1) {
      // One score column holding class 1's weights: [0, s], the post-transform on both.
      const T sc = a[0];
      label = (all_positive_ ? sc > T(0.5) : sc > 0) ? 1 : 0;
      o[0] = 0;
      o[1] = sc;
      transform(o, 2, post);
    } else {
      // One score column (class 0's weights): the positive-class score.
      T sc = a[0];
      if (base.size() == 2) {
        sc += static_cast<T>(base[0]);
        label = (all_positive_ ? sc > T(0.5) : sc > 0) ? 1 : 0;
        o[0] = sc;
        o[1] = 0;  // class 1 has no score
        transform(o, 2, post);
      } else {
        if (base.size() == 1) sc += static_cast<T>(base[0]);
        label = (all_positive_ ? sc > T(0.5) : sc > 0) ? 1 : 0;
        if (post == ir::PostTransform::Probit) {
          o[0] = static_cast<T>(ort_probit(static_cast<float>(sc)));
          o[1] = 0;
        } else if (post == ir::PostTransform::Logistic) {
          o[1] = static_cast<T>(ort_logistic(static_cast<float>(sc)));
          o[0] = static_cast<T>(ort_logistic(static_cast<float>(-sc)));
        } else if (all_positive_) {
          o[0] = T(1) - sc;
          o[1] = sc;
        } else {
          o[0] = -sc;
          o[1] = sc;
        }
      }
    }
    for (size_t k = 0; k < out_cols_; ++k) {
      double v = static_cast<double>(o[k]);
      if (float_output_) v = static_cast<float>(v);
      z[k] = ir::Link::Identity == t_.link ? v : inverse_link(t_.link, v);
    }
  }

  template <typename T>
  void block_sums(size_t n, std::vector<T>& sums) const {
    const size_t K = t_.n_outputs;
    sums.assign(n * K, T(0));
    for (size_t t = 0; t < t_.trees.size(); ++t) {
      const double* values = t_.trees[t].values.data();
      const int32_t* leaves = &leaves_[t * n];
      if (K == 1) {
        for (size_t i = 0; i < n; ++i) sums[i] += static_cast<T>(values[leaves[i]]);
      } else {
        for (size_t i = 0; i < n; ++i) {
          const double* v = &values[static_cast<size_t>(leaves[i]) * K];
          for (size_t k = 0; k < K; ++k) sums[i * K + k] += static_cast<T>(v[k]);
        }
      }
    }
  }

  template <typename T>
  static void transform(T* o, size_t n, ir::PostTransform post) {
    switch (post) {
      case ir::PostTransform::Probit:
        for (size_t k = 0; k < n; ++k) o[k] = static_cast<T>(ort_probit(static_cast<float>(o[k])));
        break;
      case ir::PostTransform::Logistic:
        for (size_t k = 0; k < n; ++k) o[k] = static_cast<T>(ort_logistic(static_cast<float>(o[k])));
        break;
      case ir::PostTransform::Softmax: ort_softmax(o, n); break;
      case ir::PostTransform::SoftmaxZero: ort_softmax_zero(o, n); break;
      case ir::PostTransform::None: break;
    }
  }

  size_t batch_rows() const override { return walker_.block_rows(); }

  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows;
    scores_.assign(rows * out_cols_, 0.0);
    labels_.assign(rows, -1);
    heap_.resize(t_.n_outputs + out_cols_ + 2);
    const bool f32 = t_.value_precision == ir::Precision::Float32;
    leaves_.resize(t_.trees.size() * walker_.block_rows());
    // Sums are added tree by tree over the block (each tree's values stay in cache), in tree order
    // for every row as the row-by-row sum adds them: the same numbers.
    const bool sum = t_.aggregate != ir::Aggregate::Max && t_.aggregate != ir::Aggregate::Min;
    const size_t K = t_.n_outputs;
    for (size_t r0 = 0; r0 < rows; r0 += walker_.block_rows()) {
      const size_t n = std::min(walker_.block_rows(), rows - r0);
      walker_.leaves(x, r0, n, leaves_.data());
      if (sum && f32) block_sums<float>(n, sums32_);
      if (sum && !f32) block_sums<double>(n, sums64_);
      for (size_t i = 0; i < n; ++i) {
        const size_t r = r0 + i;
        if (f32) row<float>(&leaves_[i], n, sum ? &sums32_[i * K] : nullptr, &scores_[r * out_cols_], labels_[r]);
        else row<double>(&leaves_[i], n, sum ? &sums64_[i * K] : nullptr, &scores_[r * out_cols_], labels_[r]);
      }
    }
    finish_scores(m_, t_.transform, out_cols_, scores_, out, t_.class_cutoffs);
    if (classifier_ && m_.schema.target.task == ir::Task::Classification && t_.transform == ir::ScoreTransform::None)
      for (size_t r = 0; r < rows; ++r) {
        bool missing = false;
        for (size_t k = 0; k < out_cols_; ++k) missing |= std::isnan(scores_[r * out_cols_ + k]);
        out.label[r] = missing ? -1 : labels_[r];
      }
  }

 private:
  static constexpr size_t kMaxStack = 64;
  const ir::Model& m_;
  const ir::TreeEnsemble& t_;
  bool classifier_ = false, all_positive_ = true, float_output_ = false;
  size_t n_classes_ = 0, out_cols_ = 0;
  std::vector<double> scores_;
  std::vector<double> heap_;  // scratch for more than kMaxStack outputs (doubles: room for either type)
  std::vector<int32_t> labels_;
  TreeWalker walker_;
  std::vector<int32_t> leaves_;  // trees x block rows
  std::vector<float> sums32_;    // block rows x outputs
  std::vector<double> sums64_;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_tree_ort_eval(const ir::Model& m, const ir::TreeEnsemble& t, const EvalOptions& o) {
  return std::make_unique<OrtTreeEval>(m, t, o);
}

}  // namespace mb::eval
