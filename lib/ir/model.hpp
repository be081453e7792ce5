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

using Estimator = std::variant<Linear, TreeEnsemble, Svm, Mlp, NaiveBayes, Clustering>;

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

// "linear", "tree_ensemble", "svm", "mlp", "naive_bayes", "clustering".
const char* estimator_kind(const Estimator& e);

}  // namespace mb::ir
