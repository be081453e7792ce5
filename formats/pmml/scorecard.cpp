// PMML Scorecard -> ir::Linear.
//
// A scorecard is an additive model: the score is initialScore plus, for each Characteristic, the
// partial score of its first Attribute whose predicate is TRUE (a number, or a ComplexPartialScore
// expression).  Each characteristic is one feature, IfElse(first attribute TRUE, its score,
// IfElse(second ..., missing)): a characteristic none of whose attributes is TRUE makes the score
// missing.  The estimator is a linear regression with coefficient 1 per characteristic and the
// initial score as intercept.  Reason codes (useReasonCodes, reasonCodeAlgorithm, baselineScore,
// baselineMethod) explain a score, they do not change it; the output contract has no column for
// them, so they are not produced: warning `pmml-scorecard-reason-codes`.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "formats/pmml/tree.hpp"
#include "lib/util/limits.hpp"

namespace mb::pmml::detail {

void read_scorecard(ReadContext& ctx, const pugi::xml_node& mn) {
  auto& m = ctx.model;
  for (auto c : elements(mn)) {
    const auto name = local_name(c);
    if (name != "MiningSchema" && name != "Output" && name != "ModelStats" && name != "ModelExplanation" &&
        name != "Targets" && name != "LocalTransformations" && name != "ModelVerification" && name != "Characteristics")
      ctx.unsupported(c, fmt::format("unsupported PMML element {} in Scorecard", name));
  }
  if (m.schema.target.task != ir::Task::Regression)
    ctx.unsupported(
        mn, fmt::format("unsupported functionName '{}' for a Scorecard (expected regression: the score is a number)",
                        mn.attribute("functionName").value()));
  const std::string use = mn.attribute("useReasonCodes") ? mn.attribute("useReasonCodes").value() : "true";
  if (use != "true" && use != "false")
    ctx.fail(mn, fmt::format("expected true or false in attribute 'useReasonCodes', found '{}'", use));
  if (use == "true")
    ctx.warn(
        "pmml-scorecard-reason-codes",
        "the scorecard's reason codes are not produced: the output holds the score (the product's columns have none "
        "for reason codes)");
  const double initial = ctx.loc.number_or(mn, "initialScore", 0.0);
  if (auto lt = child(mn, "LocalTransformations")) ctx.declare_derived(lt, true);
  const auto chars = child(mn, "Characteristics");
  if (!chars) ctx.fail(mn, "expected a Characteristics element");
  for (auto c : elements(chars))
    if (!is(c, "Characteristic"))
      ctx.unsupported(c, fmt::format("unsupported PMML element {} in Characteristics", local_name(c)));
  const auto list = children(chars, "Characteristic");
  if (list.empty()) ctx.fail(chars, "expected a Characteristic element in Characteristics");

  std::vector<std::pair<int, pugi::xml_node>> used;
  for (size_t ci = 0; ci < list.size(); ++ci) {
    const auto ch = list[ci];
    for (auto e : elements(ch))
      if (!is(e, "Attribute"))
        ctx.unsupported(e, fmt::format("unsupported PMML element {} in Characteristic", local_name(e)));
    const auto attrs = children(ch, "Attribute");
    if (attrs.empty()) ctx.fail(ch, "expected an Attribute element in Characteristic");
    // The characteristic's expression nests one IfElse per attribute (and so does its PMML form
    // when written): its depth is budgeted as the document's nesting is.
    if (const uint64_t limit = limits::get(limits::Id::XmlDepth); attrs.size() > limit)
      limits::exceeded(
          limits::Id::XmlDepth, ctx.loc.file(), ctx.loc.place(ch),
          fmt::format("a characteristic of {} attributes, an expression {} deep,", attrs.size(), attrs.size()));
    // Built from the last attribute backwards: none TRUE gives a missing score.
    ir::Expr e = ir::Expr::constant(std::numeric_limits<double>::quiet_NaN());
    for (size_t a = attrs.size(); a-- > 0;) {
      const auto at = attrs[a];
      pugi::xml_node pred, complex;
      for (auto x : elements(at)) {
        if (is_predicate(x)) {
          if (pred) ctx.fail(x, "expected one predicate in Attribute");
          pred = x;
        } else if (is(x, "ComplexPartialScore")) {
          complex = x;
        } else {
          ctx.unsupported(x, fmt::format("unsupported PMML element {} in Attribute", local_name(x)));
        }
      }
      if (!pred) ctx.fail(at, "expected a predicate (True, SimplePredicate, ...) in Attribute");
      ir::Expr score;
      if (complex) {
        const auto parts = elements(complex);
        if (parts.size() != 1) ctx.fail(complex, "expected one expression in ComplexPartialScore");
        score = ctx.expression(parts[0]);
      } else if (at.attribute("partialScore")) {
        score = ir::Expr::constant(ctx.loc.number(at, "partialScore"));
      } else {
        ctx.fail(at, "expected a partialScore attribute or a ComplexPartialScore element in Attribute");
      }
      e = ir::Expr::call(ir::Op::IfElse, {predicate_is_true(ctx, pred), std::move(score), std::move(e)});
    }
    std::string name = ch.attribute("name").value();
    if (name.empty()) name = fmt::format("characteristic {}", ci + 1);
    used.emplace_back(add_feature(m, name, std::move(e)), ch);
  }
  ir::Linear lin;
  lin.coefficients.assign(m.features.size(), 0.0);
  for (const auto& [f, ch] : used)
    lin.coefficients[static_cast<size_t>(f)] += 1.0;  // equal characteristics count twice
  lin.intercepts = {initial};
  m.estimator = std::move(lin);
  m.provenance.family = fmt::format("scorecard ({} characteristics)", list.size());
}

}  // namespace mb::pmml::detail
