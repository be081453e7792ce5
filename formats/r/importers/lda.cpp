// MASS::lda objects: linear discriminants.  The design comes from the formula (model.matrix
// without its intercept) or, for lda(x, grouping), from the column names of `$means`.
//
// predict.lda (method "plug-in", the default): with centre = colSums(prior * means),
// z = (x - centre) %*% scaling[, 1:dimen] (dimen = length(svd)) and dm = (means - centre) %*%
// scaling, the posterior of class k is proportional to exp(z . dm[k, ] - |dm[k, ]|^2 / 2 +
// log(prior[k])); the class is the largest.  In the IR: one feature per discriminant
// ("LD1", ...: the sum over columns of scaling[j, d] (x_j - centre_j), in column order as R's
// matrix product sums), a Linear model with one row per class (coefficients dm[k, ],
// intercept log(prior[k]) - |dm[k, ]|^2 / 2) and Softmax.  predict(dimen = d) (caret's lda2)
// keeps the first min(d, length(svd)) discriminants.
#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

ir::Model import_lda(const RObject& root, const std::string& file) { return import_lda(root, file, 0); }

ir::Model import_lda(const RObject& root, const std::string& file, size_t max_dimen) {
  const Member obj(root, file);
  ir::Model m;

  const Member prior_m = obj["prior"];
  const std::vector<double> prior = prior_m.numbers();
  const std::vector<std::string> classes = prior_m.attr("names").strings();
  const size_t K = prior.size();
  if (K < 2 || classes.size() != K) prior_m.fail("expected a named prior probability per class (at least two)");
  for (size_t k = 0; k < K; ++k)
    if (!(prior[k] > 0 && prior[k] <= 1)) prior_m.fail(fmt::format("prior of class '{}' is not in (0, 1]", classes[k]));

  const Member means_m = obj["means"];
  const Matrix means = means_m.matrix();
  if (means.rows != K) means_m.fail(fmt::format("expected {} rows (one per class), found {}", K, means.rows));
  if (means.colnames.size() != means.cols) means_m.fail("expected column names (the variables)");
  const size_t p = means.cols;
  const Member scaling_m = obj["scaling"];
  const Matrix scaling = scaling_m.matrix();
  if (scaling.rows != p) scaling_m.fail(fmt::format("expected {} rows (one per variable), found {}", p, scaling.rows));
  const size_t svd = obj["svd"].numbers().size();
  const size_t dimen = std::min({svd, scaling.cols, max_dimen > 0 ? max_dimen : svd});
  if (dimen == 0) obj["svd"].fail("expected at least one discriminant");

  // The variables: model-matrix columns of the formula, or the columns of x.
  std::vector<ir::Expr> x(p);
  std::optional<Design> design;
  if (obj.has("terms")) {
    design = build_design(root, file);
    if (design->columns.size() != p)
      throw Error(file, "$means",
                  fmt::format("{} columns, but $terms builds {} model-matrix columns", p, design->columns.size()));
    for (size_t j = 0; j < p; ++j) {
      if (design->columns[j].name != means.colnames[j])
        throw Error(file, "$means@dimnames",
                    fmt::format("column {} is '{}', but $terms builds '{}'", j + 1, means.colnames[j],
                                design->columns[j].name));
      x[j] = design->columns[j].expr;
    }
    if (design->offset) throw Error(file, "$terms@offset", "offsets in lda formulas are not supported");
  } else {
    for (size_t j = 0; j < p; ++j) {
      ir::InputField in;
      in.name = means.colnames[j];
      if (m.schema.find_input(in.name) >= 0)
        throw Error(file, "$means@dimnames", fmt::format("variable '{}' appears twice", in.name));
      m.schema.inputs.push_back(in);
      x[j] = ir::Expr::input(static_cast<int32_t>(j));
    }
  }

  // centre = colSums(prior * means), summed over classes in order.
  std::vector<double> centre(p, 0.0);
  for (size_t j = 0; j < p; ++j)
    for (size_t k = 0; k < K; ++k) centre[j] += prior[k] * means.at(k, j);

  for (size_t d = 0; d < dimen; ++d) {
    ir::Expr sum;
    for (size_t j = 0; j < p; ++j) {
      ir::Expr term = ir::Expr::binary(ir::Op::Mul, ir::Expr::binary(ir::Op::Sub, x[j], ir::Expr::constant(centre[j])),
                                       ir::Expr::constant(scaling.at(j, d)));
      sum = j == 0 ? std::move(term) : ir::Expr::binary(ir::Op::Add, std::move(sum), std::move(term));
    }
    const std::string name = scaling.colnames.size() == scaling.cols ? scaling.colnames[d] : fmt::format("LD{}", d + 1);
    m.features.push_back({name, std::move(sum)});
  }

  ir::Linear lin;
  lin.n_targets = static_cast<int32_t>(K);
  lin.coefficients.assign(K * dimen, 0.0);
  lin.intercepts.assign(K, 0.0);
  for (size_t k = 0; k < K; ++k) {
    double norm2 = 0.0;
    for (size_t d = 0; d < dimen; ++d) {
      double dm = 0.0;  // (means[k, ] - centre) %*% scaling[, d]
      for (size_t j = 0; j < p; ++j) dm += (means.at(k, j) - centre[j]) * scaling.at(j, d);
      lin.coefficients[k * dimen + d] = dm;
      norm2 += dm * dm;
    }
    lin.intercepts[k] = std::log(prior[k]) - 0.5 * norm2;
  }
  lin.transform = ir::ScoreTransform::Softmax;

  if (design) adopt_design(m, *design);
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = classes;
  if (!design) m.schema.target.name = "grouping";
  m.estimator = std::move(lin);
  m.provenance.source_class = "lda";
  m.provenance.family = fmt::format("lda: linear discriminant analysis ({} classes, {} discriminants)", K, dimen);
  m.provenance.preprocessing.push_back(fmt::format("{} linear discriminants of the {} centred variables", dimen, p));
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
