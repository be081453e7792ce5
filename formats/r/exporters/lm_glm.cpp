// Linear models to R's `lm` and generalized linear models to `glm` (see export.hpp).
//
// The object holds what predict.lm / predict.glm read with new data: coefficients, rank, qr
// (its pivot), terms (variables, factors, term.labels, order, intercept, response, offset,
// .Environment = R_GlobalEnv, predvars, dataClasses), xlevels, contrasts and, for glm, the
// family with R's own link functions (closures in the stats namespace).
//
// Features become formula terms: a continuous input is a variable; the indicator columns of one
// categorical input (LevelIs) are a factor with treatment contrasts whose base level is one the
// model has no column for (moved first in the levels, as treatment contrasts need; levels without
// a column get coefficient 0); any other feature expression is an I() term in R arithmetic.
// Coefficients are copied bit for bit.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "formats/r/exporters/export.hpp"
#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/lang/rparse.hpp"
#include "formats/r/serial/rjson_writer.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

struct LinkInfo {
  ir::Link link;
  const char* name;     // R's link name
  const char* family;   // the family written when the source names none
  const char* linkfun;  // R's make.link() bodies, argument mu
  const char* linkinv;  // argument eta
};

const LinkInfo kLinks[] = {
    {ir::Link::Identity, "identity", "gaussian", "mu", "eta"},
    {ir::Link::Logit, "logit", "binomial", ".Call(C_logit_link, mu)", ".Call(C_logit_linkinv, eta)"},
    {ir::Link::Probit, "probit", "binomial", "qnorm(mu)",
     "{\n thresh <- -qnorm(.Machine$double.eps)\n eta <- pmin(pmax(eta, -thresh), thresh)\n pnorm(eta)\n}"},
    {ir::Link::Cauchit, "cauchit", "binomial", "qcauchy(mu)",
     "{\n thresh <- -qcauchy(.Machine$double.eps)\n eta <- pmin(pmax(eta, -thresh), thresh)\n pcauchy(eta)\n}"},
    {ir::Link::Cloglog, "cloglog", "binomial", "log(-log(1 - mu))",
     "pmax(pmin(-expm1(-exp(eta)), 1 - .Machine$double.eps), .Machine$double.eps)"},
    {ir::Link::Log, "log", "poisson", "log(mu)", "pmax(exp(eta), .Machine$double.eps)"},
    {ir::Link::Inverse, "inverse", "Gamma", "1/mu", "1/eta"},
    {ir::Link::InverseSquare, "1/mu^2", "inverse.gaussian", "1/mu^2", "1/sqrt(eta)"},
    {ir::Link::Sqrt, "sqrt", "poisson", "sqrt(mu)", "eta^2"},
};

RPtr link_closure(const char* arg, const char* body) {
  auto formals = std::make_shared<RObject>();
  formals->type = RType::Pairlist;
  formals->elements = {make_missing_arg()};
  formals->tags = {arg};
  auto fn = std::make_shared<RObject>();
  fn->type = RType::Closure;
  fn->elements = {formals, parse_r_expression(body, "", "")};
  fn->env = stats_namespace();
  return fn;
}

[[noreturn]] void refuse(const std::string& why) {
  throw Unsupported("", "", "no standard R class holds this linear model exactly: " + why);
}

struct Term {
  RPtr variable;                     // what the formula names (symbol, I(...) call)
  std::string label;                 // deparse of the variable
  int factor_input = -1;             // categorical input of a factor term
  std::vector<std::string> levels;   // factor: levels, base level first
  std::vector<double> coefficients;  // one per model-matrix column (the first score row)
  std::vector<std::string> columns;  // model-matrix column names
  std::vector<int> features;         // per column: the feature it is, or -1 (a level without one: 0)
};

// The formula, terms object and model-matrix columns of a linear model (features as terms, see
// the file comment), shared by lm/glm and multinom.
struct LinearTerms {
  std::vector<Term> terms;
  RPtr offset_var, formula, tt;
  std::string response;
};

// An IR feature expression in R arithmetic, evaluated on the data frame's columns.
class ExprToR {
 public:
  explicit ExprToR(const ir::Model& m) : m_(m) {}

