// ONNX reading and writing for the model IR.
//
// Writer (linear models): one graph input per schema input, named as the field, shape [N,1]:
// continuous -> tensor(double) (tensor(float) with Precision::Float32), categorical/ordinal ->
// tensor(string) holding the label.  A label that is not one of the field's levels (including
// "" and "NA") is missing: its features are NaN and so is the prediction (unless the field has
// a missing_replacement_label, which then stands in for it).  Derived fields and features are
// lowered to ai.onnx operators in double; what ONNX lacks in double (erf, the normal CDF, atan,
// tan, NaN-aware comparisons and logic) is emitted as model-local functions of the domain
// "modelbridge", built from double core operators only, so onnxruntime evaluates everything in
// double.  Outputs: regression `prediction` [N,1] double; classification `class` [N] string
// ("" when missing) and `probabilities` [N,K] double in the model's class order (no ZipMap:
// onnxruntime's ZipMap accepts float only).  Opsets: ai.onnx 17, ai.onnx.ml 3, IR version 8
// (what Debian's onnx 1.12 checker and onnxruntime 1.30 both accept).
//
// Reader: the graphs this writer emits, and the linear shapes scikit-learn converters emit
// (LinearRegressor, LinearClassifier, MatMul/Gemm + Add with constant weights, with Cast,
// Concat, Scaler, Imputer, OneHotEncoder, LabelEncoder, Normalizer, Sigmoid, Softmax, ZipMap
// around them).  Float32 arithmetic of the runtime is recorded as Precision::Float32 on the
// coefficients and on the input casts.  Anything else is refused naming the graph node.
//
// SVMs, neural networks, naive Bayes and k-means: written and read as described in
// write_families.hpp (double core-operator graphs, verified on reading by writing them again).
//
// Tree ensembles: written and read as described in write_trees.hpp (double: core-operator node
// tables; float32: TreeEnsembleClassifier or TreeEnsembleRegressor) and read_trees.hpp (also
// skl2onnx's and onnxmltools' TreeEnsembleRegressor/Classifier and ml-opset-5 TreeEnsemble,
// scored with onnxruntime's rules).
#pragma once
#include <string>
#include <string_view>

#include "lib/ir/model.hpp"

namespace mb::onnxfmt {

// How tree ensembles are written: Core = ai.onnx core-operator node tables (double) or an
// ml-opset-3 TreeEnsembleClassifier / TreeEnsembleRegressor (float32); Ml5 = one ai.onnx.ml
// opset-5 TreeEnsemble.
enum class OnnxTrees { Core, Ml5 };

struct WriteOptions {
  ir::Precision precision = ir::Precision::Double;
  OnnxTrees trees = OnnxTrees::Core;
};

ir::Model read(std::string_view bytes, const std::string& file);
std::string write(const ir::Model& model, const WriteOptions& options, Warnings& warnings);
bool sniff(std::string_view head);

}  // namespace mb::onnxfmt
