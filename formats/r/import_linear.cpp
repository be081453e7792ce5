// lm and glm objects (R-OBJECTS.md section 2): the design from the formula, the coefficients
// matched to its columns by name, the link from `$family$link`.
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "formats/r/formula.hpp"
#include "formats/r/import.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {
namespace {

ir::Link parse_link(const std::string& link, const std::string& file) {
  static const std::pair<const char*, ir::Link> kLinks[] = {
      {"identity", ir::Link::Identity}, {"logit", ir::Link::Logit},     {"probit", ir::Link::Probit},
      {"cloglog", ir::Link::Cloglog},   {"cauchit", ir::Link::Cauchit}, {"log", ir::Link::Log},
      {"inverse", ir::Link::Inverse},   {"1/mu^2", ir::Link::InverseSquare}, {"sqrt", ir::Link::Sqrt},
  };
  for (auto& [name, l] : kLinks)
    if (link == name) return l;
  throw Error(file, "$family$link", fmt::format("unsupported link function '{}'", link));
}

std::string family_string(const RObject& family, const char* field, const std::string& file) {
  const RObject* o = family.get(field);
  if (!o || o->type != RType::Character || o->length() != 1 || !o->strings[0])
    throw Error(file, std::string("$family$") + field, "expected a character string");
  return *o->strings[0];
}

// Class labels of a binomial GLM: the response's factor levels (P = second level), FALSE/TRUE
// for a logical response, "0"/"1" for a numeric one (0/1, proportions or cbind(successes, failures)).
std::vector<std::string> binomial_classes(const RObject& root, const std::string& response,
                                          const std::string& file) {
  const RObject* col = nullptr;
  if (const RObject* mf = root.get("model"); mf && mf->type == RType::List) {
    col = mf->get(response);
    if (!col && !mf->elements.empty()) col = mf->elements[0].get();
  }
  if (!col)
    if (const RObject* data = root.get("data"); data && data->type == RType::List) col = data->get(response);
  if (col && col->type == RType::Integer && col->attr("levels")) {
    auto levels = col->levels();
    if (levels.size() != 2)
      throw Error(file, "$model", fmt::format("binomial response '{}' has {} levels; only two-level factors "
                                              "are supported", response, levels.size()));
    return levels;
  }
  if (col && col->type == RType::Character) {
    throw Error(file, "$model", fmt::format("binomial response '{}' is a character vector", response));
  }
  if (col && col->type == RType::Logical) return {"FALSE", "TRUE"};
  return {"0", "1"};
}

}  // namespace

ir::Model import_lm(const RObject& root, const std::string& file, Warnings& warnings) {
  const bool is_glm = root.inherits("glm");
  ir::Model m;
  Design d = build_design(root, file);

  const RObject* coef = root.get("coefficients");
  if (!coef || coef->type != RType::Double)
    throw Error(file, "$coefficients", "expected a named numeric vector of coefficients");
  if (coef->dim().size() == 2)
    throw Error(file, "$coefficients", "multiple-response linear models (mlm) are not supported");
  const std::vector<std::string> names = coef->names();
  if (names.size() != coef->length())
    throw Error(file, "$coefficients@names", "coefficients without names");
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < names.size(); ++i)
    if (!by_name.emplace(names[i], i).second)
      throw Error(file, "$coefficients@names", fmt::format("coefficient name '{}' appears twice", names[i]));
  std::vector<bool> matched(names.size(), false);
  std::vector<std::string> aliased;
  auto lookup = [&](const std::string& name) -> double {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw Error(file, "$coefficients",
                  fmt::format("no coefficient for the model-matrix column '{}' built from $terms", name));
    matched[it->second] = true;
    return coef->reals[it->second];
  };

  ir::Linear lin;
  double intercept = 0.0;
  if (d.intercept) {
    intercept = lookup("(Intercept)");
    if (std::isnan(intercept)) {
      aliased.push_back("(Intercept)");
      intercept = 0.0;
    }
  }
  lin.intercepts = {intercept};
  for (auto& col : d.columns) {
    const double b = lookup(col.name);
    if (std::isnan(b)) {  // aliased (rank-deficient fit): predict.lm leaves the column out
      aliased.push_back(col.name);
      continue;
    }
    m.features.push_back({col.name, std::move(col.expr)});
    lin.coefficients.push_back(b);
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!matched[i])
      throw Error(file, "$coefficients",
                  fmt::format("coefficient '{}' matches no model-matrix column built from $terms", names[i]));
  if (d.offset) {
    lin.offset_feature = static_cast<int32_t>(m.features.size());
    m.features.push_back({"(offset)", std::move(*d.offset)});
    lin.coefficients.push_back(0.0);
  }

  std::string family_text = "lm gaussian/identity";
  bool binomial = false;
  if (is_glm) {
    const RObject* family = root.get("family");
    if (!family || family->type != RType::List)
      throw Error(file, "$family", "expected the glm family (a list with $family and $link)");
    const std::string fam = family_string(*family, "family", file);
    const std::string link = family_string(*family, "link", file);
    lin.link = parse_link(link, file);
    binomial = fam == "binomial" || fam == "quasibinomial";
    family_text = fmt::format("glm {}/{}", fam, link);
  }

  m.schema.inputs = std::move(d.inputs);
  m.schema.target.name = d.response;
  if (binomial) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = binomial_classes(root, d.response, file);
    lin.transform = ir::ScoreTransform::Binary;
  }
  m.derived = std::move(d.derived);
  m.estimator = std::move(lin);

  m.provenance.source_class = is_glm ? "glm" : "lm";
  m.provenance.family = family_text;
  m.provenance.preprocessing = std::move(d.preprocessing);
  if (!aliased.empty()) {
    std::string list;
    for (size_t i = 0; i < aliased.size(); ++i) list += (i ? ", " : "") + aliased[i];
    Warning w{"aliased-coefficients",
              fmt::format("rank-deficient fit: coefficients {} are NA (aliased); they are predicted as 0, "
                          "like R's predict()", list)};
    m.provenance.warnings.push_back(w);
    warnings.push_back(std::move(w));
  }
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
