// Naive Bayes (ir::NaiveBayes), computed as e1071's predict.naiveBayes computes it in R:
// per class, log prior + the sum over non-missing features of log(density or table entry) with
// values <= eps replaced, the sum accumulated in extended precision as R's sum() does; then
// P(c) = 1 / sum_k exp(L_k - L_c).  Densities are R's dnorm().
#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "lib/eval/estimator_eval.hpp"

namespace mb::eval {
namespace {

[[noreturn]] void invalid(const std::string& what) { throw Error("", "estimator", "invalid naive Bayes: " + what); }

// R's dnorm(x, mu, sigma) (nmath/dnorm.c), not on the log scale.
double r_dnorm(double x, double mu, double sigma) {
  constexpr double k1SqrtTwoPi = 0.398942280401432677939946059934;
  if (std::isnan(x) || std::isnan(mu) || std::isnan(sigma)) return x + mu + sigma;
  if (sigma < 0) return std::nan("");
  if (!std::isfinite(sigma)) return 0.0;
  if (!std::isfinite(x) && mu == x) return std::nan("");
  if (sigma == 0) return x == mu ? HUGE_VAL : 0.0;
  x = (x - mu) / sigma;
  if (!std::isfinite(x)) return 0.0;
  x = std::fabs(x);
  if (x >= 2 * std::sqrt(DBL_MAX)) return 0.0;
  if (x < 5) return k1SqrtTwoPi * std::exp(-0.5 * x * x) / sigma;
  // sqrt(-2 ln 2 (DBL_MIN_EXP + 1 - DBL_MANT_DIG)): beyond it the density underflows.
  if (x > std::sqrt(-2 * M_LN2 * (DBL_MIN_EXP + 1 - DBL_MANT_DIG))) return 0.0;
  const double x1 = std::ldexp(std::nearbyint(std::ldexp(x, 16)), -16);
  const double x2 = x - x1;
  return k1SqrtTwoPi / sigma * (std::exp(-0.5 * x1 * x1) * std::exp((-0.5 * x2 - x1) * x2));
}

class BayesEval final : public EstimatorEval {
 public:
  BayesEval(const ir::Model& m, const ir::NaiveBayes& nb) : m_(m), nb_(nb) {
    const size_t F = m.features.size(), K = nb.log_prior.size();
    if (K < 1 || m.schema.target.classes.size() != K)
      invalid(fmt::format("{} priors for {} classes", K, m.schema.target.classes.size()));
    if (nb.gaussian.size() != F || nb.table_offset.size() != F)
      invalid("per-feature kinds or table offsets do not match the features");
    if (nb.mean.size() != K * F || nb.sd.size() != K * F) invalid("means and sds are not K x F");
    if (!nb.table_levels.empty() && nb.table_levels.size() != F) invalid("table levels do not match the features");
    levels_.assign(F, 0);
    for (size_t f = 0; f < F; ++f) {
      if (nb.gaussian[f]) continue;
      int64_t L = nb.table_levels.empty() ? 0 : nb.table_levels[f];
      if (L <= 0) invalid(fmt::format("feature {} has a table without levels", f));
      const int64_t off = nb.table_offset[f];
      if (off < 0 || off + L * static_cast<int64_t>(K) > static_cast<int64_t>(nb.table.size()))
        invalid(fmt::format("table of feature {} out of range", f));
      levels_[f] = L;
    }
    score_.resize(K);
  }

  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows, F = x.columns.size(), K = nb_.log_prior.size();
    out.label.resize(rows);
    out.prob.resize(rows * K);
    if (nb_.precision == ir::Precision::Float32) {
      score_ort(x, out);
      return;
    }
    for (size_t r = 0; r < rows; ++r) {
      bool bad = false;
      for (size_t k = 0; k < K; ++k) {
        long double sum = 0.0L;
        for (size_t f = 0; f < F; ++f) {
          const double v = x.columns[f][r];
          if (std::isnan(v)) continue;  // a missing predictor is left out
          double p;
          if (nb_.gaussian[f]) {
            double sd = nb_.sd[k * F + f];
            if (sd <= nb_.eps) sd = nb_.min_sd;
            p = r_dnorm(v, nb_.mean[k * F + f], sd);
          } else {
            if (!(v >= 0 && v < static_cast<double>(levels_[f])) || v != std::floor(v)) {
              bad = true;  // not a level of this table
              break;
            }
            p = nb_.table[nb_.table_offset[f] + k * levels_[f] + static_cast<int64_t>(v)];
          }
          if (p <= nb_.eps) p = nb_.min_probability;
          sum += std::log(p);
        }
        score_[k] = nb_.log_prior[k] + static_cast<double>(sum);
      }
      double* prob = &out.prob[r * K];
      if (bad) {
        out.label[r] = -1;
        for (size_t k = 0; k < K; ++k) prob[k] = std::nan("");
        continue;
      }
      bool some_nan = false;
      for (size_t k = 0; k < K; ++k) some_nan |= std::isnan(score_[k]);
      if (some_nan) {
        // A class without a standard deviation (one training row: sd NA) scores NA: R's
        // probabilities are all NA (the sum over classes is), its class the largest of the other
        // scores (which.max skips NA).
        int32_t best = -1;
        for (size_t k = 0; k < K; ++k)
          if (!std::isnan(score_[k]) && (best < 0 || score_[k] > score_[static_cast<size_t>(best)]))
            best = static_cast<int32_t>(k);
        out.label[r] = best;
        for (size_t k = 0; k < K; ++k) prob[k] = std::nan("");
        continue;
      }
      size_t best = 0;
      for (size_t k = 1; k < K; ++k)
        if (score_[k] > score_[best]) best = k;
      out.label[r] = static_cast<int32_t>(best);
      for (size_t c = 0; c < K; ++c) {
        if (score_[c] == -HUGE_VAL) {  // a zero probability (threshold 0): 0 unless every class has one
          prob[c] = score_[best] == -HUGE_VAL ? std::nan("") : 0.0;
          continue;
        }
        long double s = 0.0L;
        for (size_t k = 0; k < K; ++k) s += std::exp(score_[k] - score_[c]);
        prob[c] = 1 / static_cast<double>(s);
      }
    }
  }

