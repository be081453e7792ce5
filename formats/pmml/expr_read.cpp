// PMML expressions -> ir::Expr: Constant, FieldRef, Apply (built-in functions), NormContinuous,
// NormDiscrete, MapValues, Discretize; field resolution across the transformation scopes.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "formats/pmml/reader_context.hpp"

namespace mb::pmml::detail {
namespace {

using ir::Expr;
using ir::Op;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool is_expression_element(std::string_view n) {
  return n == "Constant" || n == "FieldRef" || n == "Apply" || n == "NormContinuous" || n == "NormDiscrete" ||
         n == "MapValues" || n == "Discretize" || n == "Aggregate" || n == "Lag" || n == "TextIndex";
}

bool is_boolean_op(Op op) {
  switch (op) {
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::Eq:
    case Op::Ne:
    case Op::And:
    case Op::Or:
    case Op::Not:
    case Op::IsMissing: return true;
    default: return false;
  }
}

Expr if_missing(Expr x, Expr replacement, Expr otherwise) {
  return Expr::call(Op::IfElse,
                    {Expr::unary(Op::IsMissing, std::move(x)), std::move(replacement), std::move(otherwise)});
}

// A string constant (Constant dataType="string" or text that is not a number).
bool string_constant(const pugi::xml_node& n, std::string& out) {
  if (!is(n, "Constant")) return false;
  const std::string dt = n.attribute("dataType").value();
  const std::string text = n.text().get();
  if (dt == "string" || (!parse_double(text) && std::string(n.attribute("missing").value()) != "true")) {
    out = text;
    return true;
  }
  return false;
}

}  // namespace

FieldInfo& ReadContext::field(const std::string& name, const pugi::xml_node& at) {
  auto it = fields.find(name);
  if (it == fields.end())
    fail(at, fmt::format("expected a field named '{}' in the DataDictionary, TransformationDictionary or "
                         "LocalTransformations",
                         name));
  FieldInfo& f = it->second;
  if (f.kind == FieldInfo::DataOnly) {
    // Used by the model but not listed in its MiningSchema: take it as an input, loudly.
    ir::InputField in;
    in.name = name;
    const std::string optype = f.node.attribute("optype").value();
    in.kind = optype == "categorical" ? ir::FieldKind::Categorical
              : optype == "ordinal"   ? ir::FieldKind::Ordinal
                                      : ir::FieldKind::Continuous;
    for (auto v : children(f.node, "Value")) {
      const std::string prop = v.attribute("property").value();
      if (prop.empty() || prop == "valid") in.levels.push_back(v.attribute("value").value());
    }
    model.schema.inputs.push_back(in);
    f.kind = FieldInfo::Input;
    f.input = static_cast<int>(model.schema.inputs.size()) - 1;
    warn("pmml-field-not-in-mining-schema",
         fmt::format("field '{}' is used by the model but is not a MiningField; taken as an input", name));
  }
  return f;
}

Expr ReadContext::numeric_ref(const std::string& name, const pugi::xml_node& at) {
  FieldInfo& f = field(name, at);
  switch (f.kind) {
    case FieldInfo::Input: {
      const auto& in = model.schema.inputs[f.input];
      if (!in.is_categorical()) return Expr::input(f.input);
      std::vector<double> table;
      for (const auto& level : in.levels) {
        auto v = parse_double(level);
        if (!v) fail(at, fmt::format("categorical field '{}' (level '{}') is used as a number", name, level));
        table.push_back(*v);
      }
      return Expr::level_map(f.input, std::move(table));
    }
    case FieldInfo::Target: fail(at, fmt::format("the target field '{}' cannot be used as an input", name));
    case FieldInfo::Derived: {
      if (f.derived >= 0) return Expr::derived(f.derived);
      if (f.in_progress) fail(at, fmt::format("derived field '{}' depends on itself", name));
      f.in_progress = true;
      Expr e = derived_expr(f.node);
      f.in_progress = false;
      model.derived.push_back({name, std::move(e)});
      f.derived = static_cast<int>(model.derived.size()) - 1;
      return Expr::derived(f.derived);
    }
    case FieldInfo::DataOnly: break;
  }
  fail(at, fmt::format("field '{}' cannot be used here", name));
}

Expr ReadContext::predictor_ref(const std::string& name, const pugi::xml_node& at) {
  FieldInfo& f = field(name, at);
  if (f.kind == FieldInfo::Derived && f.local && f.derived < 0 && !f.in_progress) {
    f.in_progress = true;
    Expr e = derived_expr(f.node);
    f.in_progress = false;
    return e;
  }
  return numeric_ref(name, at);
}

int ReadContext::categorical_input(const std::string& name, const pugi::xml_node& at) {
  FieldInfo& f = field(name, at);
  if (f.kind != FieldInfo::Input || !model.schema.inputs[f.input].is_categorical()) return -1;
  return f.input;
}

int ReadContext::level_code(int input, const std::string& value, const pugi::xml_node& at) {
  const int k = find_level(input, value);
  if (k < 0) fail(at, fmt::format("value '{}' is not a level of field '{}'", value, model.schema.inputs[input].name));
  return k;
}

int ReadContext::find_level(int input, const std::string& value) const {
  const auto& levels = model.schema.inputs[input].levels;
  for (size_t k = 0; k < levels.size(); ++k)
    if (levels[k] == value) return static_cast<int>(k);
  // Numeric labels written differently ("1" versus "1.0").
  auto v = parse_double(value);
  if (v) {
    for (size_t k = 0; k < levels.size(); ++k) {
      auto lv = parse_double(levels[k]);
      if (lv && *lv == *v) return static_cast<int>(k);
    }
  }
  return -1;
}

void ReadContext::declare_derived(const pugi::xml_node& container, bool local) {
  for (auto df : children(container, "DerivedField")) {
    const std::string name = loc.attr(df, "name");
    auto it = fields.find(name);
    if (it != fields.end()) fail(df, fmt::format("field '{}' is defined twice", name));
    FieldInfo f;
    f.kind = FieldInfo::Derived;
    f.node = df;
    f.local = local;
    fields[name] = f;
  }
  for (auto fn : children(container, "DefineFunction"))
    warn("pmml-define-function",
         fmt::format("DefineFunction '{}' is ignored (user-defined functions are not supported)",
                     fn.attribute("name").value()));
}

Expr ReadContext::derived_expr(const pugi::xml_node& df) {
  const std::string data_type = df.attribute("dataType").value();
  if (data_type == "string")
    unsupported(
        df, fmt::format("unsupported PMML element DerivedField with dataType '{}' (string-valued fields)", data_type));
  for (auto c : elements(df)) {
    if (is(c, "Value")) continue;
    return expression(c);
  }
  fail(df, "expected an expression (Constant, FieldRef, Apply, NormContinuous, NormDiscrete, MapValues, Discretize)");
}

namespace {

struct Piece {
  double orig, norm;
};

Expr norm_segment(const Expr& x, const Piece& a, const Piece& b) {
  Expr t = Expr::binary(Op::Div, Expr::binary(Op::Sub, x, Expr::constant(a.orig)), Expr::constant(b.orig - a.orig));
  const double dn = b.norm - a.norm;
  if (dn != 1.0) t = Expr::binary(Op::Mul, std::move(t), Expr::constant(dn));
  if (a.norm != 0.0) t = Expr::binary(Op::Add, std::move(t), Expr::constant(a.norm));
  return t;
}

}  // namespace

Expr ReadContext::expression(const pugi::xml_node& n) {
  const std::string_view name = local_name(n);
  if (name == "Constant") {
    if (std::string(n.attribute("missing").value()) == "true") return Expr::constant(kNaN);
    auto v = parse_double(n.text().get());
    if (!v) fail(n, fmt::format("expected a numeric Constant, found '{}'", n.text().get()));
    return Expr::constant(*v);
  }
  if (name == "FieldRef") {
    Expr e = numeric_ref(loc.attr(n, "field"), n);
    if (n.attribute("mapMissingTo"))
      e = Expr::call(Op::Coalesce, {std::move(e), Expr::constant(loc.number(n, "mapMissingTo"))});
    return e;
  }
  if (name == "NormContinuous") {
    Expr x = numeric_ref(loc.attr(n, "field"), n);
    std::vector<Piece> pts;
    for (auto ln : children(n, "LinearNorm")) pts.push_back({loc.number(ln, "orig"), loc.number(ln, "norm")});
    if (pts.size() < 2) fail(n, "expected at least two LinearNorm elements");
    for (size_t i = 1; i < pts.size(); ++i)
      if (!(pts[i].orig > pts[i - 1].orig)) fail(n, "expected LinearNorm elements in ascending order of 'orig'");
    Expr pw = norm_segment(x, pts[pts.size() - 2], pts.back());
    for (size_t i = pts.size() - 2; i-- > 0;)
      pw = Expr::call(Op::IfElse, {Expr::binary(Op::Lt, x, Expr::constant(pts[i + 1].orig)),
                                   norm_segment(x, pts[i], pts[i + 1]), std::move(pw)});
    const std::string outliers = n.attribute("outliers").value();
    if (outliers == "asMissingValues") {
      pw = Expr::call(Op::IfElse, {Expr::binary(Op::Or, Expr::binary(Op::Lt, x, Expr::constant(pts.front().orig)),
                                                Expr::binary(Op::Gt, x, Expr::constant(pts.back().orig))),
                                   Expr::constant(kNaN), std::move(pw)});
    } else if (outliers == "asExtremeValues") {
      pw = Expr::call(Op::IfElse,
                      {Expr::binary(Op::Lt, x, Expr::constant(pts.front().orig)), Expr::constant(pts.front().norm),
                       Expr::call(Op::IfElse, {Expr::binary(Op::Gt, x, Expr::constant(pts.back().orig)),
                                               Expr::constant(pts.back().norm), std::move(pw)})});
    } else if (!outliers.empty() && outliers != "asIs") {
      unsupported(n, fmt::format("unsupported outliers treatment '{}'", outliers));
    }
    if (n.attribute("mapMissingTo")) pw = if_missing(x, Expr::constant(loc.number(n, "mapMissingTo")), std::move(pw));
    return pw;
  }
  if (name == "NormDiscrete") {
    const std::string fname = loc.attr(n, "field");
    const std::string value = loc.attr(n, "value");
    Expr e;
    Expr x;
    const int cat = categorical_input(fname, n);
    if (cat >= 0) {
      x = Expr::input(cat);
      e = Expr::level_is(cat, level_code(cat, value, n));
    } else {
      x = numeric_ref(fname, n);
      auto v = parse_double(value);
      if (!v) fail(n, fmt::format("expected a numeric value for continuous field '{}', found '{}'", fname, value));
      e = Expr::binary(Op::Eq, x, Expr::constant(*v));
    }
    if (n.attribute("mapMissingTo")) e = if_missing(x, Expr::constant(loc.number(n, "mapMissingTo")), std::move(e));
    return e;
  }
  if (name == "MapValues") {
    auto pairs = children(n, "FieldColumnPair");
    if (pairs.size() != 1) unsupported(n, "unsupported MapValues with other than one FieldColumnPair");
    const std::string fname = loc.attr(pairs[0], "field");
    const std::string column = loc.attr(pairs[0], "column");
    const std::string out_column = loc.attr(n, "outputColumn");
    const double fallback = n.attribute("defaultValue") ? loc.number(n, "defaultValue") : kNaN;
    auto table_node = child(n, "InlineTable");
    if (!table_node) fail(n, "expected an InlineTable (TableLocator is not supported)");
    std::vector<std::pair<std::string, double>> rows;
    for (auto row : children(table_node, "row")) {
      auto in_cell = child(row, column);
      auto out_cell = child(row, out_column);
      if (!in_cell || !out_cell) fail(row, fmt::format("expected cells '{}' and '{}'", column, out_column));
      auto v = parse_double(out_cell.text().get());
      if (!v)
        unsupported(out_cell, fmt::format("unsupported MapValues output '{}' (only numbers are supported)",
                                          out_cell.text().get()));
      rows.emplace_back(in_cell.text().get(), *v);
    }
    const int cat = categorical_input(fname, n);
    Expr x, e;
    if (cat >= 0) {
      x = Expr::input(cat);
      const auto& levels = model.schema.inputs[cat].levels;
      std::vector<double> table(levels.size(), fallback);
      std::vector<bool> set(levels.size(), false);
      for (const auto& [key, val] : rows) {
        for (size_t k = 0; k < levels.size(); ++k)
          if (levels[k] == key && !set[k]) {
            table[k] = val;
            set[k] = true;
          }
      }
      e = Expr::level_map(cat, std::move(table));
    } else {
      x = numeric_ref(fname, n);
      e = Expr::constant(fallback);
      for (size_t r = rows.size(); r-- > 0;) {
        auto key = parse_double(rows[r].first);
        if (!key) fail(table_node, fmt::format("expected numeric keys for continuous field '{}'", fname));
        e = Expr::call(Op::IfElse,
                       {Expr::binary(Op::Eq, x, Expr::constant(*key)), Expr::constant(rows[r].second), std::move(e)});
      }
    }
    if (n.attribute("mapMissingTo")) e = if_missing(x, Expr::constant(loc.number(n, "mapMissingTo")), std::move(e));
    return e;
  }
  if (name == "Discretize") {
    Expr x = numeric_ref(loc.attr(n, "field"), n);
    const double fallback = n.attribute("defaultValue") ? loc.number(n, "defaultValue") : kNaN;
    struct Bin {
      double lo, hi;
      bool lc, rc;
      double value;
    };
    std::vector<Bin> bins;
    for (auto b : children(n, "DiscretizeBin")) {
      auto iv = child(b, "Interval");
      if (!iv) fail(b, "expected an Interval");
      const std::string closure = loc.attr(iv, "closure");
      if (closure != "openOpen" && closure != "openClosed" && closure != "closedOpen" && closure != "closedClosed")
        fail(iv, fmt::format("unknown closure '{}'", closure));
      auto v = parse_double(b.attribute("binValue").value());
      if (!v)
        unsupported(b, fmt::format("unsupported DiscretizeBin binValue '{}' (only numbers are supported)",
                                   b.attribute("binValue").value()));
      bins.push_back({loc.number_or(iv, "leftMargin", -INFINITY), loc.number_or(iv, "rightMargin", INFINITY),
                      closure.rfind("closed", 0) == 0,
                      closure.size() > 6 && closure.substr(closure.size() - 6) == "Closed", *v});
    }
    std::stable_sort(bins.begin(), bins.end(), [](const Bin& a, const Bin& b) { return a.lo < b.lo; });
    // Contiguous bins from -inf to +inf; gaps take the default value.
    std::vector<Bin> out;
    double prev_hi = -INFINITY;
    bool prev_rc = true;
    for (const auto& b : bins) {
      if (b.lo < prev_hi || (b.lo == prev_hi && prev_rc && b.lc && std::isfinite(b.lo)))
        fail(n, "overlapping DiscretizeBin intervals");
      if (b.lo > prev_hi || (std::isfinite(b.lo) && !prev_rc && !b.lc))
        out.push_back({prev_hi, b.lo, !prev_rc, !b.lc, fallback});
      out.push_back(b);
      prev_hi = b.hi;
      prev_rc = b.rc;
    }
    if (out.empty() || prev_hi < INFINITY) out.push_back({prev_hi, INFINITY, !prev_rc, false, fallback});
    Expr e;
    e.op = Op::Discretize;
    for (size_t j = 0; j < out.size(); ++j) {
      if (j + 1 < out.size()) e.bounds.push_back(out[j].hi);
      e.flags.push_back(static_cast<uint8_t>((out[j].lc ? 1 : 0) | (out[j].rc ? 2 : 0)));
      e.table.push_back(out[j].value);
    }
    e.table.push_back(fallback);
    e.args.push_back(x);
    if (n.attribute("mapMissingTo")) e = if_missing(x, Expr::constant(loc.number(n, "mapMissingTo")), std::move(e));
    return e;
  }
  if (name == "Apply") return apply(n);
  unsupported(n, fmt::format("unsupported PMML element {}", name));
}

Expr ReadContext::apply(const pugi::xml_node& n) {
  const std::string fn = loc.attr(n, "function");
  std::vector<pugi::xml_node> arg_nodes;
  for (auto c : elements(n)) {
    if (!is_expression_element(local_name(c)))
      unsupported(c, fmt::format("unsupported PMML element {} in Apply", local_name(c)));
    arg_nodes.push_back(c);
  }
  const size_t na = arg_nodes.size();
  auto need = [&](size_t lo, size_t hi) {
    if (na < lo || na > hi)
      fail(n, lo == hi ? fmt::format("function '{}' expects {} argument(s), has {}", fn, lo, na)
                       : fmt::format("function '{}' expects {} to {} arguments, has {}", fn, lo,
                                     hi == SIZE_MAX ? "more" : std::to_string(hi), na));
  };
  auto arg = [&](size_t i) { return expression(arg_nodes[i]); };
  auto all = [&]() {
    std::vector<Expr> v;
    for (size_t i = 0; i < na; ++i) v.push_back(arg(i));
    return v;
  };
  // Categorical field compared with a label: equal / notEqual / isIn / isNotIn.
  auto cat_field = [&](size_t i) -> int {
    if (!is(arg_nodes[i], "FieldRef")) return -1;
    return categorical_input(loc.attr(arg_nodes[i], "field"), arg_nodes[i]);
  };
  auto label_of = [&](size_t i, std::string& out) {
    if (string_constant(arg_nodes[i], out)) return true;
    if (is(arg_nodes[i], "Constant")) {
      out = arg_nodes[i].text().get();
      return true;
    }
    return false;
  };

  Expr e;
  static const std::map<std::string, Op> unary_ops = {
      {"log10", Op::Log10}, {"ln", Op::Log},    {"sqrt", Op::Sqrt},  {"abs", Op::Abs}, {"exp", Op::Exp},
      {"floor", Op::Floor}, {"ceil", Op::Ceil}, {"rint", Op::Round}, {"sin", Op::Sin}, {"cos", Op::Cos},
      {"tan", Op::Tan},     {"atan", Op::Atan}, {"tanh", Op::Tanh},  {"erf", Op::Erf}, {"not", Op::Not}};
  static const std::map<std::string, Op> binary_ops = {{"+", Op::Add},          {"-", Op::Sub},
                                                       {"*", Op::Mul},          {"/", Op::Div},
                                                       {"pow", Op::Pow},        {"threshold", Op::Gt},
                                                       {"lessThan", Op::Lt},    {"lessOrEqual", Op::Le},
                                                       {"greaterThan", Op::Gt}, {"greaterOrEqual", Op::Ge},
                                                       {"equal", Op::Eq},       {"notEqual", Op::Ne}};
  if ((fn == "equal" || fn == "notEqual") && na == 2 && (cat_field(0) >= 0 || cat_field(1) >= 0)) {
    const size_t fi = cat_field(0) >= 0 ? 0 : 1;
    const int cat = cat_field(fi);
    std::string label;
    if (!label_of(1 - fi, label)) fail(n, fmt::format("categorical field compared with an expression in '{}'", fn));
    e = Expr::level_is(cat, level_code(cat, label, arg_nodes[1 - fi]));
    if (fn == "notEqual") e = Expr::unary(Op::Not, std::move(e));
  } else if ((fn == "isIn" || fn == "isNotIn") && na >= 2 && cat_field(0) >= 0) {
    const int cat = cat_field(0);
    std::vector<double> table(model.schema.inputs[cat].levels.size(), fn == "isIn" ? 0.0 : 1.0);
    for (size_t i = 1; i < na; ++i) {
      std::string label;
      if (!label_of(i, label)) fail(arg_nodes[i], "expected a constant");
      table[level_code(cat, label, arg_nodes[i])] = fn == "isIn" ? 1.0 : 0.0;
    }
    e = Expr::level_map(cat, std::move(table));
  } else if (fn == "isIn" || fn == "isNotIn") {
    need(2, SIZE_MAX);
    Expr x = arg(0);
    for (size_t i = 1; i < na; ++i) {
      Expr t = Expr::binary(Op::Eq, x, arg(i));
      e = i == 1 ? std::move(t) : Expr::binary(Op::Or, std::move(e), std::move(t));
    }
    if (fn == "isNotIn") e = Expr::unary(Op::Not, std::move(e));
  } else if (fn == "isMissing" || fn == "isNotMissing") {
    need(1, 1);
    const int cat = cat_field(0);
    e = Expr::unary(Op::IsMissing, cat >= 0 ? Expr::input(cat) : arg(0));
    if (fn == "isNotMissing") e = Expr::unary(Op::Not, std::move(e));
  } else if (fn == "stdNormalCDF") {
    // PMML 4.4's standard normal CDF, as 0.5 * (1 + erf(x / sqrt(2))) (what the writer's erf
    // becomes: 2 * stdNormalCDF(x * sqrt(2)) - 1 reads back as erf(x) up to rounding).
    need(1, 1);
    e = Expr::binary(Op::Mul, Expr::constant(0.5),
                     Expr::binary(Op::Add, Expr::constant(1.0),
                                  Expr::unary(Op::Erf, Expr::binary(Op::Mul, arg(0), Expr::constant(M_SQRT1_2)))));
  } else if (fn == "round") {
    need(1, 1);
    warn("pmml-round-ties", "PMML round() is computed with ties to even; producers may round ties away from zero");
    e = Expr::unary(Op::Round, arg(0));
  } else if (auto it = unary_ops.find(fn); it != unary_ops.end()) {
    need(1, 1);
    e = Expr::unary(it->second, arg(0));
  } else if (auto jt = binary_ops.find(fn); jt != binary_ops.end()) {
    need(2, 2);
    Expr a = arg(0), b = arg(1);
    if (jt->second == Op::Mul && a.op == Op::Const && a.value == -1.0) {
      e = Expr::unary(Op::Neg, std::move(b));
    } else if (jt->second == Op::Div && a == Expr::constant(1.0) && b.op == Op::Add &&
               b.args[0] == Expr::constant(1.0) && b.args[1].op == Op::Exp && b.args[1].args[0].op == Op::Neg) {
      e = Expr::unary(Op::Logistic, std::move(b.args[1].args[0].args[0]));  // 1 / (1 + exp(-x)), as computed
    } else {
      e = Expr::binary(jt->second, std::move(a), std::move(b));
    }
  } else if (fn == "min" || fn == "max") {
    need(1, SIZE_MAX);
    e = Expr::call(fn == "min" ? Op::Min : Op::Max, all());
  } else if (fn == "sum" || fn == "avg" || fn == "product" || fn == "and" || fn == "or") {
    need(fn == "and" || fn == "or" ? 2 : 1, SIZE_MAX);
    const Op op = fn == "product" ? Op::Mul : fn == "and" ? Op::And : fn == "or" ? Op::Or : Op::Add;
    auto v = all();
    e = v[0];
    for (size_t i = 1; i < v.size(); ++i) e = Expr::binary(op, std::move(e), std::move(v[i]));
    if (fn == "avg") e = Expr::binary(Op::Div, std::move(e), Expr::constant(static_cast<double>(na)));
  } else if (fn == "if") {
    need(2, 3);
    Expr c = arg(0), t = arg(1), f = na == 3 ? arg(2) : Expr::constant(kNaN);
    if (is_boolean_op(c.op) && t.op == Op::Const && t.value == 1.0 && f.op == Op::Const && f.value == 0.0) {
      e = std::move(c);  // a comparison used as a number
    } else if (c.op == Op::Not && c.args[0].op == Op::IsMissing && c.args[0].args[0] == t) {
      // if(isNotMissing(a), a, b) is coalesce(a, b)
      std::vector<Expr> v{std::move(t)};
      if (f.op == Op::Coalesce)
        for (auto& x : f.args) v.push_back(std::move(x));
      else v.push_back(std::move(f));
      e = Expr::call(Op::Coalesce, std::move(v));
    } else {
      e = Expr::call(Op::IfElse, {std::move(c), std::move(t), std::move(f)});
    }
  } else if (fn == "expm1" || fn == "ln1p") {
    need(1, 1);
    warn("pmml-approximate-function",
         fmt::format("function '{}' is computed as {}", fn, fn == "expm1" ? "exp(x)-1" : "ln(1+x)"));
    e = fn == "expm1" ? Expr::binary(Op::Sub, Expr::unary(Op::Exp, arg(0)), Expr::constant(1))
                      : Expr::unary(Op::Log, Expr::binary(Op::Add, Expr::constant(1), arg(0)));
  } else {
    unsupported(n, fmt::format("unsupported function '{}' in Apply", fn));
  }
  if (n.attribute("mapMissingTo")) {
    const double c = loc.number(n, "mapMissingTo");
    std::vector<Expr> args = all();
    Expr any = Expr::unary(Op::IsMissing, args[0]);
    for (size_t i = 1; i < args.size(); ++i)
      any = Expr::binary(Op::Or, std::move(any), Expr::unary(Op::IsMissing, args[i]));
    e = Expr::call(Op::IfElse, {std::move(any), Expr::constant(c), std::move(e)});
  }
  if (n.attribute("defaultValue"))
    e = Expr::call(Op::Coalesce, {std::move(e), Expr::constant(loc.number(n, "defaultValue"))});
  return e;
}

}  // namespace mb::pmml::detail
