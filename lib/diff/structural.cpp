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

const char* precision_name(ir::Precision p) { return p == ir::Precision::Float32 ? "float32" : "double"; }

// The arithmetic an estimator computes in, as diff names it ("" when it has no such setting).
std::string arithmetic(const ir::Model& m) {
  if (auto* l = std::get_if<ir::Linear>(&m.estimator)) return precision_name(l->precision);
  if (auto* t = std::get_if<ir::TreeEnsemble>(&m.estimator)) {
    if (t->threshold_precision == t->value_precision) return precision_name(t->threshold_precision);
    return fmt::format("{} thresholds, {} values", precision_name(t->threshold_precision),
                       precision_name(t->value_precision));
  }
  if (auto* v = std::get_if<ir::Svm>(&m.estimator)) return precision_name(v->precision);
  if (auto* n = std::get_if<ir::Mlp>(&m.estimator)) return precision_name(n->precision);
  return "";
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// b is a's float32 rounding or a float32 neighbour of it: what storing a in float32 (and
// translating a double comparison into a float32 one) does, not an edit.
bool within_float32_step(double a, double b) {
  const float fa = static_cast<float>(a), fb = static_cast<float>(b);
  return fa == fb || fb == std::nextafter(fa, INFINITY) || fb == std::nextafter(fa, -INFINITY);
}

bool is_hex_number(const std::string& w) {
  const size_t k = (w[0] == '-') ? 1 : 0;
  return w.size() > k + 2 && w[k] == '0' && w[k + 1] == 'x';
}

// Trees whose files lay them out differently are compared in their canonical forms
// (lib/canon/tree_canon.hpp): nodes written as regions, in a fixed order.  When both forms have
// the same shape (the same nodes, atoms and references), the numbers that differ are the edit:
// a boundary of a split on some feature, or a leaf value.  Numbers that only float32 rounding
// separates (one side computes in float32) are counted, not listed.
struct TreeEdit {
  bool same_shape = true;
  size_t splits_a = 0, splits_b = 0;  // split points (boundaries and categorical nodes)
  size_t rounding_only = 0;
  std::vector<Change> params;
};

// Index just past the atom "( ... )" that follows the node word w[i] ("N").
size_t atom_end(const std::vector<std::string>& w, size_t i) {
  size_t j = i + 1, depth = 0;
  while (j < w.size()) {
    if (w[j] == "(") ++depth;
    if (w[j] == ")") --depth;
    ++j;
    if (depth == 0) break;
  }
  return j;
}

size_t count_splits(const std::vector<std::string>& w) {
  size_t n = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == "C") ++n;
    if (w[i] != "N") continue;
    const size_t j = atom_end(w, i);  // then the precision word and the number of boundaries
    if (j + 1 < w.size()) n += static_cast<size_t>(std::strtoul(w[j + 1].c_str(), nullptr, 10));
  }
  return n;
}

