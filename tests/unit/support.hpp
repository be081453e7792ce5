// Plumbing the unit tests share, one copy each: reading and writing files, the CSV files the
// reference data comes in, the agreement rule, scoring, the outside checkers (xmllint with the
// PMML 4.4 XSD, onnx.checker, onnxruntime-node) and the R cases in testdata/r.
//
// Header-only; a test includes it and says `using namespace mb::testsupport;`.
#pragma once
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/pmml/output_fields.hpp"
#include "formats/pmml/pmml.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/robject.hpp"
#include "formats/registry.hpp"
#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"
#if __has_include("formats/r/serial/rjson_reader.hpp")
#include "formats/r/serial/rjson_reader.hpp"
#define MB_HAVE_RJSON 1
#endif
#if __has_include("formats/r/serial/rds_reader.hpp")
#include "formats/r/serial/rds_reader.hpp"
#define MB_HAVE_RDS 1
#endif

namespace mb::testsupport {

namespace fs = std::filesystem;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline fs::path source_dir() { return fs::path(MB_SOURCE_DIR); }
inline fs::path shared_dir() { return fs::path(MB_SHARED_DIR); }
inline fs::path r_testdata_dir() { return source_dir() / "testdata" / "r"; }

// ---------------------------------------------------------------------------------------------
// Files and text.

// The whole file as bytes; empty when it cannot be read.
inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The whole file as bytes; REQUIREs that it opens.
inline std::string slurp_required(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// Splits at every `sep`; n separators give n + 1 parts.
inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Tokens of an S-expression ("(f a (g b))"): parentheses, and runs between spaces and parentheses.
inline std::vector<std::string> sexpr_tokens(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '(' || c == ')') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (c != ' ') out.emplace_back(1, c);
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// A double as R's sprintf("%a") writes it, with R's NA, NaN, Inf and -Inf.
inline std::string r_hexfloat(double d) {
  if (r::is_na_real(d)) return "NA";
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", d);
  return buf;
}

// The message of the mb::Error `f` throws, or "<no error>".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// ---------------------------------------------------------------------------------------------
// Reference CSV files (R's write.csv, the PMML producers' files, onnxruntime's output), read
// whole into strings.  Fields may be quoted ("" inside quotes is one quote); whether a field was
// quoted is kept, since R quotes strings and leaves its NA bare.

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<bool>> quoted;  // per row and field; empty for a Csv built by hand
  int col(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  }
};

// What a blank line is: skipped (the producers' files), or a record of one empty field (R's
// write.csv of a single column writes a missing value so).
enum class BlankLine { Skip, OneEmptyField };

inline std::vector<std::string> split_csv_line(const std::string& line, std::vector<bool>* quoted = nullptr) {
  std::vector<std::string> out;
  std::string cur;
  bool in_quotes = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (in_quotes) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (ch == '"') in_quotes = false;
      else cur += ch;
    } else if (ch == '"') {
      in_quotes = was_quoted = true;
    } else if (ch == ',') {
      out.push_back(cur);
      if (quoted) quoted->push_back(was_quoted);
      cur.clear();
      was_quoted = false;
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  if (quoted) quoted->push_back(was_quoted);
  return out;
}

// One record a line (a trailing "\r" dropped); the first record is the header.
inline Csv parse_csv(const std::string& text, BlankLine blank = BlankLine::Skip) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() && blank == BlankLine::Skip) continue;
    std::vector<bool> q;
    std::vector<std::string> fields = split_csv_line(line, &q);
    if (first) {
      csv.header = std::move(fields);
      first = false;
    } else {
      csv.rows.push_back(std::move(fields));
      csv.quoted.push_back(std::move(q));
    }
  }
  return csv;
}

inline Csv read_csv(const fs::path& p, BlankLine blank = BlankLine::Skip) { return parse_csv(slurp(p), blank); }

