#include "lib/ir/builder.hpp"

#include "lib/util/errors.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <type_traits>

namespace mb::ir {
namespace {

struct Checker {
  const Model& m;
  const std::string& file;
  const std::string& where;

  [[noreturn]] void fail(const std::string& place, const std::string& msg) const {
    throw InvalidInput(file, place, "invalid model: " + msg);
  }

  int arity(Op op) const {
    switch (op) {
      case Op::Const:
      case Op::Input:
      case Op::Derived:
      case Op::LevelIs:
      case Op::LevelMap: return 0;
      case Op::Neg:
      case Op::Log:
      case Op::Log10:
      case Op::Exp:
      case Op::Sqrt:
      case Op::Abs:
      case Op::Floor:
      case Op::Ceil:
      case Op::Round:
      case Op::Sin:
      case Op::Cos:
      case Op::Tan:
      case Op::Atan:
      case Op::Tanh:
      case Op::Erf:
      case Op::Logistic:
      case Op::Not:
      case Op::IsMissing:
      case Op::Discretize:
      case Op::Float32: return 1;
      case Op::IfElse: return 3;
      case Op::Min:
      case Op::Max:
      case Op::Coalesce: return -1;  // one or more
      default: return 2;
    }
  }

  void expr(const Expr& e, const std::string& place, int derived_limit) const {
    const int n_inputs = static_cast<int>(m.schema.inputs.size());
    const int a = arity(e.op);
    if (a >= 0 && static_cast<int>(e.args.size()) != a)
      fail(place, fmt::format("operator {} takes {} argument(s), has {}", op_name(e.op), a, e.args.size()));
    if (a < 0 && e.args.empty()) fail(place, fmt::format("operator {} needs arguments", op_name(e.op)));
    switch (e.op) {
      case Op::Input:
        if (e.index < 0 || e.index >= n_inputs) fail(place, fmt::format("input index {} out of range", e.index));
        break;
      case Op::Derived:
        if (e.index < 0 || e.index >= derived_limit)
          fail(place, fmt::format("derived field {} is not defined before its use", e.index));
        break;
      case Op::LevelIs:
      case Op::LevelMap: {
        if (e.index < 0 || e.index >= n_inputs) fail(place, fmt::format("input index {} out of range", e.index));
        const auto& in = m.schema.inputs[e.index];
        if (!in.is_categorical()) fail(place, fmt::format("input '{}' is not categorical", in.name));
        if (e.op == Op::LevelIs && (e.level < 0 || e.level >= static_cast<int>(in.levels.size())))
          fail(place, fmt::format("level code {} out of range for '{}'", e.level, in.name));
        if (e.op == Op::LevelMap && e.table.size() != in.levels.size())
          fail(place, fmt::format("level table of '{}' has {} entries for {} levels", in.name, e.table.size(),
                                  in.levels.size()));
        break;
      }
      case Op::Discretize:
        if (e.table.size() != e.bounds.size() + 2 || e.flags.size() != e.bounds.size() + 1)
          fail(place, "discretize needs bins+1 values (last = default) and a flag per bin");
        break;
      default: break;
    }
    for (size_t i = 0; i < e.args.size(); ++i) expr(e.args[i], place, derived_limit);
  }

  // Place of the estimator ("estimator", or the reader's name for it) and of parts of it.
  std::string at() const { return where; }
  std::string at(const std::string& part) const { return where + ", " + part; }

