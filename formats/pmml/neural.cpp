// NeuralNetwork <-> ir::Mlp.
//
// Reading: NeuralInputs become features (a NeuralInput's DerivedField is its expression), every
// Neuron a unit of the IR's connection-list form in document order (unit 0 the bias, 1..F the
// inputs): its bias first, then its connections in order, then the layer's activation (identity,
// logistic, tanh, rectifier; threshold only inside the clamp pattern below).  A softmax or
// simplemax normalization of the last layer becomes the score transform; NeuralOutputs map
// output neurons to the target (FieldRef) or to its categories (NormDiscrete), in class order.
//
// Writing: the units are laid out in layers in unit order (a new layer when the activation
// changes or a unit reads a unit of the current layer); connections may skip layers (nnet's
// skip-layer networks).  nnet's logistic is clamped (0 below -15, 1 above 15), PMML's is not:
// each clamped layer is written as three layers that compute it exactly -- identity (the sum s),
// threshold 15 (u = [s > 15], l = [-s > 15]) and logistic of s + 1000 u - 1000 l, which is
// exactly 1 or 0 when clamped and exactly logistic(s) otherwise -- and read back as the clamped
// unit.  A binary classifier's single probability output p gets a last identity layer with p
// and 1 - p.
#include <fmt/format.h>

#include <limits>

#include <cmath>
#include <map>

#include "formats/pmml/families.hpp"

