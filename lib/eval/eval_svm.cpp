// Support vector machines (ir::Svm), computed in the order libsvm 3.x (as bundled with e1071)
// computes them: kernel values per support vector, pairwise decision values (class i's terms,
// then class j's, minus rho), Platt probabilities clamped to [1e-7, 1 - 1e-7] and, for more than
// two classes, the iterative pairwise coupling of multiclass_probability (Wu, Lin and Weng,
// method 2; at most max(100, K) sweeps, stop when max |Qp - pQp| < 0.005 / K); or kernlab's
// unclamped probabilities coupled by couple()'s "minpair" linear solve (ir::SvmCoupling).
#include <fmt/format.h>

#include <cmath>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/ort_math.hpp"

namespace mb::eval {
namespace {

[[noreturn]] void invalid(const std::string& what) { throw Error("", "estimator", "invalid svm: " + what); }

// libsvm's powi: integer power by repeated squaring.
double powi(double base, int times) {
  double tmp = base, ret = 1.0;
  for (int t = times; t > 0; t /= 2) {
    if (t % 2 == 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

class SvmEval final : public EstimatorEval {
 public:
  SvmEval(const ir::Model& m, const ir::Svm& s) : m_(m), s_(s) {
    const size_t F = m.features.size(), n = static_cast<size_t>(s.n_sv);
    if (s.n_sv < 1 || s.support_vectors.size() != n * F)
      invalid(fmt::format("{} support-vector values for {} vectors x {} features", s.support_vectors.size(), n, F));
    classification_ = m.schema.target.task == ir::Task::Classification;
    if (s.one_vs_rest) {
      k_ = s.class_order.size();
      if (!classification_ || k_ < 2 || s.coefficients.size() != k_ * n || s.rho.size() != k_)
        invalid("one-against-all machines are not one coefficient row and one rho per class");
      for (int32_t c : s.class_order)
        if (c < 0 || static_cast<size_t>(c) >= m.schema.target.classes.size()) invalid("class index out of range");
    } else if (classification_) {
      const size_t k = s.sv_per_class.size();
      if (k < 2) invalid("a classifier needs two classes");
      size_t total = 0;
      for (int32_t c : s.sv_per_class) {
        if (c < 0) invalid("negative support-vector count");
        total += static_cast<size_t>(c);
      }
      if (total != n) invalid("support-vector counts do not add up");
      if (s.coefficients.size() != (k - 1) * n) invalid("coefficients are not (K-1) x n_sv");
      if (s.rho.size() != k * (k - 1) / 2) invalid("rho is not one value per pair of classes");
      if (!s.prob_a.empty() && (s.prob_a.size() != s.rho.size() || s.prob_b.size() != s.rho.size()))
        invalid("Platt parameters are not one pair per pair of classes");
      if (s.class_order.size() != k) invalid("class order does not match the classes");
      for (int32_t c : s.class_order)
        if (c < 0 || static_cast<size_t>(c) >= m.schema.target.classes.size()) invalid("class index out of range");
      k_ = k;
      start_.resize(k);
      for (size_t i = 1; i < k; ++i) start_[i] = start_[i - 1] + static_cast<size_t>(s.sv_per_class[i - 1]);
      dec_.resize(s.rho.size());
      votes_.resize(k);
      p_.resize(k);
      r_.resize(k * k);
      q_.resize(k * k);
      qp_.resize(k);
      if (!s.prob_a.empty() && s.coupling != ir::SvmCoupling::Libsvm) {
        // couple()'s minpair: the places of its upper and lower triangles in column-major order.
        for (size_t c = 0; c < k; ++c)
          for (size_t r = 0; r < c; ++r) upper_.push_back(r * k + c);
        for (size_t c = 0; c < k; ++c)
          for (size_t r = c + 1; r < k; ++r) lower_.push_back(r * k + c);
        sq_.resize((k + 1) * (k + 1));
        x_.resize(k + 1);
      }
    } else {
      if (s.coefficients.size() != n || s.rho.size() != 1) invalid("regression needs n_sv coefficients and one rho");
    }
    if (s.kernel == ir::Kernel::Polynomial && !(s.degree >= 0 && s.degree <= 1e6))
      invalid("polynomial degree out of range");
    degree_ = static_cast<int>(s.degree);
    row_.resize(F);
    kvalue_.resize(n);
    if (s.output.operator_rules()) {
      row32_.resize(F);
      k32_.resize(n);
      sv32_.resize(s.support_vectors.size());
      for (size_t i = 0; i < sv32_.size(); ++i) sv32_[i] = static_cast<float>(s.support_vectors[i]);
      coef32_.resize(s.coefficients.size());
      for (size_t i = 0; i < coef32_.size(); ++i) coef32_[i] = static_cast<float>(s.coefficients[i]);
      stride_kernel_ = mlas_sgemm_stride_k(n, F);
      stride_sum_ = mlas_sgemm_stride_k(1, n);
      r32_.resize(k_ * k_);
      p32_.resize(k_);
      q32_.resize(k_ * k_);
      qp32_.resize(k_);
    }
  }

  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows, F = x.columns.size(), n = static_cast<size_t>(s_.n_sv);
    const size_t K = m_.schema.target.classes.size();
    if (classification_) {
      out.label.resize(rows);
      out.prob.resize(rows * K);
    } else {
      out.value.resize(rows);
    }
    for (size_t r = 0; r < rows; ++r) {
      bool missing = false;
      for (size_t f = 0; f < F; ++f) missing |= std::isnan(row_[f] = x.columns[f][r]);
      if (missing) {
        if (classification_) {
          out.label[r] = -1;
          for (size_t k = 0; k < K; ++k) out.prob[r * K + k] = std::nan("");
        } else {
          out.value[r] = std::nan("");
        }
        continue;
      }
      if (s_.output.operator_rules()) {
        score_ort(r, out);
        continue;
      }
      for (size_t i = 0; i < n; ++i) kvalue_[i] = kernel(&s_.support_vectors[i * F], F);
      if (!classification_) {
        double sum = 0;
        for (size_t i = 0; i < n; ++i) sum += s_.coefficients[i] * kvalue_[i];
        sum -= s_.rho[0];
        out.value[r] = sum * s_.scale + s_.center;
        continue;
      }
      if (s_.one_vs_rest) classify_one_vs_rest(&out.prob[r * K], K, out.label[r]);
      else classify(&out.prob[r * K], out.label[r]);
    }
  }

 private:
  // onnxruntime's SVMClassifier / SVMRegressor on the row in row_ (ir::Svm's Operator output stage).
  void score_ort(size_t r, Predictions& out) {
    const size_t F = row_.size(), n = static_cast<size_t>(s_.n_sv);
    for (size_t f = 0; f < F; ++f) row32_[f] = static_cast<float>(row_[f]);
    const float gamma = static_cast<float>(s_.gamma), coef0 = static_cast<float>(s_.coef0);
    const float degree = static_cast<float>(s_.degree);
    for (size_t i = 0; i < n; ++i) {
      const float* sv = &sv32_[i * F];
      float k = 0.0f;
      if (s_.kernel == ir::Kernel::Radial) {
        float sum = 0.0f;
        for (size_t f = 0; f < F; ++f) {
          const float d = row32_[f] - sv[f];
          sum += d * d;
        }
        k = std::exp(-gamma * sum);
      } else {
        const bool linear = s_.kernel == ir::Kernel::Linear;
        k = mlas_sgemm_dot([&](size_t f) { return row32_[f]; }, [&](size_t f) { return sv[f]; }, F, stride_kernel_,
                           linear ? 1.0f : gamma, !linear && coef0 != 0.0f, coef0);
        if (s_.kernel == ir::Kernel::Polynomial) {
          if (degree == 2.0f) k = k * k;
          else if (degree == 3.0f) k = k * k * k;
          else k = std::pow(k, degree);
        } else if (s_.kernel == ir::Kernel::Sigmoid) {
          k = mlas_tanh(k);
        }
      }
      k32_[i] = k;
    }
    if (!classification_) {
      const float rho = static_cast<float>(-s_.rho[0]);
      out.value[r] = mlas_sgemm_dot([&](size_t i) { return k32_[i]; }, [&](size_t i) { return coef32_[i]; }, n,
                                    stride_sum_, 1.0f, true, rho);
      return;
    }
    const size_t k = k_, K = m_.schema.target.classes.size();
    std::fill(votes_.begin(), votes_.end(), 0);
    std::vector<float> dec(s_.rho.size());
    size_t p = 0;
    for (size_t i = 0; i < k; ++i)
      for (size_t j = i + 1; j < k; ++j) {
        double sum = 0;
        const float* coef1 = &coef32_[(j - 1) * n];
        const float* coef2 = &coef32_[i * n];
        for (size_t t = 0; t < static_cast<size_t>(s_.sv_per_class[i]); ++t)
          sum += coef1[start_[i] + t] * k32_[start_[i] + t];
        for (size_t t = 0; t < static_cast<size_t>(s_.sv_per_class[j]); ++t)
          sum += coef2[start_[j] + t] * k32_[start_[j] + t];
        sum += static_cast<float>(-s_.rho[p]);
        dec[p] = static_cast<float>(sum);
        ++votes_[sum > 0 ? i : j];
        ++p;
      }
    size_t best = 0;
    for (size_t i = 1; i < k; ++i)
      if (votes_[i] > votes_[best]) best = i;
    double* prob = &out.prob[r * K];
    for (size_t c = 0; c < K; ++c) prob[c] = 0.0;
    if (s_.output.layout == ir::ScoreLayout::Decisions) {
      // The operator's score output: [-f, f] for two classes, else one decision value per pair.
      if (p == 1) {
        prob[0] = -dec[0];
        prob[1] = dec[0];
      } else {
        for (size_t c = 0; c < p && c < K; ++c) prob[c] = dec[c];
      }
    } else if (s_.output.layout == ir::ScoreLayout::OneVsRest) {
      one_vs_rest_scores(dec.data(), prob);
    } else if (s_.prob_a.empty()) {
      for (size_t i = 0; i < k; ++i) prob[s_.class_order[i]] = static_cast<double>(votes_[i]) / static_cast<double>(p);
    } else {
      std::fill(r32_.begin(), r32_.end(), 0.0f);
      p = 0;
      for (size_t i = 0; i < k; ++i)
        for (size_t j = i + 1; j < k; ++j, ++p) {
          const float val = dec[p] * static_cast<float>(s_.prob_a[p]) + static_cast<float>(s_.prob_b[p]);
          float v = 1 - ort_logistic(val);
          v = std::max(v, 1.0e-7f);
          v = std::min(v, 1 - 1.0e-7f);
          r32_[i * k + j] = v;
          r32_[j * k + i] = 1 - v;
        }
      ort_multiclass_probability(k, r32_.data(), p32_.data(), q32_.data(), qp32_.data());
      for (size_t i = 0; i < k; ++i) prob[s_.class_order[i]] = p32_[i];
    }
    out.label[r] = s_.class_order[best];
  }

  // scikit-learn's one-vs-rest decision_function from the pairwise decision values, in float32
  // as onnxruntime computes skl2onnx's graph of it (ir::ScoreLayout::OneVsRest): per class the
  // signed decision values of its pairs summed in pair order (Sum, left to right), its votes, then
  // votes + s / ((|s| + 1) * 3), every operation rounded to float32.
  void one_vs_rest_scores(const float* dec, double* prob) const {
    const size_t k = k_;
    for (size_t c = 0; c < k; ++c) {
      float s = 0.0f, v = 0.0f;
      bool first = true;
      size_t p = 0;
      for (size_t i = 0; i < k; ++i)
        for (size_t j = i + 1; j < k; ++j, ++p) {
          if (i != c && j != c) continue;
          const float term = i == c ? dec[p] : -dec[p];
          s = first ? term : s + term;
          first = false;
          const float vote = dec[p] < 0.0f ? 1.0f : 0.0f;  // Cast(Less(d, 0)): a vote for j
          v += i == c ? 1.0f - vote : vote;
        }
      const float scale = (std::fabs(s) + 1.0f) * 3.0f;
      const float q = s / scale;
      prob[c] = static_cast<double>(v + q);
    }
  }

  double kernel(const double* sv, size_t F) const {
    switch (s_.kernel) {
      case ir::Kernel::Linear: return dot(sv, F);
      case ir::Kernel::Polynomial: return powi(s_.gamma * dot(sv, F) + s_.coef0, degree_);
      case ir::Kernel::Sigmoid: return std::tanh(s_.gamma * dot(sv, F) + s_.coef0);
      case ir::Kernel::Radial: {
        double sum = 0;
        for (size_t f = 0; f < F; ++f) {
          const double d = row_[f] - sv[f];
          sum += d * d;
        }
        return std::exp(-s_.gamma * sum);
      }
    }
    return 0;
  }
  double dot(const double* sv, size_t F) const {
    double sum = 0;
    for (size_t f = 0; f < F; ++f) sum += row_[f] * sv[f];
    return sum;
  }

  void classify_one_vs_rest(double* prob, size_t K, int32_t& label) {
    const size_t n = static_cast<size_t>(s_.n_sv);
    size_t best = 0;
    double best_f = 0;
    bool nan = false;
    for (size_t k = 0; k < k_; ++k) {
      double sum = 0;
      const double* coef = &s_.coefficients[k * n];
      for (size_t i = 0; i < n; ++i) sum += coef[i] * kvalue_[i];
      sum -= s_.rho[k];
      nan |= std::isnan(sum);
      if (k == 0 || (s_.max_wins ? sum > best_f : sum < best_f)) {
        best = k;
        best_f = sum;
      }
    }
    std::fill(prob, prob + K, 0.0);
    label = s_.class_order[best];
    prob[label] = 1;
    if (nan) {
      label = -1;
      std::fill(prob, prob + K, std::nan(""));
    }
  }

  void classify(double* prob, int32_t& label) {
    const size_t k = k_, n = static_cast<size_t>(s_.n_sv);
    std::fill(votes_.begin(), votes_.end(), 0);
    size_t p = 0;
    for (size_t i = 0; i < k; ++i)
      for (size_t j = i + 1; j < k; ++j) {
        double sum = 0;
        const double* coef1 = &s_.coefficients[(j - 1) * n];
        const double* coef2 = &s_.coefficients[i * n];
        for (size_t t = 0; t < static_cast<size_t>(s_.sv_per_class[i]); ++t)
          sum += coef1[start_[i] + t] * kvalue_[start_[i] + t];
        for (size_t t = 0; t < static_cast<size_t>(s_.sv_per_class[j]); ++t)
          sum += coef2[start_[j] + t] * kvalue_[start_[j] + t];
        sum -= s_.rho[p];
        dec_[p] = sum;
        ++votes_[dec_[p] > 0 ? i : j];
        ++p;
      }
    const size_t K = m_.schema.target.classes.size();
    for (size_t c = 0; c < K; ++c) prob[c] = 0.0;
    size_t best = 0;
    if (!s_.prob_a.empty() && s_.coupling != ir::SvmCoupling::Libsvm) {
      minpair();
      if (s_.coupling == ir::SvmCoupling::Kernlab) {
        for (size_t i = 1; i < k; ++i)
          if (votes_[i] > votes_[best]) best = i;
      } else {
        for (size_t i = 1; i < k; ++i)
          if (p_[i] > p_[best]) best = i;
        double sum = 0;
        bool negative = false;
        for (size_t i = 0; i < k; ++i) {
          negative |= p_[i] < 0;
          sum += std::max(p_[i], 0.0);
        }
        if (negative)
          for (size_t i = 0; i < k; ++i) p_[i] = std::max(p_[i], 0.0) / sum;
      }
      for (size_t i = 0; i < k; ++i) prob[s_.class_order[i]] = p_[i];
    } else if (s_.prob_a.empty()) {
      for (size_t i = 1; i < k; ++i)
        if (votes_[i] > votes_[best]) best = i;
      for (size_t i = 0; i < k; ++i) prob[s_.class_order[i]] = static_cast<double>(votes_[i]) / static_cast<double>(p);
    } else {
      const double min_prob = 1e-7;
      p = 0;
      for (size_t i = 0; i < k; ++i)
        for (size_t j = i + 1; j < k; ++j) {
          const double v = std::min(std::max(sigmoid(dec_[p], s_.prob_a[p], s_.prob_b[p]), min_prob), 1 - min_prob);
          r_[i * k + j] = v;
          r_[j * k + i] = 1 - v;
          ++p;
        }
      if (k == 2) {
        p_[0] = r_[0 * k + 1];
        p_[1] = r_[1 * k + 0];
      } else {
        couple();
      }
      for (size_t i = 1; i < k; ++i)
        if (p_[i] > p_[best]) best = i;
      for (size_t i = 0; i < k; ++i) prob[s_.class_order[i]] = p_[i];
    }
    label = s_.class_order[best];
  }

  static double sigmoid(double dec, double a, double b) {
    const double f = dec * a + b;
    if (f >= 0) return std::exp(-f) / (1.0 + std::exp(-f));
    return 1.0 / (1 + std::exp(f));
  }

  // kernlab's predict.ksvm probabilities from dec_ (ir::SvmCoupling::Kernlab): each pair's
  // 1 - .SigmoidPredict(kernlab's decision value -dec, A, -B), coupled by couple()'s minpair; the
  // result in p_.
  void minpair() {
    const size_t k = k_, n1 = k + 1, P = dec_.size();
    std::fill(r_.begin(), r_.end(), 0.0);  // M
    std::fill(sq_.begin(), sq_.end(), 0.0);
    for (size_t p = 0; p < P; ++p) {
      const double f = -(dec_[p] * s_.prob_a[p] + s_.prob_b[p]);  // kernlab's deci * A + B
      const double sig = f >= 0 ? std::exp(-f) / (1 + std::exp(-f)) : 1 / (1 + std::exp(f));
      const double r = 1 - sig;
      r_[upper_[p]] = r;
      r_[lower_[p]] = 1 - r;
      const double w = -r * (1 - r);
      sq_[upper_[p] / k * n1 + upper_[p] % k] = w;
      sq_[lower_[p] / k * n1 + lower_[p] % k] = w;
    }
    for (size_t c = 0; c < k; ++c) {
      double sum = 0;
      for (size_t i = 0; i < k; ++i) sum += r_[i * k + c] * r_[i * k + c];
      sq_[c * n1 + c] = sum;
      sq_[c * n1 + k] = 1;
      sq_[k * n1 + c] = 1;
      x_[c] = 0;
    }
    x_[k] = 1;
    // Gaussian elimination with partial pivoting (LAPACK dgesv's row choice: the first largest
    // magnitude), then back substitution.
    for (size_t c = 0; c < n1; ++c) {
      size_t piv = c;
      for (size_t i = c + 1; i < n1; ++i)
        if (std::fabs(sq_[i * n1 + c]) > std::fabs(sq_[piv * n1 + c])) piv = i;
      if (piv != c) {
        for (size_t j = 0; j < n1; ++j) std::swap(sq_[c * n1 + j], sq_[piv * n1 + j]);
        std::swap(x_[c], x_[piv]);
      }
      const double d = sq_[c * n1 + c];
      for (size_t i = c + 1; i < n1; ++i) {
        const double l = sq_[i * n1 + c] / d;
        if (l == 0) continue;
        for (size_t j = c + 1; j < n1; ++j) sq_[i * n1 + j] -= l * sq_[c * n1 + j];
        x_[i] -= l * x_[c];
      }
    }
    for (size_t c = n1; c-- > 0;) {
      double v = x_[c];
      for (size_t j = c + 1; j < n1; ++j) v -= sq_[c * n1 + j] * x_[j];
      x_[c] = v / sq_[c * n1 + c];
    }
    double sum = 0;
    for (size_t i = 0; i < k; ++i) sum += x_[i];
    for (size_t i = 0; i < k; ++i) p_[i] = x_[i] / sum;
  }

  // libsvm multiclass_probability on r_ (k x k), result in p_.
  void couple() {
    const size_t k = k_;
    const int max_iter = std::max(100, static_cast<int>(k));
    const double eps = 0.005 / static_cast<double>(k);
    auto Q = [&](size_t a, size_t b) -> double& { return q_[a * k + b]; };
    auto R = [&](size_t a, size_t b) { return r_[a * k + b]; };
    for (size_t t = 0; t < k; ++t) {
      p_[t] = 1.0 / static_cast<double>(k);
      Q(t, t) = 0;
      for (size_t j = 0; j < t; ++j) {
        Q(t, t) += R(j, t) * R(j, t);
        Q(t, j) = Q(j, t);
      }
      for (size_t j = t + 1; j < k; ++j) {
        Q(t, t) += R(j, t) * R(j, t);
        Q(t, j) = -R(j, t) * R(t, j);
      }
    }
    for (int iter = 0; iter < max_iter; ++iter) {
      double pqp = 0;
      for (size_t t = 0; t < k; ++t) {
        qp_[t] = 0;
        for (size_t j = 0; j < k; ++j) qp_[t] += Q(t, j) * p_[j];
        pqp += p_[t] * qp_[t];
      }
      double max_error = 0;
      for (size_t t = 0; t < k; ++t) {
        const double error = std::fabs(qp_[t] - pqp);
        if (error > max_error) max_error = error;
      }
      if (max_error < eps) break;
      for (size_t t = 0; t < k; ++t) {
        const double diff = (-qp_[t] + pqp) / Q(t, t);
        p_[t] += diff;
        pqp = (pqp + diff * (diff * Q(t, t) + 2 * qp_[t])) / (1 + diff) / (1 + diff);
        for (size_t j = 0; j < k; ++j) {
          qp_[j] = (qp_[j] + diff * Q(t, j)) / (1 + diff);
          p_[j] /= (1 + diff);
        }
      }
    }
  }

  const ir::Model& m_;
  const ir::Svm& s_;
  bool classification_ = false;
  size_t k_ = 0;
  int degree_ = 3;
  std::vector<size_t> start_;
  std::vector<int> votes_;
  std::vector<double> row_, kvalue_, dec_, p_, r_, q_, qp_;
  // kernlab's minpair: places of the triangles in M (k x k), the system and its solution
  std::vector<size_t> upper_, lower_;
  std::vector<double> sq_, x_;
  // Operator output stage (onnxruntime's float32 rules)
  std::vector<float> row32_, k32_, sv32_, coef32_, r32_, p32_, q32_, qp32_;
  size_t stride_kernel_ = 128, stride_sum_ = 128;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_svm_eval(const ir::Model& m, const ir::Svm& s, const EvalOptions&) {
  return std::make_unique<SvmEval>(m, s);
}

}  // namespace mb::eval