  void linear(const Linear& l) const {
    const size_t F = m.features.size();
    if (l.n_targets < 1) fail(at(), "linear model with no target");
    if (l.coefficients.size() != F * l.n_targets)
      fail(at(), fmt::format("{} coefficients for {} features x {} targets", l.coefficients.size(), F, l.n_targets));
    if (l.intercepts.size() != static_cast<size_t>(l.n_targets))
      fail(at(), fmt::format("{} intercepts for {} targets", l.intercepts.size(), l.n_targets));
    if (l.offset_feature >= static_cast<int>(F)) fail(at(), "offset feature out of range");
    if (l.link == Link::Power ? !(std::isfinite(l.link_power) && l.link_power != 0) : l.link_power != 1)
      fail(at(),
           fmt::format("link power {} (a power link needs a finite lambda other than 0; other links 1)", l.link_power));
    if (m.schema.target.task == Task::Classification) {
      const size_t K = m.schema.target.classes.size();
      if (l.transform == ScoreTransform::Binary && (K != 2 || l.n_targets != 1))
        fail(at(), "binary linear classifier needs 2 classes and 1 target");
      if (l.transform == ScoreTransform::Softmax && K != static_cast<size_t>(l.n_targets) + (l.reference_class ? 1 : 0))
        fail(at(), "softmax linear classifier: targets do not match classes");
      if (l.transform == ScoreTransform::Cumulative &&
          (K != static_cast<size_t>(l.n_targets) + 1 || l.reference_class || l.output.operator_rules()))
        fail(at(), "cumulative-link classifier needs one target per class but the last");
    } else if (l.transform == ScoreTransform::Cumulative) {
      fail(at(), "a cumulative link outside classification");
    } else if (l.reference_class) {
      fail(at(), "a reference class outside classification");
    }
    linear_output(l);
  }

  // A stage that is plain or the operator arithmetic with nothing else: what every caller checks first.
  bool reference_stage(const OutputStage& o, const std::string& place) const {
    if (o.arithmetic != Arithmetic::Reference) return false;
    if (!o.plain())
      fail(place,
           "a post-transform, score layout, label rule, normalization or float32 output needs the operator "
           "arithmetic");
    return true;
  }

  // LinearClassifier's stage (lib/ir/output.hpp): raw-score labels, float32 output, the complement
  // layout for one score column of two classes, one column per class otherwise.  LinearRegressor's:
  // one target, float32 output, probit or no post-transform, nothing else.
  void linear_output(const Linear& l) const {
    const OutputStage& o = l.output;
    const std::string place = at("output stage");
    if (reference_stage(o, place)) return;
    const auto& target = m.schema.target;
    if (target.task == Task::Regression) {
      if (l.n_targets != 1) fail(place, "the operator arithmetic of a linear regression needs one target");
      if (o.post != PostTransform::None && o.post != PostTransform::Probit)
        fail(place,
             "a linear regression's post-transform is none or probit (onnxruntime applies no other to one target)");
      if (o.layout != ScoreLayout::PerOutput || o.label != LabelRule::LargestProbability || o.l1_normalize)
        fail(place, "a linear regression's operator stage has no score layout, label rule or normalization");
      if (o.output_precision != Precision::Float32)
        fail(place, "a linear regression's operator stage has float32 output");
      if (l.link != Link::Identity || l.transform != ScoreTransform::None || l.offset_feature >= 0)
        fail(place, "a linear regression's operator stage has no link, score transform or offset");
      return;
    }
    if (target.task != Task::Classification)
      fail(place, "the operator arithmetic of a linear model outside classification");
    if (o.post != PostTransform::None && o.post != PostTransform::Logistic && o.post != PostTransform::Softmax)
      fail(place, "a linear classifier's post-transform is none, logistic or softmax");
    if (o.label != LabelRule::RawScores) fail(place, "a linear classifier's operator stage labels by its raw scores");
    if (o.output_precision != Precision::Float32)
      fail(place, "a linear classifier's operator stage has float32 output");
    const size_t K = target.classes.size();
    const bool complement = l.n_targets == 1 && K == 2 && !l.reference_class;
    if (o.layout != (complement ? ScoreLayout::Complement : ScoreLayout::PerOutput))
      fail(place, complement ? "one score column of two classes needs the complement layout"
                             : "several score columns need one column per class");
    if (!complement && K != static_cast<size_t>(l.n_targets) + (l.reference_class ? 1 : 0))
      fail(place, fmt::format("{} score columns for {} classes", l.n_targets + (l.reference_class ? 1 : 0), K));
  }

