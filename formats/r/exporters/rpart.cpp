// A single decision tree to rpart (see export.hpp): predict.rpart looks up the frame row a row
// ends at (pred_rpart in rpart's C code) and returns its `yval` (regression) or its `yval2` class
// probabilities, so the written tree predicts exactly what the source predicts at that node.
//
// - Nodes: `$frame` rows in depth-first order, node ids 1, 2n, 2n+1 (at most 30 levels, R
//   integers).  Each row holds what the source predicts when a row ends there, computed by the
//   evaluator with the source's own aggregation, base, link, transform and arithmetic
//   (rtrees::node_outputs), so float32 sums and post-transforms are already in the values.
// - Tests: rpart sends `x < index` to the side `ncat` names (-1 left, +1 right) and every other
//   value the other way; each source test becomes the cut that decides every double as the source
//   does (ir::double_cut: `<=` thresholds and float32 comparisons included).  A factor test is a
//   `$csplit` row: 1 left, 3 right, 2 no direction (a level the source sends neither way).
// - Missing values: surrogates become rpart surrogate rows; then `$control$usesurrogate = 2`
//   sends the row to the child with the larger `$frame$n`, and stops at the node on a tie.  The
//   counts are the source's record counts where they are whole numbers, else the leaves below
//   each node; where the source's missing rule (left, right, stop here) needs another order, the
//   child's count is changed so that rpart's majority rule gives the source's direction.  A node
//   sending missing values to a third subtree becomes left or right when the canonical form says
//   that subtree computes the same (two_way_missing), else two rows: a presence row sending every
//   present value to the node's own test and missing ones to the third subtree.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "formats/r/exporters/export.hpp"
#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/exporters/rtrees.hpp"
#include "formats/r/lang/rparse.hpp"
#include "lib/canon/canonical.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

constexpr const char* kWho = "rpart";

[[noreturn]] void refuse(const std::string& why) {
  throw Unsupported("", "", fmt::format("no standard R class holds this tree exactly (rpart): {}", why));
}

struct Row {
  int32_t node = 0;                            // IR node
  int64_t id = 1;                              // rpart node id
  int32_t parent = -1, left = -1, right = -1;  // frame rows
  // A node whose missing values go to a third child is two rows: a presence row (its test with
  // every present value, and every level it gives a direction, sent left; the rest is missing
  // and goes right, to the third child) and, on its left, the node's own test (`passed`).
  bool presence = false, passed = false;
};

enum class Miss { Left, Right, Stop };

// The canonical form of `m` with tree 0 of its ensemble replaced by `tr`.
std::string tree_form_with(const ir::Model& m, const ir::TreeEnsemble& te, const ir::Tree& tr) {
  ir::Model c;
  c.schema = m.schema;
  c.derived = m.derived;
  c.features = m.features;
  ir::TreeEnsemble e = te;
  e.trees = {tr};
  c.estimator = std::move(e);
  return canon::tree_forms(c).trees.at(0);
}

// A node that sends missing values to a third child (MissingGo::Node: PMML readers build one
// when the child a missing value takes is pruned by what the path knows) often computes the
// same function as one sending them to its left or right child.  Each such rule becomes Left or
// Right when the tree's canonical form (the function it computes, lib/canon/tree_canon.hpp) does
// not change; the guess comes from the record counts, then each node is tried alone.
ir::Tree two_way_missing(const ir::Model& m, const ir::TreeEnsemble& te, const ir::Tree& src) {
  std::vector<int32_t> third;
  for (size_t v = 0; v < src.op.size(); ++v)
    if (src.op[v] != ir::SplitOp::Leaf && src.missing[v] == ir::MissingGo::Node)
      third.push_back(static_cast<int32_t>(v));
  if (third.empty()) return src;
  const std::string form = tree_form_with(m, te, src);
  ir::Tree guess = src;
  for (int32_t v : third) {
    const bool right = src.count.size() == src.op.size() && src.count[src.right[v]] > src.count[src.left[v]];
    guess.missing[v] = src.missing_child[v] == src.right[v] || right ? ir::MissingGo::Right : ir::MissingGo::Left;
  }
  if (tree_form_with(m, te, guess) == form) return guess;
  ir::Tree out = src;
  const size_t K = static_cast<size_t>(te.n_outputs);
  for (int32_t v : third) {
    // Left, right, or (a leaf as the third child) stopping at the node with that leaf's values.
    std::vector<ir::Tree> tries;
    for (ir::MissingGo go :
         {guess.missing[v], guess.missing[v] == ir::MissingGo::Left ? ir::MissingGo::Right : ir::MissingGo::Left}) {
      tries.push_back(out);
      tries.back().missing[v] = go;
    }
    const int32_t mc = src.missing_child[v];
    if (src.op[mc] == ir::SplitOp::Leaf) {
      tries.push_back(out);
      tries.back().missing[v] = ir::MissingGo::StopHere;
      std::copy_n(&src.values[static_cast<size_t>(mc) * K], K, &tries.back().values[static_cast<size_t>(v) * K]);
      if (!src.label.empty()) tries.back().label[static_cast<size_t>(v)] = src.label[static_cast<size_t>(mc)];
    }
    for (auto& t : tries)
      if (tree_form_with(m, te, t) == form) {
        out = std::move(t);
        break;
      }
    // Still a third child: the exporter puts a node before it that sends present values on.
    if (out.missing[v] == ir::MissingGo::Node && !src.sur_size.empty() && src.sur_size[v] > 0)
      refuse(
          fmt::format("node {} (in the source's order) tries surrogate splits, then sends missing values to a "
                      "third subtree that differs from both children; rpart has two",
                      v));
  }
  return out;
}

}  // namespace

