// Internal interface of the evaluator: one scorer per estimator kind (eval_linear.cpp,
// eval_tree.cpp, ...).  A scorer reads the feature columns and fills Predictions.
#pragma once
#include <memory>
#include <vector>

#include "lib/eval/batch.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/model.hpp"

namespace mb::eval {

struct FeatureColumns {
  size_t rows = 0;
  uint64_t first_row = 0;              // Batch::first_row
  std::vector<const double*> columns;  // one per Model::features entry
};

class EstimatorEval {
 public:
  virtual ~EstimatorEval() = default;
  virtual void score(const FeatureColumns& x, Predictions& out) = 0;
  // Rows per batch this estimator scores best (big tree ensembles want more).
  virtual size_t batch_rows() const { return 8192; }
};

std::unique_ptr<EstimatorEval> make_estimator_eval(const ir::Model& m, const EvalOptions& opts);

// Shared output step: turns per-row score vectors (rows x n_scores, row-major, already through
// link/base) into Predictions for the model's task.  With `cutoffs` (one per class, else empty)
// the label is the first largest probability / cutoff.
void finish_scores(const ir::Model& m, ir::ScoreTransform transform, size_t n_scores, const std::vector<double>& scores,
                   Predictions& out, const std::vector<double>& cutoffs = {});

// An ir::Ensemble's prediction from its members' predictions `in` (one per member, over the
// same rows as out.rows), by the rule of e.combine (ir::Combine).
void combine_members(const ir::Model& m, const ir::Ensemble& e, const std::vector<Predictions>& in, Predictions& out);

std::unique_ptr<EstimatorEval> make_linear_eval(const ir::Model& m, const ir::Linear& l, const EvalOptions& o);
std::unique_ptr<EstimatorEval> make_tree_eval(const ir::Model& m, const ir::TreeEnsemble& t, const EvalOptions& o);
// Trees whose output stage has the operator arithmetic (ir::Arithmetic::Operator, eval_tree_ort.cpp).
std::unique_ptr<EstimatorEval> make_tree_ort_eval(const ir::Model& m, const ir::TreeEnsemble& t, const EvalOptions& o);
std::unique_ptr<EstimatorEval> make_clustering_eval(const ir::Model& m, const ir::Clustering& c, const EvalOptions& o);
std::unique_ptr<EstimatorEval> make_svm_eval(const ir::Model& m, const ir::Svm& s, const EvalOptions& o);
std::unique_ptr<EstimatorEval> make_mlp_eval(const ir::Model& m, const ir::Mlp& n, const EvalOptions& o);
std::unique_ptr<EstimatorEval> make_bayes_eval(const ir::Model& m, const ir::NaiveBayes& nb, const EvalOptions& o);

}  // namespace mb::eval
