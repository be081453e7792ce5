// Canonical form and semantic hash: what must not change it (representation) and what must
// (every prediction-relevant bit).  Normalised pairs are also scored, to show they are the same
// function.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "lib/canon/canonical.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"

using namespace mb;
using ir::Expr;
using ir::Op;

namespace {

double up(double v) { return std::nextafter(v, INFINITY); }

ir::InputField cont(const std::string& name) { return {name, ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double}; }
ir::InputField cat(const std::string& name, std::vector<std::string> levels) {
  return {name, ir::FieldKind::Categorical, std::move(levels), {}, {}, ir::Precision::Double};
}

// y = 0.5 + 1.25 x + -2.5 [g == b] + 0.75 log(x)
ir::Model linear_model() {
  ir::Model m;
  m.schema.inputs = {cont("x"), cat("g", {"a", "b", "c"})};
  m.schema.target.name = "y";
  m.features = {{"x", Expr::input(0)}, {"gb", Expr::level_is(1, 1)}, {"log(x)", Expr::unary(Op::Log, Expr::input(0))}};
  ir::Linear l;
  l.coefficients = {1.25, -2.5, 0.75};
  l.intercepts = {0.5};
  m.estimator = l;
  return m;
}

// Node 0: x <= 2 ? node 1 : node 2; node 1: g in {a} ? leaf 3 : leaf 4; node 2 leaf.
ir::Tree small_tree() {
  ir::Tree t;
  t.op = {ir::SplitOp::LessOrEqual, ir::SplitOp::InSet, ir::SplitOp::Leaf, ir::SplitOp::Leaf, ir::SplitOp::Leaf};
  t.feature = {0, 1, -1, -1, -1};
  t.threshold = {2.0, 0, 0, 0, 0};
  t.left = {1, 3, -1, -1, -1};
  t.right = {2, 4, -1, -1, -1};
  t.missing = {ir::MissingGo::Right, ir::MissingGo::Left, ir::MissingGo::Left, ir::MissingGo::Left, ir::MissingGo::Left};
  t.missing_child = {-1, -1, -1, -1, -1};
  t.set_offset = {0, 0, 0, 0, 0};
  t.set_size = {0, 1, 0, 0, 0};
  t.sets = {0};
  t.values = {0, 0, 7.5, 1.5, -3.25};
  return t;
}

ir::Model tree_model() {
  ir::Model m;
  m.schema.inputs = {cont("x"), cat("g", {"a", "b", "c"})};
  m.features = {{"x", Expr::input(0)}, {"g", Expr::input(1)}};
  ir::TreeEnsemble e;
  e.trees = {small_tree(), small_tree()};
  e.trees[1].threshold[0] = 3.0;
  e.aggregate = ir::Aggregate::Average;
  m.estimator = e;
  return m;
}

// Renumbers the nodes of `t` by the permutation new = perm[old] (perm[0] == 0: the root stays 0).
ir::Tree renumber(const ir::Tree& t, const std::vector<int32_t>& perm) {
  ir::Tree r = t;
  const size_t n = t.op.size();
  auto map = [&](int32_t i) { return i < 0 ? i : perm[i]; };
  for (size_t i = 0; i < n; ++i) {
    const size_t j = static_cast<size_t>(perm[i]);
    r.op[j] = t.op[i];
    r.feature[j] = t.feature[i];
    r.threshold[j] = t.threshold[i];
    r.left[j] = map(t.left[i]);
    r.right[j] = map(t.right[i]);
    r.missing[j] = t.missing[i];
    r.missing_child[j] = map(t.missing_child[i]);
    r.set_offset[j] = t.set_offset[i];
    r.set_size[j] = t.set_size[i];
    r.values[j] = t.values[i];
  }
  return r;
}

std::vector<double> score(const ir::Model& m, const std::vector<std::vector<double>>& columns) {
  ir::validate(m, "test");
  eval::Evaluator ev(m);
  eval::Batch b;
  b.rows = columns[0].size();
  b.columns = columns;
  eval::Predictions p;
  ev.score(b, p);
  return p.value;
}

bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<std::vector<double>> kRows = {{1.0, 2.5, 0.5, kNaN, 3.0, 2.0}, {0, 1, 2, 1, kNaN, 0}};

}  // namespace

