// The flat tree layout (lib/eval/tree_walk.hpp) finds the same leaf as the node-by-node walk that
// defines it (ir::split_direction plus the missing rules), on random trees with every test
// operator, float32 and double thresholds, category sets, surrogates and every missing rule, for
// rows that sit on, just beside and far from the thresholds, missing and infinite values included.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <iterator>
#include <limits>
#include <random>

#include "lib/eval/tree_walk.hpp"
#include "lib/ir/split.hpp"

using namespace mb;

namespace {

// The definition, written out plainly: test, then surrogates, then the missing rule.
int32_t reference_leaf(const ir::Tree& tr, const eval::FeatureColumns& x, size_t r, bool f32) {
  int32_t n = 0;
  while (tr.op[n] != ir::SplitOp::Leaf) {
    const double v = x.columns[tr.feature[n]][r];
    if (!std::isnan(v)) {
      const int dir =
          ir::split_direction(tr, tr.op[n], v, tr.threshold[n], tr.set_offset.empty() ? 0 : tr.set_offset[n],
                              tr.set_size.empty() ? 0 : tr.set_size[n], f32);
      if (dir >= 0) {
        n = dir ? tr.left[n] : tr.right[n];
        continue;
      }
    }
    bool moved = false;
    if (!tr.sur_size.empty())
      for (int32_t s = tr.sur_offset[n]; s < tr.sur_offset[n] + tr.sur_size[n] && !moved; ++s) {
        const double sv = x.columns[tr.sur_feature[s]][r];
        if (std::isnan(sv)) continue;
        int dir = ir::split_direction(tr, tr.sur_op[s], sv, tr.sur_threshold[s], 0, 0, f32);
        if (dir < 0) continue;
        if (tr.sur_flip[s]) dir = !dir;
        n = dir ? tr.left[n] : tr.right[n];
        moved = true;
      }
    if (moved) continue;
    switch (tr.missing[n]) {
      case ir::MissingGo::Left: n = tr.left[n]; break;
      case ir::MissingGo::Right: n = tr.right[n]; break;
      case ir::MissingGo::Node: n = tr.missing_child[n]; break;
      case ir::MissingGo::Null: return -1;
      default: return n;
    }
  }
  return n;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
// The last three are thresholds the flat layout leaves to the generic walk for some tests.
const double kThresholds[] = {0.0, 1.0, -1.5, 2.6, 0.1, 3.0000001, 1e300, -kInf, kInf};

// A random complete tree of the given depth over F features.
// `flat_only`: only what the flat layout holds (order tests, missing rows sent to a child).
ir::Tree random_tree(std::mt19937& rng, int depth, int F, bool with_sets, bool with_surrogates, bool flat_only) {
  ir::Tree tr;
  std::uniform_int_distribution<int> op_d(1, flat_only   ? 4
                                             : with_sets ? 7
                                                         : 6),
      feat_d(0, F - 1), thr_d(0, flat_only ? 5 : 8), miss_d(0, flat_only ? 2 : 5);
  // Build breadth-first: node i's children are 2i+1, 2i+2 until the last level.
  const int inner = (1 << depth) - 1, total = (1 << (depth + 1)) - 1;
  for (int i = 0; i < total; ++i) {
    if (i >= inner) {
      tr.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);
      continue;
    }
    const auto op = static_cast<ir::SplitOp>(op_d(rng));
    auto miss = static_cast<ir::MissingGo>(miss_d(rng));
    const int32_t mchild = miss == ir::MissingGo::Node ? 2 * i + 1 + (rng() & 1) : -1;
    if (miss == ir::MissingGo::Majority) miss = ir::MissingGo::StopHere;
    tr.push_node(op, feat_d(rng), kThresholds[thr_d(rng)], 2 * i + 1, 2 * i + 2, miss, mchild);
    tr.set_offset.push_back(static_cast<int32_t>(tr.sets.size()));
    const int32_t k = op == ir::SplitOp::InSet ? 1 + static_cast<int32_t>(rng() % 3) : 0;
    for (int32_t j = 0; j < k; ++j) tr.sets.push_back(static_cast<int32_t>(rng() % 4));
    tr.set_size.push_back(k);
    if (with_surrogates) {
      tr.sur_offset.push_back(static_cast<int32_t>(tr.sur_feature.size()));
      const int32_t ns = static_cast<int32_t>(rng() % 3);
      for (int32_t j = 0; j < ns; ++j) {
        tr.sur_feature.push_back(feat_d(rng));
        tr.sur_op.push_back(ir::SplitOp::LessThan);
        tr.sur_threshold.push_back(kThresholds[thr_d(rng)]);
        tr.sur_set_offset.push_back(0);
        tr.sur_set_size.push_back(0);
        tr.sur_flip.push_back(static_cast<uint8_t>(rng() & 1));
      }
      tr.sur_size.push_back(ns);
    }
  }
  if (with_surrogates)
    for (size_t i = tr.sur_size.size(); i < tr.op.size(); ++i) {
      tr.sur_offset.push_back(static_cast<int32_t>(tr.sur_feature.size()));
      tr.sur_size.push_back(0);
    }
  for (size_t i = tr.set_size.size(); i < tr.op.size(); ++i) {
    tr.set_offset.push_back(0);
    tr.set_size.push_back(0);
  }
  tr.values.assign(tr.op.size(), 1.0);
  return tr;
}

// Values on, beside and away from every threshold, in double and float32, and missing.
std::vector<double> probe_values() {
  std::vector<double> v = {std::nan(""), 2.0, 3.0, -3.0, 1e301};
  for (double t : kThresholds) {
    v.push_back(t);
    if (std::isfinite(t)) {
      v.push_back(std::nextafter(t, kInf));
      v.push_back(std::nextafter(t, -kInf));
      const float f = static_cast<float>(t);
      v.push_back(static_cast<double>(std::nextafter(f, std::numeric_limits<float>::infinity())));
      v.push_back(static_cast<double>(std::nextafter(f, -std::numeric_limits<float>::infinity())));
      v.push_back((static_cast<double>(f) + static_cast<double>(std::nextafter(f, 0.0f))) / 2);
    }
  }
  return v;
}

}  // namespace