  RPtr operator()(const ir::Expr& e) {
    using ir::Op;
    auto num = [](RPtr x) { return make_call(make_symbol("as.numeric"), {std::move(x)}); };
    auto bin = [&](const char* f) { return make_call(make_symbol(f), {(*this)(e.args[0]), (*this)(e.args[1])}); };
    auto un = [&](const char* f) { return make_call(make_symbol(f), {(*this)(e.args[0])}); };
    switch (e.op) {
      case Op::Const: return make_double(e.value);
      case Op::Input: {
        const auto& in = m_.schema.inputs.at(e.index);
        if (in.is_categorical())
          refuse("feature uses the level code of categorical input '" + in.name + "' as a number");
        if (in.missing_replacement) refuse("input '" + in.name + "' has a missing-value replacement");
        return make_symbol(in.name);
      }
      case Op::Derived: return (*this)(m_.derived.at(e.index).expr);
      case Op::LevelIs: {
        const auto& in = m_.schema.inputs.at(e.index);
        return num(make_call(make_symbol("=="), {make_symbol(in.name), make_string(in.levels.at(e.level))}));
      }
      case Op::Add: return bin("+");
      case Op::Sub: return bin("-");
      case Op::Mul: return bin("*");
      case Op::Div: return bin("/");
      case Op::Pow: return bin("^");
      case Op::Neg: return un("-");
      case Op::Log: return un("log");
      case Op::Log10: return un("log10");
      case Op::Exp: return un("exp");
      case Op::Sqrt: return un("sqrt");
      case Op::Abs: return un("abs");
      case Op::Floor: return un("floor");
      case Op::Ceil: return un("ceiling");
      case Op::Sin: return un("sin");
      case Op::Cos: return un("cos");
      case Op::Tan: return un("tan");
      case Op::Atan: return un("atan");
      case Op::Tanh: return un("tanh");
      case Op::Logistic: return un("plogis");
      case Op::Lt: return num(bin("<"));
      case Op::Le: return num(bin("<="));
      case Op::Gt: return num(bin(">"));
      case Op::Ge: return num(bin(">="));
      case Op::Eq: return num(bin("=="));
      case Op::Ne: return num(bin("!="));
      case Op::IsMissing: return num(un("is.na"));
      default:
        refuse(std::string("feature operator '") + ir::op_name(e.op) + "' has no exact R arithmetic counterpart here");
    }
  }

 private:
  const ir::Model& m_;
};

bool uses_categorical(const ir::Model& m, const ir::Expr& e) {
  if (e.op == ir::Op::LevelIs || e.op == ir::Op::LevelMap) return true;
  if (e.op == ir::Op::Input && m.schema.inputs.at(e.index).is_categorical()) return true;
  if (e.op == ir::Op::Derived) return uses_categorical(m, m.derived.at(e.index).expr);
  for (const auto& a : e.args)
    if (uses_categorical(m, a)) return true;
  return false;
}

bool same_name_taken(const ir::Model& m, const std::string& name) { return m.schema.find_input(name) >= 0; }

