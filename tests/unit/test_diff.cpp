// Structural diff: what changed between two models, independent of format and naming.
#include <doctest/doctest.h>

#include <cmath>

#include "lib/diff/structural.hpp"

using namespace mb;
using ir::Expr;
using ir::Op;

namespace {

ir::InputField cont(const std::string& name) { return {name, ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double}; }
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
  CHECK(of_kind(ch, "tree-changed").size() == 1);

  auto d = a;
  d.estimator = ir::Clustering{};
  CHECK(of_kind(diff::structural_diff(a, d), "estimator-changed").size() == 1);
}
