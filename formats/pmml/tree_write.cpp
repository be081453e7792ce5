// ir::TreeEnsemble -> PMML 4.4: one TreeModel, or a MiningModel whose Segmentation aggregates
// TreeModels (sum, weightedSum, average, weightedAverage, max, majorityVote,
// weightedMajorityVote); a link after a sum becomes a modelChain ending in a RegressionModel.
//
// Every IR node's missing-value policy is written into its children's predicates, which are never
// UNKNOWN, so the document's missingValueStrategy never applies:
//   left child   surrogate(primary, surrogate_1 .. surrogate_k, True|False)
//   right child  True, or surrogate(not primary, not surrogate_1 .., False)
//   third child  True: the node's own prediction (StopHere) or the missing-value subtree (Node)
// with noTrueChildStrategy="returnNullPrediction" giving the missing prediction of MissingGo::Null.
// Two-sided category sets (codes on neither side count as missing) test a MapValues field that is
// 1 on the true side, 0 on the false side and missing elsewhere, so PMML's surrogate logic applies.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "formats/pmml/common.hpp"
#include "formats/pmml/tree.hpp"
#include "formats/pmml/writer_context.hpp"
#include "lib/ir/lower.hpp"

namespace mb::pmml {
namespace {

using namespace detail;

const char* op_name(ir::SplitOp op, bool negate) {
  using S = ir::SplitOp;
  switch (op) {
    case S::LessThan: return negate ? "greaterOrEqual" : "lessThan";
    case S::LessOrEqual: return negate ? "greaterThan" : "lessOrEqual";
    case S::GreaterThan: return negate ? "lessOrEqual" : "greaterThan";
    case S::GreaterOrEqual: return negate ? "lessThan" : "greaterOrEqual";
    case S::Equal: return negate ? "notEqual" : "equal";
    case S::NotEqual: return negate ? "equal" : "notEqual";
    default: return "";
  }
}

// One test of a node: the primary split or a surrogate.
struct Test {
  ir::SplitOp op;
  int feature;
  double threshold;
  int32_t set_offset, set_size;
};

struct TreeWriter {
  TreeWriter(const ir::Model& model, const ir::TreeEnsemble& t, Warnings& w) : m(model), te(t), warnings(w) {}
  const ir::Model& m;
  const ir::TreeEnsemble& te;
  Warnings& warnings;
  NameTable names;
  ExprWriter ex{m, names, warnings};
  std::string target_name;
  std::map<int, std::string> feature_field;  // continuous field holding a feature
  const ir::Tree* tree = nullptr;
  int out_index = -1;  // write this output's values as regression scores (-1: the model's target)
  bool votes = false;  // scores only (majority vote segments)
  int node_id = 0;
  int n_values = 1;  // values per node of the tree being written

  // ---- document parts
  void data_dictionary(pugi::xml_node root) { write_data_dictionary(root, m, target_name); }

  bool classification() const { return m.schema.target.task == ir::Task::Classification; }

  void mining_schema(pugi::xml_node model, bool top, const std::vector<std::string>& extra = {}) {
    write_mining_schema(model, m, target_name, top, extra);
  }

  void output(pugi::xml_node model) { write_output(model, m, names); }

  // Output of a summing segment in a model chain: its prediction under a field name.
  std::string publish(pugi::xml_node model, const std::string& hint) {
    const std::string name = names.unique(hint);
    auto of = model.append_child("Output").append_child("OutputField");
    of.append_attribute("name") = name.c_str();
    of.append_attribute("optype") = "continuous";
    of.append_attribute("dataType") = "double";
    of.append_attribute("feature") = "predictedValue";
    return name;
  }

  // ---- predicates
  const ir::Expr& expr_of(int feature) const { return m.features[feature].expr; }
  bool categorical_input(int feature) const {
    const auto& e = expr_of(feature);
    return e.op == ir::Op::Input && m.schema.inputs[e.index].is_categorical();
  }

  const std::string& field_of(int feature) {
    auto it = feature_field.find(feature);
    if (it != feature_field.end()) return it->second;
    return feature_field[feature] = ex.field_for(expr_of(feature), m.features[feature].name);
  }

