// R variable expressions (the elements of `$terms@predvars`) as IR expressions.
#include "formats/r/lang/formula.hpp"
#include "formats/r/lang/splines.hpp"
#include "lib/util/errors.hpp"

#include <charconv>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace mb::r {
namespace {

using ir::Expr;
using ir::Op;

constexpr const char* kPlace = "$terms@predvars";

bool is_constant_symbol(const std::string& s) {
  return s == "T" || s == "F" || s == "pi" || s == "Inf" || s == "NaN" || s == "NA";
}

double constant_symbol(const std::string& s) {
  if (s == "T") return 1.0;
  if (s == "F") return 0.0;
  if (s == "pi") return std::numbers::pi;
  if (s == "Inf") return std::numeric_limits<double>::infinity();
  return std::numeric_limits<double>::quiet_NaN();
}

// Untagged arguments of a call, in order (the function itself excluded).
std::vector<const RObject*> positional_args(const RObject& call) {
  std::vector<const RObject*> out;
  for (size_t i = 1; i < call.elements.size(); ++i)
    if (i >= call.tags.size() || call.tags[i].empty()) out.push_back(call.elements[i].get());
  return out;
}

}  // namespace

std::string call_name(const RObject& call) {
  if (call.type != RType::Language || call.elements.empty() || !call.elements[0]) return "";
  const RObject& head = *call.elements[0];
  if (head.type == RType::Symbol) return head.text;
  // stats::poly, base::log
  if (head.type == RType::Language && head.elements.size() == 3 && head.elements[0] &&
      head.elements[0]->type == RType::Symbol && (head.elements[0]->text == "::" || head.elements[0]->text == ":::") &&
      head.elements[2] && head.elements[2]->type == RType::Symbol)
    return head.elements[2]->text;
  return "";
}

const RObject* call_arg(const RObject& call, const std::string& tag, int position) {
  if (!tag.empty())
    for (size_t i = 1; i < call.elements.size(); ++i)
      if (i < call.tags.size() && call.tags[i] == tag) return call.elements[i].get();
  if (position < 0) return nullptr;
  auto pos = positional_args(call);
  return static_cast<size_t>(position) < pos.size() ? pos[position] : nullptr;
}

std::optional<std::vector<double>> constant_values(const RObject& node) {
  switch (node.type) {
    case RType::Double:
    case RType::Integer:
    case RType::Logical: return node.numbers();
    case RType::Symbol:
      if (is_constant_symbol(node.text)) return std::vector<double>{constant_symbol(node.text)};
      return std::nullopt;
    case RType::Language: {
      const std::string f = call_name(node);
      if (f == "c") {
        std::vector<double> out;
        for (size_t i = 1; i < node.elements.size(); ++i) {
          if (!node.elements[i]) return std::nullopt;
          auto v = constant_values(*node.elements[i]);
          if (!v) return std::nullopt;
          out.insert(out.end(), v->begin(), v->end());
        }
        return out;
      }
      if ((f == "-" || f == "+" || f == "(") && node.elements.size() == 2 && node.elements[1]) {
        auto v = constant_values(*node.elements[1]);
        if (v && f == "-")
          for (double& x : *v) x = -x;
        return v;
      }
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<double> parse_number(const std::string& s) {
  if (s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  double v = 0;
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') return std::nullopt;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

void ExprTranslator::unsupported(const std::string& function, const std::string& term) const {
  throw Unsupported(file_, kPlace, fmt::format("unsupported formula function '{}' in term '{}'", function, term));
}

int ExprTranslator::continuous_input(const std::string& name, const std::string& term) {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].name != name) continue;
    if (inputs_[i].is_categorical())
      throw Error(file_, kPlace,
                  fmt::format("variable '{}' is used both as a factor and as a number (term '{}')", name, term));
    return static_cast<int>(i);
  }
  ir::InputField f;
  f.name = name;
  inputs_.push_back(std::move(f));
  return static_cast<int>(inputs_.size() - 1);
}

int ExprTranslator::categorical_input(const std::string& name, const std::vector<std::string>& levels, bool ordered,
                                      const std::string& term) {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].name != name) continue;
    if (!inputs_[i].is_categorical() || inputs_[i].levels != levels)
      throw Error(file_, kPlace, fmt::format("variable '{}' is used with different codings (term '{}')", name, term));
    return static_cast<int>(i);
  }
  ir::InputField f;
  f.name = name;
  f.kind = ordered ? ir::FieldKind::Ordinal : ir::FieldKind::Categorical;
  f.levels = levels;
  inputs_.push_back(std::move(f));
  return static_cast<int>(inputs_.size() - 1);
}

