// Ensembles of rpart trees: adabag's bagging and boosting, ada's ada, ipred's bagging
// (docs/r-objects.md).
//
// adabag (predict.bagging, predict.boosting): each tree votes for the class predict.rpart(type =
// "class") gives; bagging counts the votes, boosting adds `$weights[j]` for tree j; the
// probabilities are the votes divided by their row sum, the class the one with most votes.  On a
// tie adabag takes, among the tied classes, the one with the most training rows
// (@vardep.summary); the IR takes the first tied class in level order, which is the same class
// when the training counts do not increase along the levels (else a named warning).
//
// ada (predict.ada, type "discrete", the only type read here): F = sum_j alpha_j c_j with c_j
// = -1 / +1 the class tree j predicts (its `@ylevels` "-1" / "1"); P(second class) =
// 1 / (1 + exp(-2 F)), the class the sign of F (the classes are levels(as.factor(y)), the rows of
// `$confusion`), over the first `$iter` trees.  The IR holds leaf values 2 c_j, tree weights
// alpha_j and the logit link.
//
// ipred (ipredbagg, bagging; caret's "treebag"): `$mtrees[[j]]$btree` is an rpart tree fitted on
// bootstrap sample j.  predict.classbagg (aggregation "majority", its default and caret's) counts
// the class each tree's predict(type = "class") gives; type = "prob" is the votes over their row
// sum (the number of trees), the class the one with most votes, a tie drawn at random
// (uwhich.max).  predict.regbagg (aggregation "average") is the mean of the trees' predictions.
// Double-bagging (`$comb`, a tree's `$bfct`) is refused; survival bagging (survbagg) is not read.
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/importers/trees.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

// The rpart tree `tree` of an ensemble as a model (class probabilities, or rpart's own
// predictions when `classes` is false), errors placed inside the ensemble.
ir::Model import_rpart_member(const Member& tree, bool classes, const std::string& file) {
  const std::vector<std::string> cls = tree->classes();
  if (cls.empty() || cls[0] != "rpart") tree.fail("expected an rpart tree");
  try {
    return classes ? import_rpart_classes(tree.obj(), file) : import_rpart(tree.obj(), file);
  } catch (const Unsupported& e) {
    if (e.file() != file) throw;
    throw Unsupported(file, tree.path() + e.place(), e.message());
  } catch (const Error& e) {
    if (e.file() != file || e.kind() != ErrorKind::InvalidInput) throw;
    throw Error(file, tree.path() + e.place(), e.message(), e.exit_code());
  }
}

// The trees of an ensemble read the same variables the same way (one formula, one data set).
void check_same_inputs(const ir::Model& first, const ir::Model& m, const Member& tree) {
  bool same = first.features == m.features && first.derived == m.derived &&
              first.schema.inputs.size() == m.schema.inputs.size();
  for (size_t i = 0; same && i < m.schema.inputs.size(); ++i) {
    const auto &a = first.schema.inputs[i], &b = m.schema.inputs[i];
    same = a.name == b.name && a.kind == b.kind && a.levels == b.levels;
  }
  if (!same) tree.fail("this tree's variables (its $terms and @xlevels) differ from the first tree's");
}

// The response of the object's formula (`$terms`: `@variables` with `@response` 1), else `fallback`.
std::string first_response(const Member& obj, const std::string& fallback) {
  const auto terms = obj.get("terms");
  if (!terms) return fallback;
  const RObject* vars = terms->obj().attr("variables");
  const RObject* resp = terms->obj().attr("response");
  if (!vars || vars->type != RType::Language || vars->elements.size() < 2 || !resp || resp->length() != 1 ||
      resp->number(0) != 1 || !vars->elements[1] || vars->elements[1]->type != RType::Symbol)
    return fallback;
  return vars->elements[1]->text;
}

ir::TreeEnsemble& ensemble_of(ir::Model& m) { return std::get<ir::TreeEnsemble>(m.estimator); }

// Reads `$trees` (a list under `trees`) into models, checked against the first.
std::vector<ir::Model> read_trees(const Member& trees, const std::string& file) {
  if (trees->type != RType::List || trees.size() == 0) trees.fail("expected a non-empty list of rpart trees");
  std::vector<ir::Model> out;
  for (size_t j = 0; j < trees.size(); ++j) {
    const Member t = trees.at(j);
    out.push_back(import_rpart_member(t, true, file));
    if (j > 0) check_same_inputs(out[0], out[j], t);
  }
  return out;
}

// The provenance the trees share (missing-value rule, factor inputs) and their warnings, once.
void adopt_tree_notes(ir::Model& m, const std::vector<ir::Model>& trees) {
  std::set<std::string> seen;
  for (const auto& t : trees) {
    for (const auto& p : t.provenance.preprocessing)
      if (seen.insert(p).second) m.provenance.preprocessing.push_back(p);
    for (const auto& w : t.provenance.warnings)
      if (seen.insert(w.code + "\n" + w.message).second) m.provenance.warnings.push_back(w);
  }
}