// Writes `csv` to `p`: the header, then a line per row, cells joined by commas as they are (no
// quoting), for the outside programs to read.
inline void write_csv(const fs::path& p, const Csv& csv) {
  std::string text;
  for (size_t i = 0; i < csv.header.size(); ++i) text += (i ? "," : "") + csv.header[i];
  text += "\n";
  for (const auto& r : csv.rows) {
    for (size_t i = 0; i < r.size(); ++i) text += (i ? "," : "") + r[i];
    text += "\n";
  }
  write_file(p, text);
}

// Missing-value tokens of the producers' files: empty, NA, N/A, NaN (quoted or not).
inline bool is_missing_cell(const std::string& s) { return s.empty() || s == "NA" || s == "N/A" || s == "NaN"; }

// R's write.csv: NA, NaN and an empty field are missing when bare; a quoted "NA" is a string.
inline bool is_r_missing(const std::string& s, bool quoted) {
  return !quoted && (s.empty() || s == "NA" || s == "NaN");
}

// A numeric cell: a missing token is NaN; otherwise the whole cell must read as a number
// (strtod: subnormals, Inf and -Inf too).  Throws std::invalid_argument otherwise.
inline double number_cell(const std::string& s) {
  if (is_missing_cell(s)) return kNaN;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end) throw std::invalid_argument("not a number: '" + s + "'");
  return v;
}

// Labels equal as text, or both numbers of the same value ("1" and "1.0").
inline bool same_label(const std::string& a, const std::string& b) {
  if (a == b) return true;
  try {
    size_t ia = 0, ib = 0;
    const double x = std::stod(a, &ia), y = std::stod(b, &ib);
    return ia == a.size() && ib == b.size() && x == y;
  } catch (...) {
    return false;
  }
}

// Binds CSV columns to the model's inputs by name: numbers read with number_cell, categorical
// labels to level codes by same_label.  A missing input column fails; an unseen level fails
// unless the model maps unseen levels to missing.
inline eval::Batch bind_by_name(const ir::Model& m, const Csv& csv) {
  eval::Batch b;
  b.rows = csv.rows.size();
  for (const auto& in : m.schema.inputs) {
    const int c = csv.col(in.name);
    REQUIRE_MESSAGE(c >= 0, "input column " << in.name << " missing from the data");
    std::vector<double> col(b.rows, kNaN);
    for (size_t r = 0; r < b.rows; ++r) {
      const std::string& cell = csv.rows[r][c];
      if (is_missing_cell(cell)) continue;
      if (!in.is_categorical()) {
        col[r] = number_cell(cell);
        continue;
      }
      int code = -1;
      for (size_t k = 0; k < in.levels.size(); ++k)
        if (same_label(in.levels[k], cell)) code = static_cast<int>(k);
      if (code < 0)
        REQUIRE_MESSAGE(m.unseen == ir::UnseenLevel::Missing, "unseen level '" << cell << "' of " << in.name);
      else col[r] = code;
    }
    b.columns.push_back(std::move(col));
  }
  return b;
}

// Binds CSV columns to the model's inputs by name, then the remaining inputs take the remaining
// columns in order (ONNX matrix inputs have no names).  Numbers read with number_cell; a label
// that is not a level (or empty) is missing.
inline eval::Batch bind_positional(const ir::Model& m, const Csv& csv) {
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
      if (!in.is_categorical()) {
        v[r] = number_cell(s);
        continue;
      }
      v[r] = kNaN;
      for (size_t k = 0; k < in.levels.size(); ++k)
        if (in.levels[k] == s) v[r] = static_cast<double>(k);
    }
    b.columns.push_back(std::move(v));
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Agreement and scoring.