int ExprTranslator::logical_input(const std::string& name, const std::string& term) {
  const int i = categorical_input(name, {"FALSE", "TRUE"}, false, term);
  inputs_[static_cast<size_t>(i)].logical = true;
  return i;
}

void ExprTranslator::collect_symbols(const RObject& node, std::vector<std::string>& out) {
  if (node.type == RType::Symbol) {
    if (!is_constant_symbol(node.text) && !node.text.empty()) out.push_back(node.text);
    return;
  }
  if (node.type != RType::Language) return;
  for (size_t i = 1; i < node.elements.size(); ++i) {
    if (i < node.tags.size() && (node.tags[i] == "coefs" || node.tags[i] == "raw")) continue;
    if (node.elements[i]) collect_symbols(*node.elements[i], out);
  }
  // a call whose head is itself a call (f(x)(y)) reads symbols there too; never a variable
}

Expr ExprTranslator::arg(const RObject& c, const std::string& tag, int position, const std::string& term) {
  const RObject* a = call_arg(c, tag, position);
  if (!a) throw Error(file_, kPlace, fmt::format("call '{}' lacks an argument in term '{}'", call_name(c), term));
  return numeric(*a, term);
}

Expr ExprTranslator::numeric(const RObject& node, const std::string& term) {
  switch (node.type) {
    case RType::Double:
    case RType::Integer:
    case RType::Logical:
      if (node.length() != 1)
        throw Error(file_, kPlace, fmt::format("a constant of length {} in term '{}'", node.length(), term));
      return Expr::constant(node.number(0));
    case RType::Symbol:
      if (is_constant_symbol(node.text)) return Expr::constant(constant_symbol(node.text));
      return Expr::input(continuous_input(node.text, term));
    case RType::Language:
      if (node.unparsed) throw Error(file_, kPlace, fmt::format("cannot parse the R expression '{}'", node.text));
      return call(node, term);
    default: throw Error(file_, kPlace, fmt::format("unexpected {} object in term '{}'", rtype_name(node.type), term));
  }
}

