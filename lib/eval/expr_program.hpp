// Columnar evaluation of ir::Expr trees.  An ExprProgram is compiled once per model; every node
// owns a column buffer that is resized per batch and reused, so scoring allocates only when a
// batch is larger than every batch before it.
#pragma once
#include <cstddef>
#include <vector>

#include "lib/ir/model.hpp"

namespace mb::eval {

class ExprProgram {
 public:
  // Compiles `exprs`; Derived references point at `derived_columns` supplied to run().
  explicit ExprProgram(const std::vector<const ir::Expr*>& exprs);

  // Evaluates every expression over `rows` rows.  `inputs[i]` is the column of schema input i,
  // `derived[j]` the column of derived field j (already evaluated).  Result k is result(k).
  void run(size_t rows, const std::vector<const double*>& inputs, const std::vector<const double*>& derived);
  const std::vector<double>& result(size_t k) const { return slots_[roots_[k]]; }

 private:
  struct Node {
    ir::Op op;
    double value;
    int index, level;
    const ir::Expr* expr;   // for tables, bounds, flags
    std::vector<int> args;  // slot indices
  };
  int compile(const ir::Expr& e);
  void eval_node(const Node& n, int slot, size_t rows, const std::vector<const double*>& inputs,
                 const std::vector<const double*>& derived);

  std::vector<Node> nodes_;  // in evaluation order (children before parents)
  std::vector<std::vector<double>> slots_;
  std::vector<int> roots_;
};

}  // namespace mb::eval
