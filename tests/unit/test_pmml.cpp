// suite: interop
// PMML reader and writer: round trips through PMML 4.4 (validated with xmllint against the DMG
// XSD), third-party PMML scored against its producer's predictions, and malformed input.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "formats/pmml/pmml.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::testsupport;
using mb::ir::Expr;
using mb::ir::Op;

namespace {

// ---------------------------------------------------------------------------------------------
// Round trip: IR -> PMML 4.4 -> IR scores the same.

mb::ir::InputField cont(const std::string& name) {
  mb::ir::InputField f;
  f.name = name;
  return f;
}

mb::ir::InputField cat(const std::string& name, std::vector<std::string> levels, bool ordinal = false) {
  mb::ir::InputField f;
  f.name = name;
  f.kind = ordinal ? mb::ir::FieldKind::Ordinal : mb::ir::FieldKind::Categorical;
  f.levels = std::move(levels);
  return f;
}

Expr in(int i) { return Expr::input(i); }
Expr c(double v) { return Expr::constant(v); }
Expr bin(Op op, Expr a, Expr b) { return Expr::binary(op, std::move(a), std::move(b)); }

// Inputs: x1, x2 (continuous, x2 > 0), f (a, b, c), o (lo < mid < hi, ordinal), e (exposure > 0).
mb::ir::Schema base_schema() {
  mb::ir::Schema s;
  s.inputs = {cont("x1"), cont("x2"), cat("f", {"a", "b", "c"}), cat("o", {"lo", "mid", "hi"}, true), cont("e")};
  return s;
}

// A linear predictor that exercises the expression writer: treatment contrasts, a polynomial
// contrast on the ordinal, a shared derived field, functions, comparisons, conditionals.
void add_rich_features(mb::ir::Model& m) {
  m.derived.push_back({"xc", bin(Op::Sub, in(0), c(0.125))});
  m.derived.push_back({"xc2", bin(Op::Mul, Expr::derived(0), Expr::derived(0))});
  m.features = {
      {"x1", in(0)},
      {"fb", Expr::level_is(2, 1)},
      {"fc", Expr::level_is(2, 2)},
      {"o.L", Expr::level_map(3, {-0.70710678118654746, -7.8504622934188758e-17, 0.70710678118654757})},
      {"o.Q", Expr::level_map(3, {0.40824829046386307, -0.81649658092772603, 0.40824829046386296})},
      {"poly(x1)2", Expr::derived(1)},
      {"log(x2)", Expr::unary(Op::Log, in(1))},
      {"sqrt(x2)", Expr::unary(Op::Sqrt, in(1))},
      {"x2^3", bin(Op::Pow, in(1), c(3))},
      {"pos", Expr::call(Op::IfElse, {bin(Op::Gt, in(0), c(0)), in(0), c(0)})},
      {"hinge", Expr::call(Op::Max, {c(0), bin(Op::Sub, in(0), c(0.5))})},
      {"neg", Expr::unary(Op::Neg, bin(Op::Div, in(1), c(3)))},
      {"inside", Expr::binary(Op::And, bin(Op::Ge, in(0), c(-1)), Expr::unary(Op::Not, bin(Op::Le, in(0), c(1))))},
      {"exp", Expr::unary(Op::Exp, bin(Op::Mul, c(0.1), in(0)))},
      {"bins", [] {
         Expr d;
         d.op = Op::Discretize;
         d.bounds = {-1, 0, 0, 1};
         d.flags = {2, 0, 3, 0, 1};  // (-inf,-1] (-1,0) [0,0] (0,1) [1,inf)
         d.table = {1, 2, 3, 4, 5, kNaN};
         d.args = {in(0)};
         return d;
       }()},
      {"logistic", Expr::unary(Op::Logistic, in(0))},
      {"rounded", Expr::unary(Op::Round, bin(Op::Mul, in(0), c(2.5)))},
  };
}

mb::ir::Model make_model(mb::ir::Task task, mb::ir::Link link, double intercept, double scale, bool rich) {
  mb::ir::Model m;
  m.schema = base_schema();
  m.schema.target.name = "y";
  m.schema.target.task = task;
  if (task == mb::ir::Task::Classification) m.schema.target.classes = {"no", "yes"};
  if (rich) add_rich_features(m);
  else m.features = {{"x1", in(0)}, {"x2", in(1)}, {"fb", Expr::level_is(2, 1)}, {"fc", Expr::level_is(2, 2)}};
  mb::ir::Linear lin;
  lin.link = link;
  lin.intercepts = {intercept};
  for (size_t f = 0; f < m.features.size(); ++f)
    lin.coefficients.push_back(scale * (0.37 - 0.11 * static_cast<double>(f % 7)));
  if (task == mb::ir::Task::Classification) lin.transform = mb::ir::ScoreTransform::Binary;
  m.estimator = lin;
  mb::ir::validate(m, "test");
  return m;
}

void check_same_scores(const mb::ir::Model& a, const mb::ir::Model& b, bool with_missing) {
  // x2 and e stay positive (logarithms, square roots, exposures); 1 cell in 17 missing.
  auto rows = random_batch(a.schema, 500, 42, with_missing ? 17 : 0, [](const mb::ir::InputField& f, double u) {
    return f.name == "x2" || f.name == "e" ? 0.25 + std::fabs(u) : u;
  });
  auto pa = score(a, rows);
  auto pb = score(b, rows);
  REQUIRE(pa.rows == pb.rows);
  size_t missing = 0;
  if (a.schema.target.task == mb::ir::Task::Regression) {
    for (size_t r = 0; r < pa.rows; ++r) {
      INFO("row " << r << ": " << pa.value[r] << " vs " << pb.value[r]);
      CHECK(agree(pb.value[r], pa.value[r], 1e-12));
      missing += std::isnan(pa.value[r]);
    }
  } else {
    REQUIRE(pa.prob.size() == pb.prob.size());
    for (size_t i = 0; i < pa.prob.size(); ++i) {
      INFO("cell " << i << ": " << pa.prob[i] << " vs " << pb.prob[i]);
      CHECK(agree(pb.prob[i], pa.prob[i], 1e-12, 1e-300));
      missing += std::isnan(pa.prob[i]);
    }
    CHECK(pa.label == pb.label);
  }
  if (with_missing) CHECK(missing > 0);  // missing inputs give missing predictions, in both
}

const char* link_label(mb::ir::Link l) {
  switch (l) {
    case mb::ir::Link::Identity: return "identity";
    case mb::ir::Link::Logit: return "logit";
    case mb::ir::Link::Probit: return "probit";
    case mb::ir::Link::Cloglog: return "cloglog";
    case mb::ir::Link::Loglog: return "loglog";
    case mb::ir::Link::Cauchit: return "cauchit";
    case mb::ir::Link::Log: return "log";
    case mb::ir::Link::Inverse: return "inverse";
    case mb::ir::Link::InverseSquare: return "inverse_square";
    case mb::ir::Link::Sqrt: return "sqrt";
    case mb::ir::Link::Power: return "power";
  }
  return "?";
}

}  // namespace