Expr ExprTranslator::call(const RObject& node, const std::string& term) {
  const std::string f = call_name(node);
  if (f.empty()) unsupported("<anonymous>", term);
  const size_t nargs = node.elements.size() - 1;
  auto a0 = [&] { return arg(node, "x", 0, term); };
  auto unary = [&](Op op) { return Expr::unary(op, a0()); };

  if (f == "(" || f == "I" || f == "as.numeric" || f == "as.double" || f == "identity" || f == "c") {
    if (nargs != 1) unsupported(f, term);
    const RObject& x = *node.elements[1];
    if ((f == "as.numeric" || f == "as.double") && x.type == RType::Symbol && !is_constant_symbol(x.text) && warnings) {
      // R's as.numeric() of a factor gives its level codes 1, 2, ... (levels of the data predicted,
      // not of the training data); of a number, the number.  The fitted object does not record
      // which the variable was (its terms hold the converted column only).
      warnings->push_back(
          {"as-numeric-variable",
           fmt::format("{}({}) in term '{}' is read as the numbers in column '{}'; if '{}' was a factor when "
                       "the model was fitted, R's predict() uses its level codes (1, 2, ...) instead",
                       f, x.text, term, x.text, x.text)});
    }
    return numeric(x, term);
  }
  if (f == "+" || f == "-") {
    if (nargs == 1) {
      Expr x = numeric(*node.elements[1], term);
      return f == "+" ? x : Expr::unary(Op::Neg, std::move(x));
    }
    if (nargs != 2) unsupported(f, term);
    return Expr::binary(f == "+" ? Op::Add : Op::Sub, numeric(*node.elements[1], term),
                        numeric(*node.elements[2], term));
  }
  static const std::pair<const char*, Op> kBinary[] = {
      {"*", Op::Mul}, {"/", Op::Div}, {"^", Op::Pow}, {"**", Op::Pow}, {"<", Op::Lt}, {"<=", Op::Le},  {">", Op::Gt},
      {">=", Op::Ge}, {"==", Op::Eq}, {"!=", Op::Ne}, {"&", Op::And},  {"|", Op::Or}, {"&&", Op::And}, {"||", Op::Or}};
  for (auto& [name, op] : kBinary) {
    if (f != name) continue;
    if (nargs != 2) unsupported(f, term);
    return Expr::binary(op, numeric(*node.elements[1], term), numeric(*node.elements[2], term));
  }
  static const std::pair<const char*, Op> kUnary[] = {{"exp", Op::Exp},     {"sqrt", Op::Sqrt},    {"abs", Op::Abs},
                                                      {"log10", Op::Log10}, {"sin", Op::Sin},      {"cos", Op::Cos},
                                                      {"tan", Op::Tan},     {"atan", Op::Atan},    {"tanh", Op::Tanh},
                                                      {"floor", Op::Floor}, {"ceiling", Op::Ceil}, {"!", Op::Not}};
  for (auto& [name, op] : kUnary) {
    if (f != name) continue;
    if (nargs != 1) unsupported(f, term);
    return unary(op);
  }
  if (f == "log") {
    Expr x = a0();
    const RObject* base = call_arg(node, "base", 1);
    if (!base) return Expr::unary(Op::Log, std::move(x));
    auto b = constant_values(*base);
    if (b && b->size() == 1 && (*b)[0] == 10.0) return Expr::unary(Op::Log10, std::move(x));
    if (b && b->size() == 1)
      return Expr::binary(Op::Div, Expr::unary(Op::Log, std::move(x)), Expr::constant(std::log((*b)[0])));
    return Expr::binary(Op::Div, Expr::unary(Op::Log, std::move(x)), Expr::unary(Op::Log, numeric(*base, term)));
  }
  if (f == "log2") return Expr::binary(Op::Div, Expr::unary(Op::Log, a0()), Expr::constant(std::numbers::ln2));
  if (f == "log1p" || f == "expm1") {
    // The IR has neither: log(1 + x) and exp(x) - 1 lose relative precision when |x| << 1.
    if (warnings)
      warnings->push_back(
          {"approximate-function", fmt::format("{}(x) in term '{}' is computed as {}; the relative error grows "
                                               "as |x| approaches 0 (about 1e-16/|x|)",
                                               f, term, f == "log1p" ? "log(1 + x)" : "exp(x) - 1")});
    if (f == "log1p") return Expr::unary(Op::Log, Expr::binary(Op::Add, Expr::constant(1.0), a0()));
    return Expr::binary(Op::Sub, Expr::unary(Op::Exp, a0()), Expr::constant(1.0));
  }
  if (f == "pmin" || f == "pmax") {
    std::vector<Expr> args;
    for (size_t i = 1; i < node.elements.size(); ++i) {
      if (i < node.tags.size() && node.tags[i] == "na.rm") continue;
      args.push_back(numeric(*node.elements[i], term));
    }
    if (args.empty()) unsupported(f, term);
    return Expr::call(f == "pmin" ? Op::Min : Op::Max, std::move(args));
  }
  if (f == "ifelse") {
    // ifelse(test, yes, no), arguments by name or position; a missing test gives NA, as in R.
    // R matches the named arguments first, then fills the other formals in order.
    if (nargs != 3) unsupported(f, term);
    static const char* const kFormals[] = {"test", "yes", "no"};
    const RObject* bound[3] = {nullptr, nullptr, nullptr};
    std::vector<const RObject*> unnamed;
    for (size_t i = 1; i < node.elements.size(); ++i) {
      const std::string tag = i < node.tags.size() ? node.tags[i] : "";
      if (tag.empty()) {
        unnamed.push_back(node.elements[i].get());
        continue;
      }
      size_t k = 0;
      while (k < 3 && tag != kFormals[k]) ++k;
      if (k == 3 || bound[k])
        throw Error(file_, kPlace,
                    fmt::format("ifelse() argument '{}' in term '{}' is not test, yes or no once", tag, term));
      bound[k] = node.elements[i].get();
    }
    size_t next = 0;
    for (auto& b : bound)
      if (!b) b = unnamed[next++];
    std::vector<Expr> args;
    for (auto* b : bound) {
      if (!b) throw Error(file_, kPlace, fmt::format("ifelse() in term '{}' lacks an argument", term));
      args.push_back(numeric(*b, term));
    }
    return Expr::call(Op::IfElse, std::move(args));
  }
  if (f == "mapvalues") {
    // plyr::mapvalues(x, from, to) on numbers: a value equal to from[i] becomes to[i] (the first
    // match), any other value stays.  Character or factor maps are not numeric expressions.
    const RObject* from = call_arg(node, "from", 1);
    const RObject* to = call_arg(node, "to", 2);
    auto fv = from ? constant_values(*from) : std::nullopt;
    auto tv = to ? constant_values(*to) : std::nullopt;
    if (!fv || !tv || fv->size() != tv->size())
      throw Unsupported(file_, kPlace,
                        fmt::format("unsupported: mapvalues() in term '{}' without numeric from and to "
                                    "of the same length",
                                    term));
    Expr x = a0();
    Expr e = x;
    for (size_t i = fv->size(); i-- > 0;)
      e = Expr::call(Op::IfElse,
                     {Expr::binary(Op::Eq, x, Expr::constant((*fv)[i])), Expr::constant((*tv)[i]), std::move(e)});
    return e;
  }
  if (f == "scale") {
    Expr x = a0();
    const RObject* center = call_arg(node, "center", 1);
    const RObject* scale = call_arg(node, "scale", 2);
    auto frozen = [&](const RObject* a, const char* what) -> std::optional<double> {
      if (!a) return std::nullopt;
      if (a->type == RType::Logical) {
        if (a->length() == 1 && a->ints[0] == 0) return std::nullopt;
        throw Error(file_, kPlace, fmt::format("scale() in term '{}' has no frozen {}", term, what));
      }
      auto v = constant_values(*a);
      if (!v || v->size() != 1)
        throw Error(file_, kPlace, fmt::format("scale() in term '{}': {} is not one number", term, what));
      return (*v)[0];
    };
    auto c = frozen(center, "center");
    auto s = frozen(scale, "scale");
    if (!center || !scale)
      throw Error(file_, kPlace, fmt::format("scale() in term '{}' has no frozen center and scale", term));
    if (c) x = Expr::binary(Op::Sub, std::move(x), Expr::constant(*c));
    if (s) x = Expr::binary(Op::Div, std::move(x), Expr::constant(*s));
    return x;
  }
  if (f == "offset") return a0();
  unsupported(f, term);
}

