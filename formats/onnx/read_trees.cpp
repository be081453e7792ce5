// ONNX reader, tree side: TreeEnsembleRegressor / TreeEnsembleClassifier (ai.onnx.ml 1 and 3,
// float attributes or the *_as_tensor doubles) and TreeEnsemble (ai.onnx.ml 5) into an
// ir::TreeEnsemble scored with onnxruntime's rules (its output stage, ir::Arithmetic::Operator), then the graph after
// the operator: Cast, Reshape, ZipMap, Div by the number of trees, Add of base values, Sigmoid,
// Softmax, L1 Normalizer, ArgMax + Gather of class labels.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "formats/onnx/functions.hpp"
#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/read_trees.hpp"
#include "formats/onnx/reader.hpp"
#include "formats/onnx/write_trees.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/limits.hpp"

namespace mb::onnxfmt {

namespace {

constexpr int kFloat = onnx::TensorProto::FLOAT;
constexpr int kDouble = onnx::TensorProto::DOUBLE;

// One operator node before it becomes an IR node.
struct RawNode {
  int mode = 0;  // 0 LEQ, 1 LT, 2 GTE, 3 GT, 4 EQ, 5 NEQ, 6 MEMBER, 7 LEAF
  int64_t feature = 0;
  double value = 0;
  int64_t t = -1, f = -1;  // children (indices into the raw node list)
  bool tracks_true = false;
  std::vector<double> members;                      // MEMBER
  std::vector<std::pair<int64_t, double>> weights;  // leaf: (target, weight)
};

struct RawEnsemble {
  std::vector<RawNode> nodes;
  std::vector<int64_t> roots;
  int64_t n_targets = 1;
  bool classifier = false;
  std::vector<std::string> classes;
  std::vector<double> base;
  ir::Aggregate aggregate = ir::Aggregate::Sum;
  ir::PostTransform post = ir::PostTransform::None;
  bool values_double = false;  // thresholds / weights held in double by the operator
};

int mode_of(const std::string& s) {
  static const std::map<std::string, int> m = {{"BRANCH_LEQ", 0}, {"BRANCH_LT", 1}, {"BRANCH_GTE", 2},
                                               {"BRANCH_GT", 3},  {"BRANCH_EQ", 4}, {"BRANCH_NEQ", 5},
                                               {"LEAF", 7}};
  auto it = m.find(s);
  return it == m.end() ? -1 : it->second;
}

ir::PostTransform post_of(const std::string& s, bool& ok) {
  ok = true;
  if (s == "NONE") return ir::PostTransform::None;
  if (s == "LOGISTIC") return ir::PostTransform::Logistic;
  if (s == "SOFTMAX") return ir::PostTransform::Softmax;
  if (s == "SOFTMAX_ZERO") return ir::PostTransform::SoftmaxZero;
  if (s == "PROBIT") return ir::PostTransform::Probit;
  ok = false;
  return ir::PostTransform::None;
}

struct TreeReader {
  Reader& r;
  const onnx::NodeProto& nd;
  RawEnsemble e;

  TreeReader(Reader& reader) : r(reader), nd(reader.node(reader.core)) {}

  [[noreturn]] void fail(const std::string& msg) const { r.fail_node(r.core, msg); }
  [[noreturn]] void unsupported(const std::string& msg) const { r.unsupported_node(r.core, msg); }

  std::vector<double> tensor_attr(const std::string& name) {
    const auto* a = find_attr(nd, name);
    if (!a) return {};
    if (!a->has_t()) fail("attribute '" + name + "' must be a tensor");
    const auto& t = a->t();
    if (t.data_type() == onnx::TensorProto::UINT8 || t.data_type() == onnx::TensorProto::INT8) {
      std::vector<double> v;
      const bool u = t.data_type() == onnx::TensorProto::UINT8;
      if (t.has_raw_data())
        for (char c : t.raw_data())
          v.push_back(u ? static_cast<double>(static_cast<uint8_t>(c)) : static_cast<double>(static_cast<int8_t>(c)));
      else
        for (auto i : t.int32_data()) v.push_back(static_cast<double>(i));
      return v;
    }
    try {
      return tensor_values(a->t());
    } catch (const Error& err) {
      fail(err.message());
    }
  }
  // An ints attribute (as the opset-5 schema declares it) or a tensor.
  std::vector<double> ints_or_tensor(const std::string& name) {
    const auto* a = find_attr(nd, name);
    if (a && !a->has_t()) {
      std::vector<double> v;
      for (auto i : attr_ints_of(nd, name)) v.push_back(static_cast<double>(i));
      return v;
    }
    return tensor_attr(name);
  }
  // A floats attribute or its *_as_tensor double twin.
  std::vector<double> values_attr(const std::string& name, bool& is_double) {
    if (find_attr(nd, name + "_as_tensor")) {
      const auto* a = find_attr(nd, name + "_as_tensor");
      if (a->has_t() && a->t().data_type() == kDouble) is_double = true;
      return tensor_attr(name + "_as_tensor");
    }
    return attr_floats(nd, name);
  }

