// pscl count models of the jpmml-r corpus: hurdle (HurdleNMES1988) and zeroinfl
// (ZeroInflNMES1988), Poisson count part with a logit zero part.  The corpus .rds objects are
// imported, scored through the data layer and compared with the predictions the corpus producer
// wrote with R's predict(type = "response"), by the agreement rule of lib/compare; written as ONNX
// and PMML and read back by our readers they agree with R too.  Refusals name the member.
// Without the shared corpus beside the repository the tests skip (loudly; CI=true fails).
#include <doctest/doctest.h>

#include <filesystem>
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

// R's predictions: the corpus CSV's first column (the response mean), the others left out.
fs::path expected_means(const std::string& name) {
  const Csv full = read_csv(kRexp / "csv" / (name + ".csv"));
  Csv only;
  only.header = {"prediction"};
  for (auto& row : full.rows) only.rows.push_back({row.at(0)});
  const fs::path p = scratch_dir() / (name + ".expected.csv");
  write_csv(p, only);
  return p;
}

}  // namespace

TEST_CASE("hurdle and zeroinfl agree with predict(type = \"response\"), also as ONNX and PMML read back") {
  if (!have_shared(kRexp / "rds")) return;
  for (const char* name : {"HurdleNMES1988", "ZeroInflNMES1988"}) {
    CAPTURE(name);
    const r::RPtr obj = load_corpus_rds(kRexp, name);
    Warnings w;
    const ir::Model m = r::import_model(*obj, name, w);
    CHECK(m.schema.target.task == ir::Task::Regression);
    const fs::path input = kRexp / "csv" / "NMES1988.csv";
    const fs::path expected = expected_means(name);
    const compare::Report rep = score_against(m, input, expected);
    CHECK_MESSAGE(report_agrees(rep), rep.rows_beyond << " of " << rep.rows << " rows beyond tolerance");
    for (formats::Format f : {formats::Format::Onnx, formats::Format::Pmml}) {
      CAPTURE(static_cast<int>(f));
      Warnings ww;
      const std::string bytes = formats::write_model(m, f, {}, ww);
      const ir::Model back =
          formats::read_model(bytes, std::string(name) + (f == formats::Format::Onnx ? ".onnx" : ".pmml"), f);
      const compare::Report rb = score_against(back, input, expected);
      CHECK_MESSAGE(report_agrees(rb), rb.rows_beyond << " of " << rb.rows << " rows beyond tolerance");
    }
  }
}

TEST_CASE("hurdle and zeroinfl: other count distributions and links are refused by name") {
  if (!have_shared(kRexp / "rds")) return;
  {
    // A zero hurdle that is a count model (dist = list(zero = "negbin")) is not read; negbin and
    // geometric count parts are (testdata/r/hurdle_negbin, zeroinfl_negbin_zero_regressors).
    r::RObject copy = *load_corpus_rds(kRexp, "HurdleNMES1988");
    const std::vector<std::string> names = copy.names();
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == "dist") {
        auto d = std::make_shared<r::RObject>(*copy.elements[i]);
        const std::vector<std::string> parts = d->names();
        for (size_t j = 0; j < parts.size(); ++j)
          if (parts[j] == "zero") {
            auto c = std::make_shared<r::RObject>(*d->elements[j]);
            c->strings = {std::string("negbin")};
            d->elements[j] = c;
          }
        copy.elements[i] = d;
      }
    Warnings w;
    CHECK_THROWS_AS(r::import_model(copy, "negbin.rds", w), Unsupported);
    const std::string err = error_of([&] { r::import_model(copy, "negbin.rds", w); });
    CHECK(err.find("$dist$zero") != std::string::npos);
    CHECK(err.find("'negbin'") != std::string::npos);
  }
  {
    r::RObject copy = *load_corpus_rds(kRexp, "HurdleNMES1988");
    const std::vector<std::string> names = copy.names();
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == "link") {
        auto d = std::make_shared<r::RObject>(*copy.elements[i]);
        d->strings = {std::string("cauchit")};
        copy.elements[i] = d;
      }
    Warnings w;
    CHECK_THROWS_AS(r::import_model(copy, "cauchit.rds", w), Unsupported);
    CHECK(error_of([&] { r::import_model(copy, "cauchit.rds", w); }).find("$link") != std::string::npos);
  }
}
