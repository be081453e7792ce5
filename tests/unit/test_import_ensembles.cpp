// suite: interop
// Ensembles R packages ship and the jpmml-r corpus holds: adabag bagging and boosting, ada, and
// LightGBM boosters.  The corpus .rds objects are imported, scored through the data layer and
// compared with the R predictions the corpus producer wrote (R's predict()) by the agreement rule
// of lib/compare (|a - b| <= 1e-12 + 1e-9 |b|, labels equal); written as ONNX they are scored by
// onnxruntime and as PMML read back, against the same R predictions.  Without the shared corpus beside
// the repository the tests skip (loudly; CI=true makes that a failure).
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>

#include "formats/r/importers/import.hpp"
#include "formats/registry.hpp"
#include "lib/compare/compare.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/errors.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRexp = shared_dir() / "corpus/pmml/jpmml-r/pmml-rexp/src/test/resources";
const fs::path kLgb = shared_dir() / "corpus/pmml/jpmml-r/pmml-rexp-lightgbm/src/test/resources";

// R's predictions for `name` (the corpus's csv/<name>.csv) on csv/<dataset>.csv.
compare::Report against_r(const ir::Model& m, const fs::path& base, const std::string& name,
                          const std::string& dataset) {
  compare::CompareOptions opt;
  const std::string ours = m.schema.target.task == ir::Task::Regression ? "prediction" : "class";
  opt.aliases["_target"] = ours;
  opt.aliases[m.schema.target.name] = ours;
  return score_against(m, base / "csv" / (dataset + ".csv"), base / "csv" / (name + ".csv"), opt);
}

bool has_warning(const ir::Model& m, const std::string& code) {
  return std::any_of(m.provenance.warnings.begin(), m.provenance.warnings.end(),
                     [&](const Warning& w) { return w.code == code; });
}

r::RObject* member(r::RObject& o, const std::string& name) { return const_cast<r::RObject*>(o.get(name)); }
r::RObject* attribute(r::RObject& o, const std::string& name) { return const_cast<r::RObject*>(o.attr(name)); }

}  // namespace

TEST_CASE("adabag bagging and boosting agree with predict.bagging / predict.boosting") {
  if (!have_shared(kRexp / "rds")) return;
  struct Case {
    const char* name;
    const char* dataset;
    const char* r_class;
    size_t trees;
  };
  for (const Case c : {Case{"BaggingIris", "Iris", "bagging", 7}, Case{"BaggingAudit", "Audit", "bagging", 101},
                       Case{"BoostingIris", "Iris", "boosting", 7}, Case{"BoostingAudit", "Audit", "boosting", 31}}) {
    CAPTURE(c.name);
    const r::RPtr obj = load_corpus_rds(kRexp, c.name);
    Warnings w;
    const ir::Model m = r::import_model(*obj, c.name, w);
    CHECK(m.provenance.source_class == c.r_class);
    const auto& te = std::get<ir::TreeEnsemble>(m.estimator);
    CHECK(te.trees.size() == c.trees);
    CHECK(te.aggregate == ir::Aggregate::Vote);
    CHECK(te.tree_weights.size() == (std::string(c.r_class) == "boosting" ? c.trees : 0));
    // The training counts (@vardep.summary) do not increase along the levels: ties go as adabag's.
    CHECK_FALSE(has_warning(m, "vote-ties"));
    const compare::Report rep = against_r(m, kRexp, c.name, c.dataset);
    CHECK_MESSAGE(report_agrees(rep), rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance, "
                                                      << rep.label_mismatches << " label mismatches");
  }
}

