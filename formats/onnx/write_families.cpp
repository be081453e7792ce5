// ONNX writer, SVMs, neural networks, naive Bayes and k-means: see write_families.hpp.
#include "formats/onnx/write_families.hpp"

#include <fmt/format.h>

#include <cfloat>
#include <cmath>
#include <map>
#include <optional>

#include "formats/onnx/onnx_names.hpp"
#include "lib/util/errors.hpp"

namespace mb::onnxfmt {
namespace {

const int64_t kDoubleT = onnx::TensorProto::DOUBLE;
constexpr double kNaN = NAN;

void value_info(onnx::ValueInfoProto* v, const std::string& name, int elem, const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (d == "N") dim->set_dim_param("N");
    else if (!d.empty()) dim->set_dim_value(std::stoll(d));
  }
}

struct G {
  const ir::Model& m;
  onnx::GraphProto* g;
  Emitter& e;
  std::string X;
  int F = 0;
  std::vector<std::pair<std::string, std::string>>& meta;

  std::string op(const std::string& o, const std::vector<std::string>& in, std::vector<onnx::AttributeProto> a = {},
                 const std::string& out = "") {
    return e.node(o, in, std::move(a), "", out);
  }
  std::string k(double v) { return e.scalar(v); }
  std::string ints(const std::vector<int64_t>& v) {
    return e.constant(tensor_int64(v, {static_cast<int64_t>(v.size())}), "i");
  }
  std::string mat(const std::vector<double>& v, int64_t rows, int64_t cols, const std::string& hint) {
    return e.constant(tensor_double(v, {rows, cols}), hint);
  }
  std::string vec(const std::vector<double>& v, const std::string& hint) {
    return e.constant(tensor_double(v, {static_cast<int64_t>(v.size())}), hint);
  }
  // A parameter of the estimator, stored for the reader as metadata (exact hexadecimal floats).
  void param(const std::string& name, const std::vector<double>& v) {
    std::string text;
    for (double x : v) text += (text.empty() ? "" : " ") + fmt::format("{:a}", x);
    meta.emplace_back(kParamPrefix + name, text);
  }
  void param_ints(const std::string& name, const std::vector<int32_t>& v) {
    param(name, std::vector<double>(v.begin(), v.end()));
  }
  // Column j of a [N, C] tensor as [N, 1].
  std::string col(const std::string& t, int64_t j) { return op("Slice", {t, ints({j}), ints({j + 1}), ints({1})}); }
  std::string cast_double(const std::string& t) { return op("Cast", {t}, {attr_int("to", kDoubleT)}); }
  std::string any_nan_rows(const std::string& t) {  // [N] bool
    return op("IsNaN", {op("ReduceSum", {t, ints({1})}, {attr_int("keepdims", 0)})});
  }

  // Classification outputs from probabilities [N,K] in model order and a label index [N] into
  // `labels` (missing when `missing` [N] bool is true).
  void class_outputs(const std::string& prob, const std::string& idx, const std::vector<std::string>& labels,
                     const std::string& missing, const char* label_name = "class") {
    const int64_t K = static_cast<int64_t>(labels.size());
    if (!prob.empty()) {
      op("Where", {op("Unsqueeze", {missing, ints({1})}), k(kNaN), prob}, {}, "probabilities");
      value_info(g->add_output(), label_name, onnx::TensorProto::STRING, {"N"});
      value_info(g->add_output(), "probabilities", kDoubleT, {"N", std::to_string(K)});
    } else {
      value_info(g->add_output(), label_name, onnx::TensorProto::STRING, {"N"});
    }
    std::string table = e.constant(tensor_string(labels, {K}), kClassesName);
    std::string label = op("Gather", {table, idx}, {attr_int("axis", 0)});
    op("Where", {missing, e.constant(tensor_string({""}, {}), "empty"), label}, {}, label_name);
  }
  void regression_output(const std::string& y) {
    op("Identity", {y}, {}, "prediction");
    value_info(g->add_output(), "prediction", kDoubleT, {"N", "1"});
  }
};

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|): onnxruntime's double Tanh is accurate to
// about 1e-7 only; this form is within a few 1e-16 of tanh in absolute terms.
std::string tanh_exact(G& s, const std::string& x) {
  std::string e = s.op("Exp", {s.op("Mul", {s.op("Abs", {x}), s.k(-2.0)})});
  std::string t = s.op("Div", {s.op("Sub", {s.k(1.0), e}), s.op("Add", {s.k(1.0), e})});
  return s.op("Where", {s.op("Less", {x, s.k(0.0)}), s.op("Neg", {t}), t});
}

// ---------------------------------------------------------------- MLP
// A layered network that computes what `net` computes, with its weights and biases rounded to
// float32: `net`'s layers, or its nnet connections where every unit reads the bias and the units
// of the layer before it only.  None for skip-layer connections.
std::optional<ir::Mlp> float32_layers(const ir::Mlp& net, int32_t F) {
  ir::Mlp out = net;
  out.precision = ir::Precision::Float32;
  if (!net.conn_offset.empty()) {
    out.conn_offset.clear();
    out.conn_source.clear();
    out.conn_weights.clear();
    out.unit_activation.clear();
    const int32_t n_units = static_cast<int32_t>(net.unit_activation.size());
    const auto& off = net.conn_offset;
    int32_t prev_b = 1, prev_e = 1 + F, b = 1 + F;
    while (b < n_units) {
      // The layer [b, e): units with the same activation that read only the layer before; the
      // outputs form the last layer.
      int32_t e = b;
      const int32_t out_begin = n_units - net.n_outputs;
      while (e < n_units && net.unit_activation[e] == net.unit_activation[b] && (e != out_begin || e == b)) {
        bool reads_prev = true;
        for (int32_t i = off[e]; i < off[e + 1]; ++i)
          reads_prev &= net.conn_source[i] == 0 || (net.conn_source[i] >= prev_b && net.conn_source[i] < prev_e);
        if (!reads_prev) {
          if (e == b) return std::nullopt;
          break;
        }
        ++e;
      }
      ir::Mlp::Layer L;
      L.n_units = e - b;
      L.activation = net.unit_activation[b];
      const int32_t in = prev_e - prev_b;
      L.weights.assign(static_cast<size_t>(L.n_units) * in, 0.0);
      L.biases.assign(L.n_units, 0.0);
      for (int32_t j = b; j < e; ++j)
        for (int32_t i = off[j]; i < off[j + 1]; ++i) {
          const int32_t src = net.conn_source[i];
          if (src == 0) L.biases[j - b] += net.conn_weights[i];
          else L.weights[static_cast<size_t>(j - b) * in + (src - prev_b)] += net.conn_weights[i];
        }
      out.layers.push_back(std::move(L));
      prev_b = b;
      prev_e = e;
      b = e;
    }
  }
  for (auto& L : out.layers) {
    for (double& w : L.weights) w = static_cast<float>(w);
    for (double& w : L.biases) w = static_cast<float>(w);
  }
  return out;
}

