// Lowering an output stage (lib/ir/output.hpp) to the IR's plain form, for writers whose format
// states the plain meaning only (PMML, the ONNX tree writers).
#pragma once
#include <string>

#include "lib/ir/model.hpp"

namespace mb::ir {

// The tree ensemble of `m` with a plain output stage and the same predictions where the plain
// form can state them: a post-transform becomes the link (Logistic) or the transform (Softmax) of
// a classifier; a binary layout whose leaf values are all >= 0 becomes ScoreTransform::Binary;
// values are held in double.  Losses are named warnings: "float32-arithmetic" (the stage's
// float32 sums and transforms become double ones) and "label-rule" (a two-score classifier is
// labelled by its larger probability, not by the sign of its second score).  A stage the plain
// form cannot state (Probit, SoftmaxZero, the class-1 layout [0, s], a layout [-s, s], a
// post-transform followed by the estimator's own link or transform, two base values for two
// classes) throws mb::Unsupported naming `writer` ("ONNX writer").  A plain ensemble is returned
// unchanged.
TreeEnsemble lower_output(const Model& m, Warnings& warnings, const std::string& writer);

}  // namespace mb::ir
