// ONNX reader and evaluator, onnxruntime's one-operator probes of SVMClassifier, SVMRegressor,
// LinearRegressor and LinearClassifier (corpus/onnx/probes): each probe file is read and scored
// on its recorded feed, and every label and score is compared with onnxruntime 1.30's recorded
// output (within one float32 ulp).  Covers the decision values of an SVMClassifier without
// prob_a/prob_b (ir::ScoreLayout::Decisions) and the post-transforms of a LinearRegressor
// (probit applied, logistic and softmax ignored for one target, with a named warning).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <rapidjson/document.h>

#include "lib/canon/canonical.hpp"
#include "tests/unit/onnx_trees_support.hpp"

using namespace mb;
using namespace onnx_trees_test;

namespace {

bool has_warning(const ir::Model& m, const std::string& name) {
  for (const auto& w : m.provenance.warnings)
    if (w.code == name) return true;
  return false;
}

}  // namespace

TEST_CASE(
    "onnx probes: SVM and linear operators score as onnxruntime 1.30 (labels, decision values, post-transforms)") {
  const fs::path dir = kCorpus / "probes";
  if (!have_shared(dir / "probes.json")) return;
  rapidjson::Document probes, results;
  probes.Parse(slurp(dir / "probes.json").c_str());
  results.Parse(slurp(dir / "results.json").c_str());
  REQUIRE(probes.IsArray());
  REQUIRE(results.IsObject());
  size_t scored = 0;
  for (const auto& pr : probes.GetArray()) {
    const std::string name = pr["name"].GetString();
    const bool ours = name.rfind("svc_", 0) == 0 || name.rfind("svr_", 0) == 0 || name.rfind("linreg_", 0) == 0 ||
                      name.rfind("linclf_", 0) == 0;
    if (!ours || !pr["feeds"].HasMember("X")) continue;
    const auto& res = results[name.c_str()];
    if (res.HasMember("error")) continue;  // onnxruntime refuses the file (robust cases)
    if (name == "linreg_2targets_SOFTMAX" || name == "linclf_binary_PROBIT") continue;  // outside the score contract
    CAPTURE(name);
    const fs::path file = dir / pr["model"].GetString();
    const ir::Model m = onnxfmt::read(slurp(file), file.string());
    const auto& x = pr["feeds"]["X"];
    const size_t rows = x["dims"][0].GetUint(), cols = x["dims"].Size() > 1 ? x["dims"][1].GetUint() : 1;
    REQUIRE(m.features.size() == cols);
    eval::Batch b;
    b.rows = rows;
    b.columns.assign(m.schema.inputs.size(), std::vector<double>(rows));
    REQUIRE(m.schema.inputs.size() == cols);
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) {
        const auto& v = x["data"][static_cast<rapidjson::SizeType>(r * cols + c)];
        b.columns[c][r] = v.IsNumber() ? v.GetDouble() : kNaN;
      }
    const auto p = score(m, b);
    auto num = [](const rapidjson::Value& v) { return v.IsNumber() ? v.GetDouble() : kNaN; };
    double worst = 0;
    if (m.schema.target.task == ir::Task::Regression) {
      for (size_t r = 0; r < rows; ++r)
        worst = std::max(worst, float_ulps(p.value[r], num(res["Y"]["data"][static_cast<rapidjson::SizeType>(r)])));
    } else {
      const size_t K = m.schema.target.classes.size();
      REQUIRE(res["Z"]["dims"][1].GetUint() == K);
      for (size_t r = 0; r < rows; ++r) {
        const auto& y = res["Y"]["data"][static_cast<rapidjson::SizeType>(r)];
        const std::string label = y.IsString() ? y.GetString() : std::to_string(y.GetInt64());
        CHECK(m.schema.target.classes[p.label[r]] == label);
        for (size_t k = 0; k < K; ++k)
          worst = std::max(
              worst, float_ulps(p.prob[r * K + k], num(res["Z"]["data"][static_cast<rapidjson::SizeType>(r * K + k)])));
      }
    }
    MESSAGE(name << ": " << worst << " float32 ulp");
    CHECK(worst <= 1.0);
    ++scored;
  }
  MESSAGE("SVM and linear probes: " << scored << " scored");
  CHECK(scored >= 19);
}

TEST_CASE("onnx probes: an SVMClassifier without prob_a/prob_b outputs its pairwise decision values, named") {
  const fs::path dir = kCorpus / "probes";
  if (!have_shared(dir / "svc_3class_noproba.onnx")) return;
  for (const char* name : {"svc_3class_noproba.onnx", "svc_binary_noproba.onnx"}) {
    CAPTURE(name);
    const fs::path file = dir / name;
    const ir::Model m = onnxfmt::read(slurp(file), file.string());
    const auto& s = std::get<ir::Svm>(m.estimator);
    CHECK(s.output.layout == ir::ScoreLayout::Decisions);
    CHECK(s.prob_a.empty());
    CHECK(has_warning(m, "svm-decision-values"));
    // The layout is part of the model: its hash differs from the same machine with vote shares.
    ir::Model votes = m;
    std::get<ir::Svm>(votes.estimator).output.layout = ir::ScoreLayout::PerOutput;
    CHECK(canon::model_hash(votes) != canon::model_hash(m));
    // validate() refuses decision values beside Platt parameters.
    ir::Model platt = m;
    auto& sp = std::get<ir::Svm>(platt.estimator);
    sp.prob_a.assign(sp.rho.size(), -1.0);
    sp.prob_b.assign(sp.rho.size(), 0.0);
    CHECK_THROWS_WITH_AS(ir::validate(platt, "x.onnx", "svm"), doctest::Contains("Platt parameters"), Error);
  }
}

TEST_CASE("onnx probes: LinearRegressor post-transforms: probit applied, logistic and softmax ignored with a warning") {
  const fs::path dir = kCorpus / "probes";
  if (!have_shared(dir / "linreg_PROBIT.onnx")) return;
  {
    const fs::path file = dir / "linreg_PROBIT.onnx";
    const ir::Model m = onnxfmt::read(slurp(file), file.string());
    const auto& l = std::get<ir::Linear>(m.estimator);
    CHECK(l.output.arithmetic == ir::Arithmetic::Operator);
    CHECK(l.output.post == ir::PostTransform::Probit);
    CHECK_FALSE(has_warning(m, "onnxruntime-ignores-post-transform"));
    // Writers that cannot state the probit refuse it.
    Warnings w;
    CHECK_THROWS_AS(onnxfmt::write(m, {}, w), Error);
    // validate() allows no other post-transform for a regression.
    ir::Model bad = m;
    std::get<ir::Linear>(bad.estimator).output.post = ir::PostTransform::Logistic;
    CHECK_THROWS_WITH_AS(ir::validate(bad, "x.onnx", "linear"), doctest::Contains("none or probit"), Error);
  }
  for (const char* name : {"linreg_LOGISTIC.onnx", "linreg_SOFTMAX.onnx"}) {
    CAPTURE(name);
    const fs::path file = dir / name;
    const ir::Model m = onnxfmt::read(slurp(file), file.string());
    CHECK(std::get<ir::Linear>(m.estimator).output.plain());
    CHECK(has_warning(m, "onnxruntime-ignores-post-transform"));
  }
}
