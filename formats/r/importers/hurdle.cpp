// pscl `hurdle` and `zeroinfl` (docs/r-objects.md, "hurdle, zeroinfl"): predict(type =
// "response") of a Poisson count model with a binomial (logit) zero part, mu = exp(X %*%
// coef$count) and phi = plogis(Z %*% coef$zero).  hurdle: exp(log(phi) - log(1 - exp(-mu))) * mu,
// phi the probability of a positive count; zeroinfl: (1 - phi) * mu, phi that of a zero.
// In the IR: one derived feature holding that expression, scored by a Linear model with
// coefficient 1 (no estimator of its own).  Each part has its own design (y ~ x | z); the inputs
// are their union.  zeroinfl's mean holds for any count distribution (negbin, geometric too).
#include <fmt/format.h>

#include <cmath>

#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

// The model object build_design reads for one part: $terms = $terms$<part>, $xlevels = $levels,
// $contrasts = $contrasts$<part>.
RObject part_object(const RObject& root, const std::string& part, const std::string& file) {
  RObject o;
  o.type = RType::List;
  std::vector<std::string> names;
  const RObject* terms = root.get("terms");
  const RPtr* t = terms ? terms->get_ptr(part) : nullptr;
  if (!t || !*t) throw Error(file, "$terms$" + part, "expected the terms of the " + part + " part");
  // hurdle's part terms carry no @dataClasses: the model frame's columns give them.
  auto tc = std::make_shared<RObject>(**t);
  if (!tc->attr("dataClasses"))
    if (const RObject* mf = root.get("model"); mf && mf->type == RType::List) {
      std::vector<std::string> vars = mf->names(), classes;
      for (size_t i = 0; i < vars.size() && i < mf->elements.size(); ++i) {
        const RObject* col = mf->elements[i].get();
        classes.push_back(!col                            ? "numeric"
                          : col->inherits("ordered")      ? "ordered"
                          : col->inherits("factor")       ? "factor"
                          : col->type == RType::Character ? "character"
                          : col->type == RType::Logical   ? "logical"
                                                          : "numeric");
      }
      if (classes.size() == vars.size()) {
        RPtr dc = make_strings(classes);
        dc->attributes.emplace_back("names", make_strings(vars));
        tc->attributes.emplace_back("dataClasses", dc);
      }
    }
  o.elements.push_back(tc);
  names.push_back("terms");
  if (const RPtr* lv = root.get_ptr("levels"); lv && *lv && (*lv)->type == RType::List) {
    o.elements.push_back(*lv);
    names.push_back("xlevels");
  }
  if (const RObject* ct = root.get("contrasts"))
    if (const RPtr* c = ct->get_ptr(part); c && *c) {
      o.elements.push_back(*c);
      names.push_back("contrasts");
    }
  o.attributes.emplace_back("names", make_strings(names));
  return o;
}

// sum coef[name] * column + coef["(Intercept)"], the columns matched by name.
ir::Expr linear_predictor(const Member& coef, const Design& d) {
  const std::vector<double> b = coef.numbers();
  const std::vector<std::string> names = coef->names();
  if (names.size() != b.size()) coef.fail("expected named coefficients");
  const size_t want = d.columns.size() + (d.intercept ? 1 : 0);
  if (b.size() != want) coef.fail(fmt::format("{} coefficients for {} model-matrix columns", b.size(), want));
  std::optional<ir::Expr> sum;
  for (size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i])) coef.fail(fmt::format("coefficient '{}' is not finite (aliased?)", names[i]));
    ir::Expr term;
    if (names[i] == "(Intercept)") {
      if (!d.intercept) coef.fail("an intercept the formula does not have");
      term = ir::Expr::constant(b[i]);
    } else {
      const DesignColumn* col = nullptr;
      for (auto& c : d.columns)
        if (c.name == names[i]) col = &c;
      if (!col) coef.fail(fmt::format("coefficient '{}' matches no model-matrix column of $terms", names[i]));
      term = ir::Expr::binary(ir::Op::Mul, ir::Expr::constant(b[i]), col->expr);
    }
    sum = sum ? ir::Expr::binary(ir::Op::Add, std::move(*sum), std::move(term)) : std::move(term);
  }
  return *sum;
}

