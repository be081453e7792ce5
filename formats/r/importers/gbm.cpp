// gbm models (docs/r-objects.md "gbm").
//
// f = initF + the leaf values of the first n.trees trees (shrinkage is already in the leaves;
// n.trees as predict.gbm takes it without the argument: the best iteration when the fit kept
// validation rows or cross-validation errors, else every tree; --n-trees chooses);
// bernoulli response 1 / (1 + exp(-f)), adaboost 1 / (1 + exp(-2 f)), poisson exp(f); gaussian, laplace,
// tdist, quantile, coxph and huberized f itself.  multinomial: one score per class
// (tree i * K + k of iteration i adds to class k, from initF), probabilities exp(f) / sum exp(f).  Each tree is eight
// vectors: SplitVar (0-based, -1 at a leaf), SplitCodePred (threshold, index into $c.splits, or the leaf value),
// LeftNode, RightNode, MissingNode, ErrorReduction, Weight, Prediction.  A missing value goes to
// MissingNode; a continuous (or ordered factor, on its 0-based code) value goes left when
// "x < split"; a factor's 0-based code looks up $c.splits[[split + 1]]: -1 left, 1 right,
// 0 the missing branch.
#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"
#include "formats/r/lang/rparse.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {

namespace {

// which.min(v) + 1 as R gives it (NA skipped, the first minimum), or 0 when every value is NA.
size_t which_min(const std::vector<double>& v) {
  size_t best = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isnan(v[i]) && (best == 0 || v[i] < v[best - 1])) best = i + 1;
  return best;
}

// The trees predict.gbm uses when it is not given n.trees: the best iteration by the validation
// rows when train.fraction < 1 (gbm.perf(method = "test")), else by cross-validation when the fit
// has cv.error (gbm.perf(method = "cv")), else all of them.  `why` says which.
size_t default_n_trees(const Member& obj, size_t n_trees, std::string& why) {
  if (const auto tf = obj.get("train.fraction"); tf && tf->obj().length() == 1 && tf->number() < 1) {
    const auto ve = obj["valid.error"];
    const size_t best = which_min(ve.numbers());
    if (best == 0) ve.unsupported("unsupported: no finite $valid.error to pick the best iteration from");
    why = "the best iteration on the validation rows (train.fraction < 1; gbm.perf(method = \"test\"))";
    return std::min(best, n_trees);
  }
  if (const auto cv = obj.get("cv.error"); cv && cv->obj().length() > 0) {
    const size_t best = which_min(cv->numbers());
    if (best == 0) cv->unsupported("unsupported: no finite $cv.error to pick the best iteration from");
    why = "the best iteration by cross-validation (gbm.perf(method = \"cv\"))";
    return std::min(best, n_trees);
  }
  return n_trees;
}

}  // namespace

ir::Model import_gbm(const RObject& root, const std::string& file) { return import_gbm_n_trees(root, file, ""); }