namespace mb::pmml {
namespace detail {
namespace {

constexpr double kClampShift = 1000.0;

struct Unit {
  std::string act;  // PMML activation name
  double threshold = 0;
  std::vector<int32_t> src;  // IR unit index (0 bias, 1..F inputs)
  std::vector<double> w;
};

bool is_conn(const Unit& u, size_t i, int32_t src, double w) { return u.src[i] == src && u.w[i] == w; }

}  // namespace

void read_neural_network(ReadContext& ctx, const pugi::xml_node& mn) {
  ir::Model& m = ctx.model;
  const auto& loc = ctx.loc;
  const std::string model_act = mn.attribute("activationFunction") ? mn.attribute("activationFunction").value() : "";
  const double model_thr = loc.number_or(mn, "threshold", 0.0);
  std::map<std::string, int32_t> id_unit;
  for (auto ni : children(child(mn, "NeuralInputs"), "NeuralInput")) {
    const std::string id = loc.attr(ni, "id");
    const auto df = child(ni, "DerivedField");
    if (!df) ctx.fail(ni, "expected a DerivedField");
    auto ex = elements(df);
    ir::Expr e;
    std::string name = id;
    if (ex.size() == 1 && is(ex[0], "FieldRef")) {
      name = loc.attr(ex[0], "field");
      e = ctx.predictor_ref(name, ex[0]);
    } else {
      e = ctx.derived_expr(df);
    }
    m.features.push_back({name, std::move(e)});
    if (!id_unit.emplace(id, static_cast<int32_t>(m.features.size())).second)
      ctx.fail(ni, fmt::format("neuron id '{}' given twice", id));
  }
  const int32_t F = static_cast<int32_t>(m.features.size());
  if (F == 0) ctx.fail(mn, "expected NeuralInputs");
  std::vector<Unit> units(1 + F);  // bias and inputs: no connections
  const auto layers = children(mn, "NeuralLayer");
  if (layers.empty()) ctx.fail(mn, "expected NeuralLayer elements");
  std::string last_norm;
  size_t last_begin = 0;
  for (size_t li = 0; li < layers.size(); ++li) {
    const auto layer = layers[li];
    std::string act = layer.attribute("activationFunction") ? layer.attribute("activationFunction").value() : model_act;
    if (act.empty()) act = "logistic";
    if (act != "identity" && act != "logistic" && act != "tanh" && act != "rectifier" && act != "threshold")
      ctx.unsupported(layer, fmt::format("unsupported activationFunction '{}'", act));
    std::string norm = layer.attribute("normalizationMethod").value();
    if (norm.empty() && li + 1 == layers.size()) norm = mn.attribute("normalizationMethod").value();
    if (norm == "none") norm.clear();
    if (!norm.empty() && norm != "softmax" && norm != "simplemax")
      ctx.unsupported(layer, fmt::format("unsupported normalizationMethod '{}'", norm));
    if (!norm.empty() && li + 1 != layers.size())
      ctx.unsupported(layer, "unsupported: a normalization before the last layer");
    last_norm = norm;
    last_begin = units.size();
    for (auto neuron : children(layer, "Neuron")) {
      Unit u;
      u.act = act;
      u.threshold = loc.number_or(layer, "threshold", model_thr);
      if (neuron.attribute("bias")) {
        u.src.push_back(0);
        u.w.push_back(loc.number(neuron, "bias"));
      }
      for (auto con : children(neuron, "Con")) {
        auto it = id_unit.find(loc.attr(con, "from"));
        if (it == id_unit.end())
          ctx.fail(con,
                   fmt::format("connection from '{}', which is not an earlier neuron", con.attribute("from").value()));
        u.src.push_back(it->second);
        u.w.push_back(loc.number(con, "weight"));
      }
      if (!id_unit.emplace(loc.attr(neuron, "id"), static_cast<int32_t>(units.size())).second)
        ctx.fail(neuron, fmt::format("neuron id '{}' given twice", neuron.attribute("id").value()));
      units.push_back(std::move(u));
    }
  }
  // The clamp pattern: logistic(s*1 + u*1000 + l*(-1000)) with u, l threshold-15 units of s.
  std::vector<char> drop(units.size(), 0);
  std::vector<int32_t> consumers(units.size(), 0);
  for (const auto& u : units)
    for (int32_t s : u.src) ++consumers[s];
  std::vector<char> clamped(units.size(), 0);
  for (size_t j = 1 + F; j < units.size(); ++j) {
    Unit& h = units[j];
    if (h.act != "logistic" || h.src.size() != 4 || !is_conn(h, 0, 0, 0.0) || h.w[1] != 1.0 || h.w[2] != kClampShift ||
        h.w[3] != -kClampShift)
      continue;
    const int32_t s = h.src[1], up = h.src[2], lo = h.src[3];
    if (s <= F || up <= F || lo <= F) continue;
    const Unit &S = units[s], &U = units[up], &L = units[lo];
    if (S.act != "identity" || U.act != "threshold" || L.act != "threshold" || U.threshold != 15 || L.threshold != 15 ||
        U.src.size() != 2 || L.src.size() != 2 || !is_conn(U, 0, 0, 0.0) || !is_conn(U, 1, s, 1.0) ||
        !is_conn(L, 0, 0, 0.0) || !is_conn(L, 1, s, -1.0) || consumers[s] != 3 || consumers[up] != 1 ||
        consumers[lo] != 1)
      continue;
    h.src = S.src;
    h.w = S.w;
    clamped[j] = 1;
    drop[s] = drop[up] = drop[lo] = 1;
  }
  for (size_t j = 1 + F; j < units.size(); ++j)
    if (!drop[j] && units[j].act == "threshold")
      ctx.unsupported(mn, "unsupported: threshold activations (outside nnet's clamped logistic)");
  // Outputs.
  std::vector<std::pair<int, int32_t>> outs;  // (class or 0, unit)
  const bool cls = m.schema.target.task == ir::Task::Classification;
  for (auto no : children(child(mn, "NeuralOutputs"), "NeuralOutput")) {
    auto it = id_unit.find(loc.attr(no, "outputNeuron"));
    if (it == id_unit.end() || drop[it->second]) ctx.fail(no, "the output neuron is not a neuron of the network");
    const auto df = child(no, "DerivedField");
    auto ex = df ? elements(df) : std::vector<pugi::xml_node>{};
    if (ex.size() != 1) ctx.fail(no, "expected a DerivedField with one expression");
    if (cls) {
      if (!is(ex[0], "NormDiscrete")) ctx.fail(ex[0], "a classification output must be a NormDiscrete of the target");
      outs.push_back({target_class(ctx, ex[0], loc.attr(ex[0], "value")), it->second});
    } else {
      if (!is(ex[0], "FieldRef"))
        ctx.unsupported(ex[0],
                        "unsupported: a regression output other than a FieldRef of the target (denormalization)");
      outs.push_back({0, it->second});
    }
  }
  // A binary classifier written as 1 - p and p (an identity layer after p): read as p.
  bool binary = false;
  if (cls && outs.size() == 2 && last_norm.empty()) {
    int32_t a = -1, b = -1;
    for (auto [k, u] : outs) (k == 0 ? a : b) = u;
    const int32_t last = static_cast<int32_t>(units.size()) - 1;
    if (a >= 0 && b >= 0 && std::max(a, b) == last && std::min(a, b) == last - 1 && units[a].act == "identity" &&
        units[b].act == "identity" && units[a].src.size() == 2 && units[b].src.size() == 2 &&
        is_conn(units[a], 0, 0, 1.0) && is_conn(units[b], 0, 0, 0.0) && units[a].src[1] == units[b].src[1] &&
        units[a].w[1] == -1.0 && units[b].w[1] == 1.0 && units[a].src[1] == last - 2 && consumers[a] == 0 &&
        consumers[b] == 0 && consumers[last - 2] == 2) {
      drop[a] = drop[b] = 1;
      outs = {{1, last - 2}};
      binary = true;
    }
  }
  // Renumber the kept units.
  std::vector<int32_t> to(units.size(), -1);
  ir::Mlp mlp;
  int32_t next = 0;
  for (size_t j = 0; j < units.size(); ++j)
    if (!drop[j]) to[j] = next++;
  mlp.conn_offset.push_back(0);
  for (size_t j = 0; j < units.size(); ++j) {
    if (drop[j]) continue;
    const Unit& u = units[j];
    for (size_t i = 0; i < u.src.size(); ++i) {
      if (to[u.src[i]] < 0) ctx.fail(mn, "a connection to a unit of the clamp pattern");
      mlp.conn_source.push_back(to[u.src[i]]);
      mlp.conn_weights.push_back(u.w[i]);
    }
    mlp.conn_offset.push_back(static_cast<int32_t>(mlp.conn_source.size()));
    ir::Activation a = ir::Activation::Identity;
    if (u.act == "logistic") a = clamped[j] ? ir::Activation::LogisticClamped : ir::Activation::Logistic;
    else if (u.act == "tanh") a = ir::Activation::Tanh;
    else if (u.act == "rectifier") a = ir::Activation::Relu;
    mlp.unit_activation.push_back(j <= static_cast<size_t>(F) ? ir::Activation::Identity : a);
  }
  for (auto& o : outs) o.second = to[o.second];
  int32_t n_units = next;
  if (outs.empty()) ctx.fail(mn, "expected NeuralOutputs");
  if (!cls && outs.size() != 1) ctx.fail(mn, "a regression network with several outputs");
  const size_t K = binary ? 1 : cls ? m.schema.target.classes.size() : 1;
  std::vector<int32_t> unit_of(K, -1);
  if (binary) outs[0].first = 0;
  for (auto [k, u] : outs) {
    if (unit_of[k] >= 0) ctx.fail(mn, "two outputs for one target category");
    unit_of[k] = u;
  }
  for (size_t k = 0; k < K; ++k) {
    if (unit_of[k] >= 0) continue;
    // A category the network has no output for (RapidMiner lists MISSING_VALUE among the target's
    // values): probability 0, from a unit of the last layer's activation that is always 0
    // (logistic of a bias of -infinity; identity and rectifier of nothing).  Under softmax it
    // would not be 0, and tanh cannot give 0 for every row: refused.
    const ir::Activation last_act = mlp.unit_activation.back();
    if (binary || !cls || last_norm == "softmax" ||
        (last_act != ir::Activation::Logistic && last_act != ir::Activation::Identity &&
         last_act != ir::Activation::Relu))
      ctx.fail(mn, fmt::format("no output for category '{}'", m.schema.target.classes[k]));
    ctx.warn(
        "pmml-nn-category-without-output",
        fmt::format("the network has no output for category '{}': its probability is 0", m.schema.target.classes[k]));
    if (last_act == ir::Activation::Logistic) {
      mlp.conn_source.push_back(0);
      mlp.conn_weights.push_back(-std::numeric_limits<double>::infinity());
    }
    mlp.conn_offset.push_back(static_cast<int32_t>(mlp.conn_source.size()));
    mlp.unit_activation.push_back(last_act);
    unit_of[k] = n_units++;
  }
  bool in_place = true;
  for (size_t k = 0; k < K; ++k) in_place &= unit_of[k] == n_units - static_cast<int32_t>(K) + static_cast<int32_t>(k);
  if (!last_norm.empty()) {
    // The normalized layer must be the outputs, in class order.
    const int32_t first = to[last_begin];
    if (!in_place || first != n_units - static_cast<int32_t>(K))
      ctx.unsupported(mn, "unsupported: a normalized last layer that is not the outputs in class order");
    mlp.transform = last_norm == "softmax" ? ir::ScoreTransform::Softmax : ir::ScoreTransform::Normalize;
  } else if (!in_place) {
    for (size_t k = 0; k < K; ++k) {  // copy units: 0 + 1 * value
      mlp.conn_source.push_back(unit_of[k]);
      mlp.conn_weights.push_back(1.0);
      mlp.conn_offset.push_back(static_cast<int32_t>(mlp.conn_source.size()));
      mlp.unit_activation.push_back(ir::Activation::Identity);
    }
  }
  if (binary) mlp.transform = ir::ScoreTransform::Binary;
  mlp.n_outputs = static_cast<int32_t>(K);
  m.estimator = std::move(mlp);
  m.provenance.family = fmt::format("neural network ({} layers)", layers.size());
}

}  // namespace detail

std::string write_neural_network(const ir::Model& m, Warnings& warnings) {
  using namespace detail;
  const auto& net = std::get<ir::Mlp>(m.estimator);
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) refuse("a neural network cannot be a clustering model");
  const bool cls = task == ir::Task::Classification;
  if (net.precision == ir::Precision::Float32) refuse("float32 weights (PMML computes networks in double)");
  const int32_t F = static_cast<int32_t>(m.features.size());
  const int32_t n_out = net.n_outputs;
  const size_t K = cls ? m.schema.target.classes.size() : 1;
  // The connection-list form of the network (dense layers are converted to it).
  std::vector<int32_t> off, src;
  std::vector<double> wts;
  std::vector<ir::Activation> act;
  std::vector<char> layer_softmax;  // per unit: its layer ends in softmax
  if (!net.conn_offset.empty()) {
    off = net.conn_offset;
    src = net.conn_source;
    wts = net.conn_weights;
    act = net.unit_activation;
    layer_softmax.assign(act.size(), 0);
  } else {
    act.assign(1 + F, ir::Activation::Identity);
    layer_softmax.assign(1 + F, 0);
    off.assign(2 + F, 0);
    int32_t prev_begin = 1, in = F;
    for (size_t l = 0; l < net.layers.size(); ++l) {
      const auto& L = net.layers[l];
      const int32_t begin = static_cast<int32_t>(act.size());
      for (int32_t u = 0; u < L.n_units; ++u) {
        src.push_back(0);
        wts.push_back(L.biases[u]);
        for (int32_t i = 0; i < in; ++i) {
          src.push_back(prev_begin + i);
          wts.push_back(L.weights[static_cast<size_t>(u) * in + i]);
        }
        off.push_back(static_cast<int32_t>(src.size()));
        const bool sm = L.activation == ir::Activation::Softmax;
        act.push_back(sm ? ir::Activation::Identity : L.activation);
        layer_softmax.push_back(sm);
      }
      if (L.activation == ir::Activation::Softmax && l + 1 != net.layers.size())
        refuse("a softmax layer before the last layer");
      prev_begin = begin;
      in = L.n_units;
    }
  }
  const int32_t n_units = static_cast<int32_t>(act.size());
  if (static_cast<int32_t>(off.size()) != n_units + 1 || n_units < 1 + F + n_out) refuse("an inconsistent network");
  const bool softmax = net.transform == ir::ScoreTransform::Softmax || (n_units > 0 && layer_softmax[n_units - 1]);
  const bool simplemax = net.transform == ir::ScoreTransform::Normalize;
  const bool binary = net.transform == ir::ScoreTransform::Binary;
  if (cls && !binary && static_cast<size_t>(n_out) != K) refuse("outputs do not match the classes");
  if (!cls && (n_out != 1 || net.transform != ir::ScoreTransform::None))
    refuse("a regression network needs one plain output");
  // Layers: units in order, a new layer when the activation changes or a unit reads the current layer.
  std::vector<int32_t> layer_of(n_units, -1);
  std::vector<std::pair<int32_t, int32_t>> layers;  // [begin, end)
  for (int32_t j = 1 + F; j < n_units; ++j) {
    bool fresh = layers.empty() || act[j] != act[layers.back().first] || j == n_units - n_out;
    for (int32_t i = off[j]; i < off[j + 1] && !fresh; ++i) fresh = src[i] >= layers.back().first;
    if (fresh) layers.push_back({j, j});
    layers.back().second = j + 1;
    layer_of[j] = static_cast<int32_t>(layers.size()) - 1;
  }
  if (layers.empty()) refuse("a network without units");
  if ((softmax || simplemax) && layers.back().first != n_units - n_out)
    refuse("a normalization over units that are not the outputs");

