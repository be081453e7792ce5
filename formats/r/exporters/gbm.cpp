// Boosted trees to gbm (see export.hpp): predict.gbm starts from `initF`, adds each tree's leaf
// (gbm_pred in gbm's C code) and applies the distribution's response function.
//
// - Distributions: gaussian (a sum), poisson (exp of the sum), bernoulli (the logistic of the
//   sum, classes "0" and "1" as gbm's response is 0/1).  Tree weights are multiplied into the leaf
//   values (the evaluator adds w * v; gbm adds the stored product: the same double).
// - Tests: gbm sends `x < split` left, everything else right (ir::double_cut: `<=` and float32
//   thresholds included, children swapped when the source's true side is the upper one); an
//   ordered factor compares its 0-based code; a factor looks its code up in `$c.splits`
//   (-1 left, 1 right, 0 the missing node: a level the source sends neither way).
// - Missing values: gbm's MissingNode is any node, so every rule is exact: left, right, the
//   source's third child, or a leaf holding what the node predicts (stop here) or NaN (a missing
//   prediction).  Surrogate splits have no gbm counterpart: refused.
// - float32 sums (ONNX) are computed in double by R: warning `r-double-arithmetic`.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "formats/r/exporters/export.hpp"
#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/exporters/rtrees.hpp"
#include "formats/r/lang/rparse.hpp"
#include "lib/ir/lower.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

constexpr const char* kWho = "gbm";

[[noreturn]] void refuse(const std::string& why) {
  throw Unsupported("", "", fmt::format("no standard R class holds this tree ensemble exactly (gbm): {}", why));
}

// One gbm tree: eight vectors, node 0 the root.
struct GbmTree {
  std::vector<int32_t> var, left, right, missing;
  std::vector<double> code, reduction, weight, prediction;
  int32_t add(int32_t v, double c, double w) {
    var.push_back(v);
    code.push_back(c);
    left.push_back(-1);
    right.push_back(-1);
    missing.push_back(-1);
    reduction.push_back(0);
    weight.push_back(w);
    prediction.push_back(v < 0 ? c : 0);
    return static_cast<int32_t>(var.size() - 1);
  }
  RPtr object() const {
    return make_list({make_ints(var), make_doubles(code), make_ints(left), make_ints(right), make_ints(missing),
                      make_doubles(reduction), make_doubles(weight), make_doubles(prediction)});
  }
};

}  // namespace