std::string activate(G& s, ir::Activation a, const std::string& z) {
  switch (a) {
    case ir::Activation::Identity: return z;
    case ir::Activation::Logistic: return s.op("Sigmoid", {z});
    case ir::Activation::LogisticClamped:
      return s.op("Where", {s.op("Less", {z, s.k(-15.0)}), s.k(0.0),
                            s.op("Where", {s.op("Greater", {z, s.k(15.0)}), s.k(1.0), s.op("Sigmoid", {z})})});
    case ir::Activation::Tanh: return tanh_exact(s, z);
    case ir::Activation::Relu: return s.op("Relu", {z});
    case ir::Activation::Softmax: return s.op("Softmax", {z}, {attr_int("axis", 1)});
  }
  return z;
}

// A layered network's scores: each layer a MatMul, Add and activation, in double; a float32 network
// (Precision::Float32) reads the features cast to float32 and computes every layer in float32 as
// onnxruntime does (the evaluator's float32 pass), its last layer's values widened to double.
std::string layered_scores(G& s, const ir::Mlp& net) {
  const bool f32 = net.precision == ir::Precision::Float32;
  auto kf = [&](double v) { return s.e.constant(tensor_float({v}, {}), "f"); };
  std::string a = f32 ? s.op("Cast", {s.X}, {attr_int("to", onnx::TensorProto::FLOAT)}) : s.X;
  int64_t in = s.F;
  std::vector<double> shape;
  for (size_t l = 0; l < net.layers.size(); ++l) {
    const auto& L = net.layers[l];
    shape.push_back(L.n_units);
    shape.push_back(static_cast<double>(L.activation));
    // weights are n_units x in (row-major): MatMul needs in x n_units.
    std::vector<double> W(static_cast<size_t>(in) * L.n_units);
    for (int32_t u = 0; u < L.n_units; ++u)
      for (int64_t i = 0; i < in; ++i) W[i * L.n_units + u] = L.weights[u * in + i];
    s.param(fmt::format("layer{}_weights", l), L.weights);
    s.param(fmt::format("layer{}_biases", l), L.biases);
    const std::vector<int64_t> wdims = {in, L.n_units}, bdims = {L.n_units};
    std::string Wt = s.e.constant(f32 ? tensor_float(W, wdims) : tensor_double(W, wdims), "weights");
    std::string bt = s.e.constant(f32 ? tensor_float(L.biases, bdims) : tensor_double(L.biases, bdims), "bias");
    std::string z = s.op("Add", {s.op("MatMul", {a, Wt}), bt});
    in = L.n_units;
    if (!f32) {
      a = activate(s, L.activation, z);
      continue;
    }
    switch (L.activation) {
      case ir::Activation::Identity: a = z; break;
      case ir::Activation::Logistic: a = s.op("Sigmoid", {z}); break;
      case ir::Activation::LogisticClamped:
        a = s.op("Where", {s.op("Less", {z, kf(-15.0)}), kf(0.0),
                           s.op("Where", {s.op("Greater", {z, kf(15.0)}), kf(1.0), s.op("Sigmoid", {z})})});
        break;
      case ir::Activation::Tanh: a = s.op("Tanh", {z}); break;
      case ir::Activation::Relu: a = s.op("Relu", {z}); break;
      case ir::Activation::Softmax: a = s.op("Softmax", {z}, {attr_int("axis", 1)}); break;
    }
  }
  s.param("layers", shape);
  if (!f32) return a;
  s.param("precision", {1.0});
  return s.cast_double(a);
}

void write_mlp(G& s, const ir::Mlp& net) {
  const int F = s.F;
  std::string scores;
  if (!net.conn_offset.empty()) {
    const int32_t n_units = static_cast<int32_t>(net.unit_activation.size());
    const auto& off = net.conn_offset;
    s.param_ints("conn_offset", net.conn_offset);
    s.param_ints("conn_source", net.conn_source);
    s.param("conn_weights", net.conn_weights);
    std::vector<int32_t> acts;
    for (auto a : net.unit_activation) acts.push_back(static_cast<int32_t>(a));
    s.param_ints("unit_activation", acts);
    // Layers as in the PMML writer: a new layer when the activation changes, a unit reads the
    // current layer, or the outputs begin.
    std::vector<std::pair<int32_t, int32_t>> layers;
    for (int32_t j = 1 + F; j < n_units; ++j) {
      bool fresh = layers.empty() || net.unit_activation[j] != net.unit_activation[layers.back().first] ||
                   j == n_units - net.n_outputs;
      for (int32_t i = off[j]; i < off[j + 1] && !fresh; ++i) fresh = net.conn_source[i] >= layers.back().first;
      if (fresh) layers.push_back({j, j});
      layers.back().second = j + 1;
    }
    std::string A = s.X;  // columns: units 1 .. (current)
    int32_t cols = F;
    for (size_t li = 0; li < layers.size(); ++li) {
      const auto [b, e] = layers[li];
      const int32_t n = e - b;
      std::vector<double> W(static_cast<size_t>(cols) * n, 0.0), bias(n, 0.0);
      for (int32_t j = b; j < e; ++j)
        for (int32_t i = off[j]; i < off[j + 1]; ++i) {
          const int32_t src = net.conn_source[i];
          if (src == 0) bias[j - b] += net.conn_weights[i];
          else W[static_cast<size_t>(src - 1) * n + (j - b)] += net.conn_weights[i];
        }
      std::string z = s.op("Add", {s.op("MatMul", {A, s.mat(W, cols, n, "weights")}), s.vec(bias, "bias")});
      std::string h = activate(s, net.unit_activation[b], z);
      if (li + 1 == layers.size()) {
        scores = h;
      } else {
        A = s.op("Concat", {A, h}, {attr_int("axis", 1)});
        cols += n;
      }
    }
  } else {
    scores = layered_scores(s, net);
  }
  s.param("outputs", {static_cast<double>(net.n_outputs), static_cast<double>(net.transform)});
  const auto& target = s.m.schema.target;
  if (target.task == ir::Task::Regression) {
    s.regression_output(scores);
    return;
  }
  std::string prob;
  switch (net.transform) {
    case ir::ScoreTransform::Binary:
      prob = s.op("Concat", {s.op("Sub", {s.k(1.0), scores}), scores}, {attr_int("axis", 1)});
      break;
    case ir::ScoreTransform::Softmax: prob = s.op("Softmax", {scores}, {attr_int("axis", 1)}); break;
    case ir::ScoreTransform::Normalize:
      prob = s.op("Div", {scores, s.op("ReduceSum", {scores, s.ints({1})}, {attr_int("keepdims", 1)})});
      break;
    case ir::ScoreTransform::None: prob = scores; break;
    case ir::ScoreTransform::Cumulative:
      throw Unsupported("", "estimator", "unsupported: a network with cumulative-link outputs");
  }
  std::string idx = s.op("ArgMax", {prob}, {attr_int("axis", 1), attr_int("keepdims", 0)});
  s.class_outputs(prob, idx, target.classes, s.any_nan_rows(prob));
}

