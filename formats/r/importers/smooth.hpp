// R model objects of the smooth families (docs/r-objects.md) to the model IR: nnet,
// e1071 svm and naiveBayes, kmeans and glmnet.  Each importer returns a validated model and
// appends warnings to both `warnings` and the model's provenance.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "formats/r/lang/formula.hpp"
#include "formats/r/lang/robject.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// nnet (formula interface, class "nnet.formula"): regression (linout), softmax classification and
// a single logistic output for two classes; skip-layer connections kept as nnet's unit/connection
// list (ir::Mlp conn_* fields), logistic units clamped as nnet.c does.
ir::Model import_nnet(const RObject& root, const std::string& file);
// neuralnet `nn` (repetition 1, logistic or tanh units, linear or activated output) and
// elmNNRcpp `elm` regression (formula interface; purelin, sig, tansig, relu): dense ir::Mlp layers.
ir::Model import_neuralnet(const RObject& root, const std::string& file);
ir::Model import_elm(const RObject& root, const std::string& file);
// pscl hurdle and zeroinfl: poisson count part, binomial (logit) zero part on the same
// regressors; predict(type = "response") as one derived expression.
ir::Model import_hurdle(const RObject& root, const std::string& file);
ir::Model import_zeroinfl(const RObject& root, const std::string& file);

// e1071 svm: C- and nu-classification (with or without probabilities) and eps-/nu-regression,
// linear, polynomial, radial and sigmoid kernels, the object's input scaling.
ir::Model import_svm(const RObject& root, const std::string& file);
// svm.formula keeps no `$xlevels` (predict() codes factors by the new data's levels): the
// training levels of factor predictors, by variable text, when the support-vector column names
// (make.names() of model.matrix's) cannot give them back.  `$xlevels` in the object wins.
using SvmLevelHints = std::map<std::string, std::vector<std::string>>;
ir::Model import_svm(const RObject& root, const std::string& file, const SvmLevelHints& hints);
// An object in e1071's list layout (`$type`, `$kernel`, `$SV`, `$coefs`, `$rho`, ...), built by
// another importer (kernlab's ksvm): imported as import_svm does, `source` naming the class in
// the messages about factor levels.  Support-vector column names are make.names() of the
// model-matrix columns, as e1071 stores them.
ir::Model import_svm_layout(const RObject& root, const std::string& file, const SvmLevelHints& hints,
                            const std::string& source);
// R's make.names() for the characters model.matrix column names carry (e1071's SV column names).
std::string svm_make_names(const std::string& s);
// kernlab ksvm (S4): C-svc, nu-svc (one-against-one votes), eps-svr, nu-svr; rbfdot, polydot,
// vanilladot and tanhdot kernels; the object's scaling (docs/r-objects.md "kernlab ksvm").
ir::Model import_ksvm(const RObject& root, const std::string& file, const SvmLevelHints& hints);

// e1071 naiveBayes: Gaussian numeric predictors and categorical tables, predict()'s
// threshold = 0.001 and eps = 0.
ir::Model import_naive_bayes(const RObject& root, const std::string& file);
// naiveBayes predicting as predict(threshold = `threshold`, eps = 0) does (the default is 0.001).
ir::Model import_naive_bayes(const RObject& root, const std::string& file, double threshold);

// kmeans: nearest centre (squared Euclidean distance, ties to the lowest cluster id).
ir::Model import_kmeans(const RObject& root, const std::string& file);

// glmnet (elnet, lognet, fishnet, multnet) at penalty `s`: a lambda of the path gives its
// column, any other value is interpolated as predict.glmnet(exact = FALSE) does.
ir::Model import_glmnet(const RObject& root, const std::string& file, double s);
// The same at the last (smallest) lambda of the path -- or at `$lambda.s` when the object carries
// one (r2pmml's decoration) -- with Warning "glmnet-lambda" naming the chosen s.
ir::Model import_glmnet(const RObject& root, const std::string& file);
// The same at the penalty a user asked for (--lambda): a number; "lambda.min"/"lambda.1se" are
// cv.glmnet's names and a usage error for a plain glmnet path.
ir::Model import_glmnet(const RObject& root, const std::string& file, const std::string& s);
// cv.glmnet: its `$glmnet.fit` at `$lambda.1se` (predict.cv.glmnet's default), with Warning
// "glmnet-lambda" naming it.
ir::Model import_cv_glmnet(const RObject& root, const std::string& file);
// cv.glmnet at the penalty a user asked for, as predict.cv.glmnet(s = ...) takes it: a number
// (on the path of `$glmnet.fit`, interpolated as predict.glmnet does), "lambda.1se" or
// "lambda.min" (the values stored in the object).
ir::Model import_cv_glmnet(const RObject& root, const std::string& file, const std::string& s);

}  // namespace mb::r