// The SPEC agreement rule |a - b| <= atol + rtol |b|, or both missing (NaN).  The relative
// tolerance comes first: most checks give only that.  An infinity agrees with nothing.
inline bool agree(double a, double b, double rtol, double atol = 0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

// PMMLEquivalence(tol, tol) of the JPMML integration tests: relative, and values that are both
// at most tol in magnitude count as zero.
inline bool pmml_equivalent(double actual, double expected, double tol) {
  if (std::isnan(actual) || std::isnan(expected)) return std::isnan(actual) && std::isnan(expected);
  if (std::fabs(actual) <= tol && std::fabs(expected) <= tol) return true;
  return std::fabs(actual - expected) <= tol * std::fabs(expected);
}

// The same numbers to the bit, NaN matching NaN.
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

inline eval::Predictions score(const ir::Model& m, const eval::Batch& b) {
  eval::Evaluator ev(m);
  eval::Predictions p;
  ev.score(b, p);
  return p;
}

// `rows` random rows for schema `s` from `seed`: a categorical input takes a uniform level code, a
// continuous one continuous(field, u) with u uniform on [-2, 2); with missing_one_in > 0 each
// cell is then missing with probability 1 / missing_one_in.
inline eval::Batch random_batch(const ir::Schema& s, size_t rows, unsigned seed, int missing_one_in,
                                const std::function<double(const ir::InputField&, double)>& continuous) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  eval::Batch b;
  b.rows = rows;
  b.columns.resize(s.inputs.size());
  for (size_t i = 0; i < s.inputs.size(); ++i) {
    auto& col = b.columns[i];
    col.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      const auto& f = s.inputs[i];
      if (f.is_categorical()) col[r] = static_cast<double>(rng() % f.levels.size());
      else col[r] = continuous(f, u(rng));
      if (missing_one_in > 0 && static_cast<int>(rng() % missing_one_in) == 0) col[r] = kNaN;
    }
  }
  return b;
}

// Scores `input_csv` through the data layer and compares with `expected_csv` (R's predict() or
// a producer's predictions) by compare::ReferenceComparer.
inline compare::Report score_against(const ir::Model& m, const fs::path& input_csv, const fs::path& expected_csv,
                                     compare::CompareOptions options = {}) {
  std::ifstream input(input_csv, std::ios::binary);
  std::istringstream expected(slurp(expected_csv));
  data::CsvReader reader(input, input_csv.string());
  data::InputBinder binder(m.schema, reader.header(), input_csv.string(), m.unseen);  // the model's policy, as `score`
  compare::ReferenceComparer cmp(m.schema.target, false, expected, expected_csv.string(), "model", std::move(options));
  eval::Evaluator ev(m);
  data::TextBatch text;
  eval::Batch batch;
  eval::Predictions pred;
  while (reader.next(text)) {
    binder.bind(text, batch);
    ev.score(batch, pred);
    cmp.add(pred);
  }
  return cmp.finish();
}

// ---------------------------------------------------------------------------------------------
// Outside programs.

// Runs `cmd` through the shell; its standard output, and its wait status in `status` (-1 when it
// could not be started).  Only the interop suite asks outside programs: a test file that does
// starts with the line `// suite: interop` (CMakeLists.txt then defines MB_INTEROP_SUITE).
inline std::string run_command(const std::string& cmd, int& status) {
#ifndef MB_INTEROP_SUITE
  FAIL("a unit test ran an outside program (" << cmd.substr(0, 80)
                                              << "); mark its file with the line `// suite: interop`");
#endif
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) {
    status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  status = pclose(f);
  return out;
}

