// mlr `WrappedModel` objects (mlr::train): the fitted model is `$learner.model`, the learner's
// class (`$learner`, "regr.lm", "classif.gbm", ...) says how mlr's predict() reads it.
//
// Learners whose predict() is the model's own prediction: regr.lm, regr.glm, classif.binomial
// and classif.logreg (glm, type = "response"; the probability of the task's second class level),
// classif.rpart / regr.rpart, classif.randomForest / regr.randomForest, regr.gbm and classif.gbm.
// classif.gbm with two classes trains gbm on the task's target recoded as 1 for the task's
// positive class (`$task.desc$positive`) and labels the probability p of that class; the
// classes are then (negative, positive) instead of gbm's "0", "1".  Other learners are refused
// naming `$learner`.
#include <algorithm>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {

ir::Model import_wrapped_model(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const Member learner = obj["learner"];
  const std::vector<std::string> lc = learner->classes();
  const std::string id = lc.empty() ? std::string() : lc[0];
  static const char* const kLearners[] = {"regr.lm",       "regr.glm",   "classif.binomial",     "classif.logreg",
                                          "classif.rpart", "regr.rpart", "classif.randomForest", "regr.randomForest",
                                          "regr.gbm",      "classif.gbm"};
  if (std::find_if(std::begin(kLearners), std::end(kLearners), [&](const char* l) { return id == l; }) ==
      std::end(kLearners))
    throw Unsupported(file, "$learner",
                      fmt::format("unsupported mlr learner '{}' (supported: regr.lm, regr.glm, classif.binomial, "
                                  "classif.logreg, classif.rpart, regr.rpart, classif.randomForest, "
                                  "regr.randomForest, regr.gbm, classif.gbm)",
                                  id));
  const Member fit = obj["learner.model"];
  ir::Model m;
  try {
    Warnings ignored;
    // mlr's gbm learners predict with n.trees = $n.trees (every tree), not predict.gbm's default.
    ImportHints hints;
    if (fit->inherits("gbm")) hints.n_trees = "all";
    m = import_model(fit.obj(), file, ignored, hints);
  } catch (const Unsupported& e) {
    if (e.file() != file) throw;
    throw Unsupported(file, "$learner.model" + e.place(), e.message());
  } catch (const Error& e) {
    if (e.file() != file || e.kind() != ErrorKind::InvalidInput) throw;
    throw Error(file, "$learner.model" + e.place(), e.message(), e.exit_code());
  }

  if (id.rfind("classif.", 0) == 0) {
    if (m.schema.target.task != ir::Task::Classification)
      fit.fail(fmt::format("mlr learner '{}' but the model is not a classifier", id));
    const Member td = obj["task.desc"];
    const std::vector<std::string> levels = td["class.levels"].strings();
    if (id == "classif.gbm" && levels.size() == 2) {
      // gbm was fitted on y == positive: its class "1" is the positive class.
      const std::string positive = td["positive"].string();
      const std::string negative = td["negative"].string();
      if (std::find(levels.begin(), levels.end(), positive) == levels.end() ||
          std::find(levels.begin(), levels.end(), negative) == levels.end() || positive == negative)
        td.fail("$positive and $negative are not the two class levels");
      if (m.schema.target.classes != std::vector<std::string>{"0", "1"})
        fit.fail("expected a two-class gbm with classes 0 and 1");
      m.schema.target.classes = {negative, positive};
      m.provenance.preprocessing.push_back(
          fmt::format("mlr: gbm's class 1 is the task's positive class '{}', class 0 '{}'", positive, negative));
    } else {
      std::vector<std::string> sorted_model = m.schema.target.classes, sorted_task = levels;
      std::sort(sorted_model.begin(), sorted_model.end());
      std::sort(sorted_task.begin(), sorted_task.end());
      if (sorted_model != sorted_task)
        td["class.levels"].fail("the task's class levels differ from the model's classes");
    }
  } else if (m.schema.target.task != ir::Task::Regression) {
    fit.fail(fmt::format("mlr learner '{}' but the model is not a regression", id));
  }
  if (const auto target = obj["task.desc"].get("target"); target && target->obj().length() == 1)
    m.schema.target.name = target->string();
  m.provenance.source_class = "WrappedModel";
  m.provenance.family = fmt::format("mlr WrappedModel, learner '{}': {}", id, m.provenance.family);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
