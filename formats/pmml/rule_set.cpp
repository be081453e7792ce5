// PMML RuleSetModel -> ir::TreeEnsemble.
//
// A rule set is a flattened decision tree: each SimpleRule has a predicate and a score, and a
// CompoundRule adds its predicate to every rule inside it.  A rule fires when all these predicates
// are TRUE; a predicate is three-valued (UNKNOWN when a value it needs is missing, with the Kleene
// logic of TreeModel predicates), and an UNKNOWN one does not fire.  Each rule's firing is one
// feature of the model, 1 when it fires and 0 otherwise (never missing): an expression over the
// inputs that computes "is TRUE" of the predicates exactly.  The first RuleSelectionMethod says
// how the firing rules give the prediction (PMML 4.4 RuleSet):
//  - firstHit: the first rule that fires, in document order: one tree, a chain of tests of the
//    firing features (a CompoundRule whose predicate is TRUE but none of whose rules fires goes on
//    to the rules after it, as flattening says).  Probabilities: the rule's ScoreDistribution
//    (probabilities, else record counts over their total); a score that is not the first most
//    probable class there is the leaf's node label (ir::Tree::label).
//  - weightedMax: the firing rule with the largest weight, the first of equal weights: the same
//    chain over the rules sorted by weight (a stable sort).
//  - weightedSum: the class whose firing rules have the largest total weight, the first class of
//    the DataDictionary on ties: one tree per rule (its weight on its score when it fires, else
//    0) summed; the class probabilities are the totals over their sum (the shares of the weight).
//    PMML's confidence (the winner's total over the number of firing rules) is not an output.
// When no rule fires, the RuleSet's defaultScore is predicted (probability 1), else nothing (a
// missing prediction).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "formats/pmml/tree.hpp"
#include "lib/util/limits.hpp"

namespace mb::pmml::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using ir::Expr;
using ir::Op;

bool is_predicate_element(std::string_view name) {
  return name == "SimplePredicate" || name == "SimpleSetPredicate" || name == "CompoundPredicate" || name == "True" ||
         name == "False";
}

// The one predicate of a SimpleRule or CompoundRule.
pugi::xml_node rule_predicate(ReadContext& ctx, const pugi::xml_node& rule) {
  pugi::xml_node pred;
  for (auto c : elements(rule)) {
    if (!is_predicate_element(local_name(c))) continue;
    if (pred) ctx.fail(c, fmt::format("expected one predicate in {}", local_name(rule)));
    pred = c;
  }
  if (!pred) ctx.fail(rule, fmt::format("expected a predicate (True, SimplePredicate, ...) in {}", local_name(rule)));
  return pred;
}

Expr konst(double v) { return Expr::constant(v); }
Expr both(Expr a, Expr b) { return Expr::binary(Op::And, std::move(a), std::move(b)); }
Expr either(Expr a, Expr b) { return Expr::binary(Op::Or, std::move(a), std::move(b)); }
Expr negate(Expr a) { return Expr::unary(Op::Not, std::move(a)); }
Expr if_else(Expr c, Expr t, Expr f) { return Expr::call(Op::IfElse, {std::move(c), std::move(t), std::move(f)}); }

// A predicate as two expressions that are 1 or 0, never missing: "is TRUE" and "is FALSE" (both
// 0: UNKNOWN).
struct Truth {
  Expr t, f;
};

class PredicateCompiler {
 public:
  explicit PredicateCompiler(ReadContext& ctx) : ctx_(ctx) {}

  Truth compile(const pugi::xml_node& p) {
    const auto name = local_name(p);
    if (name == "True") return {konst(1), konst(0)};
    if (name == "False") return {konst(0), konst(1)};
    if (name == "CompoundPredicate") return compound(p);
    return simple(p);
  }

 private:
  // TRUE when the value x is present and `cmp` holds; FALSE when present and not.
  static Truth present_and(const Expr& x, Expr cmp) {
    Expr missing = Expr::unary(Op::IsMissing, x);
    return {if_else(missing, konst(0), cmp), if_else(missing, konst(0), negate(cmp))};
  }

