// rms (ols, lrm, orm), pls (mvr), mlr (WrappedModel) and party (BinaryTree) objects fitted by R
// (testdata/r/<case>/, written by generate_rms_pls_mlr.R and generate_binary_tree.R), read from
// the exact JSON and the .rds file, imported,
// scored through the data layer and compared with their packages' own predict() by the
// agreement rule |a - b| <= 1e-12 + 1e-9 |b|, labels equal.  Variants not read are refused
// with their R path (objects fitted by the same script, testdata/r-fixtures/refused).
#include <doctest/doctest.h>

#include <filesystem>

#include "formats/r/importers/import.hpp"
#include "formats/registry.hpp"
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

TEST_CASE("rms ols, lrm and orm objects from R agree with rms's predict()") {
  const auto cases = r_case_names(kRoot, {"ols", "lrm", "orm"});
  REQUIRE_MESSAGE(cases.size() >= 6, "testdata/r lacks the rms cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("pls mvr objects from R agree with pls's predict() at $ncomp") {
  const auto cases = r_case_names(kRoot, {"mvr"});
  REQUIRE_MESSAGE(cases.size() >= 2, "testdata/r lacks the pls cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("mlr WrappedModel objects from R agree with mlr's predict()") {
  const auto cases = r_case_names(kRoot, {"WrappedModel"});
  REQUIRE_MESSAGE(cases.size() >= 4, "testdata/r lacks the mlr cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("party BinaryTree objects from R agree with party's predict()") {
  const auto cases = r_case_names(kRoot, {"BinaryTree"});
  REQUIRE_MESSAGE(cases.size() >= 2, "testdata/r lacks the BinaryTree cases");
  check_r_testdata_cases(cases);
}

TEST_CASE("orm: loglog and cloglog trade places in P(Y <= k) = 1 - F(alpha + X beta)") {
  for (const auto& [name, link] :
       {std::pair{"rms_orm_loglog", ir::Link::Cloglog}, std::pair{"rms_orm_cloglog", ir::Link::Loglog},
        std::pair{"rms_orm_probit", ir::Link::Probit}}) {
    r::RPtr obj = load_r_testdata(name);
    REQUIRE(obj);
    Warnings w;
    const ir::Model m = r::import_model(*obj, name, w);
    const auto& lin = std::get<ir::Linear>(m.estimator);
    CHECK(lin.transform == ir::ScoreTransform::Cumulative);
    CHECK(lin.link == link);
    CHECK(static_cast<size_t>(lin.n_targets) + 1 == m.schema.target.classes.size());
  }
}

TEST_CASE("rms, pls, mlr and BinaryTree variants not read are refused naming their R path") {
  expect_refused_fixture("rms_ols_rcs", "$Design$assume[1]", "unsupported rms term 'wt' of kind 'rcspline'");
  expect_refused_fixture("pls_two_responses", "$coefficients", "2 responses");
  expect_refused_fixture("mlr_regr_svm", "$learner", "unsupported mlr learner 'regr.svm'");
  expect_refused_fixture("binarytree_surrogates", "@tree$ssplits", "surrogate splits");
}

TEST_CASE("cv.glmnet(relax = TRUE) is refused naming $relaxed: predict() blends the relaxed refits") {
  expect_refused_fixture("cv_glmnet_relaxed", "$relaxed", "relax = TRUE (class cv.relaxed)");
}

TEST_CASE("a formula's factor() with labels but no levels is refused: R labels the data's sorted values") {
  expect_refused_fixture("lm_factor_labels_no_levels", "$terms@predvars", "factor() with labels but no levels");
}

TEST_CASE("rms: coefficients that do not match $Design are refused with their path") {
  r::RPtr obj = load_r_testdata("rms_ols");
  REQUIRE(obj);
  auto* coef = const_cast<r::RObject*>(obj->get("coefficients"));
  REQUIRE(coef);
  coef->reals.pop_back();
  Warnings w;
  try {
    r::import_model(*obj, "m.rds", w);
    FAIL("accepted an ols with a coefficient missing");
  } catch (const Error& e) {
    CHECK(e.place() == "$coefficients");
    CHECK(e.exit_code() == kExitInput);
  }
}

TEST_CASE("pls: an $ncomp that is not a whole number of components is refused") {
  r::RPtr obj = load_r_testdata("pls_plsr_scaled");
  REQUIRE(obj);
  auto* ncomp = const_cast<r::RObject*>(obj->get("ncomp"));
  REQUIRE(ncomp);
  ncomp->type = r::RType::Double;
  ncomp->ints.clear();
  ncomp->reals = {1e300};
  Warnings w;
  try {
    r::import_model(*obj, "m.rds", w);
    FAIL("accepted ncomp = 1e300");
  } catch (const Error& e) {
    CHECK(e.place() == "$ncomp");
    CHECK(e.exit_code() == kExitInput);
  }
}
