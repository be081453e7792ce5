// pls `mvr` objects (plsr, pcr, cppls, mvr(method = ...)): in the end a linear model.
//
// predict.mvr(newdata, ncomp = object$ncomp), as pls 2.8 computes it: the model matrix of
// `$terms` without its intercept column, divided column by column by `$scale` when the fit was
// scaled, times B = `$coefficients[, , ncomp]`, plus the intercept Ymeans - Xmeans %*% B
// (coef.mvr(intercept = TRUE)).  The prediction read here is the one with every component
// (`$ncomp`), predict()'s last slice and what jpmml-r converts; one response only.
// In the IR: a Linear regression whose features are the model-matrix columns (divided by their
// scale), the intercept computed in double in R's order.
#include <cmath>

#include <fmt/format.h>

#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

// mvr keeps no $xlevels: the levels of the factors of its model frame ($model) stand for them
// (predict.mvr takes the levels of the new data, which are those when every level occurs).
RObject with_xlevels(const RObject& root, const std::string& file) {
  RObject copy = root;
  if (root.get("xlevels")) return copy;
  const RObject* mf = root.get("model");
  if (!mf || mf->type != RType::List) return copy;
  RPtr xlevels = xlevels_from_model_frame(root, file);
  std::vector<std::string> own = root.names();
  if (own.size() != root.elements.size()) return copy;
  own.push_back("xlevels");
  copy.elements.push_back(xlevels);
  for (auto& [k, v] : copy.attributes)
    if (k == "names") v = make_strings(own);
  return copy;
}

}  // namespace

ir::Model import_mvr(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  ir::Model m;
  const RObject leveled = with_xlevels(root, file);
  Design d = build_design(leveled, file);
  if (d.offset) throw Unsupported(file, "$terms@offset", "unsupported: offset terms in a pls formula");

  const Member coef = obj["coefficients"];
  const std::vector<int32_t> dim = coef->dim();
  if (dim.size() != 3) coef.fail("expected a predictors x responses x components array");
  if (dim[0] < 1 || dim[2] < 1) coef.fail("expected at least one predictor and one component");
  if (dim[1] != 1) throw Unsupported(file, coef.path(), fmt::format("unsupported: {} responses (one is read)", dim[1]));
  const size_t P = static_cast<size_t>(dim[0]), C = static_cast<size_t>(dim[2]);
  const auto ncomp = static_cast<size_t>(obj["ncomp"].whole(1, static_cast<int64_t>(C)));
  if (ncomp != C) obj["ncomp"].fail(fmt::format("$ncomp {} but $coefficients holds {} components", ncomp, C));
  if (P != d.columns.size())
    coef.fail(fmt::format("{} predictors, but $terms builds {} model-matrix columns", P, d.columns.size()));
  const std::vector<double> all = coef.numbers();
  if (all.size() != P * C) coef.fail("the array's length does not match its dimensions");
  std::vector<double> B(all.begin() + static_cast<std::ptrdiff_t>((ncomp - 1) * P),
                        all.begin() + static_cast<std::ptrdiff_t>(ncomp * P));
  if (const RObject* dn = coef->attr("dimnames"); dn && dn->type == RType::List && !dn->elements.empty() &&
                                                  dn->elements[0] && dn->elements[0]->type == RType::Character) {
    const std::vector<std::string> rows = Member(*dn->elements[0], file, "$coefficients@dimnames[[1]]").strings();
    for (size_t i = 0; i < P && i < rows.size(); ++i)
      if (rows[i] != d.columns[i].name)
        throw Error(file, fmt::format("$coefficients@dimnames[[1]][{}]", i + 1),
                    fmt::format("predictor '{}' where $terms builds the column '{}'", rows[i], d.columns[i].name));
  }
  for (size_t i = 0; i < P; ++i)
    if (!std::isfinite(B[i])) throw Error(file, "$coefficients", fmt::format("coefficient {} is not finite", i + 1));

  const Member xm = obj["Xmeans"];
  const std::vector<double> xmeans = xm.numbers();
  if (xmeans.size() != P) xm.fail(fmt::format("expected {} means, found {}", P, xmeans.size()));
  const Member ym = obj["Ymeans"];
  const double ymean = ym.number();
  // coef.mvr: Ymeans - Xmeans %*% B, the product summed in order.
  double xb = 0.0;
  for (size_t i = 0; i < P; ++i) xb += xmeans[i] * B[i];
  const double intercept = ymean - xb;
  if (!std::isfinite(intercept)) xm.fail("the intercept Ymeans - Xmeans %*% B is not finite");

  std::vector<double> scale;
  if (const auto sc = obj.get("scale")) {
    scale = sc->numbers();
    if (scale.size() != P) sc->fail(fmt::format("expected {} scales, found {}", P, scale.size()));
    for (size_t i = 0; i < P; ++i)
      if (!(std::isfinite(scale[i]) && scale[i] != 0))
        throw Error(file, fmt::format("$scale[{}]", i + 1), "expected a finite, non-zero scale");
  }

  ir::Linear lin;
  lin.intercepts = {intercept};
  for (size_t i = 0; i < P; ++i) {
    ir::Expr e = std::move(d.columns[i].expr);
    if (!scale.empty()) e = ir::Expr::binary(ir::Op::Div, std::move(e), ir::Expr::constant(scale[i]));
    m.features.push_back({d.columns[i].name, std::move(e)});
    lin.coefficients.push_back(B[i]);
  }
  adopt_design(m, d);
  if (!scale.empty()) m.provenance.preprocessing.push_back("model-matrix columns divided by $scale");
  m.estimator = std::move(lin);
  m.provenance.source_class = "mvr";
  const std::string method = obj.has("method") ? obj["method"].string() : std::string("?");
  m.provenance.family = fmt::format("pls mvr ({}, {} components)", method, ncomp);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
