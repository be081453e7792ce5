// lm and glm objects fitted by R (testdata/r/<case>/), imported and scored, against R's own
// predict() output (expected.csv).  Agreement rule: |a - b| <= 1e-12 + 1e-9 |b|.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/r/importers/import.hpp"
#include "formats/registry.hpp"
#include "lib/eval/evaluator.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  size_t rows = 0, cells = 0, bad = 0;
  double worst_abs = 0;
  std::string first_problem;
};

Outcome score_case(const ir::Model& m, const fs::path& dir) {
  Outcome o;
  // R's write.csv: a blank line is a row whose one field is missing.
  Csv in = read_csv(dir / "input.csv", BlankLine::OneEmptyField),
      ex = read_csv(dir / "expected.csv", BlankLine::OneEmptyField);
  eval::Batch batch;
  batch.rows = in.rows.size();
  for (auto& f : m.schema.inputs) {
    int c = in.col(f.name);
    if (c < 0) {
      o.bad = 1;
      o.first_problem = "input.csv lacks column " + f.name;
      return o;
    }
    std::vector<double> col;
    for (size_t r = 0; r < in.rows.size(); ++r) {
      const std::string& s = in.rows[r][c];
      double v = NAN;
      if (!is_r_missing(s, in.quoted[r][c])) {
        if (f.is_categorical()) {
          for (size_t k = 0; k < f.levels.size(); ++k)
            if (f.levels[k] == s) v = static_cast<double>(k);
          if (std::isnan(v)) {
            o.bad = 1;
            o.first_problem = "unseen level '" + s + "' of " + f.name;
            return o;
          }
        } else {
          v = std::stod(s);
        }
      }
      col.push_back(v);
    }
    batch.columns.push_back(std::move(col));
  }
  eval::EvalOptions opts;
  opts.want_link = true;
  eval::Evaluator ev(m, opts);
  eval::Predictions p;
  ev.score(batch, p);
  o.rows = in.rows.size();
  std::vector<size_t> scored(in.rows.size());
  for (size_t r = 0; r < scored.size(); ++r) scored[r] = r;
  if (ex.rows.size() != scored.size()) {
    o.bad = 1;
    o.first_problem = "expected.csv row count differs";
    return o;
  }
  const auto& classes = m.schema.target.classes;
  for (size_t e = 0; e < scored.size(); ++e) {
    const size_t r = scored[e];
    for (size_t c = 0; c < ex.header.size(); ++c) {
      const std::string& h = ex.header[c];
      const std::string& s = ex.rows[e][c];
      ++o.cells;
      if (h == "class") {
        std::string got = p.label[r] >= 0 ? classes[p.label[r]] : "NA";
        std::string want = is_r_missing(s, ex.quoted[e][c]) ? "NA" : s;
        if (got != want) {
          if (!o.bad++) o.first_problem = "row " + std::to_string(r) + " class " + got + " vs " + want;
        }
        continue;
      }
      double want = is_r_missing(s, ex.quoted[e][c]) ? NAN : std::stod(s);
      double got = NAN;
      if (h == "prediction") got = p.value[r];
      else if (h == "link") got = p.link[r];
      else if (h.rfind("probability(", 0) == 0) {
        std::string label = h.substr(12, h.size() - 13);
        int k = -1;
        for (size_t i = 0; i < classes.size(); ++i)
          if (classes[i] == label) k = static_cast<int>(i);
        if (k < 0) {
          if (!o.bad++) o.first_problem = "no class " + label;
          continue;
        }
        got = p.prob[r * classes.size() + k];
      } else {
        continue;
      }
      if (!agree(got, want, 1e-9, 1e-12)) {
        if (!o.bad++) o.first_problem = "row " + std::to_string(r) + " " + h + ": " + std::to_string(got) + " vs " + s;
      }
      if (!std::isnan(got) && !std::isnan(want)) o.worst_abs = std::max(o.worst_abs, std::fabs(got - want));
    }
  }
  return o;
}

// The cases: testdata/r, or the folder named by MB_R_TESTDATA (same layout).
std::vector<fs::path> linear_cases() {
  const char* env = std::getenv("MB_R_TESTDATA");
  const fs::path root = env && *env ? fs::path(env) : r_testdata_dir();
  std::vector<fs::path> out;
  for (const auto& name : r_case_names(root, {"lm", "glm", "multinom"})) out.push_back(root / name);
  return out;
}

