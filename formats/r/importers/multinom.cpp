// nnet::multinom objects (docs/r-objects.md): the design from the formula, the weights of a
// network without hidden units.
#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

// nnet::multinom: a network without hidden units.  Units: 0 = bias, 1..n_in = the model-matrix
// columns named by $coefnames (the "(Intercept)" column included), then the K outputs (or one
// for two classes).  Output k sums wts[i] * unit(conn[i]) over nconn[k] <= i < nconn[k+1].
// K > 2: softmax over the outputs (class 1's weights are fixed 0).  K = 2: one logistic output
// for P(lev[2]), clamped by nnet to 0 below -15 and 1 above 15.  A count-matrix response
// (no $lev; classes from $lab): softmax over its K >= 2 columns.
ir::Model import_multinom(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  ir::Model m;
  Design d = build_design(root, file);
  const std::vector<int64_t> n = obj["n"].wholes(0, 1 << 24);
  const std::vector<double> wts = obj["wts"].numbers();
  const auto n_weights = static_cast<int64_t>(wts.size());
  const std::vector<int64_t> nconn = obj["nconn"].wholes(0, n_weights);
  if (n.size() != 3 || n[1] != 0)
    throw Error(file, "$n", "expected c(inputs, 0, outputs): multinom has no hidden units");
  const auto n_in = static_cast<size_t>(n[0]), n_out = static_cast<size_t>(n[2]);
  const std::vector<int64_t> conn = obj["conn"].wholes(0, n[0]);  // only input units (and the bias, 0) feed outputs
  if (nconn.size() != n_in + n_out + 2 || nconn.back() != n_weights || conn.size() != wts.size())
    throw Error(file, "$nconn", "connection counts do not match the weights");
  const std::vector<std::string> coefnames = obj["coefnames"].strings();
  if (coefnames.size() != n_in) throw Error(file, "$coefnames", fmt::format("expected {} input names", n_in));
  // A factor response keeps its levels in $lev; a count-matrix response (cbind(a, b, ...) ~ x)
  // keeps none there but names its columns in $lab (1..ncol when the matrix had no column
  // names) and fits a softmax over all ncol outputs, two included.
  std::vector<std::string> classes;
  bool matrix_response = false;
  if (const auto lev = obj.get("lev")) {
    classes = lev->strings();
  } else if (const auto lab = obj.get("lab")) {
    matrix_response = true;
    if ((*lab)->type == RType::Character) {
      classes = lab->strings();
    } else {
      for (const int64_t v : lab->wholes(1, 1 << 24)) classes.push_back(std::to_string(v));
    }
  } else {
    obj["lev"];  // throws: neither a factor's levels nor a matrix response's column names
  }
  const size_t K = classes.size();
  if (matrix_response ? !(K >= 2 && n_out == K) : !((K == 2 && n_out == 1) || (K > 2 && n_out == K)))
    throw Error(file, "$n", fmt::format("{} outputs for {} classes", n_out, K));

  // Input unit u (1-based) -> design column, or -1 for the intercept column.
  std::vector<int> column_of(n_in + 1, -2);
  for (size_t u = 1; u <= n_in; ++u) {
    const std::string& name = coefnames[u - 1];
    if (name == "(Intercept)" && d.intercept) {
      column_of[u] = -1;
      continue;
    }
    for (size_t c = 0; c < d.columns.size(); ++c)
      if (d.columns[c].name == name) column_of[u] = static_cast<int>(c);
    if (column_of[u] == -2)
      throw Error(file, "$coefnames", fmt::format("input '{}' matches no model-matrix column built from $terms", name));
  }
  if (d.columns.size() + (d.intercept ? 1 : 0) != n_in)
    throw Error(file, "$coefnames",
                fmt::format("{} inputs for {} model-matrix columns", n_in, d.columns.size() + (d.intercept ? 1 : 0)));
  for (size_t u = 1; u <= n_in; ++u)
    if (column_of[u] >= 0) m.features.push_back({d.columns[column_of[u]].name, d.columns[column_of[u]].expr});
  if (d.offset) throw Error(file, "$terms@offset", "offsets in multinom models are not supported");

  // Weights per output: bias (with the intercept column folded in) and one per feature.
  const size_t F = m.features.size();
  std::vector<double> intercepts(n_out, 0.0), coefs(n_out * F, 0.0);
  for (size_t k = 0; k < n_out; ++k) {
    const size_t unit = n_in + 1 + k;
    for (size_t i = static_cast<size_t>(nconn[unit]); i < static_cast<size_t>(nconn[unit + 1]); ++i) {
      const auto src = static_cast<size_t>(conn[i]);  // 0 .. n_in (wholes)
      if (src == 0 || column_of[src] == -1) {
        intercepts[k] += wts[i];
        continue;
      }
      size_t f = 0;
      for (size_t u = 1; u < src; ++u) f += column_of[u] >= 0;
      coefs[k * F + f] += wts[i];
    }
  }

  adopt_design(m, d);
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = classes;
  if (n_out == 1) {
    ir::Mlp mlp;
    ir::Mlp::Layer layer;
    layer.n_units = 1;
    layer.weights = coefs;
    layer.biases = intercepts;
    layer.activation = ir::Activation::LogisticClamped;
    mlp.layers.push_back(std::move(layer));
    mlp.n_outputs = 1;
    mlp.transform = ir::ScoreTransform::Binary;
    m.estimator = std::move(mlp);
  } else {
    ir::Linear lin;
    bool first_zero = intercepts[0] == 0.0;
    for (size_t f = 0; f < F; ++f) first_zero &= coefs[f] == 0.0;
    const size_t skip = first_zero ? 1 : 0;  // class 1 is the reference with eta 0
    lin.n_targets = static_cast<int32_t>(n_out - skip);
    lin.reference_class = first_zero;
    lin.intercepts.assign(intercepts.begin() + skip, intercepts.end());
    lin.coefficients.assign(coefs.begin() + skip * F, coefs.end());
    lin.transform = ir::ScoreTransform::Softmax;
    m.estimator = std::move(lin);
  }
  m.provenance.source_class = "multinom";
  m.provenance.family = n_out == 1        ? "multinomial logit (2 classes, nnet logistic output)"
                        : matrix_response ? "multinomial logit (count-matrix response)"
                                          : "multinomial logit";
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
