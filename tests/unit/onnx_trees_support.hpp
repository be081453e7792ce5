// Helpers of the ONNX tree tests (test_onnx_trees.cpp, test_onnx_trees_ml5.cpp): float32 ulp
// distances, onnxruntime's outputs against predictions, and hand-built IR tree models using every
// split test, missing-value rule, surrogate and category set.  Files, CSV, binding, scoring and
// the outside programs come from tests/unit/support.hpp.
#pragma once
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "formats/onnx/onnx.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

namespace onnx_trees_test {
using namespace mb;
using namespace mb::testsupport;

inline const fs::path kCorpus = shared_dir() / "corpus/onnx";

// Distance in float32 units in the last place (of the reference value).
inline double float_ulps(double ours, double ref) {
  if (std::isnan(ours) && std::isnan(ref)) return 0;
  if (std::isnan(ours) != std::isnan(ref)) return INFINITY;
  if (ours == ref) return 0;
  const float f = static_cast<float>(ref);
  const double ulp = f == 0 ? std::ldexp(1.0, -149) : std::ldexp(1.0, std::ilogb(f) - 23);
  return std::fabs(ours - ref) / ulp;
}

struct Agreement {
  size_t rows = 0, values = 0, beyond = 0, label_mismatches = 0;
  double max_ulps = 0;
};

// Our predictions versus an onnxruntime output file (a label column first for classifiers, then
// one column per class; regression: the first column).
inline Agreement against_ort(const ir::Model& m, const eval::Predictions& p, const Csv& ort, double max_ulps) {
  Agreement a;
  a.rows = p.rows;
  REQUIRE(ort.rows.size() == p.rows);
  auto one = [&](double ours, double ref) {
    const double u = float_ulps(ours, ref);
    ++a.values;
    a.max_ulps = std::max(a.max_ulps, u);
    if (u > max_ulps) ++a.beyond;
  };
  if (m.schema.target.task == ir::Task::Regression) {
    for (size_t r = 0; r < p.rows; ++r) one(p.value[r], number_cell(ort.rows[r][0]));
    return a;
  }
  const size_t K = m.schema.target.classes.size();
  REQUIRE(ort.header.size() == K + 1);
  for (size_t r = 0; r < p.rows; ++r) {
    const std::string ours = p.label[r] < 0 ? "" : m.schema.target.classes[p.label[r]];
    if (ort.rows[r][0] != ours) ++a.label_mismatches;
    for (size_t k = 0; k < K; ++k) one(p.prob[r * K + k], number_cell(ort.rows[r][k + 1]));
  }
  return a;
}

// onnxruntime's output of a model this writer made ("prediction" or "class" +
// "probabilities_k") versus predictions, by the agreement rule.
struct Versus {
  size_t rows = 0, beyond = 0, labels = 0;
  double max_abs = 0;
};
inline Versus versus(const ir::Model& m, const eval::Predictions& p, const Csv& ort, double atol, double rtol) {
  Versus v;
  v.rows = p.rows;
  REQUIRE(ort.rows.size() == p.rows);
  auto one = [&](double a, double b) {
    if (!(std::isnan(a) && std::isnan(b))) v.max_abs = std::max(v.max_abs, std::fabs(a - b));
    if (!agree(a, b, rtol, atol)) ++v.beyond;
  };
  if (m.schema.target.task == ir::Task::Regression) {
    const int c = ort.col("prediction");
    REQUIRE(c >= 0);
    for (size_t r = 0; r < p.rows; ++r) one(p.value[r], number_cell(ort.rows[r][c]));
    return v;
  }
  const size_t K = m.schema.target.classes.size();
  const int lc = ort.col("class");
  REQUIRE(lc >= 0);
  for (size_t r = 0; r < p.rows; ++r) {
    for (size_t k = 0; k < K; ++k)
      one(p.prob[r * K + k], number_cell(ort.rows[r][ort.col(fmt::format("probabilities_{}", k))]));
    const std::string want = p.label[r] < 0 ? "" : m.schema.target.classes[p.label[r]];
    if (ort.rows[r][lc] != want) ++v.labels;
  }
  return v;
}

// x1 in [-2, 4], x2 in [0, 5] (ties at split points), color with missing and unseen labels.
inline Csv make_data(size_t n) {
  Csv c;
  c.header = {"x1", "x2", "color"};
  uint64_t s = 4242;
  auto rnd = [&]() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  const char* colors[] = {"red", "green", "blue", "yellow", "", "purple"};
  auto num = [](double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); };
  for (size_t r = 0; r < n; ++r) {
    double x1 = -2 + 6 * rnd(), x2 = 5 * rnd();
    if (r % 7 == 3) x1 = kNaN;
    if (r % 11 == 5) x2 = kNaN;
    if (r % 13 == 1) x1 = 0.5;                 // on a threshold
    if (r % 17 == 2) x2 = 2.0;                 // on an equality test
    if (r % 19 == 4) x1 = 1.2999999999999998;  // one double below a threshold
    const double u = rnd();
    const int ci = u < 0.05 ? 4 : (u < 0.08 ? 5 : static_cast<int>(rnd() * 4));
    c.rows.push_back({num(x1), num(x2), colors[ci]});
  }
  return c;
}

