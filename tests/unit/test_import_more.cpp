// nnet, multinom, e1071 svm and naiveBayes, kmeans and glmnet objects fitted by R
// (testdata/r/<case>/, written by generate_more.R), read from the exact JSON and the .rds file,
// imported, scored through the data layer and compared with R's own predict() output
// (expected.csv) by the agreement rule |a - b| <= 1e-12 + 1e-9 |b|, labels equal.  When the
// shared corpus is present, the jpmml-r R models of these classes are scored against their
// producers' expected CSVs too (pass counts reported, not asserted).
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <tuple>

#include "formats/r/importers/import.hpp"
#include "formats/r/importers/smooth.hpp"
#include "formats/r/serial/rds_reader.hpp"
#include "formats/registry.hpp"
#include "lib/canon/canonical.hpp"
#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/diff/structural.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = r_testdata_dir();

std::vector<std::string> more_cases() {
  return r_case_names(kRoot, {"nnet.formula", "multinom", "svm.formula", "naiveBayes", "kmeans", "elnet", "lognet",
                              "multnet", "fishnet"});
}

}  // namespace

TEST_CASE("nnet, multinom, svm, naiveBayes, kmeans and glmnet from R agree with R's predict()") {
  const auto cases = more_cases();
  REQUIRE_MESSAGE(!cases.empty(), "testdata/r has no cases of these classes");
  CHECK(cases.size() >= 24);
  for (const auto& name : cases) {
    for (const char* file : {"model_exact.json", "model.rds"}) {
      const RCaseResult r = run_r_testdata_case(name, file);
      if (!r.ran) continue;
      const std::string label = name + "/" + file;
      MESSAGE(label << ": " << summary(r));
      CHECK_MESSAGE(r.error.empty(), label << ": " << r.error);
      if (!r.error.empty()) continue;
      CHECK_MESSAGE(report_agrees(r.report), label << ": " << compare::render_text(r.report));
    }
  }
}

TEST_CASE("15-digit JSON of these classes: no more rows move than meta.json records") {
  for (const auto& name : more_cases()) {
    const RCaseResult r = run_r_testdata_case(name, "model.json");
    if (!r.ran) continue;
    const std::string label = name + "/model.json";
    REQUIRE_MESSAGE(r.error.empty(), label << ": " << r.error);
    const int changed = json15_rows_changed(kRoot / name);
    REQUIRE_MESSAGE(changed >= 0, label << ": meta.json has no json15_rows_changed");
    MESSAGE(label << ": " << summary(r) << " (R: " << changed << " row(s) change)");
    CHECK(r.report.label_mismatches == 0);
    CHECK(r.report.rows_beyond <= static_cast<uint64_t>(changed));
  }
}

#ifdef MB_HAVE_RJSON
namespace {
r::RPtr load_exact(const std::string& name, Warnings& w) {
  const fs::path p = kRoot / name / "model_exact.json";
  if (!fs::exists(p)) return nullptr;
  return r::read_rjson(slurp(p), p.string(), w);
}
r::RObject* member(r::RObject& obj, const std::string& name) { return const_cast<r::RObject*>(obj.get(name)); }
}  // namespace

TEST_CASE("glmnet: the default import names the lambda it chose") {
  Warnings w;
  r::RPtr obj = load_exact("glmnet_lognet", w);
  if (!obj) return;
  ir::Model m = r::import_model(*obj, "glmnet_lognet", w);
  bool named = false;
  for (auto& x : m.provenance.warnings)
    named |= x.code == "glmnet-lambda" && x.message.find("last") != std::string::npos;
  CHECK(named);
  // The last lambda is the path's last column: coefficients equal that column of $beta.
  const double s_last = obj->get("lambda")->reals.back();
  ir::Model at_s = r::import_glmnet(*obj, "glmnet_lognet", s_last);
  CHECK(std::get<ir::Linear>(at_s.estimator) == std::get<ir::Linear>(m.estimator));
  CHECK(m.schema.target.classes == std::vector<std::string>{"control", "case"});
  CHECK_THROWS_AS(r::import_glmnet(*obj, "glmnet_lognet", -1.0), Error);
}