  void read_v1_v3(bool classifier) {
    e.classifier = classifier;
    const auto tree_ids = attr_ints_of(nd, "nodes_treeids"), node_ids = attr_ints_of(nd, "nodes_nodeids");
    const auto feats = attr_ints_of(nd, "nodes_featureids"), tn = attr_ints_of(nd, "nodes_truenodeids"),
               fn = attr_ints_of(nd, "nodes_falsenodeids"),
               tracks = attr_ints_of(nd, "nodes_missing_value_tracks_true");
    const auto modes = attr_strings_of(nd, "nodes_modes");
    bool dbl_nodes = false, dbl_w = false, dbl_base = false;
    const auto vals = values_attr("nodes_values", dbl_nodes);
    const size_t n = tree_ids.size();
    if (n == 0) fail("no tree nodes");
    if (node_ids.size() != n || feats.size() != n || tn.size() != n || fn.size() != n || modes.size() != n ||
        (vals.size() != n && !vals.empty()) || (!tracks.empty() && tracks.size() != n))
      fail("node attributes differ in length");
    struct PairHash {
      size_t operator()(const std::pair<int64_t, int64_t>& k) const {
        return std::hash<uint64_t>()(static_cast<uint64_t>(k.first) * 0x9E3779B97F4A7C15ULL ^
                                     static_cast<uint64_t>(k.second));
      }
    };
    std::unordered_map<std::pair<int64_t, int64_t>, int64_t, PairHash> index;  // (tree, node) -> position
    index.reserve(n);
    e.nodes.resize(n);
    for (size_t i = 0; i < n; ++i) {
      RawNode& rn = e.nodes[i];
      rn.mode = mode_of(modes[i]);
      if (rn.mode < 0) fail(fmt::format("node {}: unknown mode '{}'", i, modes[i]));
      rn.feature = feats[i];
      rn.value = vals.empty() ? 0.0 : vals[i];
      rn.tracks_true = !tracks.empty() && tracks[i] == 1;
      if (!index.emplace(std::make_pair(tree_ids[i], node_ids[i]), static_cast<int64_t>(i)).second)
        fail(fmt::format("node {} of tree {} appears twice", node_ids[i], tree_ids[i]));
      if (i == 0 || tree_ids[i] != tree_ids[i - 1]) {
        for (auto root : e.roots)
          if (tree_ids[root] == tree_ids[i]) fail(fmt::format("the nodes of tree {} are not contiguous", tree_ids[i]));
        e.roots.push_back(static_cast<int64_t>(i));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      RawNode& rn = e.nodes[i];
      if (rn.mode == 7) continue;
      auto child = [&](int64_t id, const char* side) {
        auto it = index.find({tree_ids[i], id});
        if (it == index.end())
          fail(fmt::format("node {} of tree {}: {} child {} does not exist", node_ids[i], tree_ids[i], side, id));
        return it->second;
      };
      rn.t = child(tn[i], "true");
      rn.f = child(fn[i], "false");
    }
    const std::string p = classifier ? "class_" : "target_";
    const auto w_tree = attr_ints_of(nd, p + "treeids"), w_node = attr_ints_of(nd, p + "nodeids"),
               w_id = attr_ints_of(nd, p + "ids");
    const auto w = values_attr(p + "weights", dbl_w);
    if (w_node.size() != w_tree.size() || w_id.size() != w_tree.size() || w.size() != w_tree.size())
      fail("leaf weight attributes differ in length");
    for (size_t i = 0; i < w_tree.size(); ++i) {
      auto it = index.find({w_tree[i], w_node[i]});
      if (it == index.end())
        fail(fmt::format("weight {} names node {} of tree {}, which does not exist", i, w_node[i], w_tree[i]));
      e.nodes[it->second].weights.emplace_back(w_id[i], w[i]);
    }
    e.base = values_attr("base_values", dbl_base);
    bool ok = true;
    e.post = post_of(attr_s(nd, "post_transform", "NONE"), ok);
    if (!ok) fail("unknown post_transform '" + attr_s(nd, "post_transform", "") + "'");
    if (classifier) {
      e.classes = attr_strings_of(nd, "classlabels_strings");
      if (e.classes.empty())
        for (auto c : attr_ints_of(nd, "classlabels_int64s")) e.classes.push_back(std::to_string(c));
      if (e.classes.empty()) fail("a classifier without class labels");
      e.n_targets = static_cast<int64_t>(e.classes.size());
    } else {
      e.n_targets = attr_i(nd, "n_targets", 1);
      const std::string agg = attr_s(nd, "aggregate_function", "SUM");
      if (agg == "SUM") e.aggregate = ir::Aggregate::Sum;
      else if (agg == "AVERAGE") e.aggregate = ir::Aggregate::Average;
      else if (agg == "MIN") e.aggregate = ir::Aggregate::Min;
      else if (agg == "MAX") e.aggregate = ir::Aggregate::Max;
      else fail("unknown aggregate_function '" + agg + "'");
    }
    e.values_double = dbl_nodes || dbl_w || dbl_base;
  }

  void read_v5() {
    const auto roots = attr_ints_of(nd, "tree_roots");
    const auto feats = attr_ints_of(nd, "nodes_featureids"), tn = attr_ints_of(nd, "nodes_truenodeids"),
               tl = attr_ints_of(nd, "nodes_trueleafs"), fn = attr_ints_of(nd, "nodes_falsenodeids"),
               fl = attr_ints_of(nd, "nodes_falseleafs"), leaf_t = attr_ints_of(nd, "leaf_targetids");
    const auto splits = tensor_attr("nodes_splits"), modes = tensor_attr("nodes_modes"),
               tracks = ints_or_tensor("nodes_missing_value_tracks_true"), members = tensor_attr("membership_values"),
               leaf_w = tensor_attr("leaf_weights");
    if (const auto* a = find_attr(nd, "nodes_splits"); a && a->has_t()) e.values_double = a->t().data_type() == kDouble;
    const size_t n = feats.size(), L = leaf_w.size();
    if (tn.size() != n || tl.size() != n || fn.size() != n || fl.size() != n || splits.size() != n ||
        (!modes.empty() && modes.size() != n) || (!tracks.empty() && tracks.size() != n))
      fail("node attributes differ in length");
    if (leaf_t.size() != L) fail("leaf attributes differ in length");
    // Interior nodes first, then one raw node per leaf.
    e.nodes.resize(n + L);
    size_t member_pos = 0;
    for (size_t i = 0; i < n; ++i) {
      RawNode& rn = e.nodes[i];
      rn.mode = modes.empty() ? 0 : static_cast<int>(modes[i]);
      if (rn.mode < 0 || rn.mode > 6) fail(fmt::format("node {}: unknown mode {}", i, rn.mode));
      rn.feature = feats[i];
      rn.value = splits[i];
      rn.tracks_true = !tracks.empty() && tracks[i] == 1;
      auto child = [&](int64_t id, int64_t is_leaf) -> int64_t {
        if (is_leaf) {
          if (id < 0 || static_cast<size_t>(id) >= L) fail(fmt::format("node {}: leaf {} does not exist", i, id));
          return static_cast<int64_t>(n) + id;
        }
        if (id < 0 || static_cast<size_t>(id) >= n) fail(fmt::format("node {}: child {} does not exist", i, id));
        return id;
      };
      rn.t = child(tn[i], tl[i]);
      rn.f = child(fl[i] ? fn[i] : fn[i], fl[i]);
      if (rn.mode == 6) {
        // membership_values: the sets of the MEMBER nodes in node order, each ended by NaN.
        while (member_pos < members.size() && !std::isnan(members[member_pos]))
          rn.members.push_back(members[member_pos++]);
        if (member_pos >= members.size()) fail(fmt::format("node {}: membership values run out", i));
        ++member_pos;
      }
    }
    for (size_t j = 0; j < L; ++j) {
      RawNode& rn = e.nodes[n + j];
      rn.mode = 7;
      rn.weights.emplace_back(leaf_t[j], leaf_w[j]);
    }
    for (auto root : roots) {
      if (root < 0 || static_cast<size_t>(root) >= n) fail(fmt::format("tree root {} does not exist", root));
      e.roots.push_back(root);
    }
    e.n_targets = attr_i(nd, "n_targets", 1);
    switch (attr_i(nd, "aggregate_function", 1)) {
      case 0: e.aggregate = ir::Aggregate::Average; break;
      case 1: e.aggregate = ir::Aggregate::Sum; break;
      case 2: e.aggregate = ir::Aggregate::Min; break;
      case 3: e.aggregate = ir::Aggregate::Max; break;
      default: fail("unknown aggregate_function");
    }
    const int64_t pt = attr_i(nd, "post_transform", 0);
    if (pt < 0 || pt > 4) fail("unknown post_transform");
    static const ir::PostTransform posts[] = {ir::PostTransform::None, ir::PostTransform::Softmax,
                                              ir::PostTransform::Logistic, ir::PostTransform::SoftmaxZero,
                                              ir::PostTransform::Probit};
    e.post = posts[pt];
  }

  // Builds IR trees in depth-first order (children after their parent), expanding shared
  // subtrees and MEMBER sets (a chain of equality tests, as onnxruntime evaluates them).
  // Nodes and depth of each tree after unsharing, counted on the stored nodes (iteratively,
  // saturating) before anything is allocated: a few stored nodes can share their way to 2^60.
  void check_expansion() {
    constexpr uint64_t kSat = uint64_t{1} << 62;
    auto add = [&](uint64_t a, uint64_t b) { return std::min(kSat, a + b); };
    auto mul = [&](uint64_t a, uint64_t b) { return a != 0 && b > kSat / a ? kSat : a * b; };
    const size_t n = e.nodes.size();
    std::vector<uint64_t> size(n, 0), height(n, 0);
    std::vector<uint8_t> state(n, 0);
    uint64_t stored = n, total = 0;
    const uint64_t max_depth = limits::get(limits::Id::TreeDepth);
    for (const auto& rn : e.nodes) stored += rn.members.size();
    for (size_t ti = 0; ti < e.roots.size(); ++ti) {
      std::vector<std::pair<int64_t, int>> stack{{e.roots[ti], 0}};
      while (!stack.empty()) {
        auto& [v, k] = stack.back();
        const RawNode& rn = e.nodes[v];
        if (k == 0) {
          if (state[v] == 2) {
            stack.pop_back();
            continue;
          }
          if (state[v] == 1) fail(fmt::format("tree {} has a cycle", ti));
          state[v] = 1;
        }
        if (rn.mode != 7 && k < 2) {
          const int64_t c = k++ == 0 ? rn.t : rn.f;
          if (c < 0 || static_cast<size_t>(c) >= n) fail(fmt::format("tree {}: a child out of range", ti));
          if (state[c] != 2) stack.push_back({c, 0});
          continue;
        }
        if (rn.mode == 7) {
          size[v] = 1;
          height[v] = 1;
        } else if (rn.mode == 6 && rn.members.empty()) {
          size[v] = size[rn.f];
          height[v] = height[rn.f];
        } else {
          const uint64_t m = rn.mode == 6 ? rn.members.size() : 1;
          size[v] = add(add(m, mul(m, size[rn.t])), size[rn.f]);
          height[v] = std::max(height[rn.t], height[rn.f]) + m;
        }
        if (height[v] > max_depth)
          limits::exceeded(limits::Id::TreeDepth, r.file, r.node_place(r.core),
                           fmt::format("tree {}, deeper than {} levels,", ti, max_depth));
        state[v] = 2;
        stack.pop_back();
      }
      total = add(total, size[e.roots[ti]]);
    }
    if (total > limits::get(limits::Id::TreeNodes))
      limits::exceeded(limits::Id::TreeNodes, r.file, r.node_place(r.core),
                       fmt::format("the trees, {} nodes once shared subtrees are copied,",
                                   total >= kSat / 2 ? std::string("more than 2^61") : std::to_string(total)));
    if (total > (uint64_t{1} << 20) && total > mul(stored, limits::get(limits::Id::TreeExpansion)))
      limits::exceeded(limits::Id::TreeExpansion, r.file, r.node_place(r.core),
                       fmt::format("copying shared subtrees ({} stored nodes become {}, {} times as many)", stored,
                                   total, total / std::max<uint64_t>(stored, 1)));
  }

  std::vector<ir::Tree> build(int K, int64_t n_features) {
    check_expansion();
    std::vector<ir::Tree> trees;
    for (size_t ti = 0; ti < e.roots.size(); ++ti) {
      ir::Tree tr;
      std::function<int32_t(int64_t, int)> add = [&](int64_t id, int depth) -> int32_t {
        const RawNode& rn = e.nodes[id];
        const int32_t me = static_cast<int32_t>(tr.op.size());
        auto push = [&](ir::SplitOp op, int32_t feature, double thr, ir::MissingGo miss) {
          tr.op.push_back(op);
          tr.feature.push_back(feature);
          tr.threshold.push_back(thr);
          tr.left.push_back(-1);
          tr.right.push_back(-1);
          tr.missing.push_back(miss);
          tr.values.insert(tr.values.end(), K, 0.0);
        };
        if (rn.mode == 7) {
          push(ir::SplitOp::Leaf, -1, 0, ir::MissingGo::Right);
          for (const auto& [target, w] : rn.weights) {
            if (target < 0 || target >= K)
              fail(fmt::format("tree {}: a leaf weight names output {} of {}", ti, target, K));
            tr.values[static_cast<size_t>(me) * K + target] += w;
          }
          return me;
        }
        if (rn.feature < 0 || rn.feature >= n_features)
          fail(fmt::format("tree {}: feature {} of {} input columns", ti, rn.feature, n_features));
        const int32_t feat = static_cast<int32_t>(rn.feature);
        if (rn.mode == 6) {
          // x in {a, b, ...}: x == a ? T : (x == b ? T : ... F).  NaN matches nothing.
          if (rn.members.empty()) return add(rn.f, depth + 1);
          std::vector<int32_t> chain;
          for (size_t k = 0; k < rn.members.size(); ++k) {
            chain.push_back(static_cast<int32_t>(tr.op.size()));
            push(ir::SplitOp::Equal, feat, rn.members[k], rn.tracks_true ? ir::MissingGo::Left : ir::MissingGo::Right);
            if (k > 0) tr.right[chain[k - 1]] = chain[k];
            tr.left[chain[k]] = add(rn.t, depth + 1);
          }
          tr.right[chain.back()] = add(rn.f, depth + 1);
          return me;
        }
        static const ir::SplitOp ops[] = {ir::SplitOp::LessOrEqual, ir::SplitOp::LessThan, ir::SplitOp::GreaterOrEqual,
                                          ir::SplitOp::GreaterThan, ir::SplitOp::Equal,    ir::SplitOp::NotEqual};
        // NaN compares false (true for !=) and goes that way unless it tracks the true branch.
        const bool nan_true = rn.tracks_true || rn.mode == 5;
        push(ops[rn.mode], feat, rn.value, nan_true ? ir::MissingGo::Left : ir::MissingGo::Right);
        const int32_t l = add(rn.t, depth + 1);
        tr.left[me] = l;
        const int32_t rgt = add(rn.f, depth + 1);
        tr.right[me] = rgt;
        return me;
      };
      add(e.roots[ti], 0);
      trees.push_back(std::move(tr));
    }
    return trees;
  }
};

// What the graph does with the operator's outputs.
struct After {
  bool div = false, add = false;
  double divisor = 1;
  std::vector<double> base;
  ir::Link link = ir::Link::Identity;
  ir::ScoreTransform transform = ir::ScoreTransform::None;
  bool float_output = false;  // a Cast to float on the score path
  std::vector<std::string> classes;
  bool label_from_op = false, label_from_argmax = false, scores = false;
  bool node_labels = false;     // the class is a tree's node label where it has one (kNodeLabelName)
  std::vector<double> cutoffs;  // ArgMax of the probabilities divided by these
};

struct AfterWalker {
  Reader& r;
  After a;
  std::map<std::string, int> seen;  // 0 scores, 1 labels