struct TreeBuilder {
  ir::Tree t;
  int K;
  explicit TreeBuilder(int k) : K(k) {}
  int32_t add(ir::SplitOp op, int32_t f, double thr, ir::MissingGo miss, std::vector<double> v = {}) {
    t.push_node(op, op == ir::SplitOp::Leaf ? -1 : f, thr, -1, -1, miss);
    t.count.push_back(1);
    v.resize(K, 0.0);
    t.values.insert(t.values.end(), v.begin(), v.end());
    return static_cast<int32_t>(t.op.size() - 1);
  }
  int32_t leaf(std::vector<double> v) { return add(ir::SplitOp::Leaf, -1, 0, ir::MissingGo::Right, std::move(v)); }
};

inline ir::Model tree_base() {
  ir::Model m;
  m.schema.inputs.push_back({"x1", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back({"x2", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back(
      {"color", ir::FieldKind::Categorical, {"red", "green", "blue", "yellow"}, {}, {}, ir::Precision::Double});
  m.unseen = ir::UnseenLevel::Missing;
  m.features = {{"x1", ir::Expr::input(0)}, {"x2", ir::Expr::input(1)}, {"color", ir::Expr::input(2)}};
  return m;
}

// A tree using every split test and missing-value rule, surrogates and category sets.
inline ir::Tree rich_tree(int K, double scale, bool two_sided) {
  using S = ir::SplitOp;
  using M = ir::MissingGo;
  TreeBuilder b(K);
  auto val = [&](double v) {
    std::vector<double> out(K);
    for (int k = 0; k < K; ++k) out[k] = scale * (v + 0.37 * k * (k % 2 ? -1 : 1)) + (K > 1 ? 3.0 : 0.0);
    return out;
  };
  const int32_t root = b.add(S::LessThan, 0, 1.3, M::Majority, val(0.5));  // 0
  const int32_t n1 = b.add(S::InSet, 2, 0, M::StopHere, val(1.5));         // 1
  const int32_t n2 = b.add(S::GreaterOrEqual, 1, 2.5, M::Node, val(2.5));  // 2
  b.t.left[root] = n1;
  b.t.right[root] = n2;
  const int32_t n3 = b.add(S::Equal, 1, 2.0, M::Left, val(3.5));        // 3
  const int32_t n4 = b.add(S::LessOrEqual, 0, 0.5, M::Null, val(4.5));  // 4
  b.t.left[n1] = n3;
  b.t.right[n1] = n4;
  b.t.left[n3] = b.leaf(val(10));
  b.t.right[n3] = b.leaf(val(11));
  b.t.left[n4] = b.leaf(val(12));
  b.t.right[n4] = b.leaf(val(13));
  const int32_t n9 = b.add(S::GreaterThan, 0, 2.75, M::Right, val(5.5));
  const int32_t n10 = b.add(S::NotEqual, 2, 1.0, M::Left, val(6.5));
  b.t.left[n2] = n9;
  b.t.right[n2] = n10;
  b.t.missing_child[n2] = n10;
  b.t.left[n9] = b.leaf(val(20));
  b.t.right[n9] = b.leaf(val(21));
  b.t.left[n10] = b.leaf(val(22));
  b.t.right[n10] = b.leaf(val(23));
  // Category set at node 1: {0, 2} (or two-sided: 0, 2 true, 1 false, 3 unlisted).
  const size_t n = b.t.op.size();
  b.t.set_offset.assign(n, 0);
  b.t.set_size.assign(n, 0);
  b.t.set_offset[n1] = 0;
  b.t.sets = {0, 2};
  if (two_sided) {
    b.t.sets.push_back(1);
    b.t.set_side = {1, 1, 0};
  }
  b.t.set_size[n1] = static_cast<int32_t>(b.t.sets.size());
  // Surrogates: root (x2 <= 2.2 flipped, then color in {1}), node 4 (x2 > 1).
  b.t.sur_offset.assign(n, 0);
  b.t.sur_size.assign(n, 0);
  b.t.sur_offset[root] = 0;
  b.t.sur_size[root] = 2;
  b.t.sur_feature = {1, 2, 1};
  b.t.sur_op = {S::LessOrEqual, S::InSet, S::GreaterThan};
  b.t.sur_threshold = {2.2, 0, 1.0};
  b.t.sur_flip = {1, 0, 0};
  b.t.sur_set_offset = {0, static_cast<int32_t>(b.t.sets.size()), 0};
  b.t.sur_set_size = {0, 1, 0};
  b.t.sets.push_back(1);
  if (two_sided) b.t.set_side.push_back(1);
  b.t.sur_offset[n4] = 2;
  b.t.sur_size[n4] = 1;
  // Majority at the root: the left subtree has more records.
  b.t.count.assign(n, 1);
  b.t.count[n1] = 60;
  b.t.count[n2] = 40;
  return b.t;
}

inline ir::Model rich_regression(ir::Aggregate agg, bool with_base) {
  ir::Model m = tree_base();
  ir::TreeEnsemble te;
  te.aggregate = agg;
  te.trees = {rich_tree(1, 1.0, false), rich_tree(1, -0.7, true), rich_tree(1, 0.3, false)};
  if (agg == ir::Aggregate::Sum) te.tree_weights = {0.1, 0.1, 0.25};
  if (with_base) te.base = {100.125};
  m.estimator = te;
  m.schema.target = {"y", ir::Task::Regression, {}};
  ir::validate(m, "test");
  return m;
}

inline ir::Model rich_classifier(ir::Aggregate agg, ir::ScoreTransform tr) {
  ir::Model m = tree_base();
  ir::TreeEnsemble te;
  te.n_outputs = 3;
  te.aggregate = agg;
  te.transform = tr;
  te.trees = {rich_tree(3, 1.0, false), rich_tree(3, -0.5, true), rich_tree(3, 0.8, true), rich_tree(3, 0.2, false)};
  m.estimator = te;
  m.schema.target = {"k", ir::Task::Classification, {"a", "b", "c"}};
  ir::validate(m, "test");
  return m;
}

inline ir::Model gbm_binary() {
  ir::Model m = tree_base();
  ir::TreeEnsemble te;
  te.trees = {rich_tree(1, 0.4, false), rich_tree(1, -0.3, true)};
  te.base = {-0.25};
  te.link = ir::Link::Logit;
  te.transform = ir::ScoreTransform::Binary;
  m.estimator = te;
  m.schema.target = {"yes", ir::Task::Classification, {"no", "yes"}};
  ir::validate(m, "test");
  return m;
}

// `data` as a CSV file in the scratch folder.
inline fs::path write_data(const std::string& name, const Csv& data) {
  const fs::path csv = scratch_dir() / (name + ".csv");
  write_csv(csv, data);
  return csv;
}

// Double: write -> checker -> read back (identical scores) -> onnxruntime at rtol 1e-9.
inline void round_trip(const ir::Model& m, const std::string& name) {
  require_onnx_tools();
  Warnings w;
  const std::string bytes = onnxfmt::write(m, {}, w);
  const fs::path file = scratch_dir() / (name + ".onnx");
  write_file(file, bytes);
  check_onnx(file);
  const ir::Model back = onnxfmt::read(bytes, file.string());
  CHECK(std::holds_alternative<ir::TreeEnsemble>(back.estimator));
  const Csv data = make_data(500);
  const fs::path csv = write_data(name, data);
  const eval::Batch batch = bind_positional(m, data);
  const auto p0 = score(m, batch);
  const auto p1 = score(back, batch);
  CHECK(same_bits(p0.value, p1.value));
  CHECK(same_bits(p0.prob, p1.prob));
  CHECK(p0.label == p1.label);
  const Versus v = versus(m, p0, ort_score(file, csv), 1e-12, 1e-9);
  MESSAGE(name << ": onnxruntime vs evaluator, rows " << v.rows << ", max abs " << v.max_abs << ", beyond " << v.beyond
               << ", label mismatches " << v.labels);
  CHECK(v.beyond == 0);
  CHECK(v.labels == 0);
}

}  // namespace onnx_trees_test
