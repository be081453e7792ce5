// Tree models fitted in R to the model IR (docs/r-objects.md): rpart, randomForest, ranger,
// gbm, partykit, adabag, ada and LightGBM.  Each importer returns a validated model with an ir::TreeEnsemble whose
// features are the model's predictor variables, one feature per variable: a continuous variable (or the R expression a
// formula applies to it) as its value, a factor as its 0-based level code.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "formats/r/lang/robject.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// Factor levels an R object does not store, by variable name, in the order of the training
// data's factor (R's levels(x)).  randomForest keeps no levels for ordered factors and ranger
// none for factors grown with respect.unordered.factors "ignore" or "partition": a caller that
// knows them (a user schema, another object fitted on the same data) passes them here.  Levels
// the object does store take precedence only when they agree; a conflict is an error.
using LevelHints = std::map<std::string, std::vector<std::string>>;

// rpart: anova (regression) and class (classification) trees, numeric and categorical splits,
// surrogates and `$control$usesurrogate` 0/1/2.
ir::Model import_rpart(const RObject& root, const std::string& file);
// The same, a classification tree's node values one-hot at the node's fitted class
// (`$frame$yval`, what predict(type = "class") answers), for ensembles that vote with their
// trees' classes.  The fitted class need not be the most probable one (weighted fits).
ir::Model import_rpart_classes(const RObject& root, const std::string& file);

// randomForest (formula interface): regression and classification.
ir::Model import_random_forest(const RObject& root, const std::string& file);
ir::Model import_random_forest(const RObject& root, const std::string& file, const LevelHints& hints);

// ranger: regression, classification (majority vote) and probability forests.
ir::Model import_ranger(const RObject& root, const std::string& file);
ir::Model import_ranger(const RObject& root, const std::string& file, const LevelHints& hints);

// gbm: gaussian (also laplace, tdist, quantile: an identity response), bernoulli, poisson.
ir::Model import_gbm(const RObject& root, const std::string& file);
// n_trees: "" (what predict() takes without n.trees), "all" ($n.trees) or a whole number.
ir::Model import_gbm_n_trees(const RObject& root, const std::string& file, const std::string& n_trees);

// adabag bagging (majority vote) and boosting (weighted vote) of rpart classification trees; ada
// (discrete boosting of rpart trees, the logistic of twice the weighted sum).
ir::Model import_bagging(const RObject& root, const std::string& file);
ir::Model import_boosting(const RObject& root, const std::string& file);
ir::Model import_ada(const RObject& root, const std::string& file);

// ipred's bagging of rpart trees (ipredbagg, bagging; caret's treebag): classbagg (majority
// vote, probabilities the vote shares) and regbagg (mean of the trees).
ir::Model import_classbagg(const RObject& root, const std::string& file);
ir::Model import_regbagg(const RObject& root, const std::string& file);

// LightGBM boosters in R (the R6 "lgb.Booster"): LightGBM's text model in `$raw`; regression,
// poisson/gamma/tweedie, binary and multiclass objectives, numerical splits.
ir::Model import_lgb_booster(const RObject& root, const std::string& file);

// partykit "constparty" trees (ctree, CHAID, evtree): binary and multiway splits on numbers,
// logicals and factors, fitted values from the training rows in `$fitted`.
ir::Model import_party(const RObject& root, const std::string& file);

namespace trees {

// Helpers shared by the tree importers (trees.cpp).

// The predictor variables of a formula model (`$terms`): one input field per plain variable, an
// expression for a transformed numeric one (log(x), I(x^2)).
struct Predictor {
  std::string name;      // the variable text (model frame column name)
  ir::Expr expr;         // value, or 0-based level code for a factor
  int input = -1;        // the input field of a plain variable, else -1
  bool factor = false;   // unordered factor
  bool ordered = false;  // ordered factor (compared on its integer codes)
  size_t n_levels = 0;   // a factor's (or ordered factor's) number of levels
};
struct Predictors {
  std::vector<ir::InputField> inputs;
  std::vector<ir::DerivedField> derived;
  std::vector<Predictor> vars;
  std::string response;
  std::vector<std::string> preprocessing;  // derived factors, for the model's provenance
  Warnings warnings;
  int find(const std::string& name) const;
};
// `levels(name, ordered)` gives the levels of a factor variable, or throws when they are unknown;
// it is asked for every factor, ordered and character variable.
using LevelsOf = std::function<std::vector<std::string>(const std::string& name, bool ordered)>;
// Variables that no term uses (`y ~ . - x`) are left out.  With `xlevels` (the fit's levels by
// variable name), a factor the formula derives from the data (plyr::revalue / plyr::mapvalues by
// constant labels, cut(); see derived_factor) is read too: its expression is the 0-based code.
Predictors predictors_from_terms(const RObject& root, const std::string& file, const LevelsOf& levels,
                                 const RObject* xlevels = nullptr);

// A tree of `n` leaves with `K` zero values each, no children, missing policy `missing`, and
// (`sets`) set_offset / set_size sized for category sets, else none (no node of the tree will
// test a category set); fill the nodes, then call finish_sets.
ir::Tree empty_tree(size_t n, size_t K, ir::MissingGo missing, bool sets = true);
// Drops set_offset / set_size from a tree without category sets.
void finish_sets(ir::Tree& t);
// A model of the predictors: a feature per variable, the inputs and derived fields, the response
// as the target's name, a classification target with `classes` when `classification`.
ir::Model model_of(Predictors&& predictors, bool classification, const std::vector<std::string>& classes);
// Notes each categorical input ("factor x: level codes (3 levels)") in the model's provenance.
void describe_factor_inputs(ir::Model& m);
// Makes `tree` (K values per node, its sets finished here, no missing children) the model's one
// tree, names the target `response` (a classification with `classes` when given), and records
// source class and family; notes the factor inputs.
void adopt_single_tree(ir::Model& m, ir::Tree&& tree, size_t K, const std::string& response,
                       const std::vector<std::string>* classes, std::string source_class, std::string family);

}  // namespace trees
}  // namespace mb::r