  FamilyWriter w(m, warnings);
  auto mn = w.begin_model("NeuralNetwork", cls ? "classification" : "regression");
  mn.append_attribute("activationFunction") = "identity";
  auto nis = mn.append_child("NeuralInputs");
  nis.append_attribute("numberOfInputs") = static_cast<unsigned>(F);
  std::vector<std::string> id(n_units);
  for (int32_t f = 0; f < F; ++f) {
    id[1 + f] = fmt::format("0,{}", f + 1);
    auto ni = nis.append_child("NeuralInput");
    ni.append_attribute("id") = id[1 + f].c_str();
    auto df = ni.append_child("DerivedField");
    df.append_attribute("optype") = "continuous";
    df.append_attribute("dataType") = "double";
    df.append_child("FieldRef").append_attribute("field") = w.feature_fields[f].c_str();
  }
  int layer_no = 0;
  auto new_layer = [&](const char* activation, int n) {
    auto l = mn.append_child("NeuralLayer");
    ++layer_no;
    l.append_attribute("numberOfNeurons") = n;
    l.append_attribute("activationFunction") = activation;
    return l;
  };
  auto neuron = [&](pugi::xml_node layer, const std::string& nid, double bias) {
    auto n = layer.append_child("Neuron");
    n.append_attribute("id") = nid.c_str();
    n.append_attribute("bias") = format_double(bias).c_str();
    return n;
  };
  auto con = [&](pugi::xml_node n, const std::string& from, double weight) {
    auto c = n.append_child("Con");
    c.append_attribute("from") = from.c_str();
    c.append_attribute("weight") = format_double(weight).c_str();
  };
  // A unit's connections: the bias connection (source 0) first, as PMML's bias; every unit must
  // have it first or not at all for the sum to keep its order.
  // PMML wants a Con in every Neuron: a unit that reads nothing but its bias (a category without
  // an output, read from RapidMiner) reads the first input with weight 0.
  auto write_conns = [&](pugi::xml_node n, int32_t j) {
    bool any = false;
    for (int32_t i = off[j]; i < off[j + 1]; ++i) {
      if (src[i] == 0) {
        if (i != off[j]) refuse("a bias connection after other connections");
        continue;
      }
      con(n, id[src[i]], wts[i]);
      any = true;
    }
    if (!any) con(n, id[1], 0.0);
  };
  auto bias_of = [&](int32_t j) { return off[j + 1] > off[j] && src[off[j]] == 0 ? wts[off[j]] : 0.0; };
  for (const auto& [b, e] : layers) {
    const ir::Activation a = act[b];
    const char* name = nullptr;
    switch (a) {
      case ir::Activation::Identity: name = "identity"; break;
      case ir::Activation::Logistic: name = "logistic"; break;
      case ir::Activation::Tanh: name = "tanh"; break;
      case ir::Activation::Relu: name = "rectifier"; break;
      case ir::Activation::LogisticClamped: name = nullptr; break;
      case ir::Activation::Softmax: refuse("softmax as a unit activation");
    }
    const bool last = e == n_units;
    if (name) {
      auto l = new_layer(name, e - b);
      if (last && softmax) l.append_attribute("normalizationMethod") = "softmax";
      if (last && simplemax) l.append_attribute("normalizationMethod") = "simplemax";
      for (int32_t j = b; j < e; ++j) {
        id[j] = fmt::format("{},{}", layer_no, j - b + 1);
        write_conns(neuron(l, id[j], bias_of(j)), j);
      }
      continue;
    }
    if (last && (softmax || simplemax)) refuse("a normalization after clamped logistic units");
    // Clamped logistic: identity sums, threshold tests, logistic of the shifted sums.
    auto ls = new_layer("identity", e - b);
    std::vector<std::string> sid(e - b);
    for (int32_t j = b; j < e; ++j) {
      sid[j - b] = fmt::format("{},{}", layer_no, j - b + 1);
      write_conns(neuron(ls, sid[j - b], bias_of(j)), j);
    }
    auto lt = new_layer("threshold", 2 * (e - b));
    lt.append_attribute("threshold") = "15";
    std::vector<std::string> uid(e - b), lid(e - b);
    for (int32_t j = b; j < e; ++j) {
      uid[j - b] = fmt::format("{},{}", layer_no, 2 * (j - b) + 1);
      lid[j - b] = fmt::format("{},{}", layer_no, 2 * (j - b) + 2);
      con(neuron(lt, uid[j - b], 0.0), sid[j - b], 1.0);
      con(neuron(lt, lid[j - b], 0.0), sid[j - b], -1.0);
    }
    auto lh = new_layer("logistic", e - b);
    for (int32_t j = b; j < e; ++j) {
      id[j] = fmt::format("{},{}", layer_no, j - b + 1);
      auto n = neuron(lh, id[j], 0.0);
      con(n, sid[j - b], 1.0);
      con(n, uid[j - b], kClampShift);
      con(n, lid[j - b], -kClampShift);
    }
  }
  std::vector<std::string> out_ids;
  for (int32_t k = 0; k < n_out; ++k) out_ids.push_back(id[n_units - n_out + k]);
  if (binary) {  // p = P(classes[1]); a last layer with 1 - p and p
    auto l = new_layer("identity", 2);
    const std::string p = out_ids[0];
    out_ids = {fmt::format("{},1", layer_no), fmt::format("{},2", layer_no)};
    con(neuron(l, out_ids[0], 1.0), p, -1.0);
    con(neuron(l, out_ids[1], 0.0), p, 1.0);
  }
  auto nos = mn.append_child("NeuralOutputs");
  nos.append_attribute("numberOfOutputs") = static_cast<unsigned>(out_ids.size());
  for (size_t k = 0; k < out_ids.size(); ++k) {
    auto no = nos.append_child("NeuralOutput");
    no.append_attribute("outputNeuron") = out_ids[k].c_str();
    auto df = no.append_child("DerivedField");
    df.append_attribute("optype") = cls ? "categorical" : "continuous";
    df.append_attribute("dataType") = cls ? "string" : "double";
    if (cls) {
      auto nd = df.append_child("NormDiscrete");
      nd.append_attribute("field") = w.target_name.c_str();
      nd.append_attribute("value") = m.schema.target.classes[k].c_str();
    } else {
      df.append_child("FieldRef").append_attribute("field") = w.target_name.c_str();
    }
  }
  return w.text();
}

}  // namespace mb::pmml
