// suite: interop
// PMML TreeModel and MiningModel: the missing-value oracles transcribed from public evaluators'
// unit tests, third-party tree PMML scored against its producers' predictions, hand-made
// documents with hand-computed scores, and IR trees written as PMML 4.4 (validated with xmllint
// against the DMG XSD), read back and scored the same.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "formats/onnx/onnx.hpp"
#include "formats/pmml/pmml.hpp"
#include "lib/canon/canonical.hpp"
#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/diff/structural.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::testsupport;
using mb::ir::MissingGo;
using mb::ir::SplitOp;

namespace {

fs::path corpus_dir() { return shared_dir() / "corpus/pmml"; }
fs::path testdata() { return fs::path(MB_SOURCE_DIR) / "testdata/pmml/trees"; }

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
std::string set_attribute(std::string text, const std::string& element, const std::string& name,
                          const std::string& value) {
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
  if (!have_shared(path)) return;
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

struct CorpusCase {
  const char* dir;  // below corpus/pmml
  const char* name;
  const char* input;
  const char* value_column;  // regression prediction, or predicted label
  const char* prob_pattern;  // probability columns of a classifier, nullptr when only labels are given
  double tol;                // 1e-15: producers printing 17 digits; 1e-13: rattle/RapidMiner CSVs print 15
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
      // Rule sets (firstHit) are read as trees.
      {"knime", "RuleSetIris", "Iris", "Species", nullptr, 1e-15},
      {"knime", "RuleSetAudit", "Audit", "Adjusted", nullptr, 1e-15},
      {"rapidminer", "RuleSetIris", "Iris", "prediction(Species)", nullptr, 1e-13},
      {"rapidminer", "RuleSetAudit", "Audit", "prediction(Adjusted)", nullptr, 1e-13},
      {"rapidminer", "DecisionTreeIris", "Iris", "prediction(Species)", "confidence({})", 1e-13},
      // Nodes scoring a class that is not their first most probable one (node labels).
      {"rapidminer", "DecisionTreeAudit", "Audit", "prediction(Adjusted)", "confidence({})", 1e-13},
      {"rattle", "DecisionTreeIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "DecisionTreeXformIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "DecisionTreeAudit", "Audit", "Predicted_Adjusted", "Probability_{}", 1e-13},
      {"rattle", "DecisionTreeAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
      {"rattle", "DecisionTreeXformAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
      {"rattle", "RandomForestIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "RandomForestXformIris", "Iris", "Predicted_Species", "Probability_{}", 1e-13},
      {"rattle", "RandomForestAudit", "Audit", "Predicted_Adjusted", "Probability_{}", 1e-13},
      {"rattle", "RandomForestAuto", "Auto", "Predicted_mpg", nullptr, 1e-13},
      {"rattle", "GBMAuto", "Auto", "GaussianPrediction", nullptr, 1e-13},
      {"", "DecisionTreeIris", "Iris", "Species", "probability({})", 1e-13},
  };
  return all;
}

fs::path case_dir(const CorpusCase& c) {
  if (!*c.dir) return corpus_dir() / "jpmml-evaluator/pmml-evaluator-testing/src/test/resources";
  return corpus_dir() / (std::string(k14) + c.dir) / "src/test/resources";
}

}  // namespace

TEST_CASE("pmml trees: third-party TreeModel and MiningModel documents match their producers") {
  if (!have_shared(corpus_dir() / "jpmml-evaluator-1.4.X")) return;
  std::map<std::string, std::pair<int, int>> per_folder;  // passed, cases
  for (const auto& cs : corpus_cases()) {
    const fs::path dir = case_dir(cs);
    const std::string id = std::string(*cs.dir ? cs.dir : "evaluator-testing") + "/" + cs.name;
    CAPTURE(id);
    ProducerCase pc;
    if (!load_producer_case(dir, cs.name, cs.input, pc)) continue;
    const mb::ir::Model& m = pc.model;
    const Csv& expected = pc.expected;
    double worst = 0;
    // The expected column may be an OutputField computed from the prediction (GBMAuto's
    // GaussianPrediction): evaluated from the document's own definition.
    const auto outputs = mb::pmml::OutputFields::read(slurp(dir / "pmml" / (std::string(cs.name) + ".pmml")), cs.name);
    const bool derived = outputs.has(cs.value_column) && [&] {
      for (const auto& f : outputs.fields())
        if (f.name == cs.value_column) return f.feature == "transformedValue";
      return false;
    }();
    // A class RapidMiner gives no probability column (its MISSING_VALUE) has probability 0.
    const ProducerColumns columns{cs.value_column, cs.prob_pattern, cs.tol, derived ? &outputs : nullptr, true};
    const size_t bad = producer_mismatches(m, score(m, bind_by_name(m, pc.input)), expected, columns, worst);
    CHECK_MESSAGE(bad == 0, id << ": " << bad << " cells beyond tolerance " << cs.tol << ", worst " << worst);
    auto& f = per_folder[*cs.dir ? cs.dir : "evaluator-testing"];
    f.second++;
    f.first += bad == 0;
    MESSAGE(id << ": " << expected.rows.size() << " rows, " << bad << " beyond tolerance " << cs.tol
               << ", largest relative difference " << worst);
  }
  for (const auto& [folder, counts] : per_folder)
    MESSAGE(folder << ": " << counts.first << " of " << counts.second << " pass");
}

TEST_CASE("pmml output fields: transformedValue expressions evaluate from the prediction") {
  const std::string doc = R"(<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
 <DataDictionary><DataField name="y" optype="continuous" dataType="double"/></DataDictionary>
 <MiningModel functionName="regression">
  <MiningSchema><MiningField name="y" usageType="target"/></MiningSchema>
  <Output>
   <OutputField name="p" feature="predictedValue"/>
   <OutputField name="shifted" feature="transformedValue">
    <Apply function="+"><FieldRef field="p"/><Constant>23.5</Constant></Apply>
   </OutputField>
   <OutputField name="scaled" feature="transformedValue">
    <Apply function="*"><Apply function="exp"><FieldRef field="shifted"/></Apply><Constant>0.5</Constant></Apply>
   </OutputField>
  </Output>
 </MiningModel>
</PMML>)";
  const auto of = mb::pmml::OutputFields::read(doc, "doc.pmml");
  REQUIRE(of.fields().size() == 3);
  CHECK(of.value("p", -3.25) == -3.25);
  CHECK(of.value("shifted", -3.25) == 20.25);
  CHECK(of.value("scaled", -23.5) == 0.5);
  CHECK(std::isnan(of.value("shifted", std::nan(""))));
  const std::string bad =
      std::string(doc).replace(doc.find(R"(<FieldRef field="p"/>)"), 21, R"(<FieldRef field="y"/>)");
  try {
    mb::pmml::OutputFields::read(bad, "doc.pmml");
    FAIL_CHECK("expected an error");
  } catch (const mb::Error& e) {
    CHECK(std::string(e.what()).find("doc.pmml:line 8: ") == 0);
    CHECK(std::string(e.what()).find("FieldRef to 'y', which is not an earlier OutputField") != std::string::npos);
  }
}

TEST_CASE("pmml trees: third-party ensembles the IR cannot hold are refused with a place") {
  if (!have_shared(corpus_dir() / "jpmml-evaluator-1.4.X")) return;
  struct Refused {
    const char* path;
    const char* message;
  };
  const Refused cases[] = {
      {"pmml4s/src/test/resources/models/mining/dmg_select_first_mining.xml", "multipleModelMethod 'selectFirst'"},
      {"jpmml-evaluator/pmml-evaluator/src/test/resources/pmml/mining/SelectAllTest.pmml",
       "multipleModelMethod 'selectAll'"},
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

TEST_CASE("pmml trees: a Node's score that is not its most probable class is the node's label") {
  // Classes 0 and 1; both leaves are 0.5/0.5, one scores "1" and the other "0" (RapidMiner
  // breaks such ties both ways); the third leaf scores "1" on 0.3/0.7.  The root stops at
  // itself on a missing x (lastPrediction) and scores "1" on 0.6/0.4.
  const std::string doc = R"(<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
 <DataDictionary>
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="y" optype="categorical" dataType="string"><Value value="0"/><Value value="1"/></DataField>
 </DataDictionary>
 <TreeModel functionName="classification" missingValueStrategy="lastPrediction">
  <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
  <Node score="1"><True/>
   <ScoreDistribution value="0" recordCount="6"/><ScoreDistribution value="1" recordCount="4"/>
   <Node score="1"><SimplePredicate field="x" operator="lessThan" value="1"/>
    <ScoreDistribution value="0" recordCount="2"/><ScoreDistribution value="1" recordCount="2"/>
   </Node>
   <Node score="0"><SimplePredicate field="x" operator="lessThan" value="2"/>
    <ScoreDistribution value="0" recordCount="1"/><ScoreDistribution value="1" recordCount="1"/>
   </Node>
   <Node score="1"><True/>
    <ScoreDistribution value="0" recordCount="3"/><ScoreDistribution value="1" recordCount="7"/>
   </Node>
  </Node>
 </TreeModel>
</PMML>)";
  const mb::ir::Model m = mb::pmml::read(doc, "labels.pmml");
  const auto& tree = std::get<mb::ir::TreeEnsemble>(m.estimator).trees.at(0);
  CHECK_FALSE(tree.label.empty());
  mb::eval::Batch b;
  b.rows = 4;
  b.columns = {{0.5, 1.5, 2.5, std::nan("")}};
  auto check = [&](const mb::ir::Model& model, const std::string& what) {
    INFO(what);
    const auto p = score(model, b);
    // The labels the file states; the probabilities are the distributions.
    CHECK(p.label == std::vector<int32_t>{1, 0, 1, 1});
    CHECK(p.prob == std::vector<double>{0.5, 0.5, 0.5, 0.5, 0.3, 0.7, 0.6, 0.4});
  };
  check(m, "read");
  const mb::ir::Model back = pmml_round_trip(m, "node_labels");
  check(back, "written and read back");
  CHECK(mb::canon::model_hash(back) == mb::canon::model_hash(m));
  CHECK(mb::diff::structural_diff(m, back).empty());

  // The same tree labelled by its first most probable class is another model.
  mb::ir::Model plain = m;
  std::get<mb::ir::TreeEnsemble>(plain.estimator).trees.at(0).label.clear();
  CHECK(mb::canon::model_hash(plain) != mb::canon::model_hash(m));
  const auto changes = mb::diff::structural_diff(plain, m);
  // The 0.5/0.5 leaf scoring "1" and the root where a missing x stops (lastPrediction; the root's
  // three children are a chain of two binary tests, each stopping there): "0" becomes "1".
  size_t label_changes = 0;
  for (const auto& c : changes) {
    if (c.kind != "tree-changed" || c.what.find(" label") == std::string::npos) continue;
    ++label_changes;
    CHECK(c.a == "0");
    CHECK(c.b == "1");
  }
  CHECK(label_changes >= 2);

  // ONNX, default double trees: the node labels are a table gathered at the leaf each row
  // reaches; read back to the same model.  onnxruntime gives the labels the file states.
  mb::Warnings w;
  const std::string bytes = mb::onnxfmt::write(m, {}, w);
  const mb::ir::Model from_onnx = mb::onnxfmt::read(bytes, "node_labels.onnx");
  check(from_onnx, "written to ONNX and read back");
  CHECK(mb::canon::model_hash(from_onnx) == mb::canon::model_hash(m));
  require_onnx_tools();
  const fs::path file = scratch_dir() / "pmml_node_labels.onnx";
  write_file(file, bytes);
  check_onnx(file);
  const fs::path csv = scratch_dir() / "pmml_node_labels.csv";
  write_file(csv, "x\n0.5\n1.5\n2.5\nNA\n");
  const Csv ort = ort_score(file, csv);
  REQUIRE(ort.rows.size() == 4);
  const int cls = ort.col("class");
  REQUIRE(cls >= 0);
  CHECK(ort.rows[0][cls] == "1");
  CHECK(ort.rows[1][cls] == "0");
  CHECK(ort.rows[2][cls] == "1");
  CHECK(ort.rows[3][cls] == "1");

  // TreeEnsembleClassifier (--precision float) and the opset-5 TreeEnsemble label by the largest
  // score: refused by name, nothing written.
  for (const mb::onnxfmt::WriteOptions& o :
       {mb::onnxfmt::WriteOptions{mb::ir::Precision::Float32},
        mb::onnxfmt::WriteOptions{mb::ir::Precision::Double, mb::onnxfmt::OnnxTrees::Ml5}}) {
    try {
      mb::onnxfmt::write(m, o, w);
      FAIL_CHECK("expected the ONNX writer to refuse node labels");
    } catch (const mb::Unsupported& e) {
      CHECK(std::string(e.what()).find("node labels") != std::string::npos);
    }
  }
}

TEST_CASE("pmml trees: a majority vote counts node labels, in PMML and in ONNX") {
  // Three trees; x < 1: A scores "1" on 6/4, B "0" on 8/2, C "1" on 5/5; else A "0" on 7/3, B
  // "1" on 2/8, C "1" on 9/1.  Votes by score: x = 0.5 gives 1, 0, 1 and x = 2 gives 0, 1, 1:
  // class "1" with 1/3, 2/3 both times (by the most probable class it would be "0" both times).
  auto tree = [](const char* s1, int a1, int b1, const char* s2, int a2, int b2) {
    return fmt::format(R"(<Segment><True/><TreeModel functionName="classification">
   <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
   <Node><True/>
    <Node score="{}"><SimplePredicate field="x" operator="lessThan" value="1"/>
     <ScoreDistribution value="0" recordCount="{}"/><ScoreDistribution value="1" recordCount="{}"/></Node>
    <Node score="{}"><True/>
     <ScoreDistribution value="0" recordCount="{}"/><ScoreDistribution value="1" recordCount="{}"/></Node>
   </Node></TreeModel></Segment>)",
                       s1, a1, b1, s2, a2, b2);
  };
  const std::string doc = R"(<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
 <DataDictionary>
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="y" optype="categorical" dataType="string"><Value value="0"/><Value value="1"/></DataField>
 </DataDictionary>
 <MiningModel functionName="classification">
  <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
  <Segmentation multipleModelMethod="majorityVote">)" +
                          tree("1", 6, 4, "0", 7, 3) + tree("0", 8, 2, "1", 2, 8) + tree("1", 5, 5, "1", 9, 1) +
                          R"(
  </Segmentation>
 </MiningModel>
</PMML>)";
  const mb::ir::Model m = mb::pmml::read(doc, "vote_labels.pmml");
  mb::eval::Batch b;
  b.rows = 2;
  b.columns = {{0.5, 2.0}};
  auto check = [&](const mb::ir::Model& model, const std::string& what) {
    INFO(what);
    const auto p = score(model, b);
    CHECK(p.label == std::vector<int32_t>{1, 1});
    for (size_t r = 0; r < 2; ++r) {
      CHECK(p.prob[2 * r] == doctest::Approx(1.0 / 3).epsilon(1e-15));
      CHECK(p.prob[2 * r + 1] == doctest::Approx(2.0 / 3).epsilon(1e-15));
    }
  };
  check(m, "read");
  const mb::ir::Model back = pmml_round_trip(m, "vote_labels");
  check(back, "PMML written and read back");
  CHECK(mb::canon::model_hash(back) == mb::canon::model_hash(m));
  mb::Warnings w;
  const std::string bytes = mb::onnxfmt::write(m, {}, w);
  const mb::ir::Model from_onnx = mb::onnxfmt::read(bytes, "vote_labels.onnx");
  check(from_onnx, "ONNX written and read back");
  CHECK(mb::canon::model_hash(from_onnx) == mb::canon::model_hash(m));
  require_onnx_tools();
  const fs::path file = scratch_dir() / "pmml_vote_labels.onnx";
  write_file(file, bytes);
  check_onnx(file);
  const fs::path csv = scratch_dir() / "pmml_vote_labels.csv";
  write_file(csv, "x\n0.5\n2\n");
  const Csv ort = ort_score(file, csv);
  REQUIRE(ort.rows.size() == 2);
  for (const auto& row : ort.rows) {
    CHECK(row[ort.col("class")] == "1");
    CHECK(number_cell(row[ort.col("probabilities_0")]) == doctest::Approx(1.0 / 3).epsilon(1e-15));
    CHECK(number_cell(row[ort.col("probabilities_1")]) == doctest::Approx(2.0 / 3).epsilon(1e-15));
  }
}

