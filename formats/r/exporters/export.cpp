// Chooses the standard R class for a model (see export.hpp).
#include "formats/r/exporters/export.hpp"

#include <fmt/format.h>

#include "lib/util/errors.hpp"

namespace mb::r {

RPtr export_model(const ir::Model& m, Warnings& warnings) {
  if (const auto* ens = std::get_if<ir::Ensemble>(&m.estimator)) {
    std::string kinds;
    for (const auto& mem : ens->members)
      kinds += (kinds.empty() ? "" : ", ") + std::string(ir::estimator_kind(mem.estimator));
    throw Unsupported("", "",
                      fmt::format("no standard R class written for an ensemble of models of different families ({} "
                                  "of {}); R output covers lm, glm, multinom, single trees (rpart), sums of trees "
                                  "(gbm) and forests (randomForest)",
                                  ir::combine_name(ens->combine), kinds));
  }
  using Exporter = RPtr (*)(const ir::Model&, Warnings&);
  static const Exporter table[] = {export_multinom, export_lm_glm, export_rpart, export_gbm, export_random_forest};
  for (Exporter e : table)
    if (RPtr obj = e(m, warnings)) {
      // predict.gbm too codes a label its $var.levels lack as NA (the missing branch).
      if (m.unseen == ir::UnseenLevel::Missing && e != &export_gbm)
        for (const auto& in : m.schema.inputs)
          if (in.is_categorical()) {
            warnings.push_back({"r-unseen-level",
                                "the source predicts a missing value for a label its categorical inputs do not list; "
                                "R's predict() stops with an error (factor has new levels) instead"});
            break;
          }
      return obj;
    }
  const std::string family = m.provenance.family.empty() ? ir::estimator_kind(m.estimator) : m.provenance.family;
  throw Unsupported(
      "", "",
      fmt::format("no standard R class written for a {} model ({}); R output "
                  "covers lm, glm, multinom, single trees (rpart), sums of trees (gbm) and forests (randomForest)",
                  family, m.provenance.source_class.empty() ? "source class unknown" : m.provenance.source_class));
}

}  // namespace mb::r