// ---------------------------------------------------------------- SVM
std::string powi(G& s, const std::string& base, int times) {
  std::string tmp = base, ret;
  for (int t = times; t > 0; t /= 2) {
    if (t % 2 == 1) ret = ret.empty() ? s.op("Mul", {s.k(1.0), tmp}) : s.op("Mul", {ret, tmp});
    tmp = s.op("Mul", {tmp, tmp});
  }
  if (ret.empty()) ret = s.op("Add", {s.op("Mul", {base, s.k(0.0)}), s.k(1.0)});  // degree 0: 1 (NaN stays NaN)
  return ret;
}

// Wu-Lin-Weng coupling of the pairwise probabilities r (columns r_ij, i < j) as one Loop.
std::vector<std::string> couple(G& s, const std::vector<std::vector<std::string>>& R, size_t k) {
  // Q (outer scope, [N,1] each).
  std::vector<std::vector<std::string>> Q(k, std::vector<std::string>(k));
  for (size_t t = 0; t < k; ++t) {
    std::string qtt;
    for (size_t j = 0; j < k; ++j) {
      if (j == t) continue;
      std::string sq = s.op("Mul", {R[j][t], R[j][t]});
      qtt = qtt.empty() ? sq : s.op("Add", {qtt, sq});
      if (j > t) Q[t][j] = s.op("Mul", {s.op("Neg", {R[j][t]}), R[t][j]});
    }
    Q[t][t] = qtt;
    for (size_t j = 0; j < t; ++j) Q[t][j] = Q[j][t];
  }
  const int max_iter = std::max(100, static_cast<int>(k));
  const double eps = 0.005 / static_cast<double>(k);
  onnx::AttributeProto body_attr;
  body_attr.set_name("body");
  body_attr.set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto* body = body_attr.mutable_g();
  body->set_name("coupling_sweep");
  Emitter b(body);
  // Names inside the body start with "sweep/": none may shadow a name of the outer graph.
  auto bop = [&](const std::string& o, std::vector<std::string> in, std::vector<onnx::AttributeProto> a = {},
                 const std::string& out = "") {
    return b.node(o, in, std::move(a), "", out.empty() ? b.fresh("sweep/" + o) : out);
  };
  std::map<double, std::string> consts;
  auto bk = [&](double v) {
    auto it = consts.find(v);
    if (it != consts.end()) return it->second;
    return consts[v] = b.constant(tensor_double({v}, {}), "sweep/k");
  };
  value_info(body->add_input(), "sweep/iteration", onnx::TensorProto::INT64, {});
  value_info(body->add_input(), "sweep/cond_in", onnx::TensorProto::BOOL, {});
  std::vector<std::string> p(k);
  for (size_t t = 0; t < k; ++t) {
    p[t] = fmt::format("sweep/p{}_in", t);
    value_info(body->add_input(), p[t], kDoubleT, {"N", "1"});
  }
  value_info(body->add_input(), "sweep/done_in", onnx::TensorProto::BOOL, {"N", "1"});
  const std::vector<std::string> p_in = p;
  std::vector<std::string> qp(k);
  for (size_t t = 0; t < k; ++t)
    for (size_t j = 0; j < k; ++j) {
      std::string term = bop("Mul", {Q[t][j], p[j]});
      qp[t] = j == 0 ? term : bop("Add", {qp[t], term});
    }
  std::string pqp;
  for (size_t t = 0; t < k; ++t) {
    std::string term = bop("Mul", {p[t], qp[t]});
    pqp = t == 0 ? term : bop("Add", {pqp, term});
  }
  std::vector<std::string> errs;
  for (size_t t = 0; t < k; ++t) errs.push_back(bop("Abs", {bop("Sub", {qp[t], pqp})}));
  std::string done = bop("Or", {"sweep/done_in", bop("Less", {bop("Max", errs), bk(eps)})});
  for (size_t t = 0; t < k; ++t) {
    std::string diff = bop("Div", {bop("Add", {bop("Neg", {qp[t]}), pqp}), Q[t][t]});
    p[t] = bop("Add", {p[t], diff});
    std::string one_d = bop("Add", {bk(1.0), diff});
    pqp = bop("Div", {bop("Div", {bop("Add", {pqp, bop("Mul", {diff, bop("Add", {bop("Mul", {diff, Q[t][t]}),
                                                                                 bop("Mul", {bk(2.0), qp[t]})})})}),
                                  one_d}),
                      one_d});
    for (size_t j = 0; j < k; ++j) {
      qp[j] = bop("Div", {bop("Add", {qp[j], bop("Mul", {diff, Q[t][j]})}), one_d});
      p[j] = bop("Div", {p[j], one_d});
    }
  }
  std::string all_done = bop("ReduceMin", {bop("Cast", {done}, {attr_int("to", kDoubleT)})}, {attr_int("keepdims", 0)});
  bop("Not", {bop("Equal", {all_done, bk(1.0)})}, {}, "sweep/cond_out");
  value_info(body->add_output(), "sweep/cond_out", onnx::TensorProto::BOOL, {});
  for (size_t t = 0; t < k; ++t) {
    const std::string name = fmt::format("sweep/p{}_out", t);
    bop("Where", {done, p_in[t], p[t]}, {}, name);
    value_info(body->add_output(), name, kDoubleT, {"N", "1"});
  }
  bop("Identity", {done}, {}, "sweep/done_out");
  value_info(body->add_output(), "sweep/done_out", onnx::TensorProto::BOOL, {"N", "1"});

  // The Loop: p_t = 1/k, nothing done.
  std::string shape = s.op("Shape", {R[0][1]});
  std::vector<std::string> inputs = {s.e.constant(tensor_int64({max_iter}, {}), "max_iter"),
                                     s.e.constant(
                                         [] {
                                           onnx::TensorProto t;
                                           t.set_data_type(onnx::TensorProto::BOOL);
                                           t.add_int32_data(1);
                                           return t;
                                         }(),
                                         "true")};
  for (size_t t = 0; t < k; ++t) inputs.push_back(s.op("Expand", {s.k(1.0 / static_cast<double>(k)), shape}));
  inputs.push_back(s.op("Less", {s.op("Expand", {s.k(1.0), shape}), s.k(0.0)}));
  onnx::NodeProto* loop = s.g->add_node();
  const std::string name = s.e.fresh("Loop");
  loop->set_name(name);
  loop->set_op_type("Loop");
  for (const auto& i : inputs) loop->add_input(i);
  std::vector<std::string> outs;
  for (size_t t = 0; t < k; ++t) {
    outs.push_back(fmt::format("{}/p{}", name, t));
    loop->add_output(outs.back());
  }
  loop->add_output(name + "/done");
  *loop->add_attribute() = body_attr;
  return outs;
}

