// Structural diff: what changed between two models, independent of format and naming.
#include <doctest/doctest.h>

#include <cmath>

#include "lib/diff/structural.hpp"

using namespace mb;
using ir::Expr;
using ir::Op;

namespace {

ir::InputField cont(const std::string& name) {
  return {name, ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double};
}
ir::InputField cat(const std::string& name, std::vector<std::string> levels) {
  return {name, ir::FieldKind::Categorical, std::move(levels), {}, {}, ir::Precision::Double};
}

ir::Model linear_model() {
  ir::Model m;
  m.schema.inputs = {cont("x"), cat("g", {"a", "b", "c"})};
  m.features = {{"x", Expr::input(0)}, {"gb", Expr::level_is(1, 1)}, {"gc", Expr::level_is(1, 2)}};
  ir::Linear l;
  l.coefficients = {1.25, -2.5, 4.0};
  l.intercepts = {0.5};
  m.estimator = l;
  return m;
}

ir::Model tree_model() {
  ir::Model m;
  m.schema.inputs = {cont("x")};
  m.features = {{"x", Expr::input(0)}};
  ir::Tree t;
  t.op = {ir::SplitOp::LessThan, ir::SplitOp::Leaf, ir::SplitOp::Leaf};
  t.feature = {0, -1, -1};
  t.threshold = {2.0, 0, 0};
  t.left = {1, -1, -1};
  t.right = {2, -1, -1};
  t.missing = {ir::MissingGo::Left, ir::MissingGo::Left, ir::MissingGo::Left};
  t.missing_child = {-1, -1, -1};
  t.values = {0, 10, 20};
  ir::TreeEnsemble e;
  e.trees = {t, t};
  m.estimator = e;
  return m;
}

std::vector<diff::Change> of_kind(const std::vector<diff::Change>& all, const std::string& kind) {
  std::vector<diff::Change> out;
  for (const auto& c : all)
    if (c.kind == kind) out.push_back(c);
  return out;
}

}  // namespace

TEST_CASE("identical models and renamed features: no change") {
  const auto a = linear_model();
  auto b = a;
  b.features[1].name = "g_b";
  b.provenance.producer = "x";
  CHECK(diff::structural_diff(a, b).empty());
  // Inputs in another order still match by name.
  std::swap(b.schema.inputs[0], b.schema.inputs[1]);
  b.features = {{"x", Expr::input(1)}, {"gb", Expr::level_is(0, 1)}, {"gc", Expr::level_is(0, 2)}};
  CHECK(diff::structural_diff(a, b).empty());
}

TEST_CASE("one changed coefficient is named with its change") {
  const auto a = linear_model();
  auto b = a;
  std::get<ir::Linear>(b.estimator).coefficients[2] = 5.0;
  const auto ch = diff::structural_diff(a, b);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].kind == "parameter-changed");
  CHECK(ch[0].what == "gc");
  CHECK(ch[0].a == "4");
  CHECK(ch[0].b == "5");
  CHECK(ch[0].abs == doctest::Approx(1.0));
  CHECK(ch[0].rel == doctest::Approx(0.2));
}

TEST_CASE("parameters are listed largest relative change first, then truncated") {
  const auto a = linear_model();
  auto b = a;
  auto& l = std::get<ir::Linear>(b.estimator);
  l.coefficients = {1.5, -2.5 * 3, 4.1};
  l.intercepts = {0.7};
  const auto ch = diff::structural_diff(a, b, 2);
  REQUIRE(ch.size() == 3);
  CHECK(ch[0].what == "gb");
  CHECK(ch[1].what == "(Intercept)");
  CHECK(ch[2].what == "2 more parameters");
}

