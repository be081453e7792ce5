// Averaging and voting forests to randomForest (see export.hpp): predict.randomForest walks each
// tree of `$forest` (regForest / classForest in randomForest's C code), averages the leaf values
// (regression: the sum in tree order, then divided by ntree) or counts one vote per tree
// (classification: probabilities are the votes over their sum).
//
// - Tests: randomForest sends `x <= xbestsplit` left; each source test becomes the exact cut of
//   ir::double_cut, written as `x <= the double below the cut` (children swapped where the
//   source's true side is the upper one); a factor's left levels are the bits of xbestsplit.
// - Missing values: predict.randomForest drops a row with any missing input (na.omit) and
//   predicts NA for it; a source that routes missing values (or whose prediction does not depend
//   on every input) predicts something there: warning `r-forest-missing`.
// - Refused with the reason: tree weights, a base score, ordered factors (randomForest does not
//   store their levels), factors of more than 53 levels, a level the source sends neither way,
//   soft voting (averaged class probabilities that are not one vote per tree), Max/Min.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "formats/r/exporters/export.hpp"
#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/exporters/rtrees.hpp"
#include "formats/r/lang/rparse.hpp"
#include "lib/canon/canonical.hpp"
#include "lib/ir/lower.hpp"
#include "lib/ir/split.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

constexpr const char* kWho = "randomForest";

[[noreturn]] void refuse(const std::string& why) {
  throw Unsupported("", "", fmt::format("no standard R class holds this forest exactly (randomForest): {}", why));
}

// The class node v of a voting tree votes for: its label (ir::Tree::label), else the first
// largest of its values.
size_t vote_of(const ir::Tree& tr, int32_t v, size_t K) {
  if (!tr.label.empty() && tr.label[static_cast<size_t>(v)] >= 0) return static_cast<size_t>(tr.label[v]);
  const double* val = &tr.values[static_cast<size_t>(v) * K];
  size_t best = 0;
  for (size_t k = 1; k < K; ++k)
    if (val[k] > val[best]) best = k;
  return best;
}

// The class a leaf votes for when every leaf is one vote (a single 1, the rest 0), else -1.
int one_hot(const double* v, size_t K) {
  int hot = -1;
  for (size_t k = 0; k < K; ++k) {
    if (v[k] == 1 && hot < 0) hot = static_cast<int>(k);
    else if (v[k] != 0) return -1;
  }
  return hot;
}

// A constant feature (a PMML predicate True/False or a missing constant read as a feature), or
// nullptr.
const ir::Expr* constant_feature(const ir::Model& m, int32_t f) {
  const ir::Expr* e = &m.features.at(f).expr;
  while (e->op == ir::Op::Derived) e = &m.derived.at(e->index).expr;
  return e->op == ir::Op::Const ? e : nullptr;
}

// What node v does with a row whose inputs are all present (randomForest never sees another):
// a test on an input (the primary, or the first surrogate on an input when the primary tests a
// missing constant), or a child it always goes to, or a stop at the node (`child` -2: its own
// values; -3: a missing prediction).
struct Step {
  bool test = false;
  ir::SplitOp op = ir::SplitOp::Leaf;
  int32_t feature = -1, set_off = 0, set_size = 0;
  double thr = 0;
  bool flip = false;   // the test's true side is v's right child
  int32_t child = -1;  // when !test
};

