// Internal state of the ONNX reader (reader.cpp: values and columns; read_linear.cpp: the
// estimator core and what follows it).
#pragma once
#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/onnx/read_models.hpp"
#include "lib/ir/model.hpp"

namespace mb::onnxfmt {

// A tensor of the graph seen as columns of per-row expressions (its last axis), or a string
// input, or the integer codes a LabelEncoder gives to a string input.
struct Value {
  enum Kind { Num, Str, Code } kind = Num;
  std::vector<ir::Expr> cols;
  bool constant = false;      // every column is a constant (initializer / Constant)
  std::vector<int64_t> dims;  // constant: its dims
  int rank = 2;               // rank of the tensor (columns are the last axis)
  int elem = onnx::TensorProto::DOUBLE;
  int field = -1;                        // Str / Code: the schema input
  std::map<int64_t, int> level_of_code;  // Code: code -> level index
  int64_t default_code = -1;             // Code: code of any other label
  std::optional<int64_t> missing_code;   // Code: code of the empty label (a missing value), when listed
  std::vector<int64_t> codes_of_level;   // Code: the code of each level
  bool distinct_codes = true;            // Code: no two labels share a code
};

struct Reader {
  std::string file;
  onnx::ModelProto model;
  const onnx::GraphProto* g = nullptr;
  std::map<std::string, const onnx::TensorProto*> inits;
  std::map<std::string, int> producer;                   // value -> node index
  std::map<std::string, std::vector<int>> consumers;     // value -> node indices
  std::map<std::string, std::vector<int>> input_fields;  // graph input -> schema inputs
  std::map<std::string, std::string> meta;
  std::map<std::string, int> derived_index;  // tensor name -> derived field
  std::map<std::string, Value> memo;
  std::map<std::string, const onnx::FunctionProto*> functions;
  int core = -1;                            // estimator node
  CoreFamily core_kind = CoreFamily::None;  // a family recognised by its graph's shape
  ir::Model out;

  Reader(std::string_view bytes, const std::string& file);
  ir::Model run();

  [[noreturn]] void fail_node(int node, const std::string& msg) const;
  [[noreturn]] void fail(const std::string& place, const std::string& msg) const;
  // The same places for a valid construct this reader does not handle (throws Unsupported).
  [[noreturn]] void unsupported_node(int node, const std::string& msg) const;
  [[noreturn]] void unsupported(const std::string& place, const std::string& msg) const;
  std::string node_place(int node) const;
  const onnx::NodeProto& node(int i) const { return g->node(i); }

  // reader.cpp
  Value value(const std::string& name);
  Value translate_node(int n, int output_index);
  std::vector<double> const_values(const std::string& name, int node_for_errors);
  Value constant_value(const onnx::TensorProto& t, int node_for_errors);
  void make_inputs();
  void check_function(const onnx::NodeProto& n, int idx);
  void check_graph_depth() const;
  // A Code value as the numbers it stands for (an open domain when other labels get a default).
  Value code_as_number(const Value& v, int node_for_errors);

  // read_linear.cpp
  void find_core();
  void build_estimator();
  bool core_is_classifier() const;
  // A graph without an estimator: its one output, a numeric column, is the prediction.
  void read_transform_graph();
};

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name);
int64_t attr_i(const onnx::NodeProto& n, const std::string& name, int64_t dflt);
std::string attr_s(const onnx::NodeProto& n, const std::string& name, const std::string& dflt);
std::vector<double> attr_floats(const onnx::NodeProto& n, const std::string& name);
std::vector<int64_t> attr_ints_of(const onnx::NodeProto& n, const std::string& name);
std::vector<std::string> attr_strings_of(const onnx::NodeProto& n, const std::string& name);
// Elements the dims of `t` hold; throws for a negative dimension or an overflowing product.
uint64_t tensor_elements(const onnx::TensorProto& t);
// Numeric tensors, widened to double; the data must match the dims.
std::vector<double> tensor_values(const onnx::TensorProto& t);
std::vector<std::string> tensor_strings(const onnx::TensorProto& t);

}  // namespace mb::onnxfmt