TEST_CASE("pmml round trip: linear regression with factors, ordinal contrasts and derived expressions") {
  auto m = make_model(mb::ir::Task::Regression, mb::ir::Link::Identity, 1.5, 1.0, true);
  auto back = pmml_round_trip(m, "rich_regression");
  CHECK(back.schema.inputs.size() == m.schema.inputs.size());
  CHECK(back.schema.inputs[3].kind == mb::ir::FieldKind::Ordinal);
  CHECK(back.schema.inputs[2].levels == m.schema.inputs[2].levels);
  CHECK(back.features.size() == m.features.size());
  CHECK(back.derived.size() == m.derived.size());
  // The structure survives: the same features, in order, with the same expressions.
  for (size_t f = 0; f < std::min(back.features.size(), m.features.size()); ++f) {
    CAPTURE(f);
    CHECK(back.features[f].name == m.features[f].name);
    if (m.features[f].name != "bins") CHECK(back.features[f].expr == m.features[f].expr);
  }
  CHECK(std::get<mb::ir::Linear>(back.estimator) == std::get<mb::ir::Linear>(m.estimator));
  check_same_scores(m, back, false);
  check_same_scores(m, back, true);
}

TEST_CASE("pmml round trip: every link function of a regression") {
  using L = mb::ir::Link;
  struct Case {
    L link;
    double intercept, scale;
    const char* element;
  };
  const Case cases[] = {{L::Identity, 0.5, 1, "RegressionModel"},
                        {L::Log, 0.2, 0.3, "RegressionModel"},
                        {L::Logit, 0.1, 1, "RegressionModel"},
                        {L::Probit, 0.1, 0.5, "RegressionModel"},
                        {L::Cloglog, 0.1, 0.5, "RegressionModel"},
                        {L::Loglog, 0.1, 0.5, "RegressionModel"},
                        {L::Cauchit, 0.1, 1, "RegressionModel"},
                        {L::Inverse, 6, 0.5, "GeneralRegressionModel"},
                        {L::InverseSquare, 6, 0.5, "GeneralRegressionModel"},
                        {L::Sqrt, 3, 0.5, "GeneralRegressionModel"}};
  for (const auto& cs : cases) {
    const std::string link_name = link_label(cs.link);
    CAPTURE(link_name);
    auto m = make_model(mb::ir::Task::Regression, cs.link, cs.intercept, cs.scale, false);
    mb::Warnings w;
    const std::string text = mb::pmml::write(m, w);
    CHECK(text.find(std::string("<") + cs.element) != std::string::npos);
    auto back = pmml_round_trip(m, std::string("link_") + link_label(cs.link));
    CHECK(std::get<mb::ir::Linear>(back.estimator).link == cs.link);
    check_same_scores(m, back, false);
    check_same_scores(m, back, true);
  }
}

