// ONNX reader, SVMs, neural networks, naive Bayes and k-means: the graphs write_families.cpp
// writes.  The estimator comes from the `modelbridge.param.` metadata; the graph is accepted only when
// writing that estimator again gives the same nodes, attributes and tensors after `features`
// (names may differ), so a file whose graph was changed is refused rather than misread.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/reader.hpp"
#include "formats/onnx/write_families.hpp"
#include "lib/ir/builder.hpp"

namespace mb::onnxfmt {
namespace {

struct Params {
  Reader& r;
  bool find(const std::string& name) const { return r.meta.count(kParamPrefix + name) > 0; }
  std::vector<double> d(const std::string& name) const {
    auto it = r.meta.find(kParamPrefix + name);
    if (it == r.meta.end()) r.fail("metadata", "parameter '" + std::string(kParamPrefix) + name + "' is missing");
    std::vector<double> out;
    const char* p = it->second.c_str();
    while (*p) {
      while (*p == ' ') ++p;
      if (!*p) break;
      char* end = nullptr;
      out.push_back(std::strtod(p, &end));
      if (end == p || (*end && *end != ' ')) r.fail("metadata '" + it->first + "'", "expected numbers");
      p = end;
    }
    return out;
  }
  std::vector<int32_t> i(const std::string& name) const {
    std::vector<int32_t> out;
    for (double v : d(name)) {
      if (v != static_cast<double>(static_cast<int32_t>(v)))
        r.fail("graph", "parameter '" + name + "' is not an integer");
      out.push_back(static_cast<int32_t>(v));
    }
    return out;
  }
};

std::string tensor_key(const onnx::TensorProto& t) {
  onnx::TensorProto c = t;
  c.clear_name();
  return c.SerializeAsString();
}

// Compares the nodes [from, end) of `a` (the file) with all nodes of `b` (written again).
class GraphMatch {
 public:
  GraphMatch(const Reader& r) : r_(r) {}
  std::string problem;

  bool graphs(const onnx::GraphProto& a, int from, const onnx::GraphProto& b, int depth) {
    std::map<std::string, const onnx::TensorProto*> ia, ib;
    for (const auto& t : a.initializer()) ia[t.name()] = &t;
    for (const auto& t : b.initializer()) ib[t.name()] = &t;
    if (depth == 0) ia = r_.inits;
    scopes_a_.push_back(&ia);
    scopes_b_.push_back(&ib);
    bool ok = true;
    const int n = a.node_size() - from;
    if (n != b.node_size()) {
      problem = fmt::format("{} nodes where {} are expected", n, b.node_size());
      ok = false;
    }
    for (int k = 0; ok && k < n; ++k) ok = node(a.node(from + k), b.node(k), depth);
    if (ok) {
      if (a.output_size() - (depth == 0 ? 0 : 0) < b.output_size()) ok = fail("outputs differ");
      for (int k = 0; ok && k < b.output_size(); ++k) {
        bool found = false;
        for (const auto& o : a.output())
          found |=
              o.name() == b.output(k).name() && o.type().SerializeAsString() == b.output(k).type().SerializeAsString();
        if (!found) ok = fail("output '" + b.output(k).name() + "' differs");
      }
    }
    scopes_a_.pop_back();
    scopes_b_.pop_back();
    return ok;
  }

 private:
  bool fail(const std::string& m) {
    problem = m;
    return false;
  }
  const onnx::TensorProto* lookup(const std::vector<std::map<std::string, const onnx::TensorProto*>*>& scopes,
                                  const std::string& name) const {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto f = (*it)->find(name);
      if (f != (*it)->end()) return f->second;
    }
    return nullptr;
  }
  bool value(const std::string& a, const std::string& b) {
    auto m = map_.find(a);
    if (m != map_.end()) return m->second == b;
    const auto* ta = lookup(scopes_a_, a);
    const auto* tb = lookup(scopes_b_, b);
    if (ta || tb) return ta && tb && tensor_key(*ta) == tensor_key(*tb);
    return a == b;  // graph or body inputs
  }
  bool node(const onnx::NodeProto& a, const onnx::NodeProto& b, int depth) {
    const std::string where = fmt::format("node '{}' ({})", a.name(), a.op_type());
    if (a.op_type() != b.op_type() || a.domain() != b.domain() || a.input_size() != b.input_size() ||
        a.output_size() != b.output_size() || a.attribute_size() != b.attribute_size())
      return fail(where + " is not the node expected there (" + b.op_type() + ")");
    for (int k = 0; k < a.input_size(); ++k)
      if (!value(a.input(k), b.input(k))) return fail(where + fmt::format(": input {} differs", k));
    for (int k = 0; k < a.attribute_size(); ++k) {
      const auto& x = a.attribute(k);
      const auto& y = b.attribute(k);
      if (x.name() != y.name() || x.type() != y.type()) return fail(where + ": attributes differ");
      if (x.type() == onnx::AttributeProto::GRAPH) {
        if (!graphs(x.g(), 0, y.g(), depth + 1)) return fail(where + ": " + problem);
      } else if (x.SerializeAsString() != y.SerializeAsString()) {
        return fail(where + ": attribute '" + x.name() + "' differs");
      }
    }
    for (int k = 0; k < a.output_size(); ++k) map_[a.output(k)] = b.output(k);
    return true;
  }
  const Reader& r_;
  std::map<std::string, std::string> map_;
  std::vector<std::map<std::string, const onnx::TensorProto*>*> scopes_a_, scopes_b_;
};

}  // namespace

