// The model matrix of a formula model (R's model.frame + model.matrix at prediction time).
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "formats/r/lang/formula.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

using ir::Expr;
using ir::Op;

constexpr const char* kPlace = "$terms@predvars";

// A short deparse for names when the terms object does not carry them (no terms at all).
std::string short_deparse(const RObject& n) {
  switch (n.type) {
    case RType::Symbol: return n.text;
    case RType::Double:
    case RType::Integer:
    case RType::Logical: return n.length() == 1 ? fmt::format("{}", n.number(0)) : "c(...)";
    case RType::Character: return n.length() == 1 && n.strings[0] ? "\"" + *n.strings[0] + "\"" : "c(...)";
    case RType::Language: {
      if (n.unparsed) return n.text;
      const std::string f = call_name(n);
      std::vector<std::string> args;
      for (size_t i = 1; i < n.elements.size(); ++i) {
        std::string a = n.elements[i] ? short_deparse(*n.elements[i]) : "";
        if (i < n.tags.size() && !n.tags[i].empty()) a = n.tags[i] + " = " + a;
        args.push_back(a);
      }
      static const std::set<std::string> kInfix = {
          "+", "-", "*", "/", "^", "<", ">", "<=", ">=", "==", "!=", "&", "|", ":", "~"};
      if (kInfix.count(f) && args.size() == 2) return args[0] + (f == "^" || f == ":" ? f : " " + f + " ") + args[1];
      if ((f == "-" || f == "+" || f == "!") && args.size() == 1) return f + args[0];
      if (f == "(" && args.size() == 1) return "(" + args[0] + ")";
      std::string s = (f.empty() ? std::string("<call>") : f) + "(";
      for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i];
      return s + ")";
    }
    default: return rtype_name(n.type);
  }
}

struct Variable {
  std::string name;
  const RObject* expr = nullptr;
  std::string data_class;
  bool used = false;
  bool is_factor = false;
  // factor
  std::vector<std::string> levels;
  bool ordered = false;
  int input = -1;              // categorical input, or
  std::vector<int32_t> remap;  // when not empty: input level code -> level (-1: none, NA)
  std::optional<Expr> code;    // a computed logical (1/0) or a numeric value matched to levels
  bool logical_code = false;
  std::vector<double> numeric_levels;
  // numeric
  std::vector<Expr> columns;
  std::vector<std::string> colnames;  // empty: none
};

std::vector<std::string> string_vector(const RObject* o) {
  std::vector<std::string> out;
  if (!o || o->type != RType::Character) return out;
  for (auto& s : o->strings) out.push_back(s ? *s : "NA");
  return out;
}

const RObject* named_element(const RObject* list, const std::string& name) {
  if (!list || list->type != RType::List) return nullptr;
  return list->get(name);
}

bool is_factor_call(const std::string& f) {
  return f == "factor" || f == "as.factor" || f == "ordered" || f == "as.ordered";
}

// The raw data column a factor variable reads directly (bare symbol or factor(symbol)), if any.
std::optional<std::string> categorical_symbol(const Variable& v) {
  const RObject& e = *v.expr;
  if (e.type == RType::Symbol && (v.data_class == "factor" || v.data_class == "ordered" ||
                                  v.data_class == "character" || v.data_class == "logical"))
    return e.text;
  const std::string f = e.type == RType::Language ? call_name(e) : "";
  // relevel(x, ref) and droplevels(x) change the order or the set of levels only: the fit's levels
  // ($xlevels) hold the result, and the data's labels map to them by name.
  if (is_factor_call(f) || ((f == "relevel" || f == "droplevels") && v.data_class == "factor")) {
    const RObject* x = call_arg(e, "x", 0);
    if (x && x->type == RType::Symbol) return x->text;
  }
  return std::nullopt;
}

// factor(x, levels, labels, exclude) with labels or exclude: a relabelling (handled by
// derive_factor), not a factor whose levels are the data's labels.
bool is_relabelling_factor_call(const RObject& e) {
  return e.type == RType::Language && is_factor_call(call_name(e)) &&
         (call_arg(e, "labels", 2) || call_arg(e, "exclude", 3));
}

bool is_indicator(const std::vector<double>& t, int32_t& level) {
  int ones = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == 1.0) {
      ++ones;
      level = static_cast<int32_t>(i);
    } else if (t[i] != 0.0) return false;
  }
  return ones == 1;
}

