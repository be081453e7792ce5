// suite: interop
// ONNX writer and reader (linear models): round trips checked by onnx.checker (Debian's onnx
// 1.12) and scored by onnxruntime 1.30 (onnxruntime-node); skl2onnx corpus cases scored against
// onnxruntime's own predictions; malformed and unsupported inputs.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "formats/onnx/onnx.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
using ir::Expr;
using ir::Op;
namespace fs = std::filesystem;

namespace {

// Test data: x1 in [-2, 4], x2 in [0, 5], labels incl. missing and unseen ones; special rows.
Csv make_data(size_t n) {
  Csv c;
  c.header = {"x1", "x2", "color", "size"};
  uint64_t s = 12345;
  auto rnd = [&]() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  const char* colors[] = {"red", "green", "blue", "", "purple"};
  const char* sizes[] = {"S", "M", "L"};
  auto num = [](double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); };
  for (size_t r = 0; r < n; ++r) {
    double x1 = -2 + 6 * rnd(), x2 = 5 * rnd();
    if (r % 17 == 5) x1 = kNaN;
    if (r % 13 == 7) x2 = kNaN;
    if (r % 11 == 3) x2 = 2.0;   // Eq / Ne ties
    if (r % 19 == 4) x2 = 1.25;  // Round half to even
    const double u = rnd();
    const int ci = u < 0.04 ? 3 : (u < 0.07 ? 4 : static_cast<int>(rnd() * 3));
    c.rows.push_back({num(x1), num(x2), colors[ci], sizes[static_cast<int>(rnd() * 3)]});
  }
  return c;
}