bool is_family_graph(const Reader& r) { return r.meta.count(kMetaEstimator) > 0; }

void read_family_graph(Reader& r) {
  const std::string kind = r.meta.at(kMetaEstimator);
  Params P{r};
  auto& m = r.out;
  auto prod = r.producer.find(kFeaturesName);
  if (prod == r.producer.end()) r.fail("graph", "no 'features' tensor");
  const int features_node = prod->second;
  Value x = r.value(kFeaturesName);
  if (x.kind != Value::Num) r.fail("graph", "the features must be numeric");
  const int F = static_cast<int>(x.cols.size());
  for (int f = 0; f < F; ++f) {
    const auto it = r.meta.find(kMetaFeature + std::to_string(f));
    m.features.push_back({it != r.meta.end() ? it->second : fmt::format("x{}", f), x.cols[f]});
  }
  // The target from the outputs and the class labels.
  bool has_class = false, has_prediction = false, has_cluster = false;
  for (const auto& o : r.g->output()) {
    has_class |= o.name() == "class";
    has_prediction |= o.name() == "prediction";
    has_cluster |= o.name() == "cluster";
  }
  std::vector<std::string> labels;
  for (const auto& [name, t] : r.inits)
    if (name.rfind(kClassesName, 0) == 0) labels = tensor_strings(*t);
  auto& target = m.schema.target;
  if (has_prediction) target.task = ir::Task::Regression;
  else if (has_class) target.task = ir::Task::Classification;
  else if (has_cluster) target.task = ir::Task::Clustering;
  else r.fail("graph", "no output prediction, class or cluster");
  if (target.task != ir::Task::Regression) {
    if (labels.empty()) r.fail("graph", "class labels not found");
    target.classes = labels;
  }
  if (kind == "svm") {
    ir::Svm s;
    const auto k = P.d("kernel");
    if (k.size() != 6 || !(k[0] >= 0 && k[0] <= 3)) r.fail("graph", "invalid svm kernel parameters");
    s.kernel = static_cast<ir::Kernel>(static_cast<int>(k[0]));
    s.gamma = k[1];
    s.coef0 = k[2];
    s.degree = k[3];
    s.scale = k[4];
    s.center = k[5];
    s.support_vectors = P.d("support_vectors");
    s.n_sv = F > 0 ? static_cast<int32_t>(s.support_vectors.size() / static_cast<size_t>(F)) : 0;
    s.coefficients = P.d("coefficients");
    s.rho = P.d("rho");
    s.prob_a = P.d("prob_a");
    s.prob_b = P.d("prob_b");
    if (P.find("coupling")) {
      const auto c = P.d("coupling");
      if (c.size() != 1 || !(c[0] == 1 || c[0] == 2)) r.fail("graph", "invalid svm coupling");
      s.coupling = static_cast<ir::SvmCoupling>(static_cast<int>(c[0]));
    }
    s.sv_per_class = P.i("sv_per_class");
    s.class_order = P.i("class_order");
    if (target.task == ir::Task::Classification) {
      // The labels are in libsvm order: classes[class_order[i]] = labels[i].
      if (s.class_order.size() != labels.size()) r.fail("graph", "class order does not match the labels");
      std::vector<std::string> classes(labels.size());
      std::vector<char> seen(labels.size(), 0);
      for (size_t i = 0; i < labels.size(); ++i) {
        const int32_t c = s.class_order[i];
        if (c < 0 || static_cast<size_t>(c) >= labels.size() || seen[c]++)
          r.fail("graph", "class order is not a permutation");
        classes[c] = labels[i];
      }
      target.classes = classes;
    }
    m.estimator = std::move(s);
  } else if (kind == "mlp") {
    ir::Mlp n;
    const auto outs = P.d("outputs");
    if (outs.size() != 2 || !(outs[1] >= 0 && outs[1] <= 3)) r.fail("graph", "invalid network outputs");
    n.n_outputs = static_cast<int32_t>(outs[0]);
    n.transform = static_cast<ir::ScoreTransform>(static_cast<int>(outs[1]));
    if (P.find("conn_offset")) {
      n.conn_offset = P.i("conn_offset");
      n.conn_source = P.i("conn_source");
      n.conn_weights = P.d("conn_weights");
      for (int32_t a : P.i("unit_activation")) {
        if (a < 0 || a > 5) r.fail("graph", "invalid activation");
        n.unit_activation.push_back(static_cast<ir::Activation>(a));
      }
    } else {
      const auto shape = P.d("layers");
      for (size_t l = 0; l + 1 < shape.size(); l += 2) {
        ir::Mlp::Layer L;
        L.n_units = static_cast<int32_t>(shape[l]);
        if (!(shape[l + 1] >= 0 && shape[l + 1] <= 5)) r.fail("graph", "invalid activation");
        L.activation = static_cast<ir::Activation>(static_cast<int>(shape[l + 1]));
        L.weights = P.d(fmt::format("layer{}_weights", l / 2));
        L.biases = P.d(fmt::format("layer{}_biases", l / 2));
        n.layers.push_back(std::move(L));
      }
      // Float32 layers (write_families.cpp): every weight must be a float32 value.
      if (P.find("precision")) {
        const auto prec = P.d("precision");
        if (prec.size() != 1 || prec[0] != 1.0) r.fail("graph", "invalid network precision");
        n.precision = ir::Precision::Float32;
        for (const auto& L : n.layers)
          for (const auto* v : {&L.weights, &L.biases})
            for (double w : *v)
              if (!(static_cast<double>(static_cast<float>(w)) == w || std::isnan(w)))
                r.fail("graph", "a float32 network weight is not a float32 value");
      }
    }
    m.estimator = std::move(n);
  } else if (kind == "naive_bayes") {
    ir::NaiveBayes nb;
    nb.log_prior = P.d("log_prior");
    for (double g : P.d("gaussian")) nb.gaussian.push_back(g != 0 ? 1 : 0);
    nb.mean = P.d("mean");
    nb.sd = P.d("sd");
    nb.table_offset = P.i("table_offset");
    nb.table_levels = P.i("table_levels");
    nb.table = P.d("table");
    const auto lim = P.d("limits");
    if (lim.size() != 3) r.fail("graph", "invalid naive Bayes limits");
    nb.min_probability = lim[0];
    nb.min_sd = lim[1];
    nb.eps = lim[2];
    m.estimator = std::move(nb);
  } else if (kind == "clustering") {
    ir::Clustering c;
    c.centers = P.d("centers");
    c.k = static_cast<int32_t>(target.classes.size());
    m.estimator = std::move(c);
  } else {
    r.fail("metadata '" + std::string(kMetaEstimator) + "'", "unknown estimator '" + kind + "'");
  }

  // The parameters must form a valid estimator (sizes that agree) before it is written again.
  ir::validate(m, r.file, "graph");
  // Write the estimator again and compare.
  onnx::ModelProto again;
  onnx::GraphProto* g = again.mutable_graph();
  Emitter e(g);
  Warnings ignored;
  std::vector<std::pair<std::string, std::string>> params;
  try {
    write_family(m, g, e, kFeaturesName, params, ignored, false);
  } catch (const Error& err) {
    r.fail("graph", "the parameters do not form a valid model: " + err.message());
  }
  GraphMatch match(r);
  if (!match.graphs(*r.g, features_node + 1, *g, 0))
    r.fail("graph", fmt::format("the {} graph differs from what modelbridge writes for its parameters: {}", kind,
                                match.problem));
  for (const auto& [k, v] : params) {
    auto it = r.meta.find(k);
    if (it == r.meta.end() || it->second != v)
      r.fail("metadata '" + k + "'", "parameter differs from the estimator it describes");
  }
  m.provenance.source_class = r.meta.count(kMetaSourceClass) ? r.meta.at(kMetaSourceClass) : kind;
  m.provenance.family = r.meta.count(kMetaFamily) ? r.meta.at(kMetaFamily) : kind;
}

}  // namespace mb::onnxfmt