Expr factor_column(const Variable& v, const std::vector<double>& table) {
  if (v.input >= 0 && !v.remap.empty()) {
    std::vector<double> t;
    for (int32_t l : v.remap)
      t.push_back(l >= 0 ? table[static_cast<size_t>(l)] : std::numeric_limits<double>::quiet_NaN());
    return Expr::level_map(v.input, std::move(t));
  }
  if (v.input >= 0) {
    int32_t level = -1;
    if (is_indicator(table, level)) return Expr::level_is(v.input, level);
    return Expr::level_map(v.input, table);
  }
  if (v.logical_code) {
    if (table[0] == 0.0 && table[1] == 1.0) return *v.code;
    return Expr::call(Op::IfElse, {*v.code, Expr::constant(table[1]), Expr::constant(table[0])});
  }
  Expr e = Expr::constant(std::numeric_limits<double>::quiet_NaN());  // value not among the levels
  for (size_t l = v.levels.size(); l-- > 0;)
    e = Expr::call(Op::IfElse, {Expr::binary(Op::Eq, *v.code, Expr::constant(v.numeric_levels[l])),
                                Expr::constant(table[l]), std::move(e)});
  return e;
}

std::string contrast_label(const std::string& fn) {
  if (fn == "contr.treatment") return "treatment contrasts";
  if (fn == "contr.SAS") return "treatment contrasts (last level as base)";
  if (fn == "contr.sum") return "sum contrasts";
  if (fn == "contr.helmert") return "Helmert contrasts";
  if (fn == "contr.poly") return "polynomial contrasts";
  return fn;
}

// cut(x, breaks = c(...)) with explicit breaks: the interval codes 0..n-1 (NA outside, as R), and
// the labels R's cut.default makes ("(20,40]"; formatC(breaks, digits = dig.lab) widened until
// the labels differ) for objects that keep no $xlevels.  A number of breaks is refused: R
// recomputes the intervals from the range of the rows it predicts.
struct CutFactor {
  Expr x;
  std::vector<double> breaks;  // sorted
  bool right = true, lowest = false;
  std::vector<std::string> labels;
  std::string description;

  // values[j] for x in interval j; NA outside every interval or when x is NA.
  Expr code(const std::vector<double>& values) const {
    const size_t n = breaks.size() - 1;
    Expr e = Expr::constant(std::numeric_limits<double>::quiet_NaN());
    for (size_t j = n; j-- > 0;) {
      // (b[j], b[j+1]] (right) or [b[j], b[j+1]) (left); include.lowest closes the first
      // (right) or the last (left) interval at its outer end.
      const bool close_low = !right || (lowest && j == 0);
      const bool close_high = right || (lowest && j == n - 1);
      Expr lo = Expr::binary(close_low ? Op::Ge : Op::Gt, x, Expr::constant(breaks[j]));
      Expr hi = Expr::binary(close_high ? Op::Le : Op::Lt, x, Expr::constant(breaks[j + 1]));
      e = Expr::call(Op::IfElse,
                     {Expr::binary(Op::And, std::move(lo), std::move(hi)), Expr::constant(values[j]), std::move(e)});
    }
    return e;
  }
};

std::string format_g(double x, int digits) {
  std::string s = fmt::format("{:.{}g}", x, digits);
  return s;
}

