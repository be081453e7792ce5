// Shared parts of the tree exporters (rtrees.hpp).
#include "formats/r/exporters/rtrees.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>

#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/lang/rparse.hpp"
#include "formats/r/serial/rjson_writer.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/double_cut.hpp"
#include "lib/ir/split.hpp"
#include "lib/util/errors.hpp"

namespace mb::r::rtrees {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void refuse(const std::string& who, const std::string& place, const std::string& why) {
  throw Unsupported("", "",
                    fmt::format("no standard R class holds this tree exactly ({}{}): {}", who,
                                place.empty() ? "" : ", " + place, why));
}

const char* op_text(ir::SplitOp op) {
  switch (op) {
    case ir::SplitOp::LessThan: return "<";
    case ir::SplitOp::LessOrEqual: return "<=";
    case ir::SplitOp::GreaterThan: return ">";
    case ir::SplitOp::GreaterOrEqual: return ">=";
    case ir::SplitOp::Equal: return "==";
    case ir::SplitOp::NotEqual: return "!=";
    case ir::SplitOp::InSet: return "in";
    case ir::SplitOp::Leaf: break;
  }
  return "?";
}

}  // namespace

Variables variables_of(const ir::Model& m) {
  Variables v;
  for (const auto& in : m.schema.inputs) v.names.push_back(in.name);
  const auto& t = m.schema.target.name;
  v.response = t.empty() || m.schema.find_input(t) >= 0 ? ".response" : t;
  return v;
}

RPtr tree_formula(const ir::Model& m, const Variables& v) {
  RPtr rhs;
  for (const auto& name : v.names) {
    RPtr s = make_symbol(name);
    rhs = rhs ? make_call(make_symbol("+"), {rhs, s}) : s;
  }
  if (!rhs) rhs = make_double(1);
  (void)m;
  return make_call(make_symbol("~"), {make_symbol(v.response), rhs});
}

RPtr tree_terms(const ir::Model& m, const Variables& v, const std::string& response_class) {
  RPtr formula = tree_formula(m, v);
  std::vector<RPtr> vars = {make_symbol(v.response)};
  std::vector<std::string> var_names = {deparse_exact(*vars[0])}, labels;
  for (const auto& name : v.names) {
    vars.push_back(make_symbol(name));
    var_names.push_back(deparse_exact(*vars.back()));
    labels.push_back(var_names.back());
  }
  auto tt = std::make_shared<RObject>(*formula);
  tt->attributes.clear();
  set_attr(*tt, "variables", make_call(make_symbol("list"), vars));
  const size_t nv = vars.size(), nt = labels.size();
  if (nt) {
    std::vector<int32_t> fac(nv * nt, 0);
    for (size_t j = 0; j < nt; ++j) fac[j * nv + j + 1] = 1;
    auto fm = make_ints(fac);
    set_attr(*fm, "dim", make_ints({static_cast<int32_t>(nv), static_cast<int32_t>(nt)}));
    set_attr(*fm, "dimnames", make_list({make_strings(var_names), make_strings(labels)}));
    set_attr(*tt, "factors", fm);
  } else {
    set_attr(*tt, "factors", make_ints({}));
  }
  set_attr(*tt, "term.labels", make_strings(labels));
  set_attr(*tt, "order", make_ints(std::vector<int32_t>(nt, 1)));
  set_attr(*tt, "intercept", make_ints({1}));
  set_attr(*tt, "response", make_ints({1}));
  set_attr(*tt, "class", make_strings({"terms", "formula"}));
  set_attr(*tt, ".Environment", global_env());
  set_attr(*tt, "predvars", make_call(make_symbol("list"), vars));
  std::vector<std::string> classes = {response_class};
  for (const auto& in : m.schema.inputs)
    classes.push_back(in.kind == ir::FieldKind::Continuous ? "numeric"
                      : in.kind == ir::FieldKind::Ordinal  ? "ordered"
                                                           : "factor");
  auto dc = make_strings(classes);
  set_attr(*dc, "names", make_strings(var_names));
  set_attr(*tt, "dataClasses", dc);
  return tt;
}

RPtr factor_levels(const ir::Model& m, const Variables& v) {
  std::vector<std::pair<std::string, RPtr>> parts;
  for (size_t i = 0; i < m.schema.inputs.size(); ++i)
    if (m.schema.inputs[i].is_categorical()) parts.emplace_back(v.names[i], make_strings(m.schema.inputs[i].levels));
  return make_named_list(parts);
}