RPtr export_gbm(const ir::Model& m, Warnings& warnings) {
  const auto* src = std::get_if<ir::TreeEnsemble>(&m.estimator);
  if (!src || src->trees.size() < 2) return nullptr;  // one tree: rpart
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) return nullptr;
  if (src->aggregate == ir::Aggregate::Average || src->aggregate == ir::Aggregate::Vote) return nullptr;  // forests
  if (src->aggregate != ir::Aggregate::Sum)
    refuse(
        fmt::format("the ensemble takes the {} of its trees; gbm and every other standard R class add or average them",
                    src->aggregate == ir::Aggregate::Max ? "largest" : "smallest"));
  Warnings lower_warnings;
  const ir::TreeEnsemble te = ir::lower_output(m, lower_warnings, "rds writer");
  if (task == ir::Task::Classification && te.link != ir::Link::Logit && te.transform != ir::ScoreTransform::Softmax)
    return nullptr;  // votes: randomForest
  const bool float32_values = src->value_precision == ir::Precision::Float32 || !src->output.plain();
  if (float32_values)
    warnings.push_back(
        {"r-double-arithmetic",
         "the source adds its trees in float32 (onnxruntime); gbm adds the same leaf values in double, so "
         "predictions differ by float32 rounding (convert --data measures it)"});
  if (te.n_outputs != 1)
    refuse(fmt::format("{} scores per row (multinomial boosting); gbm's multinomial distribution is not written",
                       te.n_outputs));
  if (!te.class_cutoffs.empty()) refuse("class cutoffs; gbm has none");
  std::string distribution;
  const bool cls = task == ir::Task::Classification;
  if (!cls && te.link == ir::Link::Identity && te.transform == ir::ScoreTransform::None) distribution = "gaussian";
  else if (!cls && te.link == ir::Link::Log && te.transform == ir::ScoreTransform::None) distribution = "poisson";
  else if (cls && te.link == ir::Link::Logit && te.transform == ir::ScoreTransform::Binary) distribution = "bernoulli";
  else
    refuse(cls ? "a classifier that is not the logistic of one sum of trees (gbm bernoulli)"
               : "a regression whose response is not the sum of its trees (gaussian) or its exp (poisson)");
  if (cls && m.schema.target.classes != std::vector<std::string>{"0", "1"})
    refuse(fmt::format("classes '{}' and '{}': gbm's bernoulli response is 0/1 and keeps no labels",
                       m.schema.target.classes.at(0), m.schema.target.classes.at(1)));
  if (te.base.size() > 1) refuse("several base scores");
  const double init_f = te.base.empty() ? 0.0 : te.base[0];

  // ---- trees ----
  std::vector<RPtr> trees;
  std::vector<RPtr> c_splits;
  int max_depth = 0;
  for (size_t t = 0; t < te.trees.size(); ++t) {
    const ir::Tree& tr = te.trees[t];
    const double w = te.tree_weights.empty() ? 1.0 : te.tree_weights[t];
    GbmTree g;
    auto weight_of = [&](int32_t v) { return tr.count.size() == tr.op.size() ? tr.count[v] : 0.0; };
    auto leaf_value = [&](int32_t v) { return w * tr.values.at(static_cast<size_t>(v)); };
    // Depth first; every node after its parent (a subtree reached twice is written twice, as
    // readers of gbm trees expect children to follow their parent).
    std::function<int32_t(int32_t, int)> make = [&](int32_t v, int depth) -> int32_t {
      max_depth = std::max(max_depth, depth);
      const std::string place = fmt::format("tree {} node {}", t + 1, v);
      if (tr.op[v] == ir::SplitOp::Leaf) return g.add(-1, leaf_value(v), weight_of(v));
      if (!tr.sur_size.empty() && tr.sur_size[v] > 0) refuse(place + ": surrogate splits; gbm has none");
      const bool sets = !tr.set_offset.empty() && tr.op[v] == ir::SplitOp::InSet;
      rtrees::RTest test = rtrees::r_test(m, te, tr, tr.op[v], tr.feature[v], tr.threshold[v],
                                          sets ? tr.set_offset[v] : 0, sets ? tr.set_size[v] : 0, kWho, place);
      const int32_t me = g.add(test.input, 0, weight_of(v));
      const int32_t l = make(tr.left[v], depth + 1), r = make(tr.right[v], depth + 1);
      int32_t miss = -1;
      switch (tr.missing[v]) {
        case ir::MissingGo::Left: miss = l; break;
        case ir::MissingGo::Right: miss = r; break;
        case ir::MissingGo::Node: miss = make(tr.missing_child[v], depth + 1); break;
        case ir::MissingGo::StopHere: miss = g.add(-1, leaf_value(v), 0); break;
        case ir::MissingGo::Null: miss = g.add(-1, std::numeric_limits<double>::quiet_NaN(), 0); break;
        case ir::MissingGo::Majority: {
          const double cl = tr.count.at(tr.left[v]), cr = tr.count.at(tr.right[v]);
          miss = cl == cr ? g.add(-1, leaf_value(v), 0) : cl > cr ? l : r;
          break;
        }
      }
      g.missing[me] = miss;
      if (test.factor) {
        std::vector<int32_t> dir(test.dirs.size());
        for (size_t k = 0; k < dir.size(); ++k) dir[k] = test.dirs[k] < 0 ? 0 : test.dirs[k] == 1 ? -1 : 1;
        c_splits.push_back(make_ints(dir));
        g.code[me] = static_cast<double>(c_splits.size() - 1);
        g.left[me] = l;
        g.right[me] = r;
        return me;
      }
      const bool ordered = m.schema.inputs.at(test.input).kind == ir::FieldKind::Ordinal;
      g.code[me] = ordered ? test.at - 1 : test.at;  // gbm compares an ordered factor's 0-based code
      g.left[me] = test.true_below ? l : r;
      g.right[me] = test.true_below ? r : l;
      return me;
    };
    if (tr.values.size() != tr.op.size()) refuse("a tree with several values per leaf");
    make(0, 0);
    trees.push_back(g.object());
  }

  // ---- the object ----
  const rtrees::Variables vars = rtrees::variables_of(m);
  std::vector<double> var_type;
  std::vector<RPtr> var_levels;
  for (const auto& in : m.schema.inputs) {
    var_type.push_back(in.kind == ir::FieldKind::Categorical ? static_cast<double>(in.levels.size()) : 0.0);
    var_levels.push_back(in.is_categorical() ? make_strings(in.levels) : make_doubles({}));
  }
  const double n_trees = static_cast<double>(trees.size());
  auto dist = make_named_list({{"name", make_strings({distribution})}});
  std::vector<std::pair<std::string, RPtr>> parts = {
      {"initF", make_doubles({init_f})},
      {"train.error", make_doubles(std::vector<double>(trees.size(), na_real()))},
      {"trees", make_list(trees)},
      {"c.splits", make_list(c_splits)},
      {"bag.fraction", make_doubles({1})},
      {"distribution", dist},
      {"interaction.depth", make_doubles({static_cast<double>(max_depth)})},
      {"n.minobsinnode", make_doubles({1})},
      {"num.classes", make_doubles({1})},
      {"n.trees", make_doubles({n_trees})},
      {"nTrain", make_doubles({0})},
      {"train.fraction", make_doubles({1})},
      {"response.name", make_strings({vars.response})},
      {"shrinkage", make_doubles({1})},
      {"var.levels", make_list(var_levels)},
      {"var.monotone", make_doubles(std::vector<double>(var_type.size(), 0.0))},
      {"var.names", make_strings(vars.names)},
      {"var.type", make_doubles(var_type)},
      {"verbose", make_logical(0)},
      {"Terms", rtrees::tree_terms(m, vars, "numeric")},
      {"cv.folds", make_doubles({0})},
      {"call", make_call(make_symbol("gbm"), {rtrees::tree_formula(m, vars), make_string(distribution)},
                         {"formula", "distribution"})},
  };
  auto obj = make_named_list(parts);
  set_attr(*obj, "class", make_strings({"gbm"}));
  for (auto& w : lower_warnings) warnings.push_back(std::move(w));
  return obj;
}

}  // namespace mb::r
