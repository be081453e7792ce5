// MASS::polr and MASS::lda objects fitted by R (testdata/r/<case>/, written by
// generate_mass.R), read from the exact JSON and the .rds file, imported, scored through the data
// layer and compared with MASS's own predict() (class and probabilities, or class and posterior)
// by the agreement rule |a - b| <= 1e-12 + 1e-9 |b|, labels equal.  Malformed objects are refused
// with their R path.
#include <doctest/doctest.h>

#include <filesystem>

#include "formats/r/importers/import.hpp"
#include "lib/compare/compare.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = r_testdata_dir();

}  // namespace

TEST_CASE("polr objects from R agree with MASS's predict(): every link") {
  const auto cases = r_case_names(kRoot, {"polr"});
  REQUIRE_MESSAGE(cases.size() >= 5, "testdata/r lacks the polr cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("lda objects from R agree with MASS's predict(): formula, x/grouping, prior") {
  const auto cases = r_case_names(kRoot, {"lda"});
  REQUIRE_MESSAGE(cases.size() >= 3, "testdata/r lacks the lda cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("polr: the IR is an ordinal regression with one cumulative row per cut-point") {
  r::RPtr obj = load_r_testdata("polr_logistic");
  REQUIRE(obj);
  Warnings w;
  const ir::Model m = r::import_model(*obj, "polr_logistic/model.rds", w);
  const auto& lin = std::get<ir::Linear>(m.estimator);
  CHECK(lin.transform == ir::ScoreTransform::Cumulative);
  CHECK(lin.link == ir::Link::Logit);
  CHECK(m.schema.target.classes == std::vector<std::string>{"Low", "Medium", "High"});
  CHECK(lin.n_targets == 2);
  // zeta ascending; the slopes are the same (negated beta) on every row.
  CHECK(lin.intercepts[0] < lin.intercepts[1]);
  const size_t F = m.features.size();
  for (size_t f = 0; f < F; ++f) CHECK(lin.coefficients[f] == lin.coefficients[F + f]);
}

TEST_CASE("polr and lda: damaged objects are refused with their R path") {
  SUBCASE("polr with an unknown method") {
    r::RPtr obj = load_r_testdata("polr_probit");
    REQUIRE(obj);
    auto* method = const_cast<r::RObject*>(obj->get("method"));
    REQUIRE(method);
    method->strings = {"logitnormal"};
    Warnings w;
    try {
      r::import_model(*obj, "m.rds", w);
      FAIL("accepted an unknown polr method");
    } catch (const Error& e) {
      CHECK(e.exit_code() == kExitInput);
      CHECK(std::string(e.what()).find("$method") != std::string::npos);
      CHECK(std::string(e.what()).find("logitnormal") != std::string::npos);
    }
  }
  SUBCASE("polr with a cut-point missing") {
    r::RPtr obj = load_r_testdata("polr_probit");
    REQUIRE(obj);
    auto* zeta = const_cast<r::RObject*>(obj->get("zeta"));
    REQUIRE(zeta);
    zeta->reals.pop_back();
    Warnings w;
    try {
      r::import_model(*obj, "m.rds", w);
      FAIL("accepted a polr with too few cut-points");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("$zeta") != std::string::npos);
    }
  }
  SUBCASE("lda whose means do not match its formula") {
    r::RPtr obj = load_r_testdata("lda_iris");
    REQUIRE(obj);
    auto* prior = const_cast<r::RObject*>(obj->get("prior"));
    REQUIRE(prior);
    prior->reals.push_back(0.5);
    Warnings w;
    try {
      r::import_model(*obj, "m.rds", w);
      FAIL("accepted an lda with a prior per class that does not match its names");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("$prior") != std::string::npos);
    }
  }
}
