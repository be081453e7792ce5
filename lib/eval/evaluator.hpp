// The batch evaluator: scores a Batch with a validated Model.
#pragma once
#include <memory>

#include "lib/eval/batch.hpp"
#include "lib/ir/model.hpp"

namespace mb::eval {

struct EvalOptions {
  bool want_link = false;  // fill Predictions::link for linear models
  // Evaluators of the same model object (not changed while they live) share what is built
  // from it once (the trees' scoring layout), as the threads of `score` do.
  bool share_layouts = false;
};

class Evaluator {
 public:
  Evaluator(const ir::Model& model, EvalOptions opts = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Scores `in` (columns in schema order) into `out`; buffers in `out` are reused.
  void score(const Batch& in, Predictions& out);
  // Rows per batch the model scores best: 8192, more for tree ensembles too big for the cache
  // (each batch walks every tree once).
  size_t batch_rows() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Once the evaluators of `model` are built with share_layouts (and while they live): frees what
// they no longer read, the nodes of trees compiled into their shared scoring layout (their leaf
// values stay).  The model then serves only those evaluators (`score` drops it this way; the
// other commands keep the whole model).  Returns whether it freed anything.
bool release_compiled(ir::Model& model);

}  // namespace mb::eval