TEST_CASE("malformed nnet, svm and naiveBayes objects are refused with their R path") {
  Warnings w;
  if (r::RPtr nnet = load_exact("nnet_regression_skip", w)) {
    member(*nnet, "conn")->reals[0] = 99;  // a unit reading a later unit
    try {
      r::import_model(*nnet, "n", w);
      FAIL("accepted a connection from a later unit");
    } catch (const Error& e) {
      CHECK(e.place() == "$conn[0]");
    }
  }
  if (r::RPtr svm = load_exact("svm_class_radial", w)) {
    member(*svm, "nSV")->ints[0] += 1;
    CHECK_THROWS_AS(r::import_model(*svm, "s", w), Error);
  }
  if (r::RPtr svm = load_exact("svm_class_binary_factor", w)) {  // levels lost to make.names()
    CHECK_THROWS_WITH_AS(r::import_model(*svm, "s", w), doctest::Contains("no factor levels"), Error);
  }
  if (r::RPtr svm = load_exact("svm_eps_regression", w)) {
    member(*svm, "type")->reals[0] = 5;  // libsvm has types 0 to 4
    CHECK_THROWS_WITH_AS(r::import_model(*svm, "s", w), doctest::Contains("unknown svm type 5"), Error);
  }
  if (r::RPtr nb = load_exact("naivebayes_mixed", w)) {
    member(*nb, "levels")->strings.pop_back();
    CHECK_THROWS_AS(r::import_model(*nb, "b", w), Error);
  }
}
#endif

TEST_CASE("scorers refuse inconsistent estimators instead of reading out of range") {
  ir::Model m;
  ir::InputField x;
  x.name = "x";
  m.schema.inputs.push_back(x);
  m.features.push_back({"x", ir::Expr::input(0)});
  ir::Mlp mlp;
  ir::Mlp::Layer layer;
  layer.n_units = 1;
  layer.weights = {1.0, 2.0};  // two weights for one input
  layer.biases = {0.0};
  mlp.layers.push_back(layer);
  m.estimator = mlp;
  CHECK_THROWS_AS(eval::Evaluator{m}, Error);
  ir::Svm svm;
  svm.n_sv = 2;
  svm.support_vectors = {1.0};
  svm.coefficients = {1.0, 1.0};
  svm.rho = {0};
  m.estimator = svm;
  CHECK_THROWS_AS(eval::Evaluator{m}, Error);
  ir::NaiveBayes nb;
  nb.log_prior = {0, 0};
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = {"a", "b"};
  nb.gaussian = {0};
  nb.table_offset = {0};
  nb.table_levels = {3};
  nb.mean = nb.sd = {0, 0};
  nb.table = {0.5, 0.5};  // needs 2 x 3
  m.estimator = nb;
  CHECK_THROWS_AS(eval::Evaluator{m}, Error);
}