std::optional<ExprTranslator::Matrix> ExprTranslator::matrix(const RObject& node, const std::string& term) {
  const std::string fname = call_name(node);
  if (fname == "ns" || fname == "bs") return spline(node, fname, term);
  if (fname != "poly") return std::nullopt;
  // poly(x, ..., degree = 1, coefs = NULL, raw = FALSE): a single extra positional argument that
  // is one number is the degree (as poly() takes it); other extra arguments are more variables,
  // polym(): the products of each variable's polynomials of total degree 1..degree.
  auto pos = positional_args(node);
  if (pos.empty()) unsupported(fname, term);
  const RObject* deg_node = call_arg(node, "degree", -1);
  std::vector<const RObject*> vars = pos;
  if (!deg_node && pos.size() == 2) {
    auto d = constant_values(*pos[1]);
    if (d && d->size() == 1) {
      deg_node = pos[1];
      vars.pop_back();
    }
  }
  size_t degree = 1;
  if (deg_node) {
    auto d = constant_values(*deg_node);
    if (!d || d->size() != 1 || !((*d)[0] >= 1 && (*d)[0] <= 1000) || (*d)[0] != std::floor((*d)[0]))
      throw Error(file_, kPlace, fmt::format("poly() degree is not a whole number from 1 to 1000 in term '{}'", term));
    degree = static_cast<size_t>((*d)[0]);
  }
  bool raw = false;
  if (const RObject* r = call_arg(node, "raw", -1)) {
    auto v = constant_values(*r);
    raw = v && v->size() == 1 && (*v)[0] != 0;
  }
  const RObject* coefs = raw ? nullptr : call_arg(node, "coefs", -1);
  if (!raw && !coefs)
    throw Error(file_, kPlace, fmt::format("poly() in term '{}' has no frozen coefs (alpha, norm2)", term));
  // Element `name` (or, with name empty, positional element `i`) of a list: a list() call in the
  // predvars, or a List object.
  auto list_element = [&](const RObject& list, const char* name, size_t i) -> const RObject* {
    if (list.type == RType::Language && call_name(list) == "list")
      return *name ? call_arg(list, name, -1) : call_arg(list, "", static_cast<int>(i));
    if (list.type == RType::List) {
      if (*name) return list.get(name);
      return i < list.elements.size() ? list.elements[i].get() : nullptr;
    }
    return nullptr;
  };
  // The columns 1..degree of one variable's polynomial: powers, or the orthogonal recurrence
  // Z1 = x - alpha1; Z(i+1) = (x - alpha(i+1)) * Z(i) - (norm2(i+2)/norm2(i+1)) * Z(i-1); Z0 = 1,
  // column k = Z(k) / sqrt(norm2(k+1)).
  auto one_variable = [&](const RObject& var, const RObject* var_coefs, const std::string& tag) {
    Expr x = numeric(var, term);
    std::vector<Expr> cols;
    if (raw) {
      for (size_t k = 1; k <= degree; ++k)
        cols.push_back(k == 1 ? x : Expr::binary(Op::Pow, x, Expr::constant(static_cast<double>(k))));
      return cols;
    }
    auto element = [&](const char* name) -> std::optional<std::vector<double>> {
      const RObject* e = var_coefs ? list_element(*var_coefs, name, 0) : nullptr;
      return e ? constant_values(*e) : std::nullopt;
    };
    auto alpha = element("alpha");
    auto norm2 = element("norm2");
    if (!alpha || !norm2 || alpha->size() < degree || norm2->size() < degree + 2)
      throw Error(file_, kPlace,
                  fmt::format("poly() in term '{}': coefs need alpha (>= {}) and norm2 (>= {}) values{}", term, degree,
                              degree + 2, tag.empty() ? "" : " for variable " + tag));
    std::vector<Expr> z;  // z[k] refers to the derived field holding Z(k), k >= 1
    z.push_back(Expr::constant(1.0));
    for (size_t k = 1; k <= degree; ++k) {
      Expr e = Expr::binary(Op::Sub, x, Expr::constant((*alpha)[k - 1]));
      if (k >= 2) {
        e = Expr::binary(Op::Sub, Expr::binary(Op::Mul, std::move(e), z[k - 1]),
                         Expr::binary(Op::Mul, Expr::constant((*norm2)[k] / (*norm2)[k - 1]), z[k - 2]));
      }
      derived_.push_back({fmt::format("{}#{}Z{}", term, tag, k), std::move(e)});
      z.push_back(Expr::derived(static_cast<int32_t>(derived_.size() - 1)));
    }
    for (size_t k = 1; k <= degree; ++k)
      cols.push_back(Expr::binary(Op::Div, z[k], Expr::constant(std::sqrt((*norm2)[k + 1]))));
    return cols;
  };

  Matrix m;
  if (vars.size() == 1) {
    m.columns = one_variable(*vars[0], coefs, "");
    for (size_t k = 1; k <= degree; ++k) m.colnames.push_back(std::to_string(k));
    m.description = fmt::format("{}: {} polynomial of degree {}", term, raw ? "raw" : "orthogonal", degree);
    return m;
  }
  // polym(): coefs is a list of one coefs list per variable.  The columns follow expand.grid of
  // the degrees 0..degree per variable (the first varying fastest), those of total degree 1 to
  // `degree`, each the product of the variables' columns (degree 0: 1), named "d1.d2...".
  if (vars.size() > 8) unsupported(fname, term);
  std::vector<std::vector<Expr>> per_var;
  for (size_t i = 0; i < vars.size(); ++i) {
    const RObject* vc = coefs ? list_element(*coefs, "", i) : nullptr;
    if (!raw && !vc)
      throw Error(file_, kPlace, fmt::format("poly() in term '{}' has no coefs for variable {}", term, i + 1));
    per_var.push_back(one_variable(*vars[i], vc, std::to_string(i + 1)));
  }
  std::vector<size_t> z(vars.size(), 0);
  while (true) {
    size_t i = 0;  // the next combination, the first digit fastest
    while (i < z.size() && z[i] == degree) z[i++] = 0;
    if (i == z.size()) break;
    ++z[i];
    size_t total = 0;
    for (size_t d : z) total += d;
    if (total > degree) continue;
    std::optional<Expr> prod;
    std::string name;
    for (size_t v = 0; v < z.size(); ++v) {
      name += (v ? "." : "") + std::to_string(z[v]);
      if (z[v] == 0) continue;
      prod = prod ? Expr::binary(Op::Mul, std::move(*prod), per_var[v][z[v] - 1]) : per_var[v][z[v] - 1];
    }
    m.columns.push_back(std::move(*prod));
    m.colnames.push_back(name);
  }
  m.description = fmt::format("{}: {} polynomial of degree {} in {} variables", term, raw ? "raw" : "orthogonal",
                              degree, vars.size());
  return m;
}