TEST_CASE("adabag: vote ties, weights and trees that do not fit are named") {
  if (!have_shared(kRexp / "rds")) return;
  SUBCASE("training counts that increase along the levels: adabag breaks ties another way, a warning") {
    const r::RPtr obj = load_corpus_rds(kRexp, "BaggingIris");
    r::RObject* vs = attribute(*obj, "vardep.summary");
    REQUIRE(vs);
    if (!vs->ints.empty()) vs->ints = {10, 20, 30};
    else vs->reals = {10, 20, 30};
    Warnings w;
    const ir::Model m = r::import_model(*obj, "BaggingIris.rds", w);
    CHECK(has_warning(m, "vote-ties"));
  }
  SUBCASE("a weight per tree") {
    const r::RPtr obj = load_corpus_rds(kRexp, "BoostingIris");
    member(*obj, "weights")->reals.pop_back();
    Warnings w;
    try {
      r::import_model(*obj, "BoostingIris.rds", w);
      FAIL("imported boosting weights that miss a tree");
    } catch (const Error& e) {
      CHECK(e.place() == "$weights");
      CHECK(e.message().find("one weight per tree (7), found 6") != std::string::npos);
    }
  }
  SUBCASE("an error inside a tree names the tree") {
    const r::RPtr obj = load_corpus_rds(kRexp, "BaggingIris");
    r::RObject* tree = member(*obj, "trees")->elements.at(2).get();
    member(*tree, "method")->strings = {std::string("survival")};
    Warnings w;
    try {
      r::import_model(*obj, "BaggingIris.rds", w);
      FAIL("imported a survival tree");
    } catch (const Error& e) {
      CHECK(e.place() == "$trees[[3]]$method");
    }
  }
}

// ipred bagging (testdata/r/generate_ipred.R; caret's treebag cases are in test_import_more):
// the majority vote with vote shares and the mean of the trees agree with predict.classbagg and
// predict.regbagg on held-out rows, missing values and a factor included; double-bagging is refused.
TEST_CASE("ipred classbagg and regbagg agree with R's predict()") {
  const auto cases = r_case_names(r_testdata_dir(), {"classbagg", "regbagg"});
  CHECK(cases.size() >= 2);
  check_r_testdata_cases(cases);
  expect_refused_fixture("ipred_double_bagging", "$comb", "double-bagging");
}

TEST_CASE("ada discrete boosting agrees with predict.ada(type = \"prob\")") {
  if (!have_shared(kRexp / "rds")) return;
  const r::RPtr obj = load_corpus_rds(kRexp, "AdaFormulaVersicolor");
  Warnings w;
  const ir::Model m = r::import_model(*obj, "AdaFormulaVersicolor.rds", w);
  CHECK(m.provenance.source_class == "ada");
  CHECK(m.schema.target.name == "Species");
  CHECK(m.schema.target.classes == std::vector<std::string>{"no", "yes"});
  CHECK(std::get<ir::TreeEnsemble>(m.estimator).trees.size() == 7);
  const compare::Report rep = against_r(m, kRexp, "AdaFormulaVersicolor", "Versicolor");
  CHECK_MESSAGE(report_agrees(rep), rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance, "
                                                    << rep.label_mismatches << " label mismatches");

  SUBCASE("predict.ada uses the first $iter trees") {
    r::RObject* iter = member(*obj, "iter");
    if (!iter->reals.empty()) iter->reals = {3};
    else iter->ints = {3};
    const ir::Model m3 = r::import_model(*obj, "AdaFormulaVersicolor.rds", w);
    CHECK(std::get<ir::TreeEnsemble>(m3.estimator).trees.size() == 3);
    CHECK(std::get<ir::TreeEnsemble>(m3.estimator).tree_weights.size() == 3);
  }
  SUBCASE("real and gentle boosting are refused by name") {
    r::RObject* loss = member(*member(*obj, "model"), "lossObj");
    member(*loss, "type")->strings = {std::string("real")};
    try {
      r::import_model(*obj, "AdaFormulaVersicolor.rds", w);
      FAIL("imported real ada");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::Unsupported);
      CHECK(e.place() == "$model$lossObj$type");
      CHECK(e.message().find("ada type 'real'") != std::string::npos);
    }
  }
}

