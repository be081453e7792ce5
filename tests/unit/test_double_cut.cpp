// ir::double_cut (lib/ir/double_cut.hpp): the double `x < at` cut that R's rpart and gbm compare
// with must decide every double as the model's own test does (ir::split_direction, float32
// rounding of x and the threshold included).  Checked on values exactly at, just beside and far
// from each threshold: the floats around it, the double midpoints between adjacent floats (where
// round-to-nearest-even decides), the doubles next to those, the cut itself and its neighbours,
// the extremes (FLT_MAX, 2^128, DBL_MAX, infinities, zeros, subnormals) and random doubles.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <ios>
#include <limits>
#include <random>
#include <vector>

#include "lib/ir/double_cut.hpp"
#include "lib/ir/split.hpp"

using namespace mb;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInfF = std::numeric_limits<float>::infinity();

// The model's decision: the input narrowed first when the input is float32, then the test.
bool model_decides(ir::SplitOp op, double x, double thr, bool f32_compare, bool f32_input) {
  static const ir::Tree no_sets;
  if (f32_input) x = static_cast<double>(static_cast<float>(x));
  return ir::split_direction(no_sets, op, x, thr, 0, 0, f32_compare) == 1;
}

bool cut_decides(const ir::DoubleCut& c, double x) { return (x < c.at) == c.true_below; }

void add_around(std::vector<double>& xs, double v) {
  if (std::isnan(v)) return;
  xs.push_back(v);
  double lo = v, hi = v;
  for (int i = 0; i < 3; ++i) {
    lo = std::nextafter(lo, -kInf);
    hi = std::nextafter(hi, kInf);
    xs.push_back(lo);
    xs.push_back(hi);
  }
}

std::vector<double> probes(double thr, const ir::DoubleCut& c) {
  std::vector<double> xs;
  add_around(xs, thr);
  add_around(xs, c.at);
  const float tf = static_cast<float>(thr);
  float f = tf;
  for (int i = 0; i < 3; ++i) f = std::nextafter(f, -kInfF);
  for (int i = 0; i < 7; ++i, f = std::nextafter(f, kInfF)) {
    add_around(xs, f);
    const float g = std::nextafter(f, kInfF);
    if (std::isfinite(f) && std::isfinite(g)) add_around(xs, static_cast<double>(f) + (static_cast<double>(g) - f) / 2);
  }
  for (double v : {0.0, -0.0, kInf, -kInf, DBL_MAX, -DBL_MAX, static_cast<double>(FLT_MAX),
                   -static_cast<double>(FLT_MAX), 0x1p128, -0x1p128, 0x1p128 - 0x1p103, -(0x1p128 - 0x1p103),
                   static_cast<double>(FLT_TRUE_MIN), static_cast<double>(FLT_TRUE_MIN) / 2, DBL_TRUE_MIN, 1.0, -1.0})
    add_around(xs, v);
  return xs;
}

const ir::SplitOp kOps[] = {ir::SplitOp::LessThan, ir::SplitOp::LessOrEqual, ir::SplitOp::GreaterThan,
                            ir::SplitOp::GreaterOrEqual};

int check_threshold(double thr) {
  int failures = 0;
  for (ir::SplitOp op : kOps)
    for (int mode = 0; mode < 4; ++mode) {
      const bool f32_compare = mode & 1, f32_input = mode & 2;
      const auto c = ir::double_cut(op, thr, f32_compare, f32_input);
      REQUIRE(c.has_value());
      for (double x : probes(thr, *c))
        if (model_decides(op, x, thr, f32_compare, f32_input) != cut_decides(*c, x)) {
          if (++failures <= 5)
            FAIL_CHECK("op " << static_cast<int>(op) << " thr " << std::hexfloat << thr << " x " << x << " f32 compare "
                             << f32_compare << " f32 input " << f32_input << " cut " << c->at << " below "
                             << c->true_below);
        }
    }
  return failures;
}

}  // namespace