TEST_CASE("the flat tree layout finds the leaf the definition finds") {
  std::mt19937 rng(7);
  const std::vector<double> values = probe_values();
  const int F = 3;
  size_t rows_checked = 0;
  for (int trial = 0; trial < 240; ++trial) {
    const bool f32 = trial % 2 == 1, flat_only = trial % 5 == 4, sets = !flat_only && trial % 3 == 0,
               surrogates = !flat_only && trial % 4 == 0;
    ir::TreeEnsemble ens;
    ens.threshold_precision = f32 ? ir::Precision::Float32 : ir::Precision::Double;
    for (int t = 0; t < 3; ++t)
      ens.trees.push_back(random_tree(rng, 1 + (trial + t) % 5, F, sets, surrogates, flat_only));
    // Rows: every combination would be large; a random sample plus each value in each column.
    const size_t R = 700;
    std::vector<std::vector<double>> cols(F, std::vector<double>(R));
    std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
    for (size_t r = 0; r < R; ++r)
      for (int f = 0; f < F; ++f)
        cols[f][r] = r < values.size() ? values[(r + f * 7) % values.size()] : values[pick(rng)];
    eval::FeatureColumns x;
    x.rows = R;
    for (auto& c : cols) x.columns.push_back(c.data());
    size_t generic_calls = 0;
    eval::TreeWalker walker(ens, [&](const ir::Tree& tr, const eval::FeatureColumns& xc, size_t r) {
      ++generic_calls;
      return reference_leaf(tr, xc, r, f32);
    });
    std::vector<int32_t> leaves(ens.trees.size() * eval::TreeWalker::kBlock);
    for (size_t r0 = 0; r0 < R; r0 += eval::TreeWalker::kBlock) {
      const size_t n = std::min(eval::TreeWalker::kBlock, R - r0);
      walker.leaves(x, r0, n, leaves.data());
      for (size_t t = 0; t < ens.trees.size(); ++t)
        for (size_t i = 0; i < n; ++i) {
          const int32_t want = reference_leaf(ens.trees[t], x, r0 + i, f32);
          if (leaves[t * n + i] != want) {
            FAIL_CHECK("trial " << trial << " tree " << t << " row " << r0 + i << ": leaf " << leaves[t * n + i]
                                << ", the definition gives " << want);
            return;
          }
          ++rows_checked;
        }
    }
    // The flat path does the work: the generic walk is only for what it cannot hold.
    if (flat_only) CHECK(generic_calls == 0);
  }
  CHECK(rows_checked == 240 * 3 * 700);
}