TreeEdit tree_edit(const std::string& fa, const std::string& fb, const std::string& tree_name,
                   const std::vector<std::string>& input_names, bool float32_side) {
  TreeEdit e;
  const auto wa = split_words(fa), wb = split_words(fb);
  e.splits_a = count_splits(wa);
  e.splits_b = count_splits(wb);
  if (wa.size() != wb.size()) {
    e.same_shape = false;
    return e;
  }
  std::string context;  // "leaf" or the atom of a split
  size_t leaf_number = 0;
  bool atom_f32_a = false, atom_f32_b = false;  // the current split compares in float32 (side A, B)
  for (size_t i = 0; i < wa.size(); ++i) {
    const std::string &x = wa[i], &y = wb[i];
    if (x == ";") {
      context.clear();
      if (y != ";") {
        e.same_shape = false;
        return e;
      }
      continue;
    }
    if (x == "L" && context.empty()) {
      context = "leaf";
      ++leaf_number;
    }
    if (x == "N" && context.empty() && i + 1 < wa.size()) {
      const size_t j = atom_end(wa, i);
      const std::vector<std::string> inner(wa.begin() + static_cast<std::ptrdiff_t>(i + 1),
                                           wa.begin() + static_cast<std::ptrdiff_t>(j));
      atom_f32_a = j < wa.size() && wa[j] == "f32";
      atom_f32_b = j < wb.size() && wb[j] == "f32";
      context = "a derived feature";
      if (inner.size() == 4 && inner[1] == "input") {
        const size_t k = std::strtoul(inner[2].c_str(), nullptr, 10);
        if (k < input_names.size()) context = input_names[k];
      }
    }
    if (x == y) continue;
    const bool precision_word = (x == "f64" || x == "f32") && (y == "f64" || y == "f32");
    if (precision_word) continue;  // named once, as precision-changed
    if (!is_hex_number(x) || !is_hex_number(y)) {
      e.same_shape = false;
      return e;
    }
    const double a = std::strtod(x.c_str(), nullptr), b = std::strtod(y.c_str(), nullptr);
    if (float32_side && within_float32_step(a, b)) {
      ++e.rounding_only;
      continue;
    }
    if (context == "leaf") {
      add_param(e.params, fmt::format("{} leaf {} value", tree_name, leaf_number), a, b);
      continue;
    }
    // A boundary t means x <= t; a source's "x < 2.45" is written as x <= the number below 2.45
    // (in the precision the split compares in).  Shown as the source would say it: "< 2.45"
    // where the number above reads shorter.
    const auto above = [](double v, bool f32) {
      return f32 ? static_cast<double>(std::nextafter(static_cast<float>(v), INFINITY)) : std::nextafter(v, INFINITY);
    };
    const double ua = above(a, atom_f32_a), ub = above(b, atom_f32_b);
    const bool strict_a = num(ua).size() < num(a).size(), strict_b = num(ub).size() < num(b).size();
    if (strict_a == strict_b) {
      add_param(e.params, fmt::format("{} split {} {} t", tree_name, context, strict_a ? "<" : "<="), strict_a ? ua : a,
                strict_b ? ub : b);
    } else {
      Change c{"parameter-changed", fmt::format("{} split {}", tree_name, context),
               fmt::format("{} {}", strict_a ? "<" : "<=", num(strict_a ? ua : a)),
               fmt::format("{} {}", strict_b ? "<" : "<=", num(strict_b ? ub : b))};
      c.abs = std::fabs(a - b);  // between the boundaries themselves (x <= a, x <= b)
      c.rel = b != 0 ? c.abs / std::fabs(b) : INFINITY;
      e.params.push_back(std::move(c));
    }
  }
  return e;
}

}  // namespace

