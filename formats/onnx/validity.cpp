// Element-type rules of the ai.onnx.ml operators (see validity.hpp).  Types flow from the graph
// inputs, initializers and declared value_info through the operators whose output type follows
// from their inputs or attributes; an ai.onnx.ml node whose output type is fixed by its
// definition must not be declared with another type, and its input must be of a type the
// definition allows.  Values whose type cannot be followed are not judged.
#include "formats/onnx/validity.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "lib/util/error.hpp"

namespace mb::onnxfmt {

namespace {

using TP = onnx::TensorProto;

std::string type_name(int t) {
  switch (t) {
    case TP::FLOAT: return "tensor(float)";
    case TP::DOUBLE: return "tensor(double)";
    case TP::FLOAT16: return "tensor(float16)";
    case TP::INT64: return "tensor(int64)";
    case TP::INT32: return "tensor(int32)";
    case TP::STRING: return "tensor(string)";
    case TP::BOOL: return "tensor(bool)";
    default: return fmt::format("tensor(element type {})", t);
  }
}

std::string names(const std::set<int>& ts) {
  std::string s;
  for (int t : ts) s += (s.empty() ? "" : ", ") + type_name(t);
  return s;
}

bool is_core(const onnx::NodeProto& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }
bool is_ml(const onnx::NodeProto& n) { return n.domain() == "ai.onnx.ml"; }

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

// Label output of the ai.onnx.ml classifiers: strings when the class labels are strings.
int label_type(const onnx::NodeProto& n) {
  const auto* s = attr(n, "classlabels_strings");
  return s && s->strings_size() > 0 ? TP::STRING : TP::INT64;
}

// The type an ai.onnx.ml operator's definition gives output k (0 when it is not fixed by the
// definition alone), and the types it allows for input 0 (empty: not judged).
struct MlRule {
  int out = 0;
  std::set<int> in0;
};

const std::set<int> kNumeric = {TP::FLOAT, TP::DOUBLE, TP::INT64, TP::INT32};

MlRule ml_rule(const onnx::NodeProto& n, int k, int in0_type) {
  const std::string& op = n.op_type();
  if (op == "LinearRegressor" || op == "TreeEnsembleRegressor" || op == "SVMRegressor")
    return {k == 0 ? TP::FLOAT : 0, kNumeric};
  if (op == "LinearClassifier" || op == "TreeEnsembleClassifier" || op == "SVMClassifier")
    return {k == 0 ? label_type(n) : k == 1 ? TP::FLOAT : 0, kNumeric};
  if (op == "Scaler" || op == "Normalizer") return {k == 0 ? TP::FLOAT : 0, kNumeric};
  if (op == "Binarizer") return {k == 0 ? in0_type : 0, kNumeric};
  if (op == "Imputer") return {k == 0 ? in0_type : 0, {TP::FLOAT, TP::INT64}};
  if (op == "OneHotEncoder") return {k == 0 ? TP::FLOAT : 0, {TP::STRING, TP::INT64, TP::INT32, TP::FLOAT, TP::DOUBLE}};
  if (op == "FeatureVectorizer") return {k == 0 ? TP::FLOAT : 0, {}};
  if (op == "ZipMap") return {0, {TP::FLOAT}};
  if (op == "TreeEnsemble") return {k == 0 ? in0_type : 0, {TP::FLOAT, TP::DOUBLE, TP::FLOAT16}};
  if (op == "ArrayFeatureExtractor") return {k == 0 ? in0_type : 0, {}};
  if (op == "CategoryMapper")
    return {k == 0 ? (in0_type == TP::STRING  ? TP::INT64
                      : in0_type == TP::INT64 ? TP::STRING
                                              : 0)
                   : 0,
            {TP::STRING, TP::INT64}};
  if (op == "LabelEncoder") {
    int out = 0;
    for (auto [name, t] : {std::pair{"values_strings", TP::STRING}, std::pair{"values_int64s", TP::INT64},
                           std::pair{"values_floats", TP::FLOAT}})
      if (const auto* a = attr(n, name); a && (a->strings_size() || a->ints_size() || a->floats_size())) out = t;
    if (const auto* a = attr(n, "values_tensor")) out = a->t().data_type();
    return {k == 0 ? out : 0, {}};
  }
  return {};
}

// Output type of a core operator from its inputs and attributes (0: not followed).
int core_type(const onnx::NodeProto& n, const std::vector<int>& in) {
  static const std::set<std::string> same_as_first = {
      "Identity",  "Add",        "Sub",       "Mul",       "Div",        "Pow",     "Neg",        "Abs",
      "Log",       "Exp",        "Sqrt",      "Floor",     "Ceil",       "Round",   "Sin",        "Cos",
      "Tan",       "Atan",       "Tanh",      "Sigmoid",   "Reciprocal", "Erf",     "Min",        "Max",
      "Concat",    "Reshape",    "Flatten",   "Squeeze",   "Unsqueeze",  "Expand",  "MatMul",     "Gemm",
      "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "Softmax", "LogSoftmax", "Transpose",
      "Slice",     "Gather",     "Relu",      "Clip",      "Tile"};
  static const std::set<std::string> boolean = {"IsNaN", "IsInf", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
                                                "Equal", "And",   "Or",   "Not",         "Xor"};
  const std::string& op = n.op_type();
  if (same_as_first.count(op)) return in.empty() ? 0 : in[0];
  if (boolean.count(op)) return TP::BOOL;
  if (op == "ArgMax" || op == "ArgMin" || op == "Shape" || op == "Size") return TP::INT64;
  if (op == "Where") return in.size() > 1 ? in[1] : 0;
  if (op == "Cast") {
    const auto* a = attr(n, "to");
    return a ? static_cast<int>(a->i()) : 0;
  }
  if (op == "Constant") {
    const auto* a = attr(n, "value");
    return a ? a->t().data_type() : 0;
  }
  return 0;
}

int declared_type(const onnx::ValueInfoProto& v) {
  return v.type().has_tensor_type() ? v.type().tensor_type().elem_type() : 0;
}

}  // namespace

void check_validity(const onnx::ModelProto& model, const std::string& file) {
  const auto& g = model.graph();
  std::map<std::string, int> type;      // value -> element type as it flows
  std::map<std::string, int> declared;  // value -> element type the graph declares
  for (const auto& v : g.input()) declared[v.name()] = declared_type(v);
  for (const auto& v : g.value_info()) declared[v.name()] = declared_type(v);
  for (const auto& v : g.output()) declared[v.name()] = declared_type(v);
  for (const auto& t : g.initializer()) type[t.name()] = t.data_type();
  for (const auto& v : g.input())
    if (!type.count(v.name()) && declared[v.name()]) type[v.name()] = declared[v.name()];
  auto type_of = [&](const std::string& name) {
    auto it = type.find(name);
    if (it != type.end()) return it->second;
    auto d = declared.find(name);
    return d != declared.end() ? d->second : 0;
  };
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    const std::string place =
        fmt::format("graph node '{}' ({})", n.name().empty() ? fmt::format("#{}", i) : n.name(), n.op_type());
    std::vector<int> in;
    for (const auto& x : n.input()) in.push_back(x.empty() ? 0 : type_of(x));
    const int in0 = in.empty() ? 0 : in[0];
    if (is_ml(n)) {
      const MlRule r0 = ml_rule(n, 0, in0);
      if (in0 && !r0.in0.empty() && !r0.in0.count(in0))
        throw Error(file, place,
                    fmt::format("invalid model: input '{}' is {}, but ai.onnx.ml {} accepts {} only "
                                "(onnxruntime refuses to load this model)",
                                n.input(0), type_name(in0), n.op_type(), names(r0.in0)));
    }
    for (int k = 0; k < n.output_size(); ++k) {
      const std::string& o = n.output(k);
      if (o.empty()) continue;
      int t = 0;
      if (is_ml(n)) t = ml_rule(n, k, in0).out;
      else if (is_core(n)) t = core_type(n, in);
      auto d = declared.find(o);
      const int dt = d != declared.end() ? d->second : 0;
      if (is_ml(n) && t && dt && t != dt)
        throw Error(file, place,
                    fmt::format("invalid model: output '{}' is declared {}, but ai.onnx.ml {} produces {} "
                                "(onnxruntime refuses to load this model)",
                                o, type_name(dt), n.op_type(), type_name(t)));
      type[o] = t ? t : dt;
    }
  }
}

}  // namespace mb::onnxfmt