namespace {

// A random unbalanced tree the compact layout holds: order tests only, missing values sent to
// one of the two children (Left, Right, or Node naming one of them) or making the prediction
// missing (Null), leaves at every depth; up to 24 levels (deeper than 16: the refilling walk).
ir::Tree random_flat_tree(std::mt19937& rng, int max_depth, int F) {
  ir::Tree tr;
  std::uniform_int_distribution<int> op_d(1, 4), feat_d(0, F - 1), miss_d(0, 3);
  std::uniform_int_distribution<size_t> thr_d(0, std::size(kThresholds) - 1);
  std::uniform_real_distribution<double> u(0, 1);
  // Depth-first, so children get ids after their parent as readers produce them.
  std::function<int32_t(int)> grow = [&](int depth) -> int32_t {
    const auto id = static_cast<int32_t>(tr.op.size());
    if (depth == max_depth || (depth > 0 && u(rng) < 0.25)) {
      tr.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);
      return id;
    }
    const auto op = static_cast<ir::SplitOp>(op_d(rng));
    double thr = kThresholds[thr_d(rng)];
    // `x < -Inf` has no `x <= t` form: the generic walk's (tested above).
    if (thr == -kInf && (op == ir::SplitOp::LessThan || op == ir::SplitOp::GreaterOrEqual)) thr = 0.5;
    const int m = miss_d(rng);
    tr.push_node(op, feat_d(rng), thr, -1, -1, m == 3 ? ir::MissingGo::Null : static_cast<ir::MissingGo>(m), -1);
    const int32_t l = grow(depth + 1), r = grow(depth + 1);
    tr.left[id] = l;
    tr.right[id] = r;
    if (tr.missing[id] == ir::MissingGo::Node) tr.missing_child[id] = (rng() & 1) ? l : r;
    return id;
  };
  grow(0);
  tr.values.assign(tr.op.size(), 1.0);
  return tr;
}

}  // namespace

TEST_CASE("the compact layout, eight rows at a time, finds the leaf of the one-row walk and of the definition") {
  std::mt19937 rng(11);
  const std::vector<double> values = probe_values();
  const int F = 5;
  size_t rows_checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const bool f32 = trial % 2 == 1;
    ir::TreeEnsemble ens;
    ens.threshold_precision = f32 ? ir::Precision::Float32 : ir::Precision::Double;
    for (int t = 0; t < 12; ++t) ens.trees.push_back(random_flat_tree(rng, 1 + (trial + t) % 24, F));
    // Rows not a multiple of eight nor of the block; probe values and random ones.
    const size_t R = 517 + static_cast<size_t>(trial);
    std::vector<std::vector<double>> cols(F, std::vector<double>(R));
    std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
    std::normal_distribution<double> normal(0.0, 2.0);
    // Half the trials have no missing value (the walks that never test for one).
    const bool no_missing = trial % 4 >= 2;
    for (size_t r = 0; r < R; ++r)
      for (int f = 0; f < F; ++f) {
        double v = (r + f) % 3 == 0 ? normal(rng) : values[pick(rng)];
        while (no_missing && std::isnan(v)) v = values[pick(rng)];
        cols[f][r] = v;
      }
    eval::FeatureColumns x;
    x.rows = R;
    for (auto& c : cols) x.columns.push_back(c.data());
    size_t generic_calls = 0;
    auto generic = [&](const ir::Tree& tr, const eval::FeatureColumns& xc, size_t r) {
      ++generic_calls;
      return reference_leaf(tr, xc, r, f32);
    };
    // The one-row walk leaves Null missing rules to the generic walk; the compact one never does.
    eval::TreeWalker compact(ens, generic),
        one_row(
            ens,
            [&](const ir::Tree&tr, const eval::FeatureColumns&xc, size_t r) { return reference_leaf(tr, xc, r, f32); },
            false);
    REQUIRE(compact.compact_trees() == ens.trees.size());
    REQUIRE(one_row.compact_trees() == 0);
    std::vector<int32_t> a(ens.trees.size() * eval::TreeWalker::kBlock), b(a.size());
    for (size_t r0 = 0; r0 < R; r0 += eval::TreeWalker::kBlock) {
      const size_t n = std::min(eval::TreeWalker::kBlock, R - r0);
      compact.leaves(x, r0, n, a.data());
      one_row.leaves(x, r0, n, b.data());
      for (size_t t = 0; t < ens.trees.size(); ++t)
        for (size_t i = 0; i < n; ++i) {
          const int32_t want = reference_leaf(ens.trees[t], x, r0 + i, f32);
          if (a[t * n + i] != want || b[t * n + i] != want) {
            FAIL_CHECK("trial " << trial << " tree " << t << " row " << r0 + i << ": compact " << a[t * n + i]
                                << ", one-row " << b[t * n + i] << ", the definition gives " << want);
            return;
          }
          ++rows_checked;
        }
    }
    CHECK(generic_calls == 0);
  }
  CHECK(rows_checked > 40 * 12 * 517);
}