  // SVMClassifier / SVMRegressor's stage: onnxruntime's float32 arithmetic, votes label classes.
  void svm_output(const Svm& s) const {
    const OutputStage& o = s.output;
    const std::string place = at("output stage");
    if (reference_stage(o, place)) return;
    const bool classify = m.schema.target.task == Task::Classification;
    if (s.one_vs_rest) fail(place, "one-against-all machines have no operator arithmetic");
    if (o.post != PostTransform::None || o.l1_normalize)
      fail(place, "a support vector machine's operator stage has no post-transform or normalization");
    if (o.layout == ScoreLayout::Decisions) {
      const size_t K = m.schema.target.classes.size();
      if (!classify) fail(place, "pairwise decision values outside classification");
      if (!s.prob_a.empty()) fail(place, "pairwise decision values as scores, but Platt parameters for probabilities");
      if (K != 2 && K != 3)
        fail(place, fmt::format("{} pairwise decision values do not fit {} class columns (two or three classes only)",
                                K * (K - 1) / 2, K));
    } else if (o.layout == ScoreLayout::OneVsRest) {
      const size_t K = m.schema.target.classes.size();
      if (!classify) fail(place, "one-vs-rest decision scores outside classification");
      if (!s.prob_a.empty()) fail(place, "one-vs-rest decision scores, but Platt parameters for probabilities");
      if (K < 3) fail(place, fmt::format("one-vs-rest decision scores need three or more classes ({} here)", K));
      for (size_t i = 0; i < s.class_order.size(); ++i)
        if (s.class_order[i] != static_cast<int32_t>(i))
          fail(place, "one-vs-rest decision scores need libsvm's class order to be the model's");
    } else if (o.layout != ScoreLayout::PerOutput) {
      fail(place,
           "a support vector machine's operator stage has one column per class, pairwise decision values or "
           "one-vs-rest decision scores");
    }
    if (o.output_precision != Precision::Float32)
      fail(place, "a support vector machine's operator stage has float32 output");
    if (o.label != (classify ? LabelRule::Votes : LabelRule::LargestProbability))
      fail(place,
           classify ? "a support vector classifier's operator stage labels by votes" : "a label rule for a regression");
  }

  // The output stage and what it asks of the ensemble (lib/ir/output.hpp).
  void output_stage(const TreeEnsemble& t) const {
    const OutputStage& o = t.output;
    const std::string place = at("output stage");
    const auto& target = m.schema.target;
    const size_t classes = target.classes.size();
    if (reference_stage(o, place)) return;
    if (o.l1_normalize) fail(place, "a tree ensemble's operator stage has no normalization");
    if (o.label == LabelRule::Votes) fail(place, "a tree ensemble's operator stage has no votes label rule");
    if (o.layout == ScoreLayout::Complement || o.layout == ScoreLayout::Decisions || o.layout == ScoreLayout::OneVsRest)
      fail(place, "a tree ensemble's operator stage has no complement or decision-value layout");
    if (t.aggregate == Aggregate::Vote) fail(place, "the operator arithmetic has no vote aggregation");
    if (o.label == LabelRule::RawScores) {
      if (target.task != Task::Classification) fail(place, "a label rule of raw scores outside classification");
      switch (o.layout) {
        case ScoreLayout::PerOutput:
          if (classes < 3 || static_cast<size_t>(t.n_outputs) != classes)
            fail(place, fmt::format("one score column per class needs three or more classes and as many scores "
                                    "({} classes, {} scores)",
                                    classes, t.n_outputs));
          break;
        case ScoreLayout::TwoScores:
          if (classes != 2 || t.n_outputs != 2)
            fail(place, fmt::format("a two-score layout needs 2 classes and 2 scores ({} classes, {} scores)", classes,
                                    t.n_outputs));
          break;
        case ScoreLayout::OneScore:
        case ScoreLayout::OneScoreClass1:
          if (classes != 2 || t.n_outputs != 1)
            fail(place, fmt::format("a one-score binary layout needs 2 classes and 1 score ({} classes, {} scores)",
                                    classes, t.n_outputs));
          break;
        case ScoreLayout::Complement:
        case ScoreLayout::Decisions:
        case ScoreLayout::OneVsRest: break;  // refused above
      }
      if (t.base.size() > classes) fail(place, fmt::format("{} base values for {} classes", t.base.size(), classes));
    } else {
      if (o.layout != ScoreLayout::PerOutput) fail(place, "a binary score layout without the raw-score label rule");
      if (!t.base.empty() && t.base.size() != static_cast<size_t>(t.n_outputs))
        fail(place, fmt::format("{} base values for {} scores", t.base.size(), t.n_outputs));
    }
  }