void run_source(const fs::path& dir, const std::string& file) {
  const fs::path path = dir / file;
  REQUIRE_MESSAGE(fs::exists(path), path.string() << " is missing");
  const std::string label = dir.filename().string() + "/" + file;
  Warnings w;
  std::string problem;
  Outcome o;
  try {
    r::RPtr root = read_r_object(path, w);
    if (!root) return;  // reader not available in this build
    ir::Model m = r::import_model(*root, path.string(), w);
    o = score_case(m, dir);
    problem = o.first_problem;
  } catch (const std::exception& e) {
    problem = e.what();
    o.bad = 1;
  }
  MESSAGE(label << ": " << (o.bad ? "FAIL " + problem : "ok") << " (" << o.rows << " rows, worst |diff| " << o.worst_abs
                << ")");
  CHECK_MESSAGE(o.bad == 0, label << ": " << problem);
  CHECK_MESSAGE(o.rows > 0, label << ": no rows scored");
}

}  // namespace

TEST_CASE("lm, glm and multinom from R agree with R's predict()") {
  auto cases = linear_cases();
  REQUIRE_MESSAGE(!cases.empty(), "testdata/r has no lm/glm cases");
  for (auto& dir : cases) {
    run_source(dir, "model_exact.json");
    run_source(dir, "model.json");
    run_source(dir, "model.rds");
  }
}

#ifdef MB_HAVE_RJSON
TEST_CASE("imported lm/glm carry target, classes and provenance") {
  const fs::path root = r_testdata_dir();
  auto load = [&](const std::string& c) {
    Warnings w;
    const fs::path p = root / c / "model_exact.json";
    auto obj = r::read_rjson(slurp(p), p.string(), w);
    return r::import_model(*obj, p.string(), w);
  };
  ir::Model m = load("glm_logit_factor");
  CHECK(m.schema.target.task == ir::Task::Classification);
  CHECK(m.schema.target.classes == std::vector<std::string>{"no case", "case"});
  CHECK(m.provenance.family == "glm binomial/logit");
  CHECK(m.provenance.source_class == "glm");
  {
    ir::Model rd = load("lm_rank_deficient");
    bool warned = false;
    for (auto& w : rd.provenance.warnings) warned |= w.code == "aliased-coefficients";
    CHECK(warned);
  }
}
#endif

// Each warning of an R import is listed once in the model read from a file (it used to reach
// the provenance twice: once from the importer, once more from the reader's list).
TEST_CASE("an R model's warnings are listed once") {
  const fs::path root = r_testdata_dir();
  auto count = [](const ir::Model& m, const std::string& code) {
    return std::count_if(m.provenance.warnings.begin(), m.provenance.warnings.end(),
                         [&](const Warning& w) { return w.code == code; });
  };
  for (const std::string file : {"model.rds", "model_exact.json"}) {
    const fs::path lm = root / "lm_rank_deficient" / file;
    const fs::path net = root / "glmnet_elnet" / file;
    if (!fs::exists(lm) || !fs::exists(net)) continue;
    CAPTURE(file);
    CHECK(count(formats::load_model(lm.string(), std::nullopt), "aliased-coefficients") == 1);
    CHECK(count(formats::load_model(net.string(), std::nullopt), "glmnet-lambda") == 1);
  }
}

// Power links (testdata/r/generate_power_link.R): statmod's tweedie(link.power = 1.5) and
// stats::power(0.25), lambda as the fits were called; tweedie's link.power 0 is its log link.
TEST_CASE("glm power links: lambda from the .rds environment and from the JSON name") {
  const fs::path root = r_testdata_dir();
  for (const std::string file : {"model.rds", "model_exact.json"}) {
    CAPTURE(file);
    const fs::path tw = root / "glm_tweedie_power" / file, lg = root / "glm_tweedie_log" / file,
                   qp = root / "glm_quasi_power" / file;
    if (!fs::exists(tw) || !fs::exists(lg) || !fs::exists(qp)) continue;
    const ir::Model t = formats::load_model(tw.string(), std::nullopt);
    const auto* tl = std::get_if<ir::Linear>(&t.estimator);
    REQUIRE(tl);
    CHECK(tl->link == ir::Link::Power);
    CHECK(tl->link_power == 1.5);
    const ir::Model l = formats::load_model(lg.string(), std::nullopt);
    REQUIRE(std::get_if<ir::Linear>(&l.estimator));
    CHECK(std::get<ir::Linear>(l.estimator).link == ir::Link::Log);
    const ir::Model q = formats::load_model(qp.string(), std::nullopt);
    REQUIRE(std::get_if<ir::Linear>(&q.estimator));
    CHECK(std::get<ir::Linear>(q.estimator).link_power == 0.25);
    bool floor = false;
    for (const auto& w : q.provenance.warnings) floor |= w.code == "r-power-link-floor";
    CHECK(floor);
  }
}