TEST_CASE("the complete layout (shallow trees, no null missing rule) finds the leaf of the definition") {
  std::mt19937 rng(23);
  const std::vector<double> values = probe_values();
  const int F = 6;
  size_t rows_checked = 0, complete = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const bool f32 = trial % 2 == 1;
    ir::TreeEnsemble ens;
    ens.threshold_precision = f32 ? ir::Precision::Float32 : ir::Precision::Double;
    for (int t = 0; t < 10; ++t) {
      // Depths 0 to 12, leaves above the bottom too; trials 0-11 send missing values only to the
      // second child (the walk without per-node missing marks), the others anywhere.
      ir::Tree tr = random_flat_tree(rng, (trial + t) % (eval::TreeWalker::kCompleteDepth + 1), F);
      for (size_t k = 0; k < tr.op.size(); ++k) {
        if (tr.op[k] == ir::SplitOp::Leaf) continue;
        if (tr.missing[k] == ir::MissingGo::Null) tr.missing[k] = ir::MissingGo::Right;
        if (trial < 12) {
          tr.op[k] = (k % 2) ? ir::SplitOp::LessOrEqual : ir::SplitOp::LessThan;
          tr.missing[k] = ir::MissingGo::Right;
        }
      }
      ens.trees.push_back(std::move(tr));
    }
    const size_t R = 301 + static_cast<size_t>(trial) * 7;
    std::vector<std::vector<double>> cols(F, std::vector<double>(R));
    std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
    std::normal_distribution<double> normal(0.0, 2.0);
    for (size_t r = 0; r < R; ++r)
      for (int f = 0; f < F; ++f) cols[f][r] = (r + f) % 3 == 0 ? normal(rng) : values[pick(rng)];
    eval::FeatureColumns x;
    x.rows = R;
    for (auto& c : cols) x.columns.push_back(c.data());
    eval::TreeWalker walker(ens, [&](const ir::Tree& tr, const eval::FeatureColumns& xc, size_t r) {
      return reference_leaf(tr, xc, r, f32);
    });
    // Trees of more levels than nodes to fill them stay in the compact layout.
    complete += walker.complete_trees();
    std::vector<int32_t> a(ens.trees.size() * eval::TreeWalker::kBlock);
    for (size_t r0 = 0; r0 < R; r0 += 256) {  // blocks that start past the first row
      const size_t n = std::min<size_t>(256, R - r0);
      walker.leaves(x, r0, n, a.data());
      for (size_t t = 0; t < ens.trees.size(); ++t)
        for (size_t i = 0; i < n; ++i) {
          const int32_t want = reference_leaf(ens.trees[t], x, r0 + i, f32);
          if (a[t * n + i] != want) {
            FAIL_CHECK("trial " << trial << " tree " << t << " row " << r0 + i << ": complete " << a[t * n + i]
                                << ", the definition gives " << want);
            return;
          }
          ++rows_checked;
        }
    }
  }
  CHECK(rows_checked > 24 * 10 * 301);
  CHECK(complete > 24 * 10 / 2);
}

TEST_CASE("walkers that share the layout of one ensemble find the leaves of one built alone") {
  std::mt19937 rng(5);
  const int F = 4;
  ir::TreeEnsemble ens;
  for (int t = 0; t < 6; ++t) ens.trees.push_back(random_flat_tree(rng, 3 + 4 * t, F));
  const size_t R = 333;
  std::vector<std::vector<double>> cols(F, std::vector<double>(R));
  std::normal_distribution<double> normal(0.0, 2.0);
  for (auto& c : cols)
    for (auto& v : c) v = normal(rng);
  eval::FeatureColumns x;
  x.rows = R;
  for (auto& c : cols) x.columns.push_back(c.data());
  auto generic = [](const ir::Tree& tr, const eval::FeatureColumns& xc, size_t r) {
    return reference_leaf(tr, xc, r, false);
  };
  eval::TreeWalker alone(ens, generic), a(ens, generic, true, true), b(ens, generic, true, true);
  std::vector<int32_t> want(ens.trees.size() * R), got_a(want.size()), got_b(want.size());
  alone.leaves(x, 0, R, want.data());
  a.leaves(x, 0, R, got_a.data());
  b.leaves(x, 0, R, got_b.data());
  CHECK(got_a == want);
  CHECK(got_b == want);
  CHECK(a.compact_trees() == alone.compact_trees());
}