  Truth simple(const pugi::xml_node& x) {
    auto& m = ctx_.model;
    const std::string field = ctx_.loc.attr(x, "field");
    FieldInfo& fi = ctx_.field(field, x);
    if (fi.kind == FieldInfo::Target) ctx_.fail(x, fmt::format("the target field '{}' cannot be tested", field));
    const bool categorical = fi.kind == FieldInfo::Input && m.schema.inputs[fi.input].is_categorical();
    if (is(x, "SimpleSetPredicate")) {
      const std::string op = ctx_.loc.attr(x, "booleanOperator");
      if (op != "isIn" && op != "isNotIn")
        ctx_.fail(x, fmt::format("unknown booleanOperator '{}' (expected isIn or isNotIn)", op));
      if (!categorical)
        ctx_.unsupported(x, fmt::format("unsupported SimpleSetPredicate on the non-categorical field '{}'", field));
      auto arr = child(x, "Array");
      if (!arr) ctx_.fail(x, "expected an Array");
      std::vector<double> in(m.schema.inputs[fi.input].levels.size(), 0.0);
      for (const auto& tok : ctx_.loc.array(arr)) {
        const int code = ctx_.find_level(fi.input, tok);
        if (code < 0) {
          ctx_.warn("pmml-unknown-category",
                    fmt::format("value '{}' of a SimpleSetPredicate is not a value of field '{}'; "
                                "it can never match",
                                tok, field));
          continue;
        }
        in[static_cast<size_t>(code)] = 1;
      }
      if (op == "isNotIn")
        for (auto& v : in) v = 1 - v;
      const Expr value = Expr::input(fi.input);
      return present_and(value, Expr::level_map(fi.input, std::move(in)));
    }
    const std::string op = ctx_.loc.attr(x, "operator");
    if (op == "isMissing" || op == "isNotMissing") {
      const Expr value = categorical ? Expr::input(fi.input) : ctx_.predictor_ref(field, x);
      Expr missing = Expr::unary(Op::IsMissing, value);
      Expr present = negate(missing);
      if (op == "isMissing") return {std::move(missing), std::move(present)};
      return {std::move(present), std::move(missing)};
    }
    static const std::map<std::string, Op> kOps = {{"lessThan", Op::Lt},    {"lessOrEqual", Op::Le},
                                                   {"greaterThan", Op::Gt}, {"greaterOrEqual", Op::Ge},
                                                   {"equal", Op::Eq},       {"notEqual", Op::Ne}};
    auto it = kOps.find(op);
    if (it == kOps.end())
      ctx_.fail(x, fmt::format("unknown operator '{}' (expected equal, notEqual, lessThan, lessOrEqual, greaterThan, "
                               "greaterOrEqual, isMissing or isNotMissing)",
                               op));
    const std::string value = ctx_.loc.attr(x, "value");
    const auto& input = categorical ? m.schema.inputs[fi.input] : ir::InputField{};
    if (categorical && (op == "equal" || op == "notEqual" || input.kind == ir::FieldKind::Ordinal)) {
      const Expr code_of = Expr::input(fi.input);
      const int code = ctx_.find_level(fi.input, value);
      if (code < 0) {
        if (input.kind == ir::FieldKind::Ordinal && op != "equal" && op != "notEqual")
          ctx_.fail(x, fmt::format("value '{}' is not a value of the ordinal field '{}'", value, field));
        ctx_.warn("pmml-unknown-category",
                  fmt::format("value '{}' compared with field '{}' is not one of its values", value, field));
        return present_and(code_of, konst(op == "notEqual" ? 1 : 0));
      }
      // Ordinal values compare by their order in the DataDictionary.
      return present_and(code_of, Expr::binary(it->second, code_of, konst(code)));
    }
    auto v = parse_double(value);
    if (!v)
      ctx_.fail(x, fmt::format("expected a number in attribute 'value' for field '{}', found '{}'", field, value));
    const Expr num = ctx_.predictor_ref(field, x);  // numeric levels of a categorical field too
    return present_and(num, Expr::binary(it->second, num, konst(*v)));
  }

