// ClusteringModel <-> ir::Clustering (k-means: nearest centre by squared Euclidean distance, ties
// to the first cluster).
//
// Writing: modelClass="centerBased", squaredEuclidean over one ClusteringField per feature (all
// weights 1, compareFunction absDiff), a Cluster per centre with id "1".."k" as R numbers them.
// Inputs that are missing give a missing cluster (missingValueTreatment="returnInvalid").
//
// Reading: center-based models with a squaredEuclidean or euclidean measure (the same nearest
// centre), absDiff comparisons and unit field weights; cluster ids are the Cluster's id, else its
// name, else its position from 1.  Other measures and weights are refused by name.
#include <fmt/format.h>

#include "formats/pmml/families.hpp"

namespace mb::pmml {
namespace detail {

void read_clustering_model(ReadContext& ctx, const pugi::xml_node& mn) {
  ir::Model& m = ctx.model;
  const auto& loc = ctx.loc;
  const std::string mc = loc.attr(mn, "modelClass");
  if (mc != "centerBased") ctx.unsupported(mn, fmt::format("unsupported modelClass '{}' (only centerBased)", mc));
  const auto cm = child(mn, "ComparisonMeasure");
  if (!cm) ctx.fail(mn, "expected a ComparisonMeasure");
  const std::string kind = cm.attribute("kind").value();
  if (kind != "distance") ctx.unsupported(cm, fmt::format("unsupported comparison kind '{}' (only distance)", kind));
  const auto measures = elements(cm);
  if (measures.size() != 1 || !(is(measures[0], "squaredEuclidean") || is(measures[0], "euclidean")))
    ctx.unsupported(cm, "unsupported measure (only squaredEuclidean and euclidean)");
  const std::string cmp_default = cm.attribute("compareFunction") ? cm.attribute("compareFunction").value() : "absDiff";
  if (child(mn, "MissingValueWeights"))
    ctx.unsupported(child(mn, "MissingValueWeights"), "unsupported MissingValueWeights");
  for (auto cf : children(mn, "ClusteringField")) {
    const std::string field = loc.attr(cf, "field");
    const std::string cmp = cf.attribute("compareFunction") ? cf.attribute("compareFunction").value() : cmp_default;
    if (cmp != "absDiff") ctx.unsupported(cf, fmt::format("unsupported compareFunction '{}' (only absDiff)", cmp));
    if (loc.number_or(cf, "fieldWeight", 1.0) != 1.0) ctx.unsupported(cf, "unsupported: a field weight other than 1");
    if (std::string(cf.attribute("isCenterField").value()) == "false") continue;
    if (child(cf, "Comparisons")) ctx.unsupported(cf, "unsupported Comparisons matrix");
    const int before = static_cast<int>(m.features.size());
    if (add_feature(m, field, ctx.predictor_ref(field, cf)) != before) ctx.fail(cf, "a field listed twice");
  }
  const size_t F = m.features.size();
  if (F == 0) ctx.fail(mn, "expected ClusteringField elements");
  ir::Clustering cl;
  auto& ids = m.schema.target.classes;
  ids.clear();
  for (auto c : children(mn, "Cluster")) {
    pugi::xml_node arr;
    for (auto e : elements(c))
      if (is(e, "Array") || is(e, "REAL-SparseArray") || is(e, "INT-SparseArray")) arr = e;
    if (!arr) ctx.fail(c, "expected the cluster's centre (an Array)");
    const auto v = real_array(ctx, arr);
    if (v.size() != F) ctx.fail(arr, fmt::format("{} centre values for {} clustering fields", v.size(), F));
    cl.centers.insert(cl.centers.end(), v.begin(), v.end());
    std::string id = c.attribute("id").value();
    if (id.empty()) id = c.attribute("name").value();
    if (id.empty()) id = std::to_string(ids.size() + 1);
    ids.push_back(id);
  }
  cl.k = static_cast<int32_t>(ids.size());
  if (cl.k == 0) ctx.fail(mn, "expected Cluster elements");
  m.estimator = std::move(cl);
  m.provenance.family = fmt::format("k-means ({} clusters)", ids.size());
}

}  // namespace detail

std::string write_clustering(const ir::Model& m, Warnings& warnings) {
  using namespace detail;
  const auto& cl = std::get<ir::Clustering>(m.estimator);
  if (m.schema.target.task != ir::Task::Clustering) refuse("cluster centres for a model that does not cluster");
  FamilyWriter w(m, warnings);
  auto mn = w.begin_model("ClusteringModel", "clustering");
  mn.append_attribute("modelClass") = "centerBased";
  mn.append_attribute("numberOfClusters") = static_cast<unsigned>(cl.k);
  for (auto mf : children(child(mn, "MiningSchema"), "MiningField")) {
    mf.remove_attribute("missingValueTreatment");
    if (!mf.attribute("missingValueReplacement")) mf.append_attribute("missingValueTreatment") = "returnInvalid";
  }
  auto cm = mn.append_child("ComparisonMeasure");
  cm.append_attribute("kind") = "distance";
  cm.append_child("squaredEuclidean");
  const size_t F = m.features.size();
  for (const auto& f : w.feature_fields) {
    auto cf = mn.append_child("ClusteringField");
    cf.append_attribute("field") = f.c_str();
    cf.append_attribute("compareFunction") = "absDiff";
  }
  for (int32_t k = 0; k < cl.k; ++k) {
    auto c = mn.append_child("Cluster");
    const std::string& id = m.schema.target.classes.at(static_cast<size_t>(k));
    c.append_attribute("id") = id.c_str();
    c.append_attribute("name") = id.c_str();
    auto arr = c.append_child("Array");
    arr.append_attribute("n") = static_cast<unsigned>(F);
    arr.append_attribute("type") = "real";
    std::string text;
    for (size_t f = 0; f < F; ++f) text += (f ? " " : "") + format_double(cl.centers[k * F + f]);
    arr.text() = text.c_str();
  }
  return w.text();
}

}  // namespace mb::pmml
