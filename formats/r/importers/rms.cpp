// rms fits (Frank Harrell's regression modeling strategies): `ols` (least squares), `lrm`
// (binary and ordinal logistic) and `orm` (ordinal, every cumulative link).
//
// rms keeps its own design in `$Design` instead of `$xlevels`/`$contrasts`: per term a name,
// an `assume` (how the variable enters: "asis", "category", "rcs", "pol", "lsp", "strat", ...)
// and for a category its levels in `$parms`; `$Design$mmcolnames` are the model-matrix columns
// (model.matrix names), `$coefficients` the intercepts (`$non.slopes` of them) followed by one
// slope per model-matrix column, named rms's way ("origin=2").  Only "asis" and "category" terms
// without interactions are read (categories by treatment contrasts, as rms codes them); the
// others (splines rcs, polynomials pol, linear splines lsp, strata, matrices) are refused with
// their place.  The model matrix is built from `$terms` as for lm, checked column by column
// against `$Design$mmcolnames`.
//
// predict(type = "lp") is alpha + X beta; with K response levels (`$yunique`), lrm and orm give
// P(Y >= y[j+1]) = F(alpha[j] + X beta) for j = 1..K-1 (F the logistic for lrm, orm's `$family`
// otherwise).  In the IR: ols a Linear regression; two levels a binary classifier
// P(y[2]) = F(alpha + X beta); more levels the Cumulative transform, whose rows give
// P(Y <= y[j]) = 1 - F(alpha[j] + X beta) = G(-alpha[j] - X beta), G = F for the symmetric
// logistic, probit and cauchit links, and loglog and cloglog trading places.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

RPtr character(const std::vector<std::string>& values, const std::vector<std::string>& names = {}) {
  auto v = std::make_shared<RObject>();
  v->type = RType::Character;
  for (auto& s : values) v->strings.emplace_back(s);
  if (!names.empty()) v->attributes.emplace_back("names", character(names));
  return v;
}

ir::Link orm_link(const Member& family) {
  const std::string f = family.string();
  static const std::pair<const char*, ir::Link> kFamilies[] = {{"logistic", ir::Link::Logit},
                                                               {"probit", ir::Link::Probit},
                                                               {"loglog", ir::Link::Loglog},
                                                               {"cloglog", ir::Link::Cloglog},
                                                               {"cauchit", ir::Link::Cauchit}};
  for (auto& [name, l] : kFamilies)
    if (f == name) return l;
  family.unsupported(
      fmt::format("unsupported orm family '{}' (expected logistic, probit, loglog, cloglog or cauchit)", f));
}

}  // namespace

