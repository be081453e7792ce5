// Validity of an ONNX graph beyond its protobuf form: the element types that the ai.onnx.ml
// operator definitions fix (a TreeEnsembleRegressor's Y is tensor(float), ZipMap reads
// tensor(float) only, ...) checked against the types the graph declares and the types that flow
// into those operators.  onnxruntime refuses to load a graph that breaks these rules; a reader
// that scored it anyway would answer for a model that no runtime runs (and whose producer's
// predictions it does not reproduce), so such a file is refused as invalid input.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

namespace mb::onnxfmt {

// Throws mb::Error (exit 2) naming the node and the rule it breaks.
void check_validity(const onnx::ModelProto& model, const std::string& file);

}  // namespace mb::onnxfmt