// A folder of this test process for files the outside programs read.
inline fs::path scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / fmt::format("mb_unit_{}", ::getpid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// CI=true (set by .ci/test): every outside judge must be present.
inline bool in_ci() {
  const char* v = std::getenv("CI");
  const std::string s = v ? v : "";
  return s == "true" || s == "1" || s == "yes" || s == "TRUE" || s == "True";
}

// An outside judge a test needs (the shared corpus beside the repository, a tool) is missing:
// under CI=true a failure naming it; otherwise the test skips, loudly.  Returns `present`.
inline bool judge_present(bool present, const std::string& what) {
  if (present) return true;
  if (in_ci()) FAIL("outside judge missing (CI=true requires every judge): " << what);
  MESSAGE("SKIPPED: outside judge missing: " << what << "; the checks it makes did not run");
  return false;
}

// The shared corpus file or folder `p` exists, else judge_present(false, ...).
inline bool have_shared(const fs::path& p) {
  return judge_present(fs::exists(p), p.string() + " (the shared corpus beside the repository)");
}

inline fs::path pmml_xsd_path() { return shared_dir() / "corpus/pmml/schema/pmml-4-4.xsd"; }

inline bool have_xmllint() { return std::system("xmllint --version > /dev/null 2>&1") == 0; }

// Validates `text` with xmllint against the PMML 4.4 XSD; xmllint must be there, the XSD (under
// MB_SHARED_DIR) too when CI=true (else the validation is skipped, loudly).
inline void check_valid_pmml(const std::string& text, const std::string& what) {
  REQUIRE_MESSAGE(have_xmllint(), "xmllint is not on PATH (install libxml2-utils); it validates the PMML we write");
  if (!have_shared(pmml_xsd_path())) return;
  const fs::path tmp = fs::temp_directory_path() / fmt::format("mb_pmml_{}_{}.pmml", what, ::getpid());
  write_file(tmp, text);
  int status = 0;
  const std::string out = run_command(
      fmt::format("xmllint --noout --schema '{}' '{}' 2>&1", pmml_xsd_path().string(), tmp.string()), status);
  REQUIRE(status != -1);
  fs::remove(tmp);
  INFO(what << ":\n" << out << "\n" << text.substr(0, 4000));
  CHECK(status == 0);
}

// IR -> PMML 4.4 -> IR: the text is valid against the XSD, sniffs as PMML and is written the same
// twice; the model read back is returned (the writer's warnings in `warnings_out`).
inline ir::Model pmml_round_trip(const ir::Model& m, const std::string& what, Warnings* warnings_out = nullptr) {
  Warnings warnings;
  std::string text;
  try {
    text = pmml::write(m, warnings);
  } catch (const Error& e) {
    FAIL("writing " << what << ": " << std::string(e.what()));
  }
  check_valid_pmml(text, what);
  CHECK(pmml::sniff(text));
  CHECK(text == pmml::write(m, warnings));  // deterministic
  if (warnings_out) *warnings_out = warnings;
  try {
    return pmml::read(text, what + ".pmml");
  } catch (const Error& e) {
    FAIL("reading back " << what << ": " << e.what() << "\n" << text.substr(0, 6000));
  }
  return {};
}

// A producer's document from the JPMML integration tests: <dir>/pmml/<name>.pmml, its input
// <dir>/csv/<input>.csv and its predictions <dir>/csv/<name>.csv (as many rows).
struct ProducerCase {
  ir::Model model;
  Csv input, expected;
};

// Reads a producer's case; false, after a failed check, when the document is refused.
inline bool load_producer_case(const fs::path& dir, const std::string& name, const std::string& input,
                               ProducerCase& out) {
  try {
    out.model = pmml::read(slurp(dir / "pmml" / (name + ".pmml")), name + ".pmml");
  } catch (const Error& e) {
    FAIL_CHECK("read failed: " << std::string(e.what()));
    return false;
  }
  out.input = read_csv(dir / "csv" / (input + ".csv"));
  out.expected = read_csv(dir / "csv" / (name + ".csv"));
  REQUIRE(out.input.rows.size() == out.expected.rows.size());
  return true;
}

// What of a producer's predictions is compared, at PMMLEquivalence(tol, tol).
struct ProducerColumns {
  const char* value_column;  // regression prediction, or predicted label
  const char* prob_pattern;  // probability column of a class ("Probability_{}"), or nullptr
  double tol;
  // When value_column names a transformedValue OutputField of the document (rattle's gbm
  // GaussianPrediction = predicted value + initial score), our prediction goes through it.
  const pmml::OutputFields* outputs = nullptr;
  bool absent_prob_is_zero = false;  // a class without a probability column has probability 0
                                     // (RapidMiner's MISSING_VALUE); else it fails
};

// Cells of `expected` that `p` (the model's predictions on the case's input) does not match: the
// value of a regression; the label and each class probability of a classifier.  `worst`: the
// largest relative difference among expected values above tol.
inline size_t producer_mismatches(const ir::Model& m, const eval::Predictions& p, const Csv& expected,
                                  const ProducerColumns& cs, double& worst) {
  const int vcol = expected.col(cs.value_column);
  REQUIRE(vcol >= 0);
  size_t bad = 0;
  worst = 0;
  const auto& classes = m.schema.target.classes;
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    if (m.schema.target.task == ir::Task::Regression) {
      const double want = number_cell(expected.rows[r][vcol]);
      const double got = cs.outputs ? cs.outputs->value(cs.value_column, p.value[r]) : p.value[r];
      if (!pmml_equivalent(got, want, cs.tol)) ++bad;
      if (std::fabs(want) > cs.tol) worst = std::max(worst, std::fabs(got - want) / std::fabs(want));
      continue;
    }
    const std::string label = p.label[r] >= 0 ? classes[p.label[r]] : "";
    if (!same_label(label, expected.rows[r][vcol])) ++bad;
    if (!cs.prob_pattern) continue;
    for (size_t k = 0; k < classes.size(); ++k) {
      const int pc = expected.col(fmt::format(fmt::runtime(cs.prob_pattern), classes[k]));
      if (!cs.absent_prob_is_zero) REQUIRE_MESSAGE(pc >= 0, "no expected column for class " << classes[k]);
      const double want = pc < 0 ? 0.0 : number_cell(expected.rows[r][pc]);
      const double got = p.prob[r * classes.size() + k];
      if (!pmml_equivalent(got, want, cs.tol)) ++bad;
      if (std::fabs(want) > cs.tol) worst = std::max(worst, std::fabs(got - want) / std::fabs(want));
    }
  }
  return bad;
}

