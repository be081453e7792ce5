// e1071::naiveBayes objects (docs/r-objects.md, "naiveBayes").
//
// `$apriori`: class counts (a 1-d table named by class), `$tables[[var]]`: a numeric predictor's
// K x 2 matrix of class means and standard deviations, or a categorical predictor's K x L matrix
// of P(level | class) with the levels as column names; `$isnumeric` says which.  predict() (with
// its defaults threshold = 0.001, eps = 0) sums log(apriori) and the logs of the densities or
// table entries of the non-missing predictors, replacing any value <= eps (and any sd <= eps)
// by the threshold (another threshold is the hint --nb-threshold).  The object has no terms: inputs
// are matched by the table names.
#include <fmt/format.h>

#include <cmath>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

ir::Model import_naive_bayes(const RObject& root, const std::string& file) {
  return import_naive_bayes(root, file, 0.001);
}

ir::Model import_naive_bayes(const RObject& root, const std::string& file, double threshold) {
  const Member obj(root, file);
  ir::Model m;
  const RObject* apriori = root.get("apriori");
  if (!apriori || !apriori->is_numeric()) throw Error(file, "$apriori", "expected the class counts");
  const std::vector<double> counts = apriori->numbers();
  const std::vector<std::string> classes = obj["levels"].strings();
  const size_t K = classes.size();
  if (K < 2 || counts.size() != K)
    throw Error(file, "$apriori", fmt::format("{} class counts for {} classes", counts.size(), K));
  const RObject* tables = root.get("tables");
  if (!tables || tables->type != RType::List) throw Error(file, "$tables", "expected the per-predictor tables");
  const std::vector<std::string> names = tables->names();
  if (names.size() != tables->elements.size() || tables->elements.empty())
    throw Error(file, "$tables", "expected a named list with one table per predictor");
  const RObject* isnumeric = root.get("isnumeric");

  ir::NaiveBayes nb;
  for (double c : counts) nb.log_prior.push_back(std::log(c));
  const size_t F = names.size();
  nb.mean.assign(K * F, 0.0);
  nb.sd.assign(K * F, 0.0);
  if (!(threshold >= 0) || !std::isfinite(threshold))
    throw Error(file, "", fmt::format("--nb-threshold {}: expected a finite number >= 0", threshold));
  nb.eps = 0.0;  // predict.naiveBayes(eps = 0, threshold)
  nb.min_probability = threshold;
  nb.min_sd = threshold;
  for (size_t f = 0; f < F; ++f) {
    const std::string path = "$tables$" + names[f];
    const RObject* t = tables->elements[f].get();
    if (!t) throw Error(file, path, "missing table");
    const Matrix tab = Member(*t, file, path).matrix();
    if (tab.rows != K) throw Error(file, path, fmt::format("{} rows for {} classes", tab.rows, K));
    if (!tab.rownames.empty() && tab.rownames != classes)
      throw Error(file, path, "the table's rows are not the classes in $levels order");
    bool numeric = false;
    if (isnumeric && isnumeric->is_numeric() && isnumeric->length() == F) numeric = isnumeric->number(f) != 0;
    else numeric = tab.cols == 2 && tab.colnames.empty();
    ir::InputField in;
    in.name = names[f];
    if (numeric) {
      if (tab.cols != 2) throw Error(file, path, "expected a K x 2 matrix of means and standard deviations");
      for (size_t k = 0; k < K; ++k) {
        nb.mean[k * F + f] = tab.at(k, 0);
        nb.sd[k * F + f] = tab.at(k, 1);
      }
      nb.gaussian.push_back(1);
      nb.table_offset.push_back(static_cast<int32_t>(nb.table.size()));
      nb.table_levels.push_back(0);
    } else {
      if (tab.colnames.size() != tab.cols || tab.cols == 0)
        throw Error(file, path + "@dimnames", "expected the predictor's levels as column names");
      in.kind = ir::FieldKind::Categorical;
      in.levels = tab.colnames;
      nb.gaussian.push_back(0);
      nb.table_offset.push_back(static_cast<int32_t>(nb.table.size()));
      nb.table_levels.push_back(static_cast<int32_t>(tab.cols));
      for (size_t k = 0; k < K; ++k)
        for (size_t l = 0; l < tab.cols; ++l) nb.table.push_back(tab.at(k, l));
      m.provenance.preprocessing.push_back(
          fmt::format("factor {}: conditional probability table ({} levels)", names[f], tab.cols));
    }
    m.schema.inputs.push_back(std::move(in));
    m.features.push_back({names[f], ir::Expr::input(static_cast<int32_t>(f))});
  }
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = classes;
  if (const RObject* call = root.get("call"); call && call->type == RType::Language) {
    if (const RObject* formula = call_arg(*call, "formula", 0); formula && formula->type == RType::Language &&
                                                                formula->elements.size() == 3 &&
                                                                formula->elements[1]->type == RType::Symbol)
      m.schema.target.name = formula->elements[1]->text;
  }
  {
    std::vector<std::string> none;  // "variable (class)" with an NA standard deviation
    for (size_t f = 0; f < F; ++f)
      for (size_t k = 0; k < K; ++k)
        if (nb.gaussian[f] && (std::isnan(nb.sd[k * F + f]) || std::isnan(nb.mean[k * F + f])))
          none.push_back(fmt::format("{} ({})", names[f], classes[k]));
    if (!none.empty()) {
      std::string list;
      for (const auto& n : none) list += (list.empty() ? "" : ", ") + n;
      warn(m, "naivebayes-sd-na",
           fmt::format("no standard deviation for {} (a class with one training row): as R's predict(), a row "
                       "with such a predictor present gets NA probabilities and the class of the largest "
                       "other score, never that class",
                       list));
    }
  }
  m.estimator = std::move(nb);
  m.provenance.source_class = "naiveBayes";
  m.provenance.family = fmt::format("naive Bayes ({} classes, {} predictors)", K, F);
  if (threshold != 0.001)
    m.provenance.preprocessing.push_back(
        fmt::format("predict(threshold = {}): replaces probabilities and sds <= 0", threshold));
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
