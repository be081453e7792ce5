// randomForest and ranger forests (docs/r-objects.md).
//
// randomForest: per-tree columns of nrnodes x ntree matrices; numeric (and ordered factor, on its
// 1-based codes) splits send "x <= xbestsplit" left; an unordered factor's split is a bit set in
// (int)xbestsplit, bit (code - 1) set -> left.  Regression averages the trees; classification
// counts one vote per tree, probabilities are vote fractions and the class the largest
// (vote fraction) / cutoff: unequal cutoffs are kept as the ensemble's class_cutoffs.
// ranger: 0-based child ids (both 0 at a leaf), "x <= value" left for numeric and ordered
// variables (factors on their 1-based codes), partition splits with bit (code - 1) of
// floor(value) set -> right.  Regression averages leaf values, classification votes (leaf
// value = 1-based index into $forest$levels), probability forests average the leaves'
// terminal.class.counts (columns in $forest$class.values order).
// Both refuse missing predictors at prediction time: here a missing input makes the prediction
// missing.
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

using trees::describe_factor_inputs;
using trees::empty_tree;
using trees::finish_sets;

const std::vector<std::string>* hint_for(const LevelHints& hints, const std::string& name) {
  auto it = hints.find(name);
  return it == hints.end() ? nullptr : &it->second;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

// Levels stored in the object, checked against a hint for the same variable.
std::vector<std::string> stored_levels(const std::vector<std::string>& stored, const LevelHints& hints,
                                       const std::string& name, const std::string& file, const std::string& place) {
  if (const auto* h = hint_for(hints, name); h && *h != stored)
    throw Error(file, place,
                fmt::format("the levels given for '{}' ({}) differ from those stored in the model ({})", name, join(*h),
                            join(stored)));
  return stored;
}

// Codes 0..L-1 whose bit is (want_set) or is not set in floor(bits), a level set as a number
// (at most 53 levels hold exactly in a double; randomForest allows 53).
std::vector<int32_t> bit_codes(double bits, size_t L, bool want_set, const std::string& file,
                               const std::string& place) {
  if (!(bits >= 0 && bits < 9007199254740992.0))
    throw Error(file, place,
                fmt::format("expected a level set coded as a whole number from 0 to 2^53, found {}", bits));
  const auto b = static_cast<uint64_t>(std::floor(bits));
  std::vector<int32_t> out;
  for (size_t c = 0; c < L; ++c) {
    const bool set = c < 64 && ((b >> c) & 1u);
    if (set == want_set) out.push_back(static_cast<int32_t>(c));
  }
  return out;
}

void set_split(ir::Tree& t, size_t i, std::vector<int32_t> codes) {
  t.op[i] = ir::SplitOp::InSet;
  t.set_offset[i] = static_cast<int32_t>(t.sets.size());
  t.set_size[i] = static_cast<int32_t>(codes.size());
  t.sets.insert(t.sets.end(), codes.begin(), codes.end());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// randomForest

ir::Model import_random_forest(const RObject& root, const std::string& file) {
  return import_random_forest(root, file, LevelHints{});
}

ir::Model import_random_forest(const RObject& root, const std::string& file, const LevelHints& hints) {
  const Member obj(root, file);
  const std::string type = obj["type"].string();
  const bool classification = type == "classification";
  if (!classification && type != "regression")
    throw Unsupported(file, "$type", fmt::format("unsupported randomForest type '{}'", type));
  const Member forest = obj["forest"];
  const std::vector<int64_t> ncat = forest["ncat"].wholes(1, 1 << 24);  // 1 numeric, else levels
  std::vector<std::string> xnames = forest["ncat"].names();
  if (xnames.size() != ncat.size()) throw Error(file, "$forest$ncat@names", "expected one name per predictor");
  const RObject* xlevels = forest->get("xlevels");

  // Predictors: the formula's variables, or the x columns (x/y interface).
  trees::Predictors pred;
  auto levels_of = [&](const std::string& name, bool ordered) -> std::vector<std::string> {
    const RObject* lv = xlevels ? xlevels->get(name) : nullptr;
    if (!ordered && lv && lv->type == RType::Character)
      return stored_levels(Member(*lv, file, "$forest$xlevels$" + name).strings(), hints, name, file,
                           "$forest$xlevels$" + name);
    if (const auto* h = hint_for(hints, name)) return *h;
    throw Error(file, "$forest$xlevels$" + name,
                ordered ? fmt::format("randomForest does not store the levels of the ordered factor '{}' (it splits "
                                      "on the integer codes); give them to the importer",
                                      name)
                        : fmt::format("no levels stored for the factor '{}'", name));
  };
  if (root.get("terms")) {
    pred = trees::predictors_from_terms(root, file, levels_of, xlevels);
  } else {
    ExprTranslator tr(file, pred.inputs, pred.derived);
    for (size_t i = 0; i < xnames.size(); ++i) {
      trees::Predictor v;
      v.name = xnames[i];
      if (ncat[i] > 1) {
        v.factor = true;
        v.input = tr.categorical_input(v.name, levels_of(v.name, false), false, v.name);
        v.n_levels = pred.inputs[static_cast<size_t>(v.input)].levels.size();
      } else if (const auto* h = hint_for(hints, v.name)) {
        v.ordered = true;
        v.input = tr.categorical_input(v.name, *h, true, v.name);
        v.n_levels = h->size();
      } else {
        v.input = tr.continuous_input(v.name, v.name);
        // predict.randomForest turns newdata into data.matrix(): a logical column is 0/1 (the
        // object does not say whether the training column was logical).
        pred.inputs[v.input].logical = true;
      }
      v.expr = ir::Expr::input(v.input);
      pred.vars.push_back(std::move(v));
    }
  }
  // Column j of x -> predictor.
  std::vector<int> var_of(xnames.size());
  for (size_t j = 0; j < xnames.size(); ++j) {
    var_of[j] = pred.find(xnames[j]);
    if (var_of[j] < 0)
      throw Error(file, "$forest$ncat", fmt::format("predictor '{}' is not among the formula's variables", xnames[j]));
    const auto& v = pred.vars[var_of[j]];
    if ((ncat[j] > 1) != v.factor)
      throw Error(file, "$forest$ncat",
                  fmt::format("predictor '{}': ncat {} does not match its class in $terms", xnames[j], ncat[j]));
    if (v.factor && v.n_levels != static_cast<size_t>(ncat[j]))
      throw Error(file, "$forest$ncat",
                  fmt::format("predictor '{}': {} levels, ncat {}", xnames[j], v.n_levels, ncat[j]));
  }

  std::vector<std::string> classes;
  std::vector<double> cutoffs;  // kept only when they differ: equal cutoffs label by the most votes
  if (classification) {
    classes = obj["classes"].strings();
    if (const auto co = forest.get("cutoff")) {
      cutoffs = co->numbers();
      if (cutoffs.size() != classes.size())
        co->fail(fmt::format("{} cutoffs for {} classes", cutoffs.size(), classes.size()));
      bool equal = true;
      for (double c : cutoffs) {
        if (!(c > 0) || !std::isfinite(c)) co->fail(fmt::format("cutoff {} is not a positive number", c));
        equal &= c == cutoffs[0];
      }
      if (equal) cutoffs.clear();
    }
  }
  const size_t K = classification ? classes.size() : 1;

  const auto ntree = static_cast<size_t>(forest["ntree"].whole(1, 1 << 24));
  const auto nrnodes_v = forest["nrnodes"].wholes(1, 1 << 28);
  if (nrnodes_v.empty()) forest["nrnodes"].fail("expected the number of node rows");
  const auto nrnodes = static_cast<size_t>(nrnodes_v[0]);
  const auto ndbig = forest["ndbigtree"].wholes(1, nrnodes_v[0]);
  // The node matrices are read where they are (millions of values in big forests).
  using Numeric = Member::Numeric;
  const Numeric status = forest["nodestatus"].numbers_in_place();
  const Numeric bestvar = forest["bestvar"].wholes_in_place(0, static_cast<int64_t>(xnames.size()));  // 0 at a leaf
  const Numeric xbest = forest["xbestsplit"].numbers_in_place();
  const Numeric nodepred = forest["nodepred"].numbers_in_place();
  Numeric left(nullptr), right(nullptr), treemap(nullptr);  // 1-based node rows, 0 at a leaf
  if (classification) {
    treemap = forest["treemap"].wholes_in_place(0, nrnodes_v[0]);
    if (treemap.size() != nrnodes * 2 * ntree)
      throw Error(file, "$forest$treemap", "expected nrnodes x 2 x ntree values");
  } else {
    left = forest["leftDaughter"].wholes_in_place(0, nrnodes_v[0]);
    right = forest["rightDaughter"].wholes_in_place(0, nrnodes_v[0]);
    if (left.size() != nrnodes * ntree || right.size() != nrnodes * ntree)
      throw Error(file, "$forest$leftDaughter", "expected nrnodes x ntree values");
  }
  if (ndbig.size() != ntree || status.size() != nrnodes * ntree || bestvar.size() != nrnodes * ntree ||
      xbest.size() != nrnodes * ntree || nodepred.size() != nrnodes * ntree)
    throw Error(file, "$forest", "tree matrices do not match nrnodes x ntree");

  ir::TreeEnsemble ens;
  ens.n_outputs = static_cast<int32_t>(K);
  ens.aggregate = classification ? ir::Aggregate::Vote : ir::Aggregate::Average;
  ens.transform = classification ? ir::ScoreTransform::Normalize : ir::ScoreTransform::None;
  ens.class_cutoffs = cutoffs;
  // Category-set arrays only when a predictor is a factor (forests hold millions of nodes).
  bool any_factor = false;
  for (const auto& v : pred.vars) any_factor |= v.factor;
  for (size_t t = 0; t < ntree; ++t) {
    const auto n = static_cast<size_t>(ndbig[t]);  // 1 .. nrnodes (wholes)
    ir::Tree tr = empty_tree(n, K, ir::MissingGo::Null, any_factor);
    for (size_t i = 0; i < n; ++i) {
      const size_t at = t * nrnodes + i;
      auto place = [&] { return fmt::format("$forest (tree {}, node {})", t + 1, i + 1); };
      if (status[at] == -1 || bestvar[at] < 1) {  // terminal
        if (classification) {
          const double c = nodepred[at];
          if (!(c >= 1 && c <= static_cast<double>(K))) throw Error(file, place(), "leaf class out of range");
          tr.values[i * K + static_cast<size_t>(c) - 1] = 1.0;
        } else {
          tr.values[i] = nodepred[at];
        }
        continue;
      }
      const auto j = static_cast<size_t>(bestvar[at]) - 1;  // 1 .. xnames.size() here (wholes)
      const auto& v = pred.vars[var_of[j]];
      tr.feature[i] = var_of[j];
      int64_t l, r;
      if (classification) {
        l = static_cast<int64_t>(treemap[t * nrnodes * 2 + i]);
        r = static_cast<int64_t>(treemap[t * nrnodes * 2 + nrnodes + i]);
      } else {
        l = static_cast<int64_t>(left[at]);
        r = static_cast<int64_t>(right[at]);
      }
      tr.left[i] = static_cast<int32_t>(l) - 1;
      tr.right[i] = static_cast<int32_t>(r) - 1;
      if (v.factor) {
        set_split(tr, i, bit_codes(xbest[at], v.n_levels, true, file, place()));
      } else {
        tr.op[i] = ir::SplitOp::LessOrEqual;
        tr.threshold[i] = v.ordered ? xbest[at] - 1 : xbest[at];  // ordered: 1-based codes
      }
    }
    finish_sets(tr);
    ens.trees.push_back(std::move(tr));
  }
  // corr.bias = TRUE: predict.randomForest returns coefs[1] + coefs[2] * (the trees' mean), the
  // regression of y on the out-of-bag predictions.  Held as a weighted sum: each tree weighs
  // coefs[2] / ntree, the base is coefs[1].
  std::optional<std::pair<double, double>> bias;
  if (const auto coefs = obj.get("coefs"); coefs && !classification) {
    const std::vector<double> c = coefs->numbers();
    if (c.size() != 2 || !std::isfinite(c[0]) || !std::isfinite(c[1]))
      throw Error(file, "$coefs", "expected the two finite coefficients of the bias correction (corr.bias = TRUE)");
    bias = std::make_pair(c[0], c[1]);
    ens.aggregate = ir::Aggregate::Sum;
    ens.tree_weights.assign(ens.trees.size(), c[1] / static_cast<double>(ens.trees.size()));
    ens.base = {c[0]};
  }

  std::vector<std::string> derived_notes = std::move(pred.preprocessing);
  Warnings derived_warnings = std::move(pred.warnings);
  ir::Model m = trees::model_of(std::move(pred), classification, classes);
  m.estimator = std::move(ens);
  m.provenance.preprocessing = std::move(derived_notes);
  m.provenance.warnings.insert(m.provenance.warnings.end(), derived_warnings.begin(), derived_warnings.end());
  m.provenance.source_class = "randomForest";
  m.provenance.family = classification ? "random forest classification" : "random forest regression";
  describe_factor_inputs(m);
  if (classification) m.provenance.preprocessing.push_back("class probabilities: fraction of tree votes");
  if (bias)
    m.provenance.preprocessing.push_back(
        fmt::format("bias correction (corr.bias = TRUE): {} + {} * the mean of the trees", bias->first, bias->second));
  if (!cutoffs.empty()) {
    std::string list;
    for (size_t k = 0; k < cutoffs.size(); ++k) list += fmt::format("{}{}={}", k ? ", " : "", classes[k], cutoffs[k]);
    m.provenance.preprocessing.push_back("class: the largest vote fraction / cutoff (" + list + ")");
  }
  ir::validate(m, file);
  return m;
}

// ---------------------------------------------------------------------------------------------
// ranger

ir::Model import_ranger(const RObject& root, const std::string& file) {
  return import_ranger(root, file, LevelHints{});
}

ir::Model import_ranger(const RObject& root, const std::string& file, const LevelHints& hints) {
  const Member forest = Member(root, file)["forest"];
  const std::string tt = forest["treetype"].string();
  const bool regression = tt == "Regression";
  const bool probability = tt == "Probability estimation";
  const bool classification = tt == "Classification";
  if (!regression && !probability && !classification)
    throw Unsupported(file, "$forest$treetype", fmt::format("unsupported ranger tree type '{}'", tt));

  const auto names = forest["independent.variable.names"].strings();
  const auto is_ordered = forest["is.ordered"].numbers();
  if (is_ordered.size() != names.size()) throw Error(file, "$forest$is.ordered", "expected one value per variable");
  const RObject* cov = forest->get("covariate.levels");
  // r2pmml's decorate() stores the training factors' levels in `$variable.levels` (ranger
  // versions before 0.9 keep none in the forest).
  const RObject* decorated = root.get("variable.levels");

  ir::Model m;
  std::vector<bool> factor(names.size(), false), coded(names.size(), false);
  for (size_t j = 0; j < names.size(); ++j) {
    const std::string& name = names[j];
    const std::string place = "$forest$covariate.levels$" + name;
    const RObject* lv = cov ? cov->get(name) : nullptr;
    std::vector<std::string> levels;
    const RObject* dv = decorated && decorated->type == RType::List ? decorated->get(name) : nullptr;
    if (lv && !lv->is_null()) levels = stored_levels(Member(*lv, file, place).strings(), hints, name, file, place);
    else if (dv && !dv->is_null())
      levels = stored_levels(Member(*dv, file, "$variable.levels$" + name).strings(), hints, name, file,
                             "$variable.levels$" + name);
    else if (const auto* h = hint_for(hints, name)) levels = *h;
    ir::InputField f;
    f.name = name;
    if (is_ordered[j] == 0) {  // partition splits of an unordered factor
      if (levels.empty())
        throw Error(file, place,
                    fmt::format("ranger does not store the levels of the factor '{}' (grown with "
                                "respect.unordered.factors = \"partition\"); give them to the importer",
                                name));
      f.kind = ir::FieldKind::Categorical;
      factor[j] = true;
    } else if (!levels.empty()) {  // a factor split on its 1-based codes ("order" or "ignore")
      f.kind = ir::FieldKind::Categorical;
      coded[j] = true;
    } else {
      // predict.ranger turns newdata into data.matrix(): a logical column is 0/1 (the object
      // does not say whether the training column was logical).
      f.logical = true;
    }
    f.levels = std::move(levels);
    m.schema.inputs.push_back(std::move(f));
    m.features.push_back({name, ir::Expr::input(static_cast<int32_t>(j))});
  }

  std::vector<std::string> classes;
  std::vector<double> class_values;
  if (!regression) {
    classes = forest["levels"].strings();
    class_values = forest["class.values"].numbers();
    for (double v : class_values)
      if (!(v >= 1 && v <= static_cast<double>(classes.size())))
        throw Error(file, "$forest$class.values", "class value out of range of $forest$levels");
  }
  const size_t K = regression ? 1 : classes.size();

  const Member children = forest["child.nodeIDs"];
  const Member varids = forest["split.varIDs"];
  const Member values = forest["split.values"];
  const std::optional<Member> counts =
      probability ? std::optional<Member>(forest["terminal.class.counts"]) : std::nullopt;
  const size_t ntree = children.size();
  if (ntree == 0 || varids.size() != ntree || values.size() != ntree || (counts && counts->size() != ntree))
    throw Error(file, "$forest$child.nodeIDs", "expected one entry per tree in each tree component");
  // Per variable: could its splits be on factor codes?  -1 never split on; 1 every split value a
  // code or a midpoint of two (k or k + 0.5, k >= 1), as ranger splits a coded factor; 0 otherwise.
  std::vector<int> code_like(names.size(), -1);

  ir::TreeEnsemble ens;
  ens.n_outputs = static_cast<int32_t>(K);
  ens.aggregate = classification ? ir::Aggregate::Vote : ir::Aggregate::Average;
  ens.transform = classification ? ir::ScoreTransform::Normalize : ir::ScoreTransform::None;
  for (size_t t = 0; t < ntree; ++t) {
    const Member ch = children.at(t);
    if (ch.size() != 2) ch.fail("expected list(left, right)");
    const size_t n = ch.at(0).obj().length();
    const auto last = static_cast<int64_t>(n) - 1;
    const auto left = ch.at(0).wholes(0, last);  // 0-based node ids, 0 and 0 at a leaf
    const auto right = ch.at(1).wholes(0, last);
    const auto var = varids.at(t).wholes(0, static_cast<int64_t>(names.size()));
    const auto val = values.at(t).numbers();
    if (right.size() != n || var.size() != n || val.size() != n) ch.fail("tree vectors differ in length");
    ir::Tree tr = empty_tree(n, K, ir::MissingGo::Null);
    for (size_t i = 0; i < n; ++i) {
      auto place = [&] { return fmt::format("$forest (tree {}, node {})", t + 1, i); };
      if (left[i] == 0 && right[i] == 0) {  // terminal
        if (regression) {
          tr.values[i] = val[i];
        } else if (classification) {
          const double c = val[i];
          if (!(c >= 1 && c <= static_cast<double>(K))) throw Error(file, place(), "leaf class out of range");
          tr.values[i * K + static_cast<size_t>(c) - 1] = 1.0;
        } else {
          const Member tc = counts->at(t);
          if (i >= tc.size()) throw Error(file, place(), "no terminal class counts for this leaf");
          const auto p = tc.at(i).numbers();
          if (p.size() != class_values.size())
            throw Error(file, place(), "terminal class counts do not match the classes");
          for (size_t k = 0; k < p.size(); ++k) tr.values[i * K + static_cast<size_t>(class_values[k]) - 1] = p[k];
        }
        continue;
      }
      const auto j = static_cast<size_t>(var[i]);
      if (j >= names.size()) throw Error(file, place(), "split variable out of range");
      tr.feature[i] = static_cast<int32_t>(j);
      tr.left[i] = static_cast<int32_t>(left[i]);
      tr.right[i] = static_cast<int32_t>(right[i]);
      if (factor[j]) {  // bit set -> right: the true (left) side is the codes whose bit is clear
        set_split(tr, i, bit_codes(val[i], m.schema.inputs[j].levels.size(), false, file, place()));
      } else {
        tr.op[i] = ir::SplitOp::LessOrEqual;
        tr.threshold[i] = coded[j] ? val[i] - 1 : val[i];
        const bool code = val[i] >= 1 && val[i] <= 1e6 && std::floor(2 * val[i]) == 2 * val[i];
        code_like[j] = (code_like[j] != 0 && code) ? 1 : 0;
      }
    }
    finish_sets(tr);
    ens.trees.push_back(std::move(tr));
  }

  m.estimator = std::move(ens);
  if (!regression) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = classes;
  }
  m.provenance.source_class = "ranger";
  m.provenance.family = regression       ? "ranger regression"
                        : classification ? "ranger classification"
                                         : "ranger probability estimation";
  describe_factor_inputs(m);
  if (classification) m.provenance.preprocessing.push_back("class probabilities: fraction of tree votes");
  if (!cov && !decorated) {
    m.provenance.preprocessing.push_back(
        "ranger keeps no factor levels here: variables without given levels are read as numbers");
    // A factor of the training data split on its level codes 1, 2, ... (predict.ranger's
    // data.matrix()); read as numbers, its labels would go down the wrong branches.  The object
    // cannot tell a factor from a number: say so, naming the variables whose every split could be
    // between two codes, unless the caller gave levels for some variable (then it has said which
    // variables are factors).  A variable split at another value is a number; one never split
    // on does not matter.
    std::vector<std::string> numbers;
    bool hinted = false;
    for (size_t j = 0; j < names.size(); ++j) {
      if (m.schema.inputs[j].levels.empty() && code_like[j] == 1) numbers.push_back(names[j]);
      if (hint_for(hints, names[j])) hinted = true;
    }
    if (!numbers.empty() && !hinted)
      warn(m, "ranger-levels-unknown",
           fmt::format("this ranger object keeps no factor levels (no $forest$covariate.levels): {} {} read as "
                       "numbers, and every split on {} is at a whole number or between two; if one was a factor when "
                       "the forest was grown, R's predict() splits on its level codes 1, 2, ... instead: give its "
                       "levels with --levels VAR=L1,L2,...",
                       fmt::join(numbers, ", "), numbers.size() == 1 ? "is" : "are",
                       numbers.size() == 1 ? "it" : "them"));
  }
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
