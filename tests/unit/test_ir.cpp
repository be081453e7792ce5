// The IR's own rules: validate() refuses each kind of inconsistent estimator, naming the file and
// the place, and lower_output() turns an operator output stage into the plain form (or refuses).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "lib/ir/lower.hpp"
#include "lib/util/errors.hpp"

using namespace mb;
using ir::Expr;

namespace {

// A model with two continuous inputs used as features.
ir::Model two_features() {
  ir::Model m;
  m.schema.inputs.push_back({"a", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back({"b", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.features.push_back({"a", Expr::input(0)});
  m.features.push_back({"b", Expr::input(1)});
  return m;
}

// One stump on feature 0: a < 1 -> left leaf, else right leaf; `K` values per node.
ir::Tree stump(int K, double left, double right) {
  ir::Tree t;
  t.push_node(ir::SplitOp::LessThan, 0, 1.0, 1, 2, ir::MissingGo::Left);
  t.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Left);
  t.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Left);
  t.values.assign(3 * K, 0.0);
  for (int k = 0; k < K; ++k) {
    t.values[K + k] = k == 0 ? left : -left;
    t.values[2 * K + k] = k == 0 ? right : -right;
  }
  return t;
}

ir::Model forest(int trees) {
  ir::Model m = two_features();
  ir::TreeEnsemble te;
  for (int i = 0; i < trees; ++i) te.trees.push_back(stump(1, 0.25 * i, 1 + i));
  m.estimator = te;
  return m;
}

// The message validate() throws for `m`, read from "model.onnx" with the estimator at `where`;
// "" when it accepts the model.  Every refusal must be an InvalidInput error (exit 2).
std::string refusal(const ir::Model& m, const std::string& where = "estimator") {
  try {
    ir::validate(m, "model.onnx", where);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::InvalidInput);
    CHECK(e.exit_code() == kExitInput);
    CHECK(e.file() == "model.onnx");
    return e.what();
  }
  return "";
}

ir::TreeEnsemble& trees_of(ir::Model& m) { return std::get<ir::TreeEnsemble>(m.estimator); }

}  // namespace

TEST_CASE("validate: trees name the file, the estimator, the tree and the node") {
  ir::Model m = forest(4);
  CHECK(refusal(m) == "");
  ir::Tree& t3 = trees_of(m).trees[3];
  t3.left[0] = 40;
  CHECK(refusal(m, "graph node 'TreeEnsembleRegressor_0' (TreeEnsembleRegressor)") ==
        "model.onnx:graph node 'TreeEnsembleRegressor_0' (TreeEnsembleRegressor), tree 3, node 0: invalid model: "
        "left child index 40 out of range (tree has 3 nodes)");
  t3.left[0] = 0;
  CHECK(refusal(m) ==
        "model.onnx:estimator, tree 3, node 0: invalid model: left child 0 does not follow its parent (no cycles)");
  t3.left[0] = 1;
  t3.feature[0] = 2;
  CHECK(refusal(m) == "model.onnx:estimator, tree 3, node 0: invalid model: feature index 2 out of range (2 features)");
  t3.feature[0] = 0;
  t3.values.pop_back();
  CHECK(refusal(m) == "model.onnx:estimator, tree 3: invalid model: 2 node values for 3 nodes x 1 outputs");
  t3.values.push_back(0);
  t3.missing[0] = ir::MissingGo::Node;
  CHECK(refusal(m) ==
        "model.onnx:estimator, tree 3, node 0: invalid model: missing-value child index -1 out of range "
        "(tree has 3 nodes)");
  t3.missing[0] = ir::MissingGo::Majority;
  CHECK(refusal(m) == "model.onnx:estimator, tree 3: invalid model: majority rule without a record count per node");
  t3.missing[0] = ir::MissingGo::Left;
  trees_of(m).tree_weights = {1, 1};
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 2 tree weights for 4 trees");
  trees_of(m).tree_weights.clear();
  trees_of(m).base = {1, 2};
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 2 base values for 1 outputs");
  trees_of(m).base = {1};
  CHECK(refusal(m) == "");
}

TEST_CASE("validate: node labels belong to one classification tree or a vote, and count in the vote") {
  ir::Model m = two_features();
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  ir::TreeEnsemble te;
  te.n_outputs = 2;
  // Leaves 0.5/0.5: the first most probable class is "n"; the left leaf's label says "y".
  ir::Tree t = stump(2, 0.5, 0.5);
  for (double& v : t.values) v = 0.5;
  t.label = {-1, 1, -1};
  te.trees = {t};
  m.estimator = te;
  CHECK(refusal(m) == "");
  trees_of(m).trees[0].label = {-1, 1};
  CHECK(refusal(m) == "model.onnx:estimator, tree 0: invalid model: 2 node labels for 3 nodes");
  trees_of(m).trees[0].label = {-1, 2, -1};
  CHECK(refusal(m) == "model.onnx:estimator, tree 0, node 1: invalid model: label 2 out of range");
  trees_of(m).trees[0].label = {-1, 1, -1};
  trees_of(m).trees.push_back(t);
  trees_of(m).aggregate = ir::Aggregate::Average;
  CHECK(refusal(m) ==
        "model.onnx:estimator, tree 0: invalid model: node labels in an ensemble of several trees that does not vote");
  // A vote counts each tree's label: two trees voting "y" on the left, "n" on the right.
  trees_of(m).aggregate = ir::Aggregate::Vote;
  trees_of(m).transform = ir::ScoreTransform::Normalize;
  CHECK(refusal(m) == "");
  eval::Batch b;
  b.rows = 2;
  b.columns = {{0.0, 2.0}, {0.0, 0.0}};
  eval::Predictions p;
  eval::Evaluator(m).score(b, p);
  CHECK(p.label == std::vector<int32_t>{1, 0});
  CHECK(p.prob == std::vector<double>{0, 1, 1, 0});
  trees_of(m).class_cutoffs = {0.5, 0.5};
  CHECK(refusal(m).find("node labels outside a plain classifier") != std::string::npos);
}

TEST_CASE("validate: the output stage") {
  ir::Model m = forest(2);
  ir::OutputStage& o = trees_of(m).output;
  // A plain stage may not carry operator parts.
  o.post = ir::PostTransform::Logistic;
  CHECK(refusal(m).find("estimator, output stage: invalid model: a post-transform, score layout, label rule, "
                        "normalization or float32 output needs the operator arithmetic") != std::string::npos);
  o.arithmetic = ir::Arithmetic::Operator;
  CHECK(refusal(m) == "");
  // Raw-score labels: a classifier only, with a layout that matches classes and scores.
  o.label = ir::LabelRule::RawScores;
  CHECK(refusal(m).find("a label rule of raw scores outside classification") != std::string::npos);
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  CHECK(refusal(m).find(
            "one score column per class needs three or more classes and as many scores (2 classes, 1 scores)") !=
        std::string::npos);
  o.layout = ir::ScoreLayout::TwoScores;
  CHECK(refusal(m).find("a two-score layout needs 2 classes and 2 scores (2 classes, 1 scores)") != std::string::npos);
  o.layout = ir::ScoreLayout::OneScore;
  CHECK(refusal(m) == "");
  o.label = ir::LabelRule::LargestProbability;
  CHECK(refusal(m).find("a binary score layout without the raw-score label rule") != std::string::npos);
  o.label = ir::LabelRule::RawScores;
  trees_of(m).aggregate = ir::Aggregate::Vote;
  CHECK(refusal(m).find("the operator arithmetic has no vote aggregation") != std::string::npos);
  trees_of(m).aggregate = ir::Aggregate::Sum;
  // The operator walk knows left/right missing rules and comparisons only.
  trees_of(m).trees[1].missing[0] = ir::MissingGo::StopHere;
  CHECK(
      refusal(m).find("tree 1, node 0: invalid model: a missing-value rule other than left or right under the operator "
                      "arithmetic") != std::string::npos);
}

TEST_CASE("validate: linear models") {
  ir::Model m = two_features();
  ir::Linear l;
  l.coefficients = {1, 2, 3};
  l.intercepts = {0};
  m.estimator = l;
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 3 coefficients for 2 features x 1 targets");
  std::get<ir::Linear>(m.estimator).coefficients = {1, 2};
  CHECK(refusal(m) == "");
  auto& out = std::get<ir::Linear>(m.estimator).output;
  out.post = ir::PostTransform::Softmax;
  CHECK(refusal(m) ==
        "model.onnx:estimator, output stage: invalid model: a post-transform, score layout, label rule, "
        "normalization or float32 output needs the operator arithmetic");
  out = {};
  out.l1_normalize = true;
  CHECK(refusal(m).find("needs the operator arithmetic") != std::string::npos);
  // LinearRegressor's stage: one target, float32 output, probit or no post-transform, no label rule.
  out = {ir::Arithmetic::Operator,          ir::PostTransform::Probit, ir::ScoreLayout::PerOutput,
         ir::LabelRule::LargestProbability, ir::Precision::Float32,    false};
  CHECK(refusal(m) == "");
  out.post = ir::PostTransform::Logistic;
  CHECK(refusal(m) ==
        "model.onnx:estimator, output stage: invalid model: a linear regression's post-transform is none "
        "or probit (onnxruntime applies no other to one target)");
  out.post = ir::PostTransform::Probit;
  out.output_precision = ir::Precision::Double;
  CHECK(refusal(m).find("has float32 output") != std::string::npos);
  // LinearClassifier's stage: only for classifiers, float32, raw-score labels, the layout the
  // classes ask for.
  out = {ir::Arithmetic::Operator, ir::PostTransform::Logistic, ir::ScoreLayout::PerOutput,
         ir::LabelRule::RawScores, ir::Precision::Float32,      false};
  CHECK(refusal(m).find("a linear regression's post-transform is none or probit") != std::string::npos);
  out.post = ir::PostTransform::None;
  CHECK(refusal(m) ==
        "model.onnx:estimator, output stage: invalid model: a linear regression's operator stage has no "
        "score layout, label rule or normalization");
  out.post = ir::PostTransform::Logistic;
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  CHECK(refusal(m) ==
        "model.onnx:estimator, output stage: invalid model: one score column of two classes needs the "
        "complement layout");
  out.layout = ir::ScoreLayout::Complement;
  CHECK(refusal(m) == "");
  out.label = ir::LabelRule::Votes;
  CHECK(refusal(m).find("labels by its raw scores") != std::string::npos);
  out.label = ir::LabelRule::RawScores;
  out.post = ir::PostTransform::Probit;
  CHECK(refusal(m).find("post-transform is none, logistic or softmax") != std::string::npos);
  out.post = ir::PostTransform::None;
  out.output_precision = ir::Precision::Double;
  CHECK(refusal(m).find("has float32 output") != std::string::npos);
}

TEST_CASE("validate: support vector machines") {
  ir::Model m = two_features();
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  ir::Svm s;
  s.n_sv = 2;
  s.support_vectors = {0, 0, 1, 1};
  s.sv_per_class = {1, 1};
  s.coefficients = {1, -1};
  s.rho = {0};
  s.class_order = {0, 1};
  m.estimator = s;
  CHECK(refusal(m, "$model") == "");
  auto& sv = std::get<ir::Svm>(m.estimator);
  sv.support_vectors.pop_back();
  CHECK(refusal(m, "$model") == "model.onnx:$model: invalid model: 3 support-vector values for 2 vectors x 2 features");
  sv.support_vectors.push_back(1);
  sv.class_order = {0, 2};
  CHECK(refusal(m) == "model.onnx:estimator, class 1: invalid model: class index 2 out of range (2 classes)");
  sv.class_order = {0, 1};
  sv.sv_per_class = {2, 1};
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: support-vector counts add up to 3, not 2");
  sv.sv_per_class = {1, 1};
  sv.rho = {0, 1};
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 2 rho values for 1 pairs of classes");
  sv.rho = {0};
  // onnxruntime's SVMClassifier stage: float32 output, labels by votes.
  sv.output.arithmetic = ir::Arithmetic::Operator;
  sv.output.output_precision = ir::Precision::Float32;
  CHECK(refusal(m) ==
        "model.onnx:estimator, output stage: invalid model: a support vector classifier's operator "
        "stage labels by votes");
  sv.output.label = ir::LabelRule::Votes;
  CHECK(refusal(m) == "");
  sv.output.post = ir::PostTransform::Logistic;
  CHECK(refusal(m).find("has no post-transform") != std::string::npos);
  sv.output.post = ir::PostTransform::None;
  // Pairwise decision values as the scores: without Platt parameters, two or three classes.
  sv.output.layout = ir::ScoreLayout::Decisions;
  CHECK(refusal(m) == "");
  sv.prob_a = {1};
  sv.prob_b = {0};
  CHECK(refusal(m).find("but Platt parameters for probabilities") != std::string::npos);
  sv.prob_a.clear();
  sv.prob_b.clear();
  // scikit-learn's one-vs-rest scores: three or more classes, without Platt parameters.
  sv.output.layout = ir::ScoreLayout::OneVsRest;
  CHECK(refusal(m).find("need three or more classes (2 here)") != std::string::npos);
  sv.output.layout = ir::ScoreLayout::TwoScores;
  CHECK(refusal(m).find("one column per class, pairwise decision values or one-vs-rest") != std::string::npos);
}

TEST_CASE("validate: networks") {
  ir::Model m = two_features();
  ir::Mlp n;
  ir::Mlp::Layer hidden;
  hidden.n_units = 2;
  hidden.weights = {1, 2, 3, 4};
  hidden.biases = {0, 0};
  ir::Mlp::Layer out;
  out.n_units = 1;
  out.weights = {1, 1};
  out.biases = {0};
  n.layers = {hidden, out};
  m.estimator = n;
  CHECK(refusal(m) == "");
  std::get<ir::Mlp>(m.estimator).layers[1].weights = {1, 1, 1};
  CHECK(refusal(m) == "model.onnx:estimator, layer 1: invalid model: 3 weights and 1 biases for 1 units x 2 inputs");
  // nnet's connection list: a unit that reads a later unit.
  ir::Mlp c;
  c.unit_activation.assign(4, ir::Activation::Identity);  // bias, a, b, output
  c.conn_offset = {0, 0, 0, 0, 2};
  c.conn_source = {1, 3};
  c.conn_weights = {1, 1};
  m.estimator = c;
  CHECK(refusal(m) == "model.onnx:estimator, unit 3: invalid model: reads unit 3, which does not come before it");
}

TEST_CASE("validate: naive Bayes") {
  ir::Model m = two_features();
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  ir::NaiveBayes nb;
  nb.log_prior = {0, 0};
  nb.gaussian = {1, 0};
  nb.mean = nb.sd = {0, 0, 0, 0};
  nb.table_offset = {0, 0};
  nb.table_levels = {0, 3};
  nb.table = {0.5, 0.5, 0, 0.5, 0.5, 0};
  m.estimator = nb;
  CHECK(refusal(m) == "");
  std::get<ir::NaiveBayes>(m.estimator).table.pop_back();
  CHECK(refusal(m) == "model.onnx:estimator, feature 1: invalid model: table [0, 6) out of range (5 entries)");
  std::get<ir::NaiveBayes>(m.estimator).log_prior = {0};
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 1 priors for 2 classes");
}

TEST_CASE("validate: clustering") {
  ir::Model m = two_features();
  m.schema.target = {"", ir::Task::Clustering, {"1", "2"}};
  ir::Clustering c;
  c.k = 2;
  c.centers = {0, 0, 1, 1};
  m.estimator = c;
  CHECK(refusal(m) == "");
  std::get<ir::Clustering>(m.estimator).centers.pop_back();
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 3 centre values for 2 clusters x 2 features");
  std::get<ir::Clustering>(m.estimator).centers.push_back(1);
  m.schema.target.classes.push_back("3");
  CHECK(refusal(m) == "model.onnx:estimator: invalid model: 3 cluster ids for 2 clusters");
}

TEST_CASE("lower_output: a plain ensemble is unchanged") {
  ir::Model m = forest(3);
  Warnings w;
  CHECK(ir::lower_output(m, w, "ONNX writer") == trees_of(m));
  CHECK(w.empty());
}

TEST_CASE("lower_output: operator stages become links and transforms, with named losses") {
  // A binary classifier, one score column, leaf values >= 0, logistic post-transform.
  ir::Model m = forest(2);
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  ir::TreeEnsemble& te = trees_of(m);
  te.value_precision = ir::Precision::Float32;
  te.output = {ir::Arithmetic::Operator, ir::PostTransform::Logistic, ir::ScoreLayout::OneScore,
               ir::LabelRule::RawScores, ir::Precision::Float32};
  ir::validate(m, "m.onnx");
  Warnings w;
  const ir::TreeEnsemble low = ir::lower_output(m, w, "ONNX writer");
  CHECK(low.output.plain());
  CHECK(low.link == ir::Link::Logit);
  CHECK(low.transform == ir::ScoreTransform::Binary);
  CHECK(low.value_precision == ir::Precision::Double);
  CHECK(low.trees == te.trees);
  REQUIRE(w.size() == 1);
  CHECK(w[0].code == "float32-arithmetic");
  // The lowered model is valid and predicts what its link and transform say: P(y) = logistic(s).
  ir::Model lm = m;
  lm.estimator = low;
  ir::validate(lm, "m.onnx");
  eval::Evaluator ev(lm);
  eval::Batch b;
  b.rows = 2;
  b.columns = {{0, 5}, {0, 0}};
  eval::Predictions p;
  ev.score(b, p);
  const double s0 = 0 + 0.25, s1 = 1 + 2;  // left leaves of both stumps, right leaves of both
  CHECK(p.prob[1] == doctest::Approx(1 / (1 + std::exp(-s0))));
  CHECK(p.prob[3] == doctest::Approx(1 / (1 + std::exp(-s1))));

  // Softmax over three classes becomes ScoreTransform::Softmax; no label warning.
  ir::Model k3 = two_features();
  k3.schema.target = {"y", ir::Task::Classification, {"a", "b", "c"}};
  ir::TreeEnsemble t3;
  t3.n_outputs = 3;
  t3.trees = {stump(3, 1, 2)};
  t3.output = {ir::Arithmetic::Operator, ir::PostTransform::Softmax, ir::ScoreLayout::PerOutput,
               ir::LabelRule::RawScores, ir::Precision::Double};
  k3.estimator = t3;
  ir::validate(k3, "m.onnx");
  w.clear();
  const ir::TreeEnsemble low3 = ir::lower_output(k3, w, "ONNX writer");
  CHECK(low3.transform == ir::ScoreTransform::Softmax);
  CHECK(low3.link == ir::Link::Identity);
  CHECK(w.empty());

  // Two score columns for two classes: the label rule changes, and says so.
  ir::Model k2 = two_features();
  k2.schema.target = {"y", ir::Task::Classification, {"a", "b"}};
  ir::TreeEnsemble t2;
  t2.n_outputs = 2;
  t2.trees = {stump(2, 1, 2)};
  t2.output = {ir::Arithmetic::Operator, ir::PostTransform::Softmax, ir::ScoreLayout::TwoScores,
               ir::LabelRule::RawScores, ir::Precision::Double};
  k2.estimator = t2;
  ir::validate(k2, "m.onnx");
  w.clear();
  CHECK(ir::lower_output(k2, w, "ONNX writer").transform == ir::ScoreTransform::Softmax);
  REQUIRE(w.size() == 1);
  CHECK(w[0].code == "label-rule");
}

TEST_CASE("lower_output: stages the plain form cannot state are refused as unsupported") {
  auto refused = [](const ir::Model& m) -> std::string {
    Warnings w;
    try {
      ir::lower_output(m, w, "ONNX writer");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::Unsupported);
      return e.message();
    }
    return "";
  };
  ir::Model m = forest(2);
  m.schema.target = {"y", ir::Task::Classification, {"n", "y"}};
  trees_of(m).output = {ir::Arithmetic::Operator, ir::PostTransform::None, ir::ScoreLayout::OneScoreClass1,
                        ir::LabelRule::RawScores, ir::Precision::Float32};
  CHECK(refused(m) ==
        "an onnxruntime tree operator laying out a binary classifier's class-1 score as [0, s] has no "
        "equivalent the ONNX writer can express");
  trees_of(m).output.layout = ir::ScoreLayout::OneScore;
  trees_of(m).output.post = ir::PostTransform::Probit;
  CHECK(refused(m) ==
        "an onnxruntime tree operator with post_transform PROBIT has no equivalent the ONNX writer can express");
  trees_of(m).output.post = ir::PostTransform::SoftmaxZero;
  CHECK(refused(m).find("SOFTMAX_ZERO") != std::string::npos);
  trees_of(m).output.post = ir::PostTransform::Logistic;
  trees_of(m).link = ir::Link::Logit;
  CHECK(refused(m).find("with a post-transform followed by more transforms") != std::string::npos);
  trees_of(m).output.post = ir::PostTransform::None;
  trees_of(m).link = ir::Link::Identity;
  trees_of(m).trees[0].values[1] = -1;  // a negative leaf: onnxruntime lays the score out as [-s, s]
  CHECK(refused(m).find("laying out a binary score as [-s, s]") != std::string::npos);
  trees_of(m).trees[0].values[1] = 1;
  trees_of(m).base = {0.5, 0.5};
  CHECK(refused(m).find("with two base values for two classes") != std::string::npos);
  trees_of(m).base.clear();
  CHECK(refused(m) == "");
}
