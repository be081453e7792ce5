// The agreement rule, the comparison report and the reference comparers.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "lib/compare/agreement.hpp"
#include "lib/compare/compare.hpp"
#include "lib/compare/report.hpp"
#include "lib/util/error.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::compare;
using mb::testsupport::error_of;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

ir::Target classification(std::vector<std::string> classes) {
  ir::Target t;
  t.task = ir::Task::Classification;
  t.classes = std::move(classes);
  return t;
}

}  // namespace

TEST_CASE("rule: defaults are the SPEC's") {
  Tolerance t;
  CHECK(t.rtol == 1e-9);
  CHECK(t.atol == 1e-12);
}

TEST_CASE("rule: exactly on the boundary agrees, one ulp beyond does not") {
  // Values chosen so |a-b| and atol + rtol*|b| are exact in binary floating point.
  Tolerance abs_only{0.0, 0.5};
  CHECK(agree(1.5, 1.0, abs_only));
  CHECK(agree(0.5, 1.0, abs_only));
  CHECK_FALSE(agree(std::nextafter(1.5, 2.0), 1.0, abs_only));
  Tolerance rel_only{0.25, 0.0};
  CHECK(agree(5.0, 4.0, rel_only));
  CHECK(agree(3.0, 4.0, rel_only));
  CHECK_FALSE(agree(std::nextafter(5.0, 6.0), 4.0, rel_only));
  // The reference is b: the rule is not symmetric.
  CHECK_FALSE(agree(4.0, 3.0, rel_only));  // 1 > 0.25 * 3
  CHECK(agree(3.0, 4.0, rel_only));        // 1 <= 0.25 * 4
  Tolerance both{0.25, 0.5};
  CHECK(agree(5.5, 4.0, both));  // 1.5 == 0.5 + 0.25 * 4
  CHECK_FALSE(agree(std::nextafter(5.5, 6.0), 4.0, both));
  // With the defaults, tiny numbers are held by atol.
  CHECK(agree(1e-12, 0.0, Tolerance{}));
  CHECK_FALSE(agree(2e-12, 0.0, Tolerance{}));
  CHECK(agree(1.0 + 1e-9, 1.0, Tolerance{}));
  CHECK_FALSE(agree(1.0 + 2e-9, 1.0, Tolerance{}));
}

TEST_CASE("rule: missing values and infinities") {
  Tolerance t;
  CHECK(agree(kNaN, kNaN, t));
  CHECK_FALSE(agree(kNaN, 1.0, t));
  CHECK_FALSE(agree(1.0, kNaN, t));
  CHECK(agree(kInf, kInf, t));
  CHECK(agree(-kInf, -kInf, t));
  CHECK_FALSE(agree(kInf, -kInf, t));
  CHECK_FALSE(agree(1e308, kInf, t));
  CHECK_FALSE(agree(kInf, 1e308, t));
  CHECK_FALSE(agree(kInf, kNaN, t));
  Tolerance zero{0.0, 0.0};
  CHECK(agree(0.0, -0.0, zero));
  CHECK_FALSE(agree(1e-300, 0.0, zero));
  CHECK(excess(1e-300, 0.0, zero) == kInf);
  CHECK(relative_difference(1.0, 0.0) == kInf);
  CHECK(relative_difference(0.0, 0.0) == 0.0);
  CHECK(absolute_difference(kNaN, 1.0) == kInf);
  CHECK(absolute_difference(kNaN, kNaN) == 0.0);
}

TEST_CASE("rule: labels are equal as text") {
  CHECK(labels_agree("yes", "yes"));
  CHECK_FALSE(labels_agree("yes", "Yes"));
  CHECK_FALSE(labels_agree("1", "1.0"));
}

