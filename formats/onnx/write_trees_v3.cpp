// ONNX writer, tree ensembles in float32 with OnnxTrees::Core: one ai.onnx.ml opset-3 operator on
// the float32 features (see write_trees.hpp).  Shared subtrees are expanded (onnxruntime refuses
// node DAGs) and each `x <= t` test keeps its meaning on float inputs with t' = the largest float
// not above t; a test whose missing exit is neither branch gets a guard `x <= +inf` whose false
// branch is the missing exit.
//
// Classification models whose class probabilities one TreeEnsembleClassifier outputs (Z) become
// that operator; its label output (Y) is the graph's class.  onnxruntime 1.30's layouts
// (onnxruntime 1.30, as lib/eval/eval_tree_ort.cpp reproduces it) decide which models qualify:
//  - more than two classes: every leaf weighs every class (class_ids 0..K-1, zeros included, so
//    that each class has scores), post_transform NONE for probabilities (rpart, ranger
//    probability forests, randomForest/ranger votes) or SOFTMAX for softmax scores, base_values
//    the model's base; Z is the scores, the label their first maximum.
//  - two classes: with both classes weighted the runtime labels by the second score's sign, so
//    the leaves weigh class 0 only, with class 1's score s.  post_transform NONE writes
//    [1 - s, s] (all weights >= 0; the label is s > 0.5): the model's probabilities when each
//    row's two probabilities sum to 1 (rpart, ranger probability forests, votes) or when the
//    model's one score is P(classes[1]).  LOGISTIC writes [1 - sigmoid(s), sigmoid(s)] with the
//    label s > 0 when some weight is negative: gbm bernoulli, base_values = [initF].
//  - averages and vote shares: the operator only sums, so leaf values (one-hot votes) are
//    divided by the total tree weight (randomForest: 1/ntree per vote).
// The others keep the TreeEnsembleRegressor and the graph after it; plan_classifier says why for
// each: Max/Min aggregation (the classifier only sums), row-sum normalisation of scores that do
// not sum to a constant, links other than the logit of a binary score, a softmax over two
// classes (no two-class layout applies a softmax), two class scores that are negative, carry
// base values or do not sum to 1 (the [1 - s, s] layout would not be their probabilities), a
// binary score with negative values and no link (laid out as [-s, s]), and a logit score whose
// leaf values are all >= 0 (labelled s > 0.5, not s > 0).
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>

#include "formats/onnx/tree_prims.hpp"

namespace mb::onnxfmt::prims {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Node attributes of an ml-opset-3 tree operator; leaves in the order they were emitted.
struct V3Nodes {
  std::vector<int64_t> tree_ids, node_ids, feat_ids, t_ids, f_ids, tracks;
  std::vector<std::string> modes;
  std::vector<double> values;
  struct Leaf {
    int64_t tree = 0, node = 0;
    int32_t leaf = 0;  // index into PrimForest::values / K
  };
  std::vector<Leaf> leaves;
  bool moved = false;  // a threshold changed by the float32 rounding
};

V3Nodes v3_nodes(const PrimForest& pf) {
  V3Nodes v;
  size_t emitted = 0;
  const int64_t T = static_cast<int64_t>(pf.roots.size());
  auto push = [&](int64_t t, int64_t id, int32_t feature, const char* mode, double value) {
    v.tree_ids.push_back(t);
    v.node_ids.push_back(id);
    v.feat_ids.push_back(feature);
    v.modes.push_back(mode);
    v.values.push_back(value);
    v.t_ids.push_back(0);
    v.f_ids.push_back(0);
    v.tracks.push_back(0);
    return v.tree_ids.size() - 1;
  };
  for (int64_t t = 0; t < T; ++t) {
    int64_t next_id = 0;
    std::function<int64_t(int32_t, int)> emit = [&](int32_t n, int level) -> int64_t {
      if (++emitted > 20'000'000 || level > 2000)
        throw Error("", fmt::format("tree {}", t),
                    "the float32 operator cannot share subtrees (onnxruntime refuses node DAGs) and expanding them "
                    "(surrogates, category sets, missing-value branches) exceeds 20 million nodes");
      const Prim& p = pf.nodes[n];
      const int64_t id = next_id++;
      if (p.leaf >= 0) {
        push(t, id, 0, "LEAF", 0);
        v.leaves.push_back({t, id, p.leaf});
        return id;
      }
      const double tf = float_floor(p.thr);
      v.moved |= tf != p.thr;
      const size_t at = push(t, id, p.feature, "BRANCH_LEQ", tf);
      if (p.nan == p.t || p.nan == p.f) {
        v.tracks[at] = p.nan == p.t ? 1 : 0;
        v.t_ids[at] = emit(p.t, level + 1);
        v.f_ids[at] = emit(p.f, level + 1);
      } else {
        // NaN guard: x <= +inf is true for every number; a NaN takes the false branch.
        v.values[at] = kInf;
        const int64_t test = next_id++;
        const size_t test_at = push(t, test, p.feature, "BRANCH_LEQ", tf);
        v.t_ids[test_at] = emit(p.t, level + 1);
        v.f_ids[test_at] = emit(p.f, level + 1);
        v.t_ids[at] = test;
        v.f_ids[at] = emit(p.nan, level + 1);
      }
      return id;
    };
    emit(pf.roots[t], 0);
  }
  return v;
}

onnx::AttributeProto floats(const std::string& name, const std::vector<double>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOATS);
  for (double x : v) a.add_floats(static_cast<float>(x));
  return a;
}