// kernlab's couple(coupler = "minpair") of the pair probabilities r ([N, P], pairs in row order)
// for k classes (ir::SvmCoupling::Kernlab): the k x k matrix Q as minpair builds it, then its
// system [Q 1; 1' 0] [p; l] = [0; 1] solved in the null space of the constraint (p = e_k + Z y
// with Z = [I; -1'], so Z'QZ y = -Z'Q e_k, which has no zero pivot where the system has a unique
// solution), unrolled Gaussian elimination on the (k-1) x (k-1) matrix, then p divided by its sum
// as minpair does.  Returns the k columns [N, 1].
std::vector<std::string> minpair(G& s, const std::string& r, size_t k) {
  const size_t P = k * (k - 1) / 2;
  std::vector<size_t> upper, lower;  // places in column-major order of the two triangles
  for (size_t c = 0; c < k; ++c)
    for (size_t i = 0; i < c; ++i) upper.push_back(i * k + c);
  for (size_t c = 0; c < k; ++c)
    for (size_t i = c + 1; i < k; ++i) lower.push_back(i * k + c);
  std::vector<std::string> M(k * k), Q(k * k);
  for (size_t p = 0; p < P; ++p) {
    const std::string rp = s.col(r, static_cast<int64_t>(p));
    const std::string cp = s.op("Sub", {s.k(1.0), rp});
    M[upper[p]] = rp;
    M[lower[p]] = cp;
    const std::string w = s.op("Neg", {s.op("Mul", {rp, cp})});
    Q[upper[p]] = w;
    Q[lower[p]] = w;
  }
  for (size_t c = 0; c < k; ++c) {
    std::string sum;
    for (size_t i = 0; i < k; ++i) {
      if (i == c) continue;
      const std::string sq = s.op("Mul", {M[i * k + c], M[i * k + c]});
      sum = sum.empty() ? sq : s.op("Add", {sum, sq});
    }
    Q[c * k + c] = sum;
  }
  const size_t L = k - 1;
  std::vector<std::string> A(L * L), b(L);
  for (size_t a = 0; a < L; ++a) {
    for (size_t c = 0; c < L; ++c)
      A[a * L + c] =
          s.op("Add", {s.op("Sub", {s.op("Sub", {Q[a * k + c], Q[a * k + L]}), Q[L * k + c]}), Q[L * k + L]});
    b[a] = s.op("Sub", {Q[L * k + L], Q[a * k + L]});
  }
  for (size_t c = 0; c < L; ++c)
    for (size_t i = c + 1; i < L; ++i) {
      const std::string l = s.op("Div", {A[i * L + c], A[c * L + c]});
      for (size_t j = c + 1; j < L; ++j) A[i * L + j] = s.op("Sub", {A[i * L + j], s.op("Mul", {l, A[c * L + j]})});
      b[i] = s.op("Sub", {b[i], s.op("Mul", {l, b[c]})});
    }
  std::vector<std::string> y(L);
  for (size_t c = L; c-- > 0;) {
    std::string v = b[c];
    for (size_t j = c + 1; j < L; ++j) v = s.op("Sub", {v, s.op("Mul", {A[c * L + j], y[j]})});
    y[c] = s.op("Div", {v, A[c * L + c]});
  }
  std::string last = s.k(1.0);
  for (size_t a = 0; a < L; ++a) last = s.op("Sub", {last, y[a]});
  y.push_back(last);
  std::string total;
  for (const auto& v : y) total = total.empty() ? v : s.op("Add", {total, v});
  for (auto& v : y) v = s.op("Div", {v, total});
  return y;
}