TEST_CASE("pmml trees: RapidMiner's DecisionTreeAudit (ties broken both ways) keeps its labels through PMML") {
  const fs::path dir = corpus_dir() / "jpmml-evaluator-1.4.X/pmml-rapidminer/src/test/resources";
  if (!have_shared(dir)) return;
  ProducerCase pc;
  if (!load_producer_case(dir, "DecisionTreeAudit", "Audit", pc)) return;
  const auto& tree = std::get<mb::ir::TreeEnsemble>(pc.model.estimator).trees.at(0);
  size_t labelled = 0;
  for (int32_t l : tree.label) labelled += l >= 0;
  CHECK(labelled > 0);
  const mb::ir::Model back = pmml_round_trip(pc.model, "decision_tree_audit");
  CHECK(mb::canon::model_hash(back) == mb::canon::model_hash(pc.model));

  // To ONNX (default double graph): read back to the same model, and onnxruntime gives
  // RapidMiner's labels and confidences.
  mb::Warnings w;
  const std::string bytes = mb::onnxfmt::write(pc.model, {}, w);
  const mb::ir::Model from_onnx = mb::onnxfmt::read(bytes, "decision_tree_audit.onnx");
  CHECK(mb::canon::model_hash(from_onnx) == mb::canon::model_hash(pc.model));
  require_onnx_tools();
  const fs::path file = scratch_dir() / "decision_tree_audit.onnx";
  write_file(file, bytes);
  check_onnx(file);
  const Csv ort = ort_score(file, dir / "csv" / "Audit.csv");
  REQUIRE(ort.rows.size() == pc.expected.rows.size());
  const int cls = ort.col("class"), want = pc.expected.col("prediction(Adjusted)");
  REQUIRE(cls >= 0);
  REQUIRE(want >= 0);
  const auto& classes = pc.model.schema.target.classes;
  size_t label_mismatches = 0, prob_mismatches = 0;
  for (size_t r = 0; r < ort.rows.size(); ++r) {
    label_mismatches += ort.rows[r][cls] != pc.expected.rows[r][want];
    for (size_t k = 0; k < classes.size(); ++k) {
      // RapidMiner gives no confidence for its class MISSING_VALUE: 0 here.
      const int c = pc.expected.col(fmt::format("confidence({})", classes[k])),
                o = ort.col(fmt::format("probabilities_{}", k));
      REQUIRE(o >= 0);
      const double got = number_cell(ort.rows[r][o]), ref = c >= 0 ? number_cell(pc.expected.rows[r][c]) : 0.0;
      prob_mismatches += !(std::fabs(got - ref) <= 1e-12 + 1e-9 * std::fabs(ref));
    }
  }
  CHECK(label_mismatches == 0);
  CHECK(prob_mismatches == 0);
}

