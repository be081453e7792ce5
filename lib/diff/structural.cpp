#include "lib/diff/structural.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "lib/canon/canonical.hpp"

namespace mb::diff {
namespace {

std::string num(double v) { return fmt::format("{}", v); }

const char* kind_name(ir::FieldKind k) {
  return k == ir::FieldKind::Continuous ? "continuous" : k == ir::FieldKind::Categorical ? "categorical" : "ordinal";
}

// Canonical text of each feature (derived fields inlined, input indices replaced by names), so
// features can be matched across formats.
std::vector<std::string> feature_keys(const ir::Model& m) {
  std::vector<std::string> keys;
  for (const auto& f : m.features) {
    ir::Model one;
    one.schema = m.schema;
    one.derived = m.derived;
    one.features = {f};
    one.estimator = ir::Clustering{};
    std::string form = canon::canonical_form(one);
    // Drop the schema part; prefix with the names of the inputs used, so that inputs matched by
    // name in a model with another input order still match.
    const auto pos = form.find("features 1 ");
    std::string expr = pos == std::string::npos ? form : form.substr(pos + 11);
    std::vector<std::string> sorted;
    for (const auto& in : m.schema.inputs) sorted.push_back(in.name);
    std::sort(sorted.begin(), sorted.end());  // the canonical form numbers inputs in name order
    std::string names;
    for (const auto& n : sorted) names += n + ",";
    keys.push_back(names + "|" + expr);
  }
  return keys;
}

void add_param(std::vector<Change>& params, const std::string& what, double a, double b) {
  if (a == b || (std::isnan(a) && std::isnan(b))) return;
  Change c{"parameter-changed", what, num(a), num(b)};
  c.abs = std::fabs(a - b);
  c.rel = b != 0 ? c.abs / std::fabs(b) : INFINITY;
  params.push_back(std::move(c));
}

}  // namespace

std::vector<Change> structural_diff(const ir::Model& a, const ir::Model& b, size_t max_parameters, size_t max_trees) {
  std::vector<Change> out;
  // Inputs.
  for (const auto& in : a.schema.inputs) {
    const int j = b.schema.find_input(in.name);
    if (j < 0) { out.push_back({"input-removed", in.name, kind_name(in.kind), ""}); continue; }
    const auto& other = b.schema.inputs[j];
    if (other.kind != in.kind) out.push_back({"input-retyped", in.name, kind_name(in.kind), kind_name(other.kind)});
    else if (other.levels != in.levels)
      out.push_back({"levels-changed", in.name, fmt::format("[{}]", fmt::join(in.levels, ", ")),
                     fmt::format("[{}]", fmt::join(other.levels, ", "))});
  }
  for (const auto& in : b.schema.inputs)
    if (a.schema.find_input(in.name) < 0) out.push_back({"input-added", in.name, "", kind_name(in.kind)});
  // Target.
  if (a.schema.target.task != b.schema.target.task) out.push_back({"task-changed", "target", "", ""});
  if (a.schema.target.classes != b.schema.target.classes)
    out.push_back({"classes-changed", "target", fmt::format("[{}]", fmt::join(a.schema.target.classes, ", ")),
                   fmt::format("[{}]", fmt::join(b.schema.target.classes, ", "))});
  // Estimator.
  if (a.estimator.index() != b.estimator.index()) {
    out.push_back({"estimator-changed", "estimator", ir::estimator_kind(a.estimator), ir::estimator_kind(b.estimator)});
    return out;
  }
  std::vector<Change> params;
  if (auto* la = std::get_if<ir::Linear>(&a.estimator)) {
    const auto& lb = std::get<ir::Linear>(b.estimator);
    if (la->link != lb.link || la->transform != lb.transform)
      out.push_back({"link-changed", "link", std::to_string(static_cast<int>(la->link)), std::to_string(static_cast<int>(lb.link))});
    const auto ka = feature_keys(a), kb = feature_keys(b);
    std::map<std::string, size_t> b_index;
    for (size_t j = 0; j < kb.size(); ++j) b_index.emplace(kb[j], j);
    std::vector<bool> b_used(kb.size(), false);
    const int T = std::min(la->n_targets, lb.n_targets);
    for (size_t f = 0; f < ka.size(); ++f) {
      auto it = b_index.find(ka[f]);
      if (it == b_index.end()) { out.push_back({"feature-removed", a.features[f].name, "", ""}); continue; }
      b_used[it->second] = true;
      for (int t = 0; t < T; ++t)
        add_param(params, T > 1 ? fmt::format("{}[{}]", a.features[f].name, t) : a.features[f].name,
                  la->coefficients[t * ka.size() + f], lb.coefficients[t * kb.size() + it->second]);
    }
    for (size_t j = 0; j < kb.size(); ++j)
      if (!b_used[j]) out.push_back({"feature-added", b.features[j].name, "", ""});
    for (int t = 0; t < T; ++t)
      add_param(params, T > 1 ? fmt::format("(Intercept)[{}]", t) : "(Intercept)", la->intercepts[t], lb.intercepts[t]);
  } else if (auto* ta = std::get_if<ir::TreeEnsemble>(&a.estimator)) {
    const auto& tb = std::get<ir::TreeEnsemble>(b.estimator);
    // Trees are compared as the functions they compute (their canonical forms): a tree that a
    // format spells with other nodes is no change.  Leading constant trees of a sum count as base.
    const auto fa = canon::tree_forms(a), fb = canon::tree_forms(b);
    if (ta->class_cutoffs.size() == tb.class_cutoffs.size()) {
      for (size_t k = 0; k < ta->class_cutoffs.size(); ++k)
        add_param(params, fmt::format("cutoff[{}]", k), ta->class_cutoffs[k], tb.class_cutoffs[k]);
    } else {
      out.push_back({"parameter-changed", "cutoff", fmt::format("{} values", ta->class_cutoffs.size()),
                     fmt::format("{} values", tb.class_cutoffs.size())});
    }
    if (fa.trees.size() != fb.trees.size())
      out.push_back({"trees-changed", "trees", std::to_string(fa.trees.size()), std::to_string(fb.trees.size())});
    if (fa.base.size() == fb.base.size()) {
      for (size_t k = 0; k < fa.base.size(); ++k)
        add_param(params, fa.base.size() > 1 ? fmt::format("base[{}]", k) : "base", fa.base[k], fb.base[k]);
    } else {
      out.push_back({"parameter-changed", "base", fmt::format("{} values", fa.base.size()), fmt::format("{} values", fb.base.size())});
    }
    size_t listed = 0;
    for (size_t t = 0; t < std::min(fa.trees.size(), fb.trees.size()); ++t) {
      if (fa.trees[t] == fb.trees[t]) continue;
      const auto& x = ta->trees[t + fa.first];
      const auto& y = tb.trees[t + fb.first];
      const std::string name = fmt::format("tree {}", t + fa.first);
      if (x.op.size() != y.op.size()) {
        if (listed++ < max_trees)
          out.push_back({"tree-changed", name, fmt::format("{} nodes", x.op.size()), fmt::format("{} nodes", y.op.size())});
        continue;
      }
      const size_t before = params.size() + out.size();
      for (size_t n = 0; n < x.op.size(); ++n) {
        if (x.op[n] != y.op[n] || x.feature[n] != y.feature[n] || x.left[n] != y.left[n]) {
          if (listed++ < max_trees) out.push_back({"tree-changed", fmt::format("{} node {}", name, n), "split", "split"});
          continue;
        }
        if (x.op[n] != ir::SplitOp::Leaf) add_param(params, fmt::format("{} node {} threshold", name, n), x.threshold[n], y.threshold[n]);
        const size_t K = ta->n_outputs;
        if (tb.n_outputs == ta->n_outputs)
          for (size_t k = 0; k < K; ++k) {
            // Values count at leaves, and at inner nodes where a row can stop (the forms differ).
            if (x.op[n] != ir::SplitOp::Leaf && x.missing[n] != ir::MissingGo::StopHere &&
                x.missing[n] != ir::MissingGo::Majority)
              continue;
            add_param(params, K > 1 ? fmt::format("{} node {} value[{}]", name, n, k) : fmt::format("{} node {} value", name, n),
                      x.values[n * K + k], y.values[n * K + k]);
          }
      }
      // Same nodes and numbers, another function: missing-value rules, sets or surrogates.
      if (params.size() + out.size() == before && listed++ < max_trees)
        out.push_back({"tree-changed", name, "rules", "rules"});
    }
  } else if (canon::canonical_form(a) != canon::canonical_form(b)) {
    out.push_back({"parameter-changed", "estimator parameters", "", ""});
  }
  std::sort(params.begin(), params.end(), [](const Change& x, const Change& y) {
    if (x.rel != y.rel) return x.rel > y.rel;
    return x.what < y.what;
  });
  const size_t total = params.size();
  if (params.size() > max_parameters) params.resize(max_parameters);
  for (auto& p : params) out.push_back(std::move(p));
  if (total > max_parameters)
    out.push_back({"parameter-changed", fmt::format("{} more parameters", total - max_parameters), "", ""});
  return out;
}

}  // namespace mb::diff
