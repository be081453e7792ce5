// ONNX tree ensembles: skl2onnx and hand-built TreeEnsemble corpus models and onnxruntime's
// one-operator probes scored against onnxruntime 1.30's own outputs (within one float32 ulp);
// IR trees written to ONNX, checked by onnx.checker (Debian's onnx 1.12) and scored by
// onnxruntime-node against the evaluator; R's tree models (testdata/r) written to ONNX and
// scored by onnxruntime against R's predict().
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <onnx/onnx_pb.h>
#include <rapidjson/document.h>

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

namespace {

void require_tools() {
  int st = 0;
  run("/usr/bin/python3 -c 'import onnx.checker' 2>&1", st);
  REQUIRE_MESSAGE(st == 0, "Debian's python3-onnx is missing (/usr/bin/python3 -c 'import onnx'); run .ci/setup");
  const fs::path ort = fs::path(MB_SOURCE_DIR) / "build/node/node_modules/onnxruntime-node";
  REQUIRE_MESSAGE(fs::exists(ort), "onnxruntime-node is missing at " << ort.string() << "; run .ci/setup");
}

// Debian's onnx 1.12 checker with full_check; returns its output ("" when clean).
std::string checker(const fs::path& model) {
  int st = 0;
  std::string out = run(fmt::format("/usr/bin/python3 -c \"import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                                    "full_check=True)\" '{}' 2>&1", model.string()), st);
  return st == 0 ? std::string() : (out.empty() ? "failed" : out);
}

Csv ort_score(const fs::path& model, const fs::path& csv) {
  int st = 0;
  const std::string script = fs::path(MB_SOURCE_DIR) / "tests/interop/ort_score.js";
  std::string out = run(fmt::format("NODE_PATH='{}/build/node/node_modules' node '{}' '{}' '{}' 2>&1", MB_SOURCE_DIR,
                                    script, model.string(), csv.string()), st);
  INFO("onnxruntime: " << out.substr(0, 2000));
  REQUIRE(st == 0);
  return parse_csv(out);
}

bool agree(double a, double b, double atol, double rtol) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

// onnxruntime's output of a model this writer made ("prediction" or "class" +
// "probabilities_k") versus predictions, by the agreement rule.
struct Versus {
  size_t rows = 0, beyond = 0, labels = 0;
  double max_abs = 0;
};
Versus versus(const ir::Model& m, const eval::Predictions& p, const Csv& ort, double atol, double rtol) {
  Versus v;
  v.rows = p.rows;
  REQUIRE(ort.rows.size() == p.rows);
  auto one = [&](double a, double b) {
    if (!(std::isnan(a) && std::isnan(b))) v.max_abs = std::max(v.max_abs, std::fabs(a - b));
    if (!agree(a, b, atol, rtol)) ++v.beyond;
  };
  if (m.schema.target.task == ir::Task::Regression) {
    const int c = ort.col("prediction");
    REQUIRE(c >= 0);
    for (size_t r = 0; r < p.rows; ++r) one(p.value[r], cell_number(ort.rows[r][c]));
    return v;
  }
  const size_t K = m.schema.target.classes.size();
  const int lc = ort.col("class");
  REQUIRE(lc >= 0);
  for (size_t r = 0; r < p.rows; ++r) {
    for (size_t k = 0; k < K; ++k) one(p.prob[r * K + k], cell_number(ort.rows[r][ort.col(fmt::format("probabilities_{}", k))]));
    const std::string want = p.label[r] < 0 ? "" : m.schema.target.classes[p.label[r]];
    if (ort.rows[r][lc] != want) ++v.labels;
  }
  return v;
}

// x1 in [-2, 4], x2 in [0, 5] (ties at split points), color with missing and unseen labels.
Csv make_data(size_t n) {
  Csv c;
  c.header = {"x1", "x2", "color"};
  uint64_t s = 4242;
  auto rnd = [&]() { s = s * 6364136223846793005ULL + 1442695040888963407ULL; return static_cast<double>(s >> 11) / 9007199254740992.0; };
  const char* colors[] = {"red", "green", "blue", "yellow", "", "purple"};
  auto num = [](double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); };
  for (size_t r = 0; r < n; ++r) {
    double x1 = -2 + 6 * rnd(), x2 = 5 * rnd();
    if (r % 7 == 3) x1 = kNaN;
    if (r % 11 == 5) x2 = kNaN;
    if (r % 13 == 1) x1 = 0.5;               // on a threshold
    if (r % 17 == 2) x2 = 2.0;               // on an equality test
    if (r % 19 == 4) x1 = 1.2999999999999998; // one double below a threshold
    const double u = rnd();
    const int ci = u < 0.05 ? 4 : (u < 0.08 ? 5 : static_cast<int>(rnd() * 4));
    c.rows.push_back({num(x1), num(x2), colors[ci]});
  }
  return c;
}