ir::Model import_rms(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const std::string cls = root.inherits("ols") ? "ols" : root.inherits("orm") ? "orm" : "lrm";
  const Member design = obj["Design"];
  const Member terms = obj["terms"];

  // The terms: one variable each, described by $Design in term order.
  const std::vector<std::string> term_labels = terms.attr("term.labels").strings();
  const std::vector<std::string> names = design["name"].strings();
  const std::vector<std::string> assume = design["assume"].strings();
  if (names.size() != term_labels.size() || assume.size() != names.size())
    design.fail(fmt::format("expected one name and one assume per term of $terms ({} terms, {} names, {} assume)",
                            term_labels.size(), names.size(), assume.size()));
  if (const auto inter = design.get("interactions"); inter && inter->obj().length() > 0)
    inter->unsupported("unsupported: rms interaction terms");
  std::vector<std::string> mmcolnames = design["mmcolnames"].strings();

  // A model object build_design reads: $terms with dataClasses, $xlevels from $Design$parms.
  std::vector<std::string> dc_names, dc_values, xl_names;
  auto xlevels = std::make_shared<RObject>();
  xlevels->type = RType::List;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string place = fmt::format("$Design$assume[{}]", i + 1);
    if (assume[i] == "category") {
      const Member levels = design["parms"][names[i]];
      dc_names.push_back(term_labels[i]);
      dc_values.push_back("factor");
      xl_names.push_back(term_labels[i]);
      xlevels->elements.push_back(character(levels.strings()));
    } else if (assume[i] == "asis") {
      // A logical variable enters as-is; model.matrix names its column VARTRUE.
      const bool logical =
          std::find(mmcolnames.begin(), mmcolnames.end(), term_labels[i] + "TRUE") != mmcolnames.end() &&
          std::find(mmcolnames.begin(), mmcolnames.end(), term_labels[i]) == mmcolnames.end();
      dc_names.push_back(term_labels[i]);
      dc_values.push_back(logical ? "logical" : "numeric");
    } else {
      throw Unsupported(file, place,
                        fmt::format("unsupported rms term '{}' of kind '{}' (only as-is variables and categories "
                                    "are read; splines rcs, pol, lsp, strata and matrices are not)",
                                    names[i], assume[i]));
    }
  }
  xlevels->attributes.emplace_back("names", character(xl_names));
  auto terms_copy = std::make_shared<RObject>(terms.obj());
  terms_copy->attributes.emplace_back("dataClasses", character(dc_values, dc_names));
  RObject model;
  model.type = RType::List;
  model.elements = {terms_copy, xlevels};
  model.attributes.emplace_back("names", character({"terms", "xlevels"}));

  ir::Model m;
  Design d = build_design(model, file);
  if (d.offset) throw Unsupported(file, "$terms@offset", "unsupported: offset terms in an rms formula");
  if (!d.intercept) throw Unsupported(file, "$terms@intercept", "unsupported: an rms fit without intercept");
  if (d.columns.size() != mmcolnames.size())
    design["mmcolnames"].fail(
        fmt::format("$terms builds {} model-matrix columns, $Design lists {}", d.columns.size(), mmcolnames.size()));
  for (size_t i = 0; i < d.columns.size(); ++i)
    if (d.columns[i].name != mmcolnames[i])
      throw Error(
          file, fmt::format("$Design$mmcolnames[{}]", i + 1),
          fmt::format("$terms builds the column '{}' where $Design lists '{}'", d.columns[i].name, mmcolnames[i]));

  // Coefficients: the intercepts, then one slope per column.
  const Member coef = obj["coefficients"];
  const std::vector<double> b = coef.numbers();
  const auto ns = static_cast<size_t>(obj["non.slopes"].whole(1, 1 << 20));
  if (b.size() != ns + d.columns.size())
    coef.fail(
        fmt::format("expected {} intercepts and {} slopes, found {} coefficients", ns, d.columns.size(), b.size()));
  for (size_t i = 0; i < b.size(); ++i)
    if (!std::isfinite(b[i])) throw Error(file, fmt::format("$coefficients[{}]", i + 1), "not a finite number");
  for (auto& col : d.columns) m.features.push_back({col.name, std::move(col.expr)});
  const size_t F = m.features.size();

  ir::Linear lin;
  std::string family;
  std::vector<std::string> levels;
  if (cls == "ols") {
    if (ns != 1) obj["non.slopes"].fail("expected one intercept for ols");
    lin.intercepts = {b[0]};
    lin.coefficients.assign(b.begin() + 1, b.end());
    family = "ols: gaussian least squares";
  } else {
    // The response levels: `$yunique` (orm, older lrm), else the names of the counts `$freq`.
    // (a table: its names are its dimnames).
    const Member freq = obj["freq"];
    const Member lv = obj.has("yunique")        ? obj["yunique"]
                      : freq.find_attr("names") ? freq.attr("names")
                                                : freq.attr("dimnames").at(0);
    levels = lv.strings();
    if (levels.size() != ns + 1) lv.fail(fmt::format("{} response levels for {} intercepts", levels.size(), ns));
    const ir::Link link = cls == "orm" ? orm_link(obj["family"]) : ir::Link::Logit;
    family = fmt::format("{}: {} levels, {} link", cls, levels.size(),
                         cls == "orm" ? obj["family"].string() : std::string("logistic"));
    if (ns == 1) {
      lin.intercepts = {b[0]};
      lin.coefficients.assign(b.begin() + 1, b.end());
      lin.link = link;
      lin.transform = ir::ScoreTransform::Binary;
    } else {
      // P(Y <= y[j]) = 1 - F(alpha[j] + X beta) = G(-(alpha[j] + X beta)).
      lin.link = link == ir::Link::Loglog ? ir::Link::Cloglog : link == ir::Link::Cloglog ? ir::Link::Loglog : link;
      lin.n_targets = static_cast<int32_t>(ns);
      for (size_t t = 0; t < ns; ++t) lin.intercepts.push_back(-b[t]);
      lin.coefficients.resize(ns * F);
      for (size_t t = 0; t < ns; ++t)
        for (size_t f = 0; f < F; ++f) lin.coefficients[t * F + f] = -b[ns + f];
      lin.transform = ir::ScoreTransform::Cumulative;
    }
  }

  adopt_design(m, d);
  if (!levels.empty()) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = levels;
  }
  m.estimator = std::move(lin);
  m.provenance.source_class = cls;
  m.provenance.family = family;
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
