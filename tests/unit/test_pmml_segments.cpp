// suite: interop
// PMML MiningModel forms KNIME writes beyond tree ensembles: a k-means "ensemble" (a vote of one
// ClusteringModel) and averages of linear regressions (RegressionModel and GeneralRegressionModel
// segments), against KNIME's own predictions; a hand-made weighted average with Targets
// rescaling (hand-computed); and the forms that are refused, with the element and the reason.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "formats/onnx/onnx.hpp"
#include "formats/pmml/pmml.hpp"
#include "formats/r/exporters/export.hpp"
#include "lib/canon/canonical.hpp"
#include "lib/eval/evaluator.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::testsupport;

namespace {

fs::path knime_dir() { return shared_dir() / "corpus/pmml/jpmml-evaluator-1.4.X/pmml-knime/src/test/resources"; }

bool has_warning(const mb::ir::Model& m, const std::string& code) {
  for (const auto& w : m.provenance.warnings)
    if (w.code == code) return true;
  return false;
}

}  // namespace

TEST_CASE("pmml segments: KNIME's k-means ensemble gives KNIME's clusters") {
  if (!have_shared(knime_dir())) return;
  const auto m = mb::pmml::read(slurp(knime_dir() / "pmml/KMeansEnsembleIris.pmml"), "KMeansEnsembleIris.pmml");
  REQUIRE(m.schema.target.task == mb::ir::Task::Clustering);
  const Csv input = read_csv(knime_dir() / "csv/Iris.csv");
  const Csv expected = read_csv(knime_dir() / "csv/KMeansEnsembleIris.csv");
  const auto p = score(m, bind_by_name(m, input));
  REQUIRE(p.label.size() == expected.rows.size());
  const int col = expected.col("Cluster");
  REQUIRE(col >= 0);
  size_t bad = 0;
  for (size_t r = 0; r < expected.rows.size(); ++r)
    bad += p.label[r] < 0 || m.schema.target.classes[p.label[r]] != expected.rows[r][col];
  CHECK(bad == 0);
}

TEST_CASE("pmml segments: KNIME's averages of linear regressions give KNIME's predictions") {
  if (!have_shared(knime_dir())) return;
  for (const char* name : {"ModelEnsembleAuto", "RegressionEnsembleAuto"}) {
    CAPTURE(name);
    const auto m = mb::pmml::read(slurp(knime_dir() / "pmml" / (std::string(name) + ".pmml")), name);
    CHECK(std::holds_alternative<mb::ir::Linear>(m.estimator));
    CHECK(has_warning(m, "pmml-linear-segments-merged"));
    const Csv input = read_csv(knime_dir() / "csv/Auto.csv");
    const Csv expected = read_csv(knime_dir() / "csv" / (std::string(name) + ".csv"));
    const auto p = score(m, bind_by_name(m, input));
    const int col = expected.col("mpg");
    REQUIRE(col >= 0);
    size_t bad = 0;
    double worst = 0;
    for (size_t r = 0; r < expected.rows.size(); ++r) {
      const double want = std::stod(expected.rows[r][col]);
      worst = std::max(worst, std::fabs(p.value[r] - want) / std::fabs(want));
      // KNIME prints 17 digits; the merged coefficients sum in another order: 1e-13, not 1e-15.
      bad += !agree(p.value[r], want, 1e-13, 1e-13);
    }
    CHECK(bad == 0);
    MESSAGE(name << ": largest relative difference " << worst);
  }
}

namespace {

std::string segments_doc(const std::string& method, const std::string& segments, const std::string& targets = "") {
  return R"(<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
 <Header/>
 <DataDictionary numberOfFields="3">
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="z" optype="continuous" dataType="double"/>
  <DataField name="y" optype="continuous" dataType="double"/>
 </DataDictionary>
 <MiningModel functionName="regression">
  <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="y" usageType="target"/></MiningSchema>
)" + targets +
         R"(
  <Segmentation multipleModelMethod=")" +
         method + R"(">
)" + segments +
         R"(
  </Segmentation>
 </MiningModel>
</PMML>
)";
}