void write_svm(G& s, const ir::Svm& svm) {
  const int64_t F = s.F, n = svm.n_sv;
  const auto& target = s.m.schema.target;
  const bool cls = target.task == ir::Task::Classification;
  s.param("kernel", {static_cast<double>(svm.kernel), svm.gamma, svm.coef0, svm.degree, svm.scale, svm.center});
  s.param("support_vectors", svm.support_vectors);
  const std::string SV = s.mat(svm.support_vectors, n, F, "support_vectors");
  s.param("coefficients", svm.coefficients);
  s.param("rho", svm.rho);
  s.param("prob_a", svm.prob_a);
  s.param("prob_b", svm.prob_b);
  if (svm.coupling != ir::SvmCoupling::Libsvm) s.param("coupling", {static_cast<double>(svm.coupling)});
  s.param_ints("sv_per_class", svm.sv_per_class);
  s.param_ints("class_order", svm.class_order);
  std::string Kx;
  if (svm.kernel == ir::Kernel::Radial) {
    std::string SVt = s.op("Transpose", {SV}, {attr_ints("perm", {1, 0})});
    std::string acc;
    for (int64_t f = 0; f < F; ++f) {
      std::string d = s.op("Sub", {s.col(s.X, f), s.op("Slice", {SVt, s.ints({f}), s.ints({f + 1}), s.ints({0})})});
      std::string sq = s.op("Mul", {d, d});
      acc = acc.empty() ? sq : s.op("Add", {acc, sq});
    }
    Kx = s.op("Exp", {s.op("Mul", {s.k(-svm.gamma), acc})});
  } else {
    std::string dot = s.op("MatMul", {s.X, s.op("Transpose", {SV}, {attr_ints("perm", {1, 0})})});
    // gamma as a vector, not a scalar: onnxruntime fuses MatMul and a scalar Mul into a
    // FusedMatMul whose alpha attribute is float32, which would round gamma.
    const std::string gamma = s.vec(std::vector<double>(static_cast<size_t>(n), svm.gamma), "gamma");
    switch (svm.kernel) {
      case ir::Kernel::Linear: Kx = dot; break;
      case ir::Kernel::Polynomial:
        Kx = powi(s, s.op("Add", {s.op("Mul", {gamma, dot}), s.k(svm.coef0)}), static_cast<int>(svm.degree));
        break;
      case ir::Kernel::Sigmoid: Kx = tanh_exact(s, s.op("Add", {s.op("Mul", {gamma, dot}), s.k(svm.coef0)})); break;
      default: break;
    }
  }
  if (!cls) {
    std::string sum = s.op("MatMul", {Kx, s.mat(svm.coefficients, n, 1, "coef")});
    std::string y = s.op("Add", {s.op("Mul", {s.op("Sub", {sum, s.k(svm.rho[0])}), s.k(svm.scale)}), s.k(svm.center)});
    s.regression_output(y);
    return;
  }
  const size_t K = svm.sv_per_class.size(), P = svm.rho.size();
  std::vector<size_t> start(K, 0);
  for (size_t i = 1; i < K; ++i) start[i] = start[i - 1] + static_cast<size_t>(svm.sv_per_class[i - 1]);
  std::vector<double> C(static_cast<size_t>(n) * P, 0.0), Ai(P * K, 0.0), Aj(P * K, 0.0);
  size_t p = 0;
  for (size_t i = 0; i < K; ++i)
    for (size_t j = i + 1; j < K; ++j, ++p) {
      for (int32_t t = 0; t < svm.sv_per_class[i]; ++t)
        C[(start[i] + t) * P + p] = svm.coefficients[(j - 1) * n + start[i] + t];
      for (int32_t t = 0; t < svm.sv_per_class[j]; ++t)
        C[(start[j] + t) * P + p] = svm.coefficients[i * n + start[j] + t];
      Ai[p * K + i] = 1.0;
      Aj[p * K + j] = 1.0;
    }
  std::string dec =
      s.op("Sub", {s.op("MatMul", {Kx, s.mat(C, n, static_cast<int64_t>(P), "pair_coef")}), s.vec(svm.rho, "rho")});
  std::string missing = s.any_nan_rows(dec);
  std::vector<std::string> lib_labels;
  std::vector<int64_t> to_lib(K);  // model class -> libsvm index
  for (size_t i = 0; i < K; ++i) {
    lib_labels.push_back(target.classes[svm.class_order[i]]);
    to_lib[svm.class_order[i]] = static_cast<int64_t>(i);
  }
  std::string prob_lib;
  auto vote_count = [&]() {
    std::string pos = s.cast_double(s.op("Greater", {dec, s.k(0.0)}));
    std::string neg = s.op("Sub", {s.k(1.0), pos});
    return s.op("Add", {s.op("MatMul", {pos, s.mat(Ai, static_cast<int64_t>(P), static_cast<int64_t>(K), "vote_i")}),
                        s.op("MatMul", {neg, s.mat(Aj, static_cast<int64_t>(P), static_cast<int64_t>(K), "vote_j")})});
  };
  if (!svm.prob_a.empty() && svm.coupling != ir::SvmCoupling::Libsvm) {
    // kernlab: each pair's 1 - .SigmoidPredict(-dec, A, -B), not clamped, coupled by minpair.
    std::string f =
        s.op("Neg", {s.op("Add", {s.op("Mul", {dec, s.vec(svm.prob_a, "prob_a")}), s.vec(svm.prob_b, "prob_b")})});
    std::string ef = s.op("Exp", {s.op("Neg", {f})});
    std::string sig =
        s.op("Where", {s.op("GreaterOrEqual", {f, s.k(0.0)}), s.op("Div", {ef, s.op("Add", {s.k(1.0), ef})}),
                       s.op("Div", {s.k(1.0), s.op("Add", {s.k(1.0), s.op("Exp", {f})})})});
    std::string r = s.op("Sub", {s.k(1.0), sig});
    prob_lib = s.op("Concat", minpair(s, r, K), {attr_int("axis", 1)});
    std::string idx;
    if (svm.coupling == ir::SvmCoupling::Kernlab) {
      idx = s.op("ArgMax", {vote_count()}, {attr_int("axis", 1), attr_int("keepdims", 0)});
    } else {
      // caret: the class from kernlab's probabilities; negative ones set to 0, the row renormalized.
      idx = s.op("ArgMax", {prob_lib}, {attr_int("axis", 1), attr_int("keepdims", 0)});
      std::string clamped = s.op("Max", {prob_lib, s.k(0.0)});
      std::string sum = s.op("ReduceSum", {clamped, s.ints({1})}, {attr_int("keepdims", 1)});
      std::string negative =
          s.op("Less", {s.op("ReduceMin", {prob_lib}, {attr_ints("axes", {1}), attr_int("keepdims", 1)}), s.k(0.0)});
      prob_lib = s.op("Where", {negative, s.op("Div", {clamped, sum}), prob_lib});
    }
    std::string prob = s.op("Gather", {prob_lib, s.ints(to_lib)}, {attr_int("axis", 1)});
    s.class_outputs(prob, idx, lib_labels, missing);
    return;
  }
  if (svm.prob_a.empty()) {
    std::string votes = vote_count();
    prob_lib = s.op("Div", {votes, s.k(static_cast<double>(P))});
    std::string idx = s.op("ArgMax", {votes}, {attr_int("axis", 1), attr_int("keepdims", 0)});
    std::string prob = s.op("Gather", {prob_lib, s.ints(to_lib)}, {attr_int("axis", 1)});
    s.class_outputs(prob, idx, lib_labels, missing);
    return;
  }
  std::string f = s.op("Add", {s.op("Mul", {dec, s.vec(svm.prob_a, "prob_a")}), s.vec(svm.prob_b, "prob_b")});
  std::string ef = s.op("Exp", {s.op("Neg", {f})});
  std::string sig =
      s.op("Where", {s.op("GreaterOrEqual", {f, s.k(0.0)}), s.op("Div", {ef, s.op("Add", {s.k(1.0), ef})}),
                     s.op("Div", {s.k(1.0), s.op("Add", {s.k(1.0), s.op("Exp", {f})})})});
  std::string r = s.op("Min", {s.op("Max", {sig, s.k(1e-7)}), s.k(1 - 1e-7)});
  if (K == 2) {
    prob_lib = s.op("Concat", {r, s.op("Sub", {s.k(1.0), r})}, {attr_int("axis", 1)});
  } else {
    std::vector<std::vector<std::string>> R(K, std::vector<std::string>(K));
    p = 0;
    for (size_t i = 0; i < K; ++i)
      for (size_t j = i + 1; j < K; ++j, ++p) {
        R[i][j] = s.col(r, static_cast<int64_t>(p));
        R[j][i] = s.op("Sub", {s.k(1.0), R[i][j]});
      }
    prob_lib = s.op("Concat", couple(s, R, K), {attr_int("axis", 1)});
  }
  std::string idx = s.op("ArgMax", {prob_lib}, {attr_int("axis", 1), attr_int("keepdims", 0)});
  std::string prob = s.op("Gather", {prob_lib, s.ints(to_lib)}, {attr_int("axis", 1)});
  s.class_outputs(prob, idx, lib_labels, missing);
}