  [[noreturn]] void fail(int n, const std::string& msg) const { r.fail_node(n, msg); }
  [[noreturn]] void unsupported(int n, const std::string& msg) const { r.unsupported_node(n, msg); }

  bool constant_scalar_or_vector(const std::string& name, std::vector<double>& v) {
    if (r.inits.count(name)) {
      v = tensor_values(*r.inits.at(name));
      return true;
    }
    auto p = r.producer.find(name);
    if (p != r.producer.end() && r.node(p->second).op_type() == "Constant") {
      v = r.const_values(name, p->second);
      return true;
    }
    return false;
  }

  // Returns 0 for a tensor of scores (after any steps recorded in `a`), 1 for labels.
  int walk(const std::string& name) {
    auto m = seen.find(name);
    if (m != seen.end()) return m->second;
    auto p = r.producer.find(name);
    if (p == r.producer.end()) r.fail("output '" + name + "'", "not computed from the tree ensemble");
    const int n = p->second;
    const auto& nd = r.node(n);
    const std::string& op = nd.op_type();
    int kind = 0;
    if (n == r.core) {
      const bool classifier = op == "TreeEnsembleClassifier";
      kind = classifier && name == nd.output(0) ? 1 : 0;
      if (kind == 1) a.label_from_op = true;
      else a.scores = true;
    } else if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") {
      kind = walk(nd.input(0));
    } else if (op == "Cast") {
      kind = walk(nd.input(0));
      if (kind == 0 && attr_i(nd, "to", 0) == kFloat) a.float_output = true;
    } else if (op == "ZipMap") {
      kind = walk(nd.input(0));
      if (kind != 0) fail(n, "ZipMap must follow class probabilities");
      auto labels = attr_strings_of(nd, "classlabels_strings");
      if (labels.empty())
        for (auto i : attr_ints_of(nd, "classlabels_int64s")) labels.push_back(std::to_string(i));
      if (a.classes.empty()) a.classes = labels;
    } else if (op == "Div" && nd.input_size() == 2) {
      std::vector<double> c;
      if (walk(nd.input(0)) != 0) fail(n, "division of labels");
      if (constant_scalar_or_vector(nd.input(1), c)) {
        if (c.size() != 1 || a.div || a.add || a.link != ir::Link::Identity || a.transform != ir::ScoreTransform::None)
          fail(n, "only one division of the summed scores by a constant is supported");
        a.div = true;
        a.divisor = c[0];
      } else {
        auto sp = r.producer.find(nd.input(1));
        if (sp == r.producer.end() || r.node(sp->second).op_type() != "ReduceSum" ||
            r.node(sp->second).input(0) != nd.input(0))
          fail(n, "only Div by a constant or by the row sum is supported");
        a.transform = ir::ScoreTransform::Normalize;
      }
    } else if (op == "Add" && nd.input_size() == 2) {
      std::vector<double> c;
      int k = 0;
      if (constant_scalar_or_vector(nd.input(1), c)) k = walk(nd.input(0));
      else if (constant_scalar_or_vector(nd.input(0), c)) k = walk(nd.input(1));
      else fail(n, "only the addition of constant base values is supported");
      if (k != 0 || a.add || a.link != ir::Link::Identity || a.transform != ir::ScoreTransform::None)
        fail(n, "only one addition of base values to the summed scores is supported");
      a.add = true;
      a.base = c;
    } else if (op == "Concat" && nd.input_size() == 2) {
      // [1 - p, p]
      auto sp = r.producer.find(nd.input(0));
      bool ok =
          sp != r.producer.end() && r.node(sp->second).op_type() == "Sub" && r.node(sp->second).input(1) == nd.input(1);
      std::vector<double> one;
      ok = ok && constant_scalar_or_vector(r.node(sp->second).input(0), one) && one.size() == 1 && one[0] == 1.0;
      if (!ok || walk(nd.input(1)) != 0 || a.transform != ir::ScoreTransform::None)
        fail(n, "expected the binary probabilities [1 - p, p]");
      a.transform = ir::ScoreTransform::Binary;
    } else if (op == "Where" && nd.input_size() == 3) {
      kind = walk(nd.input(2));
      if (kind == 2) {
        // Node labels (write_trees.hpp): Where(GreaterOrEqual(node_label, 0), node_label, ArgMax).
        const auto cp = r.producer.find(nd.input(0));
        std::vector<double> zero;
        const bool ok = nd.input(1) == kNodeLabelName && cp != r.producer.end() &&
                        r.node(cp->second).op_type() == "GreaterOrEqual" &&
                        r.node(cp->second).input(0) == kNodeLabelName &&
                        constant_scalar_or_vector(r.node(cp->second).input(1), zero) && zero.size() == 1 &&
                        zero[0] == 0 && r.inits.count(kTreeLabelTable) > 0 && !a.node_labels;
        if (!ok) unsupported(n, "unsupported Where before the class labels");
        a.node_labels = true;
      } else if (kind != 1) {
        unsupported(n, "unsupported Where after the tree ensemble");
      }
    } else if (nd.domain() == kFunctionDomain && op.rfind("Link", 0) == 0 && is_library_function(op)) {
      r.check_function(nd, n);
      static const std::map<std::string, ir::Link> links = {{"LinkProbit", ir::Link::Probit},
                                                            {"LinkCloglog", ir::Link::Cloglog},
                                                            {"LinkLoglog", ir::Link::Loglog},
                                                            {"LinkCauchit", ir::Link::Cauchit},
                                                            {"LinkLog", ir::Link::Log},
                                                            {"LinkInverse", ir::Link::Inverse},
                                                            {"LinkInverseSquare", ir::Link::InverseSquare},
                                                            {"LinkSqrt", ir::Link::Sqrt}};
      if (walk(nd.input(0)) != 0 || a.link != ir::Link::Identity || a.transform != ir::ScoreTransform::None)
        fail(n, "an inverse link must follow the scores");
      a.link = links.at(op);
    } else if (op == "Sigmoid") {
      if (walk(nd.input(0)) != 0 || a.link != ir::Link::Identity || a.transform != ir::ScoreTransform::None)
        fail(n, "Sigmoid must follow the scores");
      a.link = ir::Link::Logit;
    } else if (op == "Softmax") {
      if (walk(nd.input(0)) != 0 || a.transform != ir::ScoreTransform::None) fail(n, "Softmax must follow the scores");
      a.transform = ir::ScoreTransform::Softmax;
    } else if (op == "Normalizer") {
      if (attr_s(nd, "norm", "MAX") != "L1") fail(n, "only the L1 norm is supported");
      if (walk(nd.input(0)) != 0 || a.transform != ir::ScoreTransform::None)
        fail(n, "Normalizer must follow the scores");
      a.transform = ir::ScoreTransform::Normalize;
    } else if (op == "ArgMax") {
      // Class cutoffs: ArgMax(probabilities / constant vector), written for randomForest's cutoff.
      const auto dp = r.producer.find(nd.input(0));
      std::vector<double> cut;
      if (dp != r.producer.end() && r.node(dp->second).op_type() == "Div" && r.node(dp->second).input_size() == 2 &&
          constant_scalar_or_vector(r.node(dp->second).input(1), cut) && cut.size() > 1) {
        if (walk(r.node(dp->second).input(0)) != 0 || !a.cutoffs.empty()) fail(n, "class cutoffs of labels");
        a.cutoffs = cut;
      } else if (walk(nd.input(0)) != 0) {
        fail(n, "ArgMax of labels");
      }
      if (attr_i(nd, "select_last_index", 0) != 0) unsupported(n, "unsupported: select_last_index");
      a.label_from_argmax = true;
      kind = 2;
    } else if (op == "Gather" || op == "ArrayFeatureExtractor") {
      if (walk(nd.input(1)) != 2) fail(n, "expected class labels looked up by the winning class");
      auto it = r.inits.find(nd.input(0));
      if (it == r.inits.end()) fail(n, "class labels must be an initializer");
      a.classes = tensor_strings(*it->second);
      kind = 1;
    } else {
      unsupported(n, "unsupported operator after the tree ensemble");
    }
    return seen[name] = kind;
  }
};

std::string feature_name(const ir::Model& m, const ir::Expr& e, int f) {
  const ir::Expr* x = &e;
  if (x->op == ir::Op::Coalesce && !x->args.empty()) x = &x->args[0];
  if (x->op == ir::Op::Input) return m.schema.inputs[x->index].name;
  if (x->op == ir::Op::LevelIs)
    return m.schema.inputs[x->index].name + "=" + m.schema.inputs[x->index].levels[x->level];
  return fmt::format("x{}", f);
}

}  // namespace

bool is_tree_operator(const onnx::NodeProto& n) {
  if (n.domain() != "ai.onnx.ml") return false;
  return n.op_type() == "TreeEnsembleRegressor" || n.op_type() == "TreeEnsembleClassifier" ||
         n.op_type() == "TreeEnsemble";
}

void read_tree_core(Reader& r) {
  TreeReader tr(r);
  const auto& nd = tr.nd;
  const std::string& op = nd.op_type();
  int ml_opset = 1;
  for (const auto& o : r.model.opset_import())
    if (o.domain() == "ai.onnx.ml") ml_opset = static_cast<int>(o.version());
  if (op == "TreeEnsemble") {
    if (ml_opset < 5) tr.fail("TreeEnsemble needs ai.onnx.ml opset 5");
    tr.read_v5();
  } else {
    tr.read_v1_v3(op == "TreeEnsembleClassifier");
  }
  RawEnsemble& e = tr.e;

  Value x = r.value(nd.input(0));
  if (x.kind != Value::Num) tr.fail("the tree input must be numeric");
  const int F = static_cast<int>(x.cols.size());
  const bool input_double = x.elem == kDouble;
  if (op == "TreeEnsemble" && x.elem != kDouble && x.elem != kFloat)
    tr.fail("TreeEnsemble input must be float or double");

  After after;
  AfterWalker walker{r, {}, {}};
  for (const auto& o : r.g->output()) walker.walk(o.name());
  after = walker.a;
  if (!after.scores && !after.label_from_op) r.fail("graph", "no output computed from the tree ensemble");

  ir::TreeEnsemble t;
  t.output.arithmetic = ir::Arithmetic::Operator;
  t.output.post = e.post;
  t.aggregate = e.aggregate;
  t.base = e.base;
  // The operator computes in its threshold type: the input type for TreeEnsemble and for
  // ml-opset-1/3 operators fed doubles (attributes widened), float otherwise.
  const bool compute_double = input_double;
  t.threshold_precision = compute_double ? ir::Precision::Double : ir::Precision::Float32;
  t.value_precision = compute_double ? ir::Precision::Double : ir::Precision::Float32;
  const bool float_output = op != "TreeEnsemble" || !input_double || after.float_output;
  if (float_output) t.output.output_precision = ir::Precision::Float32;
  if (!compute_double && e.values_double)
    r.out.provenance.warnings.push_back(
        {"float32-arithmetic",
         r.node_place(r.core) + ": double attributes on a float input are used in float32 by onnxruntime"});

  auto& target = r.out.schema.target;
  double divide_leaves = 1;
  int K = static_cast<int>(e.n_targets);
  bool class1 = false;  // a binary classifier whose leaf weights name class 1 only
  if (e.classifier) {
    target.task = ir::Task::Classification;
    target.classes = e.classes;
    t.output.label = ir::LabelRule::RawScores;
    // Which classes carry weights decides the runtime's layout.
    std::set<int64_t> weighted;
    for (const auto& rn : e.nodes)
      for (const auto& [cid, w] : rn.weights) weighted.insert(cid);
    if (e.classes.size() == 2 && weighted.size() == 1) {
      if (*weighted.begin() != 0) {
        // onnxruntime 1.30 writes [0, s] / [0.5, logistic(s)]; the other post-transforms and
        // base values with this layout were not measured.
        if (e.post != ir::PostTransform::None && e.post != ir::PostTransform::Logistic)
          tr.unsupported("unsupported: a binary classifier whose weights name class 1 only, with post_transform " +
                         attr_s(nd, "post_transform", "") +
                         " (onnxruntime's output for it was not probed; NONE and LOGISTIC are)");
        if (!t.base.empty())
          tr.unsupported(
              "unsupported: a binary classifier whose weights name class 1 only, with base_values "
              "(onnxruntime's output for it was not probed)");
        for (size_t i = 0; i < e.nodes.size(); ++i) {
          if (e.nodes[i].mode != 7) continue;
          if (e.nodes[i].weights.empty())
            tr.unsupported(
                fmt::format("unsupported: a binary classifier whose weights name class 1 only, with a leaf "
                            "(node {}) without a weight (onnxruntime's output for it was not probed)",
                            i));
          for (auto& w : e.nodes[i].weights) w.first = 0;  // the one score column
        }
        class1 = true;
      }
      K = 1;
    } else if (e.classes.size() == 2 && weighted.size() != 2) {
      tr.fail("a binary classifier without weights");
    } else if (e.classes.size() > 2 && weighted.size() != e.classes.size()) {
      tr.fail("every class must have leaf weights");
    }
    if (!t.base.empty() && t.base.size() != e.classes.size() && !(e.classes.size() == 2 && t.base.size() == 1))
      tr.fail("base_values do not match the classes");
    if (after.div || after.add) tr.unsupported("unsupported: arithmetic on classifier scores after the operator");
    if (after.label_from_argmax) tr.fail("labels are taken from the operator's label output only");
  } else {
    if (K < 1) tr.fail("n_targets must be positive");
    if (!t.base.empty() && static_cast<int>(t.base.size()) != K && !(K == 1 && t.base.size() == 1))
      tr.fail("base_values do not match n_targets");
    if (t.base.size() > 1 && static_cast<int>(t.base.size()) != K) t.base.clear();
    if (after.label_from_argmax || !after.classes.empty()) {
      target.task = ir::Task::Classification;
      target.classes = after.classes;
      const bool binary = after.transform == ir::ScoreTransform::Binary && K == 1 && target.classes.size() == 2;
      if (static_cast<int>(target.classes.size()) != K && !binary) tr.fail("class labels do not match n_targets");
    } else {
      if (K != 1) tr.unsupported("unsupported: regression with several targets");
      target.task = ir::Task::Regression;
      if (e.post == ir::PostTransform::Logistic || e.post == ir::PostTransform::Softmax ||
          e.post == ir::PostTransform::SoftmaxZero)
        r.out.provenance.warnings.push_back(
            {"onnxruntime-ignores-post-transform", r.node_place(r.core) + ": onnxruntime 1.30 ignores post_transform " +
                                                       attr_s(nd, "post_transform", "") +
                                                       " on a single-target tree regressor (onnxruntime issue 26596); "
                                                       "scored as the runtime does, without it"});
    }
    // Division by the number of trees and base values after the operator: onnxruntime's own
    // averaging and base (same arithmetic when nothing is rounded in between).
    const bool clean = e.post == ir::PostTransform::None && t.base.empty() && !(float_output && input_double);
    if (after.div) {
      const bool by_trees = after.divisor == static_cast<double>(e.roots.size());
      if (!clean || e.aggregate != ir::Aggregate::Sum || !(by_trees || compute_double) || !(after.divisor != 0))
        tr.fail(
            fmt::format("division by {} after the operator: only the division of a SUM by the number of trees ({}) "
                        "or, in double, by a constant is supported",
                        after.divisor, e.roots.size()));
      if (by_trees) t.aggregate = ir::Aggregate::Average;
      else divide_leaves = after.divisor;  // double sums: (sum v) / c and sum (v / c) differ by double roundings only
    }
    if (after.add) {
      if (!clean)
        tr.unsupported("unsupported: base values added after an operator with base values or a post-transform");
      if (after.base.size() != 1 && static_cast<int>(after.base.size()) != K)
        tr.fail("added base values do not match n_targets");
      t.base = after.base.size() == 1 ? std::vector<double>(K, after.base[0]) : after.base;
    }
  }
  if (target.task == ir::Task::Classification && !after.classes.empty() && after.classes != target.classes) {
    if (after.classes.size() != target.classes.size()) tr.fail("class labels of the graph do not match the operator's");
  }
  t.link = after.link;
  t.transform = after.transform;
  t.class_cutoffs = after.cutoffs;  // only after a regressor: the classifier path refuses an ArgMax
  if (after.link != ir::Link::Identity && float_output)
    r.out.provenance.warnings.push_back(
        {"float32-arithmetic", "a Sigmoid on the float32 output of the tree operator is evaluated in double here"});
  t.n_outputs = K;
  if (e.classifier && target.classes.size() == 2)
    t.output.layout = K == 2   ? ir::ScoreLayout::TwoScores
                      : class1 ? ir::ScoreLayout::OneScoreClass1
                               : ir::ScoreLayout::OneScore;
  t.trees = tr.build(K, F);
  if (divide_leaves != 1)
    for (auto& tree : t.trees)
      for (auto& v : tree.values) v /= divide_leaves;
  r.out.estimator = std::move(t);

  for (int f = 0; f < F; ++f) r.out.features.push_back({"", x.cols[f]});
  bool named = true;
  for (int f = 0; f < F; ++f) named &= r.meta.count(kMetaFeature + std::to_string(f)) > 0;
  for (int f = 0; f < F; ++f)
    r.out.features[f].name =
        named ? r.meta[kMetaFeature + std::to_string(f)] : feature_name(r.out, r.out.features[f].expr, f);
  r.out.provenance.source_class = op;
  const auto& te = std::get<ir::TreeEnsemble>(r.out.estimator);
  r.out.provenance.family =
      fmt::format("tree ensemble ({}, {} trees, {})", op, te.trees.size(), compute_double ? "double" : "float32");
}

bool is_tree_graph(const Reader& r) {
  auto it = r.meta.find(kMetaTrees);
  return it != r.meta.end() && it->second != "operator";
}

// The double tree graph write_trees.cpp emits: node tables back into IR trees (shared subtrees
// stay shared: children are renumbered after their parents).
void read_tree_graph(Reader& r) {
  auto init = [&](const std::string& name) -> const onnx::TensorProto& {
    auto it = r.inits.find(name);
    if (it == r.inits.end()) r.fail("graph", "tree table '" + name + "' is missing");
    return *it->second;
  };
  const auto feat = tensor_values(init("trees/feature")), thr = tensor_values(init("trees/threshold")),
             tn = tensor_values(init("trees/true")), fn = tensor_values(init("trees/false")),
             mn = tensor_values(init("trees/missing")), vals = tensor_values(init("trees/values")),
             roots = tensor_values(init("trees/roots"));
  const auto& vt = init("trees/values");
  const size_t P = feat.size();
  if (vt.dims_size() != 2 || static_cast<size_t>(vt.dims(0)) != P || thr.size() != P || tn.size() != P ||
      fn.size() != P || mn.size() != P)
    r.fail("graph", "tree tables differ in length");
  // Node labels (one tree): per node the class index or -1; the graph after the trees must use
  // them (checked below).
  std::vector<double> labels;
  if (r.inits.count(kTreeLabelTable)) {
    labels = tensor_values(init(kTreeLabelTable));
    if (labels.size() != P) r.fail("graph", "tree tables differ in length");
    if (roots.size() != 1) r.fail("graph", "node labels in a graph of several trees");
  }
  const int K = static_cast<int>(vt.dims(1));
  Value x = r.value(kFeaturesName);
  const int F = static_cast<int>(x.cols.size());
  bool thr32 = false;
  for (int c : r.consumers[kFeaturesName]) thr32 |= r.node(c).op_type() == "Cast";
  auto in_range = [&](double v) { return v >= 0 && v < static_cast<double>(P); };

  ir::TreeEnsemble t;
  t.n_outputs = K;
  const std::string agg = r.meta.at(kMetaTrees);
  t.aggregate = agg == "max" ? ir::Aggregate::Max : agg == "min" ? ir::Aggregate::Min : ir::Aggregate::Sum;
  t.threshold_precision = thr32 ? ir::Precision::Float32 : ir::Precision::Double;
  std::vector<uint8_t> state(P, 0);  // reset after each tree for the nodes it reached
  for (double root : roots) {
    if (!in_range(root)) r.fail("graph", "tree root out of range");
    // Reverse postorder of the reachable nodes: every node before its children.
    std::vector<int64_t> order;
    std::vector<std::pair<int64_t, int>> stack{{static_cast<int64_t>(root), 0}};
    while (!stack.empty()) {
      auto& [n, k] = stack.back();
      const bool leaf = tn[n] == n && fn[n] == n && mn[n] == n;
      if (k == 0) {
        if (state[n] == 2) {
          stack.pop_back();
          continue;
        }
        if (state[n] == 1) r.fail("graph", "tree tables have a cycle");
        state[n] = 1;
      }
      const double kids[3] = {tn[n], fn[n], mn[n]};
      if (!leaf && k < 3) {
        const double c = kids[k++];
        if (!in_range(c)) r.fail("graph", "tree child out of range");
        if (state[static_cast<int64_t>(c)] != 2) stack.push_back({static_cast<int64_t>(c), 0});
        continue;
      }
      state[n] = 2;
      order.push_back(n);
      stack.pop_back();
    }
    for (int64_t n : order) state[n] = 0;
    std::reverse(order.begin(), order.end());
    std::map<int64_t, int32_t> at;
    for (size_t i = 0; i < order.size(); ++i) at[order[i]] = static_cast<int32_t>(i);
    ir::Tree tr;
    for (int64_t n : order) {
      const bool leaf = tn[n] == n && fn[n] == n && mn[n] == n;
      if (leaf) {
        tr.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);
        for (int k = 0; k < K; ++k) tr.values.push_back(vals[static_cast<size_t>(n) * K + k]);
        if (!labels.empty()) {
          const double l = labels[static_cast<size_t>(n)];
          if (l != std::floor(l) || l < -1 || l >= K) r.fail("graph", fmt::format("node label {} out of range", l));
          tr.label.resize(tr.op.size(), -1);
          tr.label.back() = static_cast<int32_t>(l);
        }
        continue;
      }
      if (feat[n] < 0 || feat[n] >= F) r.fail("graph", "tree feature out of range");
      const auto m = static_cast<int64_t>(mn[n]);
      tr.push_node(ir::SplitOp::LessOrEqual, static_cast<int32_t>(feat[n]), thr[n], at[static_cast<int64_t>(tn[n])],
                   at[static_cast<int64_t>(fn[n])],
                   m == tn[n]   ? ir::MissingGo::Left
                   : m == fn[n] ? ir::MissingGo::Right
                                : ir::MissingGo::Node,
                   at[m]);
      tr.values.insert(tr.values.end(), K, 0.0);
    }
    bool any_node = false;
    for (auto mg : tr.missing) any_node |= mg == ir::MissingGo::Node;
    if (!any_node) tr.missing_child.clear();
    bool any_label = false;
    for (int32_t l : tr.label) any_label |= l >= 0;
    if (any_label) tr.label.resize(tr.op.size(), -1);
    else tr.label.clear();
    t.trees.push_back(std::move(tr));
  }