// Input indices of `e` (Input, LevelIs, LevelMap) through `to`.
void remap_inputs(ir::Expr& e, const std::vector<int32_t>& to) {
  if (e.op == ir::Op::Input || e.op == ir::Op::LevelIs || e.op == ir::Op::LevelMap)
    e.index = to.at(static_cast<size_t>(e.index));
  for (auto& a : e.args) remap_inputs(a, to);
}

}  // namespace

namespace {

ir::Model import_count_mixture(const RObject& root, const std::string& file, bool zeroinfl) {
  const Member obj(root, file);
  const Member dist = obj["dist"];
  const std::string count_dist = zeroinfl ? dist.string() : dist["count"].string();
  // zeroinfl's mean (1 - phi) * mu does not depend on the count distribution (poisson, negbin,
  // geometric); hurdle's does, through the probability of a zero count.
  if (!zeroinfl && count_dist != "poisson" && count_dist != "negbin" && count_dist != "geometric")
    throw Unsupported(file, zeroinfl ? "$dist" : "$dist$count",
                      fmt::format("unsupported: {} count distribution '{}' (poisson, negbin, geometric)",
                                  zeroinfl ? "zeroinfl" : "hurdle", count_dist));
  if (!zeroinfl) {
    const std::string zero_dist = dist["zero"].string();
    if (zero_dist != "binomial")
      throw Unsupported(file, "$dist$zero",
                        fmt::format("unsupported: hurdle zero distribution '{}' (binomial only)", zero_dist));
  }
  const std::string link = obj["link"].string();
  if (link != "logit" && link != "probit" && link != "cloglog" && link != "log")
    throw Unsupported(file, "$link",
                      fmt::format("unsupported: zero part link '{}' (logit, probit, cloglog, log)", link));
  if (const auto off = obj.get("offset"))
    for (size_t i = 0; i < off->size(); ++i)
      if (!off->at(i)->is_null())
        for (double v : off->at(i).numbers())
          if (v != 0) throw Unsupported(file, off->at(i).path(), "unsupported: offsets in the count or zero part");

  const RObject count_obj = part_object(root, "count", file);
  const RObject zero_obj = part_object(root, "zero", file);
  Design d = build_design(count_obj, file);
  Design dz = build_design(zero_obj, file);
  if (d.offset || dz.offset) throw Unsupported(file, "$terms", "unsupported: offset terms in the formula");
  // The zero part's own design (y ~ x | z): its inputs join the count part's, found by name (the
  // same variable is the same field: both parts read $levels) or appended.
  if (!dz.derived.empty())
    throw Unsupported(file, "$terms$zero",
                      "unsupported: a zero part with derived terms (poly(), ns(), ...) of its own");
  std::vector<int32_t> to(dz.inputs.size(), -1);
  for (size_t i = 0; i < dz.inputs.size(); ++i) {
    for (size_t j = 0; j < d.inputs.size(); ++j)
      if (d.inputs[j].name == dz.inputs[i].name) to[i] = static_cast<int32_t>(j);
    if (to[i] < 0) {
      to[i] = static_cast<int32_t>(d.inputs.size());
      d.inputs.push_back(dz.inputs[i]);
    } else if (d.inputs[static_cast<size_t>(to[i])].kind != dz.inputs[i].kind ||
               d.inputs[static_cast<size_t>(to[i])].levels != dz.inputs[i].levels) {
      throw Error(file, "$terms$zero",
                  fmt::format("variable '{}' is read differently by the count and the zero part", dz.inputs[i].name));
    }
  }
  for (auto& c : dz.columns) remap_inputs(c.expr, to);
  for (auto& w : dz.warnings) d.warnings.push_back(std::move(w));

  const Member coef = obj["coefficients"];
  const ir::Expr eta_count = linear_predictor(coef["count"], d);
  const ir::Expr eta_zero = linear_predictor(coef["zero"], dz);
  const ir::Expr mu = ir::Expr::unary(ir::Op::Exp, eta_count);
  // phi = make.link(link)$linkinv(eta), with its clamps: probit at +-qnorm(eps) (8.125890664701906),
  // cloglog to [eps, 1 - eps], log at least eps.
  constexpr double kEps = 2.220446049250313e-16;
  auto clamp = [](ir::Expr e, double lo, double hi) {
    return ir::Expr::binary(ir::Op::Min, ir::Expr::binary(ir::Op::Max, std::move(e), ir::Expr::constant(lo)),
                            ir::Expr::constant(hi));
  };
  ir::Expr phi;
  if (link == "logit") {
    phi = ir::Expr::unary(ir::Op::Logistic, eta_zero);
  } else if (link == "probit") {
    constexpr double kThresh = 8.125890664701906;  // -qnorm(.Machine$double.eps)
    phi = ir::Expr::binary(
        ir::Op::Mul, ir::Expr::constant(0.5),
        ir::Expr::binary(ir::Op::Add, ir::Expr::constant(1.0),
                         ir::Expr::unary(ir::Op::Erf, ir::Expr::binary(ir::Op::Mul, clamp(eta_zero, -kThresh, kThresh),
                                                                       ir::Expr::constant(M_SQRT1_2)))));
  } else if (link == "cloglog") {
    phi = clamp(ir::Expr::binary(
                    ir::Op::Sub, ir::Expr::constant(1.0),
                    ir::Expr::unary(ir::Op::Exp, ir::Expr::unary(ir::Op::Neg, ir::Expr::unary(ir::Op::Exp, eta_zero)))),
                kEps, 1 - kEps);
  } else {
    phi = ir::Expr::binary(ir::Op::Max, ir::Expr::unary(ir::Op::Exp, eta_zero), ir::Expr::constant(kEps));
  }
  ir::Expr response;
  if (zeroinfl) {
    // (1 - phi) * mu, phi the probability of a structural zero.
    response = ir::Expr::binary(ir::Op::Mul, ir::Expr::binary(ir::Op::Sub, ir::Expr::constant(1.0), phi), mu);
  } else {
    // exp(log(phi) - log(P(count > 0))) * mu, phi the probability of crossing the hurdle;
    // P(count = 0) is exp(-mu) (poisson) or (theta / (theta + mu))^theta = exp(-theta log(1 +
    // mu / theta)) (negbin with $theta["count"], geometric: theta 1), as pnbinom(0, size = theta).
    ir::Expr log_zero = ir::Expr::unary(ir::Op::Neg, mu);
    if (count_dist != "poisson") {
      double theta = 1.0;
      if (count_dist == "negbin") {
        const Member th = obj["theta"];
        const std::vector<double> v = th.numbers();
        const std::vector<std::string> n = th->names();
        bool found = false;
        for (size_t i = 0; i < v.size() && i < n.size(); ++i)
          if (n[i] == "count") theta = v[i], found = true;
        if (!found && v.size() == 1) theta = v[0], found = true;
        if (!found || !(theta > 0) || !std::isfinite(theta)) th.fail("expected the count part's theta");
      }
      log_zero = ir::Expr::binary(
          ir::Op::Mul, ir::Expr::constant(-theta),
          ir::Expr::unary(ir::Op::Log, ir::Expr::binary(ir::Op::Add, ir::Expr::constant(1.0),
                                                        ir::Expr::binary(ir::Op::Div, mu, ir::Expr::constant(theta)))));
    }
    const ir::Expr positive =
        ir::Expr::binary(ir::Op::Sub, ir::Expr::constant(1.0), ir::Expr::unary(ir::Op::Exp, log_zero));
    response =
        ir::Expr::binary(ir::Op::Mul,
                         ir::Expr::unary(ir::Op::Exp, ir::Expr::binary(ir::Op::Sub, ir::Expr::unary(ir::Op::Log, phi),
                                                                       ir::Expr::unary(ir::Op::Log, positive))),
                         mu);
  }

  ir::Model m;
  m.features.push_back({zeroinfl ? "zeroinfl_mean" : "hurdle_mean", response});
  adopt_design(m, d);
  ir::Linear lin;
  lin.intercepts = {0.0};
  lin.coefficients = {1.0};
  m.estimator = std::move(lin);
  m.provenance.source_class = zeroinfl ? "zeroinfl" : "hurdle";
  m.provenance.family =
      fmt::format("{} {} count, binomial ({}) zero; {} + {} model-matrix columns",
                  zeroinfl ? "zero-inflated" : "hurdle", count_dist, link, d.columns.size(), dz.columns.size());
  ir::validate(m, file);
  return m;
}

}  // namespace

ir::Model import_hurdle(const RObject& root, const std::string& file) {
  return import_count_mixture(root, file, false);
}
ir::Model import_zeroinfl(const RObject& root, const std::string& file) {
  return import_count_mixture(root, file, true);
}

}  // namespace mb::r