RPtr export_rpart(const ir::Model& m, Warnings& warnings) {
  (void)warnings;
  const auto* te = std::get_if<ir::TreeEnsemble>(&m.estimator);
  if (!te || te->trees.size() != 1) return nullptr;
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) return nullptr;
  const bool cls = task == ir::Task::Classification;
  const size_t K = cls ? m.schema.target.classes.size() : 1;
  if (!cls && te->n_outputs != 1) refuse(fmt::format("a regression tree with {} outputs", te->n_outputs));
  const ir::Tree tr = two_way_missing(m, *te, te->trees[0]);

  // ---- frame rows, depth first ----
  std::vector<Row> rows;
  {
    std::vector<Row> stack = {Row{}};
    while (!stack.empty()) {
      Row r = stack.back();
      stack.pop_back();
      const int32_t me = static_cast<int32_t>(rows.size());
      if (r.parent >= 0) (rows[r.parent].left < 0 ? rows[r.parent].left : rows[r.parent].right) = me;
      const bool inner = tr.op[r.node] != ir::SplitOp::Leaf;
      r.presence = inner && !r.passed && tr.missing[r.node] == ir::MissingGo::Node &&
                   tr.missing_child[r.node] != tr.left[r.node] && tr.missing_child[r.node] != tr.right[r.node];
      rows.push_back(r);
      if (!inner) continue;
      if (r.id >= (int64_t{1} << 30))
        refuse("the tree is deeper than 30 levels; rpart numbers node n's children 2n and 2n+1 as R integers");
      if (r.presence) {
        stack.push_back(Row{tr.missing_child[r.node], 2 * r.id + 1, me});
        Row own{r.node, 2 * r.id, me};
        own.passed = true;
        stack.push_back(own);
        continue;
      }
      stack.push_back(Row{tr.right[r.node], 2 * r.id + 1, me});
      stack.push_back(Row{tr.left[r.node], 2 * r.id, me});
    }
  }
  // Left children are pushed last, so they are visited (and recorded as `left`) first.
  const size_t n = rows.size();

  // ---- missing rules ----
  std::vector<Miss> miss(n, Miss::Stop);
  std::vector<uint8_t> null_stop(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = rows[i].node;
    if (tr.op[v] == ir::SplitOp::Leaf) continue;
    if (rows[i].presence || rows[i].passed) {  // missing values (and undirected levels) take the third child
      miss[i] = rows[i].presence ? Miss::Right : Miss::Stop;
      continue;
    }
    switch (tr.missing[v]) {
      case ir::MissingGo::Left: miss[i] = Miss::Left; break;
      case ir::MissingGo::Right: miss[i] = Miss::Right; break;
      case ir::MissingGo::Node:
        if (tr.missing_child[v] == tr.left[v]) miss[i] = Miss::Left;
        else if (tr.missing_child[v] == tr.right[v]) miss[i] = Miss::Right;
        else refuse("a node sends missing values to a third child; rpart has two");
        break;
      case ir::MissingGo::StopHere: miss[i] = Miss::Stop; break;
      case ir::MissingGo::Null:
        if (cls) refuse("a missing value makes the whole prediction missing; an rpart class node always has a class");
        miss[i] = Miss::Stop;
        null_stop[i] = 1;
        break;
      case ir::MissingGo::Majority: {
        const double cl = tr.count.at(tr.left[v]), cr = tr.count.at(tr.right[v]);
        miss[i] = cl == cr ? Miss::Stop : cl > cr ? Miss::Left : Miss::Right;
        break;
      }
    }
  }

  // ---- what each row predicts ----
  std::vector<int32_t> eval_nodes;
  std::vector<int32_t> eval_of(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const bool leaf = tr.op[rows[i].node] == ir::SplitOp::Leaf;
    if ((leaf || miss[i] == Miss::Stop) && !null_stop[i]) {
      eval_of[i] = static_cast<int32_t>(eval_nodes.size());
      eval_nodes.push_back(rows[i].node);
    }
  }
  const rtrees::NodeOutputs out = rtrees::node_outputs(m, *te, 0, tr, eval_nodes);
  std::vector<double> yval(n), probs(n * K);
  for (size_t ii = n; ii-- > 0;) {  // children before parents
    const int32_t e = eval_of[ii];
    if (e < 0) {
      if (null_stop[ii]) {
        yval[ii] = std::numeric_limits<double>::quiet_NaN();
      } else {  // an inner node no row stops at: its left child's values
        const int32_t l = rows[ii].left;
        yval[ii] = yval[l];
        std::copy_n(&probs[l * K], K, &probs[ii * K]);
      }
      continue;
    }
    if (!cls) {
      yval[ii] = out.value.at(e);
      continue;
    }
    // predict(type = "class") gives yval, which need not be the most probable class (a loss
    // matrix, a node label, class cutoffs): the source's label.
    const int32_t label = out.label.at(e);
    if (label < 0) refuse("a leaf predicts a missing class");
    for (size_t k = 0; k < K; ++k) probs[ii * K + k] = out.prob.at(e * K + k);
    yval[ii] = static_cast<double>(label + 1);
  }

  // ---- counts ----
  std::vector<int64_t> count(n, 0);
  bool source_counts = tr.count.size() == tr.op.size();
  for (size_t i = 0; i < n && source_counts; ++i) {
    const double c = tr.count[rows[i].node];
    source_counts = c >= 0 && c < 1e9 && c == std::floor(c);
  }
  for (size_t ii = n; ii-- > 0;) {
    if (source_counts) count[ii] = static_cast<int64_t>(tr.count[rows[ii].node]);
    else
      count[ii] = rows[ii].left < 0 ? 1 : std::min<int64_t>(count[rows[ii].left] + count[rows[ii].right], 1000000000);
  }
  for (size_t i = 0; i < n; ++i) {
    if (rows[i].left < 0) continue;
    int64_t &cl = count[rows[i].left], &cr = count[rows[i].right];
    switch (miss[i]) {
      case Miss::Left:
        if (!(cl > cr)) cl = cr + 1;
        break;
      case Miss::Right:
        if (!(cr > cl)) cr = cl + 1;
        break;
      case Miss::Stop: cr = cl; break;
    }
  }

  // ---- splits ----
  std::vector<double> sp_count, sp_ncat, sp_index;
  std::vector<std::string> sp_var, frame_var(n, "<leaf>");
  std::vector<std::vector<int32_t>> csplit_rows;
  std::vector<int32_t> nsurrogate(n, 0);
  size_t max_levels = 0;
  auto add_row = [&](const rtrees::RTest& t, bool true_goes_left, int64_t cnt, const std::string& place) {
    const auto& in = m.schema.inputs.at(t.input);
    sp_var.push_back(in.name);
    sp_count.push_back(static_cast<double>(cnt));
    if (!t.factor) {
      // x < at goes to the true side when true_below.
      const bool below_left = t.true_below == true_goes_left;
      sp_ncat.push_back(below_left ? -1 : 1);
      sp_index.push_back(t.at);
      return;
    }
    const size_t L = t.dirs.size();
    std::vector<int32_t> cs(L);
    for (size_t k = 0; k < L; ++k) cs[k] = t.dirs[k] < 0 ? 2 : (t.dirs[k] == 1) == true_goes_left ? 1 : 3;
    if (L < 2) {
      // One level: ncat 1 would read as a numeric split; its code 1 compared with 2 instead.
      if (cs[0] == 2) refuse(place + ": a factor of one level that the split sends neither way");
      sp_ncat.push_back(cs[0] == 1 ? -1 : 1);
      sp_index.push_back(2);
      return;
    }
    max_levels = std::max(max_levels, L);
    csplit_rows.push_back(cs);
    sp_ncat.push_back(static_cast<double>(L));
    sp_index.push_back(static_cast<double>(csplit_rows.size()));
  };
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = rows[i].node;
    if (tr.op[v] == ir::SplitOp::Leaf) continue;
    const std::string place = fmt::format("node {}", rows[i].id);
    const bool sets = !tr.set_offset.empty() && tr.op[v] == ir::SplitOp::InSet;
    const rtrees::RTest t = rtrees::r_test(m, *te, tr, tr.op[v], tr.feature[v], tr.threshold[v],
                                           sets ? tr.set_offset[v] : 0, sets ? tr.set_size[v] : 0, kWho, place);
    frame_var[i] = m.schema.inputs.at(t.input).name;
    if (rows[i].presence) {
      // Every present value (every level with a direction) goes left, to the node's own test.
      rtrees::RTest p = t;
      p.at = -std::numeric_limits<double>::infinity();
      p.true_below = false;
      for (int& d : p.dirs) d = d < 0 ? -1 : 1;
      add_row(p, true, count[i], place);
      continue;
    }
    add_row(t, true, count[i], place);
    if (!tr.sur_size.empty() && !rows[i].passed)
      for (int32_t s = tr.sur_offset[v]; s < tr.sur_offset[v] + tr.sur_size[v]; ++s) {
        const bool sset = tr.sur_op[s] == ir::SplitOp::InSet;
        const rtrees::RTest st =
            rtrees::r_test(m, *te, tr, tr.sur_op[s], tr.sur_feature[s], tr.sur_threshold[s],
                           sset ? tr.sur_set_offset[s] : 0, sset ? tr.sur_set_size[s] : 0, kWho, place + " surrogate");
        add_row(st, tr.sur_flip[s] == 0, count[i], place);
        ++nsurrogate[i];
      }
  }

  // ---- the object ----
  std::vector<int32_t> n_col(n), ncompete(n, 0), ids(n);
  std::vector<double> wt(n), zeros(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    n_col[i] = static_cast<int32_t>(count[i]);
    wt[i] = static_cast<double>(count[i]);
    ids[i] = static_cast<int32_t>(rows[i].id);
  }
  std::vector<std::pair<std::string, RPtr>> frame_cols = {
      {"var", make_strings(frame_var)},  {"n", make_ints(n_col)},
      {"wt", make_doubles(wt)},          {"dev", make_doubles(zeros)},
      {"yval", make_doubles(yval)},      {"complexity", make_doubles(zeros)},
      {"ncompete", make_ints(ncompete)}, {"nsurrogate", make_ints(nsurrogate)},
  };
  if (cls) {
    // yval2: fitted class, class counts (not known: NA), class probabilities, node probability (NA).
    const size_t cols = 2 * K + 2;
    std::vector<double> y2(n * cols, na_real());
    for (size_t i = 0; i < n; ++i) {
      y2[i] = yval[i];
      for (size_t k = 0; k < K; ++k) y2[(1 + K + k) * n + i] = probs[i * K + k];
    }
    auto y2m = make_doubles(y2);
    set_attr(*y2m, "dim", make_ints({static_cast<int32_t>(n), static_cast<int32_t>(cols)}));
    frame_cols.emplace_back("yval2", y2m);
  }
  auto frame = make_named_list(frame_cols);
  set_attr(*frame, "row.names", make_ints(ids));
  set_attr(*frame, "class", make_strings({"data.frame"}));

  const rtrees::Variables vars = rtrees::variables_of(m);
  std::vector<std::pair<std::string, RPtr>> parts = {
      {"frame", frame},
      {"call", make_call(make_symbol("rpart"), {rtrees::tree_formula(m, vars)}, {"formula"})},
      {"terms", rtrees::tree_terms(m, vars, cls ? "factor" : "numeric")},
      {"method", make_strings({cls ? "class" : "anova"})},
      {"control", make_named_list({{"usesurrogate", make_ints({2})}})},
  };
  if (!sp_var.empty()) {
    const size_t r = sp_var.size();
    std::vector<double> sm(r * 5, 0.0);
    for (size_t i = 0; i < r; ++i) {
      sm[i] = sp_count[i];
      sm[r + i] = sp_ncat[i];
      sm[3 * r + i] = sp_index[i];
    }
    auto splits = make_doubles(sm);
    set_attr(*splits, "dim", make_ints({static_cast<int32_t>(r), 5}));
    set_attr(*splits, "dimnames",
             make_list({make_strings(sp_var), make_strings({"count", "ncat", "improve", "index", "adj"})}));
    parts.emplace_back("splits", splits);
  }
  if (!csplit_rows.empty()) {
    const size_t r = csplit_rows.size();
    std::vector<int32_t> cm(r * max_levels, 2);
    for (size_t i = 0; i < r; ++i)
      for (size_t k = 0; k < csplit_rows[i].size(); ++k) cm[k * r + i] = csplit_rows[i][k];
    auto csplit = make_ints(cm);
    set_attr(*csplit, "dim", make_ints({static_cast<int32_t>(r), static_cast<int32_t>(max_levels)}));
    parts.emplace_back("csplit", csplit);
  }
  std::vector<int32_t> ordered;
  for (const auto& in : m.schema.inputs) ordered.push_back(in.kind == ir::FieldKind::Ordinal ? 1 : 0);
  auto ord = make_node(RType::Logical);
  ord->ints = ordered;
  set_attr(*ord, "names", make_strings(vars.names));
  parts.emplace_back("ordered", ord);
  auto obj = make_named_list(parts);
  set_attr(*obj, "xlevels", rtrees::factor_levels(m, vars));
  if (cls) set_attr(*obj, "ylevels", make_strings(m.schema.target.classes));
  set_attr(*obj, "class", make_strings({"rpart"}));
  return obj;
}

}  // namespace mb::r
