// Evaluator: expression semantics, inverse links against R's family objects, linear scoring.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "lib/eval/evaluator.hpp"
#include "lib/eval/links.hpp"
#include "lib/ir/builder.hpp"

using namespace mb;
using ir::Expr;
using ir::Op;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool agree(double a, double b, double rtol = 1e-15, double atol = 0) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

ir::Model two_input_model() {
  ir::Model m;
  m.schema.inputs.push_back({"x", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back({"g", ir::FieldKind::Categorical, {"a", "b", "c"}, {}, {}, ir::Precision::Double});
  return m;
}
}  // namespace

TEST_CASE("inverse links equal R's family linkinv") {
  // Values printed by R 4.2.2: sprintf("%.17g", binomial(l)$linkinv(eta)) etc.
  const double eta[] = {-40, -3.5, -0.25, 0, 0.7, 2.5, 35};
  struct Row {
    ir::Link link;
    double want[7];
  };
  const Row rows[] = {
      {ir::Link::Logit,
       {2.2204460492503126e-16, 0.029312230751356316, 0.43782349911420188, 0.5, 0.66818777216816616,
        0.92414181997875644, 0.99999999999999978}},
      {ir::Link::Probit,
       {2.2204460492503284e-16, 0.00023262907903552494, 0.4012936743170763, 0.5, 0.75803634777692697,
        0.99379033467422384, 0.99999999999999978}},
      {ir::Link::Cloglog,
       {2.2204460492503131e-16, 0.029745997408937561, 0.54104393069233614, 0.63212055882855767, 0.86651320334191617,
        0.99999488070570131, 0.99999999999999978}},
      {ir::Link::Cauchit,
       {0.0079560899120258138, 0.08858553278290475, 0.42202086962263069, 0.5, 0.69440011221421472, 0.87888105840915665,
        0.99090790532435158}},
      {ir::Link::Log,
       {2.2204460492503131e-16, 0.030197383422318501, 0.77880078307140488, 1, 2.0137527074704766, 12.182493960703473,
        1586013452313430.8}},
  };
  for (const auto& row : rows)
    for (int i = 0; i < 7; ++i) {
      INFO(eval::link_name(row.link), " eta=", eta[i]);
      CHECK(agree(eval::inverse_link(row.link, eta[i]), row.want[i], 1e-14));
    }
  const double e2[] = {0.25, 0.7, 2.5};
  const double inv[] = {4, 1.4285714285714286, 0.40000000000000002};
  const double invsq[] = {2, 1.1952286093343936, 0.63245553203367588};
  const double sq[] = {0.0625, 0.48999999999999994, 6.25};
  for (int i = 0; i < 3; ++i) {
    CHECK(agree(eval::inverse_link(ir::Link::Inverse, e2[i]), inv[i]));
    CHECK(agree(eval::inverse_link(ir::Link::InverseSquare, e2[i]), invsq[i]));
    CHECK(agree(eval::inverse_link(ir::Link::Sqrt, e2[i]), sq[i]));
  }
}

TEST_CASE("linear model with contrasts, interaction, derived field and missing values") {
  ir::Model m = two_input_model();
  // derived 0: x^2
  m.derived.push_back({"x2", Expr::binary(Op::Pow, Expr::input(0), Expr::constant(2))});
  m.features.push_back({"x", Expr::input(0)});
  m.features.push_back({"I(x^2)", Expr::derived(0)});
  m.features.push_back({"gb", Expr::level_is(1, 1)});
  m.features.push_back({"g.sum1", Expr::level_map(1, {1, 0, -1})});
  m.features.push_back({"x:gc", Expr::binary(Op::Mul, Expr::input(0), Expr::level_is(1, 2))});
  ir::Linear l;
  l.coefficients = {2, 0.5, -1, 3, 10};
  l.intercepts = {1};
  m.estimator = l;
  ir::validate(m, "test");
  eval::Evaluator ev(m);
  eval::Batch b;
  b.rows = 4;
  b.columns = {{1, 2, kNaN, 3}, {0, 1, 2, kNaN}};
  eval::Predictions p;
  ev.score(b, p);
  REQUIRE(p.value.size() == 4);
  CHECK(p.value[0] == doctest::Approx(1 + 2 + 0.5 + 0 + 3 + 0));
  CHECK(p.value[1] == doctest::Approx(1 + 4 + 2 - 1 + 0 + 0));
  CHECK(std::isnan(p.value[2]));  // missing x -> missing prediction (R's na.pass)
  CHECK(std::isnan(p.value[3]));  // missing factor -> missing prediction
}

TEST_CASE("binary GLM classification: probabilities and label rule") {
  ir::Model m = two_input_model();
  m.schema.target = {"y", ir::Task::Classification, {"no", "yes"}};
  m.features.push_back({"x", Expr::input(0)});
  ir::Linear l;
  l.coefficients = {1};
  l.intercepts = {0};
  l.link = ir::Link::Logit;
  l.transform = ir::ScoreTransform::Binary;
  m.estimator = l;
  ir::validate(m, "test");
  eval::Evaluator ev(m, {.want_link = true});
  eval::Batch b;
  b.rows = 3;
  b.columns = {{-1, 0, 2}, {0, 0, 0}};
  eval::Predictions p;
  ev.score(b, p);
  CHECK(p.label[0] == 0);
  CHECK(p.label[1] == 0);  // p = 0.5 exactly: the first class
  CHECK(p.label[2] == 1);
  CHECK(agree(p.prob[5], 0.88079707797788243, 1e-15));  // R: plogis(2)
  CHECK(agree(p.prob[4], 1 - 0.88079707797788243, 1e-15));
  CHECK(p.link[2] == 2);
}

TEST_CASE("expression semantics: logic, if-else, discretize, missing") {
  ir::Model m = two_input_model();
  Expr cond = Expr::binary(Op::Gt, Expr::input(0), Expr::constant(1));
  m.features.push_back({"if", Expr::call(Op::IfElse, {cond, Expr::constant(10), Expr::constant(20)})});
  m.features.push_back({"miss", Expr::unary(Op::IsMissing, Expr::input(0))});
  Expr d = Expr::unary(Op::Discretize, Expr::input(0));
  d.bounds = {0, 2};
  d.table = {-1, 1, 5, 99};
  d.flags = {2, 2, 2};
  m.features.push_back({"disc", d});
  m.features.push_back({"and", Expr::binary(Op::And, Expr::constant(0), Expr::input(0))});
  ir::Linear l;
  l.coefficients = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  l.n_targets = 4;
  l.intercepts = {0, 0, 0, 0};
  m.estimator = l;
  ir::validate(m, "test");
  // Score feature by feature through single-target views.
  for (int t = 0; t < 4; ++t) {
    // A zero coefficient on a missing feature still gives a missing score, so keep one feature.
    ir::Model mt = m;
    mt.features = {m.features[t]};
    ir::Linear lt;
    lt.coefficients = {1};
    lt.intercepts = {0};
    mt.estimator = lt;
    eval::Evaluator ev(mt);
    eval::Batch b;
    b.rows = 3;
    b.columns = {{0.5, 2, kNaN}, {0, 0, 0}};
    eval::Predictions p;
    ev.score(b, p);
    if (t == 0) {
      CHECK(p.value[0] == 20);
      CHECK(p.value[1] == 10);
      CHECK(std::isnan(p.value[2]));
    }
    if (t == 1) {
      CHECK(p.value[0] == 0);
      CHECK(p.value[2] == 1);
    }
    if (t == 2) {
      CHECK(p.value[0] == 1);
      CHECK(p.value[1] == 1);
      CHECK(std::isnan(p.value[2]));
    }
    if (t == 3) {
      CHECK(p.value[0] == 0);
      CHECK(p.value[2] == 0);
    }  // false AND missing = false
  }
}

TEST_CASE("validate names the broken place") {
  ir::Model m = two_input_model();
  m.features.push_back({"bad", Expr::level_is(0, 0)});
  ir::Linear l;
  l.coefficients = {1};
  l.intercepts = {0};
  m.estimator = l;
  try {
    ir::validate(m, "model.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.file() == "model.json");
    CHECK(e.place() == "feature 'bad'");
    CHECK(std::string(e.what()).find("not categorical") != std::string::npos);
  }
}
