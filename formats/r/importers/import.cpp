#include "formats/r/importers/import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "formats/r/importers/smooth.hpp"
#include "formats/r/importers/trees.hpp"

namespace mb::r {
namespace {

using Importer = ir::Model (*)(const RObject&, const std::string&, Warnings&);
constexpr Importer import_random_forest_plain = &import_random_forest;
constexpr Importer import_ranger_plain = &import_ranger;
constexpr Importer import_glmnet_last = &import_glmnet;

// R class -> importer.  The first class of the object's class vector that appears here wins,
// so subclasses ("glm" before "lm") are listed by the object itself.
struct Entry {
  const char* r_class;
  Importer importer;
};
constexpr Entry kImporters[] = {
    {"multinom", &import_multinom},
    {"glm", &import_lm},
    {"lm", &import_lm},
    {"rpart", &import_rpart},
    {"randomForest", import_random_forest_plain},
    {"ranger", import_ranger_plain},
    {"gbm", &import_gbm},
    {"nnet.formula", &import_nnet},
    {"nnet", &import_nnet},
    {"svm", &import_svm},
    {"naiveBayes", &import_naive_bayes},
    {"kmeans", &import_kmeans},
    {"cv.glmnet", &import_cv_glmnet},
    {"glmnet", import_glmnet_last},
};

}  // namespace

ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings) {
  return import_model(root, file, warnings, ImportHints{});
}

ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings, const ImportHints& hints) {
  const std::vector<std::string> classes = root.classes();
  // Classes that can use hints, before the plain table; a hint no class of the object uses is
  // refused (the first class found in the table decides).
  if (!hints.empty()) {
    for (const auto& c : classes) {
      const bool known = std::any_of(std::begin(kImporters), std::end(kImporters),
                                     [&](const Entry& e) { return c == e.r_class; });
      if (!known) continue;
      const bool takes_levels = c == "randomForest" || c == "ranger" || c == "svm";
      const bool takes_lambda = c == "glmnet" || c == "cv.glmnet";
      if (!hints.levels.empty() && !takes_levels)
        throw Error(file, "", fmt::format("--levels is not used by '{}' models (only randomForest, ranger and svm "
                                          "objects lack factor levels)", c));
      if (!hints.lambda.empty() && !takes_lambda)
        throw Error(file, "", fmt::format("--lambda is used by glmnet and cv.glmnet models only; this is a '{}' "
                                          "model", c));
      if (c == "randomForest") return import_random_forest(root, file, warnings, hints.levels);
      if (c == "ranger") return import_ranger(root, file, warnings, hints.levels);
      if (c == "svm") return import_svm(root, file, warnings, hints.levels);
      if (c == "cv.glmnet") return import_cv_glmnet(root, file, warnings, hints.lambda);
      if (c == "glmnet") return import_glmnet(root, file, warnings, hints.lambda);
      break;
    }
  }
  for (const auto& c : classes)
    for (const auto& e : kImporters)
      if (c == e.r_class) return e.importer(root, file, warnings);
  if (classes.empty())
    throw Error(file, "", fmt::format("unsupported R class '{}' (an object without a class attribute)",
                                      rtype_name(root.type)));
  std::string all;
  for (size_t i = 0; i < classes.size(); ++i) all += (i ? "\", \"" : "") + classes[i];
  throw Error(file, "", fmt::format("unsupported R class '{}' (class vector c(\"{}\"))", classes[0], all));
}

}  // namespace mb::r
