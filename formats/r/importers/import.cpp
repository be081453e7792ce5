#include "formats/r/importers/import.hpp"

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/preprocess.hpp"
#include "formats/r/importers/smooth.hpp"
#include "formats/r/importers/trees.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

using Importer = ir::Model (*)(const RObject&, const std::string&);
using HintedImporter = ir::Model (*)(const RObject&, const std::string&, const ImportHints&);
constexpr Importer import_random_forest_plain = &import_random_forest;
constexpr Importer import_ranger_plain = &import_ranger;
constexpr Importer import_svm_plain = &import_svm;
constexpr Importer import_cv_glmnet_default = &import_cv_glmnet;
constexpr Importer import_glmnet_last = &import_glmnet;
constexpr Importer import_naive_bayes_default = &import_naive_bayes;

ir::Model import_ksvm_plain(const RObject& root, const std::string& file) { return import_ksvm(root, file, {}); }

// What an object may lack and a user can give on the command line (ImportHints).
enum class Takes { Nothing, Levels, Lambda, Threshold, NTrees };

// R class -> importer.  The first class of the object's class vector that appears here wins,
// so subclasses ("glm" before "lm") are listed by the object itself.  `hinted` imports with the
// hint the class `takes`; any other hint is refused.
struct Entry {
  const char* r_class;
  Importer importer;
  Takes takes = Takes::Nothing;
  HintedImporter hinted = nullptr;
};
constexpr Entry kImporters[] = {
    {"train", &import_train},
    {"WrappedModel", &import_wrapped_model},
    {"ols", &import_rms},
    {"lrm", &import_rms},
    {"orm", &import_rms},
    {"mvr", &import_mvr},
    {"multinom", &import_multinom},
    {"polr", &import_polr},
    {"lda", &import_lda},
    {"earth", &import_earth},
    {"glm", &import_lm},
    {"lm", &import_lm},
    {"rpart", &import_rpart},
    {"randomForest", import_random_forest_plain, Takes::Levels,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_random_forest(o, f, h.levels); }},
    {"ranger", import_ranger_plain, Takes::Levels,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_ranger(o, f, h.levels); }},
    {"gbm", &import_gbm, Takes::NTrees,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_gbm_n_trees(o, f, h.n_trees); }},
    {"bagging", &import_bagging},
    {"boosting", &import_boosting},
    {"ada", &import_ada},
    {"classbagg", &import_classbagg},
    {"regbagg", &import_regbagg},
    {"lgb.Booster", &import_lgb_booster},
    {"constparty", &import_party},
    {"BinaryTree", &import_binary_tree},
    {"xgb.Booster", &import_xgboost},
    {"xgb3.Booster", &import_xgboost},
    {"nnet.formula", &import_nnet},
    {"nnet", &import_nnet},
    {"nn", &import_neuralnet},
    {"elm", &import_elm},
    {"hurdle", &import_hurdle},
    {"zeroinfl", &import_zeroinfl},
    {"svm", import_svm_plain, Takes::Levels,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_svm(o, f, h.levels); }},
    {"ksvm", import_ksvm_plain, Takes::Levels,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_ksvm(o, f, h.levels); }},
    {"naiveBayes", import_naive_bayes_default, Takes::Threshold,
     [](const RObject& o, const std::string& f, const ImportHints& h) {
       return import_naive_bayes(o, f, *h.nb_threshold);
     }},
    {"kmeans", &import_kmeans},
    {"cv.glmnet", import_cv_glmnet_default, Takes::Lambda,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_cv_glmnet(o, f, h.lambda); }},
    {"glmnet", import_glmnet_last, Takes::Lambda,
     [](const RObject& o, const std::string& f, const ImportHints& h) { return import_glmnet(o, f, h.lambda); }},
};

ir::Model import_with(const Entry& e, const std::string& c, const RObject& root, const std::string& file,
                      const ImportHints& hints) {
  if (hints.empty()) return e.importer(root, file);
  if (!hints.levels.empty() && e.takes != Takes::Levels)
    throw Error(file, "",
                fmt::format("--levels is not used by '{}' models (only randomForest, ranger, svm and "
                            "ksvm objects lack factor levels)",
                            c));
  if (!hints.lambda.empty() && e.takes != Takes::Lambda)
    throw Error(file, "",
                fmt::format("--lambda is used by glmnet and cv.glmnet models only; this is a '{}' "
                            "model",
                            c));
  if (!hints.n_trees.empty() && e.takes != Takes::NTrees)
    throw Error(file, "", fmt::format("--n-trees is used by gbm models only; this is a '{}' model", c));
  if (hints.nb_threshold && e.takes != Takes::Threshold)
    throw Error(file, "", fmt::format("--nb-threshold is used by naiveBayes models only; this is a '{}' model", c));
  return e.hinted(root, file, hints);
}

}  // namespace

ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings) {
  return import_model(root, file, warnings, ImportHints{});
}

ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings, const ImportHints& hints) {
  const std::vector<std::string> classes = root.classes();
  for (const auto& c : classes)
    for (const auto& e : kImporters) {
      if (c != e.r_class) continue;
      ir::Model m = import_with(e, c, root, file, hints);
      // A caret preProcess object attached to the fit (`$preProcess`, as r2pmml decorates models):
      // the model was fitted on preprocessed data, so its inputs are preprocessed first.  caret's
      // train reads its own `$preProcess` (on model-matrix columns).
      if (std::string_view(e.r_class) != "train")
        if (const auto pp = Member(root, file).get("preProcess")) apply_attached_preprocess(m, *pp);
      warnings.insert(warnings.end(), m.provenance.warnings.begin(), m.provenance.warnings.end());
      return m;
    }
  if (classes.empty())
    throw Unsupported(
        file, "", fmt::format("unsupported R class '{}' (an object without a class attribute)", rtype_name(root.type)));
  std::string all;
  for (size_t i = 0; i < classes.size(); ++i) all += (i ? "\", \"" : "") + classes[i];
  throw Unsupported(file, "", fmt::format("unsupported R class '{}' (class vector c(\"{}\"))", classes[0], all));
}

}  // namespace mb::r
