// The agreement rule of every cross-check (SPEC "Agreement rule").
//
//   a (ours) and b (the reference) agree when |a - b| <= atol + rtol * |b|, or both are missing
//   (NaN).  One missing and one present disagree.  Equal infinities agree; an infinity against
//   anything else disagrees.  Class labels agree when equal as text (both missing also agree).
#pragma once
#include <cmath>
#include <limits>
#include <string_view>

namespace mb::compare {

struct Tolerance {
  double rtol = 1e-9;
  double atol = 1e-12;
};

inline bool agree(double a, double b, const Tolerance& tol) {
  const bool ma = std::isnan(a), mb = std::isnan(b);
  if (ma || mb) return ma && mb;
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  return std::fabs(a - b) <= tol.atol + tol.rtol * std::fabs(b);
}

// |a - b|; 0 when both are missing or equal, +inf when exactly one is missing or an infinity is
// against something else.
inline double absolute_difference(double a, double b) {
  const bool ma = std::isnan(a), mb = std::isnan(b);
  if (ma || mb) return ma && mb ? 0.0 : std::numeric_limits<double>::infinity();
  if (a == b) return 0.0;
  if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<double>::infinity();
  return std::fabs(a - b);
}

// |a - b| / |b|; 0 when the values agree exactly, +inf when b is 0 and a is not.
inline double relative_difference(double a, double b) {
  const double d = absolute_difference(a, b);
  if (d == 0.0) return 0.0;
  if (std::isinf(d) || b == 0.0) return std::numeric_limits<double>::infinity();
  return d / std::fabs(b);
}

// How far beyond the tolerance a pair is: |a - b| / (atol + rtol * |b|).  <= 1 agrees (for
// finite values), +inf for a missing or infinite mismatch or for any difference under a zero
// tolerance.
inline double excess(double a, double b, const Tolerance& tol) {
  const double d = absolute_difference(a, b);
  if (d == 0.0) return 0.0;
  if (std::isinf(d)) return d;
  const double allowed = tol.atol + tol.rtol * std::fabs(b);
  if (allowed <= 0.0) return std::numeric_limits<double>::infinity();
  return d / allowed;
}

inline bool labels_agree(std::string_view a, std::string_view b) { return a == b; }

}  // namespace mb::compare