LinearTerms linear_terms(const ir::Model& m, const ir::Linear* lin, const std::string& response_class) {
  const auto& target = m.schema.target;
  const size_t F = m.features.size();
  std::vector<Term> terms;
  std::map<int, size_t> factor_term;                  // categorical input -> term
  std::map<int, std::map<int, double>> factor_coefs;  // input -> level -> coefficient
  std::map<int, std::map<int, int>> factor_feats;     // input -> level -> feature
  std::set<std::string> labels;
  ExprToR to_r(m);
  for (size_t f = 0; f < F; ++f) {
    if (static_cast<int32_t>(f) == lin->offset_feature) continue;
    const ir::Expr* e = &m.features[f].expr;
    while (e->op == ir::Op::Derived) e = &m.derived.at(e->index).expr;
    const double c = lin->coefficients[f];
    if (e->op == ir::Op::LevelIs) {
      auto [it, fresh] = factor_term.try_emplace(e->index, terms.size());
      if (fresh) {
        Term t;
        t.factor_input = e->index;
        t.variable = make_symbol(m.schema.inputs[e->index].name);
        t.label = deparse_exact(*t.variable);
        terms.push_back(std::move(t));
      }
      factor_feats[e->index][e->level] = static_cast<int>(f);
      if (!factor_coefs[e->index].emplace(e->level, c).second)
        refuse("two features indicate the same level of '" + m.schema.inputs[e->index].name + "'");
      continue;
    }
    if (uses_categorical(m, *e))
      refuse("feature '" + m.features[f].name +
             "' combines a categorical input with other values (interaction); "
             "written as R terms only as main effects so far");
    Term t;
    if (e->op == ir::Op::Input && !m.schema.inputs.at(e->index).is_categorical() &&
        !m.schema.inputs.at(e->index).missing_replacement) {
      t.variable = make_symbol(m.schema.inputs[e->index].name);
    } else {
      t.variable = make_call(make_symbol("I"), {to_r(*e)});
    }
    t.label = deparse_exact(*t.variable);
    t.coefficients = {c};
    t.columns = {t.label};
    t.features = {static_cast<int>(f)};
    terms.push_back(std::move(t));
  }
  for (auto& t : terms) {
    if (t.factor_input < 0) continue;
    const auto& in = m.schema.inputs[t.factor_input];
    if (in.missing_replacement_label) refuse("input '" + in.name + "' has a missing-value replacement");
    if (in.open)
      refuse("input '" + in.name +
             "' takes any label (its source lists no values); an R factor has a fixed set "
             "of levels, and a label outside them predicts NA");
    const auto& coefs = factor_coefs[t.factor_input];
    int base = -1;
    for (size_t k = 0; k < in.levels.size() && base < 0; ++k)
      if (!coefs.count(static_cast<int>(k))) base = static_cast<int>(k);
    if (base < 0)
      refuse("every level of '" + in.name +
             "' has its own indicator column besides the intercept; treatment "
             "contrasts need a base level without one, and shifting the intercept would change the coefficients");
    t.levels.push_back(in.levels[base]);
    for (size_t k = 0; k < in.levels.size(); ++k) {
      if (static_cast<int>(k) == base) continue;
      t.levels.push_back(in.levels[k]);
      auto it = coefs.find(static_cast<int>(k));
      t.coefficients.push_back(it == coefs.end() ? 0.0 : it->second);
      t.features.push_back(it == coefs.end() ? -1 : factor_feats[t.factor_input][static_cast<int>(k)]);
      t.columns.push_back(t.label + in.levels[k]);
    }
  }
  for (const auto& t : terms)
    if (!labels.insert(t.label).second) refuse("two features are the same formula term " + t.label);

  RPtr offset_var;
  if (lin->offset_feature >= 0) {
    const ir::Expr& e = m.features.at(lin->offset_feature).expr;
    offset_var = make_call(make_symbol("offset"), {to_r(e)});
  }

  // Response: the target's name when it is free, else ".response".
  std::string response = target.name.empty() || same_name_taken(m, target.name) ? ".response" : target.name;
  RPtr response_sym = make_symbol(response);

  // Formula: response ~ t1 + t2 + ... + offset(...)
  RPtr rhs;
  auto add = [&](RPtr x) { rhs = rhs ? make_call(make_symbol("+"), {rhs, std::move(x)}) : std::move(x); };
  for (const auto& t : terms) add(t.variable);
  if (offset_var) add(offset_var);
  if (!rhs) rhs = make_double(1);
  RPtr formula = make_call(make_symbol("~"), {response_sym, rhs});

  std::vector<RPtr> vars = {response_sym};
  std::vector<std::string> var_names = {response};
  for (const auto& t : terms) {
    vars.push_back(t.variable);
    var_names.push_back(t.label);
  }
  int offset_index = 0;
  if (offset_var) {
    vars.push_back(offset_var);
    var_names.push_back(deparse_exact(*offset_var));
    offset_index = static_cast<int>(vars.size());  // 1-based among variables (list(...) args)
  }
  std::vector<RPtr> list_args = vars;
  RPtr variables = make_call(make_symbol("list"), list_args);
  RPtr predvars = make_call(make_symbol("list"), list_args);

  auto tt = std::make_shared<RObject>(*formula);
  tt->attributes.clear();
  set_attr(*tt, "variables", variables);
  if (offset_var) set_attr(*tt, "offset", make_ints({offset_index}));
  if (!terms.empty()) {
    std::vector<int32_t> fac(vars.size() * terms.size(), 0);
    std::vector<std::string> term_labels;
    for (size_t j = 0; j < terms.size(); ++j) {
      fac[j * vars.size() + (j + 1)] = 1;
      term_labels.push_back(terms[j].label);
    }
    auto fm = make_ints(fac);
    set_attr(*fm, "dim", make_ints({static_cast<int32_t>(vars.size()), static_cast<int32_t>(terms.size())}));
    set_attr(*fm, "dimnames", make_list({make_strings(var_names), make_strings(term_labels)}));
    set_attr(*tt, "factors", fm);
    set_attr(*tt, "term.labels", make_strings(term_labels));
    set_attr(*tt, "order", make_ints(std::vector<int32_t>(terms.size(), 1)));
  } else {
    set_attr(*tt, "factors", make_ints({}));
    set_attr(*tt, "term.labels", make_strings({}));
    set_attr(*tt, "order", make_ints({}));
  }
  set_attr(*tt, "intercept", make_ints({1}));
  set_attr(*tt, "response", make_ints({1}));
  set_attr(*tt, "class", make_strings({"terms", "formula"}));
  set_attr(*tt, ".Environment", global_env());
  set_attr(*tt, "predvars", predvars);
  std::vector<std::string> classes = {response_class};
  for (const auto& t : terms) classes.push_back(t.factor_input >= 0 ? "factor" : "numeric");
  if (offset_var) classes.push_back("numeric");
  auto dc = make_strings(classes);
  set_attr(*dc, "names", make_strings(var_names));
  set_attr(*tt, "dataClasses", dc);

  return LinearTerms{std::move(terms), offset_var, formula, tt, response};
}

}  // namespace