TEST_CASE("report: counts, maxima and the worst rows in order") {
  ReportBuilder b("ours.csv", "ref.csv", Tolerance{0.0, 1.0}, 3);
  size_t v = b.add_column("prediction", "predicted", false);
  size_t c = b.add_column("class", "class", true);
  // row: (ours, ref, our label, ref label)
  struct R {
    double o, r;
    const char* lo;
    const char* lr;
  };
  std::vector<R> rows = {
      {1.0, 1.0, "a", "a"},    // 1 exact: never listed
      {1.5, 1.0, "a", "a"},    // 2 excess 0.5, agrees
      {5.0, 1.0, "a", "a"},    // 3 excess 4, beyond
      {3.0, 1.0, "a", "a"},    // 4 excess 2, beyond
      {1.0, 1.0, "a", "b"},    // 5 label mismatch: infinite
      {kNaN, kNaN, "NA", ""},  // 6 both missing: agree
      {3.0, 1.0, "a", "a"},    // 7 excess 2 again: loses the tie to row 4
      {kNaN, 2.0, "a", "a"},   // 8 missing on one side: infinite
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    b.number(v, rows[i].o, rows[i].r);
    b.label(c, rows[i].lo, rows[i].lr);
    b.end_row(i + 1, i + 2);
  }
  Report r = b.finish();
  CHECK(r.rows == 8);
  CHECK(r.rows_beyond == 5);  // 3, 4, 5, 7, 8
  CHECK_FALSE(r.agrees());
  CHECK(r.label_mismatches == 1);
  CHECK(r.missing_mismatches == 1);
  CHECK(r.max_abs == 4.0);
  CHECK(r.max_rel == 4.0);
  REQUIRE(r.columns.size() == 2);
  CHECK(r.columns[0].beyond == 4);
  CHECK(r.columns[0].max_abs_row == 3);
  CHECK(r.columns[1].beyond == 1);
  REQUIRE(r.worst.size() == 3);
  // Infinite excess first (rows 5 and 8, by row number), then row 3 (excess 4).
  CHECK(r.worst[0].row == 5);
  CHECK(r.worst[0].column == "class");
  CHECK(r.worst[0].ours == "a");
  CHECK(r.worst[0].reference == "b");
  CHECK(r.worst[1].row == 8);
  CHECK(r.worst[1].ours == "NA");
  CHECK(r.worst[1].reference == "2");
  CHECK(r.worst[2].row == 3);
  CHECK(r.worst[2].line == 4);
  CHECK(r.worst[2].abs == 4.0);
  CHECK(r.worst[2].beyond);

  ReportBuilder b2("x", "y", Tolerance{0.0, 1.0}, 10);
  b2.add_column("prediction", "prediction", false);
  for (int i = 1; i <= 4; ++i) {
    b2.number(0, 1.0 + (i == 1 ? 0.25 : i == 2 ? 0.75 : i == 3 ? 0.75 : 0.0), 1.0);
    b2.end_row(static_cast<uint64_t>(i));
  }
  Report r2 = b2.finish();
  CHECK(r2.agrees());
  REQUIRE(r2.worst.size() == 3);  // row 4 is exact
  CHECK(r2.worst[0].row == 2);
  CHECK(r2.worst[1].row == 3);
  CHECK(r2.worst[2].row == 1);
  CHECK_FALSE(r2.worst[0].beyond);
}