ir::Model import_gbm_n_trees(const RObject& root, const std::string& file, const std::string& n_trees_hint) {
  const Member obj(root, file);
  const std::string name = obj["distribution"]["name"].string();
  ir::Link link = ir::Link::Identity;
  bool bernoulli = false;
  bool multinomial = false;
  double scale = 1;  // adaboost: response 1 / (1 + exp(-2 f)), the logistic of 2 f (doubling is exact)
  if (name == "bernoulli" || name == "adaboost") {
    link = ir::Link::Logit;
    bernoulli = true;
    if (name == "adaboost") scale = 2;
  } else if (name == "multinomial") {
    multinomial = true;
  } else if (name == "poisson") {
    link = ir::Link::Log;
  } else if (name != "gaussian" && name != "laplace" && name != "tdist" && name != "quantile" && name != "coxph" &&
             name != "huberized") {
    // coxph (the log relative hazard) and huberized (the margin of a 0/1 response): predict.gbm
    // gives f itself for type = "link" and "response" alike.
    throw Unsupported(file, "$distribution$name", fmt::format("unsupported gbm distribution '{}'", name));
  }
  size_t K = 1;  // class scores: multinomial has one per class
  if (const RObject* nc = root.get("num.classes"); nc && nc->length() == 1 && nc->number(0) != 1) {
    if (!multinomial) throw Error(file, "$num.classes", "several classes outside the multinomial distribution");
    const double k = nc->number(0);
    if (!(k >= 2 && k <= 100000)) throw Error(file, "$num.classes", "number of classes out of range");
    K = static_cast<size_t>(k);
  }
  std::vector<std::string> classes;
  if (multinomial) {
    classes = obj["classes"].strings();
    if (classes.size() != K) obj["classes"].fail(fmt::format("{} classes, num.classes {}", classes.size(), K));
  }

  const auto var_names = obj["var.names"].strings();
  const auto var_type = obj["var.type"].wholes(0, 1 << 24);  // 0 numeric (or ordered), else the number of levels
  const Member var_levels = obj["var.levels"];
  if (var_type.size() != var_names.size() || var_levels.size() != var_names.size())
    throw Error(file, "$var.type", "var.names, var.type and var.levels differ in length");

  ir::Model m;
  std::vector<size_t> n_levels(var_names.size(), 0);
  {
    ExprTranslator tr(file, m.schema.inputs, m.derived);
    for (size_t j = 0; j < var_names.size(); ++j) {
      const std::string& v = var_names[j];
      const Member lv = var_levels.at(j);
      const std::string& place = lv.path();
      ir::Expr e;
      if (var_type[j] > 0 || lv->type == RType::Character) {  // a factor (ordered when var.type is 0)
        const bool ordered = var_type[j] == 0;
        auto levels = lv.strings();
        if (!ordered && levels.size() != static_cast<size_t>(var_type[j]))
          throw Error(file, place, fmt::format("'{}' has {} levels, var.type says {}", v, levels.size(), var_type[j]));
        n_levels[j] = levels.size();
        // factor(x) / as.factor(x) in the formula: predict.gbm makes it again from the rows and
        // matches its labels to $var.levels, so the data column x is read with those levels.
        std::string column = v;
        if (v.find('(') != std::string::npos) {
          RPtr node = parse_r_expression(v, file, fmt::format("$var.names[{}]", j + 1));
          const std::string fn = node->type == RType::Language ? call_name(*node) : "";
          const RObject* x = fn == "factor" || fn == "as.factor" ? call_arg(*node, "x", 0) : nullptr;
          if (!x || x->type != RType::Symbol || node->elements.size() != 2)
            throw Unsupported(file, place,
                              fmt::format("unsupported: the factor '{}' is an expression of the data; factor "
                                          "variables and factor(x) / as.factor(x) of a column are read",
                                          v));
          column = x->text;
          m.provenance.preprocessing.push_back(fmt::format("{}: the labels of {} matched to $var.levels", v, column));
        }
        e = ir::Expr::input(tr.categorical_input(column, levels, ordered, v));
      } else {
        RPtr node = parse_r_expression(v, file, fmt::format("$var.names[{}]", j + 1));
        e = tr.numeric(*node, v);
      }
      m.features.push_back({v, std::move(e)});
    }
  }

  const double init_f = obj["initF"].number();
  const Member trees_obj = obj["trees"];
  // Iteration i holds K trees, i * K + k scoring class k (gbm's gbm_pred).
  size_t n_trees = trees_obj.size() / K;
  if (const RObject* nt = root.get("n.trees"); nt && nt->length() == 1) {
    const double want = nt->number(0);
    if (!(want >= 1 && want <= static_cast<double>(n_trees)))
      throw Error(file, "$n.trees",
                  fmt::format("n.trees {} but {} trees are stored for {} class(es)", want, trees_obj.size(), K));
    n_trees = static_cast<size_t>(want);
  }
  // Which of them: --n-trees (a number, or "all"), else what predict() without n.trees takes.
  const size_t n_fitted = n_trees;
  std::string best_why;
  if (n_trees_hint == "all") {
  } else if (!n_trees_hint.empty()) {
    size_t want = 0;
    const char* b = n_trees_hint.data();
    const auto [end, ec] = std::from_chars(b, b + n_trees_hint.size(), want);
    if (ec != std::errc() || end != b + n_trees_hint.size() || want < 1 || want > n_trees)
      throw Error(file, "",
                  fmt::format("--n-trees {}: expected a whole number from 1 to {} (the trees of this gbm) or all",
                              n_trees_hint, n_trees));
    n_trees = want;
  } else {
    n_trees = default_n_trees(obj, n_trees, best_why);
  }
  const RObject* c_splits = root.get("c.splits");

  ir::TreeEnsemble ens;
  ens.aggregate = ir::Aggregate::Sum;
  ens.n_outputs = static_cast<int32_t>(K);
  ens.base.assign(K, init_f * scale);
  ens.link = link;
  ens.transform = bernoulli     ? ir::ScoreTransform::Binary
                  : multinomial ? ir::ScoreTransform::Softmax
                                : ir::ScoreTransform::None;
  for (size_t t = 0; t < n_trees * K; ++t) {
    const size_t cls = t % K;
    const Member tree = trees_obj.at(t);
    const std::string& tp = tree.path();
    if (tree.size() < 5) tree.fail("expected the eight vectors of a gbm tree");
    const auto split_code = tree.at(1).numbers();
    const size_t n = split_code.size();
    const auto n_max = static_cast<int64_t>(n) - 1;
    const auto split_var = tree.at(0).wholes(-1, static_cast<int64_t>(var_names.size()) - 1);
    const auto left = tree.at(2).wholes(-1, n_max);
    const auto right = tree.at(3).wholes(-1, n_max);
    const auto miss = tree.at(4).wholes(-1, n_max);
    if (split_code.size() != n || left.size() != n || right.size() != n || miss.size() != n)
      throw Error(file, tp, "tree vectors differ in length");
    ir::Tree tr = trees::empty_tree(n, K, ir::MissingGo::Node);
    tr.missing_child.assign(n, -1);
    for (size_t i = 0; i < n; ++i) {
      const std::string place = fmt::format("{} node {}", tp, i);
      if (split_var[i] == -1) {
        tr.values[i * K + cls] = split_code[i] * scale;
        continue;
      }
      const auto j = static_cast<size_t>(split_var[i]);  // 0 .. var_names.size() - 1 (wholes)
      tr.feature[i] = static_cast<int32_t>(j);
      tr.left[i] = static_cast<int32_t>(left[i]);
      tr.right[i] = static_cast<int32_t>(right[i]);
      tr.missing_child[i] = static_cast<int32_t>(miss[i]);
      if (var_type[j] > 0) {
        const double k = split_code[i];
        if (!c_splits || !(k >= 0) || static_cast<size_t>(k) >= c_splits->elements.size())
          throw Error(file, place, "categorical split index out of range of $c.splits");
        const auto dir = Member(*c_splits, file, "$c.splits").at(static_cast<size_t>(k)).numbers();
        tr.op[i] = ir::SplitOp::InSet;
        tr.set_offset[i] = static_cast<int32_t>(tr.sets.size());
        for (size_t c = 0; c < dir.size() && c < n_levels[j]; ++c) {
          if (dir[c] == -1 || dir[c] == 1) {
            tr.sets.push_back(static_cast<int32_t>(c));
            tr.set_side.push_back(dir[c] == -1 ? 1 : 0);
          }
        }
        tr.set_size[i] = static_cast<int32_t>(tr.sets.size()) - tr.set_offset[i];
      } else {
        tr.op[i] = ir::SplitOp::LessThan;
        tr.threshold[i] = split_code[i];
      }
    }
    trees::finish_sets(tr);
    ens.trees.push_back(std::move(tr));
  }

  m.estimator = std::move(ens);
  if (const RObject* rn = root.get("response.name"); rn && rn->type == RType::Character && rn->length() == 1)
    m.schema.target.name = rn->str(0);
  if (bernoulli) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = {"0", "1"};
  } else if (multinomial) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = classes;
  }
  m.provenance.source_class = "gbm";
  m.provenance.family = fmt::format("gbm {}", name);
  trees::describe_factor_inputs(m);
  if (scale != 1) m.provenance.preprocessing.push_back("adaboost: initF and leaf values doubled, then the logistic");
  if (name == "coxph" || name == "huberized")
    m.provenance.preprocessing.push_back(fmt::format("{}: the prediction is f itself, as predict.gbm gives it", name));
  if (!best_why.empty())
    warn(m, "gbm-best-iteration",
         fmt::format("gbm imported with its first {} of {} trees: {}, what R's predict() takes without "
                     "n.trees; --n-trees all (or a number) chooses otherwise",
                     n_trees, n_fitted, best_why));
  m.provenance.preprocessing.push_back(
      fmt::format("first {} trees{}, initF {}", n_trees,
                  multinomial ? fmt::format(" per class ({} in all)", n_trees * K) : "", init_f));
  // predict.gbm codes a factor by matching its labels to $var.levels: a label not there (a level
  // the training rows lacked, which gbm drops) becomes NA and goes down the missing branch.
  for (const auto& in : m.schema.inputs)
    if (in.is_categorical()) {
      m.unseen = ir::UnseenLevel::Missing;
      m.provenance.preprocessing.push_back("a factor level not in $var.levels: missing (predict.gbm codes it NA)");
      break;
    }
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