// ------------------------------------------------------------------------------------------
// LightGBM (lgb.Booster: an R6 environment whose `raw` member holds LightGBM's text model).
// ------------------------------------------------------------------------------------------
namespace {

r::RObject* env_member(r::RObject& env, const std::string& name) {
  for (size_t i = 0; i < env.elements.size() && i < env.tags.size(); ++i)
    if (env.tags[i] == name) return env.elements[i].get();
  return nullptr;
}

// The booster's model text, edited by `edit`.
void edit_model(r::RObject& booster, const std::function<void(std::string&)>& edit) {
  r::RObject* raw = env_member(booster, "raw");
  REQUIRE(raw);
  std::string text(raw->bytes.begin(), raw->bytes.end());
  edit(text);
  raw->bytes.assign(text.begin(), text.end());
}

void replace_first(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("LightGBM boosters agree with R's predict() on the lgb.Booster") {
  if (!have_shared(kLgb / "rds")) return;
  struct Case {
    const char* name;
    const char* dataset;
    size_t trees;
  };
  for (const Case c : {Case{"LightGBMIris", "Iris", 15}, Case{"LightGBMAuto", "Auto", 31}}) {
    CAPTURE(c.name);
    const r::RPtr obj = load_corpus_rds(kLgb, c.name);
    Warnings w;
    const ir::Model m = r::import_model(*obj, c.name, w);
    CHECK(m.provenance.source_class == "lgb.Booster");
    CHECK(std::get<ir::TreeEnsemble>(m.estimator).trees.size() == c.trees);
    // The input CSVs live beside the other jpmml-r cases.
    compare::CompareOptions opt;
    opt.aliases["_target"] = m.schema.target.task == ir::Task::Regression ? "prediction" : "class";
    const compare::Report r = score_against(m, kRexp / "csv" / (std::string(c.dataset) + ".csv"),
                                            kLgb / "csv" / (std::string(c.name) + ".csv"), opt);
    CHECK_MESSAGE(report_agrees(r), r.rows_beyond << " of " << r.rows << " rows beyond tolerance, "
                                                  << r.label_mismatches << " label mismatches");
  }
}

TEST_CASE("LightGBM: missing values follow the decision type; what the IR cannot hold is refused by name") {
  if (!have_shared(kLgb / "rds")) return;
  const r::RPtr obj = load_corpus_rds(kLgb, "LightGBMIris");
  // Tree 0's first split: Petal.Length <= 3.1500000000000004, decision_type 2 (default left,
  // missing type None: a missing value is read as 0, which goes left).
  auto first_split_missing = [&]() {
    Warnings w;
    const ir::Model m = r::import_model(*obj, "LightGBMIris.rds", w);
    return std::get<ir::TreeEnsemble>(m.estimator).trees.at(0).missing.at(0);
  };
  SUBCASE("missing type None: where 0 goes") { CHECK(first_split_missing() == ir::MissingGo::Left); }
  SUBCASE("missing type NaN, default right") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "decision_type=2 2", "decision_type=8 2"); });
    CHECK(first_split_missing() == ir::MissingGo::Right);
  }
  SUBCASE("missing type Zero, default left, zero left of the threshold") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "decision_type=2 2", "decision_type=6 2"); });
    CHECK(first_split_missing() == ir::MissingGo::Left);
  }
  SUBCASE("missing type Zero, default right, zero left of the threshold: refused") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "decision_type=2 2", "decision_type=4 2"); });
    CHECK_THROWS_WITH_AS(first_split_missing(), doctest::Contains("zero-as-missing"), Unsupported);
  }
  SUBCASE("categorical splits are refused") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "decision_type=2 2", "decision_type=3 2"); });
    CHECK_THROWS_WITH_AS(first_split_missing(), doctest::Contains("categorical split (Tree=0 node 0)"), Unsupported);
  }
  SUBCASE("linear trees are refused") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "is_linear=0", "is_linear=1"); });
    CHECK_THROWS_WITH_AS(first_split_missing(), doctest::Contains("linear tree"), Unsupported);
  }
  SUBCASE("objectives other than the supported ones are refused") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "objective=multiclass", "objective=multiclassova"); });
    CHECK_THROWS_WITH_AS(first_split_missing(), doctest::Contains("objective 'multiclassova'"), Unsupported);
  }
  SUBCASE("a model cut short is refused, not read as fewer trees") {
    edit_model(*obj, [](std::string& s) { s.resize(s.find("\nTree=3\n") + 1); });
    CHECK_THROWS_WITH_AS(first_split_missing(), doctest::Contains("cut short"), Error);
  }
  SUBCASE("a child out of range names the line") {
    edit_model(*obj, [](std::string& s) { replace_first(s, "left_child=1 -1", "left_child=7 -1"); });
    try {
      first_split_missing();
      FAIL("imported a tree whose child is out of range");
    } catch (const Error& e) {
      CHECK(e.place().rfind("$raw:line ", 0) == 0);
      CHECK(e.message().find("node 0 has child 7") != std::string::npos);
    }
  }
}