// y1 = 1 + 2x (its Targets: 3 y + 1, so 4 + 6x); y2 = -1 + 0.5 x + 4 z (GeneralRegressionModel).
const char* const kSegments = R"(
   <Segment weight="3"><True/>
    <RegressionModel functionName="regression">
     <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
     <Targets><Target field="y" rescaleFactor="3" rescaleConstant="1"/></Targets>
     <RegressionTable intercept="1"><NumericPredictor name="x" coefficient="2"/></RegressionTable>
    </RegressionModel>
   </Segment>
   <Segment weight="1"><True/>
    <GeneralRegressionModel modelType="generalLinear" functionName="regression">
     <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="y" usageType="target"/></MiningSchema>
     <ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
     <CovariateList><Predictor name="x"/><Predictor name="z"/></CovariateList>
     <PPMatrix><PPCell value="1" predictorName="x" parameterName="p1"/><PPCell value="1" predictorName="z" parameterName="p2"/></PPMatrix>
     <ParamMatrix><PCell parameterName="p0" df="1" beta="-1"/><PCell parameterName="p1" df="1" beta="0.5"/><PCell parameterName="p2" df="1" beta="4"/></ParamMatrix>
    </GeneralRegressionModel>
   </Segment>)";

double score_xz(const mb::ir::Model& m, double x, double z) {
  mb::eval::Batch b;
  b.rows = 1;
  for (const auto& in : m.schema.inputs) b.columns.push_back({in.name == "x" ? x : z});
  return score(m, b).value[0];
}

}  // namespace

TEST_CASE("pmml segments: weighted averages and sums of linear segments with Targets (hand-computed)") {
  const std::string mm_targets = R"(<Targets><Target field="y" rescaleFactor="2" rescaleConstant="-5"/></Targets>)";
  struct Case {
    const char* method;
    bool targets;
    double (*want)(double, double);
  };
  const Case cases[] = {
      {"weightedAverage", false, [](double x, double z) { return (3 * (4 + 6 * x) + (-1 + 0.5 * x + 4 * z)) / 4; }},
      {"average", false, [](double x, double z) { return ((4 + 6 * x) + (-1 + 0.5 * x + 4 * z)) / 2; }},
      {"weightedSum", false, [](double x, double z) { return 3 * (4 + 6 * x) + (-1 + 0.5 * x + 4 * z); }},
      {"sum", true, [](double x, double z) { return 2 * ((4 + 6 * x) + (-1 + 0.5 * x + 4 * z)) - 5; }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.method);
    const auto m = mb::pmml::read(segments_doc(c.method, kSegments, c.targets ? mm_targets : ""), "avg.pmml");
    CHECK(has_warning(m, "pmml-linear-segments-merged"));
    for (double x : {-2.0, 0.0, 1.5, 10.0})
      for (double z : {-1.0, 0.25, 3.0}) CHECK(score_xz(m, x, z) == doctest::Approx(c.want(x, z)).epsilon(1e-14));
    CHECK(std::isnan(score_xz(m, kNaN, 1.0)));
    // Written as PMML 4.4 (one linear model), read back the same.
    const auto back = pmml_round_trip(m, std::string("segments_") + c.method);
    for (double x : {-2.0, 1.5}) CHECK(score_xz(back, x, 0.25) == score_xz(m, x, 0.25));
  }
}

TEST_CASE("pmml segments: forms that are refused name the element and the reason") {
  struct Bad {
    std::string text;
    const char* place;
    const char* message;
  };
  const std::string logit = R"(
   <Segment><True/>
    <RegressionModel functionName="regression" normalizationMethod="logit">
     <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
     <RegressionTable intercept="1"><NumericPredictor name="x" coefficient="2"/></RegressionTable>
    </RegressionModel>
   </Segment>)";
  std::string zero_weight = kSegments;
  zero_weight.replace(zero_weight.find("weight=\"1\""), 10, "weight=\"0\"");
  const std::string cluster = R"(
   <Segment><True/>
    <ClusteringModel functionName="clustering" modelClass="centerBased" numberOfClusters="2">
     <MiningSchema><MiningField name="x"/></MiningSchema>
     <ComparisonMeasure kind="distance"><squaredEuclidean/></ComparisonMeasure>
     <ClusteringField field="x"/>
     <Cluster id="a"><Array n="1" type="real">0</Array></Cluster>
     <Cluster id="b"><Array n="1" type="real">1</Array></Cluster>
    </ClusteringModel>
   </Segment>)";
  auto clustering = [&](const std::string& method, const std::string& segs) {
    std::string t = segments_doc(method, segs);
    t.replace(t.find("functionName=\"regression\""), 25, "functionName=\"clustering\"");
    t.replace(t.find("<MiningField name=\"y\" usageType=\"target\"/>"), 41, "");
    return t;
  };
  const Bad cases[] = {
      {segments_doc("average", logit), "Segment/RegressionModel", "only linear regressions with the identity link"},
      {segments_doc("weightedAverage", zero_weight), "Segmentation/Segment[2]", "expected a finite positive weight"},
      {clustering("majorityVote", cluster + cluster), "MiningModel/Segmentation",
       "unsupported clustering segmentation of 2 segments (only one ClusteringModel)"},
      {clustering("average", cluster), "MiningModel/Segmentation",
       "unsupported multipleModelMethod 'average' for clustering"},
      {clustering("majorityVote", logit), "Segment/RegressionModel",
       "unsupported PMML element RegressionModel in a clustering segmentation (expected ClusteringModel)"},
  };
  for (const auto& b : cases) {
    CAPTURE(b.message);
    try {
      mb::pmml::read(b.text, "bad.pmml");
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK(e.place().find("line ") == 0);
      CHECK_MESSAGE(e.place().find(b.place) != std::string::npos, e.place());
      CHECK_MESSAGE(e.message().find(b.message) != std::string::npos, e.message());
      MESSAGE(std::string(e.what()));
    }
  }
}

