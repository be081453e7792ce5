// ONNX reader: parsing, graph inputs, and the translation of tensors into per-column
// expressions (preprocessing).  The estimator core and what follows it: read_linear.cpp.
#include "formats/onnx/reader.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include <algorithm>
#include <functional>
#include <map>

#include "formats/onnx/emitter.hpp"
#include "formats/onnx/functions.hpp"
#include "formats/onnx/onnx.hpp"
#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/validity.hpp"
#include "lib/util/errors.hpp"
#include "lib/util/limits.hpp"

namespace mb::onnxfmt {

using ir::Expr;
using ir::Op;
namespace {
const int kFloat = onnx::TensorProto::FLOAT;
const int kDouble = onnx::TensorProto::DOUBLE;

bool is_ml(const onnx::NodeProto& n) { return n.domain() == "ai.onnx.ml"; }
bool is_core(const onnx::NodeProto& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

template <typename T>
std::vector<double> from_raw(const std::string& raw) {
  std::vector<double> v(raw.size() / sizeof(T));
  for (size_t i = 0; i < v.size(); ++i) {
    T x;
    std::memcpy(&x, raw.data() + i * sizeof(T), sizeof(T));
    v[i] = static_cast<double>(x);
  }
  return v;
}
}  // namespace

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t attr_i(const onnx::NodeProto& n, const std::string& name, int64_t dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->i() : dflt;
}
std::string attr_s(const onnx::NodeProto& n, const std::string& name, const std::string& dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->s() : dflt;
}
std::vector<double> attr_floats(const onnx::NodeProto& n, const std::string& name) {
  std::vector<double> v;
  if (const auto* a = find_attr(n, name))
    for (float x : a->floats()) v.push_back(static_cast<double>(x));
  return v;
}
std::vector<int64_t> attr_ints_of(const onnx::NodeProto& n, const std::string& name) {
  std::vector<int64_t> v;
  if (const auto* a = find_attr(n, name)) v.assign(a->ints().begin(), a->ints().end());
  return v;
}
std::vector<std::string> attr_strings_of(const onnx::NodeProto& n, const std::string& name) {
  std::vector<std::string> v;
  if (const auto* a = find_attr(n, name)) v.assign(a->strings().begin(), a->strings().end());
  return v;
}

uint64_t tensor_elements(const onnx::TensorProto& t) {
  uint64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw Error("", "initializer '" + t.name() + "'", fmt::format("negative dimension {}", d));
    if (d != 0 && n > (uint64_t{1} << 62) / static_cast<uint64_t>(d))
      throw Error("", "initializer '" + t.name() + "'", "dimensions hold more elements than a file can");
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

namespace {
// The dims must account for the data exactly (a short raw_data is not padded).
template <typename V>
V checked(const onnx::TensorProto& t, V v) {
  const uint64_t want = tensor_elements(t);
  if (v.size() != want)
    throw Error("", "initializer '" + t.name() + "'",
                fmt::format("its dimensions hold {} elements, its data {}", want, v.size()));
  return v;
}
}  // namespace

std::vector<double> tensor_values(const onnx::TensorProto& t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw Unsupported("", "initializer '" + t.name() + "'", "unsupported: tensors stored in external files");
  const bool raw = t.has_raw_data();
  auto raw_of = [&](size_t size) {
    if (t.raw_data().size() % size != 0)
      throw Error(
          "", "initializer '" + t.name() + "'",
          fmt::format("raw data of {} bytes is not a whole number of {}-byte elements", t.raw_data().size(), size));
  };
  switch (t.data_type()) {
    case onnx::TensorProto::DOUBLE:
      if (raw) return raw_of(8), checked(t, from_raw<double>(t.raw_data()));
      return checked(t, std::vector<double>(t.double_data().begin(), t.double_data().end()));
    case onnx::TensorProto::FLOAT:
      if (raw) return raw_of(4), checked(t, from_raw<float>(t.raw_data()));
      return checked(t, std::vector<double>(t.float_data().begin(), t.float_data().end()));
    case onnx::TensorProto::INT64:
      if (raw) return raw_of(8), checked(t, from_raw<int64_t>(t.raw_data()));
      return checked(t, std::vector<double>(t.int64_data().begin(), t.int64_data().end()));
    case onnx::TensorProto::INT32:
      if (raw) return raw_of(4), checked(t, from_raw<int32_t>(t.raw_data()));
      return checked(t, std::vector<double>(t.int32_data().begin(), t.int32_data().end()));
    case onnx::TensorProto::INT16:
      if (raw) return raw_of(2), checked(t, from_raw<int16_t>(t.raw_data()));
      return checked(t, std::vector<double>(t.int32_data().begin(), t.int32_data().end()));
    case onnx::TensorProto::INT8:
      if (raw) return raw_of(1), checked(t, from_raw<int8_t>(t.raw_data()));
      return checked(t, std::vector<double>(t.int32_data().begin(), t.int32_data().end()));
    default:
      throw Unsupported("", "initializer '" + t.name() + "'",
                        fmt::format("unsupported tensor element type {}", t.data_type()));
  }
}

std::vector<std::string> tensor_strings(const onnx::TensorProto& t) {
  if (t.data_type() == onnx::TensorProto::STRING)
    return checked(t, std::vector<std::string>(t.string_data().begin(), t.string_data().end()));
  std::vector<std::string> s;
  for (double v : tensor_values(t)) s.push_back(fmt::format("{}", v));
  return s;
}

// The inputs an operator requires (its ONNX definition), for the operators the readers
// interpret; the readers index a node's inputs by position, so a node with fewer is refused
// before any of them looks.  Every node needs one output.
static int required_inputs(const std::string& op) {
  static const std::map<std::string, int, std::less<>> kRequired = {
      {"Add", 2},
      {"Sub", 2},
      {"Mul", 2},
      {"Div", 2},
      {"Pow", 2},
      {"MatMul", 2},
      {"Gemm", 2},
      {"Less", 2},
      {"LessOrEqual", 2},
      {"Greater", 2},
      {"GreaterOrEqual", 2},
      {"Equal", 2},
      {"And", 2},
      {"Or", 2},
      {"Gather", 2},
      {"Expand", 2},
      {"Reshape", 2},
      {"ArrayFeatureExtractor", 2},
      {"Where", 3},
      {"Constant", 0},
  };
  auto it = kRequired.find(op);
  return it == kRequired.end() ? 1 : it->second;
}

Reader::Reader(std::string_view bytes, const std::string& f) : file(f) {
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error(file, "", "not a valid ONNX model (protobuf ModelProto does not parse)");
  if (!model.has_graph()) throw Error(file, "", "ONNX model without a graph");
  g = &model.graph();
  for (int i = 0; i < g->node_size(); ++i) {
    const auto& nd = g->node(i);
    const int need = required_inputs(nd.op_type());
    if (nd.input_size() < need)
      fail_node(i, fmt::format("invalid model: {} needs {} input{}, the node has {}", nd.op_type(), need,
                               need == 1 ? "" : "s", nd.input_size()));
    if (nd.output_size() < 1) fail_node(i, "invalid model: the node has no output");
  }
  check_validity(model, file);
  for (const auto& t : g->initializer()) inits[t.name()] = &t;
  for (int i = 0; i < g->node_size(); ++i) {
    for (const auto& o : g->node(i).output()) producer[o] = i;
    for (const auto& in : g->node(i).input()) consumers[in].push_back(i);
  }
  for (const auto& p : model.metadata_props()) meta[p.key()] = p.value();
  for (const auto& fn : model.functions()) functions[fn.domain() + ":" + fn.name()] = &fn;
  check_graph_depth();
}

// The walks from the outputs back to the inputs recurse once per node on the way: the longest
// chain of producers is measured first (iteratively), and a cycle is refused.
void Reader::check_graph_depth() const {
  const int n = g->node_size();
  const uint64_t limit = limits::get(limits::Id::GraphDepth);
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<uint64_t> height(n, 1);
  std::vector<std::pair<int, int>> stack;  // (node, next input to look at)
  for (int start = 0; start < n; ++start) {
    if (state[start]) continue;
    stack.push_back({start, 0});
    state[start] = 1;
    while (!stack.empty()) {
      auto& [v, k] = stack.back();
      const auto& nd = g->node(v);
      if (k < nd.input_size()) {
        const std::string& in = nd.input(k++);
        auto p = producer.find(in);
        if (in.empty() || p == producer.end()) continue;
        const int u = p->second;
        if (state[u] == 1) fail_node(u, "the graph has a cycle through this node");
        if (state[u] == 0) {
          state[u] = 1;
          stack.push_back({u, 0});
        }
        continue;
      }
      for (const auto& in : nd.input()) {
        auto p = producer.find(in);
        if (!in.empty() && p != producer.end()) height[v] = std::max(height[v], height[p->second] + 1);
      }
      if (height[v] > limit)
        limits::exceeded(limits::Id::GraphDepth, file, node_place(v), fmt::format("a chain of {} nodes", height[v]));
      state[v] = 2;
      stack.pop_back();
    }
  }
}

std::string Reader::node_place(int n) const {
  const auto& nd = g->node(n);
  return fmt::format("graph node '{}' ({})", nd.name().empty() ? fmt::format("#{}", n) : nd.name(), nd.op_type());
}
void Reader::fail_node(int n, const std::string& msg) const { throw Error(file, node_place(n), msg); }
void Reader::fail(const std::string& place, const std::string& msg) const { throw Error(file, place, msg); }
void Reader::unsupported_node(int n, const std::string& msg) const { throw Unsupported(file, node_place(n), msg); }
void Reader::unsupported(const std::string& place, const std::string& msg) const {
  throw Unsupported(file, place, msg);
}

void Reader::make_inputs() {
  for (const auto& in : g->input()) {
    if (inits.count(in.name())) continue;
    const std::string place = "graph input '" + in.name() + "'";
    if (!in.type().has_tensor_type()) fail(place, "only tensor inputs are supported");
    const auto& tt = in.type().tensor_type();
    const int elem = tt.elem_type();
    int64_t cols = 1;
    if (tt.shape().dim_size() == 2) {
      const auto& d = tt.shape().dim(1);
      if (!d.has_dim_value()) fail(place, "the number of columns (second dimension) is not fixed");
      cols = d.dim_value();
      if (cols < 1)
        fail(place, fmt::format("the number of columns (second dimension) is {}; expected at least 1", cols));
      if (static_cast<uint64_t>(cols) > limits::get(limits::Id::Columns))
        limits::exceeded(limits::Id::Columns, file, place, fmt::format("an input of {} columns", cols));
    } else if (tt.shape().dim_size() > 2) {
      unsupported(place, "unsupported: inputs of rank above 2");
    }
    auto& fields = input_fields[in.name()];
    for (int64_t j = 0; j < cols; ++j) {
      ir::InputField f;
      f.name = cols == 1 ? in.name() : fmt::format("{}_{}", in.name(), j);
      f.positional = cols > 1;
      if (elem == onnx::TensorProto::STRING) {
        f.kind = meta.count(kMetaOrdinal + in.name()) ? ir::FieldKind::Ordinal : ir::FieldKind::Categorical;
        if (cols != 1) fail(place, "string inputs must have one column");
      } else if (elem == kFloat) {
        f.cast = ir::Precision::Float32;
      } else if (elem != kDouble && elem != onnx::TensorProto::INT64 && elem != onnx::TensorProto::INT32) {
        unsupported(place, fmt::format("unsupported element type {}", elem));
      }
      fields.push_back(static_cast<int>(out.schema.inputs.size()));
      out.schema.inputs.push_back(std::move(f));
    }
    // Levels of a string input come from the LabelEncoder that reads it (even when unused).
    if (elem == onnx::TensorProto::STRING)
      for (const auto& nd : g->node())
        if (nd.op_type() == "LabelEncoder" && nd.input_size() == 1 && nd.input(0) == in.name() &&
            out.schema.inputs.back().levels.empty())
          for (auto& k : attr_strings_of(nd, "keys_strings"))
            if (!k.empty()) out.schema.inputs.back().levels.push_back(std::move(k));  // "" is a missing label
    if (cols > 1)
      out.provenance.warnings.push_back(
          {"positional-inputs", fmt::format("ONNX input '{}' holds {} unnamed columns, read as {}_0..{}_{}; "
                                            "they are bound to data columns by position",
                                            in.name(), cols, in.name(), in.name(), cols - 1)});
  }
}

Value Reader::code_as_number(const Value& v, int n) {
  auto& field = out.schema.inputs[v.field];
  const size_t K = field.levels.size();
  if (v.codes_of_level.size() != K) fail_node(n, "internal: the codes do not match the input's levels");
  std::vector<double> table(v.codes_of_level.begin(), v.codes_of_level.end());
  if (!field.open) {
    // Every label outside the list gets the default: an open domain whose "other" level is last.
    std::string other = "(other)";
    while (std::find(field.levels.begin(), field.levels.end(), other) != field.levels.end()) other += "*";
    field.levels.push_back(other);
    field.open = true;
  }
  table.push_back(static_cast<double>(v.default_code));
  Value r;
  r.rank = v.rank;
  r.elem = onnx::TensorProto::INT64;
  r.cols = {Expr::level_map(v.field, table)};
  return r;
}

Value Reader::constant_value(const onnx::TensorProto& t, int node_for_errors) {
  Value v;
  v.constant = true;
  v.dims.assign(t.dims().begin(), t.dims().end());
  v.rank = static_cast<int>(v.dims.size());
  v.elem = t.data_type();
  std::vector<double> vals;
  try {
    vals = tensor_values(t);
  } catch (const Error& e) {
    if (node_for_errors >= 0) fail_node(node_for_errors, e.message());
    throw e.with_file(file);
  }
  for (double x : vals) v.cols.push_back(Expr::constant(x));
  return v;
}

std::vector<double> Reader::const_values(const std::string& name, int n) {
  auto it = inits.find(name);
  if (it != inits.end()) return tensor_values(*it->second);
  auto p = producer.find(name);
  if (p != producer.end() && node(p->second).op_type() == "Constant") {
    const auto* a = find_attr(node(p->second), "value");
    if (a) return tensor_values(a->t());
  }
  fail_node(n, "input '" + name + "' must be a constant");
}

Value Reader::value(const std::string& name) {
  auto m = memo.find(name);
  if (m != memo.end()) return m->second;
  Value v;
  auto d = derived_index.find(name);
  if (d != derived_index.end() && d->second < static_cast<int>(out.derived.size())) {
    v.cols = {Expr::derived(d->second)};
  } else if (auto it = inits.find(name); it != inits.end()) {
    v = constant_value(*it->second, -1);
  } else if (auto f = input_fields.find(name); f != input_fields.end()) {
    const auto& field0 = out.schema.inputs[f->second[0]];
    if (field0.is_categorical()) {
      v.kind = Value::Str;
      v.field = f->second[0];
    } else {
      for (int i : f->second) v.cols.push_back(Expr::input(i));
      v.elem = field0.cast == ir::Precision::Float32 ? kFloat : kDouble;
    }
  } else if (auto p = producer.find(name); p != producer.end()) {
    const auto& nd = node(p->second);
    int k = 0;
    while (nd.output(k) != name) ++k;
    v = translate_node(p->second, k);
  } else {
    fail("value '" + name + "'", "no graph input, initializer or node produces it");
  }
  memo[name] = v;
  return v;
}

void Reader::check_function(const onnx::NodeProto& nd, int n) {
  auto it = functions.find(nd.domain() + ":" + nd.op_type());
  if (it == functions.end()) fail_node(n, "function of domain '" + nd.domain() + "' is not defined in the model");
  const std::string mine = build_function(nd.op_type()).SerializeAsString();
  if (it->second->SerializeAsString() != mine)
    fail_node(n, "function body differs from the modelbridge definition of '" + nd.op_type() + "'");
}

namespace {

// Elementwise over columns with broadcasting of one-column / one-element operands.
// Errors name node n of reader r.
Value elementwise(const std::vector<Value>& args, Op op, const Reader& r, int n_node) {
  auto fail = [&](const std::string& msg) { r.fail_node(n_node, msg); };
  size_t n = 1;
  for (const auto& a : args) {
    if (a.kind != Value::Num) r.unsupported_node(n_node, "unsupported: string operands");
    if (a.cols.size() != 1) {
      if (n != 1 && n != a.cols.size()) fail("operand widths do not broadcast");
      n = a.cols.size();
    }
  }
  Value v;
  v.constant = true;
  v.elem = args[0].elem;
  v.rank = 0;
  for (const auto& a : args) {
    v.constant &= a.constant;
    v.rank = std::max(v.rank, a.rank);
    if (!a.constant) v.elem = a.elem;
  }
  for (size_t j = 0; j < n; ++j) {
    std::vector<Expr> ops;
    for (const auto& a : args) ops.push_back(a.cols.size() == 1 ? a.cols[0] : a.cols[j]);
    v.cols.push_back(Expr::call(op, std::move(ops)));
  }
  if (v.constant) v.dims = {static_cast<int64_t>(n)};
  return v;
}

}  // namespace

Value Reader::translate_node(int n, int output_index) {
  const auto& nd = node(n);
  const std::string& op = nd.op_type();
  auto in = [&](int k) {
    if (k >= nd.input_size() || nd.input(k).empty()) fail_node(n, fmt::format("missing input {}", k));
    return value(nd.input(k));
  };
  auto num = [&](int k) {
    Value v = in(k);
    if (v.kind != Value::Num) fail_node(n, fmt::format("input {} must be numeric", k));
    return v;
  };
  auto unary = [&](Op o) { return elementwise({num(0)}, o, *this, n); };
  auto binary = [&](Op o) { return elementwise({num(0), num(1)}, o, *this, n); };
  if (output_index != 0 && op != "LinearClassifier") fail_node(n, "only the first output of this node can be used");

  if (is_core(nd)) {
    if (op == "Identity") return in(0);
    if (op == "Add") return binary(Op::Add);
    if (op == "Sub") return binary(Op::Sub);
    if (op == "Mul") return binary(Op::Mul);
    if (op == "Div") return binary(Op::Div);
    if (op == "Pow") return binary(Op::Pow);
    if (op == "Neg") return unary(Op::Neg);
    if (op == "Abs") return unary(Op::Abs);
    if (op == "Log") return unary(Op::Log);
    if (op == "Exp") return unary(Op::Exp);
    if (op == "Sqrt") return unary(Op::Sqrt);
    if (op == "Floor") return unary(Op::Floor);
    if (op == "Ceil") return unary(Op::Ceil);
    if (op == "Round") return unary(Op::Round);
    if (op == "Sin") return unary(Op::Sin);
    if (op == "Cos") return unary(Op::Cos);
    if (op == "Tanh") return unary(Op::Tanh);
    if (op == "Sigmoid") return unary(Op::Logistic);
    if (op == "Reciprocal")
      return elementwise({constant_value(tensor_double({1.0}, {}), n), num(0)}, Op::Div, *this, n);
    if (op == "Min" || op == "Max") {
      std::vector<Value> args;
      for (int k = 0; k < nd.input_size(); ++k) args.push_back(num(k));
      return elementwise(args, op == "Min" ? Op::Min : Op::Max, *this, n);
    }
    if (op == "Constant") {
      const auto* a = find_attr(nd, "value");
      if (!a) fail_node(n, "only Constant with a 'value' tensor is supported");
      return constant_value(a->t(), n);
    }
    if (op == "Cast") {
      Value v = in(0);
      const int to = static_cast<int>(attr_i(nd, "to", 0));
      if (v.kind != Value::Num) unsupported_node(n, "unsupported: casting strings");
      if (to == kFloat && v.elem != kFloat && !v.constant) {
        bool only_inputs = true;
        for (const auto& c : v.cols) only_inputs &= c.op == Op::Input;
        if (only_inputs) {
          for (const auto& c : v.cols) out.schema.inputs[c.index].cast = ir::Precision::Float32;
        } else {
          bool to_core = false;
          for (int c : consumers[nd.output(0)]) to_core |= c == core;
          if (!to_core)  // the rounding itself (a float32 core rounds its inputs anyway)
            for (auto& c : v.cols) c = Expr::unary(Op::Float32, std::move(c));
        }
      }
      if (to == kFloat || to == kDouble) v.elem = to;
      return v;
    }
    if (op == "Concat") {
      std::vector<Value> parts;
      for (int k = 0; k < nd.input_size(); ++k) parts.push_back(num(k));
      const int rank = parts[0].rank;
      int64_t axis = attr_i(nd, "axis", 1);
      if (axis < 0) axis += rank;
      if (axis != rank - 1) fail_node(n, "only concatenation along the last axis (columns) is supported");
      Value v;
      v.rank = rank;
      v.constant = true;
      v.elem = parts[0].elem;
      for (auto& p : parts) {
        v.constant &= p.constant;
        if (!p.constant) v.elem = p.elem;
        for (auto& c : p.cols) v.cols.push_back(std::move(c));
      }
      return v;
    }
    if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") {
      Value v = in(0);
      if (op == "Reshape") {
        const auto shape = const_values(nd.input(1), n);
        const bool ok = (shape.size() == 2 && (shape[1] == static_cast<double>(v.cols.size()) || shape[1] == -1) &&
                         (shape[0] == -1 || shape[0] == 0 || shape[1] == static_cast<double>(v.cols.size()))) ||
                        (shape.size() == 1 && v.cols.size() == 1);
        if (!ok) fail_node(n, "only reshapes to [N, columns] or [N] are supported");
        v.rank = static_cast<int>(shape.size());
      } else if (op == "Flatten") {
        v.rank = 2;
      }
      return v;
    }
    if (op == "Expand") {
      Value v = num(0);
      if (!v.constant || v.cols.size() != 1) fail_node(n, "only a constant scalar can be expanded");
      v.constant = false;
      v.rank = 2;
      return v;
    }
    if (op == "Where") {
      const auto& cn = nd.input(0);
      auto p = producer.find(cn);
      if (p == producer.end() || node(p->second).op_type() != "IsNaN")
        fail_node(n, "only Where(IsNaN(x), a, b) is supported");
      Value x = value(node(p->second).input(0));
      Value a = num(1), b = num(2);
      // Missing-value replacement of an input, as the writer emits it.
      if (x.cols.size() == 1 && x.cols[0].op == Op::Input && b.cols.size() == 1 && b.cols[0] == x.cols[0] &&
          a.constant && a.cols.size() == 1 && !out.schema.inputs[x.cols[0].index].missing_replacement) {
        out.schema.inputs[x.cols[0].index].missing_replacement = a.cols[0].value;
        return b;
      }
      Value miss = elementwise({x}, Op::IsMissing, *this, n);
      return elementwise({miss, a, b}, Op::IfElse, *this, n);
    }
    if (op == "Gather") {
      Value codes = in(1);
      if (codes.kind != Value::Code || attr_i(nd, "axis", 0) != 0)
        fail_node(n, "only Gather of a constant table by LabelEncoder codes is supported");
      const auto table = const_values(nd.input(0), n);
      auto& field = out.schema.inputs[codes.field];
      const size_t K = field.levels.size();
      auto entry = [&](int64_t code) {
        if (code < 0) code += static_cast<int64_t>(table.size());
        return (code >= 0 && code < static_cast<int64_t>(table.size())) ? table[code] : NAN;
      };
      std::vector<double> per_level(K, NAN);
      for (const auto& [code, level] : codes.level_of_code) per_level[level] = entry(code);
      const double dflt = entry(codes.default_code);
      if (!std::isnan(dflt)) {
        int match = -1;
        for (size_t k = 0; k < K; ++k)
          if (auto c = std::find_if(codes.level_of_code.begin(), codes.level_of_code.end(),
                                    [&](const auto& kv) { return kv.second == static_cast<int>(k); });
              c != codes.level_of_code.end() && c->first == codes.default_code)
            match = static_cast<int>(k);
        if (match < 0) unsupported_node(n, "unsupported: a default value that is not one of the levels");
        if (codes.missing_code && std::isnan(entry(*codes.missing_code))) {
          // Missing stays missing and every other label is one level: an open domain, whose
          // "other" level is the last.
          if (match != static_cast<int>(K) - 1)
            unsupported_node(n, "unsupported: labels outside the list coded as a level other than the last");
          field.open = true;
        } else if (codes.missing_code && entry(*codes.missing_code) != dflt) {
          unsupported_node(n, "unsupported: the empty label and other labels coded differently");
        } else {  // missing and other labels alike are this level: a missing-value replacement
          if (field.missing_replacement_label && *field.missing_replacement_label != field.levels[match])
            fail_node(n, "conflicting replacement labels for one input");
          field.missing_replacement_label = field.levels[match];
        }
      }
      Value v;
      v.rank = codes.rank;
      bool identity = true, onehot = true;
      int hot = -1;
      for (size_t k = 0; k < K; ++k) {
        identity &= per_level[k] == static_cast<double>(k);
        if (per_level[k] == 1.0) hot = hot == -1 ? static_cast<int>(k) : -2;  // -2: more than one 1
        else onehot &= per_level[k] == 0.0;
      }
      onehot &= hot >= 0;
      if (identity) v.cols = {Expr::input(codes.field)};
      else if (onehot) v.cols = {Expr::level_is(codes.field, hot)};
      else v.cols = {Expr::level_map(codes.field, per_level)};
      return v;
    }
  }
  if (is_ml(nd)) {
    if (op == "LabelEncoder" || op == "CategoryMapper") {
      Value s = in(0);
      std::vector<std::string> keys;
      std::vector<int64_t> vals;
      int64_t dflt = -1;
      if (op == "CategoryMapper") {
        keys = attr_strings_of(nd, "cats_strings");
        vals = attr_ints_of(nd, "cats_int64s");
        dflt = attr_i(nd, "default_int64", -1);
      } else {
        keys = attr_strings_of(nd, "keys_strings");
        vals = attr_ints_of(nd, "values_int64s");
        dflt = attr_i(nd, "default_int64", -1);
        // ai.onnx.ml opset 4: keys, values and default as tensors.
        if (const auto* a = find_attr(nd, "keys_tensor"); a && keys.empty()) {
          if (a->t().data_type() != onnx::TensorProto::STRING)
            unsupported_node(n, "unsupported: LabelEncoder keys other than strings");
          keys = tensor_strings(a->t());
        }
        auto whole_values = [&](const onnx::TensorProto& t, const char* what) {
          std::vector<int64_t> out;
          const int dt = t.data_type();
          if (dt == onnx::TensorProto::FLOAT || dt == onnx::TensorProto::DOUBLE || dt == onnx::TensorProto::STRING)
            fail_node(n, std::string("unsupported: LabelEncoder ") + what + " other than integers");
          for (double v : tensor_values(t)) {
            if (!(v >= -9.2e18 && v <= 9.2e18) || v != std::floor(v))
              fail_node(n, std::string("attribute '") + what + "' holds a value that is not a whole number");
            out.push_back(static_cast<int64_t>(v));
          }
          return out;
        };
        if (const auto* a = find_attr(nd, "values_tensor"); a && vals.empty())
          vals = whole_values(a->t(), "values_tensor");
        if (const auto* a = find_attr(nd, "default_tensor")) {
          const auto d = whole_values(a->t(), "default_tensor");
          if (d.size() != 1) fail_node(n, "attribute 'default_tensor' must hold one value");
          dflt = d[0];
        }
      }
      if (s.kind != Value::Str || keys.empty() || keys.size() != vals.size())
        fail_node(n, fmt::format("only string -> integer {} on a string input is supported (keys and values of equal "
                                 "length)",
                                 op));
      auto& field = out.schema.inputs[s.field];
      // The empty label is a missing value, not a level (modelbridge lists it to keep missing
      // apart from the "other" label of an open domain).
      std::vector<std::string> levels;
      std::vector<int64_t> codes;
      Value v;
      for (size_t k = 0; k < keys.size(); ++k) {
        if (keys[k].empty()) {
          v.missing_code = vals[k];
        } else {
          levels.push_back(keys[k]);
          codes.push_back(vals[k]);
        }
      }
      if (levels.empty()) fail_node(n, "a " + op + " without labels");
      if (field.levels.empty()) field.levels = levels;
      else if (field.levels != levels) fail_node(n, "the input's levels are already defined differently");
      v.kind = Value::Code;
      v.field = s.field;
      v.rank = s.rank;
      for (size_t k = 0; k < levels.size(); ++k) v.level_of_code[codes[k]] = static_cast<int>(k);
      v.default_code = dflt;
      v.distinct_codes =
          v.level_of_code.size() == levels.size() && !(v.missing_code && v.level_of_code.count(*v.missing_code));
      v.codes_of_level = codes;
      if (op == "LabelEncoder" && !v.distinct_codes) fail_node(n, "two labels share one code");
      out.unseen = ir::UnseenLevel::Missing;
      return v;
    }
    if (op == "Binarizer") {
      Value x = num(0);
      const auto* t = find_attr(nd, "threshold");
      const double thr = t ? static_cast<double>(t->f()) : 0.0;
      // x > threshold gives 1, anything else 0 (a NaN too, as onnxruntime compares).
      for (auto& c : x.cols)
        c = Expr::call(Op::Coalesce, {Expr::binary(Op::Gt, c, Expr::constant(thr)), Expr::constant(0.0)});
      return x;
    }
    if (op == "ArrayFeatureExtractor") {
      Value x = num(0);
      const auto idx = const_values(nd.input(1), n);
      Value v = x;
      v.cols.clear();
      for (double d : idx) {
        if (!(d >= 0 && d < static_cast<double>(x.cols.size())) || d != std::floor(d))
          fail_node(n, fmt::format("index {} out of range ({} columns)", d, x.cols.size()));
        v.cols.push_back(x.cols[static_cast<size_t>(d)]);
      }
      if (v.cols.empty()) fail_node(n, "no columns selected");
      v.constant = x.constant;
      return v;
    }
    if (op == "FeatureVectorizer") {
      const auto dims = attr_ints_of(nd, "inputdimensions");
      if (static_cast<int>(dims.size()) != nd.input_size())
        fail_node(
            n, fmt::format("attribute 'inputdimensions' has {} entries for {} inputs", dims.size(), nd.input_size()));
      Value v;
      v.elem = kFloat;
      v.constant = false;
      for (int k = 0; k < nd.input_size(); ++k) {
        Value x = num(k);
        if (dims[k] < 0 || dims[k] > (int64_t{1} << 24))
          fail_node(n, fmt::format("input dimension {} out of range", dims[k]));
        for (int64_t j = 0; j < dims[k]; ++j)
          v.cols.push_back(j < static_cast<int64_t>(x.cols.size()) ? x.cols[j] : Expr::constant(0.0));
      }
      if (v.cols.empty()) fail_node(n, "no columns");
      return v;
    }
    if (op == "Normalizer") {
      Value x = num(0);
      const std::string norm = attr_s(nd, "norm", "MAX");
      Expr total;
      if (norm == "L1" || norm == "L2") {
        for (size_t j = 0; j < x.cols.size(); ++j) {
          Expr t = norm == "L1" ? Expr::unary(Op::Abs, x.cols[j]) : Expr::binary(Op::Mul, x.cols[j], x.cols[j]);
          total = j == 0 ? t : Expr::binary(Op::Add, total, t);
        }
        if (norm == "L2") total = Expr::unary(Op::Sqrt, total);
      } else if (norm == "MAX") {
        total = x.cols.size() == 1 ? x.cols[0] : Expr::call(Op::Max, x.cols);
      } else {
        fail_node(n, "attribute 'norm' is '" + norm + "'; expected MAX, L1 or L2");
      }
      // onnxruntime leaves a row whose norm is 0 unchanged.
      for (auto& c : x.cols)
        c = Expr::call(Op::IfElse,
                       {Expr::binary(Op::Eq, total, Expr::constant(0.0)), c, Expr::binary(Op::Div, c, total)});
      out.provenance.warnings.push_back(
          {"float32-arithmetic", node_place(n) + ": onnxruntime normalizes in float32; evaluated in double here"});
      x.elem = kFloat;
      return x;
    }
    if (op == "OneHotEncoder" && !attr_ints_of(nd, "cats_int64s").empty()) {
      // Numbers: onnxruntime truncates the value to an integer and matches it against the
      // categories; with zeros = 1 any other value (a NaN too) gives a row of zeros.
      Value x = num(0);
      if (x.cols.size() != 1) unsupported_node(n, "unsupported: OneHotEncoder over several columns at once");
      if (attr_i(nd, "zeros", 1) == 0)
        unsupported_node(n, "unsupported: OneHotEncoder with zeros = 0 (onnxruntime fails on an unknown category)");
      Value v;
      v.rank = x.rank + 1;
      v.elem = kFloat;
      const Expr& e = x.cols[0];
      for (int64_t c : attr_ints_of(nd, "cats_int64s")) {
        const double d = static_cast<double>(c);
        // trunc(x) == c
        Expr hit = c > 0   ? Expr::binary(Op::And, Expr::binary(Op::Ge, e, Expr::constant(d)),
                                          Expr::binary(Op::Lt, e, Expr::constant(d + 1)))
                   : c < 0 ? Expr::binary(Op::And, Expr::binary(Op::Gt, e, Expr::constant(d - 1)),
                                          Expr::binary(Op::Le, e, Expr::constant(d)))
                           : Expr::binary(Op::And, Expr::binary(Op::Gt, e, Expr::constant(-1.0)),
                                          Expr::binary(Op::Lt, e, Expr::constant(1.0)));
        v.cols.push_back(Expr::call(Op::Coalesce, {std::move(hit), Expr::constant(0.0)}));
      }
      return v;
    }
    if (op == "OneHotEncoder") {
      Value s = in(0);
      const auto cats = attr_strings_of(nd, "cats_strings");
      if (s.kind != Value::Str || cats.empty())
        fail_node(n, "only OneHotEncoder with cats_strings on a string input is supported");
      auto& field = out.schema.inputs[s.field];
      if (field.levels.empty()) field.levels = cats;
      const bool zeros = attr_i(nd, "zeros", 1) != 0;
      Value v;
      v.rank = s.rank + 1;
      for (const auto& c : cats) {
        auto it = std::find(field.levels.begin(), field.levels.end(), c);
        if (it == field.levels.end()) fail_node(n, "category '" + c + "' is not a level of the input");
        Expr e = Expr::level_is(s.field, static_cast<int>(it - field.levels.begin()));
        v.cols.push_back(zeros ? Expr::call(Op::Coalesce, {e, Expr::constant(0.0)}) : e);
      }
      if (zeros) out.unseen = ir::UnseenLevel::Missing;
      return v;
    }
    if (op == "Imputer") {
      Value x = num(0);
      auto vals = attr_floats(nd, "imputed_value_floats");
      if (vals.empty())
        for (auto i : attr_ints_of(nd, "imputed_value_int64s")) vals.push_back(static_cast<double>(i));
      if (vals.size() != 1 && vals.size() != x.cols.size()) fail_node(n, "imputed values do not match the columns");
      const auto* rv = find_attr(nd, "replaced_value_float");
      const double replaced = rv ? rv->f() : 0.0;
      for (size_t j = 0; j < x.cols.size(); ++j) {
        Expr c = Expr::constant(vals.size() == 1 ? vals[0] : vals[j]);
        if (std::isnan(replaced)) x.cols[j] = Expr::call(Op::Coalesce, {x.cols[j], c});
        else
          x.cols[j] = Expr::call(Op::IfElse, {Expr::binary(Op::Eq, x.cols[j], Expr::constant(replaced)), c, x.cols[j]});
      }
      x.elem = kFloat;
      return x;
    }
    if (op == "Scaler") {
      Value x = num(0);
      const auto off = attr_floats(nd, "offset"), sc = attr_floats(nd, "scale");
      auto pick = [&](const std::vector<double>& a, size_t j, double d) {
        if (a.empty()) return d;
        if (a.size() == 1) return a[0];
        if (a.size() != x.cols.size()) fail_node(n, "offset/scale do not match the columns");
        return a[j];
      };
      // onnxruntime: (x - offset) * scale with float32 offset and scale, in the input's type, the
      // result stored as float32.
      const bool in_float = x.elem == kFloat;
      for (size_t j = 0; j < x.cols.size(); ++j) {
        Expr d = Expr::binary(Op::Sub, x.cols[j], Expr::constant(pick(off, j, 0.0)));
        if (in_float) d = Expr::unary(Op::Float32, std::move(d));
        x.cols[j] = Expr::unary(Op::Float32, Expr::binary(Op::Mul, std::move(d), Expr::constant(pick(sc, j, 1.0))));
      }
      x.elem = kFloat;
      return x;
    }
  }
  if (nd.domain() == kFunctionDomain && is_library_function(op)) {
    check_function(nd, n);
    static const std::map<std::string, Op> ops = {{"Lt", Op::Lt},         {"Le", Op::Le},
                                                  {"Gt", Op::Gt},         {"Ge", Op::Ge},
                                                  {"Eq", Op::Eq},         {"Ne", Op::Ne},
                                                  {"And", Op::And},       {"Or", Op::Or},
                                                  {"Not", Op::Not},       {"IsMissing", Op::IsMissing},
                                                  {"IfElse", Op::IfElse}, {"Coalesce", Op::Coalesce},
                                                  {"Erf", Op::Erf},       {"Tan", Op::Tan},
                                                  {"Atan", Op::Atan},     {"Log10", Op::Log10}};
    auto it = ops.find(op);
    if (it != ops.end()) {
      std::vector<Value> args;
      for (int k = 0; k < nd.input_size(); ++k) args.push_back(num(k));
      Value v = elementwise(args, it->second, *this, n);
      // Coalesce chains written pairwise read back as one variadic call.
      for (auto& c : v.cols)
        if (c.op == Op::Coalesce && c.args[1].op == Op::Coalesce) {
          Expr rest = c.args[1];
          c.args.pop_back();
          for (auto& a : rest.args) c.args.push_back(a);
        }
      return v;
    }
  }
  unsupported_node(n, "unsupported operator in the preprocessing of a linear model");
}

bool sniff(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x08 && static_cast<unsigned char>(head[1]) >= 1 &&
         static_cast<unsigned char>(head[1]) <= 32;
}

ir::Model read(std::string_view bytes, const std::string& file) {
  try {
    Reader r(bytes, file);
    return r.run();
  } catch (const Error& e) {
    if (e.file().empty()) throw e.with_file(file);  // from tensor helpers that know no file
    throw;
  }
}

}  // namespace mb::onnxfmt
