// earth::earth objects (multivariate adaptive regression splines): the earth model matrix
// (`$dirs`, `$cuts` over the columns of the formula's model matrix without intercept, or of x
// for earth(x, y)), the selected terms and their coefficients; with `glm = list(family = ...)`,
// the GLM fitted on those terms.
//
// earth's get.bx: term t is the product over predictor columns j of x_j (dirs = 2) or
// h = d (x_j - cut) * (d (x_j - cut) > 0) (dirs d = 1 or -1), in column order starting from 1
// (here: if (h > 0) h else 0, the same value);
// predict() is bx %*% coefficients, and for a GLM the family's inverse link of
// bx %*% glm.coefficients.  In the IR: one feature per selected term but the intercept, written
// as the same products, and a Linear model.
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

ir::Model import_earth(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  ir::Model m;
  const Member dirs_m = obj["dirs"], cuts_m = obj["cuts"];
  const Matrix dirs = dirs_m.matrix(), cuts = cuts_m.matrix();
  if (dirs.rows != cuts.rows || dirs.cols != cuts.cols)
    cuts_m.fail(fmt::format("a {} x {} matrix, but $dirs is {} x {}", cuts.rows, cuts.cols, dirs.rows, dirs.cols));
  if (dirs.colnames.size() != dirs.cols || dirs.rownames.size() != dirs.rows)
    dirs_m.fail("expected row names (the terms) and column names (the predictors)");
  const size_t p = dirs.cols;

  // The predictor columns: model-matrix columns of the formula, or the columns of x.
  std::vector<ir::Expr> x(p);
  std::optional<Design> design;
  if (obj.has("terms")) {
    design = build_design(root, file);
    for (size_t j = 0; j < p; ++j) {
      bool found = false;
      for (const auto& c : design->columns)
        if (c.name == dirs.colnames[j]) {
          x[j] = c.expr;
          found = true;
        }
      if (!found)
        throw Error(
            file, "$dirs@dimnames",
            fmt::format("predictor column '{}' matches no model-matrix column built from $terms", dirs.colnames[j]));
    }
    if (design->offset) throw Error(file, "$terms@offset", "offsets in earth formulas are not supported");
  } else {
    for (size_t j = 0; j < p; ++j) {
      ir::InputField in;
      in.name = dirs.colnames[j];
      if (m.schema.find_input(in.name) >= 0)
        throw Error(file, "$dirs@dimnames", fmt::format("predictor '{}' appears twice", in.name));
      m.schema.inputs.push_back(in);
      x[j] = ir::Expr::input(static_cast<int32_t>(j));
    }
  }

  const Member sel_m = obj["selected.terms"];
  const std::vector<double> sel = sel_m.numbers();
  if (sel.empty() || sel[0] != 1) sel_m.fail("expected the intercept (term 1) first among the selected terms");

  // The GLM on the earth terms, or the plain least-squares fit.
  std::optional<Member> glm;
  if (auto gl = obj.get("glm.list"); gl && gl->size() > 0) glm = gl->at(0);
  const Member coef_m = glm ? obj["glm.coefficients"] : obj["coefficients"];
  const Matrix coef = coef_m.matrix();
  if (coef.cols != 1)
    coef_m.fail(fmt::format("earth models with {} responses are not supported (one response only)", coef.cols));
  if (coef.rows != sel.size()) coef_m.fail(fmt::format("{} coefficients for {} selected terms", coef.rows, sel.size()));

  ir::Linear lin;
  lin.intercepts = {coef.at(0, 0)};
  for (size_t s = 1; s < sel.size(); ++s) {
    const double t1 = sel[s];
    if (!(t1 >= 1 && t1 <= static_cast<double>(dirs.rows)) || t1 != std::floor(t1))
      sel_m.fail(fmt::format("selected term {} is not a row of $dirs", t1));
    const size_t t = static_cast<size_t>(t1) - 1;
    std::optional<ir::Expr> term;
    for (size_t j = 0; j < p; ++j) {
      const double d = dirs.at(t, j);
      if (d == 0) continue;
      if (d == 2) {
        term = term ? ir::Expr::binary(ir::Op::Mul, std::move(*term), x[j]) : x[j];
        continue;
      }
      if (d != 1 && d != -1) dirs_m.fail(fmt::format("illegal direction {} in term '{}'", d, dirs.rownames[t]));
      // temp2 = dir * (x - cut); temp1 = temp1 * temp2 * (temp2 > 0)
      // dir * (x - cut), dir = +-1: exactly x - cut or its negation.
      ir::Expr diff = ir::Expr::binary(ir::Op::Sub, x[j], ir::Expr::constant(cuts.at(t, j)));
      ir::Expr h = d == 1 ? std::move(diff) : ir::Expr::unary(ir::Op::Neg, std::move(diff));
      // temp2 * (temp2 > 0) is temp2 or a zero (NA stays NA): if (h > 0) h else 0.
      ir::Expr hinge = ir::Expr::call(
          ir::Op::IfElse, {ir::Expr::binary(ir::Op::Gt, h, ir::Expr::constant(0.0)), h, ir::Expr::constant(0.0)});
      term = term ? ir::Expr::binary(ir::Op::Mul, std::move(*term), std::move(hinge)) : std::move(hinge);
    }
    if (!term) dirs_m.fail(fmt::format("term '{}' uses no predictor", dirs.rownames[t]));
    m.features.push_back({dirs.rownames[t], std::move(*term)});
    lin.coefficients.push_back(coef.at(s, 0));
  }
  if (m.features.empty())
    throw Error(file, "$selected.terms",
                "an earth model with the intercept only cannot be written as a model of its inputs");

  std::string family = "earth gaussian/identity (least squares)";
  bool binomial = false;
  if (glm) {
    const Member fam = (*glm)["family"];
    const std::string name = fam["family"].string(), link = fam["link"].string();
    static const std::pair<const char*, ir::Link> kLinks[] = {
        {"identity", ir::Link::Identity}, {"logit", ir::Link::Logit},          {"probit", ir::Link::Probit},
        {"cloglog", ir::Link::Cloglog},   {"cauchit", ir::Link::Cauchit},      {"log", ir::Link::Log},
        {"inverse", ir::Link::Inverse},   {"1/mu^2", ir::Link::InverseSquare}, {"sqrt", ir::Link::Sqrt}};
    bool known = false;
    for (auto& [n, l] : kLinks)
      if (link == n) {
        lin.link = l;
        known = true;
      }
    if (!known) fam["link"].unsupported(fmt::format("unsupported link function '{}'", link));
    binomial = name == "binomial" || name == "quasibinomial";
    family = fmt::format("earth glm {}/{}", name, link);
  }

  if (design) adopt_design(m, *design);
  else if (auto names = obj.get("namesx"); !names) m.schema.target.name = "y";
  if (binomial) {
    // earth codes a binomial response as the indicator of its second level (or 0/1 itself).
    std::vector<std::string> classes = {"0", "1"};
    if (auto lev = obj.get("levels"); lev && lev->obj().length() == 2) {
      if (lev->obj().type == RType::Character || lev->obj().attr("levels")) {
        classes = lev->strings();
      } else if (lev->obj().type == RType::Logical) {  // a logical response: predict(type = "class") says FALSE/TRUE
        classes = {"FALSE", "TRUE"};
      } else {  // a numeric response: its two values, as R prints them
        const auto v = lev->numbers();
        classes = {fmt::format("{}", v[0]), fmt::format("{}", v[1])};
      }
    }
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = classes;
    lin.transform = ir::ScoreTransform::Binary;
  }
  m.estimator = std::move(lin);
  m.provenance.source_class = "earth";
  m.provenance.family = family;
  m.provenance.preprocessing.push_back(
      fmt::format("{} hinge-function terms over {} predictor columns", m.features.size(), p));
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
