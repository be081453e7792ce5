// PMML TreeModel and MiningModel: the missing-value oracles transcribed from public evaluators'
// unit tests, third-party tree PMML scored against its producers' predictions, hand-made
// documents with hand-computed scores, and IR trees written as PMML 4.4 (validated with xmllint
// against the DMG XSD), read back and scored the same.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "formats/pmml/pmml.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"

namespace fs = std::filesystem;
using mb::ir::MissingGo;
using mb::ir::SplitOp;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path shared_dir() { return fs::path(MB_SHARED_DIR); }
fs::path corpus_dir() { return shared_dir() / "corpus/pmml"; }
fs::path xsd_path() { return corpus_dir() / "schema/pmml-4-4.xsd"; }
fs::path testdata() { return fs::path(MB_SOURCE_DIR) / "testdata/pmml/trees"; }

bool agree(double a, double b, double rtol, double atol = 0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

mb::eval::Predictions score(const mb::ir::Model& m, const mb::eval::Batch& b) {
  mb::eval::Evaluator ev(m);
  mb::eval::Predictions p;
  ev.score(b, p);
  return p;
}

int level_of(const mb::ir::InputField& in, const std::string& label) {
  for (size_t k = 0; k < in.levels.size(); ++k)
    if (in.levels[k] == label) return static_cast<int>(k);
  return -1;
}

// One row from named values; absent names are missing.
mb::eval::Batch one_row(const mb::ir::Model& m, const std::map<std::string, std::string>& values) {
  mb::eval::Batch b;
  b.rows = 1;
  for (const auto& in : m.schema.inputs) {
    double v = kNaN;
    auto it = values.find(in.name);
    if (it != values.end()) {
      if (in.is_categorical()) {
        const int k = level_of(in, it->second);
        REQUIRE_MESSAGE(k >= 0, "level '" << it->second << "' of " << in.name);
        v = k;
      } else {
        v = std::stod(it->second);
      }
    }
    b.columns.push_back({v});
  }
  return b;
}

std::string label_of(const mb::ir::Model& m, const mb::eval::Predictions& p, size_t r) {
  return p.label[r] < 0 ? std::string() : m.schema.target.classes[p.label[r]];
}

double prob_of(const mb::ir::Model& m, const mb::eval::Predictions& p, size_t r, const std::string& cls) {
  const auto& classes = m.schema.target.classes;
  for (size_t k = 0; k < classes.size(); ++k)
    if (classes[k] == cls) return p.prob[r * classes.size() + k];
  FAIL("no class " << cls);
  return kNaN;
}

// Sets (or adds) attribute `name` of the first element `element` in a PMML text, as the
// evaluators' tests do before evaluating.
std::string set_attribute(std::string text, const std::string& element, const std::string& name, const std::string& value) {
  const size_t at = text.find("<" + element);
  REQUIRE(at != std::string::npos);
  const size_t end = text.find('>', at);
  const std::string tag = text.substr(at, end - at);
  const size_t a = tag.find(" " + name + "=\"");
  std::string new_tag;
  if (a == std::string::npos) {
    new_tag = tag + " " + name + "=\"" + value + "\"";
  } else {
    const size_t q = tag.find('"', a + name.size() + 3);
    new_tag = tag.substr(0, a + name.size() + 3) + value + tag.substr(q);
  }
  return text.substr(0, at) + new_tag + text.substr(end);
}

std::map<std::string, std::string> json_row(const rapidjson::Value& input) {
  std::map<std::string, std::string> row;
  for (auto it = input.MemberBegin(); it != input.MemberEnd(); ++it) {
    if (it->value.IsNull()) continue;
    row[it->name.GetString()] = it->value.IsString() ? it->value.GetString() : fmt::format("{}", it->value.GetDouble());
  }
  return row;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Missing-value oracles (corpus/pmml/oracles/tree_missing_value_oracles.json).

TEST_CASE("pmml trees: every missing-value oracle") {
  const fs::path path = corpus_dir() / "oracles/tree_missing_value_oracles.json";
  if (!fs::exists(path)) {
    MESSAGE("oracles not found under MB_SHARED_DIR; skipped");
    return;
  }
  rapidjson::Document doc;
  const std::string json = slurp(path);
  doc.Parse(json.c_str());
  REQUIRE(!doc.HasParseError());
  int passed = 0;

  // pmml4s: predicted value and confidence of the predicted class.
  for (const auto& c : doc["pmml4s"]["cases"].GetArray()) {
    const std::string file = c["pmml"].GetString();
    const std::string strategy = c.HasMember("strategy") ? c["strategy"].GetString() : "none";
    CAPTURE(file);
    CAPTURE(strategy);
    const std::string text = slurp(corpus_dir() / file);
    mb::ir::Model m;
    try {
      m = mb::pmml::read(text, file);
    } catch (const mb::Error& e) {
      FAIL_CHECK("read failed: " << std::string(e.what()));
      continue;
    }
    auto p = score(m, one_row(m, json_row(c["input"])));
    const auto& want = c["expected"];
    const auto& label = want["predicted_whatIdo"];
    if (label.IsNull()) {
      CHECK(p.label[0] == -1);
      CHECK(std::isnan(p.prob[0]));
      ++passed;
      continue;
    }
    CHECK(label_of(m, p, 0) == label.GetString());
    if (want.HasMember("confidence")) {
      // The IR carries probabilities, not PMML confidences; the documents' confidences equal the
      // probabilities except for the missingValuePenalty (0.8 in the defaultChild document),
      // applied once per missing value met on the path (once for these inputs).
      double factor = 1;
      if (text.find("missingValuePenalty=\"0.8\"") != std::string::npos) factor = 0.8;
      CHECK(agree(prob_of(m, p, 0, label.GetString()) * factor, want["confidence"].GetDouble(), 1e-12));
    }
    ++passed;
  }

  // JPMML: the test overrides missingValueStrategy before evaluating.
  const auto& jp = doc["jpmml_evaluator"];
  const std::string file = jp["pmml"].GetString();
  const std::string original = slurp(corpus_dir() / file);
  for (const auto& c : jp["cases"].GetArray()) {
    const std::string strategy = c["strategy"].GetString();
    CAPTURE(strategy);
    std::string text = set_attribute(original, "TreeModel", "missingValueStrategy", strategy);
    const auto m = mb::pmml::read(text, file);
    auto p = score(m, one_row(m, json_row(c["input"])));
    const auto& want = c["expected"];
    if (want.IsNull()) {
      CHECK(p.label[0] == -1);
      ++passed;
      continue;
    }
    for (auto it = want["probability"].MemberBegin(); it != want["probability"].MemberEnd(); ++it)
      CHECK(agree(prob_of(m, p, 0, it->name.GetString()), it->value.GetDouble(), 1e-12, 1e-300));
    if (want.HasMember("confidence")) {
      // confidence = probability x missingValuePenalty (one missing value met).
      const double penalty = c["missingValuePenalty"].GetDouble();
      for (auto it = want["confidence"].MemberBegin(); it != want["confidence"].MemberEnd(); ++it)
        CHECK(agree(prob_of(m, p, 0, it->name.GetString()) * penalty, it->value.GetDouble(), 1e-12, 1e-300));
    }
    ++passed;
  }
  MESSAGE("missing-value oracles passed: " << passed);
}

// ---------------------------------------------------------------------------------------------
// Third-party tree PMML with the producer's own predictions.

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
      else if (ch == '"') quoted = false;
      else cur += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (ch != '\r') {
      cur += ch;
    }
  }
  out.push_back(cur);
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

Csv read_csv(const fs::path& p) {
  Csv csv;
  std::ifstream in(p);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    if (first) { csv.header = split_csv_line(line); first = false; }
    else csv.rows.push_back(split_csv_line(line));
  }
  return csv;
}