CutFactor cut_factor(const RObject& call, const std::string& term, ExprTranslator& tr, const std::string& file) {
  auto flag = [&](const char* tag, bool fallback) {
    const RObject* a = call_arg(call, tag, -1);
    if (!a) return fallback;
    auto v = constant_values(*a);
    if (!v || v->size() != 1 || std::isnan((*v)[0]))
      throw Error(file, kPlace, fmt::format("cut() argument {} in term '{}' is not TRUE or FALSE", tag, term));
    return (*v)[0] != 0;
  };
  const RObject* br = call_arg(call, "breaks", 1);
  if (!br) throw Error(file, kPlace, fmt::format("cut() in term '{}' has no breaks", term));
  auto breaks = constant_values(*br);
  if (!breaks || breaks->size() < 2)
    throw Unsupported(
        file, kPlace,
        fmt::format("unsupported: cut() with a number of breaks in term '{}' (R recomputes the intervals from "
                    "the rows it predicts); only explicit breaks are read",
                    term));
  for (double b : *breaks)
    if (std::isnan(b)) throw Error(file, kPlace, fmt::format("cut() in term '{}' has a missing break", term));
  std::sort(breaks->begin(), breaks->end());
  for (size_t i = 1; i < breaks->size(); ++i)
    if ((*breaks)[i] == (*breaks)[i - 1])
      throw Error(file, kPlace, fmt::format("cut() in term '{}': breaks are not unique", term));
  if (call_arg(call, "labels", 2))
    throw Unsupported(file, kPlace, fmt::format("unsupported: cut() with labels in term '{}'", term));
  if (flag("ordered_result", false))
    throw Unsupported(file, kPlace, fmt::format("unsupported: cut(ordered_result = TRUE) in term '{}'", term));
  const bool right = flag("right", true), lowest = flag("include.lowest", false);
  int dig = 3;
  if (const RObject* d = call_arg(call, "dig.lab", -1)) {
    auto v = constant_values(*d);
    if (!v || v->size() != 1 || !((*v)[0] >= 1 && (*v)[0] <= 22) || (*v)[0] != std::floor((*v)[0]))
      throw Error(file, kPlace, fmt::format("cut() dig.lab in term '{}' is not a whole number from 1 to 22", term));
    dig = static_cast<int>((*v)[0]);
  }
  const RObject* x = call_arg(call, "x", 0);
  if (!x) throw Error(file, kPlace, fmt::format("cut() in term '{}' has no x", term));
  const std::vector<double>& b = *breaks;
  const size_t n = b.size() - 1;
  CutFactor out;
  out.x = tr.numeric(*x, term);
  out.breaks = b;
  out.right = right;
  out.lowest = lowest;
  std::vector<std::string> nb;
  for (int digits = dig; digits <= std::max(12, dig); ++digits) {
    nb.clear();
    for (double v : b) nb.push_back(format_g(v, digits));
    bool ok = true;
    for (size_t i = 1; i < nb.size(); ++i) ok = ok && nb[i] != nb[i - 1];
    if (ok) break;
  }
  for (size_t j = 0; j < n; ++j)
    out.labels.push_back((right ? "(" : "[") + nb[j] + "," + nb[j + 1] + (right ? "]" : ")"));
  if (lowest) {
    if (right) out.labels.front()[0] = '[';
    else out.labels.back().back() = ']';
  }
  out.description = fmt::format("{}: cut into {} intervals", term, n);
  return out;
}

// plyr::revalue(x, c(old = "new", ...)) and plyr::mapvalues(x, from, to) on a factor read
// from the data: the labels of x that are listed become the new labels, the others stay.  The
// fit's levels ($xlevels) are the new ones; the input takes them and the old labels.
struct Relabel {
  std::vector<std::string> from, to;
};

std::string label_of(const RObject& e, size_t i) {
  if (e.type == RType::Character) return e.strings[i] ? *e.strings[i] : "NA";
  const double x = e.number(i);
  return fmt::format("{}", x);
}

// The labels of a constant vector argument: a character or numeric vector, or c() of single
// strings and numbers (negative numbers as -x); false for anything else.
bool constant_labels(const RObject* a, std::vector<std::string>& out) {
  if (!a) return false;
  if (a->type == RType::Character || a->is_numeric()) {
    for (size_t i = 0; i < a->length(); ++i) out.push_back(label_of(*a, i));
    return true;
  }
  if (a->type != RType::Language || call_name(*a) != "c") return false;
  for (size_t i = 1; i < a->elements.size(); ++i) {
    const RObject* e = a->elements[i].get();
    if (e && e->type == RType::Language && call_name(*e) == "-" && e->elements.size() == 2 && e->elements[1] &&
        e->elements[1]->is_numeric() && e->elements[1]->length() == 1) {
      out.push_back(fmt::format("{}", -e->elements[1]->number(0)));
      continue;
    }
    if (!e || !(e->type == RType::Character || e->is_numeric()) || e->length() != 1) return false;
    out.push_back(label_of(*e, 0));
  }
  return true;
}

std::optional<Relabel> relabel_args(const RObject& call, const std::string& fn) {
  Relabel r;
  if (fn == "revalue") {
    const RObject* rep = call_arg(call, "replace", 1);
    if (!rep) return std::nullopt;
    if (rep->type == RType::Character) {
      const auto names = rep->names();
      if (names.size() != rep->length()) return std::nullopt;
      for (size_t i = 0; i < names.size(); ++i) {
        r.from.push_back(names[i]);
        r.to.push_back(label_of(*rep, i));
      }
      return r;
    }
    if (rep->type != RType::Language || call_name(*rep) != "c") return std::nullopt;
    for (size_t i = 1; i < rep->elements.size(); ++i) {
      const RObject* e = rep->elements[i].get();
      if (!e || i >= rep->tags.size() || rep->tags[i].empty() || e->type != RType::Character || e->length() != 1)
        return std::nullopt;
      r.from.push_back(rep->tags[i]);
      r.to.push_back(label_of(*e, 0));
    }
    return r;
  }
  const RObject* from = call_arg(call, "from", 1);
  const RObject* to = call_arg(call, "to", 2);
  if (!constant_labels(from, r.from) || !constant_labels(to, r.to) || r.from.size() != r.to.size()) return std::nullopt;
  return r;
}

