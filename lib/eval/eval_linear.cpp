// Linear and generalized linear models.
#include <cmath>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/links.hpp"
#include "lib/eval/ort_math.hpp"
#include "lib/util/error.hpp"

namespace mb::eval {
namespace {

// acc[r] = fma(float(col[r]), c, acc[r]) for every row.  A fused multiply-add is exact whatever
// computes it, so the FMA instructions (when the processor has them) give the same floats as
// the library's std::fma, without a call per row.
void fma_column_generic(float* acc, const double* col, float c, size_t rows) {
  for (size_t r = 0; r < rows; ++r) acc[r] = std::fma(static_cast<float>(col[r]), c, acc[r]);
}
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("fma"))) void fma_column_fma(float* acc, const double* col, float c, size_t rows) {
  for (size_t r = 0; r < rows; ++r) acc[r] = __builtin_fmaf(static_cast<float>(col[r]), c, acc[r]);
}
void fma_column(float* acc, const double* col, float c, size_t rows) {
  static const bool has_fma = __builtin_cpu_supports("fma");
  if (has_fma) fma_column_fma(acc, col, c, rows);
  else fma_column_generic(acc, col, c, rows);
}
#else
void fma_column(float* acc, const double* col, float c, size_t rows) { fma_column_generic(acc, col, c, rows); }
#endif

class LinearEval final : public EstimatorEval {
 public:
  LinearEval(const ir::Model& m, const ir::Linear& l, const EvalOptions& o) : m_(m), l_(l), opts_(o) {}

  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows, F = x.columns.size(), T = l_.n_targets;
    const size_t n = T + (l_.reference_class ? 1 : 0);
    eta_.assign(rows * T, 0.0);
    const bool f32 = l_.precision == ir::Precision::Float32;
    for (size_t t = 0; t < T; ++t) {
      // Column-at-a-time accumulation in the parameters' precision.
      if (f32) {
        // onnxruntime's float GEMM (MLAS on FMA hardware): products fused into a float sum that
        // starts at 0, in feature order; the bias is added last.
        acc32_.assign(rows, 0.0f);
        for (size_t f = 0; f < F; ++f) {
          const float c = static_cast<float>(l_.coefficients[t * F + f]);
          const double* col = x.columns[f];
          if (static_cast<int>(f) == l_.offset_feature) continue;
          fma_column(acc32_.data(), col, c, rows);
        }
        const float b = static_cast<float>(l_.intercepts[t]);
        for (size_t r = 0; r < rows; ++r) eta_[r * T + t] = acc32_[r] + b;
      } else {
        acc_.assign(rows, l_.intercepts[t]);
        for (size_t f = 0; f < F; ++f) {
          if (static_cast<int>(f) == l_.offset_feature) continue;
          const double c = l_.coefficients[t * F + f];
          const double* col = x.columns[f];
          for (size_t r = 0; r < rows; ++r) acc_[r] += c * col[r];
        }
        for (size_t r = 0; r < rows; ++r) eta_[r * T + t] = acc_[r];
      }
      if (l_.offset_feature >= 0) {
        const double* off = x.columns[l_.offset_feature];
        for (size_t r = 0; r < rows; ++r) eta_[r * T + t] += off[r];
      }
    }
    if (opts_.want_link && T == 1) out.link.assign(eta_.begin(), eta_.end());
    if (l_.output.operator_rules() && m_.schema.target.task == ir::Task::Classification) {
      ort_scores(rows, T, out);
      return;
    }
    if (l_.output.operator_rules() && l_.output.post == ir::PostTransform::Probit) {
      // onnxruntime's LinearRegressor: probit of the float32 score (NaN outside (0, 1)).
      for (double& v : eta_) v = ort_probit(static_cast<float>(v));
    }
    scores_.resize(rows * n);
    for (size_t r = 0; r < rows; ++r) {
      size_t k = 0;
      if (l_.reference_class) scores_[r * n + k++] = 0.0;
      for (size_t t = 0; t < T; ++t) {
        double v = eta_[r * T + t];
        if (l_.transform != ir::ScoreTransform::Softmax) v = inverse_link(l_.link, v, l_.link_power);
        scores_[r * n + k++] = v;
      }
    }
    finish_scores(m_, l_.transform, n, scores_, out);
  }

 private:
  // onnxruntime's LinearClassifier after its GEMM (ir::Linear's Operator output stage, lib/ir/output.hpp), in float32.
  void ort_scores(size_t rows, size_t T, Predictions& out) {
    const size_t K = m_.schema.target.classes.size();
    const bool binary = l_.output.layout == ir::ScoreLayout::Complement;
    const size_t ref = l_.reference_class ? 1 : 0;
    if (!binary && (K != T + ref || K > kMaxClasses))
      throw Error("", "estimator", "class scores do not match the classes");
    scores_.assign(rows * K, 0.0);
    labels_.assign(rows, -1);
    float z[kMaxClasses];
    for (size_t r = 0; r < rows; ++r) {
      int32_t label = 0;
      if (binary) {
        const float s = static_cast<float>(eta_[r]);
        label = s > 0 ? 1 : 0;
        // One score row: onnxruntime's binary path applies ml_common's mirrored logistic (std::exp),
        // not MLAS's batched approximation, which it uses for several score columns.
        const float p = l_.output.post == ir::PostTransform::Logistic ? ort_logistic(s) : s;
        z[0] = 1.0f - p;
        z[1] = p;
      } else {
        if (ref) z[0] = 0.0f;
        for (size_t t = 0; t < T; ++t) z[t + ref] = static_cast<float>(eta_[r * T + t]);
        for (size_t k = 1; k < K; ++k)
          if (z[k] > z[label]) label = static_cast<int32_t>(k);
        if (l_.output.post == ir::PostTransform::Logistic)
          for (size_t k = 0; k < K; ++k) z[k] = mlas_logistic(z[k]);
        else if (l_.output.post == ir::PostTransform::Softmax) ort_softmax(z, K);
      }
      if (l_.output.l1_normalize) {
        float sum = 0.0f;
        for (size_t k = 0; k < K; ++k) sum += std::fabs(z[k]);
        if (sum != 0.0f)
          for (size_t k = 0; k < K; ++k) z[k] /= sum;
      }
      bool missing = false;
      for (size_t k = 0; k < K; ++k) {
        scores_[r * K + k] = z[k];
        missing |= std::isnan(z[k]);
      }
      labels_[r] = missing ? -1 : label;
    }
    finish_scores(m_, ir::ScoreTransform::None, K, scores_, out);
    for (size_t r = 0; r < rows; ++r) out.label[r] = labels_[r];
  }

  static constexpr size_t kMaxClasses = 256;
  const ir::Model& m_;
  const ir::Linear& l_;
  EvalOptions opts_;
  std::vector<double> eta_, acc_, scores_;
  std::vector<float> acc32_;
  std::vector<int32_t> labels_;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_linear_eval(const ir::Model& m, const ir::Linear& l, const EvalOptions& o) {
  return std::make_unique<LinearEval>(m, l, o);
}

}  // namespace mb::eval