  // Appends the predicate "the test sends the row to its true side" (negate: to its false side):
  // TRUE / FALSE when it has a direction, UNKNOWN when the value is missing (or, for two-sided
  // sets, listed on neither side).
  void test_predicate(pugi::xml_node parent, const Test& t, bool negate) {
    const auto& e = expr_of(t.feature);
    if (e.op == ir::Op::Const && std::isnan(e.value)) refuse("internal: a test of an always-missing feature");
    if (t.op != ir::SplitOp::InSet) {
      auto sp = parent.append_child("SimplePredicate");
      sp.append_attribute("field") = field_of(t.feature).c_str();
      sp.append_attribute("operator") = op_name(t.op, negate);
      sp.append_attribute("value") = format_double(t.threshold).c_str();
      return;
    }
    if (!categorical_input(t.feature))
      refuse(fmt::format("a category-set split on feature '{}', which is not a categorical input",
                         m.features[t.feature].name));
    const auto& in = m.schema.inputs[e.index];
    if (!tree->set_side.empty()) {
      // 1 on the true side, 0 on the false side, missing for codes on neither side.
      std::vector<double> table(in.levels.size(), std::numeric_limits<double>::quiet_NaN());
      for (int32_t i = t.set_offset; i < t.set_offset + t.set_size; ++i) {
        const int32_t code = tree->sets[i];
        if (code >= 0 && code < static_cast<int32_t>(table.size())) table[code] = tree->set_side[i] ? 1.0 : 0.0;
      }
      const std::string field = ex.field_for(ir::Expr::level_map(e.index, table), in.name + "_side");
      auto sp = parent.append_child("SimplePredicate");
      sp.append_attribute("field") = field.c_str();
      sp.append_attribute("operator") = "equal";
      sp.append_attribute("value") = negate ? "0" : "1";
      return;
    }
    auto ssp = parent.append_child("SimpleSetPredicate");
    ssp.append_attribute("field") = in.name.c_str();
    ssp.append_attribute("booleanOperator") = negate ? "isNotIn" : "isIn";
    std::string text;
    int n = 0;
    for (int32_t i = t.set_offset; i < t.set_offset + t.set_size; ++i) {
      const int32_t code = tree->sets[i];
      if (code < 0 || code >= static_cast<int32_t>(in.levels.size())) continue;
      std::string v = in.levels[code];
      std::string quoted = "\"";
      for (char ch : v) {
        if (ch == '"' || ch == '\\') quoted += '\\';
        quoted += ch;
      }
      text += (n++ ? " " : "") + quoted + "\"";
    }
    auto arr = ssp.append_child("Array");
    arr.append_attribute("n") = n;
    arr.append_attribute("type") = "string";
    arr.text() = text.c_str();
  }

  // The surrogate chain for one side: side = true for the left child.  `final` is the constant
  // when no test has a direction.
  void side_predicate(pugi::xml_node parent, int n, bool left, bool final) {
    std::vector<std::pair<Test, bool>> tests;  // test, negate
    const auto& e = expr_of(tree->feature[n]);
    const bool primary_missing = e.op == ir::Op::Const && std::isnan(e.value);
    if (!primary_missing) {
      tests.push_back(
          {{tree->op[n], tree->feature[n], tree->threshold[n], tree->set_offset.empty() ? 0 : tree->set_offset[n],
            tree->set_size.empty() ? 0 : tree->set_size[n]},
           !left});
    }
    if (!tree->sur_size.empty()) {
      for (int32_t s = tree->sur_offset[n]; s < tree->sur_offset[n] + tree->sur_size[n]; ++s) {
        const bool flip = tree->sur_flip[s] != 0;
        tests.push_back({{tree->sur_op[s], tree->sur_feature[s], tree->sur_threshold[s], tree->sur_set_offset[s],
                          tree->sur_set_size[s]},
                         left == flip});
      }
    }
    if (tests.empty()) {
      parent.append_child(final ? "True" : "False");
      return;
    }
    auto cp = parent.append_child("CompoundPredicate");
    cp.append_attribute("booleanOperator") = "surrogate";
    for (const auto& [t, neg] : tests) test_predicate(cp, t, neg);
    cp.append_child(final ? "True" : "False");
  }

