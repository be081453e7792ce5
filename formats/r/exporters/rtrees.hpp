// What the tree exporters (rpart, gbm, randomForest) share: the model's inputs as the
// variables of a formula, node tests as R's `x < split` or a factor's per-level directions, and
// the prediction of every node as the source computes it.
#pragma once
#include <string>
#include <vector>

#include "formats/r/lang/robject.hpp"
#include "lib/ir/model.hpp"

namespace mb::r::rtrees {

// The formula variables of a tree model: every model input (continuous as numeric, categorical as
// factor, ordinal as ordered factor, levels in model order), the response first.
struct Variables {
  std::string response;            // the target's name when free, else ".response"
  std::vector<std::string> names;  // per model input: its R variable name
};
Variables variables_of(const ir::Model& m);

// The terms object of `response ~ v1 + v2 + ...` (variables, factors, term.labels, order,
// intercept, response, .Environment = R_GlobalEnv, predvars, dataClasses) and the named list of
// factor levels (`xlevels`), as model.frame() and .checkMFClasses() read them.
RPtr tree_terms(const ir::Model& m, const Variables& v, const std::string& response_class);
RPtr factor_levels(const ir::Model& m, const Variables& v);
// `response ~ v1 + v2 + ...`
RPtr tree_formula(const ir::Model& m, const Variables& v);

// A node test as R decides it.  Continuous: `x < at` goes to the true side when true_below, else
// to the false side.  Factor (categorical input): per level code 1 = true side, 0 = false side,
// -1 = no direction (treated as missing).  `input` is the model input the test reads.
struct RTest {
  int input = -1;
  bool factor = false;
  double at = 0;
  bool true_below = true;
  std::vector<int> dirs;
};
// The test of node or surrogate (op, feature, threshold, set range) of `tree` as R decides it
// for every value of the input; throws mb::Unsupported naming `who` and `place` when no such
// test exists (a split on a computed feature, == on a number, a missing-value replacement...).
RTest r_test(const ir::Model& m, const ir::TreeEnsemble& te, const ir::Tree& tree, ir::SplitOp op, int32_t feature,
             double thr, int32_t set_off, int32_t set_size, const std::string& who, const std::string& place);

// What the source predicts when a row ends at node n of tree `t` (alone: the other trees of the
// ensemble left out; its node values from `tree`, which may be tree t with rules rewritten), for
// each node in `nodes`, computed by the evaluator on the model's own
// output stage (aggregation, base, link, transform, float32 arithmetic): regression `value`,
// classification `label` (-1 missing) and `prob` (K per node).
struct NodeOutputs {
  std::vector<double> value;
  std::vector<int32_t> label;
  std::vector<double> prob;
};
NodeOutputs node_outputs(const ir::Model& m, const ir::TreeEnsemble& te, size_t t, const ir::Tree& tree,
                         const std::vector<int32_t>& nodes);

}  // namespace mb::r::rtrees