// RapidMiner lists MISSING_VALUE among the target's values but gives the network no output for
// it: probability 0 (a logistic unit with a bias of -infinity), RapidMiner's own confidences for
// the others; written back (XSD-valid) and read again the same.  Under softmax such a category
// cannot have probability 0: refused.
TEST_CASE("pmml: RapidMiner's network without an output for MISSING_VALUE gives RapidMiner's confidences") {
  const fs::path dir = shared_dir() / "corpus/pmml/jpmml-evaluator-1.4.X/pmml-rapidminer/src/test/resources";
  if (!have_shared(dir)) return;
  const std::string text = slurp(dir / "pmml/NeuralNetworkIris.pmml");
  const auto m = mb::pmml::read(text, "NeuralNetworkIris.pmml");
  CHECK(has_warning(m, "pmml-nn-category-without-output"));
  const Csv input = read_csv(dir / "csv/Iris.csv");
  const Csv expected = read_csv(dir / "csv/NeuralNetworkIris.csv");
  const auto p = score(m, bind_by_name(m, input));
  const auto& classes = m.schema.target.classes;
  REQUIRE(classes.size() == 4);
  CHECK(classes[3] == "MISSING_VALUE");
  size_t bad = 0;
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    bad += classes[p.label[r]] != expected.rows[r][expected.col("prediction(Species)")];
    for (size_t k = 0; k < 3; ++k) {
      const int c = expected.col("confidence(" + classes[k] + ")");
      REQUIRE(c >= 0);
      bad += !agree(p.prob[r * 4 + k], std::stod(expected.rows[r][c]), 1e-13, 1e-13);
    }
    bad += p.prob[r * 4 + 3] != 0;
  }
  CHECK(bad == 0);
  const auto back = pmml_round_trip(m, "rapidminer_nn_iris");
  const auto q = score(back, bind_by_name(back, input));
  CHECK(q.label == p.label);
  CHECK(q.prob == p.prob);

  std::string softmax = text;
  softmax.replace(softmax.find("normalizationMethod=\"simplemax\""), 31, "normalizationMethod=\"softmax\"");
  try {
    mb::pmml::read(softmax, "softmax.pmml");
    FAIL_CHECK("expected an error");
  } catch (const mb::Error& e) {
    CHECK(e.place().find("/PMML/NeuralNetwork") != std::string::npos);
    CHECK(e.message().find("no output for category 'MISSING_VALUE'") != std::string::npos);
  }
}

// One-against-all support vector machines (KNIME's SMO writes them): one machine per category,
// the smallest value wins (the largest with maxWins), the first machine on ties.
TEST_CASE("pmml: KNIME's one-against-all support vector machine gives KNIME's classes") {
  if (!have_shared(knime_dir())) return;
  const auto m =
      mb::pmml::read(slurp(knime_dir() / "pmml/SupportVectorMachineIris.pmml"), "SupportVectorMachineIris.pmml");
  const auto& svm = std::get<mb::ir::Svm>(m.estimator);
  CHECK(svm.one_vs_rest);
  CHECK(has_warning(m, "pmml-svm-one-against-all"));
  const Csv input = read_csv(knime_dir() / "csv/Iris.csv");
  const Csv expected = read_csv(knime_dir() / "csv/SupportVectorMachineIris.csv");
  const auto p = score(m, bind_by_name(m, input));
  const int col = expected.col("Species");
  REQUIRE(col >= 0);
  size_t bad = 0;
  for (size_t r = 0; r < expected.rows.size(); ++r) bad += m.schema.target.classes[p.label[r]] != expected.rows[r][col];
  CHECK(bad == 0);
  const auto back = pmml_round_trip(m, "knime_svm_iris");
  CHECK(score(back, bind_by_name(back, input)).label == p.label);
}