ir::Model base_model() {
  ir::Model m;
  m.schema.inputs.push_back({"x1", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  ir::InputField x2{"x2", ir::FieldKind::Continuous, {}, 2.5, {}, ir::Precision::Double};
  m.schema.inputs.push_back(x2);
  m.schema.inputs.push_back(
      {"color", ir::FieldKind::Categorical, {"red", "green", "blue"}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back({"size", ir::FieldKind::Ordinal, {"S", "M", "L"}, {}, {}, ir::Precision::Double});
  m.unseen = ir::UnseenLevel::Missing;
  return m;
}

Expr in(int i) { return Expr::input(i); }
Expr k(double v) { return Expr::constant(v); }
Expr bin(Op op, Expr a, Expr b) { return Expr::binary(op, std::move(a), std::move(b)); }
Expr un(Op op, Expr a) { return Expr::unary(op, std::move(a)); }

// Regression with every expression operator the writer lowers, a derived field and an offset.
ir::Model rich_regression(ir::Link link) {
  ir::Model m = base_model();
  m.derived.push_back({"logx1", un(Op::Log, bin(Op::Add, in(0), k(3)))});
  auto& f = m.features;
  f.push_back({"x1", in(0)});
  f.push_back({"logx1", Expr::derived(0)});
  f.push_back({"offset(x2/10)", bin(Op::Div, in(1), k(10))});
  f.push_back({"I(x2^2)", bin(Op::Pow, in(1), k(2))});
  f.push_back({"colorgreen", Expr::level_is(2, 1)});
  f.push_back({"colorblue", Expr::level_is(2, 2)});
  f.push_back({"size.L", Expr::level_map(3, {-0.70710678118654746, -7.8504622934188758e-17, 0.70710678118654757})});
  f.push_back({"size.code", in(3)});
  f.push_back({"x1:x2", bin(Op::Mul, in(0), in(1))});
  f.push_back({"gt", Expr::call(Op::IfElse, {bin(Op::Gt, in(0), k(1)), in(0), k(0)})});
  f.push_back({"erf", un(Op::Erf, bin(Op::Div, in(1), k(3)))});
  f.push_back({"erf2", un(Op::Erf, bin(Op::Sub, in(0), k(1)))});
  f.push_back({"atan", un(Op::Atan, bin(Op::Mul, in(0), k(3)))});
  f.push_back({"tan", un(Op::Tan, bin(Op::Div, in(1), k(10)))});
  f.push_back({"log10", un(Op::Log10, bin(Op::Add, in(1), k(10)))});
  f.push_back({"logic", bin(Op::Or, bin(Op::And, bin(Op::Lt, in(0), k(0)), bin(Op::Ge, in(1), k(1))),
                            un(Op::Not, bin(Op::Eq, in(1), k(2))))});
  f.push_back({"ne_le", bin(Op::Add, bin(Op::Ne, in(1), k(2)), bin(Op::Le, in(0), k(0.5)))});
  f.push_back({"missing", un(Op::IsMissing, in(0))});
  f.push_back({"coalesce", Expr::call(Op::Coalesce, {in(0), in(1), k(-1)})});
  f.push_back({"round", un(Op::Round, bin(Op::Mul, in(1), k(2)))});
  f.push_back({"floorceil", bin(Op::Sub, un(Op::Floor, in(0)), un(Op::Ceil, in(1)))});
  f.push_back({"minmax", bin(Op::Add, Expr::call(Op::Min, {in(0), in(1), k(1)}), Expr::call(Op::Max, {in(0), k(0)}))});
  f.push_back({"sqrtabs", un(Op::Sqrt, un(Op::Abs, in(0)))});
  f.push_back({"exp", un(Op::Exp, bin(Op::Div, in(0), k(4)))});
  f.push_back({"trig", bin(Op::Add, un(Op::Sin, in(0)), un(Op::Cos, un(Op::Neg, in(1))))});
  f.push_back({"tanh_logistic", bin(Op::Mul, un(Op::Tanh, in(0)), un(Op::Logistic, in(1)))});
  f.push_back({"const", k(1.5)});
  ir::Linear lin;
  const size_t F = f.size();
  for (size_t j = 0; j < F; ++j) lin.coefficients.push_back(0.05 * std::sin(1.0 + static_cast<double>(j)));
  lin.coefficients[2] = 0;
  lin.offset_feature = 2;
  lin.intercepts = {2.0};
  lin.link = link;
  if (link != ir::Link::Identity && link != ir::Link::Log) lin.intercepts = {6.0};  // keep eta positive
  m.estimator = lin;
  m.schema.target = {"y", ir::Task::Regression, {}};
  ir::validate(m, "test");
  return m;
}

ir::Model binary_model(ir::Link link) {
  ir::Model m = base_model();
  m.features = {
      {"x1", in(0)}, {"x2", in(1)}, {"colorgreen", Expr::level_is(2, 1)}, {"colorblue", Expr::level_is(2, 2)}};
  ir::Linear lin;
  lin.coefficients = {2.1, -1.3, 0.7, -2.5};
  lin.intercepts = {0.4};
  lin.link = link;
  lin.transform = ir::ScoreTransform::Binary;
  m.estimator = lin;
  m.schema.target = {"yes", ir::Task::Classification, {"no", "yes"}};
  ir::validate(m, "test");
  return m;
}

ir::Model multiclass_model(ir::ScoreTransform tr) {
  ir::Model m = base_model();
  m.features = {{"x1", in(0)}, {"x2", in(1)}, {"colorgreen", Expr::level_is(2, 1)}};
  ir::Linear lin;
  lin.transform = tr;
  if (tr == ir::ScoreTransform::Softmax) {
    lin.n_targets = 2;
    lin.reference_class = true;
    lin.coefficients = {1.5, -0.5, 0.3, -0.7, 0.9, 1.1};
    lin.intercepts = {0.2, -0.4};
  } else {
    lin.n_targets = 3;
    lin.link = ir::Link::Logit;
    lin.coefficients = {1.5, -0.5, 0.3, -0.7, 0.9, 1.1, 0.1, 0.2, -0.3};
    lin.intercepts = {0.2, -0.4, 0.1};
  }
  m.estimator = lin;
  m.schema.target = {"species", ir::Task::Classification, {"a", "b", "c"}};
  ir::validate(m, "test");
  return m;
}

void check_same_model(const ir::Model& a, const ir::Model& b) {
  REQUIRE(a.schema.inputs.size() == b.schema.inputs.size());
  for (size_t i = 0; i < a.schema.inputs.size(); ++i) {
    const auto &x = a.schema.inputs[i], &y = b.schema.inputs[i];
    CHECK(x.name == y.name);
    CHECK(x.kind == y.kind);
    CHECK(x.levels == y.levels);
    CHECK(x.missing_replacement == y.missing_replacement);
    CHECK(x.cast == y.cast);
  }
  CHECK(a.schema.target.task == b.schema.target.task);
  CHECK(a.schema.target.classes == b.schema.target.classes);
  CHECK(a.schema.target.name == b.schema.target.name);
  CHECK(a.derived == b.derived);
  REQUIRE(a.features.size() == b.features.size());
  for (size_t f = 0; f < a.features.size(); ++f) {
    INFO("feature " << a.features[f].name);
    CHECK(a.features[f] == b.features[f]);
  }
  const auto& la = std::get<ir::Linear>(a.estimator);
  const auto& lb = std::get<ir::Linear>(b.estimator);
  CHECK(la == lb);  // coefficients bit-identical
}

struct Scored {
  double max_abs = 0, max_rel = 0;
  size_t rows = 0, bad = 0;
};

// Compares our predictions with onnxruntime's output columns.
Scored compare_with_ort(const ir::Model& m, const eval::Predictions& p, const Csv& ort, double atol, double rtol,
                        const std::string& reg_col = "prediction") {
  Scored s;
  s.rows = p.rows;
  REQUIRE(ort.rows.size() == p.rows);
  auto one = [&](double a, double b) {
    if (std::isnan(a) != std::isnan(b)) {
      ++s.bad;
      return;
    }
    if (std::isnan(a)) return;
    const double d = std::fabs(a - b);
    s.max_abs = std::max(s.max_abs, d);
    if (b != 0) s.max_rel = std::max(s.max_rel, d / std::fabs(b));
    if (!agree(a, b, rtol, atol)) ++s.bad;
  };
  if (m.schema.target.task == ir::Task::Regression) {
    const int c = ort.col(reg_col);
    REQUIRE(c >= 0);
    for (size_t r = 0; r < p.rows; ++r) one(p.value[r], number_cell(ort.rows[r][c]));
    return s;
  }
  const size_t K = m.schema.target.classes.size();
  const int lc = ort.col("class");
  for (size_t r = 0; r < p.rows; ++r) {
    for (size_t kk = 0; kk < K; ++kk)
      one(p.prob[r * K + kk], number_cell(ort.rows[r][ort.col(fmt::format("probabilities_{}", kk))]));
    const std::string want = p.label[r] < 0 ? "" : m.schema.target.classes[p.label[r]];
    if (lc >= 0 && ort.rows[r][lc] != want) ++s.bad;
  }
  return s;
}

// Write -> checker -> read back -> same model and scores -> onnxruntime agrees.
void round_trip(const ir::Model& m, const std::string& name) {
  require_onnx_tools();
  Warnings w;
  const std::string bytes = onnxfmt::write(m, {}, w);
  CHECK(onnxfmt::sniff(bytes));
  const fs::path file = scratch_dir() / (name + ".onnx");
  write_file(file, bytes);
  check_onnx(file);
  ir::Model back = onnxfmt::read(bytes, file.string());
  check_same_model(m, back);

  const Csv data = make_data(400);
  const fs::path csv = scratch_dir() / (name + ".csv");
  write_csv(csv, data);
  const eval::Batch batch = bind_positional(m, data);
  const auto p0 = score(m, batch);
  const auto p1 = score(back, batch);
  // Identical model, identical arithmetic: bit-identical predictions.
  CHECK(same_bits(p0.value, p1.value));
  CHECK(same_bits(p0.prob, p1.prob));
  CHECK(p0.label == p1.label);
  const Csv ort = ort_score(file, csv);
  const Scored s = compare_with_ort(m, p0, ort, 1e-12, 1e-9);
  MESSAGE(name << ": onnxruntime vs evaluator, rows " << s.rows << ", max abs " << s.max_abs << ", max rel "
               << s.max_rel);
  CHECK(s.bad == 0);
}

}  // namespace

TEST_CASE("onnx: regression with every expression operator round-trips and onnxruntime agrees") {
  round_trip(rich_regression(ir::Link::Identity), "rich_identity");
}

TEST_CASE("onnx: regression links round-trip and onnxruntime agrees") {
  for (auto link : {ir::Link::Log, ir::Link::Inverse, ir::Link::InverseSquare, ir::Link::Sqrt}) {
    CAPTURE(static_cast<int>(link));
    round_trip(rich_regression(link), fmt::format("rich_link{}", static_cast<int>(link)));
  }
}

TEST_CASE("onnx: binary classification links round-trip and onnxruntime agrees") {
  for (auto link : {ir::Link::Logit, ir::Link::Probit, ir::Link::Cloglog, ir::Link::Loglog, ir::Link::Cauchit}) {
    CAPTURE(static_cast<int>(link));
    round_trip(binary_model(link), fmt::format("binary_link{}", static_cast<int>(link)));
  }
}

TEST_CASE("onnx: multinomial (reference class, softmax) and normalised one-vs-rest") {
  round_trip(multiclass_model(ir::ScoreTransform::Softmax), "multinom");
  round_trip(multiclass_model(ir::ScoreTransform::Normalize), "ovr");
}

TEST_CASE("onnx: float32 option narrows loudly and onnxruntime matches the float32 emulation") {
  require_onnx_tools();
  const ir::Model m = rich_regression(ir::Link::Identity);
  Warnings w;
  const std::string bytes = onnxfmt::write(m, {ir::Precision::Float32}, w);
  bool narrowing = false;
  for (const auto& x : w) narrowing |= x.code == "float32-narrowing";
  CHECK(narrowing);
  const fs::path file = scratch_dir() / "rich_f32.onnx";
  write_file(file, bytes);
  check_onnx(file);
  const ir::Model back = onnxfmt::read(bytes, file.string());
  const auto& lin = std::get<ir::Linear>(back.estimator);
  CHECK(lin.precision == ir::Precision::Float32);
  CHECK(back.schema.inputs[0].cast == ir::Precision::Float32);
  for (size_t j = 0; j < lin.coefficients.size(); ++j)
    CHECK(lin.coefficients[j] ==
          static_cast<double>(static_cast<float>(std::get<ir::Linear>(m.estimator).coefficients[j])));

  const Csv data = make_data(400);
  const fs::path csv = scratch_dir() / "rich_f32.csv";
  write_csv(csv, data);
  const eval::Batch batch = bind_positional(m, data);
  const auto p64 = score(m, batch);
  const auto p32 = score(back, batch);
  const Csv ort = ort_score(file, csv);
  double err = 0, ulps = 0;
  for (size_t r = 0; r < p32.rows; ++r) {
    if (std::isnan(p32.value[r])) continue;
    err = std::max(err, std::fabs(p32.value[r] - p64.value[r]));
    const double o = number_cell(ort.rows[r][0]);
    const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(o)) - 23);
    ulps = std::max(ulps, std::fabs(o - p32.value[r]) / ulp);
  }
  MESSAGE("float32 option: max |float32 - double| = " << err << "; onnxruntime vs float32 emulation: " << ulps
                                                      << " float ulp");
  // onnxruntime's float GEMM (blocked, fused multiply-add) sums in another order than the
  // evaluator's sequential float32 sum: a few ulps of the result, never more than 8 here.
  CHECK(ulps <= 8.0);
  const Scored s = compare_with_ort(m, p32, ort, 0, 1e-6);
  CHECK(s.bad == 0);
}

TEST_CASE("onnx: skl2onnx linear corpus cases agree with onnxruntime's predictions") {
  const fs::path root = fs::path(MB_SHARED_DIR) / "corpus/onnx/skl2onnx";
  if (!have_shared(root)) return;
  struct Case {
    const char* name;
    double atol, rtol;
  };
  // Float graphs: onnxruntime sums and squashes in float32; our evaluator sums in float32 in
  // another order and applies links in double, so allow a few float32 ulps.
  const Case cases[] = {
      {"linreg_diabetes_f64", 1e-12, 1e-9},
      {"logreg_binary_breast_cancer_f64", 1e-12, 1e-9},
      {"linreg_diabetes", 0, 1e-6},
      {"ridge_diabetes", 0, 1e-6},
      // Breast cancer without scaling: terms up to ~1e3 cancel to |eta| ~ 30, so the float32
      // summation order alone moves eta by ~1e-5 and probabilities by up to ~3e-6.
      {"logreg_binary_breast_cancer", 1e-5, 1e-6},
      {"logreg_multinomial_iris", 1e-6, 1e-6},
      {"pipe_scaler_logreg_breast_cancer", 1e-6, 1e-6},
      {"pipe_coltrans_impute_onehot_logreg_mixed", 1e-6, 1e-6},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    const fs::path dir = root / c.name;
    REQUIRE_MESSAGE(fs::exists(dir), dir.string() << " is missing from the corpus");
    const ir::Model m = onnxfmt::read(slurp(dir / "model.onnx"), (dir / "model.onnx").string());
    const Csv data = parse_csv(slurp(dir / "input.csv"));
    const Csv ort = parse_csv(slurp(dir / "ort.csv"));
    const auto p = score(m, bind_positional(m, data));
    Scored s;
    s.rows = p.rows;
    if (m.schema.target.task == ir::Task::Regression) {
      for (size_t r = 0; r < p.rows; ++r) {
        const double b = number_cell(ort.rows[r][0]);
        s.max_abs = std::max(s.max_abs, std::fabs(p.value[r] - b));
        s.max_rel = std::max(s.max_rel, std::fabs(p.value[r] - b) / std::fabs(b));
        s.bad += !agree(p.value[r], b, c.rtol, c.atol);
      }
    } else {
      const size_t K = m.schema.target.classes.size();
      REQUIRE(ort.header.size() == K + 1);
      for (size_t r = 0; r < p.rows; ++r) {
        s.bad += ort.rows[r][0] != m.schema.target.classes[p.label[r]];
        for (size_t kk = 0; kk < K; ++kk) {
          const double a = p.prob[r * K + kk], b = number_cell(ort.rows[r][kk + 1]);
          s.max_abs = std::max(s.max_abs, std::fabs(a - b));
          s.bad += !agree(a, b, c.rtol, c.atol);
        }
      }
    }
    MESSAGE(std::string(c.name) << ": " << m.provenance.family << ", rows " << s.rows << ", max abs " << s.max_abs
                                << ", max rel " << s.max_rel << ", beyond tolerance " << s.bad);
    CHECK(s.bad == 0);
  }
}

TEST_CASE("onnx: malformed and unsupported inputs are errors with a place") {
  const fs::path dir = fs::path(MB_SOURCE_DIR) / "testdata/onnx";
  CHECK_FALSE(onnxfmt::sniff("<?xml version"));
  CHECK_THROWS_AS(onnxfmt::read("", "empty.onnx"), Error);
  CHECK_THROWS_AS(onnxfmt::read(std::string("\x08\x08\x3a\xff\xff\xff", 6), "cut.onnx"), Error);
  struct Bad {
    const char* file;
    const char* place;
    const char* message;
  };
  const Bad bad[] = {
      {"garbage.onnx", "", "does not parse"},
      {"truncated.onnx", "", "does not parse"},
      {"unsupported_op.onnx", "graph node 'hard' (Hardmax)", "unsupported operator"},
      {"tampered_function.onnx", "(LinkProbit)", "function body differs"},
      {"two_estimators.onnx", "(MatMul)", "second estimator"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.file);
    const fs::path f = dir / b.file;
    REQUIRE(fs::exists(f));
    try {
      onnxfmt::read(slurp(f), f.string());
      FAIL("accepted");
    } catch (const Error& e) {
      CAPTURE(e.what());
      CHECK(e.file() == f.string());
      CHECK(e.place().find(b.place) != std::string::npos);
      CHECK(std::string(e.message()).find(b.message) != std::string::npos);
      const bool unsupported = std::string(e.message()).rfind("unsupported", 0) == 0;
      CHECK(e.kind() == (unsupported ? ErrorKind::Unsupported : ErrorKind::InvalidInput));
    }
  }
}

TEST_CASE("onnx: writer refuses what it cannot express") {
  ir::Model m = base_model();
  m.features = {{"d", Expr::call(Op::Discretize, {in(0)})}};
  m.features[0].expr.bounds = {0.0};
  m.features[0].expr.table = {1, 2, 3};
  m.features[0].expr.flags = {2, 2};
  ir::Linear lin;
  lin.coefficients = {1};
  lin.intercepts = {0};
  m.estimator = lin;
  ir::validate(m, "t");
  Warnings w;
  CHECK_THROWS_AS(onnxfmt::write(m, {}, w), Error);
}