TEST_CASE("double_cut: the smallest double rounding to a float32 value") {
  // 1 + 2^-24 is the midpoint between 1 and the next float; ties go to even (1), so the first
  // double rounding to 1 + 2^-23 is the one after the midpoint.
  CHECK(ir::first_double_rounding_to(1.0f + 0x1p-23f) == std::nextafter(1.0 + 0x1p-24, kInf));
  // Below 1 the spacing halves; the midpoint between 1 - 2^-24 and 1 rounds to 1 (even).
  CHECK(ir::first_double_rounding_to(1.0f) == 1.0 - 0x1p-25);
  CHECK(ir::first_double_rounding_to(kInfF) == 0x1p128 - 0x1p103);
  CHECK(ir::first_double_rounding_to(-kInfF) == -kInf);
  CHECK(static_cast<float>(ir::first_double_rounding_to(-FLT_MAX)) == -FLT_MAX);
  CHECK(std::isinf(static_cast<float>(std::nextafter(ir::first_double_rounding_to(-FLT_MAX), -kInf))));
}

TEST_CASE("double_cut: double tests") {
  // x <= t is x < the next double; x > t is !(x < the next double).
  CHECK(*ir::double_cut(ir::SplitOp::LessOrEqual, 2.5, false, false) == ir::DoubleCut{std::nextafter(2.5, kInf), true});
  CHECK(*ir::double_cut(ir::SplitOp::GreaterThan, 2.5, false, false) ==
        ir::DoubleCut{std::nextafter(2.5, kInf), false});
  CHECK(*ir::double_cut(ir::SplitOp::LessThan, 2.5, false, false) == ir::DoubleCut{2.5, true});
  CHECK(*ir::double_cut(ir::SplitOp::GreaterOrEqual, 2.5, false, false) == ir::DoubleCut{2.5, false});
  CHECK(!ir::double_cut(ir::SplitOp::Equal, 2.5, false, false));
  CHECK(!ir::double_cut(ir::SplitOp::InSet, 2.5, false, false));
}

TEST_CASE("double_cut: float32 tests (onnxruntime compares float(x) <= float threshold)") {
  // The float32 threshold 0.1f: every double that rounds to it or below goes left.
  const float t = 0.1f;
  const auto c = *ir::double_cut(ir::SplitOp::LessOrEqual, t, true, false);
  CHECK(c.true_below);
  CHECK(static_cast<float>(std::nextafter(c.at, -kInf)) == t);
  CHECK(static_cast<float>(c.at) == std::nextafter(t, kInfF));
  // A double threshold compared in float32 is first rounded to the nearest float.
  CHECK(*ir::double_cut(ir::SplitOp::LessOrEqual, 0.1, true, false) == c);
}

TEST_CASE("double_cut: every probe decides as the model") {
  int failures = 0;
  for (double thr : {0.0,
                     -0.0,
                     1.0,
                     -1.0,
                     0.1,
                     -0.1,
                     2.5,
                     1e-40,
                     -1e-40,
                     1e-300,
                     1e39,
                     -1e39,
                     1e308,
                     static_cast<double>(FLT_MAX),
                     -static_cast<double>(FLT_MAX),
                     0x1p128 - 0x1p103,
                     std::nextafter(0x1p128 - 0x1p103, -kInf),
                     DBL_MAX,
                     -DBL_MAX,
                     kInf,
                     -kInf,
                     static_cast<double>(FLT_TRUE_MIN),
                     static_cast<double>(FLT_MIN),
                     16777217.0,
                     0.30000001192092896,
                     std::numeric_limits<double>::quiet_NaN()})
    failures += check_threshold(thr);
  std::mt19937_64 rng(20261202);
  std::uniform_int_distribution<uint64_t> bits;
  for (int i = 0; i < 3000; ++i) {
    double thr;
    if (i % 3 == 0) {  // a float32 value
      const uint32_t b = static_cast<uint32_t>(bits(rng));
      float f;
      std::memcpy(&f, &b, sizeof f);
      thr = f;
    } else if (i % 3 == 1) {  // a double of moderate size
      thr = std::ldexp(static_cast<double>(bits(rng) >> 11) / 0x1p53 - 0.5, static_cast<int>(bits(rng) % 80) - 40);
    } else {  // any double
      const uint64_t b = bits(rng);
      std::memcpy(&thr, &b, sizeof thr);
    }
    failures += check_threshold(thr);
  }
  CHECK(failures == 0);
}
