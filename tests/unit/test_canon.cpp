// Canonical form and semantic hash: what must not change it (representation) and what must
// (every prediction-relevant bit).  Normalised pairs are also scored, to show they are the same
// function.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "lib/canon/canonical.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"

using namespace mb;
using ir::Expr;
using ir::Op;

namespace {

double up(double v) { return std::nextafter(v, INFINITY); }

ir::InputField cont(const std::string& name) {
  return {name, ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double};
}
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
  t.missing = {ir::MissingGo::Right, ir::MissingGo::Left, ir::MissingGo::Left, ir::MissingGo::Left,
               ir::MissingGo::Left};
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
  CHECK(form.rfind("mb-canon/2 ", 0) == 0);
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
  std::get<ir::TreeEnsemble>(t.estimator).output.arithmetic = ir::Arithmetic::Operator;
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

namespace {

// Appends a leaf or a split to `t` (children numbered after their parents); returns its index.
struct TreeGen {
  ir::Tree t;
  uint64_t state;
  // rich: surrogates, majority rules with record counts, two-sided level sets, a threshold that
  // float32 rounds.
  bool rich = false;
  explicit TreeGen(uint64_t seed, bool rich_trees = false) : state(seed), rich(rich_trees) {}
  uint32_t rnd(uint32_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33) % n;
  }
  int32_t alloc() {
    t.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Left);
    t.set_offset.push_back(0);
    t.set_size.push_back(0);
    t.values.push_back(static_cast<double>(rnd(3)));
    if (rich) {
      t.sur_offset.push_back(static_cast<int32_t>(t.sur_feature.size()));
      t.sur_size.push_back(0);
      t.count.push_back(static_cast<double>(1 + rnd(3)));
    }
    return static_cast<int32_t>(t.op.size() - 1);
  }
  // A level set over the factor's codes 0..2; returns (offset, size) in `sets`.
  std::pair<int32_t, int32_t> level_set() {
    const auto off = static_cast<int32_t>(t.sets.size());
    for (int32_t c = 0; c < 3; ++c) {
      const uint32_t side = rnd(rich ? 3 : 2);  // rich: 0 unlisted, 1 true side, 2 false side
      if (side == 0) continue;
      t.sets.push_back(c);
      if (rich) t.set_side.push_back(side == 1 ? 1 : 0);
    }
    return {off, static_cast<int32_t>(t.sets.size()) - off};
  }
  double threshold(int32_t feature) {
    if (feature == 3) return 0.5;
    if (rich && rnd(4) == 0) return 1.1;  // float32 rounds it
    return 1.0 + rnd(3) * (feature == 2 ? 0.5 : 1.0);
  }
  void split(int32_t n, ir::SplitOp op, int32_t feature, double thr, int32_t l, int32_t r, ir::MissingGo miss) {
    t.op[n] = op;
    t.feature[n] = feature;
    t.threshold[n] = thr;
    t.left[n] = l;
    t.right[n] = r;
    t.missing[n] = miss;
  }
  int32_t node(int depth) {
    const int32_t n = alloc();
    if (depth == 0 || rnd(4) == 0) return n;
    const uint32_t kind = rnd(8);
    static const ir::SplitOp ops[] = {ir::SplitOp::LessOrEqual,    ir::SplitOp::LessThan, ir::SplitOp::GreaterThan,
                                      ir::SplitOp::GreaterOrEqual, ir::SplitOp::Equal,    ir::SplitOp::NotEqual};
    if (kind < 5) {  // numeric x or y, or the factor's code as a number
      t.op[n] = ops[rnd(6)];
      t.feature[n] = static_cast<int32_t>(rnd(3));
      t.threshold[n] = threshold(t.feature[n]);
    } else if (kind < 7) {  // a level set of the factor
      t.op[n] = ir::SplitOp::InSet;
      t.feature[n] = 2;
      std::tie(t.set_offset[n], t.set_size[n]) = level_set();
    } else {  // a level indicator
      t.op[n] = ir::SplitOp::GreaterThan;
      t.feature[n] = 3;
      t.threshold[n] = 0.5;
    }
    if (rich) {  // surrogates, tried in order when the primary value is missing
      t.sur_offset[n] = static_cast<int32_t>(t.sur_feature.size());
      t.sur_size[n] = static_cast<int32_t>(rnd(3));
      for (int32_t k = 0; k < t.sur_size[n]; ++k) {
        const auto f = static_cast<int32_t>(rnd(4));
        t.sur_feature.push_back(f);
        t.sur_flip.push_back(static_cast<uint8_t>(rnd(2)));
        if (f == 2 && rnd(2)) {
          t.sur_op.push_back(ir::SplitOp::InSet);
          t.sur_threshold.push_back(0);
          const auto [off, size] = level_set();
          t.sur_set_offset.push_back(off);
          t.sur_set_size.push_back(size);
        } else {
          t.sur_op.push_back(ops[rnd(6)]);
          t.sur_threshold.push_back(threshold(f));
          t.sur_set_offset.push_back(0);
          t.sur_set_size.push_back(0);
        }
      }
    }
    static const ir::MissingGo go[] = {ir::MissingGo::Left,     ir::MissingGo::Right, ir::MissingGo::Null,
                                       ir::MissingGo::StopHere, ir::MissingGo::Node,  ir::MissingGo::Majority};
    t.missing[n] = go[rnd(rich ? 6 : 5)];
    const int32_t l = node(depth - 1);
    const int32_t r = node(depth - 1);
    t.left[n] = l;
    t.right[n] = r;
    if (t.missing[n] == ir::MissingGo::Node) t.missing_child[n] = node(depth - 1);
    return n;
  }
};