 private:
  // Eigen's sum of n floats (onnxruntime's ReduceSum over the last axis) when the block starts
  // `phase` floats past a 16-byte boundary: 4-wide packets from the first aligned element (two
  // accumulators, then one more packet), the packet reduced as (p0 + p2) + (p1 + p3), then the
  // leading and the trailing elements in order.
  static float eigen_sum(const float* v, size_t n, size_t phase) {
    constexpr size_t P = 4;
    const size_t start = std::min(n, (P - phase % P) % P);
    const size_t size = ((n - start) / P) * P, size2 = ((n - start) / (2 * P)) * (2 * P);
    if (size == 0) {
      float res = v[0];
      for (size_t i = 1; i < n; ++i) res += v[i];
      return res;
    }
    float p0[P], p1[P];
    for (size_t j = 0; j < P; ++j) p0[j] = v[start + j];
    if (size > P) {
      for (size_t j = 0; j < P; ++j) p1[j] = v[start + P + j];
      for (size_t i = start + 2 * P; i < start + size2; i += 2 * P)
        for (size_t j = 0; j < P; ++j) {
          p0[j] += v[i + j];
          p1[j] += v[i + P + j];
        }
      for (size_t j = 0; j < P; ++j) p0[j] += p1[j];
      if (size > size2)
        for (size_t j = 0; j < P; ++j) p0[j] += v[start + size2 + j];
    }
    float res = (p0[0] + p0[2]) + (p0[1] + p0[3]);
    for (size_t i = 0; i < start; ++i) res += v[i];
    for (size_t i = start + size; i < n; ++i) res += v[i];
    return res;
  }

  // skl2onnx's GaussianNB graph in onnxruntime's float32 arithmetic (ir::NaiveBayes::precision).
  void score_ort(const FeatureColumns& x, Predictions& out) {
    const size_t rows = x.rows, F = x.columns.size(), K = nb_.log_prior.size();
    if (mean32_.empty()) {
      for (size_t i = 0; i < K * F; ++i) {
        mean32_.push_back(static_cast<float>(nb_.mean[i]));
        var32_.push_back(static_cast<float>(nb_.sd[i] * nb_.sd[i]));
      }
      terms_.resize(F);
      jll_.resize(K);
    }
    for (size_t r = 0; r < rows; ++r) {
      bool missing = false;
      for (size_t f = 0; f < F; ++f) missing |= std::isnan(x.columns[f][r]);
      double* prob = &out.prob[r * K];
      if (missing) {  // NaN through every class's sum
        out.label[r] = -1;
        for (size_t k = 0; k < K; ++k) prob[k] = std::nan("");
        continue;
      }
      const uint64_t row = x.first_row + r;
      for (size_t k = 0; k < K; ++k) {
        for (size_t f = 0; f < F; ++f) {
          const float d = static_cast<float>(x.columns[f][r]) - mean32_[k * F + f];
          terms_[f] = (d * d) / var32_[k * F + f];
        }
        const size_t phase = static_cast<size_t>(((row * K + k) * F) % 4);
        const float sum = eigen_sum(terms_.data(), F, phase);
        jll_[k] = static_cast<float>(nb_.log_prior[k]) + (static_cast<float>(nb_.log_norm[k]) - sum * 0.5f);
      }
      size_t best = 0;
      for (size_t k = 1; k < K; ++k)
        if (jll_[k] > jll_[best]) best = k;
      const float mx = jll_[best];
      float se = 0.0f;
      for (size_t k = 0; k < K; ++k) se += std::exp(jll_[k] - mx);
      const float lse = std::log(se) + mx;
      for (size_t k = 0; k < K; ++k) prob[k] = std::exp(jll_[k] - lse);
      out.label[r] = static_cast<int32_t>(best);
    }
  }

  const ir::Model& m_;
  const ir::NaiveBayes& nb_;
  std::vector<float> mean32_, var32_, terms_, jll_;
  std::vector<int64_t> levels_;
  std::vector<double> score_;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_bayes_eval(const ir::Model& m, const ir::NaiveBayes& nb, const EvalOptions&) {
  return std::make_unique<BayesEval>(m, nb);
}

}  // namespace mb::eval