// Debian's python3-onnx and onnxruntime-node must be present (.ci/setup installs them); a missing
// tool fails.
inline void require_onnx_tools() {
  int st = 0;
  run_command("/usr/bin/python3 -c 'import onnx.checker' 2>&1", st);
  REQUIRE_MESSAGE(st == 0, "Debian's python3-onnx is missing (/usr/bin/python3 -c 'import onnx'); run .ci/setup");
  const fs::path ort = source_dir() / "build/node/node_modules/onnxruntime-node";
  REQUIRE_MESSAGE(fs::exists(ort), "onnxruntime-node is missing at " << ort.string() << "; run .ci/setup");
}

// onnx.checker.check_model(full_check=True) on a model file: "" when it passes, else its output
// ("failed" when it printed nothing).
inline std::string onnx_checker_output(const fs::path& model) {
  int st = 0;
  const std::string out =
      run_command(fmt::format("/usr/bin/python3 -c \"import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                              "full_check=True)\" '{}' 2>&1",
                              model.string()),
                  st);
  return st == 0 ? std::string() : (out.empty() ? "failed" : out);
}

// onnx.checker.check_model(full_check=True) on a model file must pass.
inline void check_onnx(const fs::path& model) {
  const std::string out = onnx_checker_output(model);
  CHECK_MESSAGE(out.empty(), "onnx.checker: " << out);
}