struct TreeBuilder {
  ir::Tree t;
  int K;
  explicit TreeBuilder(int k) : K(k) {}
  int32_t add(ir::SplitOp op, int32_t f, double thr, ir::MissingGo miss, std::vector<double> v = {}) {
    t.op.push_back(op);
    t.feature.push_back(op == ir::SplitOp::Leaf ? -1 : f);
    t.threshold.push_back(thr);
    t.left.push_back(-1);
    t.right.push_back(-1);
    t.missing.push_back(miss);
    t.missing_child.push_back(-1);
    t.count.push_back(1);
    v.resize(K, 0.0);
    t.values.insert(t.values.end(), v.begin(), v.end());
    return static_cast<int32_t>(t.op.size() - 1);
  }
  int32_t leaf(std::vector<double> v) { return add(ir::SplitOp::Leaf, -1, 0, ir::MissingGo::Right, std::move(v)); }
};

ir::Model tree_base() {
  ir::Model m;
  m.schema.inputs.push_back({"x1", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back({"x2", ir::FieldKind::Continuous, {}, {}, {}, ir::Precision::Double});
  m.schema.inputs.push_back({"color", ir::FieldKind::Categorical, {"red", "green", "blue", "yellow"}, {}, {}, ir::Precision::Double});
  m.unseen = ir::UnseenLevel::Missing;
  m.features = {{"x1", ir::Expr::input(0)}, {"x2", ir::Expr::input(1)}, {"color", ir::Expr::input(2)}};
  return m;
}

// A tree using every split test and missing-value rule, surrogates and category sets.
ir::Tree rich_tree(int K, double scale, bool two_sided) {
  using S = ir::SplitOp;
  using M = ir::MissingGo;
  TreeBuilder b(K);
  auto val = [&](double v) {
    std::vector<double> out(K);
    for (int k = 0; k < K; ++k) out[k] = scale * (v + 0.37 * k * (k % 2 ? -1 : 1)) + (K > 1 ? 3.0 : 0.0);
    return out;
  };
  const int32_t root = b.add(S::LessThan, 0, 1.3, M::Majority, val(0.5));                 // 0
  const int32_t n1 = b.add(S::InSet, 2, 0, M::StopHere, val(1.5));                          // 1
  const int32_t n2 = b.add(S::GreaterOrEqual, 1, 2.5, M::Node, val(2.5));                  // 2
  b.t.left[root] = n1;
  b.t.right[root] = n2;
  const int32_t n3 = b.add(S::Equal, 1, 2.0, M::Left, val(3.5));                           // 3
  const int32_t n4 = b.add(S::LessOrEqual, 0, 0.5, M::Null, val(4.5));                     // 4
  b.t.left[n1] = n3;
  b.t.right[n1] = n4;
  b.t.left[n3] = b.leaf(val(10));
  b.t.right[n3] = b.leaf(val(11));
  b.t.left[n4] = b.leaf(val(12));
  b.t.right[n4] = b.leaf(val(13));
  const int32_t n9 = b.add(S::GreaterThan, 0, 2.75, M::Right, val(5.5));
  const int32_t n10 = b.add(S::NotEqual, 2, 1.0, M::Left, val(6.5));
  b.t.left[n2] = n9;
  b.t.right[n2] = n10;
  b.t.missing_child[n2] = n10;
  b.t.left[n9] = b.leaf(val(20));
  b.t.right[n9] = b.leaf(val(21));
  b.t.left[n10] = b.leaf(val(22));
  b.t.right[n10] = b.leaf(val(23));
  // Category set at node 1: {0, 2} (or two-sided: 0, 2 true, 1 false, 3 unlisted).
  const size_t n = b.t.op.size();
  b.t.set_offset.assign(n, 0);
  b.t.set_size.assign(n, 0);
  b.t.set_offset[n1] = 0;
  b.t.sets = {0, 2};
  if (two_sided) {
    b.t.sets.push_back(1);
    b.t.set_side = {1, 1, 0};
  }
  b.t.set_size[n1] = static_cast<int32_t>(b.t.sets.size());
  // Surrogates: root (x2 <= 2.2 flipped, then color in {1}), node 4 (x2 > 1).
  b.t.sur_offset.assign(n, 0);
  b.t.sur_size.assign(n, 0);
  b.t.sur_offset[root] = 0;
  b.t.sur_size[root] = 2;
  b.t.sur_feature = {1, 2, 1};
  b.t.sur_op = {S::LessOrEqual, S::InSet, S::GreaterThan};
  b.t.sur_threshold = {2.2, 0, 1.0};
  b.t.sur_flip = {1, 0, 0};
  b.t.sur_set_offset = {0, static_cast<int32_t>(b.t.sets.size()), 0};
  b.t.sur_set_size = {0, 1, 0};
  b.t.sets.push_back(1);
  if (two_sided) b.t.set_side.push_back(1);
  b.t.sur_offset[n4] = 2;
  b.t.sur_size[n4] = 1;
  // Majority at the root: the left subtree has more records.
  b.t.count.assign(n, 1);
  b.t.count[n1] = 60;
  b.t.count[n2] = 40;
  return b.t;
}

ir::Model rich_regression(ir::Aggregate agg, bool with_base) {
  ir::Model m = tree_base();
  ir::TreeEnsemble te;
  te.aggregate = agg;
  te.trees = {rich_tree(1, 1.0, false), rich_tree(1, -0.7, true), rich_tree(1, 0.3, false)};
  if (agg == ir::Aggregate::Sum) te.tree_weights = {0.1, 0.1, 0.25};
  if (with_base) te.base = {100.125};
  m.estimator = te;
  m.schema.target = {"y", ir::Task::Regression, {}};
  ir::validate(m, "test");
  return m;
}

ir::Model rich_classifier(ir::Aggregate agg, ir::ScoreTransform tr) {
  ir::Model m = tree_base();
  ir::TreeEnsemble te;
  te.n_outputs = 3;
  te.aggregate = agg;
  te.transform = tr;
  te.trees = {rich_tree(3, 1.0, false), rich_tree(3, -0.5, true), rich_tree(3, 0.8, true), rich_tree(3, 0.2, false)};
  m.estimator = te;
  m.schema.target = {"k", ir::Task::Classification, {"a", "b", "c"}};
  ir::validate(m, "test");
  return m;
}

ir::Model gbm_binary() {
  ir::Model m = tree_base();
  ir::TreeEnsemble te;
  te.trees = {rich_tree(1, 0.4, false), rich_tree(1, -0.3, true)};
  te.base = {-0.25};
  te.link = ir::Link::Logit;
  te.transform = ir::ScoreTransform::Binary;
  m.estimator = te;
  m.schema.target = {"yes", ir::Task::Classification, {"no", "yes"}};
  ir::validate(m, "test");
  return m;
}

fs::path write_data(const std::string& name, const Csv& data) {
  const fs::path csv = work_dir() / (name + ".csv");
  std::string text;
  for (size_t i = 0; i < data.header.size(); ++i) text += (i ? "," : "") + data.header[i];
  text += "\n";
  for (const auto& r : data.rows) {
    for (size_t i = 0; i < r.size(); ++i) text += (i ? "," : "") + r[i];
    text += "\n";
  }
  write_file(csv, text);
  return csv;
}

// Double: write -> checker -> read back (identical scores) -> onnxruntime at rtol 1e-9.
void round_trip(const ir::Model& m, const std::string& name) {
  require_tools();
  Warnings w;
  const std::string bytes = onnxfmt::write(m, {}, w);
  const fs::path file = work_dir() / (name + ".onnx");
  write_file(file, bytes);
  const std::string chk = checker(file);
  CHECK_MESSAGE(chk.empty(), "onnx.checker: " << chk);
  const ir::Model back = onnxfmt::read(bytes, file.string());
  CHECK(std::holds_alternative<ir::TreeEnsemble>(back.estimator));
  const Csv data = make_data(500);
  const fs::path csv = write_data(name, data);
  const eval::Batch batch = bind(m, data);
  const auto p0 = score(m, batch);
  const auto p1 = score(back, batch);
  CHECK(same_bits(p0.value, p1.value));
  CHECK(same_bits(p0.prob, p1.prob));
  CHECK(p0.label == p1.label);
  const Versus v = versus(m, p0, ort_score(file, csv), 1e-12, 1e-9);
  MESSAGE(name << ": onnxruntime vs evaluator, rows " << v.rows << ", max abs " << v.max_abs << ", beyond " << v.beyond
               << ", label mismatches " << v.labels);
  CHECK(v.beyond == 0);
  CHECK(v.labels == 0);
}

}  // namespace

TEST_CASE("onnx trees: every split test, missing rule, surrogate and category set round-trips; onnxruntime agrees") {
  round_trip(rich_regression(ir::Aggregate::Sum, true), "tree_sum_base");
  round_trip(rich_regression(ir::Aggregate::Average, false), "tree_average");
  round_trip(rich_classifier(ir::Aggregate::Vote, ir::ScoreTransform::Normalize), "tree_vote");
  round_trip(rich_classifier(ir::Aggregate::Average, ir::ScoreTransform::None), "tree_prob_average");
  round_trip(rich_classifier(ir::Aggregate::Sum, ir::ScoreTransform::Softmax), "tree_softmax");
  round_trip(gbm_binary(), "tree_gbm_binary");
}

TEST_CASE("onnx trees: Max and Min aggregation round-trip") {
  ir::Model m = rich_regression(ir::Aggregate::Max, false);
  auto& te = std::get<ir::TreeEnsemble>(m.estimator);
  for (auto& t : te.trees)
    for (auto& mg : t.missing)
      if (mg == ir::MissingGo::Null) mg = ir::MissingGo::Right;
  round_trip(m, "tree_max");
  te.aggregate = ir::Aggregate::Min;
  round_trip(m, "tree_min");
}

TEST_CASE("onnx trees: float32 option narrows loudly and the evaluator's float32 rules reproduce onnxruntime") {
  require_tools();
  const ir::Model models[] = {rich_regression(ir::Aggregate::Sum, true), rich_regression(ir::Aggregate::Average, false),
                              rich_classifier(ir::Aggregate::Vote, ir::ScoreTransform::Normalize), gbm_binary()};
  int i = 0;
  for (const auto& m : models) {
    const std::string name = fmt::format("tree_f32_{}", i++);
    Warnings w;
    const std::string bytes = onnxfmt::write(m, {ir::Precision::Float32}, w);
    bool narrowing = false;
    for (const auto& x : w) narrowing |= x.code == "float32-narrowing" || x.code == "float32-thresholds";
    CHECK(narrowing);
    const fs::path file = work_dir() / (name + ".onnx");
    write_file(file, bytes);
    const std::string chk = checker(file);
    CHECK_MESSAGE(chk.empty(), "onnx.checker: " << chk);
    const ir::Model back = onnxfmt::read(bytes, file.string());
    const auto& te = std::get<ir::TreeEnsemble>(back.estimator);
    CHECK(te.ort_rules);
    CHECK(te.value_precision == ir::Precision::Float32);
    const Csv data = make_data(500);
    const fs::path csv = write_data(name, data);
    const eval::Batch batch = bind(m, data);
    const auto p64 = score(m, batch);
    const auto p32 = score(back, batch);
    const Csv ort = ort_score(file, csv);
    // The evaluator's float32 rules against onnxruntime: the operator's float32 sums agree to the
    // last bit; the link after it is computed in double by both (R's logistic formula versus
    // onnxruntime's Sigmoid: a double rounding apart).
    const Versus same = versus(back, p32, ort, 1e-15, 1e-12);
    const Versus moved = versus(m, p64, ort, 1e-12, 1e-9);
    MESSAGE(name << ": float32 operator vs float32 rules: max abs " << same.max_abs << ", beyond " << same.beyond
                 << "; vs double model: " << moved.beyond << " values moved (max " << moved.max_abs << "), "
                 << moved.labels << " labels changed");
    CHECK(same.beyond == 0);
    CHECK(same.labels == 0);
  }
}

namespace {

// The ONNX file's ai.onnx.ml opset and the op types of its ai.onnx.ml nodes.
std::pair<int64_t, std::vector<std::string>> ml_nodes(const std::string& bytes) {
  onnx::ModelProto proto;
  REQUIRE(proto.ParseFromString(bytes));
  int64_t opset = 0;
  for (const auto& o : proto.opset_import())
    if (o.domain() == "ai.onnx.ml") opset = o.version();
  std::vector<std::string> ops;
  for (const auto& n : proto.graph().node())
    if (n.domain() == "ai.onnx.ml") ops.push_back(n.op_type());
  return {opset, ops};
}

// --onnx-trees ml5: write -> one TreeEnsemble (ml opset 5; onnx 1.12's checker refuses it) ->
// onnxruntime agrees with the evaluator at rtol 1e-9 (double) -> read back scores as the source;
// float32: the evaluator's onnxruntime rules on the file read back reproduce onnxruntime.
void round_trip_ml5(const ir::Model& m, const std::string& name) {
  require_tools();
  const Csv data = make_data(500);
  const fs::path csv = write_data(name, data);
  const eval::Batch batch = bind(m, data);
  const auto p0 = score(m, batch);
  for (const auto prec : {ir::Precision::Double, ir::Precision::Float32}) {
    const bool f32 = prec == ir::Precision::Float32;
    CAPTURE(f32);
    Warnings w;
    onnxfmt::WriteOptions o;
    o.precision = prec;
    o.trees = onnxfmt::OnnxTrees::Ml5;
    const std::string bytes = onnxfmt::write(m, o, w);
    bool warned = false;
    for (const auto& x : w) warned |= x.code == "onnx-ml-opset-5";
    CHECK(warned);
    const auto [opset, ops] = ml_nodes(bytes);
    CHECK(opset == 5);
    CHECK(std::count(ops.begin(), ops.end(), "TreeEnsemble") == 1);
    CHECK(std::count(ops.begin(), ops.end(), "TreeEnsembleRegressor") == 0);
    const fs::path file = work_dir() / (name + (f32 ? ".ml5f.onnx" : ".ml5.onnx"));
    write_file(file, bytes);
    const std::string chk = checker(file);
    CHECK_MESSAGE(chk.find("TreeEnsemble") != std::string::npos, "onnx 1.12's checker accepted ml opset 5: " << chk);
    const Csv ort = ort_score(file, csv);
    const ir::Model back = onnxfmt::read(bytes, file.string());
    const auto& te = std::get<ir::TreeEnsemble>(back.estimator);
    CHECK(te.ort_rules);
    const auto p1 = score(back, batch);
    if (!f32) {
      const Versus v = versus(m, p0, ort, 1e-12, 1e-9);
      const Versus rb = versus(back, p1, ort, 1e-15, 1e-12);
      MESSAGE(name << " (ml5 double): onnxruntime vs evaluator max abs " << v.max_abs << ", beyond " << v.beyond
                   << "; read back vs onnxruntime beyond " << rb.beyond);
      CHECK(v.beyond == 0);
      CHECK(v.labels == 0);
      CHECK(rb.beyond == 0);
      CHECK(rb.labels == 0);
    } else {
      CHECK(te.value_precision == ir::Precision::Float32);
      const Versus same = versus(back, p1, ort, 1e-15, 1e-12);
      const Versus moved = versus(m, p0, ort, 1e-12, 1e-9);
      MESSAGE(name << " (ml5 float32): float32 rules vs onnxruntime beyond " << same.beyond << "; vs double model: "
                   << moved.beyond << " values moved, " << moved.labels << " labels changed");
      CHECK(same.beyond == 0);
      CHECK(same.labels == 0);
    }
  }
}

}  // namespace

TEST_CASE("onnx trees: --onnx-trees ml5 writes one opset-5 TreeEnsemble that onnxruntime and the reader score as the source") {
  round_trip_ml5(rich_regression(ir::Aggregate::Sum, true), "ml5_sum_base");
  round_trip_ml5(rich_regression(ir::Aggregate::Average, false), "ml5_average");
  round_trip_ml5(rich_classifier(ir::Aggregate::Vote, ir::ScoreTransform::Normalize), "ml5_vote");
  round_trip_ml5(rich_classifier(ir::Aggregate::Average, ir::ScoreTransform::None), "ml5_prob_average");
  round_trip_ml5(rich_classifier(ir::Aggregate::Sum, ir::ScoreTransform::Softmax), "ml5_softmax");
  round_trip_ml5(gbm_binary(), "ml5_gbm_binary");
  ir::Model mx = rich_regression(ir::Aggregate::Max, false);
  for (auto& t : std::get<ir::TreeEnsemble>(mx.estimator).trees)
    for (auto& mg : t.missing)
      if (mg == ir::MissingGo::Null) mg = ir::MissingGo::Right;
  round_trip_ml5(mx, "ml5_max");
  std::get<ir::TreeEnsemble>(mx.estimator).aggregate = ir::Aggregate::Min;
  round_trip_ml5(mx, "ml5_min");
  // A single-leaf tree is one test whose both branches reach the leaf.
  ir::Model one = tree_base();
  ir::TreeEnsemble te;
  TreeBuilder b(1);
  b.leaf({2.5});
  te.trees = {b.t, rich_tree(1, 1.0, false)};
  one.estimator = te;
  one.schema.target = {"y", ir::Task::Regression, {}};
  ir::validate(one, "test");
  round_trip_ml5(one, "ml5_single_leaf");
  // Linear models have no trees to write.
  ir::Model lin = tree_base();
  ir::Linear l;
  l.coefficients = {1, 2, 0};
  l.intercepts = {0.5};
  lin.estimator = l;
  lin.schema.target = {"y", ir::Task::Regression, {}};
  Warnings w;
  onnxfmt::WriteOptions o;
  o.trees = onnxfmt::OnnxTrees::Ml5;
  CHECK_THROWS_AS(onnxfmt::write(lin, o, w), Error);
}

#ifdef MB_HAVE_R_TREES
namespace {

const fs::path kRCases = fs::path(MB_SOURCE_DIR) / "testdata" / "r";

struct RCase {
  const char* name;
  std::function<ir::Model(const r::RObject&, const std::string&, Warnings&)> import;
};

std::vector<RCase> r_cases() {
  const r::LevelHints infert = {{"education", {"0-5yrs", "6-11yrs", "12+ yrs"}}};
  const r::LevelHints esoph = {{"agegp", {"25-34", "35-44", "45-54", "55-64", "65-74", "75+"}},
                               {"alcgp", {"0-39g/day", "40-79", "80-119", "120+"}},
                               {"tobgp", {"0-9g/day", "10-19", "20-29", "30+"}}};
  auto forest = [](r::LevelHints h) {
    return [h](const r::RObject& o, const std::string& f, Warnings& w) { return r::import_random_forest(o, f, w, h); };
  };
  auto ranger = [](r::LevelHints h) {
    return [h](const r::RObject& o, const std::string& f, Warnings& w) { return r::import_ranger(o, f, w, h); };
  };
  return {{"rpart_anova", r::import_rpart},
          {"rpart_anova_nosurrogate", r::import_rpart},
          {"rpart_class", r::import_rpart},
          {"rpart_class_factor", r::import_rpart},
          {"rf_regression", forest({})},
          {"rf_class", forest({})},
          {"rf_class_json15_flip", forest({})},
          {"rf_class_factor", forest({})},
          {"rf_regression_ordered", forest(esoph)},
          {"ranger_regression", ranger({})},
          {"ranger_class", ranger({})},
          {"ranger_prob_order", ranger({})},
          {"ranger_prob_ignore", ranger({})},
          {"ranger_class_partition", ranger(infert)},
          {"ranger_class_ignore_factor", ranger(infert)},
          {"gbm_gaussian", r::import_gbm},
          {"gbm_bernoulli", r::import_gbm},
          {"gbm_poisson", r::import_gbm}};
}

// onnxruntime's output versus R's expected.csv: regression by the first column, classification
// by class and by probability(<label>) columns (the ranger references whose two probability
// columns are swapped, see test_import_trees.cpp, are compared on their classes).
Versus versus_r(const ir::Model& m, const Csv& ort, const Csv& expected, bool swapped, double atol, double rtol) {
  Versus v;
  v.rows = expected.rows.size();
  REQUIRE(ort.rows.size() == expected.rows.size());
  for (size_t r = 0; r < v.rows; ++r) {
    bool row_bad = false;
    auto one = [&](double a, double b) {
      if (!(std::isnan(a) && std::isnan(b))) v.max_abs = std::max(v.max_abs, std::fabs(a - b));
      row_bad |= !agree(a, b, atol, rtol);
    };
    if (m.schema.target.task == ir::Task::Regression) {
      one(cell_number(ort.rows[r][ort.col("prediction")]), cell_number(expected.rows[r][0]));
    } else {
      if (ort.rows[r][ort.col("class")] != expected.rows[r][expected.col("class")]) ++v.labels;
      for (size_t k = 0; k < m.schema.target.classes.size() && !swapped; ++k) {
        const int c = expected.col("probability(" + m.schema.target.classes[k] + ")");
        if (c >= 0) one(cell_number(ort.rows[r][ort.col(fmt::format("probabilities_{}", k))]), cell_number(expected.rows[r][c]));
      }
    }
    v.beyond += row_bad;
  }
  return v;
}

}  // namespace

TEST_CASE("onnx trees: R's tree models written to ONNX score as R predicts in onnxruntime") {
  if (!fs::exists(kRCases / "rpart_anova" / "model_exact.json")) {
    MESSAGE("testdata/r has no tree cases; skipped");
    return;
  }
  require_tools();
  for (const auto& c : r_cases()) {
    const fs::path dir = kRCases / c.name;
    if (!fs::exists(dir / "model_exact.json")) continue;
    CAPTURE(std::string(c.name));
    Warnings w;
    const fs::path json = dir / "model_exact.json";
    const ir::Model m = c.import(*r::read_rjson(read_file(json), json.string(), w), json.string(), w);
    const Csv input = parse_csv(read_file(dir / "input.csv"));
    const Csv expected = parse_csv(read_file(dir / "expected.csv"));
    const fs::path csv = write_data(std::string("r_") + c.name, input);
    const bool swapped = std::string(c.name) == "ranger_class_partition" || std::string(c.name) == "ranger_class_ignore_factor";

    Warnings ww;
    const std::string bytes = onnxfmt::write(m, {}, ww);
    const fs::path file = work_dir() / (std::string("r_") + c.name + ".onnx");
    write_file(file, bytes);
    const std::string chk = checker(file);
    CHECK_MESSAGE(chk.empty(), "onnx.checker: " << chk);
    const Versus v = versus_r(m, ort_score(file, csv), expected, swapped, 1e-12, 1e-9);
    MESSAGE(std::string(c.name) << " (double ONNX, " << bytes.size() << " bytes): onnxruntime vs R: rows " << v.rows << ", beyond "
                   << v.beyond << ", label mismatches " << v.labels << ", max abs " << v.max_abs);
    CHECK(v.beyond == 0);
    CHECK(v.labels == 0);
    // The reader gives back the same predictions.
    const ir::Model back = onnxfmt::read(bytes, file.string());
    const eval::Batch batch = bind(m, input);
    const auto p0 = score(m, batch), p1 = score(back, batch);
    CHECK(same_bits(p0.value, p1.value));
    CHECK(same_bits(p0.prob, p1.prob));
    CHECK(p0.label == p1.label);

    // Float32: how many rows move against R (measured, reported).
    Warnings w32;
    std::string bytes32;
    try {
      bytes32 = onnxfmt::write(m, {ir::Precision::Float32}, w32);
    } catch (const Error& e) {
      MESSAGE(std::string(c.name) << " (float32 ONNX): refused: " << e.what());
      CHECK(std::string(e.what()).find("expanding") != std::string::npos);
      continue;
    }
    const fs::path file32 = work_dir() / (std::string("r32_") + c.name + ".onnx");
    write_file(file32, bytes32);
    const std::string chk32 = checker(file32);
    CHECK_MESSAGE(chk32.empty(), "onnx.checker: " << chk32);
    const Csv ort32 = ort_score(file32, csv);
    const Versus v32 = versus_r(m, ort32, expected, swapped, 1e-12, 1e-9);
    const ir::Model back32 = onnxfmt::read(bytes32, file32.string());
    const Versus rules = versus(back32, score(back32, bind(back32, input)), ort32, 1e-15, 1e-12);
    MESSAGE(std::string(c.name) << " (float32 ONNX): rows moved vs R " << v32.beyond << " of " << v32.rows << " (max abs " << v32.max_abs
                   << "), classes changed " << v32.labels << "; float32 rules vs onnxruntime: beyond " << rules.beyond);
    CHECK(rules.beyond == 0);
    CHECK(rules.labels == 0);
  }
}
#endif

TEST_CASE("onnx trees: onnxruntime's one-operator probes (modes, missing tracks, aggregates, base values, post-transforms, binary layouts)") {
  const fs::path dir = kCorpus / "probes";
  if (!fs::exists(dir / "probes.json")) return;
  rapidjson::Document probes, results;
  probes.Parse(read_file(dir / "probes.json").c_str());
  results.Parse(read_file(dir / "results.json").c_str());
  REQUIRE(probes.IsArray());
  REQUIRE(results.IsObject());
  size_t scored = 0, refused = 0;
  for (const auto& pr : probes.GetArray()) {
    const std::string name = pr["name"].GetString();
    if (name.rfind("te", 0) != 0) continue;  // tree probes: ter_*, ter3_*, tec_*, te5_*
    CAPTURE(name);
    const fs::path file = dir / pr["model"].GetString();
    // Multi-target regressors have no IR target.
    const bool refuse = name.rfind("ter3_", 0) == 0;
    if (refuse) {
      CHECK_THROWS_AS(onnxfmt::read(read_file(file), file.string()), Error);
      ++refused;
      continue;
    }
    const ir::Model m = onnxfmt::read(read_file(file), file.string());
    const auto& x = pr["feeds"]["X"];
    const size_t rows = x["dims"][0].GetUint(), cols = x["dims"][1].GetUint();
    REQUIRE(m.schema.inputs.size() == cols);
    eval::Batch b;
    b.rows = rows;
    b.columns.assign(cols, std::vector<double>(rows));
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) {
        const auto& v = x["data"][static_cast<rapidjson::SizeType>(r * cols + c)];
        b.columns[c][r] = v.IsNumber() ? v.GetDouble() : kNaN;
      }
    const auto p = score(m, b);
    const auto& res = results[name.c_str()];
    auto num = [](const rapidjson::Value& v) { return v.IsNumber() ? v.GetDouble() : kNaN; };
    double worst = 0;
    if (m.schema.target.task == ir::Task::Regression) {
      for (size_t r = 0; r < rows; ++r) worst = std::max(worst, float_ulps(p.value[r], num(res["Y"]["data"][static_cast<rapidjson::SizeType>(r)])));
    } else {
      const size_t K = m.schema.target.classes.size();
      for (size_t r = 0; r < rows; ++r) {
        const auto& y = res["Y"]["data"][static_cast<rapidjson::SizeType>(r)];
        const std::string label = y.IsString() ? y.GetString() : std::to_string(y.GetInt64());
        CHECK(m.schema.target.classes[p.label[r]] == label);
        for (size_t k = 0; k < K; ++k)
          worst = std::max(worst, float_ulps(p.prob[r * K + k], num(res["Z"]["data"][static_cast<rapidjson::SizeType>(r * K + k)])));
      }
    }
    MESSAGE(name << ": " << worst << " float32 ulp");
    CHECK(worst <= 1.0);
    ++scored;
  }
  MESSAGE("tree probes: " << scored << " scored, " << refused << " refused");
  CHECK(scored >= 15);
}

