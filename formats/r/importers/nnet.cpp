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

#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {
namespace more {

std::vector<double> numbers(const RObject& obj, const std::string& name, const std::string& file) {
  const RObject* o = obj.get(name);
  if (!o || o->is_null()) throw Error(file, "$" + name, "expected this component; it is missing");
  if (!o->is_numeric())
    throw Error(file, "$" + name, fmt::format("expected a numeric vector, found {}", rtype_name(o->type)));
  return o->numbers();
}

double scalar(const RObject& obj, const std::string& name, const std::string& file) {
  const std::vector<double> v = numbers(obj, name, file);
  if (v.size() != 1) throw Error(file, "$" + name, fmt::format("expected one number, found {}", v.size()));
  return v[0];
}

bool flag(const RObject& obj, const std::string& name, bool fallback) {
  const RObject* o = obj.get(name);
  if (!o || o->is_null() || !o->is_numeric() || o->length() == 0) return fallback;
  const double v = o->number(0);
  return std::isnan(v) ? fallback : v != 0;
}

std::vector<std::string> strings(const RObject& obj, const std::string& name, const std::string& file) {
  const RObject* o = obj.get(name);
  if (!o || o->type != RType::Character)
    throw Error(file, "$" + name, "expected a character vector");
  std::vector<std::string> out;
  for (size_t i = 0; i < o->length(); ++i) {
    if (!o->strings[i]) throw Error(file, fmt::format("${}[{}]", name, i), "unexpected NA label");
    out.push_back(*o->strings[i]);
  }
  return out;
}

namespace {
std::vector<std::string> dimnames_at(const RObject& obj, size_t k) {
  std::vector<std::string> out;
  const RObject* dn = obj.attr("dimnames");
  if (!dn || dn->type != RType::List || dn->elements.size() <= k) return out;
  const RObject* names = dn->elements[k].get();
  if (!names || names->type != RType::Character) return out;
  for (auto& s : names->strings) out.push_back(s ? *s : "NA");
  return out;
}
}  // namespace

Matrix matrix(const RObject& obj, const std::string& file, const std::string& path) {
  if (!obj.is_numeric())
    throw Error(file, path, fmt::format("expected a numeric matrix, found {}", rtype_name(obj.type)));
  const auto d = obj.dim();
  Matrix m;
  if (d.size() == 2) {
    if (d[0] < 0 || d[1] < 0) throw Error(file, path, "negative matrix dimensions");
    m.rows = static_cast<size_t>(d[0]);
    m.cols = static_cast<size_t>(d[1]);
  } else if (d.empty()) {  // a plain vector: one column
    m.rows = obj.length();
    m.cols = 1;
  } else {
    throw Error(file, path, fmt::format("expected a matrix, found an array with {} dimensions", d.size()));
  }
  m.v = obj.numbers();
  if (m.v.size() != m.rows * m.cols)
    throw Error(file, path, fmt::format("a {} x {} matrix with {} values", m.rows, m.cols, m.v.size()));
  m.rownames = dimnames_at(obj, 0);
  m.colnames = dimnames_at(obj, 1);
  if (m.rownames.size() != m.rows) m.rownames.clear();
  if (m.colnames.size() != m.cols) m.colnames.clear();
  return m;
}

void warn(ir::Model& m, Warnings& warnings, std::string code, std::string message) {
  Warning w{std::move(code), std::move(message)};
  m.provenance.warnings.push_back(w);
  warnings.push_back(std::move(w));
}

void adopt_design(ir::Model& m, Design& d, Warnings& warnings) {
  m.schema.inputs = std::move(d.inputs);
  m.schema.target.name = d.response;
  m.derived = std::move(d.derived);
  m.provenance.preprocessing = std::move(d.preprocessing);
  for (auto& w : d.warnings) {
    m.provenance.warnings.push_back(w);
    warnings.push_back(w);
  }
}

}  // namespace more

