// The combination rules of ir::Ensemble (a MiningModel of models of different families), on a
// hand-made document whose members disagree: every expected number below is worked by hand from
// PMML 4.4's multipleModelMethod rules (votes and vote shares, averaged / median / max
// probabilities, ties to the first class of the target), not taken from this program.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "formats/pmml/pmml.hpp"
#include "lib/canon/canonical.hpp"
#include "lib/diff/structural.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/util/error.hpp"

namespace {

// Classes A, B, C; one input x.  The members' probabilities are dyadic, so every sum below is
// exact:
//  M1 TreeModel:        x <= 0: (5, 2, 1)/8 = (.625, .25, .125), label A;  x > 0: (.125, .25, .625), C
//  M2 RegressionModel:  simplemax of constants (.25, .5, .25), label B
//  M3 RegressionModel:  simplemax of constants (.25, .25, .5), label C
//  M4 TreeModel:        x <= 1: (4, 3, 1)/8 = (.5, .375, .125), A;  x > 1: (1, 6, 1)/8 = (.125, .75, .125), B
// Weights (for the weighted rules) 1, 2, 0.5, 1: total 4.5.
std::string tree(const char* cut, const char* left_counts[3], const char* left_label, const char* right_counts[3],
                 const char* right_label) {
  std::string s =
      R"(<TreeModel functionName="classification"><MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
<Node score="A"><True/>)";
  auto node = [&](const char* op, const char* counts[3], const char* label) {
    s += std::string("<Node score=\"") + label + "\"><SimplePredicate field=\"x\" operator=\"" + op + "\" value=\"" +
         cut + "\"/>";
    const char* cls[3] = {"A", "B", "C"};
    for (int k = 0; k < 3; ++k)
      s += std::string("<ScoreDistribution value=\"") + cls[k] + "\" recordCount=\"" + counts[k] + "\"/>";
    s += "</Node>";
  };
  node("lessOrEqual", left_counts, left_label);
  node("greaterThan", right_counts, right_label);
  return s + "</Node></TreeModel>";
}

std::string constant(const char* a, const char* b, const char* c) {
  return std::string(
             R"(<RegressionModel functionName="classification" normalizationMethod="simplemax"><MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>)") +
         "<RegressionTable intercept=\"" + a + "\" targetCategory=\"A\"/><RegressionTable intercept=\"" + b +
         "\" targetCategory=\"B\"/><RegressionTable intercept=\"" + c + "\" targetCategory=\"C\"/></RegressionModel>";
}

std::string classifier_doc(const std::string& method) {
  const char* m1l[3] = {"5", "2", "1"};
  const char* m1r[3] = {"1", "2", "5"};
  const char* m4l[3] = {"4", "3", "1"};
  const char* m4r[3] = {"1", "6", "1"};
  const std::string members[4] = {tree("0", m1l, "A", m1r, "C"), constant("0.25", "0.5", "0.25"),
                                  constant("0.25", "0.25", "0.5"), tree("1", m4l, "A", m4r, "B")};
  const char* weights[4] = {"1", "2", "0.5", "1"};
  std::string segs;
  for (int i = 0; i < 4; ++i)
    segs += std::string("<Segment weight=\"") + weights[i] + "\"><True/>" + members[i] + "</Segment>\n";
  return R"(<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>
<DataDictionary numberOfFields="2"><DataField name="x" optype="continuous" dataType="double"/>
<DataField name="y" optype="categorical" dataType="string"><Value value="A"/><Value value="B"/><Value value="C"/></DataField></DataDictionary>
<MiningModel functionName="classification"><MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
<Segmentation multipleModelMethod=")" +
         method + "\">\n" + segs + "</Segmentation></MiningModel></PMML>\n";
}

struct Row {
  double x;
  int label;
  std::vector<double> prob;
};

void check_rows(const mb::ir::Model& m, const std::vector<Row>& rows) {
  mb::eval::Batch b;
  b.rows = rows.size();
  b.columns.resize(1);
  for (const auto& r : rows) b.columns[0].push_back(r.x);
  mb::eval::Evaluator ev(m);
  mb::eval::Predictions p;
  ev.score(b, p);
  REQUIRE(p.label.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const double x = rows[i].x;
    CAPTURE(x);
    CHECK(p.label[i] == rows[i].label);
    for (size_t k = 0; k < 3; ++k) CHECK(p.prob[i * 3 + k] == doctest::Approx(rows[i].prob[k]).epsilon(1e-15));
  }
}

}  // namespace

