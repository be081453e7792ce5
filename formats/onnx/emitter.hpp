// Building ONNX graphs and model-local functions node by node (writer side).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mb::onnxfmt {

onnx::AttributeProto attr_int(const std::string& name, int64_t v);
onnx::AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& v);
onnx::AttributeProto attr_string(const std::string& name, const std::string& v);
onnx::AttributeProto attr_strings(const std::string& name, const std::vector<std::string>& v);
onnx::AttributeProto attr_tensor(const std::string& name, const onnx::TensorProto& t);

onnx::TensorProto tensor_double(const std::vector<double>& v, const std::vector<int64_t>& dims);
onnx::TensorProto tensor_float(const std::vector<double>& v, const std::vector<int64_t>& dims);
onnx::TensorProto tensor_int64(const std::vector<int64_t>& v, const std::vector<int64_t>& dims);
onnx::TensorProto tensor_string(const std::vector<std::string>& v, const std::vector<int64_t>& dims);

// Appends nodes to a graph (constants become initializers) or to a function body (constants
// become Constant nodes).  Value names are made unique with a counter.
class Emitter {
 public:
  explicit Emitter(onnx::GraphProto* graph) : graph_(graph) {}
  explicit Emitter(onnx::FunctionProto* function) : function_(function) {}

  std::string fresh(const std::string& hint);
  // One node with one output; returns the output name (`out` when given).
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   std::vector<onnx::AttributeProto> attrs = {}, const std::string& domain = "",
                   const std::string& out = "");
  std::string constant(const onnx::TensorProto& t, const std::string& hint = "c");
  std::string scalar(double v);  // rank-0 double, shared between uses

 private:
  onnx::GraphProto* graph_ = nullptr;
  onnx::FunctionProto* function_ = nullptr;
  int counter_ = 0;
  std::map<std::string, std::string> scalars_;  // bit pattern -> name
};

}  // namespace mb::onnxfmt
