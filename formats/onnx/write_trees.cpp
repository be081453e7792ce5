// ONNX writer, tree ensembles: see write_trees.hpp.
#include "formats/onnx/write_trees.hpp"

#include "formats/onnx/tree_prims.hpp"
#include "lib/ir/lower.hpp"
#include "lib/util/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

namespace mb::onnxfmt {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using prims::float_floor;
using prims::Prim;
using prims::PrimForest;

double below(double t) { return std::nextafter(t, -kInf); }

struct Rewriter {
  const ir::TreeEnsemble& te;
  PrimForest& pf;
  const std::string place;

  [[noreturn]] void fail(const std::string& where, const std::string& msg) const { throw Error("", where, msg); }

  // Exits of one split test; `nodir` is where a missing value or an unlisted category goes.
  int32_t split(const ir::Tree& tr, ir::SplitOp op, int32_t feat, double thr, int32_t set_off, int32_t set_size,
                int32_t T, int32_t F, int32_t nodir) {
    switch (op) {
      case ir::SplitOp::LessOrEqual: return pf.test(feat, thr, T, F, nodir);
      case ir::SplitOp::LessThan:
        if (thr == -kInf) return pf.test(feat, kInf, F, F, nodir);
        return pf.test(feat, below(thr), T, F, nodir);
      case ir::SplitOp::GreaterThan: return pf.test(feat, thr, F, T, nodir);
      case ir::SplitOp::GreaterOrEqual:
        if (thr == -kInf) return pf.test(feat, kInf, T, T, nodir);
        return pf.test(feat, below(thr), F, T, nodir);
      case ir::SplitOp::Equal:
      case ir::SplitOp::NotEqual: {
        const int32_t yes = op == ir::SplitOp::Equal ? T : F, no = op == ir::SplitOp::Equal ? F : T;
        if (thr == -kInf) return pf.test(feat, -kInf, yes, no, nodir);
        const int32_t b = pf.test(feat, thr, yes, no, nodir);
        return pf.test(feat, below(thr), no, b, nodir);
      }
      case ir::SplitOp::InSet: {
        // The evaluator's code is the value truncated to an integer: code c covers [c, c+1).
        std::map<int64_t, int32_t> code_to;
        for (int32_t i = 0; i < set_size; ++i) {
          const int32_t c = tr.sets[set_off + i];
          if (c < 0) fail(place, "negative category codes cannot be written");
          const bool side = tr.set_side.empty() ? true : tr.set_side[set_off + i] != 0;
          code_to.emplace(c, side ? T : F);
        }
        const int32_t other = tr.set_side.empty() ? F : nodir;
        // Segments [lo, hi) with a target; boundaries b_i: x < b_i goes left.
        std::vector<double> bounds;
        std::vector<int32_t> targets{other};  // (-inf, first)
        int64_t prev_end = std::numeric_limits<int64_t>::min();
        for (const auto& [c, tgt] : code_to) {
          if (c != prev_end) {  // a gap (or the start) before c
            if (targets.back() != other) {
              bounds.push_back(static_cast<double>(prev_end));
              targets.push_back(other);
            }
          }
          if (targets.back() != tgt) {
            bounds.push_back(static_cast<double>(c));
            targets.push_back(tgt);
          }
          prev_end = c + 1;
        }
        if (targets.back() != other) {
          bounds.push_back(static_cast<double>(prev_end));
          targets.push_back(other);
        }
        // Balanced search over the boundaries: x < b  <=>  x <= below(b).
        std::function<int32_t(size_t, size_t)> build = [&](size_t lo, size_t hi) -> int32_t {
          // segments lo..hi (inclusive); boundaries between them are bounds[lo..hi-1]
          if (lo == hi) return targets[lo];
          const size_t mid = (lo + hi) / 2;  // split at bounds[mid]
          const int32_t l = build(lo, mid), r = build(mid + 1, hi);
          return pf.test(feat, below(bounds[mid]), l, r, nodir);
        };
        const int32_t entry = build(0, targets.size() - 1);
        if (entry == T || entry == F || entry == nodir) return pf.test(feat, kInf, entry, entry, nodir);
        return entry;
      }
      case ir::SplitOp::Leaf: break;
    }
    fail(place, "a split without a test");
  }