  void tree_ensemble(const TreeEnsemble& t) const {
    const int F = static_cast<int>(m.features.size());
    if (t.n_outputs < 1) fail(at(), "a tree ensemble without outputs");
    if (!t.tree_weights.empty() && t.tree_weights.size() != t.trees.size())
      fail(at(), fmt::format("{} tree weights for {} trees", t.tree_weights.size(), t.trees.size()));
    if (t.output.arithmetic == Arithmetic::Reference && !t.base.empty() &&
        t.base.size() != static_cast<size_t>(t.n_outputs))
      fail(at(), fmt::format("{} base values for {} outputs", t.base.size(), t.n_outputs));
    output_stage(t);
    if (!t.class_cutoffs.empty()) {
      if (m.schema.target.task != Task::Classification || t.output.label != LabelRule::LargestProbability)
        fail(at(), "class cutoffs outside a classifier labelled by its probabilities");
      if (t.class_cutoffs.size() != m.schema.target.classes.size())
        fail(at(),
             fmt::format("{} class cutoffs for {} classes", t.class_cutoffs.size(), m.schema.target.classes.size()));
      for (double c : t.class_cutoffs)
        if (!(c > 0) || !std::isfinite(c)) fail(at(), fmt::format("class cutoff {} is not a positive number", c));
    }
    const bool op = t.output.arithmetic == Arithmetic::Operator;
    for (size_t ti = 0; ti < t.trees.size(); ++ti) {
      const Tree& tr = t.trees[ti];
      const size_t n = tr.op.size();
      const int ni = static_cast<int>(n);
      const std::string place = at(fmt::format("tree {}", ti));
      if (n == 0) fail(place, "empty tree");
      if (tr.feature.size() != n || tr.threshold.size() != n || tr.left.size() != n || tr.right.size() != n ||
          tr.missing.size() != n)
        fail(place, "node arrays differ in length");
      if (tr.values.size() != n * t.n_outputs)
        fail(place, fmt::format("{} node values for {} nodes x {} outputs", tr.values.size(), n, t.n_outputs));
      const int n_sets = static_cast<int>(tr.sets.size());
      if (!tr.set_side.empty() && tr.set_side.size() != tr.sets.size()) fail(place, "set sides do not match set codes");
      auto set_range_ok = [&](int32_t off, int32_t size) { return off >= 0 && size >= 0 && off + size <= n_sets; };
      const bool has_sets = !tr.set_offset.empty() || !tr.set_size.empty();
      if (has_sets && (tr.set_offset.size() != n || tr.set_size.size() != n))
        fail(place, "set offsets or sizes differ in length from the nodes");
      const bool has_sur = !tr.sur_offset.empty() || !tr.sur_size.empty();
      const size_t n_sur = tr.sur_feature.size();
      if (has_sur) {
        if (tr.sur_offset.size() != n || tr.sur_size.size() != n)
          fail(place, "surrogate offsets or sizes differ in length from the nodes");
        if (tr.sur_op.size() != n_sur || tr.sur_threshold.size() != n_sur || tr.sur_flip.size() != n_sur ||
            tr.sur_set_offset.size() != n_sur || tr.sur_set_size.size() != n_sur)
          fail(place, "surrogate arrays differ in length");
      }
      if (!tr.count.empty() && tr.count.size() != n)
        fail(place, fmt::format("{} record counts for {} nodes", tr.count.size(), n));
      bool needs_count = false;
      // The node's place, made only for a message (forests check millions of nodes).
      auto node_at = [&](size_t i) { return fmt::format("{}, node {}", place, i); };
      auto child = [&](size_t parent, const char* which, int32_t c) {
        if (c < 0 || c >= ni)
          fail(node_at(parent), fmt::format("{} child index {} out of range (tree has {} nodes)", which, c, n));
        if (c <= static_cast<int>(parent))
          fail(node_at(parent), fmt::format("{} child {} does not follow its parent (no cycles)", which, c));
      };
      for (size_t i = 0; i < n; ++i) {
        if (tr.op[i] == SplitOp::Leaf) continue;
        auto node = [&] { return node_at(i); };
        if (tr.feature[i] < 0 || tr.feature[i] >= F)
          fail(node(), fmt::format("feature index {} out of range ({} features)", tr.feature[i], F));
        child(i, "left", tr.left[i]);
        child(i, "right", tr.right[i]);
        if (tr.op[i] == SplitOp::InSet && (!has_sets || !set_range_ok(tr.set_offset[i], tr.set_size[i])))
          fail(node(), "category set out of range");
        if (tr.missing[i] == MissingGo::Node) {
          if (tr.missing_child.size() != n) fail(node(), "a missing-value child without the missing_child array");
          child(i, "missing-value", tr.missing_child[i]);
        }
        if (op) {
          // The operator arithmetic walks trees as the ai.onnx.ml operators do.
          if (tr.op[i] == SplitOp::InSet) fail(node(), "a category-set split under the operator arithmetic");
          if (tr.missing[i] != MissingGo::Left && tr.missing[i] != MissingGo::Right)
            fail(node(), "a missing-value rule other than left or right under the operator arithmetic");
          if (has_sur && tr.sur_size[i] > 0) fail(node(), "surrogate splits under the operator arithmetic");
        }
        needs_count |= tr.missing[i] == MissingGo::Majority;
        if (has_sur && tr.sur_size[i] > 0) {
          if (tr.sur_offset[i] < 0 || tr.sur_size[i] < 0 ||
              static_cast<size_t>(tr.sur_offset[i] + tr.sur_size[i]) > n_sur)
            fail(node(), "surrogates out of range");
          for (int32_t s = tr.sur_offset[i]; s < tr.sur_offset[i] + tr.sur_size[i]; ++s) {
            if (tr.sur_feature[s] < 0 || tr.sur_feature[s] >= F)
              fail(node(), fmt::format("surrogate {}: feature index {} out of range ({} features)",
                                       s - tr.sur_offset[i], tr.sur_feature[s], F));
            if (tr.sur_op[s] == SplitOp::Leaf) fail(node(), "surrogate without a test");
            if (tr.sur_op[s] == SplitOp::InSet && !set_range_ok(tr.sur_set_offset[s], tr.sur_set_size[s]))
              fail(node(), "surrogate category set out of range");
          }
        }
      }
      if (needs_count && tr.count.size() != n) fail(place, "majority rule without a record count per node");
      if (!tr.label.empty()) {
        if (tr.label.size() != n) fail(place, fmt::format("{} node labels for {} nodes", tr.label.size(), n));
        if (m.schema.target.task != Task::Classification || !t.output.plain() || !t.class_cutoffs.empty() ||
            t.n_outputs != static_cast<int32_t>(m.schema.target.classes.size()))
          fail(place, "node labels outside a plain classifier with one score per class and no class cutoffs");
        if (t.aggregate != Aggregate::Vote && t.trees.size() != 1)
          fail(place, "node labels in an ensemble of several trees that does not vote");
        for (size_t i = 0; i < n; ++i)
          if (tr.label[i] < -1 || tr.label[i] >= t.n_outputs)
            fail(fmt::format("{}, node {}", place, i), fmt::format("label {} out of range", tr.label[i]));
      }
    }
  }