bool is_missing_cell(const std::string& s) { return s.empty() || s == "NA" || s == "N/A" || s == "NaN"; }

bool same_label(const std::string& a, const std::string& b) {
  if (a == b) return true;
  try {
    size_t ia = 0, ib = 0;
    const double x = std::stod(a, &ia), y = std::stod(b, &ib);
    return ia == a.size() && ib == b.size() && x == y;
  } catch (...) {
    return false;
  }
}

mb::eval::Batch bind(const mb::ir::Model& m, const Csv& csv) {
  mb::eval::Batch b;
  b.rows = csv.rows.size();
  for (const auto& in : m.schema.inputs) {
    const int c = csv.col(in.name);
    REQUIRE_MESSAGE(c >= 0, "input column " << in.name << " missing from the data");
    std::vector<double> col(b.rows, kNaN);
    for (size_t r = 0; r < b.rows; ++r) {
      const std::string& cell = csv.rows[r][c];
      if (is_missing_cell(cell)) continue;
      if (!in.is_categorical()) { col[r] = std::stod(cell); continue; }
      int code = -1;
      for (size_t k = 0; k < in.levels.size(); ++k)
        if (same_label(in.levels[k], cell)) code = static_cast<int>(k);
      if (code < 0) REQUIRE_MESSAGE(m.unseen == mb::ir::UnseenLevel::Missing, "unseen level '" << cell << "' of " << in.name);
      else col[r] = code;
    }
    b.columns.push_back(std::move(col));
  }
  return b;
}