TEST_CASE("report: text and JSON renderings") {
  ReportBuilder b("model.rds", "expected.csv", Tolerance{}, 5);
  b.add_column("prediction", "predicted", false);
  b.number(0, 1.0, 1.0);
  b.end_row(1, 2);
  b.number(0, 2.5, 2.0);
  b.end_row(2, 3);
  b.add_note("inputs narrowed to float32");
  Report r = b.finish();
  std::string text = render_text(r);
  CHECK(text.find("compared 2 rows of model.rds against expected.csv (rtol 1e-09, atol 1e-12)") != std::string::npos);
  CHECK(text.find("rows beyond tolerance: 1") != std::string::npos);
  CHECK(text.find("row 2 (line 3)  prediction: ours 2.5, reference 2") != std::string::npos);
  CHECK(text.find("note: inputs narrowed to float32") != std::string::npos);
  CHECK(text.substr(text.size() - 15) == "result: differ\n");

  rapidjson::Document d;
  std::string json = render_json(r);
  d.Parse(json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["schema"].GetString()) == kReportSchema);
  CHECK(d["rows"].GetUint64() == 2);
  CHECK(d["rows_beyond"].GetUint64() == 1);
  CHECK(d["agree"].GetBool() == false);
  CHECK(d["max_abs"].GetDouble() == 0.5);
  CHECK(d["max_rel"].GetDouble() == 0.25);
  CHECK(d["rtol"].GetDouble() == 1e-9);
  REQUIRE(d["worst"].Size() == 1);
  CHECK(d["worst"][0]["row"].GetUint64() == 2);
  CHECK(std::string(d["worst"][0]["ours"].GetString()) == "2.5");
  CHECK(std::string(d["columns"][0]["reference"].GetString()) == "predicted");
  rapidjson::Document e;
  e.Parse(render_json(r, false).c_str());
  CHECK_FALSE(e.HasMember("schema"));
}

TEST_CASE("reference: streams a CSV with aliases and labels") {
  ir::Target t = classification({"no", "yes"});
  std::istringstream ref(
      "output_label,probabilities_0,probability(yes)\n"
      "no,0.75,0.25\n"
      "yes,0.1,0.9\n"
      "yes,NA,0.5\n"
      "no,0.5,0.5\n");
  CompareOptions opt;
  opt.aliases = common_reference_aliases(t);
  ReferenceComparer cmp(t, false, ref, "ref.csv", "model.pmml", opt);
  eval::Predictions p;
  // Two batches of two rows, misaligned with nothing in particular.
  p.rows = 2;
  p.label = {0, 1};
  p.prob = {0.75, 0.25, 0.1, 0.9 + 1e-10};
  cmp.add(p);
  p.label = {1, 1};
  p.prob = {kNaN, 0.5, 0.5, 0.5};
  cmp.add(p);
  Report r = cmp.finish();
  CHECK(r.rows == 4);
  CHECK(r.rows_beyond == 1);  // row 4: label
  CHECK(r.label_mismatches == 1);
  REQUIRE(r.columns.size() == 3);
  CHECK(r.columns[0].name == "class");
  CHECK(r.columns[0].reference_name == "output_label");
  CHECK(r.columns[1].reference_name == "probabilities_0");
  CHECK(r.columns[2].reference_name == "probability(yes)");
  CHECK(r.columns[2].max_abs == doctest::Approx(1e-10).epsilon(1e-5));
  CHECK(r.unmatched_reference.empty());
  REQUIRE(r.worst.size() == 2);
  CHECK(r.worst[0].row == 4);
  CHECK(r.worst[0].line == 5);
  CHECK(r.worst[1].row == 2);
}

TEST_CASE("reference: a reference column that matches none of ours is an error naming it") {
  ir::Target t = classification({"no", "yes"});
  std::istringstream ref("id,class,probability(no),probability(yes),probability(maybe)\n1,no,0.75,0.25,0\n");
  CHECK(error_of([&] { ReferenceComparer cmp(t, false, ref, "ref.csv", "model.pmml"); }) ==
        "ref.csv:line 1: reference columns id, probability(maybe) match none of the columns of model.pmml "
        "(class, probability(no), probability(yes)); every reference column must be compared (remove the "
        "columns or name them as ours)");
  // R's `link` column (printed by score --link) is the one reference column left uncompared
  // when ours has no link: it stays in the report.
  std::istringstream ref2("class,probability(no),probability(yes),link\nno,0.75,0.25,-1.0986\n");
  ReferenceComparer cmp(t, false, ref2, "ref.csv", "model.pmml");
  eval::Predictions p;
  p.rows = 1;
  p.label = {0};
  p.prob = {0.75, 0.25};
  cmp.add(p);
  const Report r = cmp.finish();
  CHECK(r.agrees());
  CHECK(r.unmatched_reference == std::vector<std::string>{"link"});
  // A regression reference with a link column and no --link: the same.
  ir::Target reg;
  reg.task = ir::Task::Regression;
  std::istringstream ref3("prediction,link\n2.5,0.9\n");
  CHECK_NOTHROW(ReferenceComparer(reg, false, ref3, "ref.csv", "model.onnx"));
}