  // ---- nodes
  void scores(pugi::xml_node node, int n) {
    const size_t K = n_values;
    const double* v = &tree->values[static_cast<size_t>(n) * K];
    if (out_index >= 0 || !classification()) {
      const double x = v[out_index >= 0 ? out_index : 0];
      if (!std::isnan(x)) node.append_attribute("score") = format_double(x).c_str();
      return;
    }
    for (size_t k = 0; k < K; ++k)
      if (std::isnan(v[k])) return;
    size_t best = 0;
    for (size_t k = 1; k < K; ++k)
      if (v[k] > v[best]) best = k;
    // A node label (ir::Tree::label) is the Node's score; its ScoreDistribution keeps the values.
    if (!tree->label.empty() && tree->label[n] >= 0) best = static_cast<size_t>(tree->label[n]);
    node.append_attribute("score") = m.schema.target.classes[best].c_str();
  }

  void distribution(pugi::xml_node node, int n) {
    if (out_index >= 0 || !classification() || votes) return;
    const size_t K = n_values;
    const double* v = &tree->values[static_cast<size_t>(n) * K];
    for (size_t k = 0; k < K; ++k)
      if (std::isnan(v[k])) return;
    for (size_t k = 0; k < K; ++k) {
      auto sd = node.append_child("ScoreDistribution");
      sd.append_attribute("value") = m.schema.target.classes[k].c_str();
      sd.append_attribute("recordCount") = format_double(v[k]).c_str();
      sd.append_attribute("probability") = format_double(v[k]).c_str();
    }
  }

  // Appends the Node for IR node n; `pred` writes its predicate.
  void node(pugi::xml_node parent, int n, const std::function<void(pugi::xml_node)>& pred) {
    auto x = parent.append_child("Node");
    x.append_attribute("id") = ++node_id;
    scores(x, n);
    if (!tree->count.empty()) x.append_attribute("recordCount") = format_double(tree->count[n]).c_str();
    pred(x);
    distribution(x, n);
    if (tree->op[n] == ir::SplitOp::Leaf) return;
    ir::MissingGo go = tree->missing[n];
    if (go == ir::MissingGo::Majority) {
      const double cl = tree->count[tree->left[n]], cr = tree->count[tree->right[n]];
      go = cl == cr ? ir::MissingGo::StopHere : cl > cr ? ir::MissingGo::Left : ir::MissingGo::Right;
    }
    const bool directed = go == ir::MissingGo::Left || go == ir::MissingGo::Right;
    node(x, tree->left[n], [&](pugi::xml_node p) { side_predicate(p, n, true, go == ir::MissingGo::Left); });
    if (directed) node(x, tree->right[n], [](pugi::xml_node p) { p.append_child("True"); });
    else node(x, tree->right[n], [&](pugi::xml_node p) { side_predicate(p, n, false, false); });
    if (go == ir::MissingGo::Node) {
      node(x, tree->missing_child[n], [](pugi::xml_node p) { p.append_child("True"); });
    } else if (go == ir::MissingGo::StopHere) {
      auto leaf = x.append_child("Node");
      leaf.append_attribute("id") = ++node_id;
      scores(leaf, n);
      leaf.append_child("True");
      distribution(leaf, n);
    }
  }

  pugi::xml_node tree_model(pugi::xml_node parent, const ir::Tree& t, bool top, const char* function,
                            int values_per_node) {
    tree = &t;
    n_values = values_per_node;
    auto tm = parent.append_child("TreeModel");
    tm.append_attribute("functionName") = function;
    tm.append_attribute("missingValueStrategy") = "none";
    tm.append_attribute("noTrueChildStrategy") = "returnNullPrediction";
    tm.append_attribute("splitCharacteristic") = "multiSplit";
    mining_schema(tm, top);
    if (top) output(tm);
    node(tm, 0, [](pugi::xml_node p) { p.append_child("True"); });
    return tm;
  }

  static ir::Tree constant_tree(double v) {
    ir::Tree t;
    t.op = {ir::SplitOp::Leaf};
    t.feature = {-1};
    t.threshold = {0};
    t.left = t.right = {-1};
    t.missing = {ir::MissingGo::Right};
    t.values = {v};
    return t;
  }