ir::Model import_nnet(const RObject& root, const std::string& file, Warnings& warnings) {
  using more::numbers;
  if (!root.get("terms"))
    throw Error(file, "$terms", "nnet fitted without a formula (the x/y interface) stores no input names; "
                                "only nnet.formula objects are supported");
  ir::Model m;
  Design d = build_design(root, file);
  if (d.offset) throw Error(file, "$terms@offset", "offsets in nnet models are not supported");

  const std::vector<double> n = numbers(root, "n", file);
  const std::vector<double> nconn = numbers(root, "nconn", file);
  const std::vector<double> conn = numbers(root, "conn", file);
  const std::vector<double> wts = numbers(root, "wts", file);
  const double nsunits_d = more::scalar(root, "nsunits", file);
  if (n.size() != 3 || !(n[0] >= 0 && n[1] >= 0 && n[2] >= 1) || n[0] > 1e6 || n[1] > 1e6 || n[2] > 1e6)
    throw Error(file, "$n", "expected c(inputs, hidden units, outputs)");
  const size_t n_in = static_cast<size_t>(n[0]), n_hidden = static_cast<size_t>(n[1]),
               n_out = static_cast<size_t>(n[2]);
  const size_t nunits = 1 + n_in + n_hidden + n_out;
  if (nconn.size() != nunits + 1)
    throw Error(file, "$nconn", fmt::format("expected {} connection offsets for {} units", nunits + 1, nunits));
  if (conn.size() != wts.size() || nconn.back() != static_cast<double>(wts.size()))
    throw Error(file, "$nconn", "connection counts do not match the weights");
  if (!(nsunits_d >= 0 && nsunits_d <= static_cast<double>(nunits)))
    throw Error(file, "$nsunits", "out of range");
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
  const std::vector<std::string> coefnames = more::strings(root, "coefnames", file);
  if (coefnames.size() != n_in)
    throw Error(file, "$coefnames", fmt::format("{} names for {} input units", coefnames.size(), n_in));
  if (d.columns.size() != n_in)
    throw Error(file, "$coefnames", fmt::format("{} input units for {} model-matrix columns built from $terms",
                                                n_in, d.columns.size()));
  for (size_t u = 0; u < n_in; ++u) {
    const DesignColumn* col = nullptr;
    for (auto& c : d.columns)
      if (c.name == coefnames[u]) col = &c;
    if (!col)
      throw Error(file, fmt::format("$coefnames[{}]", u),
                  fmt::format("input '{}' matches no model-matrix column built from $terms", coefnames[u]));
    m.features.push_back({col->name, col->expr});
  }

  const bool softmax = more::flag(root, "softmax", false);
  const bool entropy = more::flag(root, "entropy", false);
  if (more::flag(root, "censored", false))
    throw Error(file, "$censored", "censored nnet fits (softmax with censored targets) are not supported");
  std::vector<std::string> classes;
  if (const RObject* lev = root.get("lev"); lev && !lev->is_null()) classes = more::strings(root, "lev", file);
  std::string family;
  if (classes.empty()) {
    if (n_out != 1)
      throw Error(file, "$n", fmt::format("a network with {} outputs and no class labels: multiple-response "
                                          "regression is not supported", n_out));
    mlp.transform = ir::ScoreTransform::None;
    family = nsunits < nunits ? "nnet regression (linear output)" : "nnet regression (logistic output)";
  } else {
    const size_t K = classes.size();
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = classes;
    if (softmax && n_out == K && K >= 2) {
      if (nsunits > 1 + n_in + n_hidden)
        throw Error(file, "$nsunits", "softmax outputs must be linear units");
      mlp.transform = ir::ScoreTransform::Softmax;
      family = fmt::format("nnet softmax ({} classes)", K);
    } else if (!softmax && K == 2 && n_out == 1 && nsunits == nunits) {
      mlp.transform = ir::ScoreTransform::Binary;  // P(lev[2]) from one logistic output
      family = entropy ? "nnet logistic output (entropy fit)" : "nnet logistic output";
    } else {
      throw Error(file, "$n", fmt::format("{} outputs for {} classes (softmax {}): not a layout nnet's predict() "
                                          "turns into class probabilities", n_out, K, softmax));
    }
  }
  m.estimator = std::move(mlp);
  more::adopt_design(m, d, warnings);
  m.provenance.source_class = "nnet";
  m.provenance.family = fmt::format("{}; {} inputs, {} hidden units", family, n_in, n_hidden);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