TEST_CASE("reference: errors name both files and counts") {
  ir::Target reg;
  eval::Predictions p;
  p.rows = 2;
  p.value = {1, 2};
  CHECK(error_of([&] {
          std::istringstream ref("prediction\n1\n2\n3\n");
          ReferenceComparer cmp(reg, false, ref, "ref.csv", "out.csv");
          cmp.add(p);
          cmp.finish();
        }) == "ref.csv: the reference has 3 data rows but out.csv has 2");
  CHECK(error_of([&] {
          std::istringstream ref("prediction\n1\n");
          ReferenceComparer cmp(reg, false, ref, "ref.csv", "out.csv");
          cmp.add(p);
          cmp.add(p);
          cmp.finish();
        }) == "ref.csv: the reference has 1 data row but out.csv has 4");
  CHECK(error_of([&] {
          std::istringstream ref("y,yhat\n1,2\n");
          ReferenceComparer cmp(reg, true, ref, "ref.csv", "out.csv");
        }) ==
        "ref.csv:line 1: no column matches the predictions of out.csv (expected prediction, "
        "link; the reference has y, yhat)");
  CHECK(error_of([&] {
          std::istringstream ref("variable\n1\n2x\n");
          CompareOptions opt;
          opt.aliases = {{"variable", "prediction"}};
          ReferenceComparer cmp(reg, false, ref, "ref.csv", "out.csv", opt);
          cmp.add(p);
          cmp.finish();
        }) == "ref.csv:line 3: column 'variable': '2x' is not a number");
}

TEST_CASE("predictions: source against converted") {
  ir::Target reg;
  eval::Predictions a, b;
  a.rows = b.rows = 3;
  a.value = {1.0, 2.0, kNaN};
  b.value = {1.0, 2.0 + 1e-6, kNaN};
  a.link = {0.0, 0.5, kNaN};
  b.link = {0.0, 0.5, kNaN};
  Report r = compare_predictions(reg, a, b, "model.rds", "model.onnx");
  CHECK(r.rows == 3);
  CHECK(r.rows_beyond == 1);
  REQUIRE(r.columns.size() == 2);
  CHECK(r.columns[1].name == "link");
  CHECK(r.worst.size() == 1);
  CHECK(r.worst[0].row == 2);

  ir::Target km;
  km.task = ir::Task::Clustering;
  eval::Predictions c, d;
  c.rows = d.rows = 2;
  c.label = {0, 2};
  d.label = {0, 1};
  Report r2 = compare_predictions(km, c, d, "a", "b");
  CHECK(r2.label_mismatches == 1);
  REQUIRE(r2.worst.size() == 1);
  CHECK(r2.worst[0].ours == "3");  // 1-based cluster numbers without names
  CHECK(r2.worst[0].reference == "2");
}