  // A MiningModel summing output k of every tree (after the base), published under a field.
  std::string sum_segment(pugi::xml_node seg, int k, int K) {
    auto s = seg.append_child("Segment");
    s.append_child("True");
    auto mm = s.append_child("MiningModel");
    mm.append_attribute("functionName") = "regression";
    mining_schema(mm, false);
    const std::string name = publish(mm, K == 1 ? "sum" : fmt::format("sum({})", m.schema.target.classes[k]));
    segmentation(mm, "sum", k);
    return name;
  }

  void segmentation(pugi::xml_node model, const std::string& method, int k) {
    auto seg = model.append_child("Segmentation");
    const bool weighted = !te.tree_weights.empty();
    std::string mm = method;
    if (weighted)
      mm = method == "sum" ? "weightedSum" : method == "average" ? "weightedAverage" : "weightedMajorityVote";
    seg.append_attribute("multipleModelMethod") = mm.c_str();
    int id = 0;
    const bool cls_segments = classification() && k < 0;
    out_index = k;
    const ir::Tree base_tree = constant_tree(k >= 0 && !te.base.empty() ? te.base[k] : 0);
    if (method == "sum" && !te.base.empty()) {  // the base first: PMML sums segments in order
      auto s = seg.append_child("Segment");
      s.append_attribute("id") = ++id;
      if (weighted) s.append_attribute("weight") = "1";
      s.append_child("True");
      out_index = 0;
      tree_model(s, base_tree, false, "regression", 1);
      out_index = k;
    }
    for (size_t t = 0; t < te.trees.size(); ++t) {
      auto s = seg.append_child("Segment");
      s.append_attribute("id") = ++id;
      if (weighted) s.append_attribute("weight") = format_double(te.tree_weights[t]).c_str();
      s.append_child("True");
      tree_model(s, te.trees[t], false, cls_segments ? "classification" : "regression", te.n_outputs);
    }
    out_index = -1;
  }
};

}  // namespace

std::string write_trees(const ir::Model& m, Warnings& warnings) {
  const auto& source = std::get<ir::TreeEnsemble>(m.estimator);
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) refuse("a tree ensemble cannot be a clustering model");
  if (source.threshold_precision == ir::Precision::Float32 || source.value_precision == ir::Precision::Float32)
    refuse("float32 tree thresholds or values (PMML compares and sums trees in double)");
  if (!source.class_cutoffs.empty())
    refuse(
        "class cutoffs (randomForest's cutoff: PMML labels a vote by its largest probability, not by the "
        "probability divided by a per-class cutoff)");
  // PMML states the plain form: an operator output stage is lowered to it (or refused).
  const ir::TreeEnsemble te = ir::lower_output(m, warnings, "PMML writer");
  if (te.trees.empty()) refuse("an ensemble without trees");
  const bool cls = task == ir::Task::Classification;
  const int K = te.n_outputs;
  bool unit_weights = true;
  for (double w : te.tree_weights) unit_weights &= w == 1.0;

  TreeWriter w{m, te, warnings};
  w.target_name = reserve_field_names(w.names, m);

  pugi::xml_document doc;
  auto root = begin_document(doc);
  w.data_dictionary(root);
  auto td = root.append_child("TransformationDictionary");
  w.ex.helpers = td;
  w.ex.derived_fields(td);

