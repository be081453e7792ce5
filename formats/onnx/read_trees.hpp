// ONNX reader, tree operators (read_trees.cpp); the reader's dispatch calls these.
#pragma once
#include <onnx/onnx_pb.h>

namespace mb::onnxfmt {

struct Reader;

// TreeEnsembleRegressor, TreeEnsembleClassifier (ai.onnx.ml 1, 3) and TreeEnsemble (ai.onnx.ml 5).
bool is_tree_operator(const onnx::NodeProto& n);
// Builds the estimator, features and target of `r.out` from the tree operator `r.core` and the
// graph after it.
void read_tree_core(Reader& r);
// Graphs the writer emits for trees in double (metadata modelbridge.trees = sum | max | min).
bool is_tree_graph(const Reader& r);
void read_tree_graph(Reader& r);

}  // namespace mb::onnxfmt
