// Columnar batches: what the evaluator reads and writes.  Buffers are reused between batches
// (resize, never shrink) so scoring does not allocate per row.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mb::eval {

// Inputs of one batch, one column per Schema input in schema order.  Continuous fields hold
// their values; categorical and ordinal fields hold the 0-based level code as a double.
// Missing is NaN everywhere.
struct Batch {
  size_t rows = 0;
  // 0-based index of the first row in the scored input (evaluators whose runtime's result
  // depends on a row's place in the batch, as ir::NaiveBayes in float32, read it).
  uint64_t first_row = 0;
  std::vector<std::vector<double>> columns;
};

// Outputs of one batch.
//  - Regression: `value` (rows).  GLMs also fill `link` (the linear predictor) when asked.
//  - Classification: `label` (rows; index into Target::classes, -1 when missing) and `prob`
//    (rows x K, row-major).
//  - Clustering: `label` (index into Target::classes, -1 when missing).
struct Predictions {
  size_t rows = 0;
  std::vector<double> value;
  std::vector<double> link;
  std::vector<int32_t> label;
  std::vector<double> prob;
};

}  // namespace mb::eval
