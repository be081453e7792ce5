// caret::train objects (docs/r-objects.md "caret train").
//
// predict.train builds what the final model reads, then asks it: with the formula interface
// (`$terms`), model.matrix() of the new data (`$xlevels`, `$contrasts`) without the intercept
// column; with the x/y interface, the data's columns as they are.  `$preProcess` then
// transforms the named columns in predict.preProcess's order: range ((x - min) / ((max - min) /
// (upper - lower)) + lower), center (x - mean), scale (x / std).  `$finalModel` is an ordinary
// fit of its class on those columns (a formula `.outcome ~ .` or x/y), imported by its own
// importer; its inputs are then replaced by the expressions of the columns they name.
//
// Only methods whose caret predict() is the final model's own predict() are read (caret's
// classification is the class of largest probability for these, its probabilities the model's
// own over `$levels`):
//  - glm, lm, rpart, rpart2, rf: glm 1 - p and p, rpart and randomForest type = "prob";
//  - gbm: type = "response" at bestTune's n.trees; two classes are bernoulli on y == $levels[1];
//  - nnet, multinom, polr, lda: the nnet.formula / multinom / polr fit of `.outcome ~ .` on the
//    columns, or lda(x, y); two classes give 1 - p and p;
//  - lda2: lda(x, y) predicted with dimen = `$finalModel$tuneValue$dimen` (its first discriminants);
//  - ranger: the forest's predictions (a probability forest when classProbs = TRUE);
//  - glmnet: predict(s = `$finalModel$lambdaOpt`), which train sets to bestTune's lambda (a
//    lambda off the path is interpolated as glmnet does); a final model without it, or with a
//    lambda other than bestTune's, is refused: glmnet's own default would be another penalty;
//  - earth: predict.earth (type = "response"; two classes as its binomial glm gives them);
//  - pls: regression only, plsr(.outcome ~ .) at all its components (caret's classification is
//    its own plsda with softmax or Bayes probabilities, refused);
//  - ctree, ctree2: party's BinaryTree of `.outcome ~ .` (treeresponse: class proportions or means);
//  - glmStepAIC, lmStepAIC, rpart1SE, gcvEarth, simpls, kernelpls, widekernelpls: the glm, lm,
//    rpart, earth or mvr the search or rule ends with, predicted as its method above;
//  - glm.nb, rlm: MASS's negative binomial glm (type = "response") and robust lm (regression);
//  - rpartCost: rpart with caret's two-class loss matrix, predict(type = "class") (the node's
//    fitted class; caret gives no probabilities for it);
//  - svmLinear2: e1071's svm (linear kernel), predict() and its probabilities; with a
//    probability model caret's class is the vote winner while the IR labels by the largest
//    coupled probability: warning caret-svm-class;
//  - treebag: ipred's ipredbagg of rpart trees (classbagg: the majority vote, probabilities the
//    vote shares; regbagg: the mean of the trees);
//  - svmRadial, svmRadialSigma, svmRadialCost, svmLinear, svmPoly: kernlab's ksvm on the x matrix
//    (rbfdot, vanilladot, polydot with offset 1).  caret fits it with prob.model = classProbs:
//    without a probability model the class is predict()'s one-against-one vote; with one, caret's
//    probModel is kernlab's predict(type = "probabilities") (pairwise Platt sigmoids coupled by
//    couple()'s "minpair") with negative values set to 0 and the row renormalized, and its class
//    the first largest of kernlab's probabilities (ir::SvmCoupling::KernlabCaret).
// Other methods (knn, svmRadialWeights, lssvm*, ...) are refused by name.  Preprocessing that is not
// a fixed per-column affine map (knnImpute, bagImpute, Box-Cox, PCA, ICA, ...) is refused by name.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/importers/preprocess.hpp"
#include "formats/r/importers/smooth.hpp"
#include "formats/r/lang/formula.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

constexpr const char* kMethods[] = {
    "glm",      "lm",         "rpart",     "rpart2",   "rf",       "gbm",       "nnet",          "ranger",
    "glmnet",   "earth",      "lda",       "polr",     "multinom", "pls",       "ctree",         "ctree2",
    "rpart1SE", "glmStepAIC", "lmStepAIC", "gcvEarth", "simpls",   "kernelpls", "widekernelpls", "svmLinear2",
    "treebag",  "lda2",       "glm.nb",    "rlm",      "rpartCost"};
// kernlab's ksvm final models.
constexpr const char* kKernlabMethods[] = {"svmRadial", "svmRadialSigma", "svmRadialCost", "svmLinear", "svmPoly"};

std::string method_list() {
  std::string out;
  for (const char* m : kMethods) out += (out.empty() ? "" : ", ") + std::string(m);
  for (const char* m : kKernlabMethods) out += ", " + std::string(m);
  return out;
}

bool known_method(const std::string& method) {
  for (const char* m : kMethods)
    if (method == m) return true;
  for (const char* m : kKernlabMethods)
    if (method == m) return true;
  return false;
}

}  // namespace