  Truth compound(const pugi::xml_node& c) {
    const std::string op = ctx_.loc.attr(c, "booleanOperator");
    std::vector<Truth> parts;
    for (auto e : elements(c))
      if (is_predicate_element(local_name(e))) parts.push_back(compile(e));
    if (parts.empty()) ctx_.fail(c, "expected predicates in CompoundPredicate");
    if (op == "and" || op == "or") {
      // and: TRUE when all are TRUE, FALSE when one is FALSE; or: the other way round.
      const bool is_and = op == "and";
      Truth r = std::move(parts[0]);
      for (size_t i = 1; i < parts.size(); ++i) {
        if (is_and) r = {both(std::move(r.t), std::move(parts[i].t)), either(std::move(r.f), std::move(parts[i].f))};
        else r = {either(std::move(r.t), std::move(parts[i].t)), both(std::move(r.f), std::move(parts[i].f))};
      }
      return r;
    }
    if (op == "xor") {
      // UNKNOWN when one is UNKNOWN, else TRUE for an odd number of TRUE elements.
      Expr known = either(parts[0].t, parts[0].f);
      Expr odd = parts[0].t;
      for (size_t i = 1; i < parts.size(); ++i) {
        known = both(std::move(known), either(parts[i].t, parts[i].f));
        odd = Expr::binary(Op::Ne, std::move(odd), std::move(parts[i].t));
      }
      return {both(known, odd), both(known, negate(odd))};
    }
    if (op == "surrogate") {
      // The first element that is not UNKNOWN decides; all UNKNOWN: UNKNOWN.
      Truth r{konst(0), konst(0)};
      for (size_t i = parts.size(); i-- > 0;) {
        Expr t = if_else(parts[i].t, konst(1), if_else(parts[i].f, konst(0), std::move(r.t)));
        Expr f = if_else(parts[i].t, konst(0), if_else(parts[i].f, konst(1), std::move(r.f)));
        r = {std::move(t), std::move(f)};
      }
      return r;
    }
    ctx_.fail(c, fmt::format("unknown booleanOperator '{}' (expected and, or, xor or surrogate)", op));
  }

  ReadContext& ctx_;
};

}  // namespace

ir::Expr predicate_is_true(ReadContext& ctx, const pugi::xml_node& predicate) {
  PredicateCompiler pc(ctx);
  return pc.compile(predicate).t;
}

bool is_predicate(const pugi::xml_node& n) { return is_predicate_element(local_name(n)); }

