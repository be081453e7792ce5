// GeneralRegressionModel (regression, generalLinear, generalizedLinear, multinomialLogistic)
// -> ir::Linear.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "formats/pmml/reader_context.hpp"

namespace mb::pmml::detail {
namespace {

using ir::Expr;
using ir::Op;

// `power` gets a power link's lambda (mu = eta^(1 / lambda)) when the link is no named one.
ir::Link link_function(ReadContext& ctx, const pugi::xml_node& mn, double& power) {
  const std::string lf = mn.attribute("linkFunction").value();
  if (lf.empty()) ctx.fail(mn, "expected attribute 'linkFunction' for a generalizedLinear model");
  if (lf == "identity") return ir::Link::Identity;
  if (lf == "log") return ir::Link::Log;
  if (lf == "logit") return ir::Link::Logit;
  if (lf == "probit") return ir::Link::Probit;
  if (lf == "cloglog") return ir::Link::Cloglog;
  if (lf == "loglog") return ir::Link::Loglog;
  if (lf == "cauchit") return ir::Link::Cauchit;
  if (lf == "power") {
    const double d = ctx.loc.number(mn, "linkParameter");
    if (d == 1) return ir::Link::Identity;
    if (d == 0) return ir::Link::Log;
    if (d == -1) return ir::Link::Inverse;
    if (d == -2) return ir::Link::InverseSquare;
    if (d == 0.5) return ir::Link::Sqrt;
    if (!std::isfinite(d)) ctx.fail(mn, fmt::format("a power link with linkParameter {}", format_double(d)));
    power = d;
    return ir::Link::Power;
  }
  ctx.unsupported(mn, fmt::format("unsupported linkFunction '{}'", lf));
}

}  // namespace

void read_general_regression_model(ReadContext& ctx, const pugi::xml_node& mn) {
  ir::Model& m = ctx.model;
  const auto& loc = ctx.loc;
  const std::string type = loc.attr(mn, "modelType");
  const bool classification = m.schema.target.task == ir::Task::Classification;
  ir::Link link = ir::Link::Identity;
  double link_power = 1;
  Scores kind = Scores::Single;
  if (type == "regression" || type == "generalLinear") {
    if (classification) ctx.unsupported(mn, fmt::format("unsupported modelType '{}' for classification", type));
  } else if (type == "generalizedLinear") {
    link = link_function(ctx, mn, link_power);
    if (classification) kind = Scores::BinaryFirst;
  } else if (type == "multinomialLogistic") {
    if (!classification) ctx.fail(mn, "multinomialLogistic needs functionName=\"classification\"");
    kind = Scores::Softmax;
  } else {
    ctx.unsupported(mn, fmt::format("unsupported GeneralRegressionModel modelType '{}'", type));
  }
  if (mn.attribute("trialsVariable") || mn.attribute("trialsValue"))
    ctx.unsupported(mn, "unsupported trialsVariable / trialsValue");
  if (mn.attribute("cumulativeLink") && type != "ordinalMultinomial") {
    // informational for other model types
  }
  for (auto c : elements(mn)) {
    const std::string_view n = local_name(c);
    if (n == "PCovMatrix" || n == "ModelStats" || n == "ModelExplanation" || n == "ModelVerification" ||
        n == "Output" || n == "MiningSchema" || n == "Targets" || n == "LocalTransformations" || n == "ParameterList" ||
        n == "FactorList" || n == "CovariateList" || n == "PPMatrix" || n == "ParamMatrix")
      continue;
    ctx.unsupported(c, fmt::format("unsupported PMML element {}", n));
  }

  // Parameters, and the predictors they multiply (PPMatrix).
  struct Param {
    std::string name, label;
    pugi::xml_node node;
    int feature = -1;
  };
  std::vector<Param> params;
  std::map<std::string, size_t> param_index;
  for (auto p : children(child(mn, "ParameterList"), "Parameter")) {
    Param pr{loc.attr(p, "name"), p.attribute("label").value(), p};
    if (param_index.count(pr.name)) ctx.fail(p, fmt::format("parameter '{}' is listed twice", pr.name));
    param_index[pr.name] = params.size();
    params.push_back(pr);
  }
  std::set<std::string> factors, covariates;
  for (auto p : children(child(mn, "FactorList"), "Predictor")) {
    if (!elements(p).empty())
      ctx.unsupported(elements(p)[0],
                      fmt::format("unsupported PMML element {} (contrast matrices)", local_name(elements(p)[0])));
    factors.insert(loc.attr(p, "name"));
  }
  for (auto p : children(child(mn, "CovariateList"), "Predictor")) covariates.insert(loc.attr(p, "name"));
  std::map<std::string, std::vector<pugi::xml_node>> cells;
  for (auto cell : children(child(mn, "PPMatrix"), "PPCell")) {
    if (cell.attribute("targetCategory")) ctx.unsupported(cell, "unsupported PPCell with a targetCategory");
    const std::string pn = loc.attr(cell, "parameterName");
    if (!param_index.count(pn)) ctx.fail(cell, fmt::format("parameter '{}' is not in the ParameterList", pn));
    cells[pn].push_back(cell);
  }
  for (auto& pr : params) {
    auto it = cells.find(pr.name);
    if (it == cells.end()) continue;  // the intercept
    Expr term;
    std::string label;
    for (size_t i = 0; i < it->second.size(); ++i) {
      const auto cell = it->second[i];
      const std::string pred = loc.attr(cell, "predictorName");
      const std::string value = loc.attr(cell, "value");
      Expr x;
      std::string part;
      if (factors.count(pred)) {
        const int cat = ctx.categorical_input(pred, cell);
        if (cat >= 0) {
          x = Expr::level_is(cat, ctx.level_code(cat, value, cell));
          // Open level sets: an unlisted value is the reference level (no indicator).
          if (ctx.open_domain.count(cat)) x = Expr::call(Op::Coalesce, {std::move(x), Expr::constant(0.0)});
        } else {
          auto v = parse_double(value);
          if (!v) ctx.fail(cell, fmt::format("expected a numeric value for factor '{}', found '{}'", pred, value));
          x = Expr::binary(Op::Eq, ctx.numeric_ref(pred, cell), Expr::constant(*v));
        }
        part = pred + value;
      } else {
        if (!covariates.count(pred))
          ctx.fail(cell, fmt::format("predictor '{}' is in neither the FactorList nor the CovariateList", pred));
        auto e = parse_double(value);
        if (!e) ctx.fail(cell, fmt::format("expected a numeric exponent, found '{}'", value));
        x = ctx.predictor_ref(pred, cell);
        part = pred;
        if (*e != 1.0) {
          x = Expr::binary(Op::Pow, std::move(x), Expr::constant(*e));
          part += "^" + format_double(*e);
        }
      }
      term = i == 0 ? std::move(x) : Expr::binary(Op::Mul, std::move(term), std::move(x));
      label += (i == 0 ? "" : ":") + part;
    }
    pr.feature = add_feature(m, pr.label.empty() ? label : pr.label, std::move(term));
  }

  // Coefficients per target category.
  std::vector<ScoreRow> rows;
  auto row_for = [&](const std::string& cat) -> ScoreRow& {
    for (auto& r : rows)
      if (r.category == cat) return r;
    ScoreRow r;
    r.category = cat;
    rows.push_back(std::move(r));
    return rows.back();
  };
  std::string reference = mn.attribute("targetReferenceCategory").value();
  const auto& classes = m.schema.target.classes;
  for (auto pc : children(child(mn, "ParamMatrix"), "PCell")) {
    const std::string pn = loc.attr(pc, "parameterName");
    auto it = param_index.find(pn);
    if (it == param_index.end()) ctx.fail(pc, fmt::format("parameter '{}' is not in the ParameterList", pn));
    std::string cat = classification ? pc.attribute("targetCategory").value() : "";
    if (classification && cat.empty()) {
      // Binary models may leave the category implicit: the one that is not the reference.
      for (const auto& c : classes)
        if (c != reference) {
          cat = c;
          break;
        }
      if (reference.empty()) cat = classes.size() > 1 ? classes[1] : "";
    }
    ScoreRow& row = row_for(cat);
    const double beta = loc.number(pc, "beta");
    const Param& pr = params[it->second];
    if (pr.feature < 0) row.intercept += beta;
    else row.coef[pr.feature] += beta;
  }
  if (rows.empty()) row_for(classification ? (classes.size() > 1 ? classes[1] : "") : "");

  // Offsets.
  int offset_feature = -1;
  if (auto ov = mn.attribute("offsetVariable")) {
    Expr e = ctx.predictor_ref(ov.value(), mn);
    m.features.push_back({ov.value(), std::move(e)});
    offset_feature = static_cast<int>(m.features.size()) - 1;
  }
  const double offset_value = loc.number_or(mn, "offsetValue", 0.0);
  for (auto& r : rows) r.intercept += offset_value;

  if (kind == Scores::Softmax) {
    if (reference.empty()) {
      for (const auto& c : classes) {
        bool has = false;
        for (auto& r : rows) has |= r.category == c;
        if (!has) {
          reference = c;
          break;
        }
      }
    }
    if (reference.empty()) ctx.fail(mn, "expected a targetReferenceCategory");
    if (!row_for(reference).empty()) ctx.fail(mn, fmt::format("the reference category '{}' has parameters", reference));
  } else if (kind == Scores::BinaryFirst) {
    if (rows.size() != 1)
      ctx.fail(mn, fmt::format("expected parameters for one target category, found {}", rows.size()));
  }
  ir::Linear lin = make_linear(ctx, mn, std::move(rows), kind, link);
  lin.offset_feature = offset_feature;
  lin.link_power = link_power;
  m.estimator = std::move(lin);
  m.provenance.family =
      type == "generalizedLinear" ? fmt::format("generalized linear ({})", mn.attribute("linkFunction").value()) : type;
}

}  // namespace mb::pmml::detail
