#include "lib/ir/builder.hpp"

#include <fmt/format.h>

#include <set>

namespace mb::ir {
namespace {

struct Checker {
  const Model& m;
  const std::string& file;

  [[noreturn]] void fail(const std::string& place, const std::string& msg) const {
    throw Error(file, place, "invalid model: " + msg);
  }

  int arity(Op op) const {
    switch (op) {
      case Op::Const: case Op::Input: case Op::Derived: case Op::LevelIs: case Op::LevelMap:
        return 0;
      case Op::Neg: case Op::Log: case Op::Log10: case Op::Exp: case Op::Sqrt: case Op::Abs:
      case Op::Floor: case Op::Ceil: case Op::Round: case Op::Sin: case Op::Cos: case Op::Tan:
      case Op::Atan: case Op::Tanh: case Op::Erf: case Op::Logistic: case Op::Not:
      case Op::IsMissing: case Op::Discretize:
        return 1;
      case Op::IfElse: return 3;
      case Op::Min: case Op::Max: case Op::Coalesce: return -1;  // one or more
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
          fail(place, fmt::format("level table of '{}' has {} entries for {} levels", in.name, e.table.size(), in.levels.size()));
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

  void linear(const Linear& l) const {
    const size_t F = m.features.size();
    if (l.n_targets < 1) fail("estimator", "linear model with no target");
    if (l.coefficients.size() != F * l.n_targets)
      fail("estimator", fmt::format("{} coefficients for {} features x {} targets", l.coefficients.size(), F, l.n_targets));
    if (l.intercepts.size() != static_cast<size_t>(l.n_targets))
      fail("estimator", fmt::format("{} intercepts for {} targets", l.intercepts.size(), l.n_targets));
    if (l.offset_feature >= static_cast<int>(F)) fail("estimator", "offset feature out of range");
    if (m.schema.target.task == Task::Classification) {
      const size_t K = m.schema.target.classes.size();
      if (l.transform == ScoreTransform::Binary && (K != 2 || l.n_targets != 1))
        fail("estimator", "binary linear classifier needs 2 classes and 1 target");
      if (l.transform == ScoreTransform::Softmax &&
          K != static_cast<size_t>(l.n_targets) + (l.reference_class ? 1 : 0))
        fail("estimator", "softmax linear classifier: targets do not match classes");
    }
  }

  void tree_ensemble(const TreeEnsemble& t) const {
    const int F = static_cast<int>(m.features.size());
    if (!t.tree_weights.empty() && t.tree_weights.size() != t.trees.size())
      fail("estimator", "tree weights do not match trees");
    for (size_t ti = 0; ti < t.trees.size(); ++ti) {
      const Tree& tr = t.trees[ti];
      const size_t n = tr.op.size();
      const std::string place = fmt::format("tree {}", ti);
      if (n == 0) fail(place, "empty tree");
      if (tr.feature.size() != n || tr.threshold.size() != n || tr.left.size() != n || tr.right.size() != n ||
          tr.missing.size() != n || tr.values.size() != n * t.n_outputs)
        fail(place, "node arrays differ in length");
      const int n_sets = static_cast<int>(tr.sets.size());
      if (!tr.set_side.empty() && tr.set_side.size() != tr.sets.size())
        fail(place, "set sides do not match set codes");
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
      bool needs_count = false;
      for (size_t i = 0; i < n; ++i) {
        if (tr.op[i] == SplitOp::Leaf) continue;
        const std::string node = fmt::format("{} node {}", place, i);
        if (tr.feature[i] < 0 || tr.feature[i] >= F) fail(node, "feature out of range");
        if (tr.left[i] <= static_cast<int>(i) || tr.right[i] <= static_cast<int>(i) ||
            tr.left[i] >= static_cast<int>(n) || tr.right[i] >= static_cast<int>(n))
          fail(node, "children must follow their parent (no cycles)");
        if (tr.op[i] == SplitOp::InSet && (!has_sets || !set_range_ok(tr.set_offset[i], tr.set_size[i])))
          fail(node, "category set out of range");
        if (tr.missing[i] == MissingGo::Node &&
            (tr.missing_child.size() != n || tr.missing_child[i] <= static_cast<int>(i) ||
             tr.missing_child[i] >= static_cast<int>(n)))
          fail(node, "missing-value child must follow its parent");
        needs_count |= tr.missing[i] == MissingGo::Majority;
        if (has_sur && tr.sur_size[i] > 0) {
          if (tr.sur_offset[i] < 0 || tr.sur_size[i] < 0 || static_cast<size_t>(tr.sur_offset[i] + tr.sur_size[i]) > n_sur)
            fail(node, "surrogates out of range");
          for (int32_t s = tr.sur_offset[i]; s < tr.sur_offset[i] + tr.sur_size[i]; ++s) {
            if (tr.sur_feature[s] < 0 || tr.sur_feature[s] >= F) fail(node, "surrogate feature out of range");
            if (tr.sur_op[s] == SplitOp::Leaf) fail(node, "surrogate without a test");
            if (tr.sur_op[s] == SplitOp::InSet && !set_range_ok(tr.sur_set_offset[s], tr.sur_set_size[s]))
              fail(node, "surrogate category set out of range");
          }
        }
      }
      if (needs_count && tr.count.size() != n) fail(place, "majority rule without a record count per node");
    }
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
    for (const auto& f : m.features)
      expr(f.expr, "feature '" + f.name + "'", static_cast<int>(m.derived.size()));
    if (auto* l = std::get_if<Linear>(&m.estimator)) linear(*l);
    if (auto* t = std::get_if<TreeEnsemble>(&m.estimator)) tree_ensemble(*t);
  }
};

}  // namespace

void validate(const Model& m, const std::string& file) { Checker{m, file}.run(); }

}  // namespace mb::ir