// onnxruntime's probabilities with double inputs against those with float32 inputs: a real
// float32 cost the report must measure.  The expected numbers are computed here independently.
TEST_CASE("reference: onnxruntime float32-input predictions against double") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(MB_SHARED_DIR) / "corpus/onnx/negative/logreg_binary_breast_cancer_f64_zipmap";
  if (!mb::testsupport::have_shared(dir / "expected.csv")) return;
  auto load = [](const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    std::vector<std::vector<double>> rows;
    while (std::getline(in, line)) {
      std::vector<double> row;
      std::stringstream ss(line);
      std::string cell;
      while (std::getline(ss, cell, ',')) row.push_back(std::strtod(cell.c_str(), nullptr));
      rows.push_back(row);
    }
    return rows;
  };
  auto ours = load(dir / "expected_f32in.csv");
  auto ref = load(dir / "expected.csv");
  REQUIRE(ours.size() == ref.size());
  ir::Target t = classification({"0", "1"});
  eval::Predictions p;
  p.rows = ours.size();
  double max_abs = 0;
  size_t beyond = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    p.label.push_back(static_cast<int32_t>(ours[i][0]));
    p.prob.push_back(ours[i][1]);
    p.prob.push_back(ours[i][2]);
    bool row_beyond = false;
    for (int j = 1; j <= 2; ++j) {
      double d = std::fabs(ours[i][j] - ref[i][j]);
      max_abs = std::max(max_abs, d);
      row_beyond = row_beyond || d > 1e-12 + 1e-9 * std::fabs(ref[i][j]);
    }
    row_beyond = row_beyond || ours[i][0] != ref[i][0];
    beyond += row_beyond;
  }
  std::ifstream in(dir / "expected.csv");
  CompareOptions opt;
  opt.aliases = common_reference_aliases(t);
  ReferenceComparer cmp(t, false, in, "expected.csv", "expected_f32in.csv", opt);
  cmp.add(p);
  Report r = cmp.finish();
  CHECK(r.rows == ours.size());
  CHECK(r.rows_beyond == beyond);
  CHECK(beyond > 0);
  CHECK(r.max_abs == max_abs);
  CHECK(r.columns.size() == 3);

  // The same through the CSV-against-CSV comparer.
  std::ifstream a(dir / "expected_f32in.csv"), b(dir / "expected.csv");
  Report rc = compare_csv(a, "expected_f32in.csv", b, "expected.csv");
  CHECK(rc.rows == ours.size());
  CHECK(rc.rows_beyond == beyond);
  CHECK(rc.max_abs == max_abs);
}

TEST_CASE("csv against csv: columns by name or alias, numbers and labels") {
  std::istringstream ours(
      "class,probability(a),probability(b),code\n"
      "x,0.5,0.5,1\n"
      "y,0.2,0.8,2\n"
      "x,NA,1,3\n");
  std::istringstream ref(
      "output_label,probability(a),probability(b),code\n"
      "x,0.5,0.5000001,1.0\n"
      "z,0.2,0.8,2\n"
      "x,,1,3\n");
  CompareOptions opt;
  opt.aliases = {{"output_label", "class"}};
  Report r = compare_csv(ours, "out.csv", ref, "ref.csv", opt);
  CHECK(r.rows == 3);
  CHECK(r.rows_beyond == 2);
  CHECK(r.label_mismatches == 1);
  REQUIRE(r.columns.size() == 4);
  CHECK(r.columns[0].name == "class");
  CHECK(r.columns[0].label);
  CHECK(r.columns[0].reference_name == "output_label");
  CHECK_FALSE(r.columns[3].label);  // "1" and "1.0" compare as numbers
  CHECK(r.columns[3].beyond == 0);
  CHECK(r.columns[2].beyond == 1);
  CHECK(r.unmatched_reference.empty());
  std::istringstream o3("class\nx\n"), r3("extra,output_label\ne,x\n");
  CHECK(error_of([&] { compare_csv(o3, "out.csv", r3, "ref.csv", opt); }) ==
        "ref.csv:line 1: reference column extra matches none of the columns of out.csv (class); every "
        "reference column must be compared (remove the column or name it as ours)");
  REQUIRE(r.worst.size() == 2);
  CHECK(r.worst[0].row == 2);
  CHECK(r.worst[0].line == 3);
  CHECK(r.worst[1].row == 1);

  std::istringstream o2("prediction\n1\n2\n"), r2("prediction\n1\n");
  CHECK(error_of([&] { compare_csv(o2, "out.csv", r2, "ref.csv"); }) ==
        "ref.csv: the reference has 1 data row but out.csv has 2");
}