std::vector<onnx::AttributeProto> node_attrs(const V3Nodes& v) {
  return {attr_ints("nodes_treeids", v.tree_ids),
          attr_ints("nodes_nodeids", v.node_ids),
          attr_ints("nodes_featureids", v.feat_ids),
          attr_strings("nodes_modes", v.modes),
          attr_ints("nodes_truenodeids", v.t_ids),
          attr_ints("nodes_falsenodeids", v.f_ids),
          attr_ints("nodes_missing_value_tracks_true", v.tracks),
          floats("nodes_values", v.values)};
}

// How a classification model's probabilities are one TreeEnsembleClassifier's output, or why
// they are not (`why` set; the TreeEnsembleRegressor graph is written instead).
struct ClassifierPlan {
  std::string why;
  bool binary = false;  // two classes: one weight per leaf, class id 0, holding score column `column`
  int column = 0;
  const char* post = "NONE";
  double scale = 1;          // leaf values are divided by it (Average, Vote: the total tree weight)
  std::vector<double> base;  // base_values
};

// Whether every path through the forest gives class scores (columns 0 and 1, divided by
// `scale`) that sum to 1: each tree's leaves sum to one constant and the constants to `scale`.
bool sums_to_one(const PrimForest& pf, double scale) {
  constexpr double kTol = 1e-9;
  double total = 0;
  std::vector<uint8_t> seen(pf.nodes.size(), 0);
  for (int32_t root : pf.roots) {
    double c = std::numeric_limits<double>::quiet_NaN();
    const bool constant = for_each_leaf(pf, root, seen, [&](int32_t leaf) {
      const double s = pf.values[static_cast<size_t>(leaf) * 2] + pf.values[static_cast<size_t>(leaf) * 2 + 1];
      if (std::isnan(s)) return true;  // a missing prediction
      if (std::isnan(c)) c = s;
      return std::abs(s - c) <= kTol * std::max(1.0, std::abs(c));
    });
    if (!constant) return false;
    if (!std::isnan(c)) total += c;
  }
  return std::abs(total / scale - 1.0) <= kTol;
}