TEST_CASE("an lgb.Booster (an R6 environment) is written back as .rds, and refused as R JSON by name") {
  if (!have_shared(kLgb / "rds")) return;
  const std::string path = (kLgb / "rds" / "LightGBMIris.rds").string();
  const ir::Model m = formats::load_model(path, std::nullopt);
  Warnings w;
  const std::string rds = formats::write_model(m, formats::Format::Rds, {}, w);
  const ir::Model back = formats::read_model(rds, "back.rds", formats::Format::Rds);
  CHECK(std::get<ir::TreeEnsemble>(back.estimator) == std::get<ir::TreeEnsemble>(m.estimator));
  CHECK_THROWS_WITH_AS(formats::write_model(m, formats::Format::RJson, {}, w),
                       doctest::Contains("jsonlite writes environments without their contents"), Unsupported);
}

// ------------------------------------------------------------------------------------------
// Written as ONNX, onnxruntime's predictions agree with R's; written as PMML (valid against the
// PMML 4.4 XSD) and read back, ours agree with R's.
// ------------------------------------------------------------------------------------------
namespace {

// Cells of onnxruntime's output (`label`/`prediction` column first, then probabilities_k) that
// differ from R's `expected` (its first column, then probability(<class k>)) beyond the rule.
size_t ort_mismatches(const ir::Model& m, const Csv& ort, const Csv& expected) {
  REQUIRE(ort.rows.size() == expected.rows.size());
  const auto& classes = m.schema.target.classes;
  size_t bad = 0;
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    if (classes.empty()) {
      const double got = number_cell(ort.rows[r][0]), want = number_cell(expected.rows[r][0]);
      bad += std::fabs(got - want) > 1e-12 + 1e-9 * std::fabs(want);
      continue;
    }
    bad += !same_label(ort.rows[r][0], expected.rows[r][0]);
    for (size_t k = 0; k < classes.size(); ++k) {
      const int oc = ort.col(fmt::format("probabilities_{}", k));
      const int ec = expected.col(fmt::format("probability({})", classes[k]));
      REQUIRE(oc >= 0);
      REQUIRE(ec >= 0);
      const double got = number_cell(ort.rows[r][oc]), want = number_cell(expected.rows[r][ec]);
      bad += std::fabs(got - want) > 1e-12 + 1e-9 * std::fabs(want);
    }
  }
  return bad;
}

}  // namespace

TEST_CASE("adabag, ada and LightGBM models written as ONNX and PMML predict as R does") {
  if (!have_shared(kRexp / "rds") || !have_shared(kLgb / "rds")) return;
  require_onnx_tools();
  struct Case {
    fs::path base;
    const char* name;
    const char* dataset;
  };
  for (const Case& c : {Case{kRexp, "BaggingIris", "Iris"}, Case{kRexp, "BoostingAudit", "Audit"},
                        Case{kRexp, "AdaFormulaVersicolor", "Versicolor"}, Case{kLgb, "LightGBMIris", "Iris"},
                        Case{kLgb, "LightGBMAuto", "Auto"}}) {
    CAPTURE(c.name);
    const r::RPtr obj = load_corpus_rds(c.base, c.name);
    Warnings w;
    const ir::Model m = r::import_model(*obj, c.name, w);
    const fs::path input = kRexp / "csv" / (std::string(c.dataset) + ".csv");
    const Csv expected = read_csv(c.base / "csv" / (std::string(c.name) + ".csv"));

    Warnings ww;
    const fs::path onnx_file = scratch_dir() / (std::string(c.name) + ".onnx");
    write_file(onnx_file, formats::write_model(m, formats::Format::Onnx, {}, ww));
    check_onnx(onnx_file);
    CHECK(ort_mismatches(m, ort_score(onnx_file, input), expected) == 0);

    const ir::Model back = pmml_round_trip(m, c.name);
    compare::CompareOptions opt;
    const std::string ours = m.schema.target.task == ir::Task::Regression ? "prediction" : "class";
    opt.aliases["_target"] = ours;
    opt.aliases[m.schema.target.name] = ours;
    const compare::Report rep = score_against(back, input, c.base / "csv" / (std::string(c.name) + ".csv"), opt);
    CHECK_MESSAGE(report_agrees(rep),
                  "PMML read back: " << rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance");
  }
}
