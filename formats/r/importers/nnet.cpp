// nnet::nnet objects fitted with a formula (docs/r-objects.md, "nnet").
//
// Units are numbered 0 = bias (value 1), 1..n_in = the inputs (model-matrix columns without the
// intercept, named by $coefnames), then the hidden units, then the n_out outputs.  Unit j sums
// wts[i] * value(conn[i]) for nconn[j] <= i < nconn[j+1] in that order; units j < $nsunits apply
// nnet's clamped logistic (0 below -15, 1 above 15), the others are linear.  $softmax: the
// outputs go through a max-subtracted softmax.  The IR keeps exactly this list (ir::Mlp conn_*),
// so skip-layer connections and any sparsity survive as they are.
#include <fmt/format.h>

#include <cmath>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

ir::Model import_nnet(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  if (!root.get("terms"))
    throw Error(file, "$terms",
                "nnet fitted without a formula (the x/y interface) stores no input names; "
                "only nnet.formula objects are supported");
  ir::Model m;
  Design d = build_design(root, file);
  if (d.offset) throw Error(file, "$terms@offset", "offsets in nnet models are not supported");

  const std::vector<double> n = obj["n"].numbers();
  const std::vector<double> nconn = obj["nconn"].numbers();
  const std::vector<double> conn = obj["conn"].numbers();
  const std::vector<double> wts = obj["wts"].numbers();
  const double nsunits_d = obj["nsunits"].number();
  if (n.size() != 3 || !(n[0] >= 0 && n[1] >= 0 && n[2] >= 1) || n[0] > 1e6 || n[1] > 1e6 || n[2] > 1e6)
    throw Error(file, "$n", "expected c(inputs, hidden units, outputs)");
  const size_t n_in = static_cast<size_t>(n[0]), n_hidden = static_cast<size_t>(n[1]),
               n_out = static_cast<size_t>(n[2]);
  const size_t nunits = 1 + n_in + n_hidden + n_out;
  if (nconn.size() != nunits + 1)
    throw Error(file, "$nconn", fmt::format("expected {} connection offsets for {} units", nunits + 1, nunits));
  if (conn.size() != wts.size() || nconn.back() != static_cast<double>(wts.size()))
    throw Error(file, "$nconn", "connection counts do not match the weights");
  if (!(nsunits_d >= 0 && nsunits_d <= static_cast<double>(nunits))) throw Error(file, "$nsunits", "out of range");
  const size_t nsunits = static_cast<size_t>(nsunits_d);

  ir::Mlp mlp;
  mlp.conn_offset.resize(nunits + 1);
  for (size_t j = 0; j <= nunits; ++j) {
    const double v = nconn[j];
    if (!(v >= 0 && v <= static_cast<double>(wts.size())) || v != std::floor(v) || (j > 0 && v < nconn[j - 1]))
      throw Error(file, fmt::format("$nconn[{}]", j), "connection offsets must be non-decreasing indices");
    if (j <= n_in + 1 && j > 0 && v != nconn[0])
      throw Error(file, fmt::format("$nconn[{}]", j), "the bias and input units take no connections");
    mlp.conn_offset[j] = static_cast<int32_t>(v);
  }
  // A unit may read the bias, the inputs and any unit before it (nnet's feed-forward order).
  mlp.conn_source.resize(conn.size());
  for (size_t j = 0; j < nunits; ++j)
    for (int32_t i = mlp.conn_offset[j]; i < mlp.conn_offset[j + 1]; ++i) {
      const double c = conn[i];
      if (!(c >= 0 && c < static_cast<double>(j)) || c != std::floor(c))
        throw Error(file, fmt::format("$conn[{}]", i),
                    fmt::format("unit {} reads unit {}, which does not come before it", j, c));
      mlp.conn_source[i] = static_cast<int32_t>(c);
    }
  mlp.conn_weights = wts;
  mlp.unit_activation.assign(nunits, ir::Activation::Identity);
  for (size_t j = 1 + n_in; j < nunits; ++j)
    mlp.unit_activation[j] = j < nsunits ? ir::Activation::LogisticClamped : ir::Activation::Identity;
  mlp.n_outputs = static_cast<int32_t>(n_out);

  // Input units -> design columns by $coefnames.
  const std::vector<std::string> coefnames = obj["coefnames"].strings();
  if (coefnames.size() != n_in)
    throw Error(file, "$coefnames", fmt::format("{} names for {} input units", coefnames.size(), n_in));
  if (d.columns.size() != n_in)
    throw Error(file, "$coefnames",
                fmt::format("{} input units for {} model-matrix columns built from $terms", n_in, d.columns.size()));
  for (size_t u = 0; u < n_in; ++u) {
    const DesignColumn* col = nullptr;
    for (auto& c : d.columns)
      if (c.name == coefnames[u]) col = &c;
    if (!col)
      throw Error(file, fmt::format("$coefnames[{}]", u),
                  fmt::format("input '{}' matches no model-matrix column built from $terms", coefnames[u]));
    m.features.push_back({col->name, col->expr});
  }

  const bool softmax = obj.flag("softmax", false);
  const bool entropy = obj.flag("entropy", false);
  if (obj.flag("censored", false))
    throw Error(file, "$censored", "censored nnet fits (softmax with censored targets) are not supported");
  std::vector<std::string> classes;
  if (const auto lev = obj.get("lev")) classes = lev->strings();
  std::string family;
  if (classes.empty()) {
    if (n_out != 1)
      throw Error(file, "$n",
                  fmt::format("a network with {} outputs and no class labels: multiple-response "
                              "regression is not supported",
                              n_out));
    mlp.transform = ir::ScoreTransform::None;
    family = nsunits < nunits ? "nnet regression (linear output)" : "nnet regression (logistic output)";
  } else {
    const size_t K = classes.size();
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = classes;
    if (softmax && n_out == K && K >= 2) {
      if (nsunits > 1 + n_in + n_hidden) throw Error(file, "$nsunits", "softmax outputs must be linear units");
      mlp.transform = ir::ScoreTransform::Softmax;
      family = fmt::format("nnet softmax ({} classes)", K);
    } else if (!softmax && K == 2 && n_out == 1 && nsunits == nunits) {
      mlp.transform = ir::ScoreTransform::Binary;  // P(lev[2]) from one logistic output
      family = entropy ? "nnet logistic output (entropy fit)" : "nnet logistic output";
    } else {
      throw Error(file, "$n",
                  fmt::format("{} outputs for {} classes (softmax {}): not a layout nnet's predict() "
                              "turns into class probabilities",
                              n_out, K, softmax));
    }
  }
  m.estimator = std::move(mlp);
  adopt_design(m, d);
  m.provenance.source_class = "nnet";
  m.provenance.family = fmt::format("{}; {} inputs, {} hidden units", family, n_in, n_hidden);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