ClassifierPlan plan_classifier(const ir::Model& m, const ir::TreeEnsemble& te, const PrimForest& pf,
                               double total_weight) {
  ClassifierPlan p;
  const int C = static_cast<int>(m.schema.target.classes.size()), K = te.n_outputs;
  auto no = [&](const std::string& why) {
    p.why = why;
    return p;
  };
  auto negative = [&](int column) {
    for (size_t i = column; i < pf.values.size(); i += K)
      if (pf.values[i] < 0) return true;
    return false;
  };
  if (!te.class_cutoffs.empty()) return no("class cutoffs (the label is not the largest probability)");
  if (te.aggregate == ir::Aggregate::Max || te.aggregate == ir::Aggregate::Min)
    return no("the classifier only sums trees: Max/Min aggregation");
  p.scale = te.aggregate == ir::Aggregate::Average || te.aggregate == ir::Aggregate::Vote ? total_weight : 1.0;
  if (!(p.scale > 0) || !std::isfinite(p.scale)) return no("a total tree weight that is not positive");
  switch (te.transform) {
    case ir::ScoreTransform::Normalize:
      // Every tree casts its whole weight as one vote, so the row sum of the votes is the total
      // weight; summed scores have row sums no post-transform divides by.
      if (te.aggregate != ir::Aggregate::Vote) return no("scores normalised by their row sum");
      if (!te.base.empty()) return no("votes with base values");
      [[fallthrough]];
    case ir::ScoreTransform::None:
      if (te.link != ir::Link::Identity) return no("an inverse link on several class scores");
      if (K != C) return no("class scores that do not match the classes");
      if (C > 2) {
        p.base = te.base;
        return p;
      }
      if (!te.base.empty()) return no("base values on two class scores");
      if (negative(1)) return no("negative class scores (laid out as [-s, s])");
      if (!sums_to_one(pf, p.scale)) return no("two class scores that do not sum to 1");
      p.binary = true;
      p.column = 1;
      return p;
    case ir::ScoreTransform::Binary:
      if (K != 1 || C != 2) return no("a binary score without two classes");
      p.binary = true;
      p.column = 0;
      p.base = te.base;
      if (te.link == ir::Link::Identity) {
        if (negative(0)) return no("a binary score with negative leaf values (laid out as [-s, s])");
        return p;
      }
      if (te.link == ir::Link::Logit) {
        if (!negative(0)) return no("a logit score whose leaf values are all >= 0 (labelled by s > 0.5, not s > 0)");
        p.post = "LOGISTIC";
        return p;
      }
      return no("an inverse link other than the logistic");
    case ir::ScoreTransform::Softmax:
      if (te.link != ir::Link::Identity) return no("an inverse link before a softmax");
      if (K != C) return no("class scores that do not match the classes");
      if (C < 3) return no("a softmax over two class scores (no two-class layout applies a softmax)");
      p.post = "SOFTMAX";
      p.base = te.base;
      return p;
    case ir::ScoreTransform::Cumulative: return no("cumulative-link class scores");
  }
  return no("an unknown score transform");
}

void float_warnings(const ir::TreeEnsemble& te, bool moved, Warnings& warnings) {
  if (moved)
    warnings.push_back({"float32-thresholds",
                        "split thresholds are stored as float32: each is the largest float32 not above the double "
                        "threshold, so float32 inputs split as before; double inputs rounded to float32 may move"});
  if (te.value_precision == ir::Precision::Double)
    warnings.push_back(
        {"float32-narrowing", "leaf values and base values are rounded to float32 and summed in float32"});
}

