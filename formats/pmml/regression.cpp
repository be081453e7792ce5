// RegressionModel -> ir::Linear, and the Linear construction shared with GeneralRegressionModel.
#include <fmt/format.h>

#include "formats/pmml/families.hpp"
#include "formats/pmml/reader_context.hpp"

namespace mb::pmml::detail {
using ir::Expr;
using ir::Op;

ir::Link link_from_normalization(ReadContext& ctx, const pugi::xml_node& at, const std::string& m) {
  if (m.empty() || m == "none") return ir::Link::Identity;
  if (m == "logit" || m == "softmax") return ir::Link::Logit;
  if (m == "probit") return ir::Link::Probit;
  if (m == "cloglog") return ir::Link::Cloglog;
  if (m == "loglog") return ir::Link::Loglog;
  if (m == "cauchit") return ir::Link::Cauchit;
  if (m == "exp") return ir::Link::Log;
  ctx.unsupported(at, fmt::format("unsupported normalizationMethod '{}' here", m));
}

ir::Linear make_linear(ReadContext& ctx, const pugi::xml_node& at, std::vector<ScoreRow> rows, Scores kind,
                       ir::Link link) {
  ir::Model& m = ctx.model;
  const size_t F = m.features.size();
  ir::Linear lin;
  lin.link = link;
  auto put_row = [&](const ScoreRow& r, double sign, double shift) {
    lin.intercepts.push_back(shift + sign * r.intercept);
    const size_t base = lin.coefficients.size();
    lin.coefficients.resize(base + F, 0.0);
    for (auto& [f, c] : r.coef) lin.coefficients[base + f] = sign * c;
  };
  switch (kind) {
    case Scores::Single:
      if (rows.size() != 1) ctx.fail(at, fmt::format("expected one regression equation, found {}", rows.size()));
      put_row(rows[0], 1, 0);
      break;
    case Scores::BinaryFirst: {
      if (m.schema.target.classes.size() != 2)
        ctx.fail(at, fmt::format("binary {} scoring needs exactly two target categories, found {}",
                                 link == ir::Link::Identity ? "none" : "link", m.schema.target.classes.size()));
      lin.transform = ir::ScoreTransform::Binary;
      if (target_class(ctx, at, rows[0].category) == 1) {
        put_row(rows[0], 1, 0);
        break;
      }
      // The equation scores classes[0]: P(classes[1]) = 1 - linkinv(eta) = linkinv'(-eta).
      switch (link) {
        case ir::Link::Identity: put_row(rows[0], -1, 1); break;
        case ir::Link::Logit:
        case ir::Link::Probit:
        case ir::Link::Cauchit: put_row(rows[0], -1, 0); break;
        case ir::Link::Cloglog:
          lin.link = ir::Link::Loglog;
          put_row(rows[0], -1, 0);
          break;
        case ir::Link::Loglog:
          lin.link = ir::Link::Cloglog;
          put_row(rows[0], -1, 0);
          break;
        default:
          ctx.unsupported(at,
                          fmt::format("unsupported: the link scores the first target category '{}'", rows[0].category));
      }
      break;
    }
    case Scores::Cumulative: {
      // PMML ordinal targets: categories in the DataDictionary's order; the first K-1 equations
      // give the cumulative probabilities, the last category takes the rest.
      const auto& classes = m.schema.target.classes;
      std::vector<int> row_of(classes.size(), -1);
      for (size_t r = 0; r < rows.size(); ++r) {
        const int k = target_class(ctx, at, rows[r].category);
        if (row_of[k] >= 0) ctx.fail(at, fmt::format("target category '{}' has two equations", rows[r].category));
        row_of[k] = static_cast<int>(r);
      }
      for (size_t k = 0; k + 1 < classes.size(); ++k) {
        if (row_of[k] < 0) ctx.fail(at, fmt::format("ordinal target category '{}' has no equation", classes[k]));
        put_row(rows[row_of[k]], 1, 0);
      }
      lin.transform = ir::ScoreTransform::Cumulative;
      break;
    }
    case Scores::Softmax:
    case Scores::Simplemax: {
      const auto& classes = m.schema.target.classes;
      std::vector<int> row_of(classes.size(), -1);
      for (size_t r = 0; r < rows.size(); ++r) {
        const int k = target_class(ctx, at, rows[r].category);
        if (row_of[k] >= 0) ctx.fail(at, fmt::format("target category '{}' has two equations", rows[r].category));
        row_of[k] = static_cast<int>(r);
      }
      for (size_t k = 0; k < classes.size(); ++k)
        if (row_of[k] < 0) ctx.fail(at, fmt::format("target category '{}' has no equation", classes[k]));
      lin.transform = kind == Scores::Softmax ? ir::ScoreTransform::Softmax : ir::ScoreTransform::Normalize;
      lin.link = ir::Link::Identity;
      size_t first = 0;
      if (kind == Scores::Softmax && rows[row_of[0]].empty()) {
        lin.reference_class = true;
        first = 1;
      }
      for (size_t k = first; k < classes.size(); ++k) put_row(rows[row_of[k]], 1, 0);
      break;
    }
  }
  lin.n_targets = static_cast<int32_t>(lin.intercepts.size());
  return lin;
}

void read_regression_model(ReadContext& ctx, const pugi::xml_node& mn) {
  ir::Model& m = ctx.model;
  const auto& loc = ctx.loc;
  const std::string norm = mn.attribute("normalizationMethod").value();
  std::vector<ScoreRow> rows;
  for (auto c : elements(mn)) {
    const std::string_view name = local_name(c);
    if (name == "MiningSchema" || name == "Output" || name == "ModelStats" || name == "ModelExplanation" ||
        name == "Targets" || name == "LocalTransformations" || name == "ModelVerification")
      continue;
    if (name != "RegressionTable") ctx.unsupported(c, fmt::format("unsupported PMML element {}", name));
    ScoreRow row;
    row.intercept = loc.number_or(c, "intercept", 0.0);
    if (c.attribute("targetCategory")) row.category = c.attribute("targetCategory").value();
    for (auto p : elements(c)) {
      const std::string_view pname = local_name(p);
      const double coef = loc.number(p, "coefficient");
      std::string field = p.attribute("name").value();
      if (field.empty()) field = p.attribute("field").value();
      int f = -1;
      if (pname == "NumericPredictor") {
        if (field.empty()) ctx.fail(p, "expected attribute 'name' on NumericPredictor");
        const double exponent = loc.number_or(p, "exponent", 1.0);
        Expr x = ctx.predictor_ref(field, p);
        if (exponent == 1.0) f = add_feature(m, field, std::move(x));
        else
          f = add_feature(m, fmt::format("{}^{}", field, format_double(exponent)),
                          Expr::binary(Op::Pow, std::move(x), Expr::constant(exponent)));
      } else if (pname == "CategoricalPredictor") {
        if (field.empty()) ctx.fail(p, "expected attribute 'name' on CategoricalPredictor");
        const std::string value = loc.attr(p, "value");
        const int cat = ctx.categorical_input(field, p);
        if (cat < 0)
          ctx.fail(p, fmt::format("CategoricalPredictor on field '{}', which is not a categorical input", field));
        const int code = ctx.find_level(cat, value);
        if (code < 0) {
          ctx.warn("pmml-unknown-category", fmt::format("CategoricalPredictor value '{}' is not a value of field '{}'; "
                                                        "it can never match and is dropped",
                                                        value, field));
          continue;
        }
        // A missing value matches no category: the term contributes 0 (PMML RegressionModel).
        f = add_feature(m, field + value, Expr::call(Op::Coalesce, {Expr::level_is(cat, code), Expr::constant(0.0)}));
      } else if (pname == "PredictorTerm") {
        Expr prod;
        std::string label;
        bool first = true;
        for (auto fr : elements(p)) {
          if (!is(fr, "FieldRef"))
            ctx.unsupported(fr, fmt::format("unsupported PMML element {} in PredictorTerm", local_name(fr)));
          Expr x = ctx.expression(fr);
          label += (first ? "" : ":") + loc.attr(fr, "field");
          prod = first ? std::move(x) : Expr::binary(Op::Mul, std::move(prod), std::move(x));
          first = false;
        }
        if (first) ctx.fail(p, "expected FieldRef elements in PredictorTerm");
        f = add_feature(m, field.empty() ? label : field, std::move(prod));
      } else {
        ctx.unsupported(p, fmt::format("unsupported PMML element {}", pname));
      }
      row.coef[f] += coef;
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) ctx.fail(mn, "expected a RegressionTable");

  auto& prov = m.provenance;
  if (m.schema.target.task == ir::Task::Regression) {
    if (norm == "simplemax") ctx.unsupported(mn, "unsupported normalizationMethod 'simplemax' for regression");
    m.estimator = make_linear(ctx, mn, std::move(rows), Scores::Single, link_from_normalization(ctx, mn, norm));
    prov.family = fmt::format("linear regression ({})", norm.empty() ? "none" : norm);
    return;
  }
  for (auto& r : rows)
    if (r.category.empty())
      ctx.fail(mn, "expected a targetCategory on every RegressionTable of a classification model");
  std::string target_optype;
  if (auto it = ctx.fields.find(m.schema.target.name); it != ctx.fields.end())
    target_optype = it->second.node.attribute("optype").value();
  if (target_optype == "ordinal" && norm != "softmax" && norm != "simplemax") {
    const ir::Link link = link_from_normalization(ctx, mn, norm);
    if (link == ir::Link::Log) ctx.unsupported(mn, "unsupported normalizationMethod 'exp' for an ordinal target");
    m.estimator = make_linear(ctx, mn, std::move(rows), Scores::Cumulative, link);
    prov.family = fmt::format("ordinal regression ({} cumulative link)", norm.empty() ? "none" : norm);
    return;
  }
  if (norm == "softmax" || norm == "simplemax") {
    m.estimator = make_linear(ctx, mn, std::move(rows), norm == "softmax" ? Scores::Softmax : Scores::Simplemax,
                              ir::Link::Identity);
  } else if (rows.size() == 2) {
    const ir::Link link = link_from_normalization(ctx, mn, norm);
    if (link == ir::Link::Log) ctx.unsupported(mn, "unsupported normalizationMethod 'exp' for classification");
    rows.resize(1);  // the second equation is implied: 1 - p
    m.estimator = make_linear(ctx, mn, std::move(rows), Scores::BinaryFirst, link);
  } else {
    ctx.unsupported(mn, fmt::format("unsupported normalizationMethod '{}' with {} target categories",
                                    norm.empty() ? "none" : norm, rows.size()));
  }
  prov.family = fmt::format("regression classifier ({})", norm.empty() ? "none" : norm);
}

}  // namespace mb::pmml::detail
