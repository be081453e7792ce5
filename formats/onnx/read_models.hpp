// ONNX reader, the families other converters express with ai.onnx.ml SVM operators or with
// core operators: support vector machines (read_svm.cpp), multilayer perceptrons
// (read_mlp.cpp), Gaussian naive Bayes and k-means (read_sklearn.cpp), as skl2onnx writes them.
// The reader's dispatch calls these; each builds the estimator, features and target of `r.out`.
#pragma once
#include <onnx/onnx_pb.h>

namespace mb::onnxfmt {

struct Reader;

// SVMClassifier / SVMRegressor (ai.onnx.ml 1).
bool is_svm_operator(const onnx::NodeProto& n);
void read_svm_core(Reader& r);

// Which core-operator family a graph without an ai.onnx.ml estimator holds, recognised by its
// shape: a chain of at least two MatMul/Gemm layers (a network), ReduceLogSumExp of Gaussian
// log-likelihoods (naive Bayes), ArgMin of squared distances (k-means).  Transform (set by the
// reader when a graph has no estimator and one output): preprocessing whose output is the prediction.
enum class CoreFamily { None, Mlp, GaussianNb, KMeans, Transform };
CoreFamily core_family(const Reader& r);
void read_mlp_graph(Reader& r);
void read_gaussian_nb_graph(Reader& r);
void read_kmeans_graph(Reader& r);

}  // namespace mb::onnxfmt
