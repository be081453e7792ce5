// onnxruntime's float32 post-transforms, shared by the evaluators of models read from ai.onnx.ml
// operators.  Its ml_common.h (tree operators): mirrored logistic, max-subtracted softmax,
// softmax over non-zero scores, Winitzki's probit; also a binary LinearClassifier's LOGISTIC (one
// score column).  Its MLAS (LinearClassifier's LOGISTIC over several score columns): the
// odd/even rational approximation of the logistic that Eigen also uses, on inputs clamped to
// [-18, 18], multiply-adds fused as on FMA hardware, result clamped to [0, 1].
#pragma once
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
