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
      for (size_t i = 0; i < n; ++i) {
        if (tr.op[i] == SplitOp::Leaf) continue;
        if (tr.feature[i] < 0 || tr.feature[i] >= F) fail(fmt::format("{} node {}", place, i), "feature out of range");
        if (tr.left[i] <= static_cast<int>(i) || tr.right[i] <= static_cast<int>(i) ||
            tr.left[i] >= static_cast<int>(n) || tr.right[i] >= static_cast<int>(n))
          fail(fmt::format("{} node {}", place, i), "children must follow their parent (no cycles)");
      }
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