  int32_t node(const ir::Tree& tr, int32_t n, double w, std::vector<double>& buf) {
    const int K = te.n_outputs;
    auto values_of = [&](int32_t at) {
      const double* v = &tr.values[static_cast<size_t>(at) * K];
      const int32_t label = tr.label.empty() ? -1 : tr.label[at];
      if (te.aggregate == ir::Aggregate::Vote) {
        int best = 0;
        for (int k = 1; k < K; ++k)
          if (v[k] > v[best]) best = k;
        std::fill(buf.begin(), buf.end(), 0.0);
        buf[label >= 0 ? label : best] = w;  // a tree votes for its node's label
        return pf.leaf(buf.data());
      } else if (te.aggregate == ir::Aggregate::Sum || te.aggregate == ir::Aggregate::Average) {
        for (int k = 0; k < K; ++k) buf[k] = w * v[k];
      } else {
        for (int k = 0; k < K; ++k) buf[k] = v[k];
      }
      return pf.leaf(buf.data(), label);
    };
    if (tr.op[n] == ir::SplitOp::Leaf) return values_of(n);
    const int32_t L = node(tr, tr.left[n], w, buf), R = node(tr, tr.right[n], w, buf);
    int32_t rule = -1;
    switch (tr.missing[n]) {
      case ir::MissingGo::Left: rule = L; break;
      case ir::MissingGo::Right: rule = R; break;
      case ir::MissingGo::Node: rule = node(tr, tr.missing_child[n], w, buf); break;
      case ir::MissingGo::StopHere: rule = values_of(n); break;
      case ir::MissingGo::Null: {
        std::fill(buf.begin(), buf.end(), kNaN);
        pf.has_null = true;
        rule = pf.leaf(buf.data());
        break;
      }
      case ir::MissingGo::Majority: {
        const double cl = tr.count[tr.left[n]], cr = tr.count[tr.right[n]];
        rule = cl == cr ? values_of(n) : (cl > cr ? L : R);
        break;
      }
    }
    int32_t next = rule;
    if (!tr.sur_size.empty())
      for (int32_t s = tr.sur_offset[n] + tr.sur_size[n] - 1; s >= tr.sur_offset[n]; --s) {
        const bool flip = tr.sur_flip[s] != 0;
        next = split(tr, tr.sur_op[s], tr.sur_feature[s], tr.sur_threshold[s], tr.sur_set_offset[s], tr.sur_set_size[s],
                     flip ? R : L, flip ? L : R, next);
      }
    const bool has_sets = !tr.set_offset.empty();
    return split(tr, tr.op[n], tr.feature[n], tr.threshold[n], has_sets ? tr.set_offset[n] : 0,
                 has_sets ? tr.set_size[n] : 0, L, R, next);
  }
};

// Longest number of tests from `n` to a leaf.
int depth_of(const PrimForest& pf, int32_t n, std::vector<int>& memo) {
  if (memo[n] >= 0) return memo[n];
  const Prim& p = pf.nodes[n];
  int d = 0;
  if (p.leaf < 0) {
    d = 1 + std::max({depth_of(pf, p.t, memo), depth_of(pf, p.f, memo), depth_of(pf, p.nan, memo)});
  }
  return memo[n] = d;
}

void add_init(onnx::GraphProto* g, const std::string& name, onnx::TensorProto t) {
  t.set_name(name);
  *g->add_initializer() = std::move(t);
}

// --onnx-trees ml5: one ai.onnx.ml opset-5 TreeEnsemble on the features (double, or float32 with
// --precision float).  onnxruntime converts the operator to its opset-3 structure and refuses
// shared interior nodes, so subtrees are expanded; leaves (one target each) are shared.  A leaf
// names one target, so K score columns take K copies of each tree (copies whose leaves are all 0
// are left out of sums).  Double: sums in the operator, then Div (Average) and Add (base) in
// double; float32: Average inside the operator (one score column, unit tree weights) or folded
// into the leaf values, base added in float32 before the output is widened.
TreeScores write_ml5(const ir::TreeEnsemble& te, const PrimForest& pf, Emitter& e, const std::string& features,
                     bool f32, double total_weight, Warnings& warnings) {
  const int K = pf.K;
  const int64_t T = static_cast<int64_t>(pf.roots.size());
  const bool extremum = te.aggregate == ir::Aggregate::Max || te.aggregate == ir::Aggregate::Min;
  if (extremum && K > 1)
    throw Unsupported::by("", "estimator", "--onnx-trees ml5", "Max/Min aggregation over several score columns");
  bool unit_weights = true;
  for (double w : te.tree_weights) unit_weights &= w == 1.0;
  const bool average = te.aggregate == ir::Aggregate::Average;
  const bool op_average = average && f32 && K == 1 && unit_weights;
  const double fold = average && f32 && !op_average ? total_weight : 1.0;
  const bool thr32 = f32 || te.threshold_precision == ir::Precision::Float32;

  std::vector<int64_t> feat, tn, tl, fn, fl, tracks, roots, leaf_t;
  std::vector<double> splits, leaf_w;
  std::map<std::pair<int, uint64_t>, int64_t> leaf_at;  // (target, value bits) -> leaf
  bool moved = false;
  size_t emitted = 0;
  auto leaf = [&](int k, double v) -> int64_t {
    if (f32) {
      const double n = static_cast<double>(static_cast<float>(v));
      moved |= n != v && !std::isnan(v);
      v = n;
    }
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    if (std::isnan(v)) bits = 0x7ff8000000000000ull;
    auto [it, fresh] = leaf_at.emplace(std::make_pair(k, bits), static_cast<int64_t>(leaf_t.size()));
    if (fresh) {
      leaf_t.push_back(k);
      leaf_w.push_back(v);
    }
    return it->second;
  };
  auto interior = [&](int64_t feature, double thr, bool nan_true) -> size_t {
    if (++emitted > 20'000'000)
      throw Error("", "estimator",
                  "the opset-5 TreeEnsemble cannot share subtrees (onnxruntime refuses them) and expanding them "
                  "(surrogates, category sets, missing-value branches) exceeds 20 million nodes");
    feat.push_back(feature);
    splits.push_back(thr);
    tracks.push_back(nan_true ? 1 : 0);
    tn.push_back(0);
    tl.push_back(0);
    fn.push_back(0);
    fl.push_back(0);
    return feat.size() - 1;
  };
  // Returns (id, is_leaf) of prim node n for target k.
  std::function<std::pair<int64_t, bool>(int32_t, int, int)> emit = [&](int32_t n, int k,
                                                                        int level) -> std::pair<int64_t, bool> {
    if (level > 2000)
      throw Error("", "estimator", "a tree deeper than 2000 tests cannot be written with --onnx-trees ml5");
    const Prim& p = pf.nodes[n];
    if (p.leaf >= 0) return {leaf(k, pf.values[static_cast<size_t>(p.leaf) * K + k] / fold), true};
    const double thr = thr32 ? float_floor(p.thr) : p.thr;
    moved |= thr != p.thr;
    auto link = [&](size_t at, std::pair<int64_t, bool> t, std::pair<int64_t, bool> f) {
      tn[at] = t.first;
      tl[at] = t.second ? 1 : 0;
      fn[at] = f.first;
      fl[at] = f.second ? 1 : 0;
    };
    if (p.nan == p.t || p.nan == p.f) {
      const size_t at = interior(p.feature, thr, p.nan == p.t && p.t != p.f);
      const auto t = emit(p.t, k, level + 1);
      const auto f = emit(p.f, k, level + 1);
      link(at, t, f);
      return {static_cast<int64_t>(at), false};
    }
    // NaN guard: x <= +inf holds for every number; a NaN takes the false branch.
    const size_t guard = interior(p.feature, kInf, false);
    const size_t at = interior(p.feature, thr, false);
    const auto t = emit(p.t, k, level + 1);
    const auto f = emit(p.f, k, level + 1);
    link(at, t, f);
    link(guard, {static_cast<int64_t>(at), false}, emit(p.nan, k, level + 1));
    return {static_cast<int64_t>(guard), false};
  };
  // Whether target k of tree r has a nonzero (or NaN) leaf value.
  auto contributes = [&](int32_t root, int k) {
    std::vector<uint8_t> seen(pf.nodes.size(), 0);
    // NaN != 0 too
    return !for_each_leaf(pf, root, seen,
                          [&](int32_t leaf) { return pf.values[static_cast<size_t>(leaf) * K + k] == 0.0; });
  };
  for (int k = 0; k < K; ++k)
    for (int64_t t = 0; t < T; ++t) {
      const int32_t r = pf.roots[t];
      if (K > 1 && !extremum && !contributes(r, k)) continue;
      auto top = emit(r, k, 0);
      if (top.second) {
        // A single-leaf tree: one test whose both branches reach the leaf.
        const size_t at = interior(0, 0.0, false);
        tn[at] = fn[at] = top.first;
        tl[at] = fl[at] = 1;
        top = {static_cast<int64_t>(at), false};
      }
      roots.push_back(top.first);
    }
  if (roots.empty()) {  // every score is 0
    const size_t at = interior(0, 0.0, false);
    tn[at] = fn[at] = leaf(0, 0.0);
    tl[at] = fl[at] = 1;
    roots.push_back(static_cast<int64_t>(at));
  }

  auto typed = [&](const std::vector<double>& v) {
    return f32 ? tensor_float(v, {static_cast<int64_t>(v.size())}) : tensor_double(v, {static_cast<int64_t>(v.size())});
  };
  onnx::TensorProto modes;
  modes.set_data_type(onnx::TensorProto::UINT8);
  modes.add_dims(static_cast<int64_t>(feat.size()));
  modes.set_raw_data(std::string(feat.size(), '\0'));  // 0 = BRANCH_LEQ
  const int64_t agg = op_average                           ? 0
                      : te.aggregate == ir::Aggregate::Min ? 2
                      : te.aggregate == ir::Aggregate::Max ? 3
                                                           : 1;
  std::vector<onnx::AttributeProto> attrs = {
      attr_int("n_targets", K),
      attr_int("aggregate_function", agg),
      attr_int("post_transform", 0),
      attr_ints("tree_roots", roots),
      attr_ints("nodes_featureids", feat),
      attr_tensor("nodes_splits", typed(splits)),
      attr_tensor("nodes_modes", modes),
      attr_ints("nodes_truenodeids", tn),
      attr_ints("nodes_trueleafs", tl),
      attr_ints("nodes_falsenodeids", fn),
      attr_ints("nodes_falseleafs", fl),
      attr_ints("nodes_missing_value_tracks_true", tracks),
      attr_ints("leaf_targetids", leaf_t),
      attr_tensor("leaf_weights", typed(leaf_w)),
  };
  std::string X = features;
  if (f32) X = e.node("Cast", {X}, {attr_int("to", onnx::TensorProto::FLOAT)});
  else if (thr32)
    X = e.node("Cast", {e.node("Cast", {X}, {attr_int("to", onnx::TensorProto::FLOAT)})},
               {attr_int("to", onnx::TensorProto::DOUBLE)});
  std::string s = e.node("TreeEnsemble", {X}, std::move(attrs), "ai.onnx.ml", kTreeScoresName);
  if (average && !f32) s = e.node("Div", {s, e.scalar(total_weight)});
  if (!te.base.empty())
    s = e.node("Add", {s, e.constant(f32 ? tensor_float(te.base, {K}) : tensor_double(te.base, {K}), "base")});
  if (f32) s = e.node("Cast", {s}, {attr_int("to", onnx::TensorProto::DOUBLE)});

  warnings.push_back({"onnx-ml-opset-5",
                      "the trees are one ai.onnx.ml opset-5 TreeEnsemble: the file needs a runtime implementing "
                      "ai.onnx.ml opset 5 (tested: onnxruntime 1.30); older runtimes and checkers (onnx 1.12's "
                      "checker among them) refuse it"});
  if (f32 && moved)
    warnings.push_back({"float32-thresholds",
                        "split thresholds and leaf values are stored as float32: each threshold is the largest float32 "
                        "not above the double threshold, so float32 inputs split as before; double inputs rounded to "
                        "float32 may move"});
  if (f32 && (te.value_precision == ir::Precision::Double || fold != 1.0))
    warnings.push_back(
        {"float32-narrowing", "leaf values and base values are rounded to float32 and summed in float32"});

  TreeScores out;
  out.n_scores = K;
  out.link = te.link;
  out.transform = te.transform;
  out.scores = s;
  out.ml_opset = 5;
  return out;
}

}  // namespace

