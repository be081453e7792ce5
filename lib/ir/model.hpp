// The model IR: one representation every format reads into and writes from.
//   Model = Schema (inputs, target) + derived fields + features + Estimator + provenance.
// Readers translate and then call ir::validate (builder.hpp); everything after that may assume a
// valid model.
#pragma once
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "lib/ir/estimators.hpp"
#include "lib/ir/expr.hpp"
#include "lib/ir/schema.hpp"
#include "lib/util/error.hpp"

namespace mb::r {
struct RObject;  // formats/r/lang/robject.hpp
}

namespace mb::ir {

// How an Ensemble combines its members' predictions (PMML 4.4 Segmentation@multipleModelMethod).
// Members predict the ensemble's own target; n members, weights w_i (1 for the unweighted rules).
//  Classification (member i: label l_i, probabilities p_i over the target classes):
//   - MajorityVote / WeightedMajorityVote: each member votes (w_i) for its own label; the
//     probability of a class is its votes / the total weight; the label is the class with the
//     most votes.
//   - Average / WeightedAverage: probabilities sum_i w_i p_i / sum_i w_i; the label is the most
//     probable class.
//   - Median: per class, the median of the members' probabilities (the mean of the two middle
//     ones for even n); the label is the class with the largest median; the probabilities are
//     the average of the probability vectors of the members whose probability of that class is
//     closest to its median.
//   - Max: per class, the largest member probability; the label is the class with the largest;
//     the probabilities are the average of the probability vectors of the members that give
//     the label that largest probability.
//   Ties between classes go to the first in the target's class order.  A member whose prediction
//   is missing: votes count it as a vote for "missing", which is the result only when it has
//   more (weighted) votes than every class (PMML's missingPredictionTreatment "continue"); the
//   other rules return missing.
//  Regression (member i: value y_i): Average, WeightedAverage (sum w_i y_i / sum w_i), Sum,
//  WeightedSum (sum w_i y_i), Median (the mean of the two middle values for even n), Max; a
//  missing member value makes the prediction missing.  Votes are classification only; Sum and
//  WeightedSum regression only.
enum class Combine { MajorityVote, WeightedMajorityVote, Average, WeightedAverage, Sum, WeightedSum, Median, Max };

// "majorityVote", "weightedMajorityVote", "average", ... (PMML's names).
const char* combine_name(Combine c);

struct EnsembleMember;

// An ensemble of models of different families (PMML MiningModel segments of a tree, a network
// and an SVM).  Each member is a sub-model over the ensemble's inputs and derived fields: its own
// features (its model matrix) and its own estimator, which predicts the ensemble's target (the
// same task and classes).  A member's estimator is never an Ensemble.  The model's own
// `features` are empty.
struct Ensemble {
  std::vector<EnsembleMember> members;
  Combine combine = Combine::MajorityVote;
  bool operator==(const Ensemble& o) const;
};

using Estimator = std::variant<Linear, TreeEnsemble, Svm, Mlp, NaiveBayes, Clustering, Ensemble>;

struct EnsembleMember {
  std::vector<Feature> features;
  Estimator estimator;
  double weight = 1;  // the weighted rules' weight (finite, >= 0); 1 for the others
  bool operator==(const EnsembleMember&) const = default;
};

inline bool Ensemble::operator==(const Ensemble& o) const { return combine == o.combine && members == o.members; }

// What a unseen categorical level does at scoring time.
enum class UnseenLevel { Error, Missing };

// Where the model came from; never part of its semantics (not hashed, not diffed as a change).
struct Provenance {
  std::string format;                      // "rds", "rjson", "pmml", "onnx"
  std::string format_version;              // "3", "4.4", "ir_version 8 / ai.onnx.ml 3"
  std::string producer;                    // "R 4.2.2", "skl2onnx 1.14.1", "KNIME 3.5.1"
  std::string source_class;                // "glm", "rpart", "TreeEnsembleRegressor", "RegressionModel"
  std::string family;                      // human family: "glm binomial/logit", "random forest"
  std::vector<std::string> preprocessing;  // human descriptions of steps
  Warnings warnings;                       // named losses and caveats found while reading
  // The R object an .rds or jsonlite file held, so that R output can write it back unchanged.
  std::shared_ptr<const r::RObject> r_object;
};

struct Model {
  Schema schema;
  std::vector<DerivedField> derived;
  std::vector<Feature> features;
  Estimator estimator;
  UnseenLevel unseen = UnseenLevel::Error;
  Provenance provenance;
};

// "linear", "tree_ensemble", "svm", "mlp", "naive_bayes", "clustering", "ensemble".
const char* estimator_kind(const Estimator& e);

// Member `i` of an ensemble model as a model of its own: the ensemble's schema, derived fields,
// unseen-level rule and provenance format, with the member's features and estimator (a copy).
Model member_model(const Model& ensemble, size_t i);

}  // namespace mb::ir