ir::Model import_adabag(const RObject& root, const std::string& file, bool boosting) {
  const Member obj(root, file);
  const char* cls = boosting ? "boosting" : "bagging";
  std::vector<ir::Model> trees = read_trees(obj["trees"], file);
  const ir::Model& first = trees[0];
  if (first.schema.target.task != ir::Task::Classification)
    obj["trees"].at(0).fail(fmt::format("adabag {} grows classification trees; this one is a regression tree", cls));
  const std::vector<std::string> classes = first.schema.target.classes;
  const size_t K = classes.size(), T = trees.size();

  std::vector<double> weights;
  if (boosting) {
    const Member w = obj["weights"];
    weights = w.numbers();
    if (weights.size() != T) w.fail(fmt::format("expected one weight per tree ({}), found {}", T, weights.size()));
    for (size_t j = 0; j < T; ++j)
      if (!std::isfinite(weights[j]))
        w.fail(fmt::format("weight {} of tree {} is not a finite number", weights[j], j + 1));
  }

  // The class levels adabag counts votes for, and the training counts that break its ties.
  bool ties_as_adabag = false;
  if (const auto vs = obj.find_attr("vardep.summary")) {
    const std::vector<double> counts = vs->numbers();
    const RObject* nm = vs->obj().attr("names");
    if (!nm || Member(*nm, file, "@vardep.summary@names").strings() != classes || counts.size() != K)
      vs->fail("the class counts do not name the trees' classes in their order");
    ties_as_adabag = true;
    for (size_t k = 1; k < K; ++k) ties_as_adabag &= counts[k] <= counts[k - 1];
  }

  ir::Model m = trees[0];
  m.provenance = ir::Provenance{};
  ir::TreeEnsemble ens;
  ens.n_outputs = static_cast<int32_t>(K);
  ens.aggregate = ir::Aggregate::Vote;
  ens.transform = ir::ScoreTransform::Normalize;
  ens.tree_weights = std::move(weights);
  for (auto& t : trees) ens.trees.push_back(std::move(ensemble_of(t).trees.at(0)));
  m.estimator = std::move(ens);
  m.provenance.source_class = cls;
  m.provenance.family = boosting ? fmt::format("adabag boosting (weighted vote of {} rpart trees)", T)
                                 : fmt::format("adabag bagging (vote of {} rpart trees)", T);
  adopt_tree_notes(m, trees);
  m.provenance.preprocessing.push_back(boosting ? "probabilities: the trees' weighted votes over their sum"
                                                : "probabilities: vote shares");
  if (!ties_as_adabag)
    warn(m, "vote-ties",
         fmt::format(
             "a tie of votes goes to the first tied class in level order; adabag's predict.{} gives it to "
             "the tied class with the most training rows{}",
             cls, obj.find_attr("vardep.summary") ? "" : " (or, in older adabag, the most rows of the scored data)"));
  ir::validate(m, file);
  return m;
}

// The tree `$mtrees[[j]]$btree` of an ipred ensemble (class "sclass" or "sreg").
ir::Model import_ipred_tree(const Member& mtree, bool classification, const std::string& file) {
  if (mtree.has("bfct"))
    mtree["bfct"].unsupported("unsupported ipred tree with a combined model ($bfct: double-bagging)");
  return import_rpart_member(mtree["btree"], classification, file);
}

ir::Model import_ipred(const RObject& root, const std::string& file, bool classification) {
  const Member obj(root, file);
  const char* cls = classification ? "classbagg" : "regbagg";
  if (const auto comb = obj.get("comb"); comb && comb->truth())
    comb->unsupported(fmt::format("unsupported ipred {} with a combined model (comb: double-bagging)", cls));
  const Member mtrees = obj["mtrees"];
  if (mtrees->type != RType::List || mtrees.size() == 0) mtrees.fail("expected a non-empty list of bagged trees");
  std::vector<ir::Model> trees;
  for (size_t j = 0; j < mtrees.size(); ++j) {
    const Member t = mtrees.at(j);
    trees.push_back(import_ipred_tree(t, classification, file));
    const bool is_class = trees.back().schema.target.task == ir::Task::Classification;
    if (is_class != classification)
      t["btree"].fail(
          fmt::format("expected a {} tree in an ipred {}", classification ? "classification" : "regression", cls));
    if (j > 0) check_same_inputs(trees[0], trees[j], t["btree"]);
  }
  const size_t T = trees.size();
  std::vector<std::string> classes;
  if (classification) {
    // predict.classbagg votes over levels(object$y); each tree's class is a level of its own
    // response, the bootstrap sample of the same factor.
    classes = obj["y"].levels();
    for (size_t j = 0; j < T; ++j)
      if (trees[j].schema.target.classes != classes)
        mtrees.at(j)["btree"].fail("this tree's classes (@ylevels) differ from the levels of $y");
  }

  ir::Model m = trees[0];
  m.provenance = ir::Provenance{};
  ir::TreeEnsemble ens;
  ens.n_outputs = classification ? static_cast<int32_t>(classes.size()) : 1;
  ens.aggregate = classification ? ir::Aggregate::Vote : ir::Aggregate::Average;
  ens.transform = classification ? ir::ScoreTransform::Normalize : ir::ScoreTransform::None;
  for (auto& t : trees) ens.trees.push_back(std::move(ensemble_of(t).trees.at(0)));
  m.estimator = std::move(ens);
  // ipredbagg fits `y ~ .`; bagging(formula) keeps the user's formula in `$call`.
  if (const auto call = obj.get("call"); call && call->obj().type == RType::Language)
    if (const RObject* f = call_arg(call->obj(), "formula", 0); f && f->type == RType::Language &&
                                                                f->elements.size() == 3 && f->elements[1] &&
                                                                f->elements[1]->type == RType::Symbol)
      m.schema.target.name = f->elements[1]->text;
  m.provenance.source_class = cls;
  m.provenance.family = classification
                            ? fmt::format("ipred bagging classification (majority vote of {} rpart trees)", T)
                            : fmt::format("ipred bagging regression (mean of {} rpart trees)", T);
  adopt_tree_notes(m, trees);
  if (classification)
    m.provenance.preprocessing.push_back(
        "probabilities: vote shares; a tie of votes gives the first tied class in level order (predict.classbagg "
        "draws one of the tied classes at random)");
  ir::validate(m, file);
  return m;
}

}  // namespace

