// ONNX tree ensembles: skl2onnx and hand-built TreeEnsemble corpus models and onnxruntime's
// one-operator probes scored against onnxruntime 1.30's own outputs (within one float32 ulp);
// IR trees written to ONNX, checked by onnx.checker (Debian's onnx 1.12) and scored by
// onnxruntime-node against the evaluator; R's tree models (testdata/r) written to ONNX and
// scored by onnxruntime against R's predict().
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "formats/onnx/onnx.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"

#if __has_include("formats/r/import_trees.hpp") && __has_include("formats/r/rjson_reader.hpp")
#include "formats/r/import_trees.hpp"
#include "formats/r/rjson_reader.hpp"
#define MB_HAVE_R_TREES 1
#endif

using namespace mb;
namespace fs = std::filesystem;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

fs::path work_dir() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / fmt::format("mb_test_onnx_trees_{}", getpid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void write_file(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string run(const std::string& cmd, int& status) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) { status = -1; return out; }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  status = pclose(f);
  return out;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int col(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  }
};

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

Csv parse_csv(const std::string& text) {
  Csv c;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() && first) continue;
    std::vector<std::string> cells;
    size_t s = 0;
    for (;;) {
      size_t e = line.find(',', s);
      cells.push_back(unquote(line.substr(s, e == std::string::npos ? std::string::npos : e - s)));
      if (e == std::string::npos) break;
      s = e + 1;
    }
    if (first) c.header = cells;
    else c.rows.push_back(cells);
    first = false;
  }
  return c;
}

double cell_number(const std::string& s) {
  if (s.empty() || s == "NA" || s == "NaN") return kNaN;
  if (s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  return std::strtod(s.c_str(), nullptr);
}

// Binds CSV cells to the schema: by name, then the remaining inputs take the remaining columns
// in order (unnamed ONNX matrix inputs X_0, X_1, ...).  Labels become level codes.
eval::Batch bind(const ir::Model& m, const Csv& csv) {
  eval::Batch b;
  b.rows = csv.rows.size();
  std::vector<int> col(m.schema.inputs.size(), -1);
  std::vector<bool> used(csv.header.size(), false);
  for (size_t i = 0; i < col.size(); ++i)
    if ((col[i] = csv.col(m.schema.inputs[i].name)) >= 0) used[col[i]] = true;
  size_t next = 0;
  for (size_t i = 0; i < col.size(); ++i) {
    if (col[i] >= 0) continue;
    while (next < used.size() && used[next]) ++next;
    REQUIRE(next < used.size());
    col[i] = static_cast<int>(next);
    used[next] = true;
  }
  for (size_t i = 0; i < col.size(); ++i) {
    const auto& in = m.schema.inputs[i];
    std::vector<double> v(b.rows);
    for (size_t r = 0; r < b.rows; ++r) {
      const std::string& s = csv.rows[r][col[i]];
      if (!in.is_categorical()) { v[r] = cell_number(s); continue; }
      v[r] = kNaN;
      for (size_t k = 0; k < in.levels.size(); ++k)
        if (in.levels[k] == s) v[r] = static_cast<double>(k);
    }
    b.columns.push_back(std::move(v));
  }
  return b;
}

eval::Predictions score(const ir::Model& m, const eval::Batch& b) {
  eval::Evaluator ev(m);
  eval::Predictions p;
  ev.score(b, p);
  return p;
}

// Distance in float32 units in the last place (of the reference value).
double float_ulps(double ours, double ref) {
  if (std::isnan(ours) && std::isnan(ref)) return 0;
  if (std::isnan(ours) != std::isnan(ref)) return INFINITY;
  if (ours == ref) return 0;
  const float f = static_cast<float>(ref);
  const double ulp = f == 0 ? std::ldexp(1.0, -149) : std::ldexp(1.0, std::ilogb(f) - 23);
  return std::fabs(ours - ref) / ulp;
}

struct Agreement {
  size_t rows = 0, values = 0, beyond = 0, label_mismatches = 0;
  double max_ulps = 0;
};

// Our predictions versus an onnxruntime output file (a label column first for classifiers, then
// one column per class; regression: the first column).
Agreement against_ort(const ir::Model& m, const eval::Predictions& p, const Csv& ort, double max_ulps) {
  Agreement a;
  a.rows = p.rows;
  REQUIRE(ort.rows.size() == p.rows);
  auto one = [&](double ours, double ref) {
    const double u = float_ulps(ours, ref);
    ++a.values;
    a.max_ulps = std::max(a.max_ulps, u);
    if (u > max_ulps) ++a.beyond;
  };
  if (m.schema.target.task == ir::Task::Regression) {
    for (size_t r = 0; r < p.rows; ++r) one(p.value[r], cell_number(ort.rows[r][0]));
    return a;
  }
  const size_t K = m.schema.target.classes.size();
  REQUIRE(ort.header.size() == K + 1);
  for (size_t r = 0; r < p.rows; ++r) {
    const std::string ours = p.label[r] < 0 ? "" : m.schema.target.classes[p.label[r]];
    if (ort.rows[r][0] != ours) ++a.label_mismatches;
    for (size_t k = 0; k < K; ++k) one(p.prob[r * K + k], cell_number(ort.rows[r][k + 1]));
  }
  return a;
}

const fs::path kCorpus = fs::path(MB_SHARED_DIR) / "corpus/onnx";

}  // namespace

TEST_CASE("onnx trees: skl2onnx and hand-built corpus models agree with onnxruntime within one float32 ulp") {
  if (!fs::exists(kCorpus)) {
    MESSAGE("shared corpus not found at " << kCorpus.string() << "; skipped");
    return;
  }
  const char* cases[] = {
      "skl2onnx/dtree_clf_wine", "skl2onnx/dtree_reg_diabetes", "skl2onnx/gbc_binary_breast_cancer",
      "skl2onnx/gbc_multiclass_iris", "skl2onnx/gbr_diabetes", "skl2onnx/rf_clf_wine", "skl2onnx/rf_reg_diabetes",
      "handbuilt/te5_dtree_reg_diabetes_f64", "handbuilt/te5_gbr_diabetes_f64", "handbuilt/te5_rf_clf_wine_f64",
      "handbuilt/te5_rf_clf_wine_f64_nocast", "handbuilt/te5_rf_reg_diabetes_f32_adjusted",
      "handbuilt/te5_rf_reg_diabetes_f32_naive", "handbuilt/te5_rf_reg_diabetes_f64",
      "handbuilt/te5_rf_reg_diabetes_f64_nocast"};
  size_t seen = 0;
  for (const char* name : cases) {
    const fs::path dir = kCorpus / name;
    if (!fs::exists(dir / "model.onnx")) continue;
    ++seen;
    CAPTURE(std::string(name));
    const ir::Model m = onnxfmt::read(read_file(dir / "model.onnx"), (dir / "model.onnx").string());
    CHECK(std::holds_alternative<ir::TreeEnsemble>(m.estimator));
    const Csv data = parse_csv(read_file(dir / "input.csv"));
    const Csv ort = parse_csv(read_file(dir / "ort.csv"));
    const auto p = score(m, bind(m, data));
    const Agreement a = against_ort(m, p, ort, 1.0);
    MESSAGE(std::string(name) << ": " << m.provenance.family << "; rows " << a.rows << ", values " << a.values << ", max "
                 << a.max_ulps << " float32 ulp, beyond 1 ulp " << a.beyond << ", label mismatches " << a.label_mismatches);
    CHECK(a.beyond == 0);
    CHECK(a.label_mismatches == 0);
  }
  CHECK(seen >= 8);
}
