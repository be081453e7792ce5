// Linear and generalized linear models.
#include <cmath>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/links.hpp"

namespace mb::eval {
namespace {

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
          for (size_t r = 0; r < rows; ++r) acc32_[r] = std::fma(static_cast<float>(col[r]), c, acc32_[r]);
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
    scores_.resize(rows * n);
    for (size_t r = 0; r < rows; ++r) {
      size_t k = 0;
      if (l_.reference_class) scores_[r * n + k++] = 0.0;
      for (size_t t = 0; t < T; ++t) {
        double v = eta_[r * T + t];
        if (l_.transform != ir::ScoreTransform::Softmax) v = inverse_link(l_.link, v);
        scores_[r * n + k++] = v;
      }
    }
    finish_scores(m_, l_.transform, n, scores_, out);
  }

 private:
  const ir::Model& m_;
  const ir::Linear& l_;
  EvalOptions opts_;
  std::vector<double> eta_, acc_, scores_;
  std::vector<float> acc32_;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_linear_eval(const ir::Model& m, const ir::Linear& l, const EvalOptions& o) {
  return std::make_unique<LinearEval>(m, l, o);
}

}  // namespace mb::eval