// onnxruntime's outputs for `model` on `csv` (tests/interop/ort_score.js).
// Its standard error goes to a file of its own, so a runtime warning never reads as a CSV row.
inline Csv ort_score(const fs::path& model, const fs::path& csv) {
  int st = 0;
  const fs::path script = source_dir() / "tests/interop/ort_score.js";
  const fs::path err = scratch_dir() / "ort_score.stderr";
  const std::string out =
      run_command(fmt::format("NODE_PATH='{}/build/node/node_modules' node '{}' '{}' '{}' 2>'{}'", MB_SOURCE_DIR,
                              script.string(), model.string(), csv.string(), err.string()),
                  st);
  INFO("onnxruntime: " << slurp(err).substr(0, 2000) << out.substr(0, 2000));
  REQUIRE(st == 0);
  return parse_csv(out);
}

// ---------------------------------------------------------------------------------------------
// R cases: testdata/r/<case>/ holds the model (model_exact.json, model.json, model.rds),
// input.csv, R's predict() output expected.csv and meta.json.

// The catalogue (tests/catalogue.py documents it): each case folder's case.json says its R class
// (`family`), what the writers hold (`kind`: linear, tree, other) and the command-line hints it
// needs (`--levels VAR=L1,L2,...`, `--lambda S`, `--nb-threshold T`).  The C++ tests take their case lists from it,
// as the Python tests do, so a new case is one folder and its case.json.
struct CatalogueCase {
  std::string name;
  fs::path dir;
  std::string family, kind;
  r::ImportHints hints;
  std::map<std::string, std::string> convert;  // target (pmml, onnx, ml5) -> "must" | "refused"
  bool must_convert(const std::string& target) const {
    auto it = convert.find(target);
    return it != convert.end() && it->second == "must";
  }
};

