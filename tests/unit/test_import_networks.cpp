// Dense networks of the jpmml-r corpus: neuralnet `nn` (NNWineQuality) and elmNNRcpp `elm`
// (ElmFormulaAuto, ElmFormulaWineQuality).  The corpus .rds objects are imported, scored through
// the data layer and compared with the predictions the corpus producer wrote with R's predict()
// by the agreement rule of lib/compare (|a - b| <= 1e-12 + 1e-9 |b|); written as ONNX and as PMML
// and read back by our readers they agree with R too (onnxruntime and the PMML XSD:
// tests/unit/test_onnx_networks.cpp).  Without the shared corpus beside the repository the tests
// skip (loudly; CI=true makes that a failure).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "formats/pmml/pmml.hpp"
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

struct Case {
  const char* name;
  const char* dataset;
};
constexpr Case kCases[] = {
    {"NNWineQuality", "WineQuality"}, {"ElmFormulaAuto", "Auto"}, {"ElmFormulaWineQuality", "WineQuality"}};

compare::Report against_r(const ir::Model& m, const Case& c) {
  compare::CompareOptions opt;
  opt.aliases["_target"] = "prediction";
  opt.aliases[m.schema.target.name] = "prediction";
  return score_against(m, kRexp / "csv" / (std::string(c.dataset) + ".csv"),
                       kRexp / "csv" / (std::string(c.name) + ".csv"), opt);
}

// `$name` of `o` replaced by a copy of its own (a copied RObject shares its elements), to modify.
r::RObject* member(r::RObject& o, const std::string& name) {
  const std::vector<std::string> names = o.names();
  for (size_t i = 0; i < names.size() && i < o.elements.size(); ++i)
    if (names[i] == name) {
      o.elements[i] = std::make_shared<r::RObject>(*o.elements[i]);
      return o.elements[i].get();
    }
  return nullptr;
}

}  // namespace

TEST_CASE("neuralnet and elm regressions agree with R's predict()") {
  if (!have_shared(kRexp / "rds")) return;
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    const r::RPtr obj = load_corpus_rds(kRexp, c.name);
    Warnings w;
    const ir::Model m = r::import_model(*obj, c.name, w);
    REQUIRE(std::holds_alternative<ir::Mlp>(m.estimator));
    CHECK(m.schema.target.task == ir::Task::Regression);
    const compare::Report rep = against_r(m, c);
    CHECK_MESSAGE(report_agrees(rep), rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance");
  }
}

TEST_CASE("neuralnet and elm regressions written as ONNX and PMML and read back agree with R") {
  if (!have_shared(kRexp / "rds")) return;
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    const r::RPtr obj = load_corpus_rds(kRexp, c.name);
    Warnings w;
    const ir::Model m = r::import_model(*obj, c.name, w);
    for (formats::Format f : {formats::Format::Onnx, formats::Format::Pmml}) {
      CAPTURE(static_cast<int>(f));
      Warnings ww;
      const std::string bytes = formats::write_model(m, f, {}, ww);
      const ir::Model back =
          formats::read_model(bytes, std::string(c.name) + (f == formats::Format::Onnx ? ".onnx" : ".pmml"), f);
      const compare::Report rep = against_r(back, c);
      CHECK_MESSAGE(report_agrees(rep), rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance");
    }
  }
}

TEST_CASE("neuralnet: structure read from $weights[[1]], activation by @type") {
  if (!have_shared(kRexp / "rds")) return;
  const r::RPtr obj = load_corpus_rds(kRexp, "NNWineQuality");
  Warnings w;
  const ir::Model m = r::import_model(*obj, "NNWineQuality", w);
  const auto& mlp = std::get<ir::Mlp>(m.estimator);
  // neuralnet(hidden = c(6, 3)) on 11 inputs, linear output.
  REQUIRE(mlp.layers.size() == 3);
  CHECK(mlp.layers[0].n_units == 6);
  CHECK(mlp.layers[1].n_units == 3);
  CHECK(mlp.layers[2].n_units == 1);
  CHECK(mlp.layers[0].activation == ir::Activation::Logistic);
  CHECK(mlp.layers[2].activation == ir::Activation::Identity);
  CHECK(m.schema.inputs.size() == 11);
  CHECK(m.schema.target.name == "quality");

  // A user-defined activation (neuralnet marks it @type "function") is refused by name.
  r::RObject copy = *obj;
  r::RObject* act = member(copy, "act.fct");
  REQUIRE(act);
  for (auto& [k, v] : act->attributes)
    if (k == "type") {
      auto t = std::make_shared<r::RObject>(*v);
      t->strings = {std::string("function")};
      v = t;
    }
  Warnings w2;
  CHECK_THROWS_AS(r::import_model(copy, "custom.rds", w2), Unsupported);
  const std::string err = error_of([&] { r::import_model(copy, "custom.rds", w2); });
  CHECK(err.find("$act.fct") != std::string::npos);
  CHECK(err.find("user-defined activation") != std::string::npos);
}

TEST_CASE("elm: hidden layer from $inpweight/$biashid, refusals by name") {
  if (!have_shared(kRexp / "rds")) return;
  {
    const r::RPtr obj = load_corpus_rds(kRexp, "ElmFormulaAuto");
    Warnings w;
    const ir::Model m = r::import_model(*obj, "ElmFormulaAuto", w);
    const auto& mlp = std::get<ir::Mlp>(m.estimator);
    REQUIRE(mlp.layers.size() == 2);
    CHECK(mlp.layers[0].n_units == 11);  // nhid = 11
    CHECK(m.features.size() == 8);       // 6 numeric columns, origin2, origin3
    CHECK(m.features[6].name == "origin2");
  }
  const r::RPtr obj = load_corpus_rds(kRexp, "ElmFormulaWineQuality");
  {
    r::RObject copy = *obj;
    r::RObject* actfun = member(copy, "actfun");
    REQUIRE(actfun);
    actfun->strings = {std::string("sin")};
    Warnings w;
    CHECK_THROWS_AS(r::import_model(copy, "sin.rds", w), Unsupported);
    const std::string err = error_of([&] { r::import_model(copy, "sin.rds", w); });
    CHECK(err.find("'sin'") != std::string::npos);
  }
  {
    r::RObject copy = *obj;
    r::RObject* reg = member(copy, "is_regression");
    REQUIRE(reg);
    if (!reg->ints.empty()) reg->ints = {0};
    if (!reg->reals.empty()) reg->reals = {0};
    Warnings w;
    CHECK_THROWS_AS(r::import_model(copy, "class.rds", w), Unsupported);
  }
  {
    r::RObject copy = *obj;
    r::RObject* ow = member(copy, "outweight");
    REQUIRE(ow);
    ow->reals.pop_back();
    for (auto& [k, v] : ow->attributes)
      if (k == "dim") {
        auto d = std::make_shared<r::RObject>(*v);
        d->ints = {static_cast<int32_t>(ow->reals.size()), 1};
        v = d;
      }
    Warnings w;
    const std::string err = error_of([&] { r::import_model(copy, "short.rds", w); });
    CHECK_MESSAGE(err.find("$outweight") != std::string::npos, err);
  }
}