  const char* fn = cls ? "classification" : "regression";
  const bool single = te.trees.size() == 1 && unit_weights && te.base.empty() && te.link == ir::Link::Identity &&
                      te.transform == ir::ScoreTransform::None && te.aggregate != ir::Aggregate::Vote;
  bool node_labels = false;
  for (const auto& t : te.trees) node_labels |= !t.label.empty();
  if (node_labels && !single && te.aggregate != ir::Aggregate::Vote)
    refuse("node labels in a tree whose probabilities are transformed (PMML labels such a model by them)");
  if (single && (!cls || K == static_cast<int>(m.schema.target.classes.size()))) {
    w.tree_model(root, te.trees[0], true, fn, K);
  } else if (te.aggregate == ir::Aggregate::Sum && te.link == ir::Link::Identity &&
             te.transform == ir::ScoreTransform::None) {
    if (cls) refuse("a classifier summing class scores without a link or softmax");
    auto mm = root.append_child("MiningModel");
    mm.append_attribute("functionName") = fn;
    w.mining_schema(mm, true);
    w.output(mm);
    w.segmentation(mm, "sum", 0);
  } else if (te.aggregate == ir::Aggregate::Sum) {
    // A link (or softmax) after sums: modelChain of sums, then a RegressionModel.
    // Class scores divided by their sum (rule weights of a weightedSum rule set): simplemax.
    const bool simplemax = te.transform == ir::ScoreTransform::Normalize;
    const bool softmax = te.transform == ir::ScoreTransform::Softmax || simplemax;
    const bool binary = te.transform == ir::ScoreTransform::Binary;
    if (cls != (softmax || binary)) refuse("a score transform that does not match the task");
    if (softmax && te.link != ir::Link::Identity)
      refuse(simplemax ? "a link before the normalization" : "a link before softmax");
    const char* norm = simplemax ? "simplemax" : softmax ? "softmax" : normalization_for(te.link);
    if (!norm) refuse("link function not expressible as a PMML normalizationMethod");
    if (softmax && K != static_cast<int>(m.schema.target.classes.size()))
      refuse("softmax over a different number of scores than classes");
    auto mm = root.append_child("MiningModel");
    mm.append_attribute("functionName") = fn;
    w.mining_schema(mm, true);
    w.output(mm);
    auto seg = mm.append_child("Segmentation");
    seg.append_attribute("multipleModelMethod") = "modelChain";
    std::vector<std::string> sums;
    for (int k = 0; k < K; ++k) sums.push_back(w.sum_segment(seg, k, K));
    auto s = seg.append_child("Segment");
    s.append_child("True");
    auto rm = s.append_child("RegressionModel");
    rm.append_attribute("functionName") = fn;
    rm.append_attribute("normalizationMethod") = norm;
    w.mining_schema(rm, false, sums);
    auto table = [&](const std::string& sum, const std::string& category) {
      auto t = rm.append_child("RegressionTable");
      t.append_attribute("intercept") = "0";
      if (!category.empty()) t.append_attribute("targetCategory") = category.c_str();
      if (sum.empty()) return;
      auto np = t.append_child("NumericPredictor");
      np.append_attribute("name") = sum.c_str();
      np.append_attribute("coefficient") = "1";
    };
    const auto& classes = m.schema.target.classes;
    if (!cls) table(sums[0], "");
    else if (binary) {
      table(sums[0], classes[1]);
      table("", classes[0]);
    } else
      for (int k = 0; k < K; ++k) table(sums[k], classes[k]);
  } else {
    if (te.link != ir::Link::Identity) refuse("a link function after an average, vote or maximum");
    std::string method;
    switch (te.aggregate) {
      case ir::Aggregate::Average:
        if (te.transform != ir::ScoreTransform::None) refuse("a score transform after averaging trees");
        method = "average";
        break;
      case ir::Aggregate::Vote:
        if (!cls || te.transform != ir::ScoreTransform::Normalize)
          refuse("a vote whose probabilities are not the vote shares");
        method = "majorityVote";
        break;
      case ir::Aggregate::Max:
        if (cls || te.transform != ir::ScoreTransform::None) refuse("a maximum of class scores");
        if (!unit_weights) refuse("a weighted maximum");
        method = "max";
        break;
      default: refuse("the minimum of trees (PMML has no 'min' segmentation)");
    }
    if (cls && !te.base.empty()) refuse("a base added to class scores");
    if (cls && K != static_cast<int>(m.schema.target.classes.size()))
      refuse("class scores that do not match the classes");
    auto mm = root.append_child("MiningModel");
    mm.append_attribute("functionName") = fn;
    w.mining_schema(mm, true);
    w.output(mm);
    if (!te.base.empty()) {  // added after the aggregate
      auto t = mm.append_child("Targets").append_child("Target");
      t.append_attribute("field") = w.target_name.c_str();
      t.append_attribute("rescaleConstant") = format_double(te.base[0]).c_str();
    }
    w.votes = method == "majorityVote";
    w.segmentation(mm, method, -1);
  }
  if (!td.first_child()) root.remove_child(td);
  return document_text(doc);
}

}  // namespace mb::pmml