ir::Model import_classbagg(const RObject& root, const std::string& file) { return import_ipred(root, file, true); }
ir::Model import_regbagg(const RObject& root, const std::string& file) { return import_ipred(root, file, false); }

ir::Model import_bagging(const RObject& root, const std::string& file) { return import_adabag(root, file, false); }
ir::Model import_boosting(const RObject& root, const std::string& file) { return import_adabag(root, file, true); }

ir::Model import_ada(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const Member model = obj["model"];
  const Member loss = model["lossObj"];
  const std::string type = loss["type"].string();
  if (type != "discrete")
    throw Unsupported(file, "$model$lossObj$type",
                      fmt::format("unsupported ada type '{}' (only \"discrete\" boosting is supported)", type));
  std::vector<ir::Model> trees = read_trees(model["trees"], file);
  // predict.ada uses the first $iter trees.
  if (const auto it = obj.get("iter")) {
    const auto iter = static_cast<size_t>(it->whole(1, static_cast<int64_t>(trees.size())));
    trees.resize(iter);
  }
  const size_t T = trees.size();
  const Member alpha_m = model["alpha"];
  std::vector<double> alpha = alpha_m.numbers();
  if (alpha.size() < T) alpha_m.fail(fmt::format("expected a coefficient per tree ({}), found {}", T, alpha.size()));
  alpha.resize(T);
  for (size_t j = 0; j < T; ++j)
    if (!std::isfinite(alpha[j])) alpha_m.fail(fmt::format("coefficient {} of tree {} is not finite", alpha[j], j + 1));

  // levels(as.factor(y)): the rows of the training confusion table.
  const Member conf = obj["confusion"];
  const RObject* dn = conf->attr("dimnames");
  if (!dn || dn->elements.size() != 2 || !dn->elements[0]) conf.fail("expected a table with dimnames");
  const std::vector<std::string> classes = Member(*dn->elements[0], file, "$confusion@dimnames[[1]]").strings();
  if (classes.size() != 2) conf.fail(fmt::format("ada models have two classes; the table has {}", classes.size()));

  ir::TreeEnsemble ens;
  ens.n_outputs = 1;
  ens.aggregate = ir::Aggregate::Sum;
  ens.link = ir::Link::Logit;
  ens.transform = ir::ScoreTransform::Binary;
  ens.tree_weights = alpha;
  for (size_t j = 0; j < T; ++j) {
    const Member tm = model["trees"].at(j);
    ir::Model& t = trees[j];
    if (t.schema.target.task != ir::Task::Classification ||
        t.schema.target.classes != std::vector<std::string>{"-1", "1"})
      tm.fail("expected a classification tree of the classes \"-1\" and \"1\" (ada's coding of the response)");
    ir::Tree tree = std::move(ensemble_of(t).trees.at(0));
    // The fitted class of each node (one-hot) as 2 * (-1 / +1).
    const size_t n = tree.op.size();
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = tree.values[2 * i + 1] == 1 ? 2.0 : -2.0;
    tree.values = std::move(v);
    ens.trees.push_back(std::move(tree));
  }
  ir::Model m = trees[0];
  m.provenance = ir::Provenance{};
  m.schema.target.classes = classes;
  m.schema.target.name = first_response(obj, m.schema.target.name);
  m.estimator = std::move(ens);
  m.provenance.source_class = "ada";
  m.provenance.family = fmt::format("ada discrete boosting ({} rpart trees, {} loss)", T,
                                    loss.get("loss") ? loss["loss"].string() : std::string("exponential"));
  adopt_tree_notes(m, trees);
  m.provenance.preprocessing.push_back(
      "ada: each tree's class as -2 / +2, weighted by alpha and summed (2F); P(second class) = logistic(2F); "
      "F = 0 gives the first class (predict.ada draws one at random)");
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