TreeScores write_tree_scores(const ir::Model& m, onnx::GraphProto* g, Emitter& e, const std::string& features,
                             const WriteOptions& options, Warnings& warnings) {
  const ir::TreeEnsemble te = ir::lower_output(m, warnings, "ONNX writer");
  const int K = te.n_outputs;
  PrimForest pf;
  pf.K = K;
  std::vector<double> buf(K);
  for (size_t t = 0; t < te.trees.size(); ++t) {
    Rewriter rw{te, pf, fmt::format("tree {}", t)};
    const double w = te.tree_weights.empty() ? 1.0 : te.tree_weights[t];
    pf.roots.push_back(rw.node(te.trees[t], 0, w, buf));
  }
  double total_weight = 0;
  for (size_t t = 0; t < te.trees.size(); ++t) total_weight += te.tree_weights.empty() ? 1.0 : te.tree_weights[t];
  if (pf.has_null && (te.aggregate == ir::Aggregate::Max || te.aggregate == ir::Aggregate::Min))
    throw Error("", "estimator", "a missing-prediction rule with Max/Min aggregation cannot be written to ONNX");

  TreeScores out;
  out.n_scores = K;
  out.link = te.link;
  out.transform = te.transform;
  const int64_t P = static_cast<int64_t>(pf.nodes.size()), T = static_cast<int64_t>(pf.roots.size());
  std::vector<int> memo(P, -1);
  int depth = 0;
  for (auto r : pf.roots) depth = std::max(depth, depth_of(pf, r, memo));
  const bool f32 = options.precision == ir::Precision::Float32;
  if (options.trees == OnnxTrees::Ml5) return write_ml5(te, pf, e, features, f32, total_weight, warnings);

  if (!f32) {
    std::vector<int64_t> feat(P), tn(P), fn(P), mn(P), roots(pf.roots.begin(), pf.roots.end());
    std::vector<double> thr(P), vals(static_cast<size_t>(P) * K, 0.0);
    std::vector<int64_t> labels(P, -1);  // node labels (one tree that does not vote)
    bool node_labels = false;
    const bool thr32 = te.threshold_precision == ir::Precision::Float32;
    for (int64_t i = 0; i < P; ++i) {
      const Prim& p = pf.nodes[i];
      if (p.leaf >= 0) {
        feat[i] = 0;
        thr[i] = 0;
        tn[i] = fn[i] = mn[i] = i;
        for (int k = 0; k < K; ++k) vals[i * K + k] = pf.values[static_cast<size_t>(p.leaf) * K + k];
        labels[i] = pf.labels[static_cast<size_t>(p.leaf)];
        node_labels |= labels[i] >= 0;
      } else {
        feat[i] = p.feature;
        // Float32 thresholds compare float-rounded inputs: `(float)x <= (float)t` on doubles that
        // hold floats is the same test.
        thr[i] = thr32 ? static_cast<double>(static_cast<float>(p.thr)) : p.thr;
        tn[i] = p.t;
        fn[i] = p.f;
        mn[i] = p.nan;
      }
    }
    if (thr32) {
      // A strict test rewritten as `<= below(t)` needs the float below t, not below(t) rounded.
      for (int64_t i = 0; i < P; ++i)
        if (pf.nodes[i].leaf < 0) thr[i] = float_floor(pf.nodes[i].thr);
    }
    add_init(g, "trees/feature", tensor_int64(feat, {P}));
    add_init(g, "trees/threshold", tensor_double(thr, {P}));
    add_init(g, "trees/true", tensor_int64(tn, {P}));
    add_init(g, "trees/false", tensor_int64(fn, {P}));
    add_init(g, "trees/missing", tensor_int64(mn, {P}));
    add_init(g, "trees/values", tensor_double(vals, {P, K}));
    add_init(g, "trees/roots", tensor_int64(roots, {1, T}));
    if (node_labels) {
      if (T != 1) throw Error("", "estimator", "node labels in an ensemble of several trees that does not vote");
      add_init(g, kTreeLabelTable, tensor_int64(labels, {P}));
    }
    std::string X = features;
    if (thr32)
      X = e.node("Cast", {e.node("Cast", {X}, {attr_int("to", onnx::TensorProto::FLOAT)})},
                 {attr_int("to", onnx::TensorProto::DOUBLE)});
    const std::string shape = e.node("Shape", {X});
    const std::string n_rows =
        e.node("Slice", {shape, e.constant(tensor_int64({0}, {1}), "zero"), e.constant(tensor_int64({1}, {1}), "one")});
    const std::string idx_shape =
        e.node("Concat", {n_rows, e.constant(tensor_int64({T}, {1}), "ntrees")}, {attr_int("axis", 0)});
    std::string idx = e.node("Expand", {"trees/roots", idx_shape});
    for (int s = 0; s < depth; ++s) {
      const std::string f = e.node("Gather", {"trees/feature", idx}, {attr_int("axis", 0)});
      const std::string x = e.node("GatherElements", {X, f}, {attr_int("axis", 1)});
      const std::string th = e.node("Gather", {"trees/threshold", idx}, {attr_int("axis", 0)});
      const std::string le = e.node("LessOrEqual", {x, th});
      const std::string nan = e.node("IsNaN", {x});
      const std::string nt = e.node("Gather", {"trees/true", idx}, {attr_int("axis", 0)});
      const std::string nf = e.node("Gather", {"trees/false", idx}, {attr_int("axis", 0)});
      const std::string nm = e.node("Gather", {"trees/missing", idx}, {attr_int("axis", 0)});
      idx = e.node("Where", {nan, nm, e.node("Where", {le, nt, nf})});
    }
    const std::string leaf_values = e.node("Gather", {"trees/values", idx}, {attr_int("axis", 0)});  // [N, T, K]
    if (node_labels)                                                                                 // [N, 1] -> [N]
      out.node_label = e.node(
          "Squeeze",
          {e.node("Gather", {kTreeLabelTable, idx}, {attr_int("axis", 0)}), e.constant(tensor_int64({1}, {1}), "axes")},
          {}, "", kNodeLabelName);
    std::string agg;
    switch (te.aggregate) {
      case ir::Aggregate::Max:
        agg =
            e.node("ReduceMax", {leaf_values}, {attr_ints("axes", {1}), attr_int("keepdims", 0)}, "", kTreeScoresName);
        out.aggregate_meta = "max";
        break;
      case ir::Aggregate::Min:
        agg =
            e.node("ReduceMin", {leaf_values}, {attr_ints("axes", {1}), attr_int("keepdims", 0)}, "", kTreeScoresName);
        out.aggregate_meta = "min";
        break;
      default:
        agg = e.node("ReduceSum", {leaf_values, e.constant(tensor_int64({1}, {1}), "axes")}, {attr_int("keepdims", 0)},
                     "", kTreeScoresName);
        out.aggregate_meta = "sum";
        break;
    }
    std::string s = agg;
    if (te.aggregate == ir::Aggregate::Average) s = e.node("Div", {s, e.scalar(total_weight)});
    if (!te.base.empty()) s = e.node("Add", {s, e.constant(tensor_double(te.base, {K}), "base")});
    out.scores = s;
    return out;
  }

  return prims::write_v3(m, te, pf, total_weight, g, e, features, warnings);
}

}  // namespace mb::onnxfmt