std::vector<Change> structural_diff(const ir::Model& a, const ir::Model& b, size_t max_parameters, size_t max_trees) {
  std::vector<Change> out;
  // Inputs.
  for (const auto& in : a.schema.inputs) {
    const int j = b.schema.find_input(in.name);
    if (j < 0) {
      out.push_back({"input-removed", in.name, kind_name(in.kind), ""});
      continue;
    }
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
  // Arithmetic: a float32 side rounds parameters and compares in float32 (an ONNX file, say).
  if (const std::string pa = arithmetic(a), pb = arithmetic(b); a.estimator.index() == b.estimator.index() && pa != pb)
    out.push_back({"precision-changed", "arithmetic", pa, pb});
  // Estimator.
  if (a.estimator.index() != b.estimator.index()) {
    out.push_back({"estimator-changed", "estimator", ir::estimator_kind(a.estimator), ir::estimator_kind(b.estimator)});
    return out;
  }
  std::vector<Change> params;
  // With one side in float32, numbers that are each other's float32 rounding are counted, not listed.
  bool float32_side = false;
  size_t rounding_only = 0;
  const auto param = [&](const std::string& what, double x, double y) {
    if (float32_side && x != y && within_float32_step(x, y)) {
      ++rounding_only;
      return;
    }
    add_param(params, what, x, y);
  };
  if (auto* la = std::get_if<ir::Linear>(&a.estimator)) {
    const auto& lb = std::get<ir::Linear>(b.estimator);
    float32_side = la->precision != lb.precision;
    if (la->link != lb.link || la->transform != lb.transform)
      out.push_back({"link-changed", "link", std::to_string(static_cast<int>(la->link)),
                     std::to_string(static_cast<int>(lb.link))});
    const auto ka = feature_keys(a), kb = feature_keys(b);
    std::map<std::string, size_t> b_index;
    for (size_t j = 0; j < kb.size(); ++j) b_index.emplace(kb[j], j);
    std::vector<bool> b_used(kb.size(), false);
    const int T = std::min(la->n_targets, lb.n_targets);
    for (size_t f = 0; f < ka.size(); ++f) {
      auto it = b_index.find(ka[f]);
      if (it == b_index.end()) {
        out.push_back({"feature-removed", a.features[f].name, "", ""});
        continue;
      }
      b_used[it->second] = true;
      for (int t = 0; t < T; ++t)
        param(T > 1 ? fmt::format("{}[{}]", a.features[f].name, t) : a.features[f].name,
              la->coefficients[t * ka.size() + f], lb.coefficients[t * kb.size() + it->second]);
    }
    for (size_t j = 0; j < kb.size(); ++j)
      if (!b_used[j]) out.push_back({"feature-added", b.features[j].name, "", ""});
    for (int t = 0; t < T; ++t)
      param(T > 1 ? fmt::format("(Intercept)[{}]", t) : "(Intercept)", la->intercepts[t], lb.intercepts[t]);
  } else if (auto* ta = std::get_if<ir::TreeEnsemble>(&a.estimator)) {
    const auto& tb = std::get<ir::TreeEnsemble>(b.estimator);
    float32_side = ta->threshold_precision != tb.threshold_precision || ta->value_precision != tb.value_precision;
    // Trees are compared as the functions they compute (their canonical forms): a tree that a
    // format spells with other nodes is no change.  Leading constant trees of a sum count as base.
    const auto fa = canon::tree_forms(a), fb = canon::tree_forms(b);
    if (ta->class_cutoffs.size() == tb.class_cutoffs.size()) {
      for (size_t k = 0; k < ta->class_cutoffs.size(); ++k)
        param(fmt::format("cutoff[{}]", k), ta->class_cutoffs[k], tb.class_cutoffs[k]);
    } else {
      out.push_back({"parameter-changed", "cutoff", fmt::format("{} values", ta->class_cutoffs.size()),
                     fmt::format("{} values", tb.class_cutoffs.size())});
    }
    if (fa.trees.size() != fb.trees.size())
      out.push_back({"trees-changed", "trees", std::to_string(fa.trees.size()), std::to_string(fb.trees.size())});
    if (fa.base.size() == fb.base.size()) {
      for (size_t k = 0; k < fa.base.size(); ++k)
        param(fa.base.size() > 1 ? fmt::format("base[{}]", k) : "base", fa.base[k], fb.base[k]);
    } else {
      out.push_back({"parameter-changed", "base", fmt::format("{} values", fa.base.size()),
                     fmt::format("{} values", fb.base.size())});
    }
    size_t listed = 0;
    std::vector<std::string> input_names;  // canonical input numbers: names in sorted order
    for (const auto& in : a.schema.inputs) input_names.push_back(in.name);
    std::sort(input_names.begin(), input_names.end());
    const auto same_layout = [](const ir::Tree& x, const ir::Tree& y) {
      if (x.op.size() != y.op.size()) return false;
      for (size_t n = 0; n < x.op.size(); ++n)
        if (x.op[n] != y.op[n] || x.feature[n] != y.feature[n] || x.left[n] != y.left[n]) return false;
      return true;
    };
    for (size_t t = 0; t < std::min(fa.trees.size(), fb.trees.size()); ++t) {
      if (fa.trees[t] == fb.trees[t]) continue;
      const auto& x = ta->trees[t + fa.first];
      const auto& y = tb.trees[t + fb.first];
      const std::string name = fmt::format("tree {}", t + fa.first);
      if (float32_side || !same_layout(x, y)) {  // the files lay the tree out differently: compare what it computes
        TreeEdit e = tree_edit(fa.trees[t], fb.trees[t], name, input_names, float32_side);
        rounding_only += e.rounding_only;
        if (!e.same_shape) {
          if (listed++ < max_trees)
            out.push_back({"tree-changed", name, fmt::format("{} split points", e.splits_a),
                           fmt::format("{} split points", e.splits_b)});
          continue;
        }
        if (e.params.empty()) {
          if (e.rounding_only == 0 && listed++ < max_trees) out.push_back({"tree-changed", name, "rules", "rules"});
          continue;
        }
        for (auto& c : e.params) params.push_back(std::move(c));
        continue;
      }
      const size_t before = params.size() + out.size();
      for (size_t n = 0; n < x.op.size(); ++n) {
        if (x.op[n] != y.op[n] || x.feature[n] != y.feature[n] || x.left[n] != y.left[n]) {
          if (listed++ < max_trees)
            out.push_back({"tree-changed", fmt::format("{} node {}", name, n), "split", "split"});
          continue;
        }
        if (x.op[n] != ir::SplitOp::Leaf)
          param(fmt::format("{} node {} threshold", name, n), x.threshold[n], y.threshold[n]);
        const size_t K = ta->n_outputs;
        if (tb.n_outputs == ta->n_outputs)
          for (size_t k = 0; k < K; ++k) {
            // Values count at leaves, and at inner nodes where a row can stop (the forms differ).
            if (x.op[n] != ir::SplitOp::Leaf && x.missing[n] != ir::MissingGo::StopHere &&
                x.missing[n] != ir::MissingGo::Majority)
              continue;
            param(K > 1 ? fmt::format("{} node {} value[{}]", name, n, k) : fmt::format("{} node {} value", name, n),
                  x.values[n * K + k], y.values[n * K + k]);
          }
        // The class a node predicts (its label, else its first most probable class), where a
        // side has node labels and a row can end at the node.
        const bool ends = x.op[n] == ir::SplitOp::Leaf || x.missing[n] == ir::MissingGo::StopHere ||
                          x.missing[n] == ir::MissingGo::Majority;
        if (ends && (!x.label.empty() || !y.label.empty()) && tb.n_outputs == ta->n_outputs &&
            a.schema.target.classes.size() == K) {
          const auto predicted = [&](const ir::Tree& tr) {
            if (!tr.label.empty() && tr.label[n] >= 0) return static_cast<size_t>(tr.label[n]);
            size_t best = 0;
            for (size_t k = 1; k < K; ++k)
              if (tr.values[n * K + k] > tr.values[n * K + best]) best = k;
            return best;
          };
          const size_t ca = predicted(x), cb = predicted(y);
          if (ca != cb && listed++ < max_trees)
            out.push_back({"tree-changed", fmt::format("{} node {} label", name, n), a.schema.target.classes[ca],
                           b.schema.target.classes.at(cb)});
        }
      }
      // Same nodes and numbers, another function: missing-value rules, sets or surrogates.
      if (params.size() + out.size() == before && listed++ < max_trees)
        out.push_back({"tree-changed", name, "rules", "rules"});
    }
    if (listed > max_trees)
      out.push_back({"tree-changed", fmt::format("and {} more trees", listed - max_trees), "", ""});

  } else if (const auto* ea = std::get_if<ir::Ensemble>(&a.estimator)) {
    // Member by member, each as a model of its own ("member 2: coefficient 3").
    const auto& eb = std::get<ir::Ensemble>(b.estimator);
    if (ea->combine != eb.combine)
      out.push_back({"parameter-changed", "combine rule", ir::combine_name(ea->combine), ir::combine_name(eb.combine)});
    if (ea->members.size() != eb.members.size())
      out.push_back(
          {"parameter-changed", "members", std::to_string(ea->members.size()), std::to_string(eb.members.size())});
    for (size_t i = 0; i < std::min(ea->members.size(), eb.members.size()); ++i) {
      param(fmt::format("member {} weight", i), ea->members[i].weight, eb.members[i].weight);
      for (auto& c : structural_diff(ir::member_model(a, i), ir::member_model(b, i), max_parameters, max_trees)) {
        c.what = fmt::format("member {}: {}", i, c.what);
        if (c.kind == "parameter-changed" && c.abs > 0) params.push_back(std::move(c));
        else out.push_back(std::move(c));
      }
    }
  } else if (const auto* sa = std::get_if<ir::Svm>(&a.estimator);
             sa && sa->precision != std::get<ir::Svm>(b.estimator).precision) {
    // A float32 SVM (an ONNX SVMClassifier / SVMRegressor) against a double one: the numbers
    // compared with float32 rounding in mind, a regression's response scaling folded into its
    // coefficients and rho as the operator holds it.
    const auto& sb = std::get<ir::Svm>(b.estimator);
    float32_side = true;
    if (sa->kernel != sb.kernel || sa->n_sv != sb.n_sv || sa->sv_per_class != sb.sv_per_class ||
        sa->class_order != sb.class_order || sa->one_vs_rest != sb.one_vs_rest || sa->max_wins != sb.max_wins ||
        sa->support_vectors.size() != sb.support_vectors.size() || sa->coefficients.size() != sb.coefficients.size() ||
        sa->rho.size() != sb.rho.size() || sa->prob_a.size() != sb.prob_a.size() ||
        sa->prob_b.size() != sb.prob_b.size() || sa->coupling != sb.coupling) {
      out.push_back({"parameter-changed", "estimator parameters", "", ""});
    } else {
      param("kernel gamma", sa->gamma, sb.gamma);
      param("kernel coef0", sa->coef0, sb.coef0);
      param("kernel degree", sa->degree, sb.degree);
      const size_t F = sa->n_sv > 0 ? sa->support_vectors.size() / static_cast<size_t>(sa->n_sv) : 0;
      for (size_t i = 0; i < sa->support_vectors.size(); ++i)
        param(fmt::format("support vector {} [{}]", i / F, i % F), sa->support_vectors[i], sb.support_vectors[i]);
      for (size_t i = 0; i < sa->coefficients.size(); ++i)
        param(fmt::format("coefficient {}", i), sa->coefficients[i] * sa->scale, sb.coefficients[i] * sb.scale);
      for (size_t i = 0; i < sa->rho.size(); ++i)
        param(fmt::format("rho[{}]", i), sa->rho[i] * sa->scale - sa->center, sb.rho[i] * sb.scale - sb.center);
      for (size_t i = 0; i < sa->prob_a.size(); ++i) {
        param(fmt::format("prob_a[{}]", i), sa->prob_a[i], sb.prob_a[i]);
        param(fmt::format("prob_b[{}]", i), sa->prob_b[i], sb.prob_b[i]);
      }
    }
  } else if (canon::canonical_form(a) != canon::canonical_form(b)) {
    // Two SVMs that differ in their probability model only (kernlab's @prob.model, libsvm's
    // probA/probB): each Platt parameter and the coupling named.
    const auto* sa = std::get_if<ir::Svm>(&a.estimator);
    const auto* sb = std::get_if<ir::Svm>(&b.estimator);
    bool named = false;
    if (sa && sb && sa->prob_a.size() == sb->prob_a.size() && sa->prob_b.size() == sb->prob_b.size()) {
      ir::Model a2 = a;
      auto& s2 = std::get<ir::Svm>(a2.estimator);
      s2.prob_a = sb->prob_a;
      s2.prob_b = sb->prob_b;
      s2.coupling = sb->coupling;
      if (canon::canonical_form(a2) == canon::canonical_form(b)) {
        named = true;
        if (sa->coupling != sb->coupling)
          out.push_back({"parameter-changed", "probability coupling", std::to_string(static_cast<int>(sa->coupling)),
                         std::to_string(static_cast<int>(sb->coupling))});
        for (size_t i = 0; i < sa->prob_a.size(); ++i) {
          param(fmt::format("prob_a[{}]", i), sa->prob_a[i], sb->prob_a[i]);
          param(fmt::format("prob_b[{}]", i), sa->prob_b[i], sb->prob_b[i]);
        }
      }
    }
    if (!named) out.push_back({"parameter-changed", "estimator parameters", "", ""});
  }
  if (rounding_only > 0)
    out.push_back({"precision-changed",
                   fmt::format("{} numbers differ only by float32 rounding (at most one float32 step)", rounding_only),
                   "", ""});
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