ir::Model random_tree_model(uint64_t seed, bool rich = false) {
  ir::Model m;
  m.schema.inputs = {cont("x"), cont("y"), cat("g", {"a", "b", "c"})};
  m.features = {{"x", Expr::input(0)}, {"y", Expr::input(1)}, {"g", Expr::input(2)}, {"gb", Expr::level_is(2, 1)}};
  TreeGen gen(seed, rich);
  gen.node(3);
  ir::TreeEnsemble e;
  e.trees = {gen.t};
  if (rich && seed % 3 == 0) e.threshold_precision = ir::Precision::Float32;
  m.estimator = e;
  return m;
}

// Every combination of values on both sides of every threshold the generator uses, and missing.
std::vector<std::vector<double>> grid() {
  const std::vector<double> xs = {0.5, 1, 1.1, static_cast<float>(1.1), 1.5, 2, 2.5, 3, 3.5, kNaN};
  const std::vector<double> gs = {0, 1, 2, kNaN};
  std::vector<std::vector<double>> cols(3);
  for (double x : xs)
    for (double y : xs)
      for (double g : gs) {
        cols[0].push_back(x);
        cols[1].push_back(y);
        cols[2].push_back(g);
      }
  return cols;
}

ir::Model with_tree(const ir::Model& base, const ir::Tree& t) {
  ir::Model m = base;
  std::get<ir::TreeEnsemble>(m.estimator).trees = {t};
  return m;
}

}  // namespace

TEST_CASE("trees: equal canonical forms predict the same (random trees, every cell of the input grid)") {
  const auto cols = grid();
  for (const bool rich : {false, true}) {
    INFO("rich trees (surrogates, majority rules, two-sided sets, float32 thresholds): " << rich);
    std::map<std::string, std::pair<uint64_t, std::vector<double>>> seen;
    int shared = 0, distinct_functions = 0;
    for (uint64_t seed = 1; seed <= 4000; ++seed) {
      const ir::Model m = random_tree_model(seed, rich);
      const std::string form = canon::canonical_form(m);
      const auto pred = score(m, cols);
      // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in INFO's lambda.
      const auto inserted = seen.emplace(form, std::make_pair(seed, pred));
      const auto it = inserted.first;
      if (inserted.second) {
        ++distinct_functions;
        continue;
      }
      ++shared;
      INFO("seeds " << it->second.first << " and " << seed << " share a form");
      CHECK(same_values(pred, it->second.second));
    }
    // Not vacuous: many different trees meet in one form, and many forms exist.
    CHECK(shared > 300);
    CHECK(distinct_functions > 500);
    MESSAGE("random trees (rich " << rich << "): " << distinct_functions << " forms, " << shared
                                  << " trees sharing one");
  }
}

TEST_CASE("trees: spellings of one split hash the same and score the same") {
  const auto cols = grid();
  const ir::Model base = random_tree_model(7);
  ir::Tree t;
  {
    TreeGen g(0);
    const int32_t root = g.alloc(), a = g.alloc(), b = g.alloc();
    g.split(root, ir::SplitOp::LessOrEqual, 0, 2.0, a, b, ir::MissingGo::Right);
    g.t.values[a] = 1.5;
    g.t.values[b] = -4.0;
    t = g.t;
  }
  const ir::Model le = with_tree(base, t);
  const std::string h = canon::model_hash(le);
  // x < next(2)
  ir::Tree lt = t;
  lt.op[0] = ir::SplitOp::LessThan;
  lt.threshold[0] = up(2.0);
  // x > 2 with the children swapped
  ir::Tree gt = t;
  gt.op[0] = ir::SplitOp::GreaterThan;
  std::swap(gt.left[0], gt.right[0]);
  gt.missing[0] = ir::MissingGo::Left;
  // a redundant test below: x <= 3 under x <= 2 always holds
  ir::Tree redundant = t;
  {
    TreeGen g(0);
    g.t = t;
    const int32_t extra = g.alloc(), never = g.alloc();
    g.t.values[never] = 99;
    g.split(1, ir::SplitOp::LessOrEqual, 0, 3.0, extra, never, ir::MissingGo::Null);
    g.t.values[extra] = 1.5;
    redundant = g.t;
  }
  for (const ir::Tree& v : {lt, gt, redundant}) {
    const ir::Model m = with_tree(base, v);
    CHECK(canon::model_hash(m) == h);
    CHECK(same_values(score(m, cols), score(le, cols)));
  }
  // ... while one ulp off, or another missing rule, is another function and another hash.
  ir::Tree off = lt;
  off.threshold[0] = 2.0;
  CHECK(canon::model_hash(with_tree(base, off)) != h);
  ir::Tree miss = t;
  miss.missing[0] = ir::MissingGo::Left;
  CHECK(canon::model_hash(with_tree(base, miss)) != h);
}