// ---------------------------------------------------------------- naive Bayes
void write_bayes(G& s, const ir::NaiveBayes& nb, Warnings& warnings) {
  const int64_t F = s.F, K = static_cast<int64_t>(nb.log_prior.size());
  for (size_t i = 0; i < nb.sd.size() && i < nb.mean.size(); ++i)
    if (std::isnan(nb.sd[i]) || std::isnan(nb.mean[i]))
      throw Unsupported("", "estimator",
                        "unsupported: a naive Bayes class without a standard deviation (R's sd NA: one training "
                        "row), whose R class skips the NA score");
  if (nb.precision == ir::Precision::Float32)
    warnings.push_back(
        {"float32-arithmetic",
         "the source's float32 GaussianNB graph (onnxruntime's float32 arithmetic and feature-sum order) is written "
         "in double: probabilities differ by about 1e-6 relative"});
  s.param("log_prior", nb.log_prior);
  s.param("gaussian", std::vector<double>(nb.gaussian.begin(), nb.gaussian.end()));
  s.param("mean", nb.mean);
  s.param("sd", nb.sd);
  s.param_ints("table_offset", nb.table_offset);
  s.param_ints("table_levels", nb.table_levels);
  s.param("table", nb.table);
  s.param("limits", {nb.min_probability, nb.min_sd, nb.eps});
  const double k1 = 0.398942280401432677939946059934;
  const double cutoff = std::sqrt(-2 * M_LN2 * (DBL_MIN_EXP + 1 - DBL_MANT_DIG));
  std::string sum;
  bool table = false;
  for (int64_t f = 0; f < F; ++f) {
    std::string x = s.col(s.X, f);
    std::string term;
    if (nb.gaussian[f]) {
      std::vector<double> mu(K), sd(K);
      for (int64_t c = 0; c < K; ++c) {
        mu[c] = nb.mean[c * F + f];
        sd[c] = nb.sd[c * F + f] <= nb.eps ? nb.min_sd : nb.sd[c * F + f];
      }
      std::string sdv = s.vec(sd, "sd");
      std::string a = s.op("Abs", {s.op("Div", {s.op("Sub", {x, s.vec(mu, "mean")}), sdv})});
      std::string near =
          s.op("Div", {s.op("Mul", {s.k(k1), s.op("Exp", {s.op("Mul", {s.op("Mul", {s.k(-0.5), a}), a})})}), sdv});
      std::string x1 = s.op("Div", {s.op("Round", {s.op("Mul", {a, s.k(65536.0)})}), s.k(65536.0)});
      std::string x2 = s.op("Sub", {a, x1});
      std::string far = s.op(
          "Mul", {s.op("Div", {s.k(k1), sdv}),
                  s.op("Mul", {s.op("Exp", {s.op("Mul", {s.op("Mul", {s.k(-0.5), x1}), x1})}),
                               s.op("Exp", {s.op("Mul", {s.op("Sub", {s.op("Mul", {s.k(-0.5), x2}), x1}), x2})})})});
      std::string dens = s.op("Where", {s.op("Less", {a, s.k(5.0)}), near,
                                        s.op("Where", {s.op("Greater", {a, s.k(cutoff)}), s.k(0.0), far})});
      std::string pv = s.op("Where", {s.op("LessOrEqual", {dens, s.k(nb.eps)}), s.k(nb.min_probability), dens});
      term = s.op("Where", {s.op("IsNaN", {x}), s.k(0.0), s.op("Log", {pv})});
    } else {
      table = true;
      const int64_t L = nb.table_levels[f];
      std::vector<double> logt(static_cast<size_t>((L + 1) * K), 0.0);  // row L: a missing level adds 0
      for (int64_t c = 0; c < K; ++c)
        for (int64_t l = 0; l < L; ++l) {
          double v = nb.table[nb.table_offset[f] + c * L + l];
          if (v <= nb.eps) v = nb.min_probability;
          logt[l * K + c] = std::log(v);
        }
      std::string code = s.op("Cast", {s.op("Where", {s.op("IsNaN", {x}), s.k(static_cast<double>(L)), x})},
                              {attr_int("to", onnx::TensorProto::INT64)});
      std::string rows = s.op("Gather", {s.mat(logt, L + 1, K, "log_table"), code}, {attr_int("axis", 0)});
      term = s.op("Reshape", {rows, s.ints({-1, K})});
    }
    sum = sum.empty() ? term : s.op("Add", {sum, term});
  }
  std::string sc = s.op("Add", {s.vec(nb.log_prior, "log_prior"), sum});
  std::string diff = s.op("Sub", {s.op("Unsqueeze", {sc, s.ints({1})}), s.op("Unsqueeze", {sc, s.ints({2})})});
  std::string prob =
      s.op("Reciprocal", {s.op("ReduceSum", {s.op("Exp", {diff}), s.ints({2})}, {attr_int("keepdims", 0)})});
  if (nb.min_probability <= 0) {
    // A zero probability left in place (threshold 0) makes a class's score -Inf, and
    // exp(-Inf - -Inf) NaN: that class's probability is 0 unless every class's score is -Inf.
    std::string ninf = s.op("IsInf", {sc}, {attr_int("detect_positive", 0)});
    std::string top = s.op("ReduceMax", {sc}, {attr_ints("axes", {1}), attr_int("keepdims", 1)});
    std::string zero = s.op("And", {ninf, s.op("Not", {s.op("IsInf", {top}, {attr_int("detect_positive", 0)})})});
    prob = s.op("Where", {zero, s.k(0.0), prob});
  }
  std::string idx = s.op("ArgMax", {sc}, {attr_int("axis", 1), attr_int("keepdims", 0)});
  s.class_outputs(prob, idx, s.m.schema.target.classes, s.any_nan_rows(sc));
  if (table)
    warnings.push_back(
        {"unseen-level-skipped",
         "ONNX cannot raise an error at scoring time: an unseen level of a naive Bayes predictor is left "
         "out of the sum like a missing value"});
}

// ---------------------------------------------------------------- k-means
void write_clustering(G& s, const ir::Clustering& cl) {
  const int64_t F = s.F, k = cl.k;
  s.param("centers", cl.centers);
  const std::string C = s.mat(cl.centers, k, F, "centers");
  std::string Ct = s.op("Transpose", {C}, {attr_ints("perm", {1, 0})});
  std::string acc;
  for (int64_t f = 0; f < F; ++f) {
    std::string d = s.op("Sub", {s.col(s.X, f), s.op("Slice", {Ct, s.ints({f}), s.ints({f + 1}), s.ints({0})})});
    std::string sq = s.op("Mul", {d, d});
    acc = acc.empty() ? sq : s.op("Add", {acc, sq});
  }
  std::string idx = s.op("ArgMin", {acc}, {attr_int("axis", 1), attr_int("keepdims", 0)});
  s.class_outputs("", idx, s.m.schema.target.classes, s.any_nan_rows(acc), "cluster");
  s.op("Identity", {acc}, {}, "distances");
  value_info(s.g->add_output(), "distances", kDoubleT, {"N", std::to_string(k)});
}

}  // namespace