  void svm(const Svm& s) const {
    const size_t F = m.features.size();
    if (s.n_sv < 1) fail(at(), "a support vector machine without support vectors");
    const size_t n = static_cast<size_t>(s.n_sv);
    if (s.support_vectors.size() != n * F)
      fail(at(), fmt::format("{} support-vector values for {} vectors x {} features", s.support_vectors.size(), n, F));
    if (s.one_vs_rest) {
      if (m.schema.target.task != Task::Classification) fail(at(), "one-against-all machines that do not classify");
      const size_t k = s.class_order.size();
      if (k < 2) fail(at(), "one-against-all needs two machines");
      if (!s.sv_per_class.empty() || !s.prob_a.empty() || !s.prob_b.empty())
        fail(at(), "one-against-all machines with per-class vector counts or Platt parameters");
      if (s.coefficients.size() != k * n)
        fail(at(), fmt::format("{} coefficients for {} machines x {} vectors", s.coefficients.size(), k, n));
      if (s.rho.size() != k) fail(at(), fmt::format("{} rho values for {} machines", s.rho.size(), k));
      std::vector<char> seen(m.schema.target.classes.size(), 0);
      for (size_t c = 0; c < k; ++c) {
        if (s.class_order[c] < 0 || static_cast<size_t>(s.class_order[c]) >= seen.size())
          fail(at(fmt::format("machine {}", c)), fmt::format("class index {} out of range", s.class_order[c]));
        if (seen[s.class_order[c]]++) fail(at(fmt::format("machine {}", c)), "two machines for one class");
      }
    } else if (m.schema.target.task == Task::Classification) {
      const size_t k = s.sv_per_class.size();
      if (k < 2) fail(at(), "a classifier needs two classes");
      size_t total = 0;
      for (size_t c = 0; c < k; ++c) {
        if (s.sv_per_class[c] < 0) fail(at(fmt::format("class {}", c)), "negative support-vector count");
        total += static_cast<size_t>(s.sv_per_class[c]);
      }
      if (total != n) fail(at(), fmt::format("support-vector counts add up to {}, not {}", total, n));
      if (s.coefficients.size() != (k - 1) * n)
        fail(at(), fmt::format("{} coefficients for (K-1) x n_sv = {} x {}", s.coefficients.size(), k - 1, n));
      if (s.rho.size() != k * (k - 1) / 2)
        fail(at(), fmt::format("{} rho values for {} pairs of classes", s.rho.size(), k * (k - 1) / 2));
      if (!s.prob_a.empty() && (s.prob_a.size() != s.rho.size() || s.prob_b.size() != s.rho.size()))
        fail(at(), "Platt parameters are not one pair per pair of classes");
      if (s.prob_a.empty() && !s.prob_b.empty()) fail(at(), "Platt parameters are not one pair per pair of classes");
      if (s.coupling != SvmCoupling::Libsvm && s.prob_a.empty())
        fail(at(), "kernlab's coupling of Platt probabilities without Platt parameters");
      if (s.coupling != SvmCoupling::Libsvm && !s.output.plain())
        fail(at(), "kernlab's coupling of Platt probabilities under an operator's output stage");
      if (s.class_order.size() != k)
        fail(at(), fmt::format("class order has {} entries for {} classes", s.class_order.size(), k));
      for (size_t c = 0; c < k; ++c)
        if (s.class_order[c] < 0 || static_cast<size_t>(s.class_order[c]) >= m.schema.target.classes.size())
          fail(at(fmt::format("class {}", c)), fmt::format("class index {} out of range ({} classes)", s.class_order[c],
                                                           m.schema.target.classes.size()));
    } else {
      if (s.coefficients.size() != n || s.rho.size() != 1)
        fail(at(), fmt::format("regression needs n_sv = {} coefficients and one rho, has {} and {}", n,
                               s.coefficients.size(), s.rho.size()));
    }
    if (s.coupling != SvmCoupling::Libsvm && (s.one_vs_rest || m.schema.target.task != Task::Classification))
      fail(at(), "kernlab's coupling of Platt probabilities outside pairwise classification");
    if (s.kernel == Kernel::Polynomial && !(s.degree >= 0 && s.degree <= 1e6))
      fail(at(), fmt::format("polynomial degree {} out of range", s.degree));
    svm_output(s);
  }

