// The batch evaluator: scores a Batch with a validated Model.
#pragma once
#include <memory>

#include "lib/eval/batch.hpp"
#include "lib/ir/model.hpp"

namespace mb::eval {

struct EvalOptions {
  bool want_link = false;  // fill Predictions::link for linear models
};

class Evaluator {
 public:
  Evaluator(const ir::Model& model, EvalOptions opts = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Scores `in` (columns in schema order) into `out`; buffers in `out` are reused.
  void score(const Batch& in, Predictions& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mb::eval