// ---------------------------------------------------------------- SVM operator (float32)
namespace {
onnx::AttributeProto floats32(const std::string& name, const std::vector<double>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOATS);
  for (double x : v) a.add_floats(static_cast<float>(x));
  return a;
}

// skl2onnx's graph of scikit-learn's one-vs-rest decision_function (ir::ScoreLayout::OneVsRest)
// on the float32 pairwise decision values `d` ([N, K(K-1)/2]), operator for operator as skl2onnx
// 1.14 writes it (the reader's OvrMatcher): per pair p = (i, j) the confidence -d_p and the
// prediction d_p < 0 as ArrayFeatureExtractor columns, class i's terms d_p = Neg(-d_p) and
// 1 - prediction, class j's -d_p and the prediction, one Sum per class in pair order, then
// votes + sums / ((|sums| + 1) * 3), all in float32.  Returns the [N, K] scores.
std::string write_ovr_scores(Emitter& e, const std::string& d, size_t K) {
  const std::string zero = e.constant(tensor_float({0}, {}), "ovr/zero");
  const std::string one = e.constant(tensor_float({1}, {}), "ovr/one");
  const std::string three = e.constant(tensor_float({3}, {}), "ovr/three");
  const std::string pred = e.node("Cast", {e.node("Less", {d, zero})}, {attr_int("to", onnx::TensorProto::FLOAT)});
  const std::string conf = e.node("Neg", {d});
  std::vector<std::vector<std::string>> sums(K), votes(K);
  int64_t p = 0;
  for (size_t i = 0; i < K; ++i)
    for (size_t j = i + 1; j < K; ++j, ++p) {
      const std::string idx = e.constant(tensor_int64({p}, {}), "ovr/pair");
      const std::string c = e.node("ArrayFeatureExtractor", {conf, idx}, {}, "ai.onnx.ml");
      sums[i].push_back(e.node("Neg", {c}));
      sums[j].push_back(c);
      const std::string v = e.node("ArrayFeatureExtractor", {pred, idx}, {}, "ai.onnx.ml");
      votes[j].push_back(v);
      votes[i].push_back(e.node("Add", {e.node("Neg", {v}), one}));
    }
  std::vector<std::string> sum_cols, vote_cols;
  for (size_t c = 0; c < K; ++c) {
    sum_cols.push_back(e.node("Sum", sums[c]));
    vote_cols.push_back(e.node("Sum", votes[c]));
  }
  const std::string s = e.node("Concat", sum_cols, {attr_int("axis", 1)});
  const std::string v = e.node("Concat", vote_cols, {attr_int("axis", 1)});
  const std::string scale = e.node("Mul", {e.node("Add", {e.node("Abs", {s}), one}), three});
  return e.node("Add", {v, e.node("Div", {s, scale})});
}

}  // namespace