  void mlp(const Mlp& nn) const {
    const size_t F = m.features.size();
    if (nn.n_outputs < 1) fail(at(), "a network without outputs");
    const size_t n_out = static_cast<size_t>(nn.n_outputs);
    if (!nn.conn_offset.empty()) {
      const size_t units = nn.unit_activation.size();
      if (nn.conn_offset.size() != units + 1)
        fail(at(), fmt::format("{} connection offsets for {} units", nn.conn_offset.size(), units));
      if (units < 1 + F + n_out)
        fail(at(), fmt::format("{} units for a bias, {} features and {} outputs", units, F, n_out));
      if (nn.conn_source.size() != nn.conn_weights.size() ||
          nn.conn_offset.back() != static_cast<int32_t>(nn.conn_weights.size()) || nn.conn_offset[0] != 0)
        fail(at(), "connection lists differ in length");
      for (size_t j = 0; j < units; ++j) {
        const std::string unit = at(fmt::format("unit {}", j));
        if (nn.conn_offset[j + 1] < nn.conn_offset[j]) fail(unit, "connection offsets decrease");
        if (j <= F && nn.conn_offset[j + 1] != nn.conn_offset[j])
          fail(unit, "the bias and feature units take no inputs");
        for (int32_t i = nn.conn_offset[j]; i < nn.conn_offset[j + 1]; ++i)
          if (nn.conn_source[i] < 0 || static_cast<size_t>(nn.conn_source[i]) >= j)
            fail(unit, fmt::format("reads unit {}, which does not come before it", nn.conn_source[i]));
        if (nn.unit_activation[j] == Activation::Softmax) fail(unit, "softmax is not a unit activation");
      }
    } else {
      if (nn.layers.empty()) fail(at(), "a network without layers");
      size_t in = F;
      for (size_t l = 0; l < nn.layers.size(); ++l) {
        const auto& L = nn.layers[l];
        if (L.n_units < 1 || L.weights.size() != static_cast<size_t>(L.n_units) * in ||
            L.biases.size() != static_cast<size_t>(L.n_units))
          fail(at(fmt::format("layer {}", l)), fmt::format("{} weights and {} biases for {} units x {} inputs",
                                                           L.weights.size(), L.biases.size(), L.n_units, in));
        in = static_cast<size_t>(L.n_units);
      }
      if (in != n_out) fail(at(), fmt::format("the last layer has {} units for {} outputs", in, n_out));
    }
    if (m.schema.target.task == Task::Classification) {
      const size_t K = m.schema.target.classes.size();
      const bool ok = nn.transform == ScoreTransform::Binary ? (K == 2 && n_out == 1) : n_out == K;
      if (!ok) fail(at(), fmt::format("{} outputs for {} classes", n_out, K));
    }
  }