TEST_CASE("canonical form: versioned, hex floats, sha256") {
  const auto m = linear_model();
  const std::string form = canon::canonical_form(m);
  CHECK(form.rfind("mb-canon/1 ", 0) == 0);
  CHECK(form.find("0x1.4p+0") != std::string::npos);  // 1.25 as a C99 hex float
  CHECK(canon::schema_form(m).rfind("mb-canon-schema/1 ", 0) == 0);
  const std::string h = canon::model_hash(m);
  CHECK(h.size() == 71);
  CHECK(h.rfind("sha256:", 0) == 0);
  CHECK(canon::sha256_hex("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hash ignores names, provenance and metadata") {
  const auto base = linear_model();
  auto m = base;
  m.features[0].name = "renamed";
  m.schema.target.name = "other";
  m.provenance.format = "pmml";
  m.provenance.producer = "SomeTool 1.0";
  m.provenance.family = "something";
  m.provenance.preprocessing = {"step"};
  m.provenance.warnings.push_back({"w", "x"});
  m.unseen = ir::UnseenLevel::Missing;
  CHECK(canon::model_hash(m) == canon::model_hash(base));
}

TEST_CASE("hash ignores input order: inputs bind by name") {
  const auto base = linear_model();
  auto m = base;
  std::swap(m.schema.inputs[0], m.schema.inputs[1]);
  m.features = {{"x", Expr::input(1)}, {"gb", Expr::level_is(0, 1)}, {"log(x)", Expr::unary(Op::Log, Expr::input(1))}};
  CHECK(canon::model_hash(m) == canon::model_hash(base));
  CHECK(canon::schema_hash(m) == canon::schema_hash(base));
  // Positional inputs keep their order.
  auto p1 = base, p2 = m;
  for (auto* x : {&p1, &p2})
    for (auto& in : x->schema.inputs) in.positional = true;
  CHECK(canon::model_hash(p1) != canon::model_hash(p2));
}

TEST_CASE("hash inlines derived fields") {
  const auto base = linear_model();
  auto m = base;
  m.derived.push_back({"lx", Expr::unary(Op::Log, Expr::input(0))});
  m.features[2].expr = Expr::derived(0);
  CHECK(canon::model_hash(m) == canon::model_hash(base));
}

TEST_CASE("one-level indicators: level_is, one-hot table and a two-level code are one form") {
  auto base = linear_model();
  auto onehot = base;
  onehot.features[1].expr = Expr::level_map(1, {0, 1, 0});
  CHECK(canon::model_hash(onehot) == canon::model_hash(base));
  CHECK(same_values(score(onehot, kRows), score(base, kRows)));
  auto notunit = base;
  notunit.features[1].expr = Expr::level_map(1, {0, 1, 1});
  CHECK(canon::model_hash(notunit) != canon::model_hash(base));
  auto negzero = base;
  negzero.features[1].expr = Expr::level_map(1, {-0.0, 1, 0});
  CHECK(canon::model_hash(negzero) != canon::model_hash(base));

  // Two levels: the code itself is the indicator of the second level.
  ir::Model two;
  two.schema.inputs = {cont("x"), cat("g", {"a", "b"})};
  two.features = {{"x", Expr::input(0)}, {"g", Expr::level_is(1, 1)}};
  ir::Linear l;
  l.coefficients = {1.5, -4};
  l.intercepts = {0.25};
  two.estimator = l;
  auto code = two;
  code.features[1].expr = Expr::input(1);
  CHECK(canon::model_hash(code) == canon::model_hash(two));
  const std::vector<std::vector<double>> rows2 = {{1.0, 2.5, 0.5, kNaN}, {0, 1, kNaN, 1}};
  CHECK(same_values(score(code, rows2), score(two, rows2)));
  // ... but not of a three-level factor.
  auto three = code;
  three.schema.inputs[1].levels.push_back("c");
  auto three_is = two;
  three_is.schema.inputs[1].levels.push_back("c");
  CHECK(canon::model_hash(three) != canon::model_hash(three_is));
}

TEST_CASE("one ulp of any linear parameter changes the hash") {
  const auto base = linear_model();
  const std::string h = canon::model_hash(base);
  for (size_t i = 0; i < 3; ++i) {
    auto m = base;
    auto& l = std::get<ir::Linear>(m.estimator);
    l.coefficients[i] = up(l.coefficients[i]);
    CHECK(canon::model_hash(m) != h);
    CHECK(canon::schema_hash(m) == canon::schema_hash(base));
  }
  auto m = base;
  std::get<ir::Linear>(m.estimator).intercepts[0] = up(0.5);
  CHECK(canon::model_hash(m) != h);
  m = base;
  std::get<ir::Linear>(m.estimator).link = ir::Link::Logit;
  CHECK(canon::model_hash(m) != h);
  m = base;
  m.features[2].expr = Expr::unary(Op::Log10, Expr::input(0));
  CHECK(canon::model_hash(m) != h);
  m = base;
  m.schema.inputs[1].levels = {"a", "c", "b"};
  CHECK(canon::model_hash(m) != h);
  CHECK(canon::schema_hash(m) != canon::schema_hash(base));
  m = base;
  m.schema.inputs[0].missing_replacement = 0.0;
  CHECK(canon::model_hash(m) != h);
  m = base;
  std::get<ir::Linear>(m.estimator).precision = ir::Precision::Float32;
  CHECK(canon::model_hash(m) != h);
}

TEST_CASE("tree node numbering does not matter; one ulp of a threshold or a leaf does") {
  const auto base = tree_model();
  const std::string h = canon::model_hash(base);
  auto m = base;
  auto& trees = std::get<ir::TreeEnsemble>(m.estimator).trees;
  // (children keep higher numbers than their parents, as the IR requires)
  trees[0] = renumber(trees[0], {0, 2, 1, 3, 4});
  trees[1] = renumber(trees[1], {0, 1, 4, 2, 3});
  CHECK(canon::model_hash(m) == h);
  CHECK(same_values(score(m, kRows), score(base, kRows)));

  auto t = base;
  std::get<ir::TreeEnsemble>(t.estimator).trees[1].threshold[0] = up(3.0);
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).trees[0].values[4] = up(-3.25);
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).trees[0].sets[0] = 2;
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).trees[0].missing[0] = ir::MissingGo::Left;
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).trees[0].op[0] = ir::SplitOp::LessThan;
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).aggregate = ir::Aggregate::Sum;
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).threshold_precision = ir::Precision::Float32;
  CHECK(canon::model_hash(t) != h);
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).ort_rules = true;
  CHECK(canon::model_hash(t) != h);
  // The value of an inner node is never used (no StopHere) and is not part of the form.
  t = base;
  std::get<ir::TreeEnsemble>(t.estimator).trees[0].values[0] = 99;
  CHECK(canon::model_hash(t) == h);
  CHECK(same_values(score(t, kRows), score(base, kRows)));
  // ... but with StopHere a row can end there.
  t = base;
  auto& tr = std::get<ir::TreeEnsemble>(t.estimator).trees[0];
  tr.missing[0] = ir::MissingGo::StopHere;
  const std::string stop = canon::model_hash(t);
  tr.values[0] = 99;
  CHECK(canon::model_hash(t) != stop);
}