TEST_CASE("the compact layout places a node that two parents share twice, and finds the definition's leaf") {
  // Node 1 is the yes child of the root and of node 2: the layout holds it (and its leaves) twice.
  ir::Tree tr;
  tr.push_node(ir::SplitOp::LessOrEqual, 0, 0.0, 1, 2, ir::MissingGo::Null);     // 0
  tr.push_node(ir::SplitOp::GreaterThan, 1, 1.0, 3, 4, ir::MissingGo::Left);     // 1
  tr.push_node(ir::SplitOp::LessThan, 2, -1.5, 1, 5, ir::MissingGo::Right);      // 2
  tr.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);          // 3
  tr.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);          // 4
  tr.push_node(ir::SplitOp::GreaterOrEqual, 0, 2.6, 4, 3, ir::MissingGo::Null);  // 5
  tr.values.assign(tr.op.size(), 1.0);
  for (bool f32 : {false, true}) {
    ir::TreeEnsemble ens;
    ens.threshold_precision = f32 ? ir::Precision::Float32 : ir::Precision::Double;
    for (int t = 0; t < 3; ++t) ens.trees.push_back(tr);
    const std::vector<double> values = probe_values();
    const size_t R = values.size() * values.size();
    std::vector<std::vector<double>> cols(3, std::vector<double>(R));
    for (size_t r = 0; r < R; ++r) {
      cols[0][r] = values[r % values.size()];
      cols[1][r] = values[r / values.size()];
      cols[2][r] = values[(r * 7) % values.size()];
    }
    eval::FeatureColumns x;
    x.rows = R;
    for (auto& c : cols) x.columns.push_back(c.data());
    size_t generic_calls = 0;
    eval::TreeWalker walker(ens, [&](const ir::Tree& t, const eval::FeatureColumns& xc, size_t r) {
      ++generic_calls;
      return reference_leaf(t, xc, r, f32);
    });
    REQUIRE(walker.compact_trees() == ens.trees.size());
    std::vector<int32_t> got(ens.trees.size() * R);
    walker.leaves(x, 0, R, got.data());
    for (size_t t = 0; t < ens.trees.size(); ++t)
      for (size_t r = 0; r < R; ++r) REQUIRE(got[t * R + r] == reference_leaf(tr, x, r, f32));
    CHECK(generic_calls == 0);
  }
}

TEST_CASE("release_nodes frees the nodes of an ensemble every tree of which the shared layout holds") {
  std::mt19937 rng(17);
  const int F = 4;
  auto generic = [](const ir::Tree& tr, const eval::FeatureColumns& xc, size_t r) {
    return reference_leaf(tr, xc, r, false);
  };
  ir::TreeEnsemble ens;
  for (int t = 0; t < 5; ++t) ens.trees.push_back(random_flat_tree(rng, 4 + 5 * t, F));
  const size_t R = 1000;
  std::vector<std::vector<double>> cols(F, std::vector<double>(R));
  std::normal_distribution<double> normal(0.0, 2.0);
  for (auto& c : cols)
    for (auto& v : c) v = normal(rng);
  cols[1][7] = std::nan("");
  eval::FeatureColumns x;
  x.rows = R;
  for (auto& c : cols) x.columns.push_back(c.data());
  std::vector<int32_t> want(ens.trees.size() * R), got(want.size());
  std::vector<size_t> values;
  for (const auto& tr : ens.trees) values.push_back(tr.values.size());
  {
    eval::TreeWalker alone(ens, generic);
    alone.leaves(x, 0, R, want.data());
    CHECK_FALSE(eval::TreeWalker::release_nodes(ens));  // no shared layout: nothing freed
  }
  REQUIRE_FALSE(ens.trees[0].op.empty());
  eval::TreeWalker shared(ens, generic, true, true);
  REQUIRE(eval::TreeWalker::release_nodes(ens));
  for (size_t t = 0; t < ens.trees.size(); ++t) {
    CHECK(ens.trees[t].op.empty());
    CHECK(ens.trees[t].threshold.empty());
    CHECK(ens.trees[t].values.size() == values[t]);
  }
  shared.leaves(x, 0, R, got.data());
  CHECK(got == want);

  // A tree the compact layout does not hold (a category set) keeps every node.
  ir::TreeEnsemble mixed;
  mixed.trees.push_back(random_flat_tree(rng, 6, F));
  mixed.trees.push_back(random_tree(rng, 3, F, true, false, false));
  eval::TreeWalker w(mixed, generic, true, true);
  REQUIRE(w.compact_trees() < mixed.trees.size());
  CHECK_FALSE(eval::TreeWalker::release_nodes(mixed));
  CHECK_FALSE(mixed.trees[0].op.empty());
}