TEST_CASE("ensemble: majority votes count labels, break ties to the first class, share votes as probabilities") {
  const auto m = mb::pmml::read(classifier_doc("majorityVote"), "vote.pmml");
  REQUIRE(std::holds_alternative<mb::ir::Ensemble>(m.estimator));
  CHECK(std::get<mb::ir::Ensemble>(m.estimator).members.size() == 4);
  check_rows(m, {
                    {-1, 0, {0.5, 0.25, 0.25}},   // A (M1, M4), B (M2), C (M3)
                    {0.5, 2, {0.25, 0.25, 0.5}},  // C (M1, M3), B (M2), A (M4)
                    // C (M1), B (M2), C (M3), B (M4): a tie, to B, the first of the two in the
                    // target's class order (not the first vote cast, which is C).
                    {2, 1, {0, 0.5, 0.5}},
                });
}

TEST_CASE("ensemble: weighted majority votes add the Segment weights") {
  const auto m = mb::pmml::read(classifier_doc("weightedMajorityVote"), "wvote.pmml");
  check_rows(m, {
                    {-1, 0, {2 / 4.5, 2 / 4.5, 0.5 / 4.5}},   // A 1+1, B 2: a tie to A; C 0.5
                    {0.5, 1, {1 / 4.5, 2 / 4.5, 1.5 / 4.5}},  // A 1 (M4), B 2 (M2), C 1+0.5
                    {2, 1, {0, 3 / 4.5, 1.5 / 4.5}},          // B 2+1, C 1+0.5
                });
}

TEST_CASE("ensemble: averages of probabilities, plain and weighted") {
  check_rows(mb::pmml::read(classifier_doc("average"), "avg.pmml"), {
                                                                        {-1, 0, {1.625 / 4, 1.375 / 4, 1.0 / 4}},
                                                                        {2, 1, {0.75 / 4, 1.75 / 4, 1.5 / 4}},
                                                                    });
  check_rows(mb::pmml::read(classifier_doc("weightedAverage"), "wavg.pmml"),
             {
                 // x = -1: A .625 + 2(.25) + .5(.25) + .5 = 1.75; B .25 + 1 + .125 + .375 = 1.75;
                 // C .125 + .5 + .25 + .125 = 1: A and B tie, to A.
                 {-1, 0, {1.75 / 4.5, 1.75 / 4.5, 1 / 4.5}},
                 {2, 1, {0.875 / 4.5, 2.125 / 4.5, 1.5 / 4.5}},
             });
}

TEST_CASE("ensemble: median and max choose the class, then average the members that gave it") {
  // Median at x = -1: A {.25 .25 .5 .625} -> .375, B {.25 .25 .375 .5} -> .3125, C -> .1875:
  // A wins; the members closest to .375 for A are M2, M3, M4 (each .125 away), whose average is
  // (1/3, .375, .875/3).  The label is the winning class A, though B is larger in that average.
  check_rows(mb::pmml::read(classifier_doc("median"), "median.pmml"), {
                                                                          {-1, 0, {1.0 / 3, 1.125 / 3, 0.875 / 3}},
                                                                      });
  // Max: x = -1: A .625 (M1) beats B .5 and C .5: M1's probabilities.  x = 0.5: A .5, B .5,
  // C .625 (M1): M1's.  x = 2: B .75 (M4): M4's.
  check_rows(mb::pmml::read(classifier_doc("max"), "max.pmml"), {
                                                                    {-1, 0, {0.625, 0.25, 0.125}},
                                                                    {0.5, 2, {0.125, 0.25, 0.625}},
                                                                    {2, 1, {0.125, 0.75, 0.125}},
                                                                });
}

namespace {

// Regression: R1 RegressionModel y = 2x + 1; R2 TreeModel x <= 0: 4, else 10; R3
// RegressionModel y = -x.  Weights 1, 2, 0.5.
std::string regression_doc(const std::string& method) {
  const std::string ms =
      R"(<MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>)";
  return R"(<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>
<DataDictionary numberOfFields="2"><DataField name="x" optype="continuous" dataType="double"/>
<DataField name="y" optype="continuous" dataType="double"/></DataDictionary>
<MiningModel functionName="regression">)" +
         ms + "<Segmentation multipleModelMethod=\"" + method + "\">" +
         "<Segment weight=\"1\"><True/><RegressionModel functionName=\"regression\">" + ms +
         R"(<RegressionTable intercept="1"><NumericPredictor name="x" coefficient="2"/></RegressionTable></RegressionModel></Segment>)" +
         "<Segment weight=\"2\"><True/><TreeModel functionName=\"regression\">" + ms +
         R"(<Node score="0"><True/><Node score="4"><SimplePredicate field="x" operator="lessOrEqual" value="0"/></Node><Node score="10"><SimplePredicate field="x" operator="greaterThan" value="0"/></Node></Node></TreeModel></Segment>)" +
         "<Segment weight=\"0.5\"><True/><RegressionModel functionName=\"regression\">" + ms +
         R"(<RegressionTable intercept="0"><NumericPredictor name="x" coefficient="-1"/></RegressionTable></RegressionModel></Segment>)" +
         "</Segmentation></MiningModel></PMML>\n";
}

