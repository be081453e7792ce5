// Node tests as one double comparison `x < at` (R's rpart and gbm, which send x < split one way
// and everything else the other): the cut that decides every double input as the model does,
// float32 rounding included.  docs/precision.md "Thresholds for R" gives the reasoning.
#pragma once
#include <optional>

#include "lib/ir/estimators.hpp"

namespace mb::ir {

// A test on a present (non-NaN) double x that is true exactly when `x < at` (true_below) or
// exactly when `!(x < at)` (!true_below).  A test true for every x is {-inf, false}; one true
// for none is {-inf, true}.
struct DoubleCut {
  double at = 0;
  bool true_below = true;
  bool operator==(const DoubleCut&) const = default;
};

// The cut equal, for every non-NaN double x, to the evaluator's decision of a node test `op`
// with threshold `thr` (lib/ir/split.hpp): with `float32_compare` (the ensemble's thresholds are
// float32) x and thr are both rounded to float32 and compared there, as onnxruntime compares
// float(x) with a float32 threshold; with `float32_input` (an input narrowed to float32 before
// use) x is rounded to float32 and compared, as a double, with thr.  Rounding is IEEE
// round-to-nearest-even, as a C++ cast does.  nullopt for tests that are not one comparison
// (Equal and NotEqual hold an interval; InSet; Leaf).
std::optional<DoubleCut> double_cut(SplitOp op, double thr, bool float32_compare, bool float32_input);

// The smallest double x whose float32 rounding is >= f (f not NaN); -inf for f = -inf.  Every
// double below it rounds below f.
double first_double_rounding_to(float f);

}  // namespace mb::ir