// ------------------------------------------------------------------------------------------
// jpmml-r corpus (R models with R's predictions written by the producer's scripts).
// ------------------------------------------------------------------------------------------
TEST_CASE("jpmml-r corpus: models of these classes against the producer's expected predictions") {
  const fs::path base =
      fs::path(MB_SHARED_DIR) / "corpus" / "pmml" / "jpmml-r" / "pmml-rexp" / "src" / "test" / "resources";
  if (!have_shared(base / "rds")) return;
  const std::vector<std::string> names = {"KMeansIris",
                                          "LibSVMAuto",
                                          "LibSVMIris",
                                          "LibSVMFormulaAuto",
                                          "LibSVMFormulaIris",
                                          "LibSVMFormulaAudit",
                                          "MultinomAudit",
                                          "MultinomIris",
                                          "NNetFormulaAudit",
                                          "NNetFormulaAuto",
                                          "NNetFormulaIris",
                                          "NaiveBayesAudit",
                                          "NaiveBayesIris",
                                          "NaiveBayesFormulaAudit",
                                          "NaiveBayesFormulaIris",
                                          "ElNetAuto",
                                          "ElNetWineQuality",
                                          "LogNetWineColor",
                                          "MultNetIris",
                                          "MultNetWineColor",
                                          "FishNetVisit",
                                          "CrossValElNetWineQuality",
                                          "CrossValLogNetVersicolor",
                                          "CrossValLogNetWineColor"};
  const std::vector<std::string> datasets = {"Versicolor", "WineQuality", "WineColor", "Iris",
                                             "Auto",       "Audit",       "Visit"};
  int passed = 0, ran = 0;
  std::string failures;
  for (const auto& name : names) {
    const fs::path rds = base / "rds" / (name + ".rds"), expected = base / "csv" / (name + ".csv");
    std::string dataset;
    for (const auto& d : datasets)
      if (name.size() >= d.size() && name.compare(name.size() - d.size(), d.size(), d) == 0) {
        dataset = d;
        break;
      }
    if (!fs::exists(rds) || !fs::exists(expected) || dataset.empty()) continue;
    ++ran;
    std::string outcome;
    try {
      Warnings w;
      r::RPtr obj = read_r_object(rds, w);
      if (!obj) {
        --ran;
        continue;
      }
      ir::Model m = r::import_model(*obj, rds.string(), w);
      // The producer names the predicted value `_target` or after the response.
      compare::CompareOptions opt;
      const std::string ours = m.schema.target.task == ir::Task::Regression ? "prediction" : "class";
      opt.aliases["_target"] = ours;
      if (!m.schema.target.name.empty()) opt.aliases[m.schema.target.name] = ours;
      for (const char* t : {"Species", "mpg", "Adjusted", "docvis", "quality", "color"}) opt.aliases.emplace(t, ours);
      const compare::Report rep = score_against(m, base / "csv" / (dataset + ".csv"), expected, opt);
      if (report_agrees(rep)) {
        ++passed;
        outcome = "ok";
      } else {
        outcome = fmt::format("{} of {} rows beyond tolerance, {} label mismatches, max |diff| {}", rep.rows_beyond,
                              rep.rows, rep.label_mismatches, rep.max_abs);
      }
      outcome += fmt::format(" ({} rows)", rep.rows);
    } catch (const std::exception& e) {
      outcome = std::string("error: ") + e.what();
    }
    MESSAGE("jpmml-r " << name << ": " << outcome);
    if (outcome.rfind("ok", 0) != 0) failures += "\n  " + name + ": " + outcome;
  }
  MESSAGE("jpmml-r corpus (nnet, multinom, svm, naiveBayes, kmeans, glmnet): " << passed << " of " << ran << " agree"
                                                                               << failures);
  CHECK(ran > 0);
}

// caret preprocessing that is not a fixed per-column map (knnImpute, bagImpute, pca) is refused,
// naming the method (objects fitted by testdata/r/generate_caret.R).
TEST_CASE("caret train: knnImpute, bagImpute and pca are refused by name") {
  for (const std::string how : {"knnImpute", "bagImpute", "pca"})
    expect_refused_fixture("caret_" + how, "$preProcess$method$" + how,
                           "unsupported caret preProcess method '" + how + "'");
}

// caret methods outside the supported families (knn) and pls for classification (caret's own
// plsda) are refused as Unsupported, naming the method (generate_caret.R).
TEST_CASE("caret train: knn and plsda methods are refused by name") {
  expect_refused_fixture("caret_method_knn", "", "unsupported caret method 'knn'");
  expect_refused_fixture("caret_method_plsda", "", "unsupported caret method 'pls' for classification");
}

// A caret glmnet whose final model lacks lambdaOpt, or holds one other than bestTune's lambda, is
// refused: importing it at glmnet's default penalty would silently answer for another model.
TEST_CASE("caret train: glmnet without bestTune's lambdaOpt is refused") {
  expect_refused_fixture("caret_glmnet_no_lambdaopt", "$finalModel", "without $lambdaOpt", ErrorKind::InvalidInput);
  expect_refused_fixture("caret_glmnet_other_lambdaopt", "$finalModel$lambdaOpt", "differs from bestTune's lambda",
                         ErrorKind::InvalidInput);
}

namespace {}  // namespace

TEST_CASE("caret train objects from R agree with caret's predict()") {
  const auto cases = r_case_names(kRoot, {"train"});
  CHECK(cases.size() >= 45);
  check_r_testdata_cases(cases);
}