TEST_CASE("inputs added, removed, retyped; levels and classes") {
  const auto a = linear_model();
  auto b = a;
  b.schema.inputs[0].name = "z";
  b.features[0].expr = Expr::input(0);
  b.schema.inputs[1].levels = {"a", "b", "d"};
  auto ch = diff::structural_diff(a, b);
  CHECK(of_kind(ch, "input-removed").size() == 1);
  CHECK(of_kind(ch, "input-added").size() == 1);
  REQUIRE(of_kind(ch, "levels-changed").size() == 1);
  CHECK(of_kind(ch, "levels-changed")[0].b == "[a, b, d]");

  auto c = a;
  c.schema.inputs[0] = cat("x", {"u", "v"});
  ch = diff::structural_diff(a, c);
  CHECK(of_kind(ch, "input-retyped").size() == 1);

  auto d = a, e = a;
  d.schema.target = {"y", ir::Task::Classification, {"no", "yes"}};
  e.schema.target = {"y", ir::Task::Classification, {"yes", "no"}};
  ch = diff::structural_diff(d, e);
  CHECK(of_kind(ch, "classes-changed").size() == 1);

  auto f = a;
  std::get<ir::Linear>(f.estimator).link = ir::Link::Logit;
  CHECK(of_kind(diff::structural_diff(a, f), "link-changed").size() == 1);
}

TEST_CASE("features added and removed are matched by expression") {
  const auto a = linear_model();
  auto b = a;
  b.features[2] = {"gc", Expr::unary(Op::Log, Expr::input(0))};
  const auto ch = diff::structural_diff(a, b);
  CHECK(of_kind(ch, "feature-removed").size() == 1);
  CHECK(of_kind(ch, "feature-added").size() == 1);
}

TEST_CASE("trees: a moved threshold, a changed leaf, a different tree, a tree count") {
  const auto a = tree_model();
  auto b = a;
  auto& tb = std::get<ir::TreeEnsemble>(b.estimator).trees;
  tb[1].threshold[0] = 2.5;
  tb[0].values[2] = 21;
  auto ch = diff::structural_diff(a, b);
  REQUIRE(ch.size() == 2);
  CHECK(ch[0].what == "tree 1 node 0 threshold");
  CHECK(ch[0].abs == doctest::Approx(0.5));
  CHECK(ch[1].what == "tree 0 node 2 value");

  auto c = a;
  auto& tc = std::get<ir::TreeEnsemble>(c.estimator).trees;
  tc[0].op[0] = ir::SplitOp::LessOrEqual;
  tc.pop_back();
  ch = diff::structural_diff(a, c);
  CHECK(of_kind(ch, "trees-changed").size() == 1);
  // x < 2 became x <= 2: one split's boundary, said as each side says it.
  REQUIRE(of_kind(ch, "parameter-changed").size() == 1);
  CHECK(of_kind(ch, "parameter-changed")[0].what == "tree 0 split x");
  CHECK(of_kind(ch, "parameter-changed")[0].a == "< 2");
  CHECK(of_kind(ch, "parameter-changed")[0].b == "<= 2");

  auto d = a;
  d.estimator = ir::Clustering{};
  CHECK(of_kind(diff::structural_diff(a, d), "estimator-changed").size() == 1);
}

namespace {

// A tree with two leaves under one split, written as rpart would (x < t) or with the split on
// the other side of a negated test and the children swapped (x >= t): one function, two layouts.
ir::Tree split_tree(double t, double lo, double hi, bool swapped) {
  ir::Tree tr;
  tr.op = {swapped ? ir::SplitOp::GreaterOrEqual : ir::SplitOp::LessThan, ir::SplitOp::Leaf, ir::SplitOp::Leaf};
  tr.feature = {0, -1, -1};
  tr.threshold = {t, 0, 0};
  tr.left = {1, -1, -1};
  tr.right = {2, -1, -1};
  tr.missing = {swapped ? ir::MissingGo::Right : ir::MissingGo::Left, ir::MissingGo::Left, ir::MissingGo::Left};
  tr.missing_child = {-1, -1, -1};
  tr.values = swapped ? std::vector<double>{0, hi, lo} : std::vector<double>{0, lo, hi};
  return tr;
}

ir::Model forest(size_t n, double t, bool swapped, ir::Precision p = ir::Precision::Double) {
  ir::Model m;
  m.schema.inputs = {cont("x")};
  m.features = {{"x", Expr::input(0)}};
  ir::TreeEnsemble e;
  for (size_t i = 0; i < n; ++i) e.trees.push_back(split_tree(t, 1.0 + static_cast<double>(i), 50.0, swapped));
  e.threshold_precision = p;
  e.value_precision = p;
  m.estimator = e;
  return m;
}

}  // namespace

