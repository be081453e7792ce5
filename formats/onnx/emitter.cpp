#include "formats/onnx/emitter.hpp"

#include <fmt/format.h>

#include <cstring>

namespace mb::onnxfmt {

onnx::AttributeProto attr_int(const std::string& name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

onnx::AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a.add_ints(x);
  return a;
}

onnx::AttributeProto attr_string(const std::string& name, const std::string& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
  return a;
}

onnx::AttributeProto attr_strings(const std::string& name, const std::vector<std::string>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRINGS);
  for (const auto& x : v) a.add_strings(x);
  return a;
}

onnx::AttributeProto attr_tensor(const std::string& name, const onnx::TensorProto& t) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::TENSOR);
  *a.mutable_t() = t;
  return a;
}

onnx::TensorProto tensor_double(const std::vector<double>& v, const std::vector<int64_t>& dims) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::DOUBLE);
  for (auto d : dims) t.add_dims(d);
  // raw_data is little-endian IEEE: exact and compact.
  std::string raw(v.size() * sizeof(double), '\0');
  if (!v.empty()) std::memcpy(raw.data(), v.data(), raw.size());
  t.set_raw_data(raw);
  return t;
}

onnx::TensorProto tensor_float(const std::vector<double>& v, const std::vector<int64_t>& dims) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t.add_dims(d);
  std::vector<float> f(v.begin(), v.end());
  std::string raw(f.size() * sizeof(float), '\0');
  if (!f.empty()) std::memcpy(raw.data(), f.data(), raw.size());
  t.set_raw_data(raw);
  return t;
}

onnx::TensorProto tensor_int64(const std::vector<int64_t>& v, const std::vector<int64_t>& dims) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  for (auto d : dims) t.add_dims(d);
  for (auto x : v) t.add_int64_data(x);
  return t;
}

onnx::TensorProto tensor_string(const std::vector<std::string>& v, const std::vector<int64_t>& dims) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::STRING);
  for (auto d : dims) t.add_dims(d);
  for (const auto& x : v) t.add_string_data(x);
  return t;
}

std::string Emitter::fresh(const std::string& hint) { return fmt::format("{}_{}", hint, counter_++); }

std::string Emitter::node(const std::string& op, const std::vector<std::string>& inputs,
                          std::vector<onnx::AttributeProto> attrs, const std::string& domain, const std::string& out) {
  onnx::NodeProto* n = graph_ ? graph_->add_node() : function_->add_node();
  const std::string name = out.empty() ? fresh(op) : out;
  if (graph_) n->set_name(name);
  n->set_op_type(op);
  if (!domain.empty()) n->set_domain(domain);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(name);
  for (auto& a : attrs) *n->add_attribute() = std::move(a);
  return name;
}

std::string Emitter::constant(const onnx::TensorProto& t, const std::string& hint) {
  const std::string name = fresh(hint);
  if (graph_) {
    onnx::TensorProto* init = graph_->add_initializer();
    *init = t;
    init->set_name(name);
    return name;
  }
  return node("Constant", {}, {attr_tensor("value", t)}, "", name);
}

std::string Emitter::scalar(double v) {
  std::string key(sizeof v, '\0');
  std::memcpy(key.data(), &v, sizeof v);
  auto it = scalars_.find(key);
  if (it != scalars_.end()) return it->second;
  const std::string name = constant(tensor_double({v}, {}), "k");
  scalars_.emplace(key, name);
  return name;
}

}  // namespace mb::onnxfmt
