// earth::earth objects fitted by R (testdata/r/earth_*, written by generate_earth.R), read from
// the exact JSON and the .rds file, imported, scored through the data layer and compared with
// earth's own predict() by the agreement rule |a - b| <= 1e-12 + 1e-9 |b|, labels equal; the
// hinge terms as earth's get.bx computes them; damaged objects refused with their R path.
#include <doctest/doctest.h>

#include <filesystem>

#include "formats/r/importers/import.hpp"
#include "lib/compare/compare.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = r_testdata_dir();

}  // namespace

TEST_CASE("earth objects from R agree with earth's predict(): least squares, x/y, glm") {
  const auto cases = r_case_names(kRoot, {"earth"});
  REQUIRE_MESSAGE(cases.size() >= 4, "testdata/r lacks the earth cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("earth: one feature per selected term, named as earth names it") {
  r::RPtr obj = load_r_testdata("earth_regression");
  REQUIRE(obj);
  Warnings w;
  const ir::Model m = r::import_model(*obj, "earth_regression/model.rds", w);
  const auto& lin = std::get<ir::Linear>(m.estimator);
  CHECK(lin.coefficients.size() == m.features.size());
  bool hinge = false;
  for (const auto& f : m.features) hinge |= f.name.rfind("h(", 0) == 0;
  CHECK(hinge);
  CHECK(m.provenance.source_class == "earth");
}

TEST_CASE("earth: damaged objects are refused with their R path") {
  SUBCASE("an illegal direction") {
    r::RPtr obj = load_r_testdata("earth_xy");
    REQUIRE(obj);
    auto* dirs = const_cast<r::RObject*>(obj->get("dirs"));
    REQUIRE(dirs);
    for (auto& v : dirs->reals)
      if (v == 1) v = 3;
    for (auto& v : dirs->ints)
      if (v == 1) v = 3;
    Warnings w;
    try {
      r::import_model(*obj, "m.rds", w);
      FAIL("accepted an illegal hinge direction");
    } catch (const Error& e) {
      CHECK(e.exit_code() == kExitInput);
      CHECK(std::string(e.what()).find("$dirs") != std::string::npos);
    }
  }
  SUBCASE("coefficients that do not match the selected terms") {
    r::RPtr obj = load_r_testdata("earth_xy");
    REQUIRE(obj);
    auto* sel = const_cast<r::RObject*>(obj->get("selected.terms"));
    REQUIRE(sel);
    if (!sel->ints.empty()) sel->ints.pop_back();
    else sel->reals.pop_back();
    Warnings w;
    try {
      r::import_model(*obj, "m.rds", w);
      FAIL("accepted coefficients that do not match the selected terms");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("$coefficients") != std::string::npos);
    }
  }
}