Step present_step(const ir::Model& m, const ir::TreeEnsemble& te, const ir::Tree& tr, int32_t v) {
  const bool f32 = te.threshold_precision == ir::Precision::Float32;
  auto decided = [&](int dir, bool flip) -> std::optional<Step> {
    if (dir < 0) return std::nullopt;
    Step s;
    s.child = (dir == 1) != flip ? tr.left[v] : tr.right[v];
    return s;
  };
  const bool sets = !tr.set_offset.empty() && tr.op[v] == ir::SplitOp::InSet;
  if (const ir::Expr* c = constant_feature(m, tr.feature[v]); !c) {
    Step s;
    s.test = true;
    s.op = tr.op[v];
    s.feature = tr.feature[v];
    s.thr = tr.threshold[v];
    s.set_off = sets ? tr.set_offset[v] : 0;
    s.set_size = sets ? tr.set_size[v] : 0;
    return s;
  } else if (!std::isnan(c->value)) {
    if (auto s = decided(ir::split_direction(tr, tr.op[v], c->value, tr.threshold[v], sets ? tr.set_offset[v] : 0,
                                             sets ? tr.set_size[v] : 0, f32),
                         false))
      return *s;
  }
  // The primary says nothing: surrogates in order, then the missing rule.
  if (!tr.sur_size.empty())
    for (int32_t k = tr.sur_offset[v]; k < tr.sur_offset[v] + tr.sur_size[v]; ++k) {
      const bool sset = tr.sur_op[k] == ir::SplitOp::InSet;
      const ir::Expr* c = constant_feature(m, tr.sur_feature[k]);
      if (!c) {
        Step s;
        s.test = true;
        s.op = tr.sur_op[k];
        s.feature = tr.sur_feature[k];
        s.thr = tr.sur_threshold[k];
        s.set_off = sset ? tr.sur_set_offset[k] : 0;
        s.set_size = sset ? tr.sur_set_size[k] : 0;
        s.flip = tr.sur_flip[k] != 0;
        return s;
      }
      if (std::isnan(c->value)) continue;
      if (auto s = decided(ir::split_direction(tr, tr.sur_op[k], c->value, tr.sur_threshold[k],
                                               sset ? tr.sur_set_offset[k] : 0, sset ? tr.sur_set_size[k] : 0, f32),
                           tr.sur_flip[k] != 0))
        return *s;
    }
  Step s;
  switch (tr.missing[v]) {
    case ir::MissingGo::Left: s.child = tr.left[v]; break;
    case ir::MissingGo::Right: s.child = tr.right[v]; break;
    case ir::MissingGo::Node: s.child = tr.missing_child[v]; break;
    case ir::MissingGo::StopHere: s.child = -2; break;
    case ir::MissingGo::Null: s.child = -3; break;
    case ir::MissingGo::Majority: {
      const double cl = tr.count.at(tr.left[v]), cr = tr.count.at(tr.right[v]);
      s.child = cl == cr ? -2 : cl > cr ? tr.left[v] : tr.right[v];
      break;
    }
  }
  return s;
}

// Does the ensemble predict a missing value whenever a tested input is missing (as
// predict.randomForest does for any missing input)?  Compared on the canonical form with every
// node's missing values sent to a missing prediction.
bool missing_gives_na(const ir::Model& m, const ir::TreeEnsemble& te) {
  ir::Model c;
  c.schema = m.schema;
  c.derived = m.derived;
  c.features = m.features;
  ir::TreeEnsemble e = te;
  c.estimator = e;
  const auto before = canon::tree_forms(c).trees;
  for (auto& tr : e.trees) {
    for (size_t n = 0; n < tr.op.size(); ++n)
      if (tr.op[n] != ir::SplitOp::Leaf && !constant_feature(m, tr.feature[n])) tr.missing[n] = ir::MissingGo::Null;
    std::fill(tr.sur_size.begin(), tr.sur_size.end(), 0);
  }
  c.estimator = std::move(e);
  return canon::tree_forms(c).trees == before;
}

// What the path to a node proves about present inputs: lo <= x < hi (hi = +inf allows +inf), the
// factor levels still possible.  Tests it decides are not written (PMML's "no true child" exits,
// which only a missing value reaches, drop out this way).
struct Facts {
  std::map<int, std::pair<double, double>> range;
  std::map<int, std::vector<uint8_t>> codes;
};

}  // namespace

