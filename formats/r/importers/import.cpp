#include "formats/r/importers/import.hpp"

#include <fmt/format.h>

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
  // Classes that can use hints, before the plain table.
  if (!hints.empty()) {
    for (const auto& c : classes) {
      if (!hints.levels.empty()) {
        if (c == "randomForest") return import_random_forest(root, file, warnings, hints.levels);
        if (c == "ranger") return import_ranger(root, file, warnings, hints.levels);
        if (c == "svm") return import_svm(root, file, warnings, hints.levels);
      }
      if (hints.lambda && c == "glmnet") return import_glmnet(root, file, warnings, *hints.lambda);
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