namespace {

struct Rule {
  pugi::xml_node node;
  Expr fires;
  double weight = 1;
  std::string name;
};

// The rules of `parent` (RuleSet or CompoundRule) in document order, CompoundRules opened;
// `guard` is "every enclosing CompoundRule's predicate is TRUE".
void flatten(ReadContext& ctx, PredicateCompiler& pc, const pugi::xml_node& parent, const Expr* guard,
             std::vector<Rule>& out) {
  for (auto c : elements(parent)) {
    const auto name = local_name(c);
    if (name == "SimpleRule") {
      for (auto e : elements(c))
        if (!is_predicate_element(local_name(e)) && !is(e, "ScoreDistribution"))
          ctx.unsupported(e, fmt::format("unsupported PMML element {} in SimpleRule", local_name(e)));
      Rule r;
      r.node = c;
      r.fires = pc.compile(rule_predicate(ctx, c)).t;
      if (guard) r.fires = both(*guard, std::move(r.fires));
      ctx.loc.attr(c, "score");
      r.weight = ctx.loc.number_or(c, "weight", 1.0);
      if (!std::isfinite(r.weight)) ctx.fail(c, "expected a finite number in attribute 'weight'");
      r.name = c.attribute("id") ? std::string(c.attribute("id").value()) : fmt::format("rule {}", out.size() + 1);
      out.push_back(std::move(r));
    } else if (name == "CompoundRule") {
      for (auto e : elements(c))
        if (!is_predicate_element(local_name(e)) && !is(e, "SimpleRule") && !is(e, "CompoundRule"))
          ctx.unsupported(e, fmt::format("unsupported PMML element {} in CompoundRule", local_name(e)));
      Expr inner = pc.compile(rule_predicate(ctx, c)).t;
      if (guard) inner = both(*guard, std::move(inner));
      const size_t before = out.size();
      flatten(ctx, pc, c, &inner, out);
      if (out.size() == before) ctx.fail(c, "expected a SimpleRule or CompoundRule in CompoundRule");
    } else if (is(parent, "RuleSet") && name != "RuleSelectionMethod" && name != "ScoreDistribution") {
      ctx.unsupported(c, fmt::format("unsupported PMML element {} in RuleSet", name));
    } else if (!is(parent, "RuleSet") && !is_predicate_element(name)) {
      ctx.unsupported(c, fmt::format("unsupported PMML element {} in {}", name, local_name(parent)));
    }
  }
}

int class_index(ReadContext& ctx, const std::string& label, const pugi::xml_node& at) {
  const auto& classes = ctx.model.schema.target.classes;
  for (size_t k = 0; k < classes.size(); ++k)
    if (classes[k] == label) return static_cast<int>(k);
  auto v = parse_double(label);
  for (size_t k = 0; v && k < classes.size(); ++k) {
    auto c = parse_double(classes[k]);
    if (c && *c == *v) return static_cast<int>(k);
  }
  ctx.fail(at, fmt::format("'{}' is not a category of the target field", label));
}

// A rule's class probabilities (see the top of this file); `label` is set to the rule's score
// where that is not the first most probable class of its ScoreDistribution, else -1.
std::vector<double> rule_values(ReadContext& ctx, const Rule& r, size_t K, int32_t& label) {
  std::vector<double> p(K, 0.0);
  label = -1;
  const int score = class_index(ctx, ctx.loc.attr(r.node, "score"), r.node);
  const auto sds = children(r.node, "ScoreDistribution");
  bool any_prob = false;
  double total = 0;
  for (auto sd : sds) {
    any_prob |= static_cast<bool>(sd.attribute("probability"));
    total += ctx.loc.number_or(sd, "recordCount", 0.0);
  }
  if (!sds.empty() && (any_prob || total > 0)) {
    for (auto sd : sds) {
      const int k = class_index(ctx, ctx.loc.attr(sd, "value"), sd);
      p[static_cast<size_t>(k)] =
          any_prob ? ctx.loc.number_or(sd, "probability", 0.0) : ctx.loc.number_or(sd, "recordCount", 0.0) / total;
    }
    bool first_max = true;  // the IR labels a row by its first most probable class
    for (int k = 0; k < static_cast<int>(K); ++k) first_max &= !(p[k] > p[score] || (k < score && p[k] == p[score]));
    if (!first_max) label = score;  // the rule's class, with its own probabilities
    return p;
  }
  p[static_cast<size_t>(score)] = 1;
  return p;
}

// Builds a tree node by node; children follow their parents.
class TreeBuilder {
 public:
  explicit TreeBuilder(size_t K) : K_(K) {}
  int leaf(const std::vector<double>& values, int32_t label = -1) {
    const int id = push();
    std::copy(values.begin(), values.end(), t.values.end() - static_cast<ptrdiff_t>(K_));
    if (label >= 0) {
      t.label.resize(t.op.size(), -1);
      t.label[static_cast<size_t>(id)] = label;
    }
    return id;
  }
  // Node labels cover every node once one has a label.
  ir::Tree take() {
    if (!t.label.empty()) t.label.resize(t.op.size(), -1);
    return std::move(t);
  }
  // A test "feature > 0.5" (the rule fires) whose children are set later; missing goes right.
  int test(int feature) {
    const int id = push();
    t.op[id] = ir::SplitOp::GreaterThan;
    t.feature[id] = feature;
    t.threshold[id] = 0.5;
    return id;
  }
  // A node that makes the whole prediction missing.
  int null_node(int null_feature) {
    const int id = push();
    const int l = push();
    t.op[id] = ir::SplitOp::LessThan;
    t.feature[id] = null_feature;
    t.missing[id] = ir::MissingGo::Null;
    t.left[id] = t.right[id] = l;
    return id;
  }
  ir::Tree t;

 private:
  int push() {
    const int id = t.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);
    t.set_offset.push_back(0);
    t.set_size.push_back(0);
    t.sur_offset.push_back(0);
    t.sur_size.push_back(0);
    t.values.insert(t.values.end(), K_, kNaN);
    return id;
  }
  size_t K_;
};

}  // namespace

