// lm and glm objects (docs/r-objects.md): the design from the formula, the coefficients
// matched to its columns by name, the link from `$family$link`.
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/lang/formula.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

ir::Link parse_link(const std::string& link, const std::string& file) {
  static const std::pair<const char*, ir::Link> kLinks[] = {
      {"identity", ir::Link::Identity}, {"logit", ir::Link::Logit},          {"probit", ir::Link::Probit},
      {"cloglog", ir::Link::Cloglog},   {"cauchit", ir::Link::Cauchit},      {"log", ir::Link::Log},
      {"inverse", ir::Link::Inverse},   {"1/mu^2", ir::Link::InverseSquare}, {"sqrt", ir::Link::Sqrt},
  };
  for (auto& [name, l] : kLinks)
    if (link == name) return l;
  throw Unsupported(file, "$family$link", fmt::format("unsupported link function '{}'", link));
}

// Class labels of a binomial GLM: the response's factor levels (P = second level), FALSE/TRUE
// for a logical response, "0"/"1" for a numeric one (0/1, proportions or cbind(successes, failures)).
std::vector<std::string> binomial_classes(const RObject& root, const std::string& response, const std::string& file) {
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
      throw Error(file, "$model",
                  fmt::format("binomial response '{}' has {} levels; only two-level factors "
                              "are supported",
                              response, levels.size()));
    return levels;
  }
  if (col && col->type == RType::Character) {
    throw Error(file, "$model", fmt::format("binomial response '{}' is a character vector", response));
  }
  if (col && col->type == RType::Logical) return {"FALSE", "TRUE"};
  return {"0", "1"};
}

// A power link named "mu^<lambda>": statmod's tweedie(link.power) (linkinv eta^(1/lambda); the
// name is as.character(lambda), 15 significant digits) or stats::power(lambda) (linkinv
// pmax(eta^(1/lambda), .Machine$double.eps); the name rounds lambda to 3 decimals).  The exact
// lambda is the variable `lambda` of the inverse link's environment (an .rds keeps it; jsonlite's
// JSON does not, and the name is read then).  lambda 0 is tweedie's log link.
void power_link(const Member& family, const std::string& link, ir::Linear& lin, ir::Model& m) {
  double lambda = NAN;
  bool from_name = true;
  if (const auto inv = family.get("linkinv"); inv && inv->obj().type == RType::Closure && inv->obj().env)
    for (size_t i = 0; i < inv->obj().env->tags.size() && i < inv->obj().env->elements.size(); ++i) {
      const RObject* v = inv->obj().env->elements[i].get();
      if (inv->obj().env->tags[i] == "lambda" && v && v->is_numeric() && v->length() == 1) {
        lambda = v->number(0);
        from_name = false;
      }
    }
  const std::string text = link.substr(3);
  if (from_name) {
    char* end = nullptr;
    lambda = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
      family["link"].fail(fmt::format("expected a power link 'mu^<number>', found '{}'", link));
  }
  if (!std::isfinite(lambda)) family["link"].fail(fmt::format("power link '{}' with lambda {}", link, lambda));
  const bool tweedie = family["family"].string() == "Tweedie";
  if (lambda == 0) {
    if (!tweedie) family["link"].fail("a power link 'mu^0' outside statmod's tweedie family");
    lin.link = ir::Link::Log;  // tweedie's linkinv: pmax(exp(eta), .Machine$double.eps)
    return;
  }
  // eta^(1/1) is eta and eta^(1/0.5) is R's eta * eta (its `^` squares by multiplying): the
  // identity and sqrt links compute the same numbers, and PMML and ONNX name them so.
  if (lambda == 1) {
    lin.link = ir::Link::Identity;
  } else if (lambda == 0.5) {
    lin.link = ir::Link::Sqrt;
  } else {
    lin.link = ir::Link::Power;
    lin.link_power = lambda;
  }
  if (from_name && ((tweedie && text.find_first_of("eE") == std::string::npos &&
                     text.size() - (text.find('.') == std::string::npos ? 0 : 1) - (text[0] == '-' ? 1 : 0) >= 15) ||
                    (!tweedie && text.find('.') != std::string::npos && text.size() - text.find('.') - 1 >= 3)))
    warn(m, "r-power-link-rounded",
         fmt::format("the power link's lambda is read from its name '{}', which R rounds ({}); the object's "
                     "environment, which holds it exactly, does not survive JSON",
                     link, tweedie ? "as.character(): 15 significant digits" : "round(lambda, 3)"));
  if (!tweedie)
    warn(m, "r-power-link-floor",
         fmt::format("stats::power({:.17g})'s inverse link is pmax(eta^(1/lambda), .Machine$double.eps): R floors the "
                     "mean at 2.2e-16, modelbridge's power link (and the PMML and ONNX written) does not: rows whose "
                     "mean is below it differ",
                     lambda));
}

}  // namespace

ir::Model import_lm(const RObject& root, const std::string& file) {
  const bool is_glm = root.inherits("glm");
  ir::Model m;
  Design d = build_design(root, file);

  const Member coef = Member(root, file)["coefficients"];
  if (coef->dim().size() == 2) coef.fail("multiple-response linear models (mlm) are not supported");
  const std::vector<double> values = coef.numbers();
  const std::vector<std::string> names = coef.attr("names").strings();
  if (names.size() != values.size()) coef.fail("expected one name per coefficient");
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
    return values[it->second];
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
    const Member family = Member(root, file)["family"];
    const std::string fam = family["family"].string();
    const std::string link = family["link"].string();
    if (link.rfind("mu^", 0) == 0 && link != "mu^2") power_link(family, link, lin, m);
    else lin.link = parse_link(link, file);
    binomial = fam == "binomial" || fam == "quasibinomial";
    family_text = fmt::format("glm {}/{}", fam, link);
  }

  adopt_design(m, d);
  if (binomial) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = binomial_classes(root, d.response, file);
    lin.transform = ir::ScoreTransform::Binary;
  }
  m.estimator = std::move(lin);

  m.provenance.source_class = is_glm ? "glm" : "lm";
  m.provenance.family = family_text;
  if (!aliased.empty()) {
    std::string list;
    for (size_t i = 0; i < aliased.size(); ++i) list += (i ? ", " : "") + aliased[i];
    warn(m, "aliased-coefficients",
         fmt::format("rank-deficient fit: coefficients {} are NA (aliased); they are predicted as 0, "
                     "like R's predict()",
                     list));
  }
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
