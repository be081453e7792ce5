// What a node test does with a present value: the one definition the evaluator and the canonical
// form share (lib/eval/eval_tree.cpp, lib/canon/tree_canon.cpp).
#pragma once
#include <climits>
#include <cstdint>

#include "lib/ir/estimators.hpp"

namespace mb::ir {

// 1 = true (the left child for a primary split), 0 = false, -1 = no direction (an InSet code
// listed on neither side of a two-sided set, treated like a missing value).  Thresholds held in
// float32 compare in float32, as a runtime with float thresholds does after casting its input.
// InSet reads the value as an integer code (truncated).
inline int split_direction(const Tree& tree, SplitOp op, double x, double thr, int32_t set_off, int32_t set_size,
                           bool float32) {
  if (float32) {
    x = static_cast<float>(x);
    thr = static_cast<float>(thr);
  }
  switch (op) {
    case SplitOp::LessThan: return x < thr;
    case SplitOp::LessOrEqual: return x <= thr;
    case SplitOp::GreaterThan: return x > thr;
    case SplitOp::GreaterOrEqual: return x >= thr;
    case SplitOp::Equal: return x == thr;
    case SplitOp::NotEqual: return x != thr;
    case SplitOp::InSet: {
      // Values outside int32 (never a level code) match no listed code; the cast would be undefined.
      const int32_t code = x > -2147483649.0 && x < 2147483648.0 ? static_cast<int32_t>(x) : INT32_MIN;
      for (int32_t i = 0; i < set_size; ++i)
        if (tree.sets[set_off + i] == code) return tree.set_side.empty() ? 1 : tree.set_side[set_off + i] != 0;
      return tree.set_side.empty() ? 0 : -1;
    }
    case SplitOp::Leaf: return 0;
  }
  return 0;
}

}  // namespace mb::ir