  auto p = r.producer.find(kTreeScoresName);
  if (p == r.producer.end()) r.fail("graph", std::string("no tensor '") + kTreeScoresName + "'");
  r.core = p->second;
  AfterWalker walker{r, {}, {}};
  for (const auto& o : r.g->output()) walker.walk(o.name());
  const After& after = walker.a;
  if (!labels.empty() && !after.node_labels)
    r.fail("graph", std::string("tree table '") + kTreeLabelTable + "' is not the class where it holds a label");
  auto& target = r.out.schema.target;
  if (after.label_from_argmax || !after.classes.empty()) {
    target.task = ir::Task::Classification;
    target.classes = after.classes;
  } else {
    target.task = ir::Task::Regression;
  }
  if (after.div) {
    if (after.divisor == static_cast<double>(t.trees.size())) {
      t.aggregate = ir::Aggregate::Average;
    } else {
      for (auto& tree : t.trees)
        for (auto& v : tree.values) v /= after.divisor;
      r.out.provenance.warnings.push_back(
          {"weighted-average", "a weighted average of trees is read with the weights folded into the leaf values"});
    }
  }
  if (after.add) t.base = after.base.size() == 1 ? std::vector<double>(K, after.base[0]) : after.base;
  t.link = after.link;
  t.transform = after.transform;
  t.class_cutoffs = after.cutoffs;
  r.out.estimator = std::move(t);
  for (int f = 0; f < F; ++f) r.out.features.push_back({"", x.cols[f]});
  bool named = true;
  for (int f = 0; f < F; ++f) named &= r.meta.count(kMetaFeature + std::to_string(f)) > 0;
  for (int f = 0; f < F; ++f)
    r.out.features[f].name =
        named ? r.meta[kMetaFeature + std::to_string(f)] : feature_name(r.out, r.out.features[f].expr, f);
  r.out.provenance.source_class = r.meta.count(kMetaSourceClass) ? r.meta[kMetaSourceClass] : "tree ensemble";
  r.out.provenance.family = r.meta.count(kMetaFamily) ? r.meta[kMetaFamily] : "tree ensemble";
}

}  // namespace mb::onnxfmt