TEST_CASE("onnx trees: binary TreeEnsembleClassifier weighting class 1 only scores as onnxruntime ([0, s], [0.5, logistic(s)])") {
  const fs::path dir = kCorpus / "probes";
  if (!fs::exists(dir / "results.json")) {
    MESSAGE("probes not found at " << dir.string() << "; skipped");
    return;
  }
  rapidjson::Document results;
  results.Parse(read_file(dir / "results.json").c_str());
  REQUIRE(results.IsObject());
  const double xs[] = {0.25, 0.75};  // the probes' feeds
  for (const char* name : {"tec_binary_pos_NONE", "tec_binary_mixed_NONE", "tec_binary_pos_LOGISTIC", "tec_binary_mixed_LOGISTIC"}) {
    CAPTURE(std::string(name));
    const fs::path file = dir / (std::string(name) + ".onnx");
    const std::string bytes = read_file(file);
    const ir::Model m = onnxfmt::read(bytes, file.string());
    const auto& te = std::get<ir::TreeEnsemble>(m.estimator);
    CHECK(te.ort_binary_class1);
    CHECK(te.n_outputs == 1);
    REQUIRE(m.schema.target.classes.size() == 2);
    eval::Batch b;
    b.rows = 2;
    b.columns.assign(1, std::vector<double>(std::begin(xs), std::end(xs)));
    const auto p = score(m, b);
    const auto& res = results[name];
    for (size_t r = 0; r < 2; ++r) {
      const auto ri = static_cast<rapidjson::SizeType>(r);
      CHECK(m.schema.target.classes[p.label[r]] == std::to_string(res["Y"]["data"][ri].GetInt64()));
      for (size_t k = 0; k < 2; ++k) {
        const double ref = res["Z"]["data"][static_cast<rapidjson::SizeType>(r * 2 + k)].GetDouble();
        CHECK(float_ulps(p.prob[r * 2 + k], ref) <= 1.0);
      }
    }
    // Class 0's column is the post-transform of 0 (not 1 - s).
    CHECK(p.prob[0] == (std::string(name).find("LOGISTIC") != std::string::npos ? 0.5 : 0.0));

    // The layout is part of the model's meaning: the same trees weighting class 0 read differently.
    onnx::ModelProto proto;
    REQUIRE(proto.ParseFromString(bytes));
    onnx::NodeProto* op = nullptr;
    for (auto& n : *proto.mutable_graph()->mutable_node())
      if (n.op_type() == "TreeEnsembleClassifier") op = &n;
    REQUIRE(op != nullptr);
    bool has_ids = false;
    for (const auto& a : op->attribute()) has_ids |= a.name() == "class_ids";
    REQUIRE(has_ids);
    onnx::ModelProto as_class0 = proto;
    for (auto& n : *as_class0.mutable_graph()->mutable_node())
      if (n.op_type() == "TreeEnsembleClassifier")
        for (auto& a : *n.mutable_attribute())
          if (a.name() == "class_ids")
            for (int i = 0; i < a.ints_size(); ++i) a.set_ints(i, 0);
    const ir::Model m0 = onnxfmt::read(as_class0.SerializeAsString(), "class0.onnx");
    CHECK_FALSE(std::get<ir::TreeEnsemble>(m0.estimator).ort_binary_class1);
    CHECK_FALSE(std::get<ir::TreeEnsemble>(m0.estimator) == te);

    // Post-transforms not probed with this layout are refused, naming the post-transform.
    for (const char* other : {"SOFTMAX", "SOFTMAX_ZERO", "PROBIT"}) {
      onnx::ModelProto bad = proto;
      for (auto& n : *bad.mutable_graph()->mutable_node())
        if (n.op_type() == "TreeEnsembleClassifier") {
          bool set = false;
          for (auto& a : *n.mutable_attribute())
            if (a.name() == "post_transform") { a.set_s(other); set = true; }
          if (!set) {
            auto* a = n.add_attribute();
            a->set_name("post_transform");
            a->set_type(onnx::AttributeProto::STRING);
            a->set_s(other);
          }
        }
      try {
        onnxfmt::read(bad.SerializeAsString(), "bad.onnx");
        FAIL("post_transform " << other << " was accepted");
      } catch (const Error& e) {
        const std::string msg = e.what();
        CHECK_MESSAGE(msg.find(std::string("post_transform ") + other) != std::string::npos, msg);
        CHECK_MESSAGE(msg.find("not probed") != std::string::npos, msg);
      }
    }
  }
}
