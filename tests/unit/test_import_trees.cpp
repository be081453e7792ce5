// rpart, randomForest, ranger and gbm objects fitted by R (testdata/r/<case>/), read from the
// exact JSON (17 digits), the .rds file and the 15-digit JSON, imported, scored through the data
// layer and compared with R's own predict() output (expected.csv) by the agreement rule
// |a - b| <= 1e-12 + 1e-9 |b|, labels equal.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <sstream>

#include "formats/r/importers/trees.hpp"
#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = r_testdata_dir();

// Reads and imports `file` of case `c` and scores it against R's predict().
RCaseResult run(const RTreeCase& c, const std::string& file) { return run_r_case(kRoot / c.name, file, c.import); }

}  // namespace

TEST_CASE("tree models from R agree with R's predict() (exact JSON and rds)") {
  REQUIRE_MESSAGE(!r_tree_cases().empty(), "testdata/r has no tree cases");
  for (const auto& c : r_tree_cases()) {
    for (const char* file : {"model_exact.json", "model.rds"}) {
      const RCaseResult r = run(c, file);
      if (!r.ran) continue;
      const std::string label = std::string(c.name) + "/" + file;
      MESSAGE(label << ": " << summary(r));
      CHECK_MESSAGE(r.error.empty(), label << ": " << r.error);
      if (!r.error.empty()) continue;
      CHECK_MESSAGE(r.report.rows > 0, label << ": no rows compared");
      CHECK_MESSAGE(r.report.agrees(), label << ": " << compare::render_text(r.report));
      CHECK(r.report.missing_mismatches == 0);
    }
  }
}

TEST_CASE("15-digit JSON: trees agree except where meta.json documents a flipped split") {
  REQUIRE(fs::is_directory(kRoot / "rpart_anova"));
  bool saw_flip = false;
  int checked = 0;
  for (const auto& c : r_tree_cases()) {
    // Only the generators that score the 15-digit file in R record how many rows it changes.
    const int changed = json15_rows_changed(kRoot / c.name);
    if (changed < 0) {
      MESSAGE(c.name << ": meta.json records no json15_rows_changed, 15-digit JSON not checked");
      continue;
    }
    const RCaseResult r = run(c, "model.json");
    if (!r.ran) continue;
    ++checked;
    const std::string label = std::string(c.name) + "/model.json";
    REQUIRE_MESSAGE(r.error.empty(), label << ": " << r.error);
    MESSAGE(label << ": " << summary(r) << " (meta.json: " << changed << " row(s) change)");
    CHECK_MESSAGE(r.report.rows_beyond == static_cast<uint64_t>(changed),
                  label << ": " << compare::render_text(r.report));
    saw_flip |= changed > 0;
  }
  CHECK(checked >= 20);
  // The documented flip must be there: rf_class_json15_flip changes under 15 digits only.
  if (fs::exists(kRoot / "rf_class_json15_flip" / "model.json")) CHECK(saw_flip);
}

TEST_CASE("ranger and randomForest refuse factors whose levels the object does not keep") {
  REQUIRE(fs::is_directory(kRoot / "ranger_class_partition"));
  auto expect_error_naming = [](const char* name, const Importer& imp, const std::string& variable) {
    Warnings w;
    const fs::path p = kRoot / name / "model_exact.json";
    r::RPtr obj = read_r_object(p, w);
    if (!obj) return;
    try {
      imp(*obj, p.string());
      FAIL_CHECK(name << ": imported without the levels of " << variable);
    } catch (const Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find("'" + variable + "'") != std::string::npos, e.what());
    }
  };
  expect_error_naming("ranger_class_partition", ranger_with({}), "education");
  expect_error_naming("rf_regression_ordered", forest_with({}), "agegp");
  // A hint that contradicts the stored levels is refused.
  expect_error_naming("ranger_prob_order", ranger_with({{"education", {"a", "b", "c"}}}), "education");
}

TEST_CASE("ranger without stored levels warns about the variables whose splits could be factor codes") {
  REQUIRE(fs::is_directory(kRoot / "ranger_class_ignore_factor"));
  auto warning_of = [](const char* name, const Importer& imp) -> std::string {
    Warnings w;
    const fs::path p = kRoot / name / "model_exact.json";
    r::RPtr obj = read_r_object(p, w);
    if (!obj) return "(not read)";
    const ir::Model m = imp(*obj, p.string());
    for (const auto& x : m.provenance.warnings)
      if (x.code == "ranger-levels-unknown") return x.message;
    return "";
  };
  // education is a factor R split on by its codes; age and parity are whole numbers: the object
  // cannot tell them apart.  The real-valued iris measurements are numbers.
  const std::string w = warning_of("ranger_class_ignore_factor", ranger_with({}));
  CHECK_MESSAGE(w.find("education, age, parity are read as numbers") != std::string::npos, w);
  CHECK_MESSAGE(w.find("induced") == std::string::npos, w);  // never split on in this forest
  CHECK(warning_of("ranger_class", ranger_with({})).empty());
  // Levels given for a variable: the caller has said which variables are factors.
  CHECK(
      warning_of("ranger_class_ignore_factor", ranger_with({{"education", {"0-5yrs", "6-11yrs", "12+ yrs"}}})).empty());
}