// splines::ns(x, knots, Boundary.knots, intercept) and bs(x, degree, knots, Boundary.knots,
// intercept) as predvars freezes them (makepredictcall): the knots are in the call.
ExprTranslator::Matrix ExprTranslator::spline(const RObject& node, const std::string& fname, const std::string& term) {
  auto pos = positional_args(node);
  if (pos.empty()) throw Error(file_, kPlace, fmt::format("{}() without a variable in term '{}'", fname, term));
  auto numbers = [&](const char* tag, bool required) -> std::vector<double> {
    const RObject* a = call_arg(node, tag, -1);
    if (!a) {
      if (required)
        throw Error(file_, kPlace,
                    fmt::format("{}() in term '{}' has no frozen {} (predvars should hold them)", fname, term, tag));
      return {};
    }
    if (a->type == RType::Language && call_name(*a) == "numeric" && a->elements.size() <= 2) {
      auto n = a->elements.size() == 2 && a->elements[1] ? constant_values(*a->elements[1]) : std::nullopt;
      if (a->elements.size() == 1 || (n && n->size() == 1 && (*n)[0] == 0)) return {};
    }
    auto v = constant_values(*a);
    if (!v)
      throw Error(file_, kPlace, fmt::format("{}() argument {} is not a constant in term '{}'", fname, tag, term));
    return *v;
  };
  // Unfrozen arguments (df only, no knots) mean predict() would choose knots from the new data.
  for (const char* tag : {"df"})
    if (call_arg(node, tag, -1) && !call_arg(node, "knots", -1))
      throw Error(file_, kPlace, fmt::format("{}() in term '{}' has df but no frozen knots", fname, term));
  const std::vector<double> knots = numbers("knots", false);
  const std::vector<double> boundary = numbers("Boundary.knots", true);
  bool intercept = false;
  if (auto v = numbers("intercept", false); !v.empty()) intercept = v[0] != 0;
  int degree = 3;
  if (fname == "bs") {
    auto d = numbers("degree", false);
    if (!d.empty()) {
      if (d.size() != 1 || !(d[0] >= 0 && d[0] <= 1000) || d[0] != std::floor(d[0]))
        throw Error(file_, kPlace, fmt::format("bs() degree is not a whole number from 0 to 1000 in term '{}'", term));
      degree = static_cast<int>(d[0]);
    }
  }
  Expr x = numeric(*pos[0], term);
  splines::Basis b;
  try {
    b = fname == "ns" ? splines::natural_spline(x, knots, boundary, intercept, derived_, term)
                      : splines::b_spline(x, degree, knots, boundary, intercept, derived_, term);
  } catch (const std::invalid_argument& e) {
    throw Error(file_, kPlace, fmt::format("{} in term '{}'", e.what(), term));
  }
  Matrix m;
  for (size_t k = 1; k <= b.columns.size(); ++k) m.colnames.push_back(std::to_string(k));
  m.columns = std::move(b.columns);
  m.description = std::move(b.description);
  return m;
}

}  // namespace mb::r
