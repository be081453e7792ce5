// Feed-forward networks (ir::Mlp): dense layers, or nnet's unit/connection list computed as
// nnet.c's fpass does (unit j sums value(source) * weight over its connections in order, then
// its activation; the clamped logistic is 0 below -15 and 1 above 15).
#include <fmt/format.h>

#include <cmath>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/ort_math.hpp"

namespace mb::eval {
namespace {

[[noreturn]] void invalid(const std::string& what) { throw Error("", "estimator", "invalid network: " + what); }

inline double activate(ir::Activation a, double s) {
  switch (a) {
    case ir::Activation::Identity: return s;
    case ir::Activation::Logistic: return 1.0 / (1.0 + std::exp(-s));
    case ir::Activation::LogisticClamped:
      if (s < -15.0) return 0.0;
      if (s > 15.0) return 1.0;
      return 1.0 / (1.0 + std::exp(-s));
    case ir::Activation::Tanh: return std::tanh(s);
    case ir::Activation::Relu: return std::isnan(s) ? s : (s > 0 ? s : 0.0);
    case ir::Activation::Softmax: return s;  // applied over the whole layer
  }
  return s;
}

void softmax(double* v, size_t n) {
  if (n == 0) return;
  double mx = v[0];
  for (size_t i = 1; i < n; ++i) mx = std::max(mx, v[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (v[i] = std::exp(v[i] - mx));
  for (size_t i = 0; i < n; ++i) v[i] /= sum;
}

class MlpEval final : public EstimatorEval {
 public:
  MlpEval(const ir::Model& m, const ir::Mlp& n) : m_(m), n_(n) {
    const size_t F = m.features.size();
    if (n.n_outputs < 1) invalid("no outputs");
    const size_t n_out = static_cast<size_t>(n.n_outputs);
    if (!n.conn_offset.empty()) {
      const size_t units = n.unit_activation.size();
      if (n.conn_offset.size() != units + 1) invalid("connection offsets do not match the units");
      if (units < 1 + F + n_out) invalid("fewer units than bias, features and outputs");
      if (n.conn_source.size() != n.conn_weights.size() ||
          n.conn_offset.back() != static_cast<int32_t>(n.conn_weights.size()) || n.conn_offset[0] != 0)
        invalid("connection lists differ in length");
      for (size_t j = 0; j < units; ++j) {
        if (n.conn_offset[j + 1] < n.conn_offset[j]) invalid("connection offsets decrease");
        if (j <= F && n.conn_offset[j + 1] != n.conn_offset[j]) invalid("the bias and feature units take no inputs");
        for (int32_t i = n.conn_offset[j]; i < n.conn_offset[j + 1]; ++i)
          if (n.conn_source[i] < 0 || static_cast<size_t>(n.conn_source[i]) >= j)
            invalid(fmt::format("unit {} reads unit {}, which does not come before it", j, n.conn_source[i]));
        if (n.unit_activation[j] == ir::Activation::Softmax) invalid("softmax is not a unit activation");
      }
      units_.resize(units);
    } else {
      if (n.layers.empty()) invalid("no layers");
      size_t in = F, widest = F;
      for (size_t l = 0; l < n.layers.size(); ++l) {
        const auto& L = n.layers[l];
        if (L.n_units < 1 || L.weights.size() != static_cast<size_t>(L.n_units) * in ||
            L.biases.size() != static_cast<size_t>(L.n_units))
          invalid(fmt::format("layer {} has {} weights and {} biases for {} units x {} inputs", l, L.weights.size(),
                              L.biases.size(), L.n_units, in));
        in = static_cast<size_t>(L.n_units);
        widest = std::max(widest, in);
      }
      if (in != n_out) invalid(fmt::format("the last layer has {} units for {} outputs", in, n_out));
      a_.resize(widest);
      b_.resize(widest);
      if (n.precision == ir::Precision::Float32) {
        a32_.resize(widest);
        b32_.resize(widest);
        size_t in2 = F;
        for (const auto& L : n.layers) {
          w32_.emplace_back(L.weights.begin(), L.weights.end());
          b32s_.emplace_back(L.biases.begin(), L.biases.end());
          stride_.push_back(mlas_sgemm_stride_k(static_cast<size_t>(L.n_units), in2));
          in2 = static_cast<size_t>(L.n_units);
        }
      }
    }
    if (m.schema.target.task == ir::Task::Classification) {
      const size_t K = m.schema.target.classes.size();
      const bool ok = n.transform == ir::ScoreTransform::Binary ? (K == 2 && n_out == 1) : n_out == K;
      if (!ok) invalid(fmt::format("{} outputs for {} classes", n_out, K));
    }
  }

  void score(const FeatureColumns& x, Predictions& out) override {
    const size_t rows = x.rows, F = x.columns.size(), n_out = static_cast<size_t>(n_.n_outputs);
    scores_.resize(rows * n_out);
    for (size_t r = 0; r < rows; ++r) {
      double* s = &scores_[r * n_out];
      if (!n_.conn_offset.empty()) {
        const size_t units = units_.size();
        units_[0] = 1.0;
        for (size_t f = 0; f < F; ++f) units_[1 + f] = x.columns[f][r];
        for (size_t j = 1 + F; j < units; ++j) {
          double sum = 0.0;
          for (int32_t i = n_.conn_offset[j]; i < n_.conn_offset[j + 1]; ++i)
            sum += units_[n_.conn_source[i]] * n_.conn_weights[i];
          units_[j] = activate(n_.unit_activation[j], sum);
        }
        for (size_t k = 0; k < n_out; ++k) s[k] = units_[units - n_out + k];
      } else if (n_.precision == ir::Precision::Float32) {
        float32_pass(x, r, s, n_out);
      } else {
        for (size_t f = 0; f < F; ++f) a_[f] = x.columns[f][r];
        size_t in = F;
        for (const auto& L : n_.layers) {
          const size_t nu = static_cast<size_t>(L.n_units);
          for (size_t u = 0; u < nu; ++u) {
            double sum = L.biases[u];
            const double* w = &L.weights[u * in];
            for (size_t i = 0; i < in; ++i) sum += w[i] * a_[i];
            b_[u] = activate(L.activation, sum);
          }
          if (L.activation == ir::Activation::Softmax) softmax(b_.data(), nu);
          std::swap(a_, b_);
          in = nu;
        }
        for (size_t k = 0; k < n_out; ++k) s[k] = a_[k];
      }
    }
    finish_scores(m_, n_.transform, n_out, scores_, out);
  }

 private:
  // onnxruntime's float32 layers (Mlp::precision Float32, read from MatMul/Add/activation graphs):
  // MatMul as MLAS's SGEMM (fused multiply-adds from 0 in input order), the bias added in float32,
  // Relu, Sigmoid as MLAS's logistic, Tanh and Softmax (expf, max subtracted) in float32.
  void float32_pass(const FeatureColumns& x, size_t r, double* s, size_t n_out) {
    const size_t F = x.columns.size();
    for (size_t f = 0; f < F; ++f) a32_[f] = static_cast<float>(x.columns[f][r]);
    size_t in = F;
    for (size_t l = 0; l < n_.layers.size(); ++l) {
      const auto& L = n_.layers[l];
      const size_t nu = static_cast<size_t>(L.n_units);
      const float* w = w32_[l].data();
      for (size_t u = 0; u < nu; ++u) {
        float v = mlas_sgemm_dot([&](size_t i) { return a32_[i]; }, [&](size_t i) { return w[u * in + i]; }, in,
                                 stride_[l], 1.0f, false, 0.0f);
        v = v + b32s_[l][u];
        switch (L.activation) {
          case ir::Activation::Relu: v = std::isnan(v) ? v : (v > 0.0f ? v : 0.0f); break;
          case ir::Activation::Logistic: v = mlas_logistic(v); break;
          case ir::Activation::LogisticClamped: v = v < -15.0f ? 0.0f : (v > 15.0f ? 1.0f : mlas_logistic(v)); break;
          case ir::Activation::Tanh: v = std::tanh(v); break;
          default: break;
        }
        b32_[u] = v;
      }
      if (L.activation == ir::Activation::Softmax) ort_softmax(b32_.data(), nu);
      std::swap(a32_, b32_);
      in = nu;
    }
    for (size_t k = 0; k < n_out; ++k) s[k] = a32_[k];
  }

  const ir::Model& m_;
  const ir::Mlp& n_;
  std::vector<double> units_, a_, b_, scores_;
  std::vector<float> a32_, b32_;
  std::vector<std::vector<float>> w32_, b32s_;
  std::vector<size_t> stride_;
};

}  // namespace

std::unique_ptr<EstimatorEval> make_mlp_eval(const ir::Model& m, const ir::Mlp& n, const EvalOptions&) {
  return std::make_unique<MlpEval>(m, n);
}

}  // namespace mb::eval