RPtr export_random_forest(const ir::Model& m, Warnings& warnings) {
  const auto* src = std::get_if<ir::TreeEnsemble>(&m.estimator);
  if (!src || src->trees.size() < 2) return nullptr;
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) return nullptr;
  const bool cls = task == ir::Task::Classification;
  Warnings lower_warnings;
  const ir::TreeEnsemble te = ir::lower_output(m, lower_warnings, "rds writer");
  const size_t K = cls ? m.schema.target.classes.size() : 1;
  const size_t T = te.trees.size();
  // Regression: an average of single values.  Classification: one vote per tree.
  bool votes = false;
  if (cls) {
    if (te.link != ir::Link::Identity) return nullptr;
    if (te.aggregate == ir::Aggregate::Vote && te.transform == ir::ScoreTransform::Normalize) votes = true;
    else if ((te.aggregate == ir::Aggregate::Average && te.transform == ir::ScoreTransform::None) ||
             (te.aggregate == ir::Aggregate::Sum && te.transform == ir::ScoreTransform::Normalize)) {
      votes = true;
      for (const auto& tr : te.trees)
        for (size_t n = 0; n < tr.op.size() && votes; ++n)
          if (tr.op[n] == ir::SplitOp::Leaf) votes = one_hot(&tr.values[n * K], K) >= 0;
      if (!votes)
        refuse(
            "the trees' class scores are summed or averaged and are not one vote of 1 per tree (soft voting, or "
            "votes scaled in advance, whose sums round otherwise); randomForest counts votes");
    } else if (te.aggregate == ir::Aggregate::Sum || te.aggregate == ir::Aggregate::Average) {
      refuse(
          "the trees' class scores are added without being one vote of 1 per tree turned into vote fractions "
          "(soft voting, or votes scaled in advance, whose sums round otherwise); randomForest counts votes");
    } else {
      return nullptr;
    }
  } else {
    if (te.aggregate != ir::Aggregate::Average) return nullptr;  // sums: gbm
    if (te.link != ir::Link::Identity || te.transform != ir::ScoreTransform::None)
      refuse("a regression forest with a link or transform");
  }
  if (!te.tree_weights.empty())
    for (double w : te.tree_weights)
      if (w != 1) refuse("weighted trees; randomForest gives every tree the same weight");
  for (double b : te.base)
    if (b != 0) refuse("a base score added to the forest's average");
  if (src->value_precision == ir::Precision::Float32 || !src->output.plain())
    warnings.push_back({"r-double-arithmetic",
                        "the source averages its trees in float32 (onnxruntime); randomForest computes in double, so "
                        "predictions differ by float32 rounding (convert --data measures it)"});
  for (const auto& in : m.schema.inputs) {
    if (in.kind == ir::FieldKind::Ordinal)
      refuse("the ordered factor '" + in.name + "': randomForest does not store its levels");
    if (in.kind == ir::FieldKind::Categorical && in.levels.size() > 53)
      refuse(fmt::format("the factor '{}' has {} levels; randomForest splits factors of at most 53", in.name,
                         in.levels.size()));
  }

  // ---- trees: nodes in depth-first order, 1-based rows, 0 at leaves ----
  struct RfTree {
    std::vector<int32_t> status, bestvar, left, right;
    std::vector<double> split, pred;
  };
  std::vector<RfTree> out(T);
  size_t nrnodes = 1;
  for (size_t t = 0; t < T; ++t) {
    const ir::Tree& tr = te.trees[t];
    RfTree& g = out[t];
    std::function<int32_t(int32_t, Facts)> make = [&](int32_t v, Facts facts) -> int32_t {
      const auto me = static_cast<int32_t>(g.status.size());
      g.status.push_back(-1);
      g.bestvar.push_back(0);
      g.left.push_back(0);
      g.right.push_back(0);
      g.split.push_back(0);
      g.pred.push_back(0);
      if (tr.op[v] == ir::SplitOp::Leaf) {
        const double* val = &tr.values[static_cast<size_t>(v) * K];
        if (!cls) {
          g.pred[me] = val[0];
        } else {  // the class of the vote: the node's label, else the first largest value (the evaluator's vote)
          g.pred[me] = static_cast<double>(vote_of(tr, v, K) + 1);
        }
        return me;
      }
      const std::string place = fmt::format("tree {} node {}", t + 1, v);
      const Step step = present_step(m, te, tr, v);
      if (!step.test) {
        g.status.pop_back();
        g.bestvar.pop_back();
        g.left.pop_back();
        g.right.pop_back();
        g.split.pop_back();
        g.pred.pop_back();
        if (step.child >= 0) return make(step.child, facts);
        // A stop at an inner node: a leaf with its values, or a missing one.
        if (step.child == -3 && cls) refuse(place + ": a missing prediction; a randomForest tree always votes");
        const auto leaf = static_cast<int32_t>(g.status.size());
        g.status.push_back(-1);
        g.bestvar.push_back(0);
        g.left.push_back(0);
        g.right.push_back(0);
        g.split.push_back(0);
        const double* val = &tr.values[static_cast<size_t>(v) * K];
        g.pred.push_back(step.child == -3 ? std::numeric_limits<double>::quiet_NaN()
                         : cls            ? static_cast<double>(vote_of(tr, v, K) + 1)
                                          : val[0]);
        return leaf;
      }
      const rtrees::RTest test =
          rtrees::r_test(m, te, tr, step.op, step.feature, step.thr, step.set_off, step.set_size, kWho, place);
      int32_t first = tr.left[v], second = tr.right[v];  // randomForest's left, right
      if (step.flip) std::swap(first, second);
      Facts to_first = facts, to_second = facts;
      bool can_first = true, can_second = true;
      double split = 0;
      if (test.factor) {
        auto& possible = facts.codes[test.input];
        if (possible.empty()) possible.assign(test.dirs.size(), 1);
        auto& c1 = to_first.codes[test.input];
        auto& c2 = to_second.codes[test.input];
        c1 = c2 = possible;
        can_first = can_second = false;
        for (size_t k = 0; k < test.dirs.size(); ++k) {
          if (!possible[k]) continue;
          if (test.dirs[k] < 0)
            refuse(place + ": a level the split sends neither way (randomForest sends every level)");
          if (test.dirs[k] == 1) {
            split += std::ldexp(1.0, static_cast<int>(k));
            can_first = true;
            c2[k] = 0;
          } else {
            can_second = true;
            c1[k] = 0;
          }
        }
      } else {
        // x < at is x <= the double below at; at = -inf (nothing below): x <= NaN, never.
        const double inf = std::numeric_limits<double>::infinity();
        split = test.at == -inf ? std::numeric_limits<double>::quiet_NaN() : std::nextafter(test.at, -inf);
        if (!test.true_below) std::swap(first, second);
        auto [lo, hi] = facts.range.count(test.input) ? facts.range[test.input] : std::pair<double, double>{-inf, inf};
        // The path allows lo <= x, and x < hi (hi = +inf: any value up to +inf itself).
        can_first = lo < test.at;
        can_second = hi == inf || test.at < hi;
        to_first.range[test.input] = {lo, hi == inf ? test.at : std::min(hi, test.at)};
        to_second.range[test.input] = {std::max(lo, test.at), hi};
      }
      // A test the path has decided is not written: its only child takes its place.
      if (!can_second || !can_first) {
        g.status.pop_back();
        g.bestvar.pop_back();
        g.left.pop_back();
        g.right.pop_back();
        g.split.pop_back();
        g.pred.pop_back();
        return can_first ? make(first, to_first) : make(second, to_second);
      }
      g.status[me] = cls ? 1 : -3;
      g.bestvar[me] = test.input + 1;
      g.split[me] = split;
      const int32_t l = make(first, to_first);
      const int32_t r = make(second, to_second);
      g.left[me] = l + 1;
      g.right[me] = r + 1;
      return me;
    };
    make(0, Facts{});
    nrnodes = std::max(nrnodes, g.status.size());
  }
  bool all_used = true;
  for (size_t i = 0; i < m.schema.inputs.size(); ++i) {
    bool used = false;
    for (const auto& tr : te.trees)
      for (size_t n = 0; n < tr.op.size() && !used; ++n)
        if (tr.op[n] != ir::SplitOp::Leaf) {
          const ir::Expr* e = &m.features.at(tr.feature[n]).expr;
          while (e->op == ir::Op::Derived) e = &m.derived.at(e->index).expr;
          used = e->index == static_cast<int32_t>(i) && e->op != ir::Op::Const;
        }
    all_used &= used;
  }
  if (!all_used || !missing_gives_na(m, te))
    warnings.push_back({"r-forest-missing",
                        "predict.randomForest drops a row with a missing input and predicts NA for it; the source "
                        "predicts a value for some such rows (it routes missing values, or does not use every input)"});

  // ---- the object ----
  const rtrees::Variables vars = rtrees::variables_of(m);
  const size_t P = m.schema.inputs.size();
  std::vector<int32_t> ndbig(T), status(nrnodes * T, 0), bestvar(nrnodes * T, 0), left(nrnodes * T, 0),
      right(nrnodes * T, 0), treemap(nrnodes * 2 * T, 0), pred_int(nrnodes * T, 0);
  std::vector<double> xbest(nrnodes * T, 0.0), pred(nrnodes * T, 0.0);
  for (size_t t = 0; t < T; ++t) {
    const RfTree& g = out[t];
    ndbig[t] = static_cast<int32_t>(g.status.size());
    for (size_t i = 0; i < g.status.size(); ++i) {
      const size_t at = t * nrnodes + i;
      status[at] = g.status[i];
      bestvar[at] = g.bestvar[i];
      left[at] = g.left[i];
      right[at] = g.right[i];
      treemap[t * nrnodes * 2 + i] = g.left[i];
      treemap[t * nrnodes * 2 + nrnodes + i] = g.right[i];
      xbest[at] = g.split[i];
      pred[at] = g.pred[i];
      pred_int[at] = static_cast<int32_t>(g.pred[i]);
    }
  }
  auto matrix_i = [&](std::vector<int32_t> v, std::vector<int32_t> dim) {
    auto o = make_ints(std::move(v));
    set_attr(*o, "dim", make_ints(std::move(dim)));
    return o;
  };
  auto matrix_d = [&](std::vector<double> v, std::vector<int32_t> dim) {
    auto o = make_doubles(std::move(v));
    set_attr(*o, "dim", make_ints(std::move(dim)));
    return o;
  };
  const auto nr = static_cast<int32_t>(nrnodes), nt = static_cast<int32_t>(T);
  std::vector<int32_t> ncat;
  std::vector<std::pair<std::string, RPtr>> xlevels;
  int32_t maxcat = 1;
  for (size_t i = 0; i < P; ++i) {
    const auto& in = m.schema.inputs[i];
    ncat.push_back(in.is_categorical() ? static_cast<int32_t>(in.levels.size()) : 1);
    maxcat = std::max(maxcat, ncat.back());
    xlevels.emplace_back(vars.names[i], in.is_categorical() ? make_strings(in.levels) : make_doubles({0}));
  }
  auto ncat_o = make_ints(ncat);
  set_attr(*ncat_o, "names", make_strings(vars.names));
  std::vector<std::pair<std::string, RPtr>> forest = {{"ndbigtree", make_ints(ndbig)},
                                                      {"nodestatus", matrix_i(status, {nr, nt})},
                                                      {"bestvar", matrix_i(bestvar, {nr, nt})}};
  if (cls) {
    forest.emplace_back("treemap", matrix_i(treemap, {nr, 2, nt}));
    forest.emplace_back("nodepred", matrix_i(pred_int, {nr, nt}));
  } else {
    forest.emplace_back("leftDaughter", matrix_i(left, {nr, nt}));
    forest.emplace_back("rightDaughter", matrix_i(right, {nr, nt}));
    forest.emplace_back("nodepred", matrix_d(pred, {nr, nt}));
  }
  forest.emplace_back("xbestsplit", matrix_d(xbest, {nr, nt}));
  if (cls) {
    forest.emplace_back("pid", make_doubles(std::vector<double>(K, 1.0)));
    std::vector<double> cutoff =
        te.class_cutoffs.empty() ? std::vector<double>(K, 1.0 / static_cast<double>(K)) : te.class_cutoffs;
    forest.emplace_back("cutoff", make_doubles(cutoff));
  }
  forest.emplace_back("ncat", ncat_o);
  forest.emplace_back("maxcat", make_ints({maxcat}));
  forest.emplace_back("nrnodes", make_ints({nr}));
  forest.emplace_back("ntree", make_doubles({static_cast<double>(T)}));
  if (cls) forest.emplace_back("nclass", make_ints({static_cast<int32_t>(K)}));
  forest.emplace_back("xlevels", make_named_list(xlevels));

  auto importance = make_doubles(std::vector<double>(P, 0.0));
  set_attr(*importance, "dim", make_ints({static_cast<int32_t>(P), 1}));
  set_attr(*importance, "dimnames",
           make_list({make_strings(vars.names), make_strings({cls ? "MeanDecreaseGini" : "IncNodePurity"})}));
  std::vector<std::pair<std::string, RPtr>> parts = {
      {"call", make_call(make_symbol("randomForest"), {rtrees::tree_formula(m, vars)}, {"formula"})},
      {"type", make_strings({cls ? "classification" : "regression"})},
  };
  if (cls) parts.emplace_back("classes", make_strings(m.schema.target.classes));
  parts.emplace_back("importance", importance);
  parts.emplace_back("ntree", make_doubles({static_cast<double>(T)}));
  parts.emplace_back("forest", make_named_list(forest));
  parts.emplace_back("terms", rtrees::tree_terms(m, vars, cls ? "factor" : "numeric"));
  auto obj = make_named_list(parts);
  set_attr(*obj, "class", make_strings({"randomForest.formula", "randomForest"}));
  for (auto& w : lower_warnings) warnings.push_back(std::move(w));
  return obj;
}

}  // namespace mb::r