TEST_CASE("trees: a level set and the same set as tests of the level code hash the same") {
  const auto cols = grid();
  const ir::Model base = random_tree_model(7);
  TreeGen g(0);
  const int32_t root = g.alloc(), a = g.alloc(), b = g.alloc();
  g.t.op[root] = ir::SplitOp::InSet;
  g.t.feature[root] = 2;
  g.t.sets = {0, 2};
  g.t.set_size[root] = 2;
  g.t.left[root] = a;
  g.t.right[root] = b;
  g.t.missing[root] = ir::MissingGo::Null;
  g.t.values[a] = 1;
  g.t.values[b] = 2;
  const ir::Model set = with_tree(base, g.t);
  // code == 1 ? b : a, spelled as code <= 0.5 ? a : (code <= 1.5 ? b : a)
  TreeGen c(0);
  const int32_t r = c.alloc(), inner = c.alloc(), a1 = c.alloc(), b1 = c.alloc(), a2 = c.alloc();
  c.split(r, ir::SplitOp::LessOrEqual, 2, 0.5, a1, inner, ir::MissingGo::Null);
  c.split(inner, ir::SplitOp::LessOrEqual, 2, 1.5, b1, a2, ir::MissingGo::Left);
  c.t.missing[inner] = ir::MissingGo::Left;  // never taken: the root sent missing values away
  c.t.values[a1] = 1;
  c.t.values[a2] = 1;
  c.t.values[b1] = 2;
  const ir::Model chain = with_tree(base, c.t);
  CHECK(canon::model_hash(chain) == canon::model_hash(set));
  CHECK(same_values(score(chain, cols), score(set, cols)));
  // The indicator of level b tests the same thing.
  TreeGen d(0);
  const int32_t r3 = d.alloc(), a3 = d.alloc(), b3 = d.alloc();
  d.split(r3, ir::SplitOp::LessOrEqual, 3, 0.5, a3, b3, ir::MissingGo::Null);
  d.t.values[a3] = 1;
  d.t.values[b3] = 2;
  CHECK(canon::model_hash(with_tree(base, d.t)) == canon::model_hash(set));
}

TEST_CASE("trees: a majority vote is a sum of one-hot leaves; a leading constant tree is a base") {
  ir::Model m;
  m.schema.inputs = {cont("x")};
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = {"a", "b"};
  m.features = {{"x", Expr::input(0)}};
  TreeGen g(0);
  const int32_t root = g.alloc(), a = g.alloc(), b = g.alloc();
  g.split(root, ir::SplitOp::LessOrEqual, 0, 1.0, a, b, ir::MissingGo::Left);
  g.t.values.assign(6, 0.0);
  g.t.values[2] = 0.8;  // leaf a: class a wins
  g.t.values[3] = 0.2;
  g.t.values[4] = 0.3;  // leaf b: class b wins
  g.t.values[5] = 0.7;
  ir::TreeEnsemble vote;
  vote.n_outputs = 2;
  vote.trees = {g.t};
  vote.aggregate = ir::Aggregate::Vote;
  vote.transform = ir::ScoreTransform::Normalize;
  m.estimator = vote;
  ir::Model sum = m;
  auto& e = std::get<ir::TreeEnsemble>(sum.estimator);
  e.aggregate = ir::Aggregate::Sum;
  e.trees[0].values = {0, 0, 1, 0, 0, 1};
  CHECK(canon::model_hash(sum) == canon::model_hash(m));
  const std::vector<std::vector<double>> xs = {{0.5, 1.0, 1.5, 3.0}};
  CHECK(same_values(score(sum, xs), score(m, xs)));

  // gbm: initF as a base, or as a first single-leaf tree.
  ir::Model reg;
  reg.schema.inputs = {cont("x")};
  reg.features = {{"x", Expr::input(0)}};
  TreeGen h(0);
  const int32_t r = h.alloc(), l1 = h.alloc(), l2 = h.alloc();
  h.split(r, ir::SplitOp::LessThan, 0, 1.0, l1, l2, ir::MissingGo::Left);
  h.t.values = {0, 0.125, -0.25};
  ir::TreeEnsemble with_base;
  with_base.trees = {h.t};
  with_base.base = {3.5};
  reg.estimator = with_base;
  ir::Model as_tree = reg;
  TreeGen c(0);
  c.alloc();
  c.t.values = {3.5};
  auto& e2 = std::get<ir::TreeEnsemble>(as_tree.estimator);
  e2.base.clear();
  e2.trees.insert(e2.trees.begin(), c.t);
  CHECK(canon::model_hash(as_tree) == canon::model_hash(reg));
  CHECK(same_values(score(as_tree, xs), score(reg, xs)));
  e2.trees[0].values = {up(3.5)};
  CHECK(canon::model_hash(as_tree) != canon::model_hash(reg));
}
