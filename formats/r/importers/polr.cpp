// MASS::polr objects (proportional-odds and other cumulative-link ordinal regressions): the
// design from the formula without its intercept, `$coefficients` (beta) matched to its columns
// by name, the cut-points `$zeta` and the link `$method`.
//
// predict.polr: eta = X beta; P(Y <= lev[k]) = F(zeta[k] - eta) for k < K with F plogis
// (logistic), pnorm (probit), pgumbel = exp(-exp(-q)) (loglog), pGumbel = 1 - exp(-exp(q))
// (cloglog) or pcauchy (cauchit); the probabilities are diff(c(0, P, 1)) and the class the
// largest of them.  In the IR: a Linear model with K-1 targets (intercepts zeta, coefficients
// -beta on every row), the link's inverse, then the Cumulative transform.
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

ir::Model import_polr(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  ir::Model m;
  Design d = build_design(root, file);

  const std::string method = obj["method"].string();
  static const std::pair<const char*, ir::Link> kMethods[] = {{"logistic", ir::Link::Logit},
                                                              {"probit", ir::Link::Probit},
                                                              {"loglog", ir::Link::Loglog},
                                                              {"cloglog", ir::Link::Cloglog},
                                                              {"cauchit", ir::Link::Cauchit}};
  std::optional<ir::Link> link;
  for (auto& [name, l] : kMethods)
    if (method == name) link = l;
  if (!link)
    obj["method"].fail(
        fmt::format("unknown polr method '{}' (expected logistic, probit, loglog, cloglog or cauchit)", method));

  const std::vector<std::string> lev = obj["lev"].strings();
  const Member zeta_m = obj["zeta"];
  const std::vector<double> zeta = zeta_m.numbers();
  if (lev.size() < 2) obj["lev"].fail(fmt::format("expected at least two response levels, found {}", lev.size()));
  if (zeta.size() != lev.size() - 1)
    zeta_m.fail(fmt::format("expected {} cut-points for {} levels, found {}", lev.size() - 1, lev.size(), zeta.size()));
  for (size_t k = 0; k < zeta.size(); ++k)
    if (!std::isfinite(zeta[k])) zeta_m.fail(fmt::format("cut-point {} is not a finite number", k + 1));

  // Coefficients by model-matrix column name; the intercept column is dropped as predict.polr
  // drops it.
  std::map<std::string, double> beta;
  if (auto coef = obj.get("coefficients"); coef && coef->obj().length() > 0) {
    const std::vector<double> values = coef->numbers();
    const std::vector<std::string> names = coef->attr("names").strings();
    if (names.size() != values.size()) coef->fail("expected one name per coefficient");
    for (size_t i = 0; i < names.size(); ++i) {
      if (std::isnan(values[i])) coef->fail(fmt::format("coefficient '{}' is NA", names[i]));
      if (!beta.emplace(names[i], values[i]).second)
        coef->fail(fmt::format("coefficient name '{}' appears twice", names[i]));
    }
  }
  std::vector<double> b;
  for (auto& col : d.columns) {
    auto it = beta.find(col.name);
    if (it == beta.end())
      throw Error(file, "$coefficients",
                  fmt::format("no coefficient for the model-matrix column '{}' built from $terms (predict.polr "
                              "would fail: the design is rank-deficient)",
                              col.name));
    b.push_back(it->second);
    beta.erase(it);
    m.features.push_back({col.name, std::move(col.expr)});
  }
  if (!beta.empty())
    throw Error(file, "$coefficients",
                fmt::format("coefficient '{}' matches no model-matrix column built from $terms", beta.begin()->first));

  const size_t F = m.features.size(), T = zeta.size();
  ir::Linear lin;
  lin.n_targets = static_cast<int32_t>(T);
  lin.intercepts = zeta;
  lin.coefficients.resize(T * F);
  for (size_t t = 0; t < T; ++t)
    for (size_t f = 0; f < F; ++f) lin.coefficients[t * F + f] = -b[f];
  lin.link = *link;
  lin.transform = ir::ScoreTransform::Cumulative;

  const bool offset = d.offset.has_value();
  adopt_design(m, d);
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = lev;
  m.estimator = std::move(lin);
  m.provenance.source_class = "polr";
  m.provenance.family = fmt::format("ordinal regression ({} cumulative link, {} levels)", method, lev.size());
  if (offset)
    warn(m, "polr-offset-ignored",
         "the formula has an offset, which MASS's predict.polr ignores; it is ignored here too, as R predicts");
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
