// Double cuts for float32 and double node tests (double_cut.hpp, docs/precision.md).
#include "lib/ir/double_cut.hpp"

#include <cmath>
#include <limits>

namespace mb::ir {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInfF = std::numeric_limits<float>::infinity();

// The down-set {x : R(x) < g} as `x < at`; nullopt when it holds every double (only possible
// for <= tests, handled by the callers).  R is the rounding to float32 when `f32`, else none.
double below_lt(double g, bool f32) { return f32 ? first_double_rounding_to(static_cast<float>(g)) : g; }

// {x : R(x) <= g} as `x < at`, or nullopt for every double (g = +inf).
std::optional<double> below_le(double g, bool f32) {
  if (g == kInf) return std::nullopt;
  if (!f32) return std::nextafter(g, kInf);
  return first_double_rounding_to(std::nextafter(static_cast<float>(g), kInfF));
}

}  // namespace

double first_double_rounding_to(float f) {
  if (f == -kInfF) return -kInf;
  // Between the float below f (lo) and f (hi) every double rounds to the nearer one; the midpoint
  // (exact in double: two adjacent floats differ in their 24th significant bit) rounds to the one
  // with an even significand.  Beyond FLT_MAX the next "float" is 2^128 (rounding gives +inf).
  const double hi = f == kInfF ? 0x1p128 : static_cast<double>(f);
  const float below = std::nextafter(f, -kInfF);
  const double lo = below == -kInfF ? -0x1p128 : static_cast<double>(below);
  const double mid = lo + (hi - lo) / 2;
  return static_cast<float>(mid) >= f ? mid : std::nextafter(mid, kInf);
}

std::optional<DoubleCut> double_cut(SplitOp op, double thr, bool float32_compare, bool float32_input) {
  if (op != SplitOp::LessThan && op != SplitOp::LessOrEqual && op != SplitOp::GreaterThan &&
      op != SplitOp::GreaterOrEqual)
    return std::nullopt;
  const DoubleCut never{-kInf, true}, always{-kInf, false};
  if (std::isnan(thr)) return never;  // every comparison with NaN is false
  const bool f32 = float32_compare || float32_input;
  // The threshold the rounded x is compared with, as a float32 value when x is rounded: with
  // float32 comparisons, thr rounded to nearest; with a double thr and a rounded x, the float32
  // values on either side of thr (R(x) < thr iff R(x) < the smallest float >= thr; R(x) <= thr
  // iff R(x) <= the largest float <= thr).
  double lt_g = thr, le_g = thr;
  if (float32_compare) {
    lt_g = le_g = static_cast<float>(thr);
  } else if (float32_input) {
    float up = static_cast<float>(thr), down = up;
    if (static_cast<double>(up) < thr) up = std::nextafter(up, kInfF);
    if (static_cast<double>(down) > thr) down = std::nextafter(down, -kInfF);
    lt_g = up;
    le_g = down;
  }
  switch (op) {
    case SplitOp::LessThan: return DoubleCut{below_lt(lt_g, f32), true};
    case SplitOp::GreaterOrEqual: return DoubleCut{below_lt(lt_g, f32), false};
    case SplitOp::LessOrEqual: {
      const auto at = below_le(le_g, f32);
      return at ? DoubleCut{*at, true} : always;
    }
    case SplitOp::GreaterThan: {
      const auto at = below_le(le_g, f32);
      return at ? DoubleCut{*at, false} : never;
    }
    default: return std::nullopt;
  }
}

}  // namespace mb::ir