TEST_CASE("pmml round trip: poisson regression with an offset uses GeneralRegressionModel offsetVariable") {
  auto m = make_model(mb::ir::Task::Regression, mb::ir::Link::Log, 0.3, 0.4, false);
  m.features.push_back({"log(e)", Expr::unary(Op::Log, in(4))});
  auto& lin = std::get<mb::ir::Linear>(m.estimator);
  lin.coefficients.push_back(0.0);
  lin.offset_feature = static_cast<int>(m.features.size()) - 1;
  mb::ir::validate(m, "test");
  mb::Warnings w;
  const std::string text = mb::pmml::write(m, w);
  CHECK(text.find("offsetVariable=\"log(e)\"") != std::string::npos);
  auto back = pmml_round_trip(m, "offset");
  CHECK(std::get<mb::ir::Linear>(back.estimator).offset_feature >= 0);
  check_same_scores(m, back, false);
  check_same_scores(m, back, true);
}

TEST_CASE("pmml round trip: binary classification with logit, probit, cloglog, loglog, cauchit and log links") {
  using L = mb::ir::Link;
  for (L link : {L::Logit, L::Probit, L::Cloglog, L::Loglog, L::Cauchit, L::Log}) {
    const std::string link_name = link_label(link);
    CAPTURE(link_name);
    const double intercept = link == L::Log ? -1.5 : 0.2;
    const double scale = link == L::Log ? 0.2 : 1.0;
    auto m = make_model(mb::ir::Task::Classification, link, intercept, scale, link == L::Logit);
    auto back = pmml_round_trip(m, std::string("binary_") + link_label(link));
    CHECK(back.schema.target.classes == m.schema.target.classes);
    check_same_scores(m, back, false);
    check_same_scores(m, back, true);
  }
}

TEST_CASE("pmml round trip: multinomial softmax with a reference class and missing replacement") {
  mb::ir::Model m;
  m.schema = base_schema();
  m.schema.inputs[0].missing_replacement = 0.25;
  m.schema.inputs[2].missing_replacement_label = "b";
  m.schema.target = {"species", mb::ir::Task::Classification, {"setosa", "versicolor", "virginica"}};
  m.features = {{"x1", in(0)}, {"x2", in(1)}, {"fb", Expr::level_is(2, 1)}};
  mb::ir::Linear lin;
  lin.n_targets = 2;
  lin.reference_class = true;
  lin.transform = mb::ir::ScoreTransform::Softmax;
  lin.intercepts = {0.5, -0.25};
  lin.coefficients = {1.5, -0.5, 0.25, -2.0, 0.75, 1.0};
  m.estimator = lin;
  mb::ir::validate(m, "test");
  auto back = pmml_round_trip(m, "softmax");
  CHECK(back.schema.inputs[0].missing_replacement == 0.25);
  CHECK(back.schema.inputs[2].missing_replacement_label == std::optional<std::string>("b"));
  CHECK(std::get<mb::ir::Linear>(back.estimator) == lin);
  check_same_scores(m, back, false);
}