// PMMLEquivalence(tol, tol) of the JPMML integration tests: relative, values below tol count as zero.
bool pmml_equivalent(double actual, double expected, double tol) {
  if (std::isnan(actual) || std::isnan(expected)) return std::isnan(actual) && std::isnan(expected);
  if (std::fabs(actual) <= tol && std::fabs(expected) <= tol) return true;
  return std::fabs(actual - expected) <= tol * std::fabs(expected);
}

struct CorpusCase {
  const char* dir;           // below corpus/pmml
  const char* name;
  const char* input;
  const char* value_column;  // regression prediction, or predicted label
  const char* prob_pattern;  // probability columns of a classifier, nullptr when only labels are given
  double tol;
  double offset = 0;         // an OutputField adding a constant to the prediction (rattle GBMAuto)
};

const char* const k14 = "jpmml-evaluator-1.4.X/pmml-";
const std::vector<CorpusCase>& corpus_cases() {
  static const std::vector<CorpusCase> all = {
      {"knime", "DecisionTreeIris", "Iris", "Species", "P (Species={})", 1e-15},
      {"knime", "DecisionTreeAudit", "Audit", "Adjusted", "P (Adjusted={})", 1e-15},
      {"knime", "DecisionTreeAuto", "Auto", "mpg", nullptr, 1e-15},
      {"knime", "DecisionTreeEnsembleIris", "Iris", "Species", nullptr, 1e-15},
      {"knime", "DecisionTreeEnsembleAudit", "Audit", "Adjusted", nullptr, 1e-15},
      {"knime", "GBTAuto", "Auto", "mpg", nullptr, 1e-15},
      {"rapidminer", "DecisionTreeIris", "Iris", "prediction(Species)", "confidence({})", 1e-13},
      {"rattle", "DecisionTreeIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "DecisionTreeXformIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "DecisionTreeAudit", "Audit", "Predicted_Adjusted", "Probability_{}", 1e-13},
      {"rattle", "DecisionTreeAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
      {"rattle", "DecisionTreeXformAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
      {"rattle", "RandomForestIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "RandomForestXformIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "RandomForestAudit", "Audit", "Predicted_Adjusted", "Probability_{}", 1e-13},
      {"rattle", "RandomForestAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
      {"rattle", "GBMAuto", "Auto", "GaussianPrediction", nullptr, 1e-7, 23.4459183673469},
      {"", "DecisionTreeIris", "Iris", "Species", "probability({})", 1e-13},
  };
  return all;
}

fs::path case_dir(const CorpusCase& c) {
  if (!*c.dir) return corpus_dir() / "jpmml-evaluator/pmml-evaluator-testing/src/test/resources";
  return corpus_dir() / (std::string(k14) + c.dir) / "src/test/resources";
}

// Scores the case; returns the number of cells beyond tolerance (labels count as cells).
size_t check_case(const mb::ir::Model& m, const CorpusCase& cs, const Csv& input, const Csv& expected, double& worst) {
  auto p = score(m, bind(m, input));
  const int vcol = expected.col(cs.value_column);
  REQUIRE(vcol >= 0);
  size_t bad = 0;
  worst = 0;
  const auto& classes = m.schema.target.classes;
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    if (m.schema.target.task == mb::ir::Task::Regression) {
      const double want = is_missing_cell(expected.rows[r][vcol]) ? kNaN : std::stod(expected.rows[r][vcol]);
      const double got = p.value[r] + cs.offset;
      if (!pmml_equivalent(got, want, cs.tol)) ++bad;
      if (std::fabs(want) > cs.tol) worst = std::max(worst, std::fabs(got - want) / std::fabs(want));
      continue;
    }
    if (!same_label(label_of(m, p, r), expected.rows[r][vcol])) ++bad;
    if (!cs.prob_pattern) continue;
    for (size_t k = 0; k < classes.size(); ++k) {
      const int pc = expected.col(fmt::format(fmt::runtime(cs.prob_pattern), classes[k]));
      // A target value the producer gives no column (RapidMiner's MISSING_VALUE) has probability 0.
      const double want = pc < 0 ? 0.0 : is_missing_cell(expected.rows[r][pc]) ? kNaN : std::stod(expected.rows[r][pc]);
      const double got = p.prob[r * classes.size() + k];
      if (!pmml_equivalent(got, want, cs.tol)) ++bad;
      if (std::fabs(want) > cs.tol) worst = std::max(worst, std::fabs(got - want) / std::fabs(want));
    }
  }
  return bad;
}

}  // namespace

TEST_CASE("pmml trees: third-party TreeModel and MiningModel documents match their producers") {
  if (!fs::exists(corpus_dir() / "jpmml-evaluator-1.4.X")) {
    MESSAGE("corpus not found under MB_SHARED_DIR; skipped");
    return;
  }
  std::map<std::string, std::pair<int, int>> per_folder;  // passed, cases
  for (const auto& cs : corpus_cases()) {
    const fs::path dir = case_dir(cs);
    const std::string id = std::string(*cs.dir ? cs.dir : "evaluator-testing") + "/" + cs.name;
    CAPTURE(id);
    mb::ir::Model m;
    try {
      m = mb::pmml::read(slurp(dir / "pmml" / (std::string(cs.name) + ".pmml")), std::string(cs.name) + ".pmml");
    } catch (const mb::Error& e) {
      FAIL_CHECK("read failed: " << std::string(e.what()));
      continue;
    }
    const Csv input = read_csv(dir / "csv" / (std::string(cs.input) + ".csv"));
    const Csv expected = read_csv(dir / "csv" / (std::string(cs.name) + ".csv"));
    REQUIRE(input.rows.size() == expected.rows.size());
    double worst = 0;
    const size_t bad = check_case(m, cs, input, expected, worst);
    CHECK_MESSAGE(bad == 0, id << ": " << bad << " cells beyond tolerance " << cs.tol << ", worst " << worst);
    auto& f = per_folder[*cs.dir ? cs.dir : "evaluator-testing"];
    f.second++;
    f.first += bad == 0;
    MESSAGE(id << ": " << expected.rows.size() << " rows, " << bad << " beyond tolerance " << cs.tol
               << ", largest relative difference " << worst);
  }
  for (const auto& [folder, counts] : per_folder) MESSAGE(folder << ": " << counts.first << " of " << counts.second << " pass");
}

TEST_CASE("pmml trees: third-party ensembles the IR cannot hold are refused with a place") {
  if (!fs::exists(corpus_dir() / "jpmml-evaluator-1.4.X")) return;
  struct Refused { const char* path; const char* message; };
  const Refused cases[] = {
      {"jpmml-evaluator-1.4.X/pmml-knime/src/test/resources/pmml/ModelEnsembleIris.pmml", "unsupported PMML element NeuralNetwork"},
      {"jpmml-evaluator-1.4.X/pmml-knime/src/test/resources/pmml/ModelEnsembleAuto.pmml", "only TreeModel segments"},
      {"jpmml-evaluator-1.4.X/pmml-knime/src/test/resources/pmml/RegressionEnsembleAuto.pmml", "only TreeModel segments"},
      {"pmml4s/src/test/resources/models/mining/dmg_select_first_mining.xml", "multipleModelMethod 'selectFirst'"},
      {"jpmml-evaluator/pmml-evaluator/src/test/resources/pmml/mining/SelectAllTest.pmml", "multipleModelMethod 'selectAll'"},
      // A leaf scores '1' on a 0.5/0.5 distribution: the IR predicts the first most probable class.
      {"jpmml-evaluator-1.4.X/pmml-rapidminer/src/test/resources/pmml/DecisionTreeAudit.pmml",
       "not the most probable class"},
      {"pmml4s/src/test/resources/models/mining/dmg_model_chain_mining.xml", "more than one target field"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    try {
      mb::pmml::read(slurp(corpus_dir() / c.path), c.path);
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK_MESSAGE(std::string(e.message()).find(c.message) != std::string::npos, e.what());
      CHECK(e.place().find("line ") == 0);
      MESSAGE(std::string(e.what()));
    }
  }
}