void read_rule_set_model(ReadContext& ctx, const pugi::xml_node& mn) {
  auto& m = ctx.model;
  for (auto c : elements(mn)) {
    const auto name = local_name(c);
    if (name != "MiningSchema" && name != "Output" && name != "ModelStats" && name != "ModelExplanation" &&
        name != "Targets" && name != "LocalTransformations" && name != "ModelVerification" && name != "RuleSet")
      ctx.unsupported(c, fmt::format("unsupported PMML element {} in RuleSetModel", name));
  }
  if (m.schema.target.task != ir::Task::Classification)
    ctx.unsupported(
        mn,
        fmt::format("unsupported functionName '{}' for a RuleSetModel (expected classification: rules predict classes)",
                    mn.attribute("functionName").value()));
  const auto rs = child(mn, "RuleSet");
  if (!rs) ctx.fail(mn, "expected a RuleSet element");
  const auto methods = children(rs, "RuleSelectionMethod");
  if (methods.empty()) ctx.fail(rs, "expected a RuleSelectionMethod element in RuleSet");
  // The first method is the one used for scoring; the others are alternatives an application may choose.
  const std::string criterion = ctx.loc.attr(methods[0], "criterion");
  if (criterion != "firstHit" && criterion != "weightedSum" && criterion != "weightedMax")
    ctx.fail(methods[0],
             fmt::format("unknown criterion '{}' (expected firstHit, weightedSum or weightedMax)", criterion));
  if (auto lt = child(mn, "LocalTransformations")) ctx.declare_derived(lt, true);

  PredicateCompiler pc(ctx);
  std::vector<Rule> rules;
  flatten(ctx, pc, rs, nullptr, rules);
  // The rules become a chain of tests one deep per rule: its depth is a tree's depth.
  if (const uint64_t limit = limits::get(limits::Id::TreeDepth); rules.size() + 1 > limit)
    limits::exceeded(limits::Id::TreeDepth, ctx.loc.file(), ctx.loc.place(rs),
                     fmt::format("{} rules, a chain of tests {} deep,", rules.size(), rules.size() + 1));
  const bool has_default = static_cast<bool>(rs.attribute("defaultScore"));
  if (rules.empty() && !has_default)
    ctx.fail(rs, "a RuleSet without rules and without a defaultScore predicts nothing");
  const size_t K = m.schema.target.classes.size();
  std::vector<double> default_values(K, 0.0);
  if (has_default) default_values[static_cast<size_t>(class_index(ctx, rs.attribute("defaultScore").value(), rs))] = 1;
  if (criterion == "weightedMax")
    std::stable_sort(rules.begin(), rules.end(), [](const Rule& a, const Rule& b) { return a.weight > b.weight; });
  std::vector<int> feature;
  for (const auto& r : rules) feature.push_back(add_feature(m, "fires(" + r.name + ")", r.fires));

  // The chain "first rule that fires": rule j's leaf from `leaf(j)`, then the default or nothing.
  auto chain = [&](const std::function<std::vector<double>(size_t)>& leaf, const std::vector<int32_t>& labels = {}) {
    TreeBuilder b(K);
    int prev = -1;
    for (size_t j = 0; j < rules.size(); ++j) {
      const int id = b.test(feature[j]);
      if (prev >= 0) b.t.right[prev] = id;
      b.t.left[id] = b.leaf(leaf(j), labels.empty() ? -1 : labels[j]);
      prev = id;
    }
    const int last = has_default ? b.leaf(default_values) : b.null_node(null_feature(m));
    if (prev >= 0) b.t.right[prev] = last;
    return b.take();
  };

  ir::TreeEnsemble te;
  te.n_outputs = static_cast<int32_t>(K);
  if (criterion == "weightedSum") {
    std::vector<double> zero(K, 0.0);
    for (size_t j = 0; j < rules.size(); ++j) {
      if (!(rules[j].weight > 0))
        ctx.unsupported(rules[j].node,
                        fmt::format("unsupported rule weight {} under weightedSum (the class probabilities are the "
                                    "shares of positive weights)",
                                    rules[j].weight));
      TreeBuilder b(K);
      const int id = b.test(feature[j]);
      std::vector<double> v(K, 0.0);
      v[static_cast<size_t>(class_index(ctx, rules[j].node.attribute("score").value(), rules[j].node))] =
          rules[j].weight;
      b.t.left[id] = b.leaf(v);
      b.t.right[id] = b.leaf(zero);
      te.trees.push_back(std::move(b.t));
    }
    te.trees.push_back(chain([&](size_t) { return zero; }));  // the default when no rule fires
    te.transform = ir::ScoreTransform::Normalize;
  } else {
    std::vector<std::vector<double>> values;
    std::vector<int32_t> labels(rules.size(), -1);
    for (size_t j = 0; j < rules.size(); ++j) values.push_back(rule_values(ctx, rules[j], K, labels[j]));
    te.trees.push_back(chain([&](size_t j) { return values[j]; }, labels));
  }
  te.aggregate = ir::Aggregate::Sum;
  m.estimator = std::move(te);
  m.provenance.family = fmt::format("rule set ({}, {} rules)", criterion, rules.size());
}

}  // namespace mb::pmml::detail
