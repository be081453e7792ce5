// R model objects (the tree both R readers produce) to the model IR.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/r/lang/robject.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// Dispatches on the R class and builds a validated model; unsupported classes throw
// Error(file, "", "unsupported R class 'X'").  The model's provenance lists the importer's
// warnings, and they are appended to `warnings` (once each).
ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings);

// What some R objects do not hold and a user can supply: factor levels that randomForest
// (ordered factors), ranger ("partition"/"ignore" factors) and svm formulas do not store, and the
// lambda `s` a glmnet model predicts at: a number, or for cv.glmnet "lambda.min" / "lambda.1se"
// (the names R's predict(s = ...) takes).  A hint that the model's class does not use throws a
// usage error naming the hint and the class: an ignored option would answer another question.
// `nb_threshold` is the `threshold` argument of e1071's predict.naiveBayes (default 0.001): the
// value put in place of probabilities and standard deviations <= eps (0).  `n_trees` is the
// n.trees a gbm predicts with ("all": $n.trees; default: predict.gbm's own choice without it,
// the best iteration of a fit with validation rows or cross-validation).
struct ImportHints {
  std::map<std::string, std::vector<std::string>> levels;  // variable -> levels in R's order
  std::string lambda;                                      // empty: not given
  std::optional<double> nb_threshold;                      // empty: predict()'s default
  std::string n_trees;                                     // gbm: "all" or a number; empty: predict()'s default
  bool empty() const { return levels.empty() && lambda.empty() && !nb_threshold && n_trees.empty(); }
};
ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings, const ImportHints& hints);

// Per-class importers, listed in the dispatcher's table (import.cpp).  Each returns a
// validated model whose Provenance::warnings lists its warnings (access.hpp warn()).
ir::Model import_lm(const RObject& root, const std::string& file);  // lm, glm
ir::Model import_multinom(const RObject& root, const std::string& file);
// MASS::polr (ordinal regression, every cumulative link) and MASS::lda (linear discriminants).
ir::Model import_polr(const RObject& root, const std::string& file);
ir::Model import_lda(const RObject& root, const std::string& file);
// predict.lda(dimen = max_dimen): the first max_dimen discriminants (0: all of them).
ir::Model import_lda(const RObject& root, const std::string& file, size_t max_dimen);
// earth::earth (MARS: hinge-function terms, least squares or its glm = list(family = ...)).
ir::Model import_earth(const RObject& root, const std::string& file);
// caret::train (formula or x/y; methods glm, lm, rpart, rpart2, rf; preProcess center, scale,
// range): the final model with caret's model matrix and preprocessing in front.
ir::Model import_train(const RObject& root, const std::string& file);
// rms ols, lrm and orm (as-is and category terms; rms's own design in `$Design`).
ir::Model import_rms(const RObject& root, const std::string& file);
// pls mvr (plsr, pcr, ...): the linear model of `$ncomp` components on the scaled model matrix.
ir::Model import_mvr(const RObject& root, const std::string& file);
// mlr WrappedModel: the learner's model (`$learner.model`) as mlr's predict() reads it.
ir::Model import_wrapped_model(const RObject& root, const std::string& file);
// party's S4 BinaryTree (ctree of the old party package): ordered and nominal splits, the
// majority kid for a missing value.
ir::Model import_binary_tree(const RObject& root, const std::string& file);
// xgboost boosters in R ("xgb.Booster", r2pmml's "xgb3.Booster"): the UBJSON or JSON model in
// `$raw`, features named by `$fmap` (one-hot indicators grouped back into factors).
ir::Model import_xgboost(const RObject& root, const std::string& file);

}  // namespace mb::r