// A factor derived from the data by a constant relabelling (plyr::revalue, plyr::mapvalues) or
// by cut(): fills `v` (levels, and its input and remap or its code) and returns true; false when
// `fn` is none of them.
bool derive_factor(Variable& v, const std::string& fn, const RObject* xlevels, ExprTranslator& tr,
                   const std::string& file, std::vector<std::string>& preprocessing, Warnings& warnings) {
  if ((fn == "revalue" || fn == "mapvalues") &&
      (v.data_class == "factor" || v.data_class == "character" || v.data_class.empty())) {
    const RObject* x = call_arg(*v.expr, "x", 0);
    auto rl = relabel_args(*v.expr, fn);
    v.levels = string_vector(named_element(xlevels, v.name));
    if (!x || x->type != RType::Symbol || !rl || v.levels.empty())
      throw Unsupported(file, kPlace,
                        fmt::format("unsupported: {}() in term '{}' (a factor of the data relabelled by "
                                    "constant labels is read)",
                                    fn, v.name));
    v.is_factor = true;
    std::vector<std::string> in_levels = v.levels;
    for (const auto& f : rl->from)
      if (std::find(in_levels.begin(), in_levels.end(), f) == in_levels.end()) in_levels.push_back(f);
    for (const auto& l : in_levels) {
      std::string target = l;
      for (size_t k = 0; k < rl->from.size(); ++k)
        if (rl->from[k] == l) {
          target = rl->to[k];
          break;
        }
      auto it = std::find(v.levels.begin(), v.levels.end(), target);
      v.remap.push_back(it == v.levels.end() ? -1 : static_cast<int32_t>(it - v.levels.begin()));
    }
    v.input = tr.categorical_input(x->text, in_levels, false, v.name);
    preprocessing.push_back(fmt::format("{}: {} labels relabelled", v.name, rl->from.size()));
    return true;
  }
  if (is_relabelling_factor_call(*v.expr)) {
    // factor(x, levels = L, labels = B, exclude = E): a value of x equal to L[i] (E removed
    // from L first) becomes the level B[i] (one label b: b1, b2, ...); other values are NA.
    // Without levels, R takes the sorted values of the data predicted: refused.
    const RObject* x = call_arg(*v.expr, "x", 0);
    const RObject* lv = call_arg(*v.expr, "levels", 1);
    const RObject* lb = call_arg(*v.expr, "labels", 2);
    const RObject* ex = call_arg(*v.expr, "exclude", 3);
    if (ex && ex->type == RType::Logical && ex->length() == 1 && std::isnan(ex->number(0)))
      ex = nullptr;  // exclude = NA, the default
    auto constants = [&](const RObject* a, std::vector<std::string>& out) {
      return !a || a->type == RType::Null || constant_labels(a, out);
    };
    std::vector<std::string> raw, labels, excluded;
    if (!x || x->type != RType::Symbol || !constants(lv, raw) || !constants(lb, labels) || !constants(ex, excluded))
      throw Unsupported(file, kPlace,
                        fmt::format("unsupported: {}() in term '{}' (only a data column with constant levels, "
                                    "labels and exclude is read)",
                                    fn, v.name));
    if (lb && !lv)
      throw Unsupported(file, kPlace,
                        fmt::format("unsupported: {}() with labels but no levels in term '{}' (R gives the labels to "
                                    "the sorted values of the data it predicts)",
                                    fn, v.name));
    v.levels = string_vector(named_element(xlevels, v.name));
    if (v.levels.empty()) throw Error(file, "$xlevels", fmt::format("no levels recorded for factor '{}'", v.name));
    if (!lv) raw = v.levels;  // exclude only: the fit's levels are the data's labels kept
    std::vector<std::string> kept;
    for (const auto& r : raw)
      if (std::find(excluded.begin(), excluded.end(), r) == excluded.end()) kept.push_back(r);
    if (lb) {
      if (labels.size() == 1 && kept.size() > 1) {
        const std::string stem = labels[0];
        labels.clear();
        for (size_t i = 0; i < kept.size(); ++i) labels.push_back(stem + std::to_string(i + 1));
      }
      if (labels.size() != kept.size())
        throw Error(
            file, kPlace,
            fmt::format("{}() in term '{}' has {} labels for {} levels", fn, v.name, labels.size(), kept.size()));
    } else {
      labels = kept;
    }
    v.is_factor = true;
    v.ordered = v.data_class == "ordered" || fn == "ordered" || fn == "as.ordered";
    std::vector<std::string> in_levels;
    for (size_t i = 0; i < kept.size(); ++i) {
      in_levels.push_back(kept[i]);
      auto it = std::find(v.levels.begin(), v.levels.end(), labels[i]);
      v.remap.push_back(it == v.levels.end() ? -1 : static_cast<int32_t>(it - v.levels.begin()));
    }
    for (const auto& e : excluded)
      if (std::find(in_levels.begin(), in_levels.end(), e) == in_levels.end()) {
        in_levels.push_back(e);
        v.remap.push_back(-1);
      }
    v.input = tr.categorical_input(x->text, in_levels, false, v.name);
    preprocessing.push_back(fmt::format("{}: {} values of '{}' labelled{}", v.name, kept.size(), x->text,
                                        excluded.empty() ? "" : ", excluded values missing"));
    return true;
  }
  if (fn == "cut") {
    CutFactor c = cut_factor(*v.expr, v.name, tr, file);
    v.is_factor = true;
    // The fit's levels ($xlevels) may lack intervals no training row fell in (model.frame drops
    // unused levels); predict() re-levels the new factor to them, so such an interval is NA.
    v.levels = string_vector(named_element(xlevels, v.name));
    if (v.levels.empty()) v.levels = c.labels;
    std::vector<double> table;
    for (const auto& label : c.labels) {
      auto it = std::find(v.levels.begin(), v.levels.end(), label);
      table.push_back(it == v.levels.end() ? std::numeric_limits<double>::quiet_NaN()
                                           : static_cast<double>(it - v.levels.begin()));
    }
    for (size_t l = 0; l < v.levels.size(); ++l) {
      if (std::find(c.labels.begin(), c.labels.end(), v.levels[l]) == c.labels.end())
        throw Error(file, "$xlevels",
                    fmt::format("factor '{}' has the level '{}', which is none of the intervals "
                                "of its breaks",
                                v.name, v.levels[l]));
      v.numeric_levels.push_back(static_cast<double>(l));
    }
    v.code = c.code(table);
    for (size_t j = 0; j < table.size(); ++j)
      if (std::isnan(table[j])) {
        warnings.push_back({"cut-interval-not-fitted",
                            fmt::format("{}: no training row fell in the interval {}, which the fit's levels lack; "
                                        "a row there predicts NA (R's predict() stops: factor has new levels)",
                                        v.name, c.labels[j])});
        break;
      }
    preprocessing.push_back(c.description);
    return true;
  }
  return false;
}

}  // namespace