// kernlab ksvm (testdata/r/generate_kernlab.R): every case's .rds agrees with kernlab's
// predict(); its JSON, which has lost the kernel function's class and parameters, is refused.
TEST_CASE("kernlab ksvm objects from R agree with kernlab's predict()") {
  const auto cases = r_case_names(kRoot, {"ksvm"});
  CHECK(cases.size() >= 8);
  for (const auto& name : cases) CHECK_MESSAGE(r_case_json_refused(name), name << ": case.json lacks json_refused");
  check_r_testdata_cases(cases);
}

// What kernlab's ksvm holds and the IR does not reproduce is refused by name, at its slot
// (objects fitted by testdata/r/generate_kernlab.R and generate_caret.R).
TEST_CASE("kernlab ksvm: other kernels and types are refused by name") {
  expect_refused_fixture("ksvm_laplacedot", "@kernelf", "unsupported kernlab kernel 'laplacedot'");
  expect_refused_fixture("ksvm_spoc_svc", "@type", "unsupported ksvm type 'spoc-svc'");
  expect_refused_fixture("ksvm_one_svc", "@type", "unsupported ksvm type 'one-svc'");
}

// kernlab's probability model (prob.model = TRUE; caret's classProbs = TRUE): held as kernlab's
// coupling (the cases' predictions are judged against R above); an edited sigmoid is seen by
// diff and hash, and a malformed @prob.model is refused at its slot.
TEST_CASE("kernlab ksvm: the probability model is held, diffed and hashed") {
  const ir::Model m = formats::load_model((kRoot / "ksvm_csvc_rbf_probs" / "model.rds").string(), std::nullopt);
  const auto& s = std::get<ir::Svm>(m.estimator);
  CHECK(s.coupling == ir::SvmCoupling::Kernlab);
  CHECK(s.prob_a.size() == 3);
  const ir::Model c = formats::load_model((kRoot / "caret_svmradial_probs_class" / "model.rds").string(), std::nullopt);
  CHECK(std::get<ir::Svm>(c.estimator).coupling == ir::SvmCoupling::KernlabCaret);

  ir::Model edited = m;
  std::get<ir::Svm>(edited.estimator).prob_b[1] += 0.25;
  CHECK(canon::model_hash(edited) != canon::model_hash(m));
  auto ch = diff::structural_diff(m, edited);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].what == "prob_b[1]");
  CHECK(ch[0].abs == doctest::Approx(0.25));
  ir::Model other = m;
  std::get<ir::Svm>(other.estimator).coupling = ir::SvmCoupling::Libsvm;
  CHECK(canon::model_hash(other) != canon::model_hash(m));
  ch = diff::structural_diff(m, other);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].what == "probability coupling");

  // One pair's list(A, B) dropped, or a B that is not a number: refused at @prob.model.
  const std::string path = (kRoot / "ksvm_csvc_rbf_probs" / "model.rds").string();
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const r::RPtr root = r::read_rds(bytes.str(), path);
  r::RPtr pm;
  for (auto& [name, value] : root->attributes)
    if (name == "prob.model") pm = value;
  REQUIRE(pm);
  const r::RPtr last = pm->elements.back();
  pm->elements.pop_back();
  try {
    (void)r::import_ksvm(*root, path, {});
    FAIL("imported");
  } catch (const Error& e) {
    CHECK(e.place() == "@prob.model");
    CHECK_MESSAGE(e.message().find("one list(A, B) per pair") != std::string::npos, e.message());
  }
  pm->elements.push_back(last);
  for (size_t i = 0; i < last->elements.size(); ++i)
    if (last->names()[i] == "B") {
      auto nan = std::make_shared<r::RObject>();
      nan->type = r::RType::Double;
      nan->reals = {std::nan("")};
      last->elements[i] = nan;
    }
  try {
    (void)r::import_ksvm(*root, path, {});
    FAIL("imported");
  } catch (const Error& e) {
    CHECK(e.place() == "@prob.model[[3]]$B");
    CHECK_MESSAGE(e.message().find("finite sigmoid offset") != std::string::npos, e.message());
  }
}