// The cases below `root` with an expected.csv and a case.json, sorted by name; a case.json that
// cannot be read fails the test that asks.
inline std::vector<CatalogueCase> catalogue(const fs::path& root) {
  std::vector<CatalogueCase> out;
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::directory_iterator(root)) {
    if (!e.is_directory() || !fs::exists(e.path() / "expected.csv") || !fs::exists(e.path() / "case.json")) continue;
    CatalogueCase c;
    c.name = e.path().filename().string();
    c.dir = e.path();
    const std::string text = slurp(e.path() / "case.json");
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    auto str = [&](const char* key) -> std::string {
      if (d.HasParseError() || !d.IsObject() || !d.HasMember(key) || !d[key].IsString())
        throw std::runtime_error((e.path() / "case.json").string() + ": no string '" + key + "'");
      return d[key].GetString();
    };
    c.family = str("family");
    c.kind = str("kind");
    if (d.HasMember("convert") && d["convert"].IsObject())
      for (const auto& kv : d["convert"].GetObject())
        if (kv.value.IsString()) c.convert[kv.name.GetString()] = kv.value.GetString();
    if (d.HasMember("hints")) {
      const auto& h = d["hints"];
      if (!h.IsArray() || h.Size() % 2 != 0)
        throw std::runtime_error((e.path() / "case.json").string() + ": 'hints' is not a list of option, value pairs");
      for (rapidjson::SizeType i = 0; i + 1 < h.Size(); i += 2) {
        const std::string opt = h[i].GetString(), val = h[i + 1].GetString();
        if (opt == "--lambda") {
          c.hints.lambda = val;
        } else if (opt == "--nb-threshold") {
          c.hints.nb_threshold = std::stod(val);
        } else if (opt == "--levels") {
          const auto eq = val.find('=');
          std::vector<std::string> levels;
          std::stringstream ss(val.substr(eq + 1));
          for (std::string l; std::getline(ss, l, ',');) levels.push_back(l);
          c.hints.levels[val.substr(0, eq)] = levels;
        } else {
          throw std::runtime_error((e.path() / "case.json").string() + ": unknown hint " + opt);
        }
      }
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// The catalogue's cases below `root` whose family (R class) is one of `families`, sorted.
inline std::vector<std::string> r_case_names(const fs::path& root, std::initializer_list<const char*> families) {
  std::vector<std::string> out;
  for (const auto& c : catalogue(root))
    for (const char* f : families)
      if (c.family == f) {
        out.push_back(c.name);
        break;
      }
  return out;
}

// The R object in a .json (jsonlite) or .rds file; nullptr when this build has no reader for it.
inline r::RPtr read_r_object(const fs::path& path, Warnings& w) {
  const std::string bytes = slurp(path);
  if (path.extension() == ".json") {
#ifdef MB_HAVE_RJSON
    return r::read_rjson(bytes, path.string(), w);
#endif
  } else {
#ifdef MB_HAVE_RDS
    return r::read_rds(bytes, path.string());
#endif
  }
  (void)w;
  (void)bytes;
  return nullptr;
}

// meta.json "json15_rows_changed": rows the 15-digit JSON predicts differently from R; -1 when
// absent.
inline int json15_rows_changed(const fs::path& dir) {
  const std::string meta = slurp(dir / "meta.json");
  std::smatch m;
  if (std::regex_search(meta, m, std::regex("\"json15_rows_changed\"\\s*:\\s*([0-9]+)"))) return std::stoi(m[1]);
  return -1;
}

using Importer = std::function<ir::Model(const r::RObject&, const std::string&)>;

inline Importer forest_with(const r::LevelHints& hints) {
  return [hints](const r::RObject& o, const std::string& f) { return r::import_random_forest(o, f, hints); };
}
inline Importer ranger_with(const r::LevelHints& hints) {
  return [hints](const r::RObject& o, const std::string& f) { return r::import_ranger(o, f, hints); };
}

struct RTreeCase {
  std::string name;
  Importer import;
};

// Imports through the class dispatcher with `hints`, as the command line does.
inline Importer import_with(const r::ImportHints& hints) {
  return [hints](const r::RObject& o, const std::string& f) {
    Warnings w;
    return r::import_model(o, f, w, hints);
  };
}

// The tree cases of the catalogue (kind "tree": rpart, randomForest, ranger, gbm, partykit,
// party, mlr around trees, ...), each imported with its case.json hints.
inline const std::vector<RTreeCase>& r_tree_cases() {
  static const std::vector<RTreeCase> all = [] {
    std::vector<RTreeCase> out;
    for (const auto& c : catalogue(r_testdata_dir()))
      if (c.kind == "tree") out.push_back({c.name, import_with(c.hints)});
    return out;
  }();
  return all;
}

// One model file of a case read, imported and scored against expected.csv.
struct RCaseResult {
  bool ran = false;  // false: no such file, or no reader for it in this build
  std::string error;
  compare::Report report;
  Warnings warnings;
};

// Imports `dir`/`file` with `import` and scores it against the case's expected.csv; an exception
// is kept as the error.
inline RCaseResult run_r_case(const fs::path& dir, const std::string& file, const Importer& import) {
  RCaseResult res;
  const fs::path path = dir / file;
  if (!fs::exists(path)) return res;
  try {
    r::RPtr obj = read_r_object(path, res.warnings);
    if (!obj) return res;
    res.ran = true;
    ir::Model m = import(*obj, path.string());
    res.warnings.insert(res.warnings.end(), m.provenance.warnings.begin(), m.provenance.warnings.end());
    res.report = score_against(m, dir / "input.csv", dir / "expected.csv");
  } catch (const std::exception& e) {
    res.ran = true;
    res.error = e.what();
  }
  return res;
}

// A comparison that ran on rows and found every value within tolerance, every label and every
// missing value equal.
inline bool report_agrees(const compare::Report& r) {
  return r.rows > 0 && r.rows_beyond == 0 && r.label_mismatches == 0 && r.missing_mismatches == 0;
}

// testdata/r/<name>/<file> imported by the class dispatcher with the hints its case.json gives
// (as `--lambda` and `--levels` give them on the command line) and scored.
inline RCaseResult run_r_testdata_case(const std::string& name, const std::string& file) {
  static const std::map<std::string, r::ImportHints> hints = [] {
    std::map<std::string, r::ImportHints> out;
    for (const auto& c : catalogue(r_testdata_dir())) out[c.name] = c.hints;
    return out;
  }();
  const auto it = hints.find(name);
  const r::ImportHints h = it == hints.end() ? r::ImportHints{} : it->second;
  return run_r_case(r_testdata_dir() / name, file, [&h](const r::RObject& obj, const std::string& path) {
    Warnings w;
    return r::import_model(obj, path, w, h);
  });
}

// case.json's "json_refused": the object does not survive jsonlite's JSON (kernlab's ksvm).
inline bool r_case_json_refused(const std::string& name) {
  return slurp(r_testdata_dir() / name / "case.json").find("\"json_refused\"") != std::string::npos;
}

// Every case, from its exact JSON and its .rds file, agrees with R's predictions on more than ten
// rows (rows with a missing predictor are part of the cases: R predicts NA there); the JSON of a
// case marked json_refused is refused saying so.
inline void check_r_testdata_cases(const std::vector<std::string>& cases) {
  for (const auto& name : cases)
    for (const char* file : {"model_exact.json", "model.rds"}) {
      const RCaseResult r = run_r_testdata_case(name, file);
      const std::string label = name + "/" + file;
      CHECK_MESSAGE(r.ran, label << ": not found");
      if (std::string(file) != "model.rds" && r_case_json_refused(name)) {
        CHECK_MESSAGE(r.error.find("do not survive JSON") != std::string::npos, label << ": " << r.error);
        continue;
      }
      CHECK_MESSAGE(r.error.empty(), label << ": " << r.error);
      if (!r.error.empty()) continue;
      CHECK_MESSAGE(report_agrees(r.report), label << ": " << compare::render_text(r.report));
      CHECK_MESSAGE(r.report.rows > 10, label);
    }
}

// testdata/r/<name>/model.rds as an object tree (null when it cannot be read).
inline r::RPtr load_r_testdata(const std::string& name) {
  Warnings w;
  return read_r_object(r_testdata_dir() / name / "model.rds", w);
}

// A corpus object `base`/rds/<name>.rds; REQUIREs that it reads.
inline r::RPtr load_corpus_rds(const fs::path& base, const std::string& name) {
  Warnings w;
  r::RPtr obj = read_r_object(base / "rds" / (name + ".rds"), w);
  REQUIRE(obj);
  return obj;
}

inline std::string summary(const RCaseResult& r) {
  if (!r.error.empty()) return "error: " + r.error;
  std::ostringstream s;
  s << r.report.rows << " rows, " << r.report.rows_beyond << " beyond tolerance, " << r.report.label_mismatches
    << " label mismatches, max |diff| " << r.report.max_abs << ", max rel " << r.report.max_rel;
  return s.str();
}

// ---------------------------------------------------------------------------------------------
// Refused R objects (testdata/r-fixtures/refused, fitted by the generator scripts).

// Loading testdata/r-fixtures/refused/<fixture>.rds must fail with an error of `kind` (an
// unsupported construct unless said) and exit code 2, at `place` (unless empty) and with `words`
// in the message.
inline void expect_refused_fixture(const std::string& fixture, const std::string& place, const std::string& words,
                                   ErrorKind kind = ErrorKind::Unsupported) {
  const fs::path p = source_dir() / "testdata" / "r-fixtures" / "refused" / (fixture + ".rds");
  REQUIRE(fs::exists(p));
  CAPTURE(fixture);
  try {
    (void)formats::load_model(p.string(), std::nullopt);
    FAIL("imported");
  } catch (const Error& e) {
    if (!place.empty()) CHECK(e.place() == place);
    CHECK_MESSAGE(e.message().find(words) != std::string::npos, e.message());
    CHECK(e.exit_code() == kExitInput);
    CHECK(e.kind() == kind);
  }
}

}  // namespace mb::testsupport
