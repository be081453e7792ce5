// ONNX writer and reader for SVMs, neural networks, naive Bayes and k-means (write_families.cpp,
// read_families.cpp).
//
// Double graphs of ai.onnx core operators from the feature matrix `features` [N,F] to the graph
// outputs (the conventions of onnx.hpp; k-means outputs `cluster` [N] string):
//  - MLP: per layer MatMul of every unit so far (features and earlier layers, so skip-layer
//    connections are zeros elsewhere) + bias, then the activation (nnet's clamped logistic as
//    Where(s < -15, 0, Where(s > 15, 1, Sigmoid(s))); tanh as sign(x) (1 - e)/(1 + e) with
//    e = exp(-2|x|), since onnxruntime's double Tanh is accurate to about 1e-7 only); softmax,
//    binary [1-p, p] or simplemax.
//  - SVM: the kernel matrix K [N, n_sv] (linear, polynomial by libsvm's repeated squaring, radial
//    as the sum over features of squared differences in feature order, sigmoid), pairwise decision
//    values K @ C - rho, votes, and with Platt parameters the clamped sigmoids and -- for more than
//    two classes -- libsvm's pairwise coupling as a Loop of at most max(100, K) sweeps that stops
//    each row where libsvm stops it; regression (K @ coef - rho) * scale + center.
//  - naive Bayes: per predictor a [N,K] log term (Gaussian: R's dnorm with its two branches and
//    underflow bound, then the threshold; table: a Gather of the log table by the level code,
//    0 for a missing or unseen level), summed with the log priors; P(c) = 1 / sum_k exp(s_k - s_c).
//  - k-means: squared distances summed in feature order (also output as `distances` [N,k]),
//    ArgMin.
// The estimator's parameters are also stored as metadata `modelbridge.param.<name>` (hexadecimal floats, so
// exact; as initializers onnxruntime would warn that they are unused); the reader rebuilds the
// estimator from them and accepts the graph only when writing that estimator again gives the
// same nodes and tensors after `features` (metadata modelbridge.estimator).
#pragma once
#include <onnx/onnx_pb.h>

#include <string>
#include <utility>
#include <vector>

#include "formats/onnx/emitter.hpp"
#include "lib/ir/model.hpp"

namespace mb::onnxfmt {

inline constexpr const char* kMetaEstimator = "modelbridge.estimator";
inline constexpr const char* kParamPrefix = "modelbridge.param.";

bool is_family(const ir::Estimator& e);
// Emits the estimator of `m` reading `features` and the graph outputs (with their value infos).
// The estimator's parameters are appended to `meta` (metadata keys modelbridge.param.<name>).
// A float32 network, or any layered network with `float_mode` (--precision float), is written as
// float32 layers (warning float32-narrowing when its weights were double); the other families keep
// double arithmetic.
void write_family(const ir::Model& m, onnx::GraphProto* g, Emitter& e, const std::string& features,
                  std::vector<std::pair<std::string, std::string>>& meta, Warnings& warnings, bool float_mode);

// --precision float: the SVM of `m` as one ai.onnx.ml SVMClassifier / SVMRegressor on the float32
// features (libsvm's layout, rho negated; a regression's response scaling folded into the
// coefficients and rho), its scores widened to double and reordered to the model's classes, and a
// row with a missing feature predicting a missing value.  Read back by read_svm.cpp.
void write_svm_operator(const ir::Model& m, onnx::GraphProto* g, Emitter& e, const std::string& features,
                        Warnings& warnings);

struct Reader;
bool is_family_graph(const Reader& r);
void read_family_graph(Reader& r);

}  // namespace mb::onnxfmt