std::optional<DerivedFactor> derived_factor(const RObject& expr, const std::string& name, const std::string& data_class,
                                            const RObject* xlevels, ExprTranslator& tr, const std::string& file) {
  Variable v;
  v.name = name;
  v.expr = &expr;
  v.data_class = data_class;
  DerivedFactor out;
  std::vector<double> codes;
  if (!derive_factor(v, call_name(expr), xlevels, tr, file, out.preprocessing, out.warnings)) {
    // factor(x) / as.factor(x) of a data column: predict() recomputes it from the rows and
    // model.frame(xlev =) puts the fit's levels on it, matching the rows' labels by name.
    const std::string fn = call_name(expr);
    if ((fn != "factor" && fn != "as.factor") || is_relabelling_factor_call(expr)) return std::nullopt;
    if (call_arg(expr, "levels", 1)) return std::nullopt;
    const auto sym = categorical_symbol(v);
    v.levels = string_vector(named_element(xlevels, name));
    if (!sym || v.levels.empty()) return std::nullopt;
    v.input = tr.categorical_input(*sym, v.levels, false, name);
    out.levels = v.levels;
    out.code = Expr::input(v.input);  // the input's levels are the fit's: its code is the level's
    out.preprocessing.push_back(fmt::format("{}: the labels of {} as the fit's levels", name, *sym));
    return out;
  }
  for (size_t l = 0; l < v.levels.size(); ++l) codes.push_back(static_cast<double>(l));
  out.levels = v.levels;
  out.code = v.code ? *v.code : factor_column(v, codes);
  return out;
}