RPtr export_lm_glm(const ir::Model& m, Warnings& warnings) {
  const auto* lin = std::get_if<ir::Linear>(&m.estimator);
  if (!lin) return nullptr;
  const auto& target = m.schema.target;
  const bool binary = target.task == ir::Task::Classification;
  if (lin->n_targets != 1 || lin->reference_class) return nullptr;  // multinomial: not lm/glm
  if (target.task == ir::Task::Clustering) return nullptr;
  if (binary && (target.classes.size() != 2 || lin->transform != ir::ScoreTransform::Binary))
    refuse(
        fmt::format("a classifier with {} classes and {} scores is not a binomial glm (one-vs-rest logistic "
                    "models have no standard R class)",
                    target.classes.size(), lin->n_targets));
  if (!binary && lin->transform != ir::ScoreTransform::None) refuse("a regression with a score transform");
  if (binary && lin->link == ir::Link::Identity)
    refuse("a binary classifier without a link (scores are not probabilities)");
  const LinkInfo* link = nullptr;
  for (const auto& l : kLinks)
    if (l.link == lin->link) link = &l;
  if (!link) refuse("R has no family link for this link function");
  if (!binary && lin->output.post != ir::PostTransform::None)
    refuse("onnxruntime's float32 probit post-transform of a LinearRegressor (a probit of the prediction, not a link)");
  if (!lin->output.plain() || lin->precision == ir::Precision::Float32)
    warnings.push_back({"r-double-arithmetic",
                        "the source computes in float32 (onnxruntime); R's predict() computes in double with the same "
                        "coefficients, so predictions differ by float32 rounding (convert --data measures it)"});
  for (const auto& in : m.schema.inputs)
    if (in.cast == ir::Precision::Float32) {
      warnings.push_back(
          {"r-double-inputs", "the source narrows inputs to float32 before use; R uses the doubles as given"});
      break;
    }

  LinearTerms lt = linear_terms(m, lin, binary ? "factor" : "numeric");
  const std::vector<Term>& terms = lt.terms;
  const std::string& response = lt.response;
  const RPtr& formula = lt.formula;
  const RPtr& tt = lt.tt;

  // ---- coefficients ----
  std::vector<double> beta = {lin->intercepts.at(0)};
  std::vector<std::string> beta_names = {"(Intercept)"};
  for (const auto& t : terms) {
    beta.insert(beta.end(), t.coefficients.begin(), t.coefficients.end());
    beta_names.insert(beta_names.end(), t.columns.begin(), t.columns.end());
  }
  auto coefficients = make_doubles(beta);
  set_attr(*coefficients, "names", make_strings(beta_names));
  const int32_t p = static_cast<int32_t>(beta.size());
  std::vector<int32_t> pivot(p);
  for (int32_t i = 0; i < p; ++i) pivot[i] = i + 1;
  auto qr = make_named_list({{"pivot", make_ints(pivot)}, {"rank", make_ints({p})}});
  set_attr(*qr, "class", make_strings({"qr"}));

  std::vector<std::pair<std::string, RPtr>> xlevels, contrasts;
  for (const auto& t : terms)
    if (t.factor_input >= 0) {
      xlevels.emplace_back(t.label, make_strings(t.levels));
      contrasts.emplace_back(t.label, make_strings({"contr.treatment"}));
    }

  const bool is_glm = binary || lin->link != ir::Link::Identity || m.provenance.source_class == "glm";
  std::vector<std::pair<std::string, RPtr>> parts = {
      {"coefficients", coefficients},
      {"rank", make_ints({p})},
      {"qr", qr},
  };
  if (is_glm) {
    std::string family = link->family;
    // Keep the source's family name when it is R's (glm binomial/logit, poisson, Gamma...).
    const std::string& fam = m.provenance.family;
    for (const char* known :
         {"binomial", "quasibinomial", "poisson", "quasipoisson", "gaussian", "Gamma", "inverse.gaussian"})
      if (fam.find(known) != std::string::npos) family = known;
    if (binary && family != "binomial" && family != "quasibinomial") family = "binomial";
    auto fobj = make_named_list({{"family", make_strings({family})},
                                 {"link", make_strings({link->name})},
                                 {"linkfun", link_closure("mu", link->linkfun)},
                                 {"linkinv", link_closure("eta", link->linkinv)}});
    set_attr(*fobj, "class", make_strings({"family"}));
    parts.emplace_back("family", fobj);
  }
  parts.emplace_back("terms", tt);
  if (binary) {
    // An empty model frame whose response factor carries the class labels (P = second level),
    // where R code and readers of glm objects look for them.
    auto y = make_ints({});
    set_attr(*y, "levels", make_strings(target.classes));
    set_attr(*y, "class", make_strings({"factor"}));
    auto mf = make_named_list({{response, y}});
    set_attr(*mf, "row.names", make_ints({}));
    set_attr(*mf, "class", make_strings({"data.frame"}));
    parts.emplace_back("model", mf);
  }
  parts.emplace_back("xlevels", make_named_list(xlevels));
  if (!contrasts.empty()) parts.emplace_back("contrasts", make_named_list(contrasts));
  std::vector<RPtr> call_args = {formula};
  parts.emplace_back("call", make_call(make_symbol(is_glm ? "glm" : "lm"), {formula}, {"formula"}));
  auto obj = make_named_list(parts);
  set_attr(*obj, "class", is_glm ? make_strings({"glm", "lm"}) : make_strings({"lm"}));
  (void)call_args;
  return obj;
}

}  // namespace mb::r