  void naive_bayes(const NaiveBayes& nb) const {
    const size_t F = m.features.size(), K = nb.log_prior.size();
    if (K < 1 || m.schema.target.classes.size() != K)
      fail(at(), fmt::format("{} priors for {} classes", K, m.schema.target.classes.size()));
    if (nb.gaussian.size() != F || nb.table_offset.size() != F)
      fail(at(), fmt::format("per-feature kinds ({}) or table offsets ({}) do not match the {} features",
                             nb.gaussian.size(), nb.table_offset.size(), F));
    if (nb.mean.size() != K * F || nb.sd.size() != K * F)
      fail(at(), fmt::format("{} means and {} sds for {} classes x {} features", nb.mean.size(), nb.sd.size(), K, F));
    if (!nb.table_levels.empty() && nb.table_levels.size() != F)
      fail(at(), fmt::format("table levels for {} features, not {}", nb.table_levels.size(), F));
    for (size_t f = 0; f < F; ++f) {
      if (nb.gaussian[f]) continue;
      const std::string feature = at(fmt::format("feature {}", f));
      const int64_t L = nb.table_levels.empty() ? 0 : nb.table_levels[f];
      if (L <= 0) fail(feature, "a table without levels");
      const int64_t off = nb.table_offset[f];
      if (off < 0 || off + L * static_cast<int64_t>(K) > static_cast<int64_t>(nb.table.size()))
        fail(feature, fmt::format("table [{}, {}) out of range ({} entries)", off, off + L * static_cast<int64_t>(K),
                                  nb.table.size()));
    }
    if (nb.precision == Precision::Float32) {
      for (size_t f = 0; f < F; ++f)
        if (!nb.gaussian[f])
          fail(at(fmt::format("feature {}", f)), "the float32 naive Bayes graph has Gaussian features only");
      if (nb.log_norm.size() != K)
        fail(at(), fmt::format("{} normalisation constants for {} classes", nb.log_norm.size(), K));
    } else if (!nb.log_norm.empty()) {
      fail(at(), "normalisation constants belong to the float32 naive Bayes graph");
    }
  }