TEST_CASE("pmml: binary RegressionModel gives the first table's category linkinv(y) (PMML 4.4 Regression)") {
  // Hand-made document: the spec's two-table binary form with the reference table second and, in a
  // second variant, first.  p(yes) = 1 / (1 + exp(-(1 + 2x))).
  const std::string text_yes_first = slurp(fs::path(MB_SOURCE_DIR) / "testdata/pmml/binary_logit_yes_first.pmml");
  const std::string text_no_first = slurp(fs::path(MB_SOURCE_DIR) / "testdata/pmml/binary_logit_no_first.pmml");
  for (const auto* text : {&text_yes_first, &text_no_first}) {
    auto m = mb::pmml::read(*text, "binary.pmml");
    REQUIRE(m.schema.target.classes == std::vector<std::string>{"no", "yes"});
    mb::eval::Batch b;
    b.rows = 3;
    b.columns = {{-1.0, 0.5, kNaN}};
    auto p = score(m, b);
    for (size_t r = 0; r < 2; ++r) {
      const double x = b.columns[0][r];
      const double p_yes =
          text == &text_yes_first ? 1 / (1 + std::exp(-(1 + 2 * x))) : 1 - 1 / (1 + std::exp(-(1 + 2 * x)));
      CHECK(agree(p.prob[r * 2 + 1], p_yes, 1e-14));
      CHECK(agree(p.prob[r * 2 + 0], 1 - p_yes, 1e-14));
    }
    CHECK(std::isnan(p.prob[5]));  // missing NumericPredictor input: missing result
  }
}

// ---------------------------------------------------------------------------------------------
// Third-party PMML (jpmml-evaluator 1.4.X integration corpus): producer's own predictions.

