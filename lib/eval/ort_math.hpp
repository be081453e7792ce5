// onnxruntime's float32 post-transforms, shared by the evaluators of models read from ai.onnx.ml
// operators.  Its ml_common.h (tree operators): mirrored logistic, max-subtracted softmax,
// softmax over non-zero scores, Winitzki's probit; also a binary LinearClassifier's LOGISTIC (one
// score column).  Its MLAS (LinearClassifier's LOGISTIC over several score columns): the
// odd/even rational approximation of the logistic that Eigen also uses, on inputs clamped to
// [-18, 18], multiply-adds fused as on FMA hardware, result clamped to [0, 1]; its tanh likewise.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace mb::eval {

inline float ort_logistic(float v) {
  const float e = 1.0f / (1.0f + std::exp(-std::fabs(v)));
  return v < 0 ? 1.0f - e : e;
}

inline float mlas_logistic(float x) {
  if (std::isnan(x)) return x;
  x = x < -18.0f ? -18.0f : x > 18.0f ? 18.0f : x;
  const float x2 = x * x;
  float p = std::fma(x2, 4.37031012579801e-11f, 1.15627324459942e-07f);
  p = std::fma(p, x2, 6.08574864600143e-05f);
  p = std::fma(p, x2, 8.51377133304701e-03f);
  p = std::fma(p, x2, 2.48287947061529e-01f);
  p = p * x;
  float q = std::fma(x2, 6.10247389755681e-13f, 5.76102136993427e-09f);
  q = std::fma(q, x2, 6.29106785017040e-06f);
  q = std::fma(q, x2, 1.70198817374094e-03f);
  q = std::fma(q, x2, 1.16817656904453e-01f);
  q = std::fma(q, x2, 9.93151921023180e-01f);
  const float v = p / q + 0.5f;
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

// MLAS's tanh (MlasComputeTanh: SVMClassifier's and SVMRegressor's SIGMOID kernel): Eigen's odd/even
// rational approximation on inputs clamped to [-9, 9], multiply-adds fused as on FMA hardware.
inline float mlas_tanh(float x) {
  if (std::isnan(x)) return x;
  x = x < -9.0f ? -9.0f : x > 9.0f ? 9.0f : x;
  const float x2 = x * x;
  float p = std::fma(x2, -2.76076847742355e-16f, 2.00018790482477e-13f);
  p = std::fma(p, x2, -8.60467152213735e-11f);
  p = std::fma(p, x2, 5.12229709037114e-08f);
  p = std::fma(p, x2, 1.48572235717979e-05f);
  p = std::fma(p, x2, 6.37261928875436e-04f);
  p = std::fma(p, x2, 4.89352455891786e-03f);
  p = p * x;
  float q = std::fma(x2, 1.19825839466702e-06f, 1.18534705686654e-04f);
  q = std::fma(q, x2, 2.26843463243900e-03f);
  q = std::fma(q, x2, 4.89352518554385e-03f);
  return p / q;
}

inline float ort_erfinv(float x) {
  const float sgn = x < 0 ? -1.0f : 1.0f;
  x = (1 - x) * (1 + x);
  const float lg = std::log(x);
  const float v = 2 / (static_cast<float>(M_PI) * 0.147f) + 0.5f * lg;
  const float v2 = 1 / (0.147f) * lg;
  const float v3 = -v + std::sqrt(v * v - v2);
  return sgn * std::sqrt(v3);
}

inline float ort_probit(float p) { return static_cast<float>(M_SQRT2) * ort_erfinv(2 * p - 1); }

// ml_common.h's multiclass_probability (libsvm's pairwise coupling) in float32: r is k x k
// (r[i*k+j] = P(i | i or j)), p receives k probabilities; q and qp are scratch (k*k, k).
inline void ort_multiclass_probability(size_t k, const float* r, float* p, float* q, float* qp) {
  const float eps = 0.005f / static_cast<float>(k);
  for (size_t i = 0; i < k * k; ++i) q[i] = 0.0f;
  for (size_t i = 0; i < k; ++i) {
    p[i] = 1.0f / static_cast<float>(k);
    for (size_t j = 0; j < i; ++j) {
      q[i * k + i] += r[j * k + i] * r[j * k + i];
      q[i * k + j] = q[j * k + i];
    }
    for (size_t j = i + 1; j < k; ++j) {
      q[i * k + i] += r[j * k + i] * r[j * k + i];
      q[i * k + j] = -r[j * k + i] * r[i * k + j];
    }
  }
  for (int loop = 0; loop < 100; ++loop) {
    float pqp = 0;
    for (size_t i = 0; i < k; ++i) {
      qp[i] = 0;
      for (size_t j = 0; j < k; ++j) qp[i] += q[i * k + j] * p[j];
      pqp += p[i] * qp[i];
    }
    float max_error = 0;
    for (size_t i = 0; i < k; ++i) {
      const float error = std::fabs(qp[i] - pqp);
      if (error > max_error) max_error = error;
    }
    if (max_error < eps) break;
    for (size_t i = 0; i < k; ++i) {
      const float diff = (-qp[i] + pqp) / q[i * k + i];
      p[i] += diff;
      pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
      for (size_t j = 0; j < k; ++j) {
        qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

// MLAS's SGEMM stride along K for C[M x N] = A[M x K] . B[K x N] (A not transposed): the
// product of one output is a chain of fused multiply-adds from 0 over each block of this many
// K values; the blocks' sums are then added to the output in order.
inline size_t mlas_sgemm_stride_k(size_t n, size_t k) {
  size_t stride_n = 128, stride_k = 128;
  if (n >= k) {
    while (stride_k / 2 >= k) {
      stride_n *= 2;
      stride_k /= 2;
    }
  } else {
    while (stride_n > 16 && stride_n / 2 >= n) {
      stride_k *= 2;
      stride_n /= 2;
    }
  }
  return stride_k;
}

// One output of MLAS's SGEMM (several rows, as onnxruntime runs a batch): alpha * sum_k a_k b_k
// (+ c when `has_c`, beta 1), each K block a fused multiply-add chain from 0, scaled by alpha
// and added to the output with one fused multiply-add (or multiplied by alpha in zero mode).
template <typename A, typename B>
inline float mlas_sgemm_dot(const A& a, const B& b, size_t k, size_t stride_k, float alpha, bool has_c, float c) {
  float out = has_c ? c : 0.0f;
  bool zero = !has_c;
  for (size_t k0 = 0; k0 < k; k0 += stride_k) {
    const size_t k1 = std::min(k, k0 + stride_k);
    float acc = 0.0f;
    for (size_t i = k0; i < k1; ++i) acc = std::fma(static_cast<float>(a(i)), static_cast<float>(b(i)), acc);
    out = zero ? acc * alpha : std::fma(acc, alpha, out);
    zero = false;
  }
  return out;
}

template <typename T>
void ort_softmax(T* s, size_t n) {
  float v_max = -std::numeric_limits<float>::max();
  for (size_t i = 0; i < n; ++i)
    if (static_cast<float>(s[i]) > v_max) v_max = static_cast<float>(s[i]);
  float sum = 0.f;
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<T>(std::exp(static_cast<float>(s[i]) - v_max));
    sum += static_cast<float>(s[i]);
  }
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<T>(static_cast<float>(s[i]) / sum);
}

template <typename T>
void ort_softmax_zero(T* s, size_t n) {
  float v_max = -std::numeric_limits<float>::max();
  for (size_t i = 0; i < n; ++i)
    if (static_cast<float>(s[i]) > v_max) v_max = static_cast<float>(s[i]);
  const float exp_neg_v_max = std::exp(-v_max);
  float sum = 0.f;
  for (size_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(s[i]);
    if (v > 0.0000001f || v < -0.0000001f) {
      s[i] = static_cast<T>(std::exp(v - v_max));
      sum += static_cast<float>(s[i]);
    } else {
      s[i] = static_cast<T>(s[i] * static_cast<T>(exp_neg_v_max));
    }
  }
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<T>(s[i] / static_cast<T>(sum));
}

}  // namespace mb::eval