namespace mb::r {

// Multinomial logistic models to nnet's `multinom`: a network without hidden units whose
// outputs are the linear predictors of the classes (the first one's weights 0) and a softmax
// (predict.multinom: predict.nnet on the model matrix, with the "(Intercept)" column as an
// input).  Units: 0 the bias, 1..p the model-matrix columns ("(Intercept)" first), then one
// output per class, each fed by the bias and every column in that order; the intercept is the
// bias weight and the "(Intercept)" column's weight is 0.
RPtr export_multinom(const ir::Model& m, Warnings& warnings) {
  const auto* lin = std::get_if<ir::Linear>(&m.estimator);
  if (!lin || lin->transform != ir::ScoreTransform::Softmax) return nullptr;
  const auto& target = m.schema.target;
  const size_t K = target.classes.size();
  auto no = [](const std::string& why) -> RPtr {
    throw Unsupported("", "", "no standard R class holds this multinomial model exactly (multinom): " + why);
  };
  if (target.task != ir::Task::Classification) return no("a softmax over scores that are not classes");
  if (K < 3) return no("two classes by a softmax; multinom fits two classes with one logistic output");
  if (lin->link != ir::Link::Identity) return no("a link function before the softmax");
  if (lin->offset_feature >= 0) return no("an offset");
  const size_t T = static_cast<size_t>(lin->n_targets), F = m.features.size();
  if (T + (lin->reference_class ? 1 : 0) != K) return no(fmt::format("{} score rows for {} classes", T, K));
  if (!lin->output.plain() || lin->precision == ir::Precision::Float32)
    warnings.push_back({"r-double-arithmetic",
                        "the source computes in float32 (onnxruntime); R's predict() computes in double with the same "
                        "coefficients, so predictions differ by float32 rounding (convert --data measures it)"});
  // Score rows per class (intercept, coefficients); class 1's must be 0.
  std::vector<double> b(K, 0.0), c(K * F, 0.0);
  const size_t first = lin->reference_class ? 1 : 0;
  for (size_t t = 0; t < T; ++t) {
    b[first + t] = lin->intercepts[t];
    std::copy_n(&lin->coefficients[t * F], F, &c[(first + t) * F]);
  }
  bool zero = b[0] == 0;
  for (size_t f = 0; f < F; ++f) zero &= c[f] == 0;
  if (!zero) {
    warnings.push_back({"r-multinom-reference",
                        "the source scores every class; multinom fixes the first class's scores at 0, so the written "
                        "weights are each class's minus the first's: the same probabilities up to rounding (convert "
                        "--data measures it)"});
    for (size_t k = K; k-- > 0;) {
      b[k] -= b[0];
      for (size_t f = 0; f < F; ++f) c[k * F + f] -= c[f];
    }
  }
  LinearTerms lt = linear_terms(m, lin, "factor");

  std::vector<std::string> coefnames = {"(Intercept)"};
  std::vector<int> feature_of;  // per model-matrix column after the intercept
  for (const auto& t : lt.terms) {
    coefnames.insert(coefnames.end(), t.columns.begin(), t.columns.end());
    feature_of.insert(feature_of.end(), t.features.begin(), t.features.end());
  }
  const size_t n_in = coefnames.size();
  const size_t n_units = 1 + n_in + K;
  std::vector<double> nconn(n_units + 1, 0.0), conn, wts;
  for (size_t k = 0; k < K; ++k) {
    conn.push_back(0);
    wts.push_back(b[k]);
    conn.push_back(1);
    wts.push_back(0.0);
    for (size_t j = 0; j < feature_of.size(); ++j) {
      conn.push_back(static_cast<double>(j + 2));
      wts.push_back(feature_of[j] < 0 ? 0.0 : c[k * F + static_cast<size_t>(feature_of[j])]);
    }
    nconn[1 + n_in + k + 1] = static_cast<double>(conn.size());
  }
  auto fitted = make_doubles({});
  set_attr(*fitted, "dim", make_ints({0, static_cast<int32_t>(K)}));
  set_attr(*fitted, "dimnames", make_list({make_node(RType::Null), make_strings(target.classes)}));
  std::vector<std::pair<std::string, RPtr>> xlevels, contrasts;
  for (const auto& t : lt.terms)
    if (t.factor_input >= 0) {
      xlevels.emplace_back(t.label, make_strings(t.levels));
      contrasts.emplace_back(t.label, make_strings({"contr.treatment"}));
    }
  std::vector<std::pair<std::string, RPtr>> parts = {
      {"n", make_doubles({static_cast<double>(n_in), 0, static_cast<double>(K)})},
      {"nunits", make_ints({static_cast<int32_t>(n_units)})},
      {"nconn", make_doubles(nconn)},
      {"conn", make_doubles(conn)},
      {"nsunits", make_doubles({static_cast<double>(n_units - K)})},
      {"decay", make_doubles({0})},
      {"entropy", make_logical(0)},
      {"softmax", make_logical(1)},
      {"censored", make_logical(0)},
      {"wts", make_doubles(wts)},
      {"fitted.values", fitted},
      {"lev", make_strings(target.classes)},
      {"call", make_call(make_symbol("multinom"), {lt.formula}, {"formula"})},
      {"terms", lt.tt},
      {"lab", make_strings(target.classes)},
      {"coefnames", make_strings(coefnames)},
      {"vcoefnames", make_strings(coefnames)},
      {"xlevels", make_named_list(xlevels)},
  };
  if (!contrasts.empty()) parts.emplace_back("contrasts", make_named_list(contrasts));
  auto obj = make_named_list(parts);
  set_attr(*obj, "class", make_strings({"multinom", "nnet"}));
  return obj;
}

}  // namespace mb::r
