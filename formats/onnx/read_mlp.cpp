// ONNX reader, multilayer perceptrons as skl2onnx writes MLPClassifier and MLPRegressor: a
// chain of layers MatMul(weights) [+ Add(bias)] [activation: Relu, Tanh, Sigmoid, Softmax,
// Identity], then for a classifier ArgMax + ArrayFeatureExtractor of the class labels, ZipMap,
// and [1 - p, p] for two classes; for a regressor a Reshape.  A graph that strays from this
// shape is refused naming the node.  Also the recognition of the core-operator families
// (core_family).
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/read_models.hpp"
#include "formats/onnx/reader.hpp"

namespace mb::onnxfmt {
namespace {

constexpr int kFloat = onnx::TensorProto::FLOAT;

bool core_op(const onnx::NodeProto& n, const char* op) {
  return (n.domain().empty() || n.domain() == "ai.onnx") && n.op_type() == op;
}

// A layer's matrix product: MatMul or Gemm whose second input is an initializer.
bool is_layer_product(const Reader& r, const onnx::NodeProto& n) {
  return (core_op(n, "MatMul") || core_op(n, "Gemm")) && n.input_size() >= 2 && r.inits.count(n.input(1)) > 0;
}

// The single consumer of `name`, or -1.
int only_consumer(const Reader& r, const std::string& name) {
  auto it = r.consumers.find(name);
  if (it == r.consumers.end() || it->second.size() != 1) return -1;
  return it->second[0];
}

// Whether another layer product reads `name` within a few nodes (through any operators: a
// layer followed by an unexpected operator is still recognised as a network, and refused there).
bool reaches_product(const Reader& r, const std::string& name, int depth) {
  if (depth > 4) return false;
  auto it = r.consumers.find(name);
  if (it == r.consumers.end()) return false;
  for (int c : it->second) {
    const auto& n = r.node(c);
    if (is_layer_product(r, n) && n.input(0) == name) return true;
    if (n.output_size() > 0 && reaches_product(r, n.output(0), depth + 1)) return true;
  }
  return false;
}

const char* kLabelsFail = "expected the class labels looked up by the winning class (ArgMax, ArrayFeatureExtractor)";

// What the graph does after the last layer: 0 scores, 1 labels, 2 ArgMax indices.
struct MlpAfter {
  Reader& r;
  std::string last;  // the last layer's output
  bool binary = false, label = false, scores = false;
  std::vector<std::string> classes, zipmap_classes;
  std::map<std::string, int> seen;

  int walk(const std::string& name) {
    auto m = seen.find(name);
    if (m != seen.end()) return m->second;
    if (name == last) {
      scores = true;
      return seen[name] = 0;
    }
    auto p = r.producer.find(name);
    if (p == r.producer.end()) r.fail("output '" + name + "'", "not computed from the network");
    const int n = p->second;
    const auto& nd = r.node(n);
    const std::string& op = nd.op_type();
    int kind = 0;
    if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
        op == "Cast") {
      kind = walk(nd.input(0));
    } else if (op == "ZipMap") {
      if (walk(nd.input(0)) != 0) r.fail_node(n, "ZipMap must follow class probabilities");
      auto labels = attr_strings_of(nd, "classlabels_strings");
      if (labels.empty())
        for (auto i : attr_ints_of(nd, "classlabels_int64s")) labels.push_back(std::to_string(i));
      zipmap_classes = labels;
    } else if (op == "Concat" && nd.input_size() == 2) {
      // [1 - p, p] for two classes.
      auto sp = r.producer.find(nd.input(0));
      bool ok = sp != r.producer.end() && r.node(sp->second).op_type() == "Sub" &&
                r.node(sp->second).input_size() == 2 && r.node(sp->second).input(1) == nd.input(1) &&
                nd.input(1) == last;
      if (ok) {
        const auto one = r.const_values(r.node(sp->second).input(0), sp->second);
        ok = one.size() == 1 && one[0] == 1.0;
      }
      if (!ok) r.fail_node(n, "expected the binary probabilities Concat(1 - p, p) of the network's output p");
      binary = true;
      scores = true;
    } else if (op == "ArgMax") {
      if (walk(nd.input(0)) != 0) r.fail_node(n, "ArgMax of labels");
      if (attr_i(nd, "select_last_index", 0) != 0) r.unsupported_node(n, "unsupported: select_last_index");
      kind = 2;
    } else if (op == "ArrayFeatureExtractor" || op == "Gather") {
      if (walk(nd.input(1)) != 2) r.fail_node(n, kLabelsFail);
      auto it = r.inits.find(nd.input(0));
      if (it == r.inits.end()) r.fail_node(n, "class labels must be an initializer");
      classes = tensor_strings(*it->second);
      label = true;
      kind = 1;
    } else {
      r.unsupported_node(n,
                         "unsupported operator after the network (expected ArgMax, ArrayFeatureExtractor, ZipMap, "
                         "Concat(1 - p, p), Reshape or Cast)");
    }
    return seen[name] = kind;
  }
};

}  // namespace