namespace {

// f_a = x, f_b = 1 - x, f_c = 0.25 (linear kernel, one vector [1]).
std::string ova_doc(const std::string& model_attrs, const std::string& extra_machine = "") {
  return R"(<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
 <Header/>
 <DataDictionary numberOfFields="2">
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>
 </DataDictionary>
 <SupportVectorMachineModel functionName="classification")" +
         model_attrs + R"(>
  <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
  <LinearKernelType/>
  <VectorDictionary numberOfVectors="1">
   <VectorFields numberOfFields="1"><FieldRef field="x"/></VectorFields>
   <VectorInstance id="v"><Array n="1" type="real">1</Array></VectorInstance>
  </VectorDictionary>
  <SupportVectorMachine targetCategory="a"><SupportVectors numberOfSupportVectors="1"><SupportVector vectorId="v"/></SupportVectors>
   <Coefficients numberOfCoefficients="1" absoluteValue="0"><Coefficient value="1"/></Coefficients></SupportVectorMachine>
  <SupportVectorMachine targetCategory="b"><SupportVectors numberOfSupportVectors="1"><SupportVector vectorId="v"/></SupportVectors>
   <Coefficients numberOfCoefficients="1" absoluteValue="1"><Coefficient value="-1"/></Coefficients></SupportVectorMachine>
  <SupportVectorMachine targetCategory="c"><SupportVectors numberOfSupportVectors="1"><SupportVector vectorId="v"/></SupportVectors>
   <Coefficients numberOfCoefficients="1" absoluteValue="0.25"><Coefficient value="0"/></Coefficients></SupportVectorMachine>
)" + extra_machine +
         R"(
 </SupportVectorMachineModel>
</PMML>
)";
}

std::string ova_label(const mb::ir::Model& m, double x) {
  mb::eval::Batch b;
  b.rows = 1;
  b.columns.push_back({x});
  const auto p = score(m, b);
  return p.label[0] < 0 ? std::string() : m.schema.target.classes[p.label[0]];
}

}  // namespace

TEST_CASE("pmml: one-against-all machines, smallest or largest value wins (hand-computed)") {
  const auto min_wins = mb::pmml::read(ova_doc(""), "ova.pmml");
  const auto max_wins =
      mb::pmml::read(ova_doc(R"( classificationMethod="OneAgainstAll" maxWins="true")"), "ova_max.pmml");
  // x = 0: (0, 1, 0.25); x = 0.9: (0.9, 0.1, 0.25); x = 0.5: (0.5, 0.5, 0.25), a tie of a and b at the top.
  CHECK(ova_label(min_wins, 0) == "a");
  CHECK(ova_label(min_wins, 0.9) == "b");
  CHECK(ova_label(min_wins, 0.5) == "c");
  CHECK(ova_label(max_wins, 0) == "b");
  CHECK(ova_label(max_wins, 0.9) == "a");
  CHECK(ova_label(max_wins, 0.5) == "a");
  CHECK(ova_label(min_wins, kNaN).empty());
  for (const auto* m : {&min_wins, &max_wins}) {
    const auto back = pmml_round_trip(*m, "ova");
    for (double x : {0.0, 0.9, 0.5, -3.0}) CHECK(ova_label(back, x) == ova_label(*m, x));
    // ONNX has no writer for these machines: refused by name.
    mb::Warnings w;
    try {
      mb::onnxfmt::write(*m, {}, w);
      FAIL_CHECK("expected a refusal");
    } catch (const mb::Error& e) {
      CHECK(std::string(e.what()).find("one-against-all") != std::string::npos);
    }
  }
  // Malformed: a second machine for a category; maxWins that is not a boolean.
  const std::string twice =
      R"(<SupportVectorMachine targetCategory="a"><SupportVectors numberOfSupportVectors="1"><SupportVector vectorId="v"/></SupportVectors>
   <Coefficients numberOfCoefficients="1" absoluteValue="0"><Coefficient value="2"/></Coefficients></SupportVectorMachine>)";
  const std::pair<std::string, const char*> bad[] = {
      {ova_doc("", twice), "a second machine for the same category"},
      {ova_doc(R"( maxWins="yes")"), "expected true or false in attribute 'maxWins', found 'yes'"},
  };
  for (const auto& [text, message] : bad) {
    try {
      mb::pmml::read(text, "bad.pmml");
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK(e.place().find("/PMML/SupportVectorMachineModel") != std::string::npos);
      CHECK_MESSAGE(e.message().find(message) != std::string::npos, e.message());
    }
  }
}