void write_svm_operator(const ir::Model& m, onnx::GraphProto* g, Emitter& e, const std::string& features,
                        Warnings& warnings) {
  const auto& svm = std::get<ir::Svm>(m.estimator);
  const auto& target = m.schema.target;
  const bool cls = target.task == ir::Task::Classification;
  if (target.task == ir::Task::Clustering) throw Error("", "target", "an svm cannot cluster");
  if (svm.one_vs_rest)
    throw Unsupported("", "estimator",
                      "unsupported: one-against-all support vector machines (SVMClassifier holds libsvm's pairwise "
                      "machines only)");
  if (!svm.output.plain() && !svm.output.operator_rules())
    throw Unsupported("", "estimator", "unsupported: an SVM output stage other than onnxruntime's SVMClassifier");
  if (cls && !svm.prob_a.empty() && svm.coupling != ir::SvmCoupling::Libsvm)
    throw Unsupported("", "estimator",
                      "unsupported with --precision float: SVMClassifier couples Platt probabilities as libsvm does "
                      "(clamped, iterative), not as kernlab's couple(\"minpair\") does; write it in double");
  const bool exact = svm.precision == ir::Precision::Float32 && svm.output.operator_rules();
  static const char* kKernels[] = {"LINEAR", "POLY", "RBF", "SIGMOID"};
  std::vector<onnx::AttributeProto> attrs;
  attrs.push_back(attr_string("kernel_type", kKernels[static_cast<int>(svm.kernel)]));
  attrs.push_back(floats32("kernel_params", {svm.gamma, svm.coef0, svm.degree}));
  attrs.push_back(floats32("support_vectors", svm.support_vectors));
  attrs.push_back(attr_string("post_transform", "NONE"));
  const std::string x32 = e.node("Cast", {features}, {attr_int("to", onnx::TensorProto::FLOAT)});
  // A row with a missing feature predicts a missing value, as the model's own evaluation does.
  const std::string missing =
      e.node("IsNaN",
             {e.node("ReduceSum", {features, e.constant(tensor_int64({1}, {1}), "axes")}, {attr_int("keepdims", 0)})});
  const std::string nan = e.scalar(kNaN);
  std::string what;
  if (!cls) {
    // (sum coef K - rho) * scale + center as the operator's sum coef K + rho.
    std::vector<double> coef = svm.coefficients;
    for (double& c : coef) c *= svm.scale;
    attrs.push_back(floats32("coefficients", coef));
    attrs.push_back(floats32("rho", {svm.center - svm.rho[0] * svm.scale}));
    attrs.push_back(attr_int("n_supports", svm.n_sv));
    attrs.push_back(attr_int("one_class", 0));
    const std::string y = e.node("SVMRegressor", {x32}, std::move(attrs), "ai.onnx.ml", "svm/prediction");
    const std::string y64 = e.node("Cast", {y}, {attr_int("to", kDoubleT)});
    e.node("Where", {e.node("Unsqueeze", {missing, e.constant(tensor_int64({1}, {1}), "axes")}), nan, y64}, {}, "",
           "prediction");
    value_info(g->add_output(), "prediction", kDoubleT, {"N", "1"});
    what = "one ai.onnx.ml SVMRegressor: kernel values and their weighted sum";
    if (svm.scale != 1 || svm.center != 0) what += " (the response scaling folded into the coefficients and rho)";
  } else {
    const size_t K = svm.sv_per_class.size();
    const bool ovr = svm.output.layout == ir::ScoreLayout::OneVsRest;
    if (svm.prob_a.empty() && K > 3 && !ovr)
      throw Unsupported("", "estimator",
                        fmt::format("unsupported with --precision float: an SVMClassifier without Platt parameters "
                                    "outputs its {} pairwise decision values, more than the {} class columns hold",
                                    K * (K - 1) / 2, K));
    std::vector<std::string> lib_labels;
    std::vector<int64_t> to_lib(K);  // model class -> libsvm index
    bool identity = true;
    for (size_t i = 0; i < K; ++i) {
      lib_labels.push_back(target.classes[svm.class_order[i]]);
      to_lib[svm.class_order[i]] = static_cast<int64_t>(i);
      identity &= svm.class_order[i] == static_cast<int32_t>(i);
    }
    if (svm.prob_a.empty() && !identity)
      throw Unsupported("", "estimator",
                        "unsupported with --precision float: an SVMClassifier without Platt parameters whose libsvm "
                        "class order is not the model's (its decision-value columns follow libsvm's pairs)");
    std::vector<double> rho;
    for (double r : svm.rho) rho.push_back(-r);  // the operator adds rho
    attrs.push_back(attr_strings("classlabels_strings", lib_labels));
    attrs.push_back(
        attr_ints("vectors_per_class", std::vector<int64_t>(svm.sv_per_class.begin(), svm.sv_per_class.end())));
    attrs.push_back(floats32("coefficients", svm.coefficients));
    attrs.push_back(floats32("rho", rho));
    if (!svm.prob_a.empty()) {
      attrs.push_back(floats32("prob_a", svm.prob_a));
      attrs.push_back(floats32("prob_b", svm.prob_b));
    }
    const std::string label = e.node("SVMClassifier", {x32}, std::move(attrs), "ai.onnx.ml", "svm/label");
    g->mutable_node(g->node_size() - 1)->add_output("svm/scores");
    std::string scores = "svm/scores";
    if (!identity)  // the operator's columns follow libsvm's class order
      scores = e.node("Gather", {scores, e.constant(tensor_int64(to_lib, {static_cast<int64_t>(K)}), "class_columns")},
                      {attr_int("axis", 1)});
    if (ovr) scores = write_ovr_scores(e, scores, K);
    const std::string p64 = e.node("Cast", {scores}, {attr_int("to", kDoubleT)});
    e.node("Where", {missing, e.constant(tensor_string({""}, {}), "empty"), label}, {}, "", "class");
    e.node("Where", {e.node("Unsqueeze", {missing, e.constant(tensor_int64({1}, {1}), "axes")}), nan, p64}, {}, "",
           "probabilities");
    value_info(g->add_output(), "class", onnx::TensorProto::STRING, {"N"});
    value_info(g->add_output(), "probabilities", kDoubleT, {"N", std::to_string(K)});
    what = "one ai.onnx.ml SVMClassifier: kernel values, pairwise decision values";
    if (!svm.prob_a.empty()) {
      what += ", Platt probabilities and their pairwise coupling";
      if (!svm.output.operator_rules())
        warnings.push_back(
            {"onnxruntime-svm-rules",
             "SVMClassifier labels a row by its most pairwise votes, not by its largest probability as libsvm does, "
             "and couples the pairwise probabilities iteratively also for two classes (libsvm takes the pair's "
             "probability as it is); the written file follows onnxruntime's rules"});
    } else if (ovr) {
      what += ", scikit-learn's one-vs-rest decision scores (skl2onnx's graph of them)";
    } else if (svm.output.layout != ir::ScoreLayout::Decisions) {
      warnings.push_back(
          {"svm-decision-values",
           "without Platt parameters SVMClassifier outputs the pairwise decision values, not the vote shares: the "
           "written file's probability columns hold them ([-f, f] for two classes, pairs (0,1), (0,2), (1,2) for "
           "three); the label is the same vote"});
    }
  }
  if (!exact)
    warnings.push_back(
        {"float32-arithmetic",
         "--precision float: the SVM is " + what +
             ", all computed by onnxruntime in float32 from float32 support vectors, coefficients, rho and kernel "
             "parameters; the check below measures what float32 costs"});
}

bool is_family(const ir::Estimator& e) {
  return std::holds_alternative<ir::Svm>(e) || std::holds_alternative<ir::Mlp>(e) ||
         std::holds_alternative<ir::NaiveBayes>(e) || std::holds_alternative<ir::Clustering>(e);
}

void write_family(const ir::Model& m, onnx::GraphProto* g, Emitter& e, const std::string& features,
                  std::vector<std::pair<std::string, std::string>>& meta, Warnings& warnings, bool float_mode) {
  G s{m, g, e, features, static_cast<int>(m.features.size()), meta};
  const auto task = m.schema.target.task;
  if (auto* svm = std::get_if<ir::Svm>(&m.estimator)) {
    if (task == ir::Task::Clustering) throw Error("", "target", "an svm cannot cluster");
    if (svm->precision == ir::Precision::Float32)
      throw Unsupported("", "estimator", "unsupported: float32 support vectors");
    if (svm->one_vs_rest)
      throw Unsupported("", "estimator",
                        "unsupported: one-against-all support vector machines (the ONNX writer writes libsvm's "
                        "pairwise machines only)");
    write_svm(s, *svm);
  } else if (auto* net = std::get_if<ir::Mlp>(&m.estimator)) {
    if (task == ir::Task::Clustering) throw Error("", "target", "a network cannot cluster");
    const auto f32 = float_mode || net->precision == ir::Precision::Float32 ? float32_layers(*net, s.F) : std::nullopt;
    if (net->precision == ir::Precision::Float32) {
      if (!f32) throw Error("", "estimator", "float32 network weights on skip-layer connections");
      write_mlp(s, *f32);
    } else if (f32) {
      warnings.push_back(
          {"float32-narrowing",
           "--precision float: the network's weights and biases are rounded to float32 and every layer is "
           "computed by onnxruntime in float32 (MatMul, Add, activation); the check below measures what float32 "
           "costs"});
      write_mlp(s, *f32);
    } else {
      if (float_mode)
        warnings.push_back({"float32-inputs-only",
                            "--precision float: a network with skip-layer connections (nnet skip = TRUE) keeps double "
                            "weights and arithmetic; only continuous inputs are float32 tensors"});
      write_mlp(s, *net);
    }
  } else if (auto* nb = std::get_if<ir::NaiveBayes>(&m.estimator)) {
    if (task != ir::Task::Classification) throw Error("", "target", "naive Bayes must classify");
    write_bayes(s, *nb, warnings);
  } else if (auto* cl = std::get_if<ir::Clustering>(&m.estimator)) {
    if (task != ir::Task::Clustering) throw Error("", "target", "cluster centres for a model that does not cluster");
    write_clustering(s, *cl);
  }
}

}  // namespace mb::onnxfmt