Design build_design(const RObject& model, const std::string& file) {
  Design d;
  const RObject* terms = model.get("terms");
  if (!terms || terms->type != RType::Language) throw Error(file, "$terms", "the model has no terms object ($terms)");
  const RObject* predvars = terms->attr("predvars");
  if (!predvars) predvars = terms->attr("variables");
  if (!predvars || predvars->type != RType::Language || call_name(*predvars) != "list")
    throw Error(file, kPlace, "expected a call list(...) of the model's variables");
  const size_t nv = predvars->elements.size() - 1;

  // The factor pattern matrix: variables x terms.
  const RObject* factors = terms->attr("factors");
  size_t nt = 0;
  std::vector<int32_t> pattern;
  std::vector<std::string> var_names;
  if (factors && factors->length() > 0) {
    auto dim = factors->dim();
    if (dim.size() != 2 || dim[0] < 0 || dim[1] < 0 || static_cast<size_t>(dim[0]) != nv ||
        nv * static_cast<size_t>(dim[1]) != factors->length())
      throw Error(file, "$terms@factors", fmt::format("expected a {} x terms matrix", nv));
    nt = static_cast<size_t>(dim[1]);
    for (size_t i = 0; i < nv * nt; ++i) {
      const double v = factors->number(i);
      if (!(v >= 0 && v <= 2))  // 0 absent, 1 present, 2 present without its contrasts
        throw Error(file, "$terms@factors", fmt::format("expected 0, 1 or 2 in the factors matrix, found {}", v));
      pattern.push_back(static_cast<int32_t>(v));
    }
    if (const RObject* dn = factors->attr("dimnames"); dn && dn->elements.size() == 2)
      var_names = string_vector(dn->elements[0].get());
  }
  if (var_names.size() != nv) {
    var_names.clear();
    for (size_t i = 0; i < nv; ++i) var_names.push_back(short_deparse(*predvars->elements[i + 1]));
  }
  auto fac = [&](size_t i, size_t j) -> int32_t& { return pattern[j * nv + i]; };

  const RObject* resp = terms->attr("response");
  const size_t response = resp && resp->length() == 1 && resp->number(0) == 1 ? 1 : 0;
  if (response) d.response = var_names[0];
  const RObject* icpt = terms->attr("intercept");
  d.intercept = !icpt || icpt->length() == 0 || icpt->number(0) != 0;

  std::vector<size_t> offsets;
  if (const RObject* off = terms->attr("offset"))
    for (double o : off->numbers()) {
      if (!(o >= 1 && o <= static_cast<double>(nv)))
        throw Error(file, "$terms@offset", fmt::format("offset index {} out of range", o));
      offsets.push_back(static_cast<size_t>(o) - 1);
    }

  const RObject* data_classes = terms->attr("dataClasses");
  std::vector<std::string> dc_names = data_classes ? data_classes->names() : std::vector<std::string>{};
  std::vector<std::string> dc_values = string_vector(data_classes);
  auto data_class = [&](const std::string& name) -> std::string {
    for (size_t i = 0; i < dc_names.size() && i < dc_values.size(); ++i)
      if (dc_names[i] == name) return dc_values[i];
    return "";
  };
  const RObject* xlevels = model.get("xlevels");
  const RObject* contrasts = model.get("contrasts");

  // A term identical to the response generates nothing (model.matrix drops it).
  std::vector<bool> term_dropped(nt, false);
  if (response)
    for (size_t j = 0; j < nt; ++j) {
      size_t k = 0;
      for (size_t i = 0; i < nv; ++i) k += fac(i, j) > 0;
      if (fac(0, j) && k == 1) term_dropped[j] = true;
    }

  std::vector<Variable> vars(nv);
  for (size_t i = 0; i < nv; ++i) {
    vars[i].name = var_names[i];
    vars[i].expr = predvars->elements[i + 1].get();
    if (!vars[i].expr) throw Error(file, kPlace, fmt::format("variable {} is empty", i + 1));
    vars[i].data_class = data_class(var_names[i]);
    for (size_t j = 0; j < nt; ++j)
      if (!term_dropped[j] && fac(i, j) > 0) vars[i].used = true;
  }
  for (size_t o : offsets) vars[o].used = true;
  if (response) vars[0].used = false;

  // Symbols read as numbers anywhere decide between a categorical input and a numeric one.
  std::vector<std::string> numeric_symbols;
  const RObject* call = model.get("call");
  const RObject* call_offset = call && call->type == RType::Language ? call_arg(*call, "offset", -1) : nullptr;
  for (auto& v : vars)
    if (v.used && !categorical_symbol(v)) ExprTranslator::collect_symbols(*v.expr, numeric_symbols);
  if (call_offset) ExprTranslator::collect_symbols(*call_offset, numeric_symbols);
  auto is_numeric_symbol = [&](const std::string& s) {
    return std::find(numeric_symbols.begin(), numeric_symbols.end(), s) != numeric_symbols.end();
  };

  ExprTranslator tr(file, d.inputs, d.derived);
  tr.warnings = &d.warnings;
  std::vector<Expr> offset_terms;
  for (size_t i = 0; i < nv; ++i) {
    Variable& v = vars[i];
    if (!v.used) continue;
    if (std::find(offsets.begin(), offsets.end(), i) != offsets.end()) {
      offset_terms.push_back(tr.numeric(*v.expr, v.name));
      d.preprocessing.push_back("offset " + v.name);
      continue;
    }
    const std::string fn = call_name(*v.expr);
    if (is_relabelling_factor_call(*v.expr) && derive_factor(v, fn, xlevels, tr, file, d.preprocessing, d.warnings))
      continue;
    if (auto sym = categorical_symbol(v)) {
      v.is_factor = true;
      v.ordered = v.data_class == "ordered" || fn == "ordered" || fn == "as.ordered";
      v.levels = string_vector(named_element(xlevels, v.name));
      if (v.levels.empty() && named_element(xlevels, v.name) == nullptr) {
        if (v.data_class != "logical")
          throw Error(file, "$xlevels", fmt::format("no levels recorded for factor '{}'", v.name));
        v.levels = {"FALSE", "TRUE"};
      }
      if (is_numeric_symbol(*sym)) {
        v.code = Expr::input(tr.continuous_input(*sym, v.name));
        for (auto& l : v.levels) {
          auto x = parse_number(l);
          if (!x)
            throw Error(file, "$xlevels",
                        fmt::format("factor '{}' of the numeric variable '{}' has the non-numeric level '{}'", v.name,
                                    *sym, l));
          v.numeric_levels.push_back(*x);
        }
      } else if (v.data_class == "logical" && v.expr->type == RType::Symbol &&
                 v.levels == std::vector<std::string>{"FALSE", "TRUE"}) {
        v.input = tr.logical_input(*sym, v.name);
      } else {
        v.input = tr.categorical_input(*sym, v.levels, v.ordered, v.name);
      }
      continue;
    }
    if (v.data_class == "logical") {
      v.is_factor = true;
      v.levels = {"FALSE", "TRUE"};
      v.code = tr.numeric(*v.expr, v.name);
      v.logical_code = true;
      d.preprocessing.push_back(fmt::format("logical {} as a factor (FALSE, TRUE)", v.name));
      continue;
    }
    if (derive_factor(v, fn, xlevels, tr, file, d.preprocessing, d.warnings)) continue;
    if (v.data_class == "factor" || v.data_class == "ordered" || v.data_class == "character" || is_factor_call(fn)) {
      if (fn.empty() || is_factor_call(fn))
        throw Unsupported(file, kPlace, fmt::format("unsupported factor expression in term '{}'", v.name));
      tr.unsupported(fn, v.name);
    }
    if (auto m = tr.matrix(*v.expr, v.name)) {
      v.columns = std::move(m->columns);
      v.colnames = std::move(m->colnames);
      d.preprocessing.push_back(m->description);
      continue;
    }
    if (v.expr->type == RType::Symbol && v.data_class.rfind("nmatrix", 0) == 0)
      throw Error(file, kPlace, fmt::format("matrix variable '{}' is not supported", v.name));
    if (v.data_class.rfind("nmatrix", 0) == 0 && v.data_class != "nmatrix.1") tr.unsupported(fn, v.name);
    v.columns.push_back(tr.numeric(*v.expr, v.name));
    if (v.expr->type != RType::Symbol) d.preprocessing.push_back("derived variable " + v.name);
  }
  if (call_offset) {
    offset_terms.push_back(tr.numeric(*call_offset, "offset = " + short_deparse(*call_offset)));
    d.preprocessing.push_back("offset " + short_deparse(*call_offset) + " (offset= argument)");
  }
  for (auto& e : offset_terms)
    d.offset = d.offset ? Expr::binary(Op::Add, std::move(*d.offset), std::move(e)) : std::move(e);

  // No intercept: the first factor of the first term containing one is coded by indicators.
  if (!d.intercept) {
    bool done = false;
    for (size_t j = 0; j < nt && !done; ++j)
      for (size_t i = response; i < nv && !done; ++i)
        if (vars[i].is_factor && vars[i].levels.size() > 1 && fac(i, j) > 0) {
          fac(i, j) = 2;
          done = true;
        }
  }

  // Contrast matrices: contrasts (code 1) and indicators (code 2), as the terms require.
  std::vector<std::optional<ContrastMatrix>> contr1(nv), contr2(nv);
  for (size_t i = 0; i < nv; ++i) {
    Variable& v = vars[i];
    if (!v.is_factor || !v.used) continue;
    bool need1 = false, need2 = false;
    for (size_t j = 0; j < nt; ++j) {
      if (term_dropped[j]) continue;
      need1 |= fac(i, j) == 1;
      need2 |= fac(i, j) == 2;
    }
    const std::string place = "$contrasts$" + v.name;
    if (need1) {
      const RObject* spec = named_element(contrasts, v.name);
      std::string fn = v.ordered ? "contr.poly" : "contr.treatment";
      if (spec && spec->type == RType::Character && spec->length() == 1) {
        fn = spec->str(0);
        contr1[i] = contrast_matrix(fn, v.levels, false, file, place);
      } else if (spec && spec->is_numeric() && spec->dim().size() == 2) {
        auto dim = spec->dim();
        if (static_cast<size_t>(dim[0]) != v.levels.size())
          throw Error(file, place, fmt::format("contrast matrix has {} rows for {} levels", dim[0], v.levels.size()));
        ContrastMatrix m;
        m.n_levels = dim[0];
        m.n_cols = dim[1];
        m.values = spec->numbers();
        if (const RObject* dn = spec->attr("dimnames"); dn && dn->elements.size() == 2)
          m.colnames = string_vector(dn->elements[1].get());
        contr1[i] = std::move(m);
        fn = "a contrast matrix";
      } else if (spec && !spec->is_null()) {
        throw Error(file, place, "expected the name of a contrast function or a contrast matrix");
      } else {
        contr1[i] = contrast_matrix(fn, v.levels, false, file, place);
      }
      d.preprocessing.push_back(fmt::format("factor {}: {} ({} levels)", v.name, contrast_label(fn), v.levels.size()));
    }
    if (need2) {
      contr2[i] = contrast_matrix("", v.levels, true, file, place);
      d.preprocessing.push_back(fmt::format("factor {}: indicator columns ({} levels)", v.name, v.levels.size()));
    }
  }

  // Terms: per term the product of its variables' columns, the first variable varying fastest.
  for (size_t j = 0; j < nt; ++j) {
    if (term_dropped[j]) continue;
    std::vector<DesignColumn> cols;
    bool first = true;
    for (size_t i = 0; i < nv; ++i) {
      const int32_t code = fac(i, j);
      if (code <= 0) continue;
      const Variable& v = vars[i];
      std::vector<DesignColumn> own;
      if (v.is_factor) {
        const ContrastMatrix& m = code == 1 ? *contr1[i] : *contr2[i];
        for (size_t c = 0; c < m.n_cols; ++c) {
          std::vector<double> table(m.values.begin() + c * m.n_levels, m.values.begin() + (c + 1) * m.n_levels);
          std::string suffix = m.colnames.size() == m.n_cols ? m.colnames[c] : std::to_string(c + 1);
          own.push_back({v.name + suffix, factor_column(v, table)});
        }
      } else {
        for (size_t c = 0; c < v.columns.size(); ++c) {
          std::string name = v.name;
          if (v.columns.size() > 1)
            name += v.colnames.size() == v.columns.size() ? v.colnames[c] : std::to_string(c + 1);
          own.push_back({name, v.columns[c]});
        }
      }
      if (first) {
        cols = std::move(own);
        first = false;
        continue;
      }
      std::vector<DesignColumn> product;
      for (auto& b : own)
        for (auto& a : cols) product.push_back({a.name + ":" + b.name, Expr::binary(Op::Mul, a.expr, b.expr)});
      cols = std::move(product);
    }
    for (auto& c : cols) d.columns.push_back(std::move(c));
  }
  return d;
}

}  // namespace mb::r