std::vector<double> score_x(const mb::ir::Model& m, const std::vector<double>& xs) {
  mb::eval::Batch b;
  b.rows = xs.size();
  b.columns = {xs};
  mb::eval::Evaluator ev(m);
  mb::eval::Predictions p;
  ev.score(b, p);
  return p.value;
}

}  // namespace

TEST_CASE("ensemble: regression members summed, averaged, weighted, medians and maxima") {
  const double nan = std::nan("");
  // x = 1: R1 3, R2 10, R3 -1.  x = -2: R1 -3, R2 4, R3 2.
  struct Case {
    const char* method;
    double at1, at_minus2;
  };
  const Case cases[] = {
      {"average", 12.0 / 3, 3.0 / 3},
      {"weightedAverage", (3 + 20 - 0.5) / 3.5, (-3 + 8 + 1) / 3.5},
      {"sum", 12, 3},
      {"weightedSum", 3 + 20 - 0.5, -3 + 8 + 1},
      {"median", 3, 2},
      {"max", 10, 4},
  };
  for (const auto& c : cases) {
    CAPTURE(c.method);
    const auto m = mb::pmml::read(regression_doc(c.method), "reg.pmml");
    REQUIRE(std::holds_alternative<mb::ir::Ensemble>(m.estimator));
    const auto v = score_x(m, {1, -2, nan});
    CHECK(v[0] == doctest::Approx(c.at1).epsilon(1e-15));
    CHECK(v[1] == doctest::Approx(c.at_minus2).epsilon(1e-15));
    CHECK(std::isnan(v[2]));  // R1 and R3 have no value without x
  }
}

TEST_CASE("ensemble: rules that do not fit the task are refused with the element") {
  const struct {
    std::string doc;
    const char* message;
  } bad[] = {
      {classifier_doc("sum"), "unsupported multipleModelMethod 'sum' for classification"},
      {regression_doc("majorityVote"), "unsupported multipleModelMethod 'majorityVote' for regression"},
      {regression_doc("weightedMedian"), "unsupported multipleModelMethod 'weightedMedian'"},
      {[] {
         std::string d = classifier_doc("average");
         d.replace(d.find("<Segment weight=\"2\"><True/>"), 27, "<Segment weight=\"2\"><False/>");
         return d;
       }(),
       "unsupported Segment predicate False"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.message);
    try {
      mb::pmml::read(b.doc, "bad.pmml");
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK_MESSAGE(std::string(e.message()).find(b.message) != std::string::npos, e.what());
      CHECK(e.place().find("line ") == 0);
    }
  }
}

TEST_CASE("ensemble: the hash follows the members and the rule; diff names a member's changed weight") {
  const auto a = mb::pmml::read(classifier_doc("weightedAverage"), "a.pmml");
  std::string edited = classifier_doc("weightedAverage");
  edited.replace(edited.find("<Segment weight=\"0.5\">"), 22, "<Segment weight=\"0.75\">");
  const auto b = mb::pmml::read(edited, "b.pmml");
  CHECK(mb::canon::model_hash(a) == mb::canon::model_hash(mb::pmml::read(classifier_doc("weightedAverage"), "c")));
  CHECK(mb::canon::model_hash(a) != mb::canon::model_hash(b));
  CHECK(mb::canon::model_hash(a) != mb::canon::model_hash(mb::pmml::read(classifier_doc("average"), "d")));
  const auto changes = mb::diff::structural_diff(a, b);
  bool weight = false;
  for (const auto& c : changes) {
    CAPTURE(c.what);
    weight |= c.kind == "parameter-changed" && c.what == "member 2 weight" && c.a == "0.5" && c.b == "0.75";
  }
  CHECK(weight);
  CHECK(mb::diff::structural_diff(a, a).empty());
}