RTest r_test(const ir::Model& m, const ir::TreeEnsemble& te, const ir::Tree& tree, ir::SplitOp op, int32_t feature,
             double thr, int32_t set_off, int32_t set_size, const std::string& who, const std::string& place) {
  const ir::Expr* e = &m.features.at(feature).expr;
  while (e->op == ir::Op::Derived) e = &m.derived.at(e->index).expr;
  const bool f32 = te.threshold_precision == ir::Precision::Float32;
  const auto& inputs = m.schema.inputs;
  const bool on_input = (e->op == ir::Op::Input || e->op == ir::Op::LevelIs || e->op == ir::Op::LevelMap) &&
                        e->index >= 0 && static_cast<size_t>(e->index) < inputs.size();
  if (!on_input)
    refuse(
        who, place,
        fmt::format("a split on the computed feature '{}'; R's trees split on data columns", m.features[feature].name));
  const auto& in = inputs[e->index];
  RTest t;
  t.input = e->index;
  if (!in.is_categorical()) {
    if (e->op != ir::Op::Input) refuse(who, place, "a level test on the number '" + in.name + "'");
    if (in.missing_replacement)
      refuse(who, place, "input '" + in.name + "' has a missing-value replacement, which R does not apply");
    const auto cut = ir::double_cut(op, thr, f32, in.cast == ir::Precision::Float32);
    if (!cut)
      refuse(who, place,
             fmt::format("the test '{} {} {}' is not one comparison x < split (R's trees compare only so)", in.name,
                         op_text(op), thr));
    t.at = cut->at;
    t.true_below = cut->true_below;
    return t;
  }
  if (in.missing_replacement_label)
    refuse(who, place, "input '" + in.name + "' has a missing-value replacement, which R does not apply");
  if (in.open)
    refuse(who, place,
           "input '" + in.name +
               "' takes any label (its source lists no values); an R factor has a fixed "
               "set of levels");
  const size_t L = in.levels.size();
  if (e->op == ir::Op::LevelMap && e->table.size() != L) refuse(who, place, "a level table of the wrong size");
  for (size_t k = 0; k < L; ++k) {
    const double x = e->op == ir::Op::Input     ? static_cast<double>(k)
                     : e->op == ir::Op::LevelIs ? (static_cast<int32_t>(k) == e->level ? 1.0 : 0.0)
                                                : e->table[k];
    t.dirs.push_back(std::isnan(x) ? -1 : ir::split_direction(tree, op, x, thr, set_off, set_size, f32));
  }
  if (in.kind == ir::FieldKind::Categorical) {
    t.factor = true;
    return t;
  }
  // An ordered factor: R's trees compare its 1-based codes with x < split, so the levels going
  // to one side must be the first ones.
  size_t j = 0;
  while (j < L && t.dirs[j] == t.dirs[0]) ++j;
  bool monotone = true;
  for (size_t k = 0; k < L; ++k) monotone &= t.dirs[k] >= 0 && t.dirs[k] == (k < j ? t.dirs[0] : t.dirs[j < L ? j : 0]);
  if (!monotone)
    refuse(who, place,
           "a split of the ordered factor '" + in.name +
               "' that does not send its first levels one way "
               "and the rest the other (R compares an ordered factor's codes with x < split)");
  if (j == L) {  // every level one way
    t.at = -kInf;
    t.true_below = t.dirs[0] == 0;
  } else {
    t.at = static_cast<double>(j) + 1;  // codes 1..j are below
    t.true_below = t.dirs[0] == 1;
  }
  t.dirs.clear();
  return t;
}

NodeOutputs node_outputs(const ir::Model& m, const ir::TreeEnsemble& te, size_t t, const ir::Tree& src,
                         const std::vector<int32_t>& nodes) {
  // The ensemble with tree t replaced by a search tree on one extra input that routes row j to a
  // leaf holding node j's values: the evaluator then computes each node's prediction with the
  // model's own aggregation, base, link, transform and arithmetic.
  ir::Model m2;
  m2.schema = m.schema;
  m2.derived = m.derived;
  m2.features = m.features;
  ir::InputField router_in;
  router_in.name = "\x01node";
  m2.schema.inputs.push_back(router_in);
  const int32_t rin = static_cast<int32_t>(m2.schema.inputs.size() - 1);
  m2.features.push_back({"\x01node", ir::Expr::input(rin)});
  const int32_t rf = static_cast<int32_t>(m2.features.size() - 1);
  const size_t K = static_cast<size_t>(te.n_outputs);
  ir::Tree r;
  std::function<int32_t(size_t, size_t)> build = [&](size_t lo, size_t hi) -> int32_t {
    if (lo == hi) {
      const int32_t id = r.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Left);
      const double* v = &src.values.at(static_cast<size_t>(nodes[lo]) * K);
      r.values.insert(r.values.end(), v, v + K);
      if (!src.label.empty()) r.label.push_back(src.label.at(static_cast<size_t>(nodes[lo])));
      return id;
    }
    const size_t mid = lo + (hi - lo) / 2;
    const int32_t id =
        r.push_node(ir::SplitOp::LessThan, rf, static_cast<double>(mid) + 0.5, -1, -1, ir::MissingGo::Left);
    r.values.insert(r.values.end(), K, 0.0);
    if (!src.label.empty()) r.label.push_back(-1);
    const int32_t left = build(lo, mid);
    const int32_t right = build(mid + 1, hi);
    r.left[id] = left;
    r.right[id] = right;
    return id;
  };
  NodeOutputs out;
  if (nodes.empty()) return out;
  build(0, nodes.size() - 1);
  ir::TreeEnsemble te2 = te;
  te2.trees = {std::move(r)};
  if (!te.tree_weights.empty()) te2.tree_weights = {te.tree_weights.at(t)};
  m2.estimator = std::move(te2);
  eval::Evaluator ev(m2);
  eval::Batch b;
  b.rows = nodes.size();
  b.columns.assign(m2.schema.inputs.size(), std::vector<double>(b.rows, std::numeric_limits<double>::quiet_NaN()));
  for (size_t j = 0; j < b.rows; ++j) b.columns.back()[j] = static_cast<double>(j);
  eval::Predictions p;
  p.rows = b.rows;
  ev.score(b, p);
  out.value = p.value;
  out.label = p.label;
  out.prob = p.prob;
  return out;
}

}  // namespace mb::r::rtrees