  void clustering(const Clustering& c) const {
    const size_t F = m.features.size();
    if (c.k < 1) fail(at(), "clustering without clusters");
    if (c.centers.size() != static_cast<size_t>(c.k) * F)
      fail(at(), fmt::format("{} centre values for {} clusters x {} features", c.centers.size(), c.k, F));
    if (m.schema.target.task != Task::Clustering) fail(at(), "a clustering estimator for another task");
    if (m.schema.target.classes.size() != static_cast<size_t>(c.k))
      fail(at(), fmt::format("{} cluster ids for {} clusters", m.schema.target.classes.size(), c.k));
  }

  void run() const {
    std::set<std::string> names;
    for (size_t i = 0; i < m.schema.inputs.size(); ++i) {
      const auto& in = m.schema.inputs[i];
      if (in.name.empty()) fail(fmt::format("input {}", i), "input without a name");
      if (!names.insert(in.name).second) fail("input '" + in.name + "'", "input name given twice");
    }
    if (m.schema.target.task != Task::Regression && m.schema.target.classes.empty())
      fail("target", "classification or clustering without classes");
    for (size_t i = 0; i < m.derived.size(); ++i)
      expr(m.derived[i].expr, "derived field '" + m.derived[i].name + "'", static_cast<int>(i));
    for (const auto& f : m.features) expr(f.expr, "feature '" + f.name + "'", static_cast<int>(m.derived.size()));
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, Linear>) linear(e);
          else if constexpr (std::is_same_v<T, TreeEnsemble>) tree_ensemble(e);
          else if constexpr (std::is_same_v<T, Svm>) svm(e);
          else if constexpr (std::is_same_v<T, Mlp>) mlp(e);
          else if constexpr (std::is_same_v<T, NaiveBayes>) naive_bayes(e);
          else if constexpr (std::is_same_v<T, Clustering>) clustering(e);
          else if constexpr (std::is_same_v<T, Ensemble>) ensemble(e);
        },
        m.estimator);
  }

  void ensemble(const Ensemble& e) const {
    const auto task = m.schema.target.task;
    if (e.members.empty()) fail(at(), "an ensemble without members");
    if (!m.features.empty()) fail(at(), "an ensemble's features belong to its members");
    if (task == Task::Clustering) fail(at(), "an ensemble of clustering models");
    const bool vote = e.combine == Combine::MajorityVote || e.combine == Combine::WeightedMajorityVote;
    const bool sum = e.combine == Combine::Sum || e.combine == Combine::WeightedSum;
    if (vote && task != Task::Classification)
      fail(at(), fmt::format("combine rule '{}' for a regression ensemble", combine_name(e.combine)));
    if (sum && task != Task::Regression)
      fail(at(), fmt::format("combine rule '{}' for a classification ensemble", combine_name(e.combine)));
    const bool weighted = e.combine == Combine::WeightedMajorityVote || e.combine == Combine::WeightedAverage ||
                          e.combine == Combine::WeightedSum;
    double total = 0;
    for (size_t i = 0; i < e.members.size(); ++i) {
      const auto& mem = e.members[i];
      const std::string place = at(fmt::format("member {}", i));
      if (std::holds_alternative<Ensemble>(mem.estimator)) fail(place, "an ensemble inside an ensemble");
      if (!std::isfinite(mem.weight) || mem.weight < 0) fail(place, fmt::format("weight {}", mem.weight));
      if (!weighted && mem.weight != 1)
        fail(place, fmt::format("weight {} under the unweighted rule '{}'", mem.weight, combine_name(e.combine)));
      total += mem.weight;
      const Model sub = member_model(m, i);
      Checker{sub, file, place}.run();
    }
    if ((e.combine == Combine::WeightedAverage || e.combine == Combine::WeightedMajorityVote) && !(total > 0))
      fail(at(), "the members' weights sum to 0");
  }
};

}  // namespace

void validate(const Model& m, const std::string& file, const std::string& where) { Checker{m, file, where}.run(); }

}  // namespace mb::ir