#ifdef MB_HAVE_RJSON
TEST_CASE("imported trees carry their interface and provenance") {
  REQUIRE(fs::is_directory(kRoot / "rpart_class_factor"));
  auto load = [](const char* name, const Importer& imp) {
    Warnings w;
    const fs::path p = kRoot / name / "model_exact.json";
    return imp(*r::read_rjson(slurp(p), p.string(), w), p.string());
  };
  {
    ir::Model m = load("rpart_class_factor", r::import_rpart);
    CHECK(m.provenance.source_class == "rpart");
    CHECK(m.provenance.family == "rpart classification");
    CHECK(m.schema.target.classes == std::vector<std::string>{"no case", "case"});
    const int edu = m.schema.find_input("education");
    REQUIRE(edu >= 0);
    CHECK(m.schema.inputs[edu].levels == std::vector<std::string>{"0-5yrs", "6-11yrs", "12+ yrs"});
    const auto& t = std::get<ir::TreeEnsemble>(m.estimator);
    REQUIRE(t.trees.size() == 1);
    CHECK(!t.trees[0].sur_feature.empty());
    CHECK(t.trees[0].missing[0] == ir::MissingGo::Majority);
  }
  {
    ir::Model m = load("rpart_anova_nosurrogate", r::import_rpart);
    const auto& t = std::get<ir::TreeEnsemble>(m.estimator);
    CHECK(t.trees[0].sur_feature.empty());
    CHECK(t.trees[0].missing[0] == ir::MissingGo::StopHere);
  }
  {
    ir::Model m = load("gbm_bernoulli", r::import_gbm);
    const auto& t = std::get<ir::TreeEnsemble>(m.estimator);
    CHECK(m.schema.target.classes == std::vector<std::string>{"0", "1"});
    CHECK(t.link == ir::Link::Logit);
    CHECK(t.base.size() == 1);
    CHECK(m.provenance.family == "gbm bernoulli");
  }
  {
    ir::Model m = load("ranger_prob_order", ranger_with({}));
    CHECK(m.provenance.family == "ranger probability estimation");
    CHECK(m.schema.target.classes == std::vector<std::string>{"no case", "case"});
    CHECK(m.schema.inputs[0].is_categorical());
  }
  {
    ir::Model m = load("rf_class", forest_with({}));
    const auto& t = std::get<ir::TreeEnsemble>(m.estimator);
    CHECK(m.provenance.family == "random forest classification");
    CHECK(t.aggregate == ir::Aggregate::Vote);
  }
}
#endif

// The tree semantics the R importers rely on, on a hand-built tree: a two-sided category set
// (codes on neither side behave like a missing value), surrogates tried in order (one without a
// direction is skipped), then the majority rule (a tie stops at the node) or a missing child.
TEST_CASE("tree evaluator: two-sided sets, surrogates, majority and missing children") {
  auto build = [](ir::MissingGo go, double count_left, double count_right) {
    ir::Model m;
    ir::InputField c;
    c.name = "c";
    c.kind = ir::FieldKind::Categorical;
    c.levels = {"a", "b", "c", "d"};
    ir::InputField x;
    x.name = "x";
    m.schema.inputs = {c, x};
    m.features = {{"c", ir::Expr::input(0)}, {"x", ir::Expr::input(1)}};
    ir::Tree t;
    // node 0: c in {a} -> left, c in {b} -> right, c, d: no direction; node 3 is the missing child.
    t.op = {ir::SplitOp::InSet, ir::SplitOp::Leaf, ir::SplitOp::Leaf, ir::SplitOp::Leaf};
    t.feature = {0, -1, -1, -1};
    t.threshold = {0, 0, 0, 0};
    t.left = {1, -1, -1, -1};
    t.right = {2, -1, -1, -1};
    t.missing = {go, go, go, go};
    t.missing_child = {3, -1, -1, -1};
    t.sets = {0, 1, 2};
    t.set_side = {1, 0, 1};
    t.set_offset = {0, 0, 0, 0};
    t.set_size = {2, 0, 0, 0};
    // Surrogates of node 0: c in {c} (true side left; a, b, d: no direction), then x < 5 flipped.
    t.sur_offset = {0, 0, 0, 0};
    t.sur_size = {go == ir::MissingGo::Node ? 0 : 2, 0, 0, 0};
    t.sur_feature = {0, 1};
    t.sur_op = {ir::SplitOp::InSet, ir::SplitOp::LessThan};
    t.sur_threshold = {0, 5};
    t.sur_set_offset = {2, 0};
    t.sur_set_size = {1, 0};
    t.sur_flip = {0, 1};
    t.count = {30, count_left, count_right, 0};
    t.values = {0, 1, 2, 3};
    ir::TreeEnsemble e;
    e.trees.push_back(std::move(t));
    m.estimator = std::move(e);
    ir::validate(m, "test");
    return m;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto score = [&](const ir::Model& m, std::vector<double> c, std::vector<double> x) {
    eval::Batch b;
    b.rows = c.size();
    b.columns = {std::move(c), std::move(x)};
    eval::Evaluator ev(m);
    eval::Predictions p;
    ev.score(b, p);
    return p.value;
  };
  const std::vector<double> c = {0, 1, 2, 3, 3, 3, nan, nan};
  const std::vector<double> x = {9, 9, 9, 3, 7, nan, 7, nan};
  // a -> left; b -> right; c: no direction, first surrogate says left; d: first surrogate has no
  // direction, second (x < 5, flipped) decides: x 3 -> right, x 7 -> left; d with x missing and
  // missing c: the majority rule (right has more records).
  CHECK(score(build(ir::MissingGo::Majority, 10, 20), c, x) == std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2});
  // A tie in the majority rule stops at the node.
  CHECK(score(build(ir::MissingGo::Majority, 15, 15), c, x) == std::vector<double>{1, 2, 1, 2, 1, 0, 1, 0});
  // Without surrogates, no direction and missing both go to the missing child (gbm).
  CHECK(score(build(ir::MissingGo::Node, 0, 0), c, x) == std::vector<double>{1, 2, 3, 3, 3, 3, 3, 3});
}