// ---------------------------------------------------------------------------------------------
// Round trip: IR trees -> PMML 4.4 (valid against the XSD) -> IR, scoring the same.

namespace {

// Returns the number of missing predictions among the rows with the most missing values.
size_t check_same_scores(const mb::ir::Model& a, const mb::ir::Model& b, const std::string& what) {
  size_t null_rows = 0;
  for (int missing : {0, 5, 2}) {
    auto rows = random_batch(a.schema, 2000, 7 + missing, missing, [](const mb::ir::InputField&, double u) {
      return std::round(u * 8) / 8;  // ties with thresholds happen
    });
    auto pa = score(a, rows);
    auto pb = score(b, rows);
    size_t bad = 0, nulls = 0;
    if (a.schema.target.task == mb::ir::Task::Regression) {
      for (size_t r = 0; r < pa.rows; ++r) {
        bad += !agree(pb.value[r], pa.value[r], 0, 0) && !(std::isnan(pa.value[r]) && std::isnan(pb.value[r]));
        nulls += std::isnan(pa.value[r]);
      }
    } else {
      for (size_t i = 0; i < pa.prob.size(); ++i) bad += !agree(pb.prob[i], pa.prob[i], 1e-15, 1e-300);
      for (size_t r = 0; r < pa.rows; ++r) {
        bad += pa.label[r] != pb.label[r];
        nulls += pa.label[r] < 0;
      }
    }
    INFO(what << " (one value in " << missing << " missing): " << bad << " differences, " << nulls
              << " missing predictions");
    CHECK(bad == 0);
    if (missing == 2) null_rows = nulls;
  }
  return null_rows;
}

// Inputs x1, x2 (continuous), f (4 levels), o (ordinal, 3 levels); features x1, x2, f, o codes and a
// derived feature.
mb::ir::Model base_model(mb::ir::Task task, std::vector<std::string> classes = {}) {
  mb::ir::Model m;
  auto cont = [](const char* n) {
    mb::ir::InputField f;
    f.name = n;
    return f;
  };
  mb::ir::InputField f;
  f.name = "f";
  f.kind = mb::ir::FieldKind::Categorical;
  f.levels = {"a", "b", "c d", "e\"q"};
  mb::ir::InputField o;
  o.name = "o";
  o.kind = mb::ir::FieldKind::Ordinal;
  o.levels = {"lo", "mid", "hi"};
  m.schema.inputs = {cont("x1"), cont("x2"), f, o};
  m.schema.target.name = "y";
  m.schema.target.task = task;
  m.schema.target.classes = std::move(classes);
  m.features = {{"x1", mb::ir::Expr::input(0)},
                {"x2", mb::ir::Expr::input(1)},
                {"f", mb::ir::Expr::input(2)},
                {"o", mb::ir::Expr::input(3)},
                {"x1*x2", mb::ir::Expr::binary(mb::ir::Op::Mul, mb::ir::Expr::input(0), mb::ir::Expr::input(1))}};
  return m;
}

struct TreeGen {
  std::mt19937_64 rng;
  int K;
  bool two_sided;
  std::vector<MissingGo> policies;
  mb::ir::Tree t;