TreeScores write_classifier(const ir::Model& m, const ir::TreeEnsemble& te, const PrimForest& pf,
                            const ClassifierPlan& plan, const V3Nodes& nodes, onnx::GraphProto* g, Emitter& e,
                            const std::string& features, Warnings& warnings) {
  const int K = pf.K;
  const int C = static_cast<int>(m.schema.target.classes.size());
  std::vector<int64_t> w_tree, w_node, w_class;
  std::vector<double> weights;
  for (const auto& l : nodes.leaves) {
    const double* v = &pf.values[static_cast<size_t>(l.leaf) * K];
    const int from = plan.binary ? plan.column : 0, to = plan.binary ? plan.column + 1 : K;
    for (int k = from; k < to; ++k) {
      w_tree.push_back(l.tree);
      w_node.push_back(l.node);
      w_class.push_back(plan.binary ? 0 : k);
      weights.push_back(v[k] / plan.scale);
    }
  }
  std::vector<onnx::AttributeProto> attrs = node_attrs(nodes);
  attrs.push_back(attr_ints("class_treeids", w_tree));
  attrs.push_back(attr_ints("class_nodeids", w_node));
  attrs.push_back(attr_ints("class_ids", w_class));
  attrs.push_back(floats("class_weights", weights));
  attrs.push_back(attr_strings("classlabels_strings", m.schema.target.classes));
  attrs.push_back(attr_string("post_transform", plan.post));
  if (!plan.base.empty()) attrs.push_back(floats("base_values", plan.base));
  float_warnings(te, nodes.moved, warnings);

  const std::string x32 = e.node("Cast", {features}, {attr_int("to", onnx::TensorProto::FLOAT)});
  const std::string label = e.node("TreeEnsembleClassifier", {x32}, std::move(attrs), "ai.onnx.ml", "trees/label");
  g->mutable_node(g->node_size() - 1)->add_output(kTreeScoresName);
  TreeScores out;
  out.n_scores = C;
  out.op_label = label;
  out.op_probabilities = e.node("Cast", {kTreeScoresName}, {attr_int("to", onnx::TensorProto::DOUBLE)});
  return out;
}

}  // namespace

TreeScores write_v3(const ir::Model& m, const ir::TreeEnsemble& te, const PrimForest& pf, double total_weight,
                    onnx::GraphProto* g, Emitter& e, const std::string& features, Warnings& warnings) {
  const int K = pf.K;
  const int64_t T = static_cast<int64_t>(pf.roots.size());
  const V3Nodes nodes = v3_nodes(pf);
  if (m.schema.target.task == ir::Task::Classification) {
    const ClassifierPlan plan = plan_classifier(m, te, pf, total_weight);
    if (plan.why.empty()) return write_classifier(m, te, pf, plan, nodes, g, e, features, warnings);
  }

  // TreeEnsembleRegressor: n_targets = the score columns, the graph after it as in double.
  std::vector<int64_t> w_tree, w_node, w_target;
  std::vector<double> weights;
  bool moved = nodes.moved;
  for (const auto& l : nodes.leaves)
    for (int k = 0; k < K; ++k) {
      w_tree.push_back(l.tree);
      w_node.push_back(l.node);
      w_target.push_back(k);
      const double v = pf.values[static_cast<size_t>(l.leaf) * K + k];
      weights.push_back(v);
      moved |= static_cast<double>(static_cast<float>(v)) != v && !std::isnan(v);
    }
  float_warnings(te, moved, warnings);
  std::vector<onnx::AttributeProto> attrs = node_attrs(nodes);
  attrs.push_back(attr_int("n_targets", K));
  attrs.push_back(attr_ints("target_treeids", w_tree));
  attrs.push_back(attr_ints("target_nodeids", w_node));
  attrs.push_back(attr_ints("target_ids", w_target));
  attrs.push_back(attr_string("post_transform", "NONE"));
  attrs.push_back(floats("target_weights", weights));
  if (te.aggregate == ir::Aggregate::Average && !te.tree_weights.empty() && total_weight != static_cast<double>(T)) {
    // The operator divides by the number of trees.
    throw Error("", "estimator", "weighted averages of trees cannot be written with the float32 operator");
  }
  if (!te.base.empty()) attrs.push_back(floats("base_values", te.base));
  const char* agg = te.aggregate == ir::Aggregate::Average ? "AVERAGE"
                    : te.aggregate == ir::Aggregate::Max   ? "MAX"
                    : te.aggregate == ir::Aggregate::Min   ? "MIN"
                                                           : "SUM";
  attrs.push_back(attr_string("aggregate_function", agg));
  const std::string x32 = e.node("Cast", {features}, {attr_int("to", onnx::TensorProto::FLOAT)});
  const std::string y = e.node("TreeEnsembleRegressor", {x32}, std::move(attrs), "ai.onnx.ml", kTreeScoresName);
  TreeScores out;
  out.n_scores = K;
  out.link = te.link;
  out.transform = te.transform;
  out.scores = e.node("Cast", {y}, {attr_int("to", onnx::TensorProto::DOUBLE)});
  return out;
}

}  // namespace mb::onnxfmt::prims