CoreFamily core_family(const Reader& r) {
  bool argmin = false, sumsquare = false, logsumexp = false;
  int products = 0;
  bool chained = false;
  for (int i = 0; i < r.g->node_size(); ++i) {
    const auto& n = r.node(i);
    if (n.domain() == "ai.onnx.ml" && n.op_type() != "ZipMap" && n.op_type() != "ArrayFeatureExtractor" &&
        n.op_type() != "Normalizer" && n.op_type() != "Scaler" && n.op_type() != "Imputer" &&
        n.op_type() != "OneHotEncoder" && n.op_type() != "LabelEncoder" && n.op_type() != "FeatureVectorizer" &&
        n.op_type() != "Binarizer" && n.op_type() != "CategoryMapper")
      return CoreFamily::None;  // an ai.onnx.ml estimator decides
    argmin |= core_op(n, "ArgMin");
    sumsquare |= core_op(n, "ReduceSumSquare");
    logsumexp |= core_op(n, "ReduceLogSumExp");
    if (is_layer_product(r, n)) {
      ++products;
      // A layer: the product followed by a bias or an activation, and another product further on
      // (two bare products in a row are a linear model written twice, refused as such).
      bool layer = false;
      if (auto it = r.consumers.find(n.output(0)); it != r.consumers.end())
        for (int c : it->second)
          for (const char* op : {"Add", "Relu", "Tanh", "Sigmoid", "Softmax"}) layer |= core_op(r.node(c), op);
      chained |= layer && reaches_product(r, n.output(0), 0);
    }
  }
  if (argmin && sumsquare) return CoreFamily::KMeans;
  if (logsumexp) return CoreFamily::GaussianNb;
  if (products >= 2 && chained) return CoreFamily::Mlp;
  return CoreFamily::None;
}