ir::Model import_train(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  // A recipe without steps hands the final model the predictor columns as they are, as x/y does;
  // steps (imputation, dummies, normalisation, ...) are refused by name.
  bool recipe = false;
  std::string outcome;
  if (root.inherits("train.recipe") || obj.has("recipe")) {
    const Member rec = obj["recipe"];
    if (const auto steps = rec.get("steps"); steps && steps->size() > 0) {
      std::string names;
      for (size_t i = 0; i < steps->size(); ++i) {
        const auto cls = steps->at(i)->classes();
        names += (i ? ", " : "") + (cls.empty() ? std::string("?") : cls[0]);
      }
      steps->unsupported(fmt::format("unsupported caret train object fitted with a recipe with steps ({})", names));
    }
    if (const auto vi = rec.get("var_info")) {
      const auto vars = (*vi)["variable"].strings();
      const auto roles = (*vi)["role"].strings();
      for (size_t i = 0; i < vars.size() && i < roles.size(); ++i)
        if (roles[i] == "outcome") outcome = vars[i];
    }
    recipe = true;
  }
  const std::string method = obj["method"].string();
  if (!known_method(method))
    throw Unsupported(file, "$method",
                      fmt::format("unsupported caret method '{}' (supported: {})", method, method_list()));
  const bool pls_method = method == "pls" || method == "simpls" || method == "kernelpls" || method == "widekernelpls";
  if (pls_method && obj["finalModel"].obj().inherits("plsda"))
    throw Unsupported(file, "$finalModel",
                      fmt::format("unsupported caret method '{}' for classification (caret's plsda: softmax or "
                                  "Bayes class probabilities); pls regression is supported",
                                  method));
  // caret fits two classes with gbm's bernoulli on y == $levels[1] (1) or not (0): the response
  // is the first level's probability, the second's 1 minus it, and the class the first level
  // when that probability is at least 1/2.
  bool gbm_two_classes = false;
  if (method == "gbm") {
    // caret predicts with n.trees = bestTune$n.trees.
    const Member fit = obj["finalModel"];
    gbm_two_classes = fit["distribution"]["name"].string() == "bernoulli";
    if (const auto bt = obj.get("bestTune");
        bt && bt->has("n.trees") && fit.has("n.trees") && (*bt)["n.trees"].number() != fit["n.trees"].number())
      fit.unsupported("unsupported: caret predicts with bestTune's n.trees, not the final model's");
  }

  // The final model, on the columns caret hands it.
  const Member fit = obj["finalModel"];
  // glmnet: caret predicts at lambdaOpt; glmnet's own default (the path's last lambda) would be a
  // different model, so a missing or inconsistent lambdaOpt is refused.
  double lambda_opt = 0;
  if (method == "glmnet") {
    const auto opt = fit.get("lambdaOpt");
    if (!opt) fit.fail("caret glmnet final model without $lambdaOpt: the penalty caret predicts at is unknown");
    lambda_opt = opt->number();
    if (const auto bt = obj.get("bestTune"); bt && bt->has("lambda") && (*bt)["lambda"].number() != lambda_opt)
      opt->fail(fmt::format("lambdaOpt {:.17g} differs from bestTune's lambda {:.17g}", lambda_opt,
                            (*bt)["lambda"].number()));
  }
  ir::Model inner;
  try {
    Warnings ignored;
    if (method == "glmnet") {
      inner = import_glmnet(fit.obj(), file, lambda_opt);
    } else if (method == "lda2") {
      // caret's lda2 predicts with dimen = the final model's $tuneValue$dimen.
      if (!fit->inherits("lda")) fit.fail("expected a MASS lda final model for caret's lda2");
      const Member dimen = fit["tuneValue"]["dimen"];
      inner = import_lda(fit.obj(), file, static_cast<size_t>(dimen.whole(1, 1 << 20)));
    } else {
      // caret's gbm predicts with n.trees = bestTune's (checked above to be $n.trees): all of them.
      ImportHints hints;
      if (fit->inherits("gbm")) hints.n_trees = "all";
      inner = import_model(fit.obj(), file, ignored, hints);
    }
    if (auto* svm = std::get_if<ir::Svm>(&inner.estimator); svm && svm->coupling == ir::SvmCoupling::Kernlab) {
      // caret's probModel sets kernlab's negative probabilities to 0 and renormalizes the row;
      // its class is the largest of kernlab's probabilities, not predict()'s vote.
      svm->coupling = ir::SvmCoupling::KernlabCaret;
      for (auto& note : inner.provenance.preprocessing)
        if (note.rfind("probabilities: kernlab's", 0) == 0)
          note =
              "probabilities: kernlab's pairwise Platt sigmoids (@prob.model) coupled by couple()'s \"minpair\", a "
              "negative one set to 0 and its row renormalized (caret's probModel); the class is the first largest "
              "of kernlab's probabilities (caret's predict)";
    }
    if (gbm_two_classes) {
      // gbm's classes "0", "1" with P("1") = logistic(f): negating f and the base gives
      // P(second level) = logistic(-f) = 1 - P(first level), the classes in caret's order, and
      // the first level on a tie at 1/2, as caret labels.
      const auto levels = obj["levels"].strings();
      auto* ens = std::get_if<ir::TreeEnsemble>(&inner.estimator);
      if (levels.size() != 2 || !ens || ens->n_outputs != 1 || ens->link != ir::Link::Logit)
        obj["levels"].fail("expected two class levels for a caret gbm with the bernoulli distribution");
      for (auto& t : ens->trees)
        for (double& v : t.values) v = -v;
      for (double& b : ens->base) b = -b;
      inner.schema.target.classes = levels;
      inner.provenance.preprocessing.push_back(
          fmt::format("caret two-class gbm: the response is the probability of '{}' (caret's first level)", levels[0]));
    }
  } catch (const Error& e) {
    if (e.file() != file) throw;
    // The place inside the final model, the kind kept: a refused construct stays Unsupported.
    if (e.kind() == ErrorKind::Unsupported) throw Unsupported(file, "$finalModel" + e.place(), e.message());
    throw Error(file, "$finalModel" + e.place(), e.message(), e.exit_code());
  }

  // Those columns as expressions over the data.
  ir::Model m;
  std::map<std::string, ir::Expr> column;
  std::vector<std::string> notes;
  const bool formula = obj.has("terms") && !recipe;
  if (formula) {
    Design d = build_design(root, file);
    if (d.offset) throw Error(file, "$terms@offset", "offsets in caret formulas are not supported");
    for (auto& c : d.columns) column.emplace(c.name, std::move(c.expr));
    adopt_design(m, d);
  } else {
    m.schema.inputs = inner.schema.inputs;
    for (size_t i = 0; i < inner.schema.inputs.size(); ++i)
      if (!inner.schema.inputs[i].is_categorical())
        column.emplace(inner.schema.inputs[i].name, ir::Expr::input(static_cast<int32_t>(i)));
  }
  if (const auto pp = obj.get("preProcess")) apply_preprocess(*pp, column, notes);

  // Each input of the final model becomes the column it names.
  std::vector<std::optional<ir::Expr>> replace(inner.schema.inputs.size());
  for (size_t i = 0; i < inner.schema.inputs.size(); ++i) {
    const ir::InputField& in = inner.schema.inputs[i];
    if (formula && in.is_categorical())
      fit.fail(fmt::format("the final model reads '{}' as a factor; caret hands it model-matrix columns", in.name));
    auto it = column.find(in.name);
    if (it != column.end()) {
      replace[i] = it->second;
    } else if (formula || !in.is_categorical()) {
      fit.fail(fmt::format("the final model reads '{}', which is not a column caret builds{}", in.name,
                           formula ? " from $terms" : ""));
    }
  }
  const auto shift = static_cast<int32_t>(m.derived.size());
  for (auto& dv : inner.derived) {
    substitute_inputs(dv.expr, replace, shift);
    m.derived.push_back(std::move(dv));
  }
  for (auto& f : inner.features) substitute_inputs(f.expr, replace, shift);
  m.features = std::move(inner.features);
  m.estimator = std::move(inner.estimator);
  const std::string response = m.schema.target.name;
  m.schema.target = inner.schema.target;
  m.schema.target.name = formula                                  ? response
                         : recipe                                 ? outcome
                         : inner.schema.target.name == ".outcome" ? ""
                                                                  : inner.schema.target.name;
  if (inner.schema.target.task == ir::Task::Classification) {
    const Member levels = obj["levels"];
    if (levels.strings() != inner.schema.target.classes)
      levels.fail("caret's class levels differ from the final model's classes");
  }

  // Notes: the design's, the preprocessing's, then the final model's; warnings likewise.
  ir::Provenance outer = std::move(m.provenance);
  m.provenance = std::move(inner.provenance);
  std::vector<std::string> pre = std::move(outer.preprocessing);
  pre.insert(pre.end(), notes.begin(), notes.end());
  pre.insert(pre.end(), m.provenance.preprocessing.begin(), m.provenance.preprocessing.end());
  m.provenance.preprocessing = std::move(pre);
  outer.warnings.insert(outer.warnings.end(), m.provenance.warnings.begin(), m.provenance.warnings.end());
  m.provenance.warnings = std::move(outer.warnings);
  // caret's svmLinear2 class is e1071's predict() without probability = TRUE, the vote winner;
  // its type = "prob" the coupled probabilities.  The IR labels an SVM with probabilities by the
  // largest of them (R's predict(probability = TRUE)), which can be another class.
  if (const auto* svm = std::get_if<ir::Svm>(&m.estimator);
      method == "svmLinear2" && svm && !svm->prob_a.empty() && m.schema.target.classes.size() >= 2)
    warn(m, "caret-svm-class",
         "caret's predict() gives the class of most pairwise votes, modelbridge the class of largest coupled "
         "probability (as e1071's predict(probability = TRUE)); the two can differ on rows near a boundary, "
         "the probabilities are caret's type = \"prob\"");
  m.provenance.source_class = "train";
  m.provenance.family = fmt::format("caret train, method '{}' ({}): {}", method,
                                    formula  ? "formula"
                                    : recipe ? "recipe without steps"
                                             : "x/y",
                                    m.provenance.family);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