  double unif(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
  int pick(int n) { return static_cast<int>(rng() % n); }

  // A test on a random feature: op, feature, threshold, set range.
  void test(SplitOp& op, int32_t& feature, double& thr, int32_t& off, int32_t& size) {
    feature = pick(5);
    off = static_cast<int32_t>(t.sets.size());
    size = 0;
    thr = std::round(unif(-1.5, 1.5) * 8) / 8;
    if (feature == 2) {
      op = SplitOp::InSet;
      for (int32_t code = 0; code < 4; ++code) {
        const int side = pick(3);  // 0 false side, 1 true side, 2 neither (two-sided only)
        if (!two_sided && side != 1) continue;
        if (two_sided && side == 2) continue;
        t.sets.push_back(code);
        if (two_sided) t.set_side.push_back(side == 1);
        ++size;
      }
      return;
    }
    if (feature == 3) thr = pick(3) + (pick(2) ? 0.5 : 0.0);
    const SplitOp ops[] = {SplitOp::LessThan,       SplitOp::LessOrEqual, SplitOp::GreaterThan,
                           SplitOp::GreaterOrEqual, SplitOp::Equal,       SplitOp::NotEqual};
    op = ops[pick(feature == 3 ? 4 : 6)];
  }

  int node(int depth) {
    const int n = static_cast<int>(t.op.size());
    t.push_node(SplitOp::Leaf, -1, 0, -1, -1, MissingGo::Right);
    t.set_offset.push_back(0);
    t.set_size.push_back(0);
    t.sur_offset.push_back(static_cast<int32_t>(t.sur_feature.size()));
    t.sur_size.push_back(0);
    t.count.push_back(std::floor(unif(1, 50)));
    double total = 0;
    for (int k = 0; k < K; ++k) {
      t.values.push_back(K == 1 ? std::round(unif(-10, 10) * 1000) / 1000 : unif(0, 1));
      total += t.values.back();
    }
    if (K > 1)
      for (int k = 0; k < K; ++k) t.values[n * K + k] /= total;
    if (depth <= 0) return n;
    SplitOp op;
    int32_t feature, off, size;
    double thr;
    test(op, feature, thr, off, size);
    t.op[n] = op;
    t.feature[n] = feature;
    t.threshold[n] = thr;
    t.set_offset[n] = off;
    t.set_size[n] = size;
    const int n_sur = pick(3);
    for (int s = 0; s < n_sur; ++s) {
      SplitOp sop;
      int32_t sf, soff, ssize;
      double sthr;
      test(sop, sf, sthr, soff, ssize);
      t.sur_feature.push_back(sf);
      t.sur_op.push_back(sop);
      t.sur_threshold.push_back(sthr);
      t.sur_set_offset.push_back(soff);
      t.sur_set_size.push_back(ssize);
      t.sur_flip.push_back(pick(2));
    }
    t.sur_size[n] = n_sur;
    t.missing[n] = policies[pick(static_cast<int>(policies.size()))];
    const int l = node(depth - 1 - pick(2));
    t.left[n] = l;
    const int r = node(depth - 1 - pick(2));
    t.right[n] = r;
    if (t.missing[n] == MissingGo::Node) {
      const int mc = node(pick(2));
      t.missing_child[n] = mc;
    }
    return n;
  }
};

mb::ir::Tree random_tree(unsigned seed, int K, bool two_sided, std::vector<MissingGo> policies, int depth = 5) {
  TreeGen g{std::mt19937_64(seed), K, two_sided, std::move(policies), {}};
  g.node(depth);
  return std::move(g.t);
}

const std::vector<MissingGo> kAllPolicies = {MissingGo::Left,     MissingGo::Right, MissingGo::Node,
                                             MissingGo::StopHere, MissingGo::Null,  MissingGo::Majority};

}  // namespace

TEST_CASE("pmml trees round trip: single trees with every missing-value policy, surrogates and category sets") {
  int written = 0;
  size_t nulls = 0;
  for (unsigned seed = 1; seed <= 6; ++seed) {
    for (bool two_sided : {false, true}) {
      // Regression.
      auto m = base_model(mb::ir::Task::Regression);
      mb::ir::TreeEnsemble te;
      te.trees.push_back(random_tree(seed, 1, two_sided, kAllPolicies));
      m.estimator = te;
      mb::ir::validate(m, "test");
      const std::string what = fmt::format("regression_tree_{}_{}", seed, two_sided);
      auto back = pmml_round_trip(m, what);
      nulls += check_same_scores(m, back, what);
      // Classification with class probabilities at every node.
      auto c = base_model(mb::ir::Task::Classification, {"no", "yes", "maybe"});
      mb::ir::TreeEnsemble tc;
      tc.n_outputs = 3;
      tc.trees.push_back(random_tree(seed + 100, 3, two_sided, kAllPolicies));
      c.estimator = tc;
      mb::ir::validate(c, "test");
      const std::string cwhat = fmt::format("classification_tree_{}_{}", seed, two_sided);
      auto cback = pmml_round_trip(c, cwhat);
      nulls += check_same_scores(c, cback, cwhat);
      written += 2;
    }
  }
  CHECK(nulls > 0);  // MissingGo::Null is exercised
  MESSAGE(written << " trees written, validated, read back and scored the same; " << nulls << " missing predictions");
}

TEST_CASE("pmml trees round trip: ensembles with every aggregation") {
  using A = mb::ir::Aggregate;
  using T = mb::ir::ScoreTransform;
  struct Case {
    const char* name;
    mb::ir::Task task;
    int K;
    A aggregate;
    T transform;
    mb::ir::Link link;
    bool weights, base;
  };
  const Case cases[] = {
      {"sum_base", mb::ir::Task::Regression, 1, A::Sum, T::None, mb::ir::Link::Identity, false, true},
      {"weighted_sum", mb::ir::Task::Regression, 1, A::Sum, T::None, mb::ir::Link::Identity, true, true},
      {"sum_log", mb::ir::Task::Regression, 1, A::Sum, T::None, mb::ir::Link::Log, false, true},
      {"sum_logit_binary", mb::ir::Task::Classification, 1, A::Sum, T::Binary, mb::ir::Link::Logit, false, true},
      {"sum_probit_binary", mb::ir::Task::Classification, 1, A::Sum, T::Binary, mb::ir::Link::Probit, true, false},
      {"sum_softmax", mb::ir::Task::Classification, 3, A::Sum, T::Softmax, mb::ir::Link::Identity, false, true},
      {"average", mb::ir::Task::Regression, 1, A::Average, T::None, mb::ir::Link::Identity, false, true},
      {"weighted_average", mb::ir::Task::Regression, 1, A::Average, T::None, mb::ir::Link::Identity, true, false},
      {"average_probabilities", mb::ir::Task::Classification, 3, A::Average, T::None, mb::ir::Link::Identity, false,
       false},
      {"majority_vote", mb::ir::Task::Classification, 3, A::Vote, T::Normalize, mb::ir::Link::Identity, false, false},
      {"weighted_majority_vote", mb::ir::Task::Classification, 3, A::Vote, T::Normalize, mb::ir::Link::Identity, true,
       false},
      {"max", mb::ir::Task::Regression, 1, A::Max, T::None, mb::ir::Link::Identity, false, true},
  };
  for (const auto& cs : cases) {
    CAPTURE(cs.name);
    const bool cls = cs.task == mb::ir::Task::Classification;
    auto m = base_model(cs.task, cls ? std::vector<std::string>{"no", "yes", "maybe"} : std::vector<std::string>{});
    if (cls && cs.K == 1) m.schema.target.classes = {"no", "yes"};
    mb::ir::TreeEnsemble te;
    te.n_outputs = cs.K;
    te.aggregate = cs.aggregate;
    te.transform = cs.transform;
    te.link = cs.link;
    const int K = cs.K;
    for (unsigned t = 0; t < 7; ++t) {
      auto tree = random_tree(1000 + t, K, t % 2 == 1, kAllPolicies, 3);
      if (cs.link == mb::ir::Link::Log || cs.transform == T::Binary || cs.transform == T::Softmax)
        for (auto& v : tree.values) v = v / 10 - (K > 1 ? 0.05 : 0);  // moderate link scales
      te.trees.push_back(std::move(tree));
      if (cs.weights) te.tree_weights.push_back(0.25 + 0.5 * t);
    }
    if (cs.base) te.base.assign(K, 0.375);
    m.estimator = te;
    mb::ir::validate(m, "test");
    auto back = pmml_round_trip(m, cs.name);
    check_same_scores(m, back, cs.name);
  }
}

TEST_CASE("pmml trees: third-party documents written back as PMML 4.4 validate and score the same") {
  if (!have_shared(corpus_dir() / "jpmml-evaluator-1.4.X")) return;
  for (const auto& cs : corpus_cases()) {
    const fs::path dir = case_dir(cs);
    const std::string id = std::string(*cs.dir ? cs.dir : "evaluator-testing") + "_" + cs.name;
    CAPTURE(id);
    const auto m =
        mb::pmml::read(slurp(dir / "pmml" / (std::string(cs.name) + ".pmml")), std::string(cs.name) + ".pmml");
    const auto back = pmml_round_trip(m, id);
    const Csv input = read_csv(dir / "csv" / (std::string(cs.input) + ".csv"));
    auto pa = score(m, bind_by_name(m, input));
    auto pb = score(back, bind_by_name(back, input));
    CHECK(pa.label == pb.label);
    size_t bad = 0;
    for (size_t i = 0; i < pa.value.size(); ++i) bad += !agree(pb.value[i], pa.value[i], 0);
    for (size_t i = 0; i < pa.prob.size(); ++i) bad += !agree(pb.prob[i], pa.prob[i], 0);
    CHECK_MESSAGE(bad == 0, id << ": " << bad << " differences after the round trip");
  }
}

// ---------------------------------------------------------------------------------------------
// R tree models (testdata/r): imported, written as PMML, validated, read back and scored against
// R's predict() (expected.csv) at |a - b| <= 1e-12 + 1e-9 |b|.

#ifdef MB_HAVE_RJSON
TEST_CASE("pmml trees: R tree models through PMML agree with R's predict()") {
  const fs::path root = r_testdata_dir();
  REQUIRE(fs::is_directory(root / "rpart_anova"));
  // ranger_class_partition and ranger_class_ignore_factor: expected.csv has its probability
  // columns swapped (see test_import_trees.cpp); their labels and the other cases are compared.
  // The catalogue's tree cases that must convert to PMML (rf_class_cutoff is "refused": PMML
  // cannot state class cutoffs, the writer refuses it, checked below).
  std::vector<std::pair<std::string, Importer>> cases;
  std::set<std::string> pmml_must;
  for (const auto& c : catalogue(root))
    if (c.kind == "tree" && c.must_convert("pmml")) pmml_must.insert(c.name);
  for (const auto& c : r_tree_cases())
    if (c.name != "ranger_class_partition" && c.name != "ranger_class_ignore_factor" && pmml_must.count(c.name))
      cases.emplace_back(c.name, c.import);
  REQUIRE(cases.size() >= 24);
  int passed = 0, ran = 0;
  for (const auto& c : cases) {
    const auto& name = c.first;  // not a structured binding: clang 14 cannot capture one in CAPTURE
    const auto& import = c.second;
    const fs::path dir = root / name;
    if (!fs::exists(dir / "model_exact.json")) continue;
    CAPTURE(name);
    mb::Warnings w;
    const std::string path = (dir / "model_exact.json").string();
    auto obj = mb::r::read_rjson(slurp(dir / "model_exact.json"), path, w);
    const mb::ir::Model m = import(*obj, path);
    ++ran;
    const mb::ir::Model back = pmml_round_trip(m, std::string("r_") + name);
    const auto report = score_against(back, dir / "input.csv", dir / "expected.csv");
    CHECK_MESSAGE(report.rows > 0, name << ": no rows compared");
    CHECK_MESSAGE(report.agrees(), name << ": " << mb::compare::render_text(report));
    CHECK(report.missing_mismatches == 0);
    passed += report.agrees() && report.rows > 0;
    MESSAGE(std::string(name) << " through PMML: " << report.rows << " rows, " << report.rows_beyond
                              << " beyond tolerance, max |diff| " << report.max_abs);
  }
  MESSAGE("R tree cases through PMML: " << passed << " of " << ran << " agree with R");
  // Class cutoffs: PMML labels a vote by its largest probability only, so the writer refuses them.
  if (const fs::path dir = root / "rf_class_cutoff"; fs::exists(dir / "model_exact.json")) {
    mb::Warnings w;
    const std::string path = (dir / "model_exact.json").string();
    auto obj = mb::r::read_rjson(slurp(dir / "model_exact.json"), path, w);
    const mb::ir::Model m = mb::r::import_random_forest(*obj, path);
    try {
      (void)mb::pmml::write(m, w);
      FAIL_CHECK("rf_class_cutoff: written to PMML");
    } catch (const mb::Error& e) {
      CHECK(std::string(e.what()).find("class cutoffs") != std::string::npos);
    }
  }
}
#endif

TEST_CASE("pmml trees: hand-made multi-way, xor, isNotIn and defaultChild document (hand-computed)") {
  const std::string text = slurp(testdata() / "multiway_xor_default_child.pmml");
  REQUIRE(!text.empty());
  const auto m = mb::pmml::read(text, "multiway_xor_default_child.pmml");
  // Inputs x, z, g (a, b, c); scores are the ids of the nodes PMML 4.4 ends in.
  struct Row {
    double x, z, g, want;
  };
  const Row rows[] = {
      {1, -1, 1, 11},    // g not a; xor(true, false)
      {1, 2, 1, 12},     // xor(true, true) is false; x <= 10
      {20, 2, 2, 1},     // no child true: returnLastPrediction
      {kNaN, 1, 2, 12},  // xor UNKNOWN: defaultChild 12, entered without its test
      {-2, 0, 0, 21},    // g = a: three-way split
      {0, 0, 0, 22},          {1, 0, 0, 23}, {5, 0, kNaN, 23},  // g missing: defaultChild 2, then x >= 1
      {kNaN, 0, 0, 22},                                         // x missing under node 2: defaultChild 22
      {kNaN, kNaN, kNaN, 22},
  };
  mb::eval::Batch b;
  b.rows = std::size(rows);
  b.columns.resize(3);
  for (const auto& r : rows) {
    b.columns[0].push_back(r.x);
    b.columns[1].push_back(r.z);
    b.columns[2].push_back(r.g);
  }
  auto p = score(m, b);
  for (size_t i = 0; i < b.rows; ++i) {
    CAPTURE(i);
    CHECK(p.value[i] == rows[i].want);
  }
  const auto back = pmml_round_trip(m, "multiway_xor_default_child");
  auto pb = score(back, b);
  for (size_t i = 0; i < b.rows; ++i) CHECK(pb.value[i] == rows[i].want);
}