TEST_CASE("pmml segments: KNIME's vote of a tree, a network and an SVM gives KNIME's species") {
  if (!have_shared(knime_dir())) return;
  const auto m = mb::pmml::read(slurp(knime_dir() / "pmml/ModelEnsembleIris.pmml"), "ModelEnsembleIris.pmml");
  const auto* e = std::get_if<mb::ir::Ensemble>(&m.estimator);
  REQUIRE(e);
  CHECK(e->combine == mb::ir::Combine::MajorityVote);
  REQUIRE(e->members.size() == 3);
  CHECK(std::holds_alternative<mb::ir::TreeEnsemble>(e->members[0].estimator));
  CHECK(std::holds_alternative<mb::ir::Mlp>(e->members[1].estimator));
  CHECK(std::holds_alternative<mb::ir::Svm>(e->members[2].estimator));
  const Csv input = read_csv(knime_dir() / "csv/Iris.csv");
  const Csv expected = read_csv(knime_dir() / "csv/ModelEnsembleIris.csv");
  const int col = expected.col("Species");
  REQUIRE(col >= 0);
  const auto p = score(m, bind_by_name(m, input));
  REQUIRE(p.label.size() == expected.rows.size());
  size_t bad = 0, split = 0;
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    bad += p.label[r] < 0 || m.schema.target.classes[p.label[r]] != expected.rows[r][col];
    // Rows where the three members do not all agree (the vote decides).
    split += p.prob[r * 3 + static_cast<size_t>(p.label[r])] < 1;
  }
  CHECK(bad == 0);
  CHECK(split > 0);
  MESSAGE("ModelEnsembleIris: " << expected.rows.size() << " rows agree with KNIME, " << split
                                << " of them decided by a split vote");
  // Written as PMML 4.4 (valid against the XSD), read back as the same function.
  const auto back = pmml_round_trip(m, "model_ensemble_iris");
  // The same function (canonical form); the network and the SVM the same to the bit, their
  // features too; the tree is written in the tree writer's node layout (the same function).
  CHECK(mb::canon::model_hash(back) == mb::canon::model_hash(m));
  const auto& eb = std::get<mb::ir::Ensemble>(back.estimator);
  REQUIRE(eb.members.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(eb.members[i].features == e->members[i].features);
  CHECK(eb.members[1].estimator == e->members[1].estimator);
  CHECK(eb.members[2].estimator == e->members[2].estimator);
  CHECK(mb::canon::model_hash(mb::ir::member_model(back, 0)) == mb::canon::model_hash(mb::ir::member_model(m, 0)));
  const auto q = score(back, bind_by_name(back, input));
  CHECK(q.label == p.label);
  CHECK(q.prob == p.prob);
  // The weighted rules keep their weights through PMML.
  std::string text = slurp(knime_dir() / "pmml/ModelEnsembleIris.pmml");
  text.replace(text.find("majorityVote"), 12, "weightedMajorityVote");
  for (const char* w : {"2.5", "0.5"})
    text.replace(text.find("<Segment>"), 9, std::string("<Segment weight=\"") + w + "\">");
  const auto weighted = mb::pmml::read(text, "weighted.pmml");
  const auto wback = pmml_round_trip(weighted, "model_ensemble_iris_weighted");
  CHECK(mb::canon::model_hash(wback) == mb::canon::model_hash(weighted));
  CHECK(mb::canon::model_hash(wback) != mb::canon::model_hash(m));
  CHECK(std::get<mb::ir::Ensemble>(wback.estimator).members[0].weight == 2.5);
  // ONNX and R have no form for it: refused by name.
  mb::Warnings w;
  try {
    mb::onnxfmt::write(m, {}, w);
    FAIL_CHECK("expected a refusal");
  } catch (const mb::Error& err) {
    CHECK(err.kind() == mb::ErrorKind::Unsupported);
    CHECK_MESSAGE(std::string(err.what())
                          .find("ensemble of models of different families (majorityVote of "
                                "tree_ensemble, mlp, svm)") != std::string::npos,
                  err.what());
  }
  try {
    mb::r::export_model(m, w);
    FAIL_CHECK("expected a refusal");
  } catch (const mb::Error& err) {
    CHECK(err.kind() == mb::ErrorKind::Unsupported);
    CHECK_MESSAGE(std::string(err.what()).find("ensemble of models of different families") != std::string::npos,
                  err.what());
  }
}