namespace {

struct CorpusCase {
  const char* module;
  const char* name;
  const char* input;
  const char* value_column;  // regression prediction, or predicted label
  const char* prob_pattern;  // "Probability_{}" (classification), else nullptr
  double tol;                // PMMLEquivalence(tol, tol): relative, values below tol count as zero.
                             // Looser than the SPEC default (1e-9 relative, 1e-12 absolute) only
                             // where said next to the case.
};

const CorpusCase kCorpus[] = {
    {"pmml-knime", "GeneralRegressionAuto", "Auto", "mpg", nullptr, 1e-15},
    {"pmml-knime", "PolynomialRegressionAuto", "Auto", "mpg", nullptr, 1e-14},  // x^k terms summed in another order
    {"pmml-knime", "GeneralRegressionIris", "Iris", "Species", "P (Species={})", 1e-15},
    {"pmml-knime", "GeneralRegressionAudit", "Audit", "Adjusted", "P (Adjusted={})", 1e-15},
    {"pmml-rapidminer", "RegressionAuto", "Auto", "prediction(mpg)", nullptr, 1e-13},
    {"pmml-rattle", "RegressionAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
    {"pmml-rattle", "RegressionXformAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
    {"pmml-rattle", "GeneralRegressionAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
    {"pmml-rattle", "GeneralRegressionXformAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
    {"pmml-rattle", "GeneralRegressionVersicolor", "Versicolor", "Predicted_Species", "Probability_{}", 1e-13},
    {"pmml-rattle", "GeneralRegressionAudit", "Audit", "Predicted_Adjusted", "Probability_{}", 1e-13},
    // The producer's own tolerance for these two (jpmml-evaluator's test: PMMLEquivalence(1e-11)
    // and (1e-10)): probabilities near 0 printed with 15 digits lose their relative precision.
    {"pmml-rattle", "LogisticRegressionIris", "Iris", "Predicted_Species", "Probability_{}", 1e-11},
    {"pmml-rattle", "LogisticRegressionAudit", "Audit", "Predicted_Adjusted", "Probability_{}", 1e-10},
};

}  // namespace

TEST_CASE("pmml third-party corpus: RegressionModel and GeneralRegressionModel match their producers") {
  const fs::path base = shared_dir() / "corpus/pmml/jpmml-evaluator-1.4.X";
  if (!have_shared(base)) return;
  for (const auto& cs : kCorpus) {
    const fs::path dir = base / cs.module / "src/test/resources";
    const std::string id = std::string(cs.module) + "/" + cs.name;
    CAPTURE(id);
    ProducerCase pc;
    if (!load_producer_case(dir, cs.name, cs.input, pc)) continue;
    const mb::ir::Model& m = pc.model;
    const Csv& input = pc.input;
    const Csv& expected = pc.expected;
    auto p = score(m, bind_by_name(m, input));
    double worst = 0;
    const size_t bad = producer_mismatches(m, p, expected, {cs.value_column, cs.prob_pattern, cs.tol}, worst);
    INFO(id << ": " << bad << " disagreements, worst relative difference " << worst);
    CHECK(bad == 0);
    // Written back as PMML 4.4: valid against the XSD and scoring the same.
    mb::Warnings warnings;
    auto back = pmml_round_trip(m, std::string("corpus_") + cs.name, &warnings);
    auto pb = score(back, bind_by_name(back, input));
    CHECK(pb.label == p.label);
    for (size_t i = 0; i < p.value.size(); ++i) CHECK(agree(pb.value[i], p.value[i], 1e-12));
    for (size_t i = 0; i < p.prob.size(); ++i) CHECK(agree(pb.prob[i], p.prob[i], 1e-12, 1e-300));
    MESSAGE(id << ": " << expected.rows.size() << " rows, " << bad << " beyond tolerance " << cs.tol
               << ", largest relative difference " << worst << " (values above the zero threshold)");
  }
}

TEST_CASE("pmml third-party corpus: models outside the linear subset are refused with a place") {
  const fs::path base = shared_dir() / "corpus/pmml/jpmml-evaluator-1.4.X";
  if (!have_shared(base)) return;
  struct Refused {
    const char* path;
    const char* message;
  };
  const Refused cases[] = {
      {"pmml-rattle/src/test/resources/pmml/CoxRegressionLung.pmml", "modelType 'CoxRegression'"},
      {"pmml-rattle/src/test/resources/pmml/AssociationRulesShopping.pmml",
       "unsupported PMML element AssociationModel"},
      {"pmml-sas/src/test/resources/pmml/LogisticRegressionAudit.pmml", "unsupported"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    try {
      mb::pmml::read(slurp(base / c.path), c.path);
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK(std::string(e.message()).find(c.message) != std::string::npos);
      CHECK(e.place().find("line ") == 0);
      CHECK(e.place().find("/PMML/") != std::string::npos);
      MESSAGE(std::string(e.what()));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed input.

TEST_CASE("pmml malformed input: errors name the line and the element path") {
  struct Bad {
    const char* file;
    const char* place;
    const char* message;
  };
  const Bad cases[] = {
      {"malformed_not_xml.pmml", "line 6", "not well-formed XML"},
      {"malformed_wrong_root.pmml", "line 2: /PMML4", "expected the root element PMML"},
      {"malformed_missing_datafield.pmml", "line 11: /PMML/RegressionModel/MiningSchema/MiningField[2]",
       "MiningField 'x2' has no DataField"},
      {"malformed_unknown_function.pmml", "line 10: /PMML/TransformationDictionary/DerivedField/Apply",
       "unsupported function 'frobnicate'"},
      {"malformed_unknown_field.pmml", "line 18: /PMML/RegressionModel/RegressionTable/NumericPredictor[2]",
       "expected a field named 'nope'"},
      {"malformed_bad_number.pmml", "line 16: /PMML/RegressionModel/RegressionTable",
       "expected a number in attribute 'intercept'"},
  };
  for (const auto& b : cases) {
    CAPTURE(b.file);
    const std::string text = slurp(fs::path(MB_SOURCE_DIR) / "testdata/pmml" / b.file);
    REQUIRE(!text.empty());
    try {
      mb::pmml::read(text, b.file);
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK(e.file() == b.file);
      CHECK(e.place() == b.place);
      CHECK(e.message().find(b.message) != std::string::npos);
      const bool unsupported = std::string(e.message()).rfind("unsupported", 0) == 0;
      CHECK(e.kind() == (unsupported ? mb::ErrorKind::Unsupported : mb::ErrorKind::InvalidInput));
      MESSAGE(std::string(e.what()));
    }
  }
}

TEST_CASE("pmml sniff") {
  CHECK(mb::pmml::sniff("<?xml version=\"1.0\"?>\n<!-- c -->\n<PMML version=\"4.4\">"));
  CHECK(mb::pmml::sniff("\xEF\xBB\xBF<pmml:PMML xmlns:pmml=\"http://www.dmg.org/PMML-4_2\">"));
  CHECK_FALSE(mb::pmml::sniff("<?xml version=\"1.0\"?><html>"));
  CHECK_FALSE(mb::pmml::sniff("{\"type\":\"list\"}"));
}

TEST_CASE("pmml writer refuses what PMML cannot hold") {
  auto m = make_model(mb::ir::Task::Regression, mb::ir::Link::Identity, 0, 1, false);
  auto& lin = std::get<mb::ir::Linear>(m.estimator);
  lin.n_targets = 2;
  lin.intercepts = {0, 1};
  lin.coefficients.insert(lin.coefficients.end(), lin.coefficients.begin(), lin.coefficients.end());
  mb::Warnings w;
  CHECK_THROWS_AS(mb::pmml::write(m, w), mb::Error);
}

TEST_CASE("pmml transformations follow the PMML definitions (hand-computed)") {
  const std::string text = slurp(fs::path(MB_SOURCE_DIR) / "testdata/pmml/transformations.pmml");
  auto m = mb::pmml::read(text, "transformations.pmml");
  REQUIRE(m.schema.inputs.size() == 3);
  CHECK(m.schema.inputs[2].missing_replacement == 0.5);
  // Per row: x, g (code), w.
  struct Row {
    double x, g, w;
  };
  const Row rows[] = {{5, 0, 1}, {15, 1, 2}, {25, 2, 0}, {-3, 0, 4}, {kNaN, 1, 1}, {2, kNaN, kNaN}, {8, 2, 1}};
  auto expected = [](const Row& r) {
    // NormContinuous: piecewise linear, clamped outside [0, 20], missing -> -1.
    double nc = std::isnan(r.x) ? -1 : r.x < 0 ? 0 : r.x > 20 ? 3 : r.x < 10 ? r.x / 10 : 1 + (r.x - 10) / 10 * 2;
    // MapValues: a 1.5, b -2, other (c) the default 7, missing 9.
    double mv = std::isnan(r.g) ? 9 : r.g == 0 ? 1.5 : r.g == 1 ? -2 : 7;
    // Discretize: (-inf, 2] -> 1, [5, 8) -> 2, else the default 100; missing stays missing.
    double disc = std::isnan(r.x) ? kNaN : r.x <= 2 ? 1 : (r.x >= 5 && r.x < 8) ? 2 : 100;
    double isin = std::isnan(r.g) ? kNaN : (r.g == 0 || r.g == 2) ? 10 : 20;
    const double w = std::isnan(r.w) ? 0.5 : r.w;  // missingValueReplacement
    double safe = std::isnan(r.x) ? -5 : r.x + (w + 3) / 2;
    double cat_c = r.g == 2 ? 1 : 0;  // missing category: no term
    return 0.5 + nc + 10 * mv + 1000 * disc + 100000 * isin + 1e6 * safe + 1e7 * cat_c + 1e8 * w * w;
  };
  mb::eval::Batch b;
  b.rows = std::size(rows);
  b.columns.resize(3);
  for (const auto& r : rows) {
    b.columns[0].push_back(r.x);
    b.columns[1].push_back(r.g);
    b.columns[2].push_back(r.w);
  }
  auto p = score(m, b);
  for (size_t i = 0; i < b.rows; ++i) {
    CAPTURE(i);
    CHECK(agree(p.value[i], expected(rows[i]), 1e-14));
  }
  // And the same after a trip through PMML 4.4.
  auto back = pmml_round_trip(m, "transformations");
  auto pb = score(back, b);
  for (size_t i = 0; i < b.rows; ++i) CHECK(agree(pb.value[i], p.value[i], 1e-14));
}
