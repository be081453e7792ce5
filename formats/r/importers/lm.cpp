// lm and glm objects (docs/r-objects.md): the design from the formula, the coefficients
// matched to its columns by name, the link from `$family$link`.
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "formats/r/lang/formula.hpp"
#include "formats/r/importers/import.hpp"
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
  for (auto& w : d.warnings) {
    m.provenance.warnings.push_back(w);
    warnings.push_back(w);
  }
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

namespace {

std::vector<double> numbers_of(const RObject& root, const char* name, const std::string& file) {
  const RObject* o = root.get(name);
  if (!o || !o->is_numeric()) throw Error(file, std::string("$") + name, "expected a numeric vector");
  return o->numbers();
}

}  // namespace

// nnet::multinom: a network without hidden units.  Units: 0 = bias, 1..n_in = the model-matrix
// columns named by $coefnames (the "(Intercept)" column included), then the K outputs (or one
// for two classes).  Output k sums wts[i] * unit(conn[i]) over nconn[k] <= i < nconn[k+1].
// K > 2: softmax over the outputs (class 1's weights are fixed 0).  K = 2: one logistic output
// for P(lev[2]), clamped by nnet to 0 below -15 and 1 above 15.
ir::Model import_multinom(const RObject& root, const std::string& file, Warnings& warnings) {
  ir::Model m;
  Design d = build_design(root, file);
  const std::vector<double> n = numbers_of(root, "n", file);
  const std::vector<double> nconn = numbers_of(root, "nconn", file);
  const std::vector<double> conn = numbers_of(root, "conn", file);
  const std::vector<double> wts = numbers_of(root, "wts", file);
  if (n.size() != 3 || n[1] != 0)
    throw Error(file, "$n", "expected c(inputs, 0, outputs): multinom has no hidden units");
  const size_t n_in = static_cast<size_t>(n[0]), n_out = static_cast<size_t>(n[2]);
  if (nconn.size() != n_in + n_out + 2 || nconn.back() != static_cast<double>(wts.size()) ||
      conn.size() != wts.size())
    throw Error(file, "$nconn", "connection counts do not match the weights");
  const RObject* coefnames = root.get("coefnames");
  if (!coefnames || coefnames->type != RType::Character || coefnames->length() != n_in)
    throw Error(file, "$coefnames", fmt::format("expected {} input names", n_in));
  const RObject* lev = root.get("lev");
  if (!lev || lev->type != RType::Character)
    throw Error(file, "$lev", "expected the class labels");
  std::vector<std::string> classes;
  for (size_t i = 0; i < lev->length(); ++i) classes.push_back(lev->str(i));
  const size_t K = classes.size();
  if (!((K == 2 && n_out == 1) || (K > 2 && n_out == K)))
    throw Error(file, "$n", fmt::format("{} outputs for {} classes", n_out, K));

  // Input unit u (1-based) -> design column, or -1 for the intercept column.
  std::vector<int> column_of(n_in + 1, -2);
  for (size_t u = 1; u <= n_in; ++u) {
    const std::string& name = coefnames->str(u - 1);
    if (name == "(Intercept)" && d.intercept) { column_of[u] = -1; continue; }
    for (size_t c = 0; c < d.columns.size(); ++c)
      if (d.columns[c].name == name) column_of[u] = static_cast<int>(c);
    if (column_of[u] == -2)
      throw Error(file, "$coefnames", fmt::format("input '{}' matches no model-matrix column built from $terms", name));
  }
  if (d.columns.size() + (d.intercept ? 1 : 0) != n_in)
    throw Error(file, "$coefnames", fmt::format("{} inputs for {} model-matrix columns", n_in,
                                                d.columns.size() + (d.intercept ? 1 : 0)));
  for (size_t u = 1; u <= n_in; ++u)
    if (column_of[u] >= 0) m.features.push_back({d.columns[column_of[u]].name, d.columns[column_of[u]].expr});
  if (d.offset)
    throw Error(file, "$terms@offset", "offsets in multinom models are not supported");

  // Weights per output: bias (with the intercept column folded in) and one per feature.
  const size_t F = m.features.size();
  std::vector<double> intercepts(n_out, 0.0), coefs(n_out * F, 0.0);
  for (size_t k = 0; k < n_out; ++k) {
    const size_t unit = n_in + 1 + k;
    for (size_t i = static_cast<size_t>(nconn[unit]); i < static_cast<size_t>(nconn[unit + 1]); ++i) {
      const size_t src = static_cast<size_t>(conn[i]);
      if (src > n_in) throw Error(file, "$conn", "a connection from a non-input unit");
      if (src == 0 || column_of[src] == -1) { intercepts[k] += wts[i]; continue; }
      size_t f = 0;
      for (size_t u = 1; u < src; ++u) f += column_of[u] >= 0;
      coefs[k * F + f] += wts[i];
    }
  }

  m.schema.inputs = std::move(d.inputs);
  m.schema.target.name = d.response;
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = classes;
  m.derived = std::move(d.derived);
  if (K == 2) {
    ir::Mlp mlp;
    ir::Mlp::Layer layer;
    layer.n_units = 1;
    layer.weights = coefs;
    layer.biases = intercepts;
    layer.activation = ir::Activation::LogisticClamped;
    mlp.layers.push_back(std::move(layer));
    mlp.n_outputs = 1;
    mlp.transform = ir::ScoreTransform::Binary;
    m.estimator = std::move(mlp);
  } else {
    ir::Linear lin;
    bool first_zero = intercepts[0] == 0.0;
    for (size_t f = 0; f < F; ++f) first_zero &= coefs[f] == 0.0;
    const size_t skip = first_zero ? 1 : 0;  // class 1 is the reference with eta 0
    lin.n_targets = static_cast<int32_t>(n_out - skip);
    lin.reference_class = first_zero;
    lin.intercepts.assign(intercepts.begin() + skip, intercepts.end());
    lin.coefficients.assign(coefs.begin() + skip * F, coefs.end());
    lin.transform = ir::ScoreTransform::Softmax;
    m.estimator = std::move(lin);
  }
  m.provenance.source_class = "multinom";
  m.provenance.family = K == 2 ? "multinomial logit (2 classes, nnet logistic output)" : "multinomial logit";
  m.provenance.preprocessing = std::move(d.preprocessing);
  for (auto& w : d.warnings) {
    m.provenance.warnings.push_back(w);
    warnings.push_back(w);
  }
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
