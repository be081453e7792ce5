// PMML TreeModel and MiningModel (tree ensembles): reading into ir::TreeEnsemble (tree_read.cpp,
// mining.cpp) and writing it back (tree_write.cpp).
#pragma once
#include <string>
#include <vector>

#include "formats/pmml/reader_context.hpp"

namespace mb::pmml::detail {

// What the nodes of a TreeModel predict: one number (regression) or one probability per class of
// `classes` (classification).
struct TreeShape {
  bool classification = false;
  std::vector<std::string> classes;
  // Segments of a majority vote: only each node's predicted class matters, so node values are
  // one-hot on the Node's score (PMML votes with the score).
  bool votes = false;
  // A TreeModel that is the whole model: a Node's score that is not the first most probable class
  // of its ScoreDistribution becomes the node's label (ir::Tree::label).
  bool node_labels = false;
  int n_outputs() const { return classification ? static_cast<int>(classes.size()) : 1; }
};

// One TreeModel element as one binary ir::Tree whose scores follow PMML 4.4 exactly: multi-way
// splits become chains of tests in child order, compound predicates become nested tests (with
// three-valued logic), missingValueStrategy and noTrueChildStrategy become per-node missing
// policies.  A TreeModel's own Targets rescaling is applied to its leaf values.  Refuses
// weightedConfidence and aggregateNodes (read_tree_model expands those itself).
ir::Tree read_tree(ReadContext& ctx, const pugi::xml_node& tree_model, const TreeShape& shape);

// weightedConfidence / aggregateNodes TreeModel as trees to sum, one per leaf (see tree_read.cpp).
std::vector<ir::Tree> read_expanded_tree(ReadContext& ctx, const pugi::xml_node& tree_model, const TreeShape& shape);

// Top-level model elements: fill model.features and model.estimator (the schema is read).
void read_tree_model(ReadContext& ctx, const pugi::xml_node& tree_model);
void read_mining_model(ReadContext& ctx, const pugi::xml_node& mining_model);
void read_rule_set_model(ReadContext& ctx, const pugi::xml_node& rule_set_model);  // rule_set.cpp
void read_scorecard(ReadContext& ctx, const pugi::xml_node& scorecard);            // scorecard.cpp
// 1 when a predicate (True, False, SimplePredicate, SimpleSetPredicate, CompoundPredicate) is TRUE,
// 0 when it is FALSE or UNKNOWN (three-valued, as TreeModel predicates): never missing.
ir::Expr predicate_is_true(ReadContext& ctx, const pugi::xml_node& predicate);
bool is_predicate(const pugi::xml_node& n);

// The shape of the target of the top-level model.
TreeShape target_shape(ReadContext& ctx, const pugi::xml_node& model_node);

// Targets/Target of a model element that applies to `tree` values: factor and constant (1, 0 when
// absent); refuses clamping and integer casts.
void target_rescale(ReadContext& ctx, const pugi::xml_node& model_node, double& factor, double& constant);

// Feature index of a feature that is always missing (a test on it takes the missing branch); used
// for nodes that predict nothing.
int null_feature(ir::Model& m);

}  // namespace mb::pmml::detail

namespace mb::pmml {
// Writes a tree-ensemble model as PMML 4.4 (TreeModel, or MiningModel with Segmentation).
std::string write_trees(const ir::Model& m, Warnings& warnings);
}  // namespace mb::pmml
