#include "lib/ir/lower.hpp"

#include "lib/util/errors.hpp"

namespace mb::ir {

TreeEnsemble lower_output(const Model& m, Warnings& warnings, const std::string& writer) {
  TreeEnsemble t = std::get<TreeEnsemble>(m.estimator);
  if (t.output.plain()) return t;
  auto refuse = [&](const std::string& what) {
    throw Unsupported("", "estimator",
                      "an onnxruntime tree operator " + what + " has no equivalent the " + writer + " can express");
  };
  const OutputStage& o = t.output;
  const bool classify = m.schema.target.task == Task::Classification;
  if (o.layout == ScoreLayout::OneScoreClass1) refuse("laying out a binary classifier's class-1 score as [0, s]");
  if (t.link != Link::Identity || t.transform != ScoreTransform::None) {
    if (o.post != PostTransform::None) refuse("with a post-transform followed by more transforms");
  }
  const size_t K = m.schema.target.classes.size();
  switch (o.post) {
    case PostTransform::Probit: refuse("with post_transform PROBIT"); break;
    case PostTransform::SoftmaxZero: refuse("with post_transform SOFTMAX_ZERO"); break;
    case PostTransform::Logistic:
      if (classify) t.link = Link::Logit;
      break;
    case PostTransform::Softmax:
      if (classify) t.transform = ScoreTransform::Softmax;
      break;
    case PostTransform::None: break;
  }
  if (o.label == LabelRule::RawScores && K == 2) {
    if (t.base.size() == 2) refuse("with two base values for two classes");
    if (t.n_outputs == 1) {
      bool positive = true;
      for (const auto& tr : t.trees)
        for (size_t n = 0; n < tr.op.size(); ++n)
          if (tr.op[n] == SplitOp::Leaf) positive &= !(tr.values[n] < 0);
      if (!positive && t.link == Link::Identity) refuse("laying out a binary score as [-s, s]");
      if (t.transform == ScoreTransform::Softmax) t.link = Link::Identity;  // ignored on one column
      t.transform = ScoreTransform::Binary;
    } else {
      warnings.push_back({"label-rule",
                          "onnxruntime labels a two-class TreeEnsembleClassifier by its second score's sign; "
                          "the written model labels by the larger probability"});
    }
  }
  if (t.value_precision == Precision::Float32 || o.output_precision == Precision::Float32)
    warnings.push_back({"float32-arithmetic",
                        "onnxruntime's float32 sums and post-transform of the source operator are computed in double"});
  t.output = OutputStage{};
  t.value_precision = Precision::Double;
  return t;
}

}  // namespace mb::ir