TEST_CASE("trees laid out otherwise: the edit is named by feature, not by node") {
  const auto a = forest(2, 2.45, false);
  auto b = forest(2, 2.45, true);
  CHECK(diff::structural_diff(a, b).empty());  // same function, other nodes
  std::get<ir::TreeEnsemble>(b.estimator).trees[1].threshold[0] = 3;
  auto ch = diff::structural_diff(a, b);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].kind == "parameter-changed");
  CHECK(ch[0].what == "tree 1 split x < t");  // as the source says it, not "x <= 2.4499999999999997"
  CHECK(ch[0].a == "2.45");
  CHECK(ch[0].b == "3");
  // A leaf value.
  b = forest(2, 2.45, true);
  std::get<ir::TreeEnsemble>(b.estimator).trees[0].values[1] = 6;  // swapped: node 1 is the high side
  ch = diff::structural_diff(a, b);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].what.find("tree 0 leaf") == 0);
  CHECK(ch[0].a == "50");
  CHECK(ch[0].b == "6");
}

TEST_CASE("more changed trees than listed: the rest are counted") {
  const auto a = forest(14, 2.0, false);
  auto b = a;
  for (auto& t : std::get<ir::TreeEnsemble>(b.estimator).trees) {  // another shape: a second split
    t.op[2] = ir::SplitOp::LessThan;
    t.feature[2] = 0;
    t.threshold[2] = 4.0;
    t.left[2] = 3;
    t.right[2] = 4;
    for (int k = 0; k < 2; ++k) {
      t.op.push_back(ir::SplitOp::Leaf);
      t.feature.push_back(-1);
      t.threshold.push_back(0);
      t.left.push_back(-1);
      t.right.push_back(-1);
      t.missing.push_back(ir::MissingGo::Left);
      t.missing_child.push_back(-1);
      t.values.push_back(100.0 + k);
    }
  }
  const auto ch = of_kind(diff::structural_diff(a, b, 10, 10), "tree-changed");
  REQUIRE(ch.size() == 11);
  CHECK(ch[0].a == "1 split points");
  CHECK(ch[0].b == "2 split points");
  CHECK(ch[10].what == "and 4 more trees");
}

TEST_CASE("a float32 side is named, and its rounding is not an edit") {
  const double t = 2.3025;  // not a float32: the float32 model holds the nearest float
  const auto a = forest(3, t, false);
  auto b = forest(3, static_cast<float>(t), true, ir::Precision::Float32);
  auto ch = diff::structural_diff(a, b);
  REQUIRE(of_kind(ch, "precision-changed").size() == 2);
  CHECK(of_kind(ch, "precision-changed")[0].what == "arithmetic");
  CHECK(of_kind(ch, "precision-changed")[0].a == "double");
  CHECK(of_kind(ch, "precision-changed")[0].b == "float32");
  CHECK(of_kind(ch, "parameter-changed").empty());
  // A real edit beside the rounding is still listed.
  std::get<ir::TreeEnsemble>(b.estimator).trees[2].threshold[0] = 2.75f;
  ch = diff::structural_diff(a, b);
  REQUIRE(of_kind(ch, "parameter-changed").size() == 1);
  CHECK(of_kind(ch, "parameter-changed")[0].what == "tree 2 split x < t");
  CHECK(of_kind(ch, "parameter-changed")[0].a == "2.3025");
  CHECK(of_kind(ch, "parameter-changed")[0].b == "2.75");
}
