// The output stage of an estimator: how its raw scores become the score columns and labels a
// consumer sees.  The stage says what is computed, in which order and where numbers are rounded,
// so that a model read from one format keeps the meaning its producer's runtime gives it, and a
// writer can tell whether its own format expresses that meaning (lower_output, lib/ir/lower.hpp).
//
// A plain stage (OutputStage{}, the default) is the IR's reference meaning: the estimator's own
// fields (TreeEnsemble: aggregate, base, link, transform) say everything, in double.  Models read
// from ai.onnx.ml operators carry the operator's stage: its post-transform, the layout of its score
// columns, its label rule and its float32 rounding (see docs/ir.md).  Three estimators have one:
// TreeEnsemble (TreeEnsembleClassifier/Regressor), Linear (LinearClassifier, LinearRegressor) and Svm
// (SVMClassifier/SVMRegressor); validate() refuses a non-plain stage anywhere else.
#pragma once
#include <cstdint>

#include "lib/ir/schema.hpp"

namespace mb::ir {

// Aggregation of the trees of an ensemble (TreeEnsemble::aggregate).
enum class Aggregate { Sum, Average, Vote, Max, Min };

// A transform of the aggregated scores inside the stage, before the estimator's link and
// transform (the ai.onnx.ml post_transform attribute).  Logistic applies 1/(1+exp(-s)) to each
// score, Softmax normalizes a row, SoftmaxZero is a softmax over the non-zero scores only (zero
// scores stay 0), Probit applies the standard normal quantile sqrt(2) erfinv(2s - 1) to each.
enum class PostTransform : uint8_t { None, Logistic, Softmax, SoftmaxZero, Probit };

// Order and formulas of the arithmetic.
enum class Arithmetic : uint8_t {
  // The IR's reference: a double Sum starts from the base and adds trees in order (gbm's
  // initF + f1 + f2 + ...); float32 values are summed in float32 and widened; an Average divides
  // by the total tree weight; the base (when not first), link and transform follow in double.
  Reference,
  // The ai.onnx.ml tree operators as onnxruntime 1.30 computes them: leaf values summed per
  // output from zero, in tree order, in the ensemble's value_precision; an Average divides by the
  // number of trees; then the base, in value_precision; then the post-transform with ml_common.h's
  // float32 formulas (mirrored logistic, max-subtracted softmax, Winitzki's probit).  A
  // single-output regressor ignores Logistic, Softmax and SoftmaxZero, as the runtime does.
  // For ir::Linear (LinearClassifier): the scores from onnxruntime's float32 GEMM (fused
  // multiply-adds in feature order), the post-transform per score (Logistic) or over the row
  // (Softmax) with the same float32 formulas; LinearRegressor (one target): the float32 GEMM,
  // then Probit, the one post-transform the runtime applies to a single target.  For ir::Svm
  // (SVMClassifier/SVMRegressor): the
  // float32 kernels, decision values and Platt coupling documented at ir::Svm.
  Operator,
};

// How the stage lays its scores out as columns (classifiers under LabelRule::RawScores).
enum class ScoreLayout : uint8_t {
  PerOutput,  // one column per score (a classifier: one per class)
  // Two classes, two score columns ("binary as multiclass"): [s0 + base0, s1], or with two base
  // values [-(base1 + s0), base1 + s0]; the post-transform on both columns.
  TwoScores,
  // Two classes, one score column s whose leaf weights name class 0: [1-s, s] when every leaf
  // value is >= 0, else [-s, s]; with post-transform Logistic [logistic(-s), logistic(s)], with
  // Probit [probit(s), 0]; with two base values [s + base0, 0] and the post-transform on both.
  OneScore,
  // Two classes, one score column s whose leaf weights name class 1 only: [0, s], the
  // post-transform on both columns (so [0.5, logistic(s)] with Logistic).
  OneScoreClass1,
  // Two classes, one score column s (ai.onnx.ml LinearClassifier): [1 - p, p] with p = s, or
  // p = logistic(s) under Logistic; the raw-score label is s > 0.
  Complement,
  // A support vector classifier without Platt parameters (ai.onnx.ml SVMClassifier): the score
  // columns are its pairwise decision values, not probabilities: [-f, f] for two classes, one
  // column per pair of classes in pair order (0,1), (0,2), (1,2) for three.  Only where the pairs
  // fit the class columns (two or three classes).
  Decisions,
  // A support vector classifier without Platt parameters, three or more classes (ai.onnx.ml
  // SVMClassifier followed by skl2onnx's graph of scikit-learn's _ovr_decision_function): one
  // column per class computed in float32 from the float32 pairwise decision values d_p of pairs
  // p = (i, j) in pair order: s_c = the float32 sum, in pair order, of d_p over the pairs (c, j)
  // and -d_p over the pairs (i, c); votes v_c = the pairs (c, j) with d_p >= 0 (or NaN) plus the
  // pairs (i, c) with d_p < 0; the column is v_c + s_c / ((|s_c| + 1) * 3), each operation
  // rounded to float32 (onnxruntime's Sum, Abs, Add, Mul, Div, Add).  The label is still the
  // operator's vote.
  OneVsRest,
};

// How a classifier's label is chosen.
enum class LabelRule : uint8_t {
  // The first largest final class probability (after the estimator's link and transform).
  LargestProbability,
  // From the stage's scores, before the post-transform (an ai.onnx.ml classifier's label
  // output): the first maximum score after the base (PerOutput); the second score > 0
  // (TwoScores); s > 0.5 when every leaf value is >= 0, else s > 0 (OneScore, OneScoreClass1).
  RawScores,
  // The class with the most pairwise votes, the first in class order on ties, also when
  // probabilities are computed (onnxruntime's SVMClassifier).
  Votes,
};

struct OutputStage {
  Arithmetic arithmetic = Arithmetic::Reference;
  PostTransform post = PostTransform::None;
  ScoreLayout layout = ScoreLayout::PerOutput;
  LabelRule label = LabelRule::LargestProbability;
  // Float32: the stage's output is rounded to float32 before the estimator's link and transform
  // (an operator whose output tensor is float).
  Precision output_precision = Precision::Double;
  // After the post-transform, each score divided by the sum of their absolute values when that
  // sum is not 0, in the output precision (an ai.onnx.ml Normalizer norm="L1" after the operator).
  bool l1_normalize = false;

  bool operator==(const OutputStage&) const = default;
  // The IR's reference meaning: nothing beyond the estimator's own fields.
  bool plain() const { return *this == OutputStage{}; }
  // The producer's runtime arithmetic (anything but the IR's reference meaning).
  bool operator_rules() const { return arithmetic == Arithmetic::Operator; }
};

}  // namespace mb::ir
