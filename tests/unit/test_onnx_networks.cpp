// suite: interop
// neuralnet `nn` and elmNNRcpp `elm` regressions of the jpmml-r corpus written as ONNX (checked by
// onnx.checker, scored by onnxruntime) and as PMML (valid against the PMML 4.4 XSD, read back):
// both agree with the predictions the corpus producer wrote with R's predict(), by the agreement
// rule |a - b| <= 1e-12 + 1e-9 |b|.  Without the shared corpus the test skips (loudly).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "formats/r/importers/import.hpp"
#include "formats/registry.hpp"
#include "lib/compare/compare.hpp"
#include "lib/ir/model.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

TEST_CASE("neuralnet and elm as ONNX (onnxruntime) and PMML (XSD, read back) predict as R does") {
  const fs::path base = shared_dir() / "corpus/pmml/jpmml-r/pmml-rexp/src/test/resources";
  if (!have_shared(base / "rds")) return;
  require_onnx_tools();
  struct Case {
    const char* name;
    const char* dataset;
  };
  for (const Case& c : {Case{"NNWineQuality", "WineQuality"}, Case{"ElmFormulaAuto", "Auto"},
                        Case{"ElmFormulaWineQuality", "WineQuality"}}) {
    CAPTURE(c.name);
    Warnings w;
    const r::RPtr obj = read_r_object(base / "rds" / (std::string(c.name) + ".rds"), w);
    REQUIRE(obj);
    const ir::Model m = r::import_model(*obj, c.name, w);
    const fs::path input = base / "csv" / (std::string(c.dataset) + ".csv");
    const fs::path expected_csv = base / "csv" / (std::string(c.name) + ".csv");
    const Csv expected = read_csv(expected_csv);

    Warnings ww;
    const fs::path onnx_file = scratch_dir() / (std::string(c.name) + ".onnx");
    write_file(onnx_file, formats::write_model(m, formats::Format::Onnx, {}, ww));
    check_onnx(onnx_file);
    const Csv ort = ort_score(onnx_file, input);
    REQUIRE(ort.rows.size() == expected.rows.size());
    size_t bad = 0;
    for (size_t r = 0; r < expected.rows.size(); ++r) {
      const double got = number_cell(ort.rows[r][0]), want = number_cell(expected.rows[r][0]);
      bad += !(std::fabs(got - want) <= 1e-12 + 1e-9 * std::fabs(want));
    }
    CHECK_MESSAGE(bad == 0, bad << " onnxruntime predictions beyond tolerance");

    const ir::Model back = pmml_round_trip(m, c.name);
    compare::CompareOptions opt;
    opt.aliases["_target"] = "prediction";
    opt.aliases[m.schema.target.name] = "prediction";
    const compare::Report rep = score_against(back, input, expected_csv, opt);
    const bool agree_back = rep.rows > 0 && rep.rows_beyond == 0;
    CHECK_MESSAGE(agree_back, "PMML read back: " << rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance");
  }
}