void read_mlp_graph(Reader& r) {
  // The first layer: the product whose input no other product computes.
  int first = -1;
  for (int i = 0; i < r.g->node_size(); ++i) {
    if (!is_layer_product(r, r.node(i))) continue;
    bool fed = false;
    for (int j = 0; j < r.g->node_size(); ++j)
      if (j != i && is_layer_product(r, r.node(j)) && reaches_product(r, r.node(j).output(0), 0)) {
        // does j feed i?
        std::string cur = r.node(j).output(0);
        for (int hop = 0; hop < 4 && !fed; ++hop) {
          const int c = only_consumer(r, cur);
          if (c < 0) break;
          if (c == i) fed = true;
          cur = r.node(c).output(0);
        }
      }
    if (!fed) {
      if (first >= 0) r.fail_node(i, "a second network input layer: only one chain of layers is read");
      first = i;
    }
  }
  if (first < 0) r.fail("graph", "no first layer found");
  r.core = first;
  Value x = r.value(r.node(first).input(0));
  if (x.kind != Value::Num) r.fail_node(first, "the network input must be numeric");
  const size_t F = x.cols.size();

  ir::Mlp net;
  bool any_float = false, any_double = false;
  int n = first;
  size_t in = F;
  std::string out;
  for (;;) {
    const auto& nd = r.node(n);
    const auto& wt = *r.inits.at(nd.input(1));
    (wt.data_type() == kFloat ? any_float : any_double) = true;
    const auto w = tensor_values(wt);
    const bool gemm = nd.op_type() == "Gemm";
    const bool trans = gemm && attr_i(nd, "transB", 0) != 0;
    if (gemm) {
      if (attr_i(nd, "transA", 0) != 0) r.unsupported_node(n, "unsupported: transA");
      if (const auto* a = find_attr(nd, "alpha"); a && a->f() != 1.0f)
        r.unsupported_node(n, "unsupported: alpha other than 1");
      if (const auto* b = find_attr(nd, "beta"); b && b->f() != 1.0f)
        r.unsupported_node(n, "unsupported: beta other than 1");
    }
    if (wt.dims_size() != 2) r.fail_node(n, "the weights must be a matrix");
    const int64_t rows = wt.dims(trans ? 1 : 0), cols = wt.dims(trans ? 0 : 1);
    if (rows != static_cast<int64_t>(in))
      r.fail_node(n, fmt::format("weights '{}' have {} rows for {} inputs of the layer", nd.input(1), rows, in));
    if (cols < 1 || cols > (int64_t{1} << 24))
      r.fail_node(n, fmt::format("weights '{}' have {} columns", nd.input(1), cols));
    ir::Mlp::Layer L;
    L.n_units = static_cast<int32_t>(cols);
    L.weights.assign(static_cast<size_t>(cols) * in, 0.0);
    for (size_t i = 0; i < in; ++i)
      for (int64_t u = 0; u < cols; ++u) L.weights[u * in + i] = trans ? w[u * in + i] : w[i * cols + u];
    L.biases.assign(static_cast<size_t>(cols), 0.0);
    out = nd.output(0);
    auto add_bias = [&](const std::string& name, int at) {
      const auto b = r.const_values(name, at);
      if (b.size() != 1 && b.size() != static_cast<size_t>(cols))
        r.fail_node(at, fmt::format("bias '{}' has {} values for {} units", name, b.size(), cols));
      for (int64_t u = 0; u < cols; ++u) L.biases[u] += b[b.size() == 1 ? 0 : u];
    };
    if (gemm && nd.input_size() > 2 && !nd.input(2).empty()) add_bias(nd.input(2), n);
    int c = only_consumer(r, out);
    if (c >= 0 && core_op(r.node(c), "Add") && !gemm) {
      const auto& an = r.node(c);
      const std::string& other = an.input(0) == out ? an.input(1) : an.input(0);
      if (!r.inits.count(other)) r.fail_node(c, "expected the addition of a constant bias to the layer's product");
      add_bias(other, c);
      out = an.output(0);
      c = only_consumer(r, out);
    }
    L.activation = ir::Activation::Identity;
    if (c >= 0) {
      const auto& act = r.node(c);
      bool is_act = true;
      if (core_op(act, "Relu")) L.activation = ir::Activation::Relu;
      else if (core_op(act, "Tanh")) L.activation = ir::Activation::Tanh;
      else if (core_op(act, "Sigmoid")) L.activation = ir::Activation::Logistic;
      else if (core_op(act, "Softmax")) {
        // skl2onnx writes opset 13+ Softmax (over the last axis by default) or axis 1: the units.
        const int64_t axis = attr_i(act, "axis", -1);
        if (!(axis == -1 || axis == 1)) r.unsupported_node(c, "unsupported: Softmax over another axis than the units");
        L.activation = ir::Activation::Softmax;
      } else if (core_op(act, "Identity")) L.activation = ir::Activation::Identity;
      else is_act = false;
      if (is_act) {
        out = act.output(0);
        c = only_consumer(r, out);
      }
    }
    net.layers.push_back(std::move(L));
    in = static_cast<size_t>(cols);
    if (c >= 0 && is_layer_product(r, r.node(c)) && r.node(c).input(0) == out) {
      n = c;
      continue;
    }
    // Is there another product further on? Then the chain was broken by an unexpected node.
    if (c >= 0 && reaches_product(r, out, 0))
      r.unsupported_node(
          c, "unsupported operator between two layers (expected Add of a bias and Relu, Tanh, Sigmoid or Identity)");
    break;
  }
  for (size_t l = 0; l + 1 < net.layers.size(); ++l)
    if (net.layers[l].activation == ir::Activation::Softmax)
      r.unsupported("graph", fmt::format("unsupported: Softmax in hidden layer {}", l));
  if (net.layers.size() < 2) r.fail_node(first, "a network needs at least two layers");

  MlpAfter after{r, out, false, false, false, {}, {}, {}};
  for (const auto& o : r.g->output()) after.walk(o.name());
  auto& target = r.out.schema.target;
  const int32_t units = net.layers.back().n_units;
  const auto last_act = net.layers.back().activation;
  if (after.label || !after.zipmap_classes.empty() || after.binary) {
    target.task = ir::Task::Classification;
    target.classes = !after.classes.empty() ? after.classes : after.zipmap_classes;
    if (target.classes.empty()) r.fail("graph", "class labels not found");
    if (!after.zipmap_classes.empty() && after.zipmap_classes != target.classes)
      r.fail("graph", "the ZipMap's class labels differ from the labels looked up by ArgMax");
    if (after.binary) {
      if (units != 1 || last_act != ir::Activation::Logistic || target.classes.size() != 2)
        r.fail("graph", "[1 - p, p] needs one logistic output unit and two classes");
      net.transform = ir::ScoreTransform::Binary;
    } else {
      if (static_cast<size_t>(units) != target.classes.size())
        r.fail("graph", fmt::format("{} output units for {} classes", units, target.classes.size()));
      if (last_act != ir::Activation::Softmax)
        r.unsupported("graph", "unsupported: class probabilities from an output layer without Softmax");
    }
  } else {
    if (units != 1) r.unsupported("graph", "unsupported: regression with several targets");
    target.task = ir::Task::Regression;
  }
  net.n_outputs = units;
  if (any_float && any_double) r.unsupported("graph", "unsupported: float and double layers mixed");
  net.precision = any_float ? ir::Precision::Float32 : ir::Precision::Double;
  if (net.precision == ir::Precision::Double)
    for (const auto& L : net.layers)
      if (L.activation == ir::Activation::Tanh || L.activation == ir::Activation::Logistic ||
          L.activation == ir::Activation::Softmax)
        r.out.provenance.warnings.push_back(
            {"double-activations",
             "onnxruntime's double Tanh, Sigmoid and Softmax may differ from libm's in the last digits"});
  const size_t n_layers = net.layers.size();
  r.out.estimator = std::move(net);
  for (size_t f = 0; f < F; ++f) {
    const ir::Expr* e = &x.cols[f];
    std::string name = fmt::format("x{}", f);
    if (e->op == ir::Op::Input) name = r.out.schema.inputs[e->index].name;
    r.out.features.push_back({name, x.cols[f]});
  }
  r.out.provenance.source_class = "MLP (MatMul/Add/activation graph)";
  r.out.provenance.family = fmt::format("neural network ({} layers, {})", n_layers, any_float ? "float32" : "double");
}

}  // namespace mb::onnxfmt
