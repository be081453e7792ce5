// suite: interop
// PMML RuleSetModel: the DMG examples under every rule selection criterion (the classes pmml4s's
// RuleSetModelTest expects, probabilities computed by hand from the documents), hand-made
// documents with hand-computed scores (CompoundRule fall-through, three-valued predicates,
// missing values, no default), the rule sets written back as PMML 4.4 (XSD-valid) and read
// again, and malformed rule sets refused with the element and what was expected.  The four
// third-party rule sets with their producers' predictions are in test_pmml_trees.cpp.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "formats/pmml/pmml.hpp"
#include "lib/eval/evaluator.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::testsupport;

namespace {

fs::path corpus_dir() { return shared_dir() / "corpus/pmml"; }

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

struct Scored {
  std::string label;  // "" when the prediction is missing
  std::map<std::string, double> prob;
};

Scored score_row(const mb::ir::Model& m, const std::map<std::string, std::string>& values) {
  const auto p = score(m, one_row(m, values));
  Scored s;
  const auto& classes = m.schema.target.classes;
  s.label = p.label[0] < 0 ? std::string() : classes[p.label[0]];
  for (size_t k = 0; k < classes.size(); ++k) s.prob[classes[k]] = p.prob[k];
  return s;
}

// The document with RuleSelectionMethod `first` moved to the front (the first one scores).
std::string with_criterion(std::string text, const std::string& first) {
  const std::string tag = "<RuleSelectionMethod criterion=\"" + first + "\"/>";
  const size_t at = text.find(tag);
  REQUIRE(at != std::string::npos);
  text.erase(at, tag.size());
  const size_t head = text.find("<RuleSelectionMethod");
  REQUIRE(head != std::string::npos);
  return text.insert(head, tag);
}

const std::map<std::string, std::string> kRow = {{"BP", "HIGH"}, {"K", "0.0621"}, {"Age", "36"}, {"Na", "0.5023"}};

}  // namespace

TEST_CASE("pmml rule sets: the DMG examples under each criterion") {
  if (!have_shared(corpus_dir() / "pmml4s")) return;
  for (const char* file : {"pmml4s/src/test/resources/models/rule/dmg_rule_simple.xml",
                           "pmml4s/src/test/resources/models/rule/dmg_rule_compound.xml"}) {
    CAPTURE(file);
    const std::string text = slurp(corpus_dir() / file);
    // The row fires RULE1 (drugB, weight 0.9, counts 2/76/1/0/0), RULE2 (drugA, 0.6) and RULE3
    // (drugA, 0.36).  pmml4s: weightedSum drugA, firstHit drugB, weightedMax drugB.
    const auto sum = score_row(mb::pmml::read(text, file), kRow);  // weightedSum is listed first
    CHECK(sum.label == "drugA");
    CHECK(sum.prob.at("drugA") == doctest::Approx(0.96 / 1.86).epsilon(1e-15));
    CHECK(sum.prob.at("drugB") == doctest::Approx(0.9 / 1.86).epsilon(1e-15));
    CHECK(sum.prob.at("drugY") == 0);
    const auto first = score_row(mb::pmml::read(with_criterion(text, "firstHit"), file), kRow);
    CHECK(first.label == "drugB");
    CHECK(first.prob.at("drugB") == doctest::Approx(76.0 / 79).epsilon(1e-15));
    CHECK(first.prob.at("drugA") == doctest::Approx(2.0 / 79).epsilon(1e-15));
    const auto max = score_row(mb::pmml::read(with_criterion(text, "weightedMax"), file), kRow);
    CHECK(max.label == "drugB");
    // K missing: RULE1 and RULE2 are UNKNOWN and do not fire, RULE3 does (drugA, counts 50/10/12/7/11).
    auto no_k = kRow;
    no_k.erase("K");
    const auto fk = score_row(mb::pmml::read(with_criterion(text, "firstHit"), file), no_k);
    CHECK(fk.label == "drugA");
    CHECK(fk.prob.at("drugA") == doctest::Approx(50.0 / 90).epsilon(1e-15));  // its counts total 90
    const auto sk = score_row(mb::pmml::read(text, file), no_k);
    CHECK(sk.label == "drugA");
    CHECK(sk.prob.at("drugA") == 1);
    // BP missing or LOW: no rule fires, the default score drugY.
    for (const char* bp : {"", "LOW"}) {
      auto row = kRow;
      if (*bp) row["BP"] = bp;
      else row.erase("BP");
      for (const char* c : {"firstHit", "weightedSum", "weightedMax"}) {
        CAPTURE(c);
        const auto d = score_row(mb::pmml::read(with_criterion(text, c), file), row);
        CHECK(d.label == "drugY");
        CHECK(d.prob.at("drugY") == 1);
      }
    }
    // Age 60: RULE1 and RULE2 are FALSE (Age <= 50); in the compound document the inner
    // CompoundRule's predicate is FALSE; RULE3 fires.
    auto old = kRow;
    old["Age"] = "60";
    CHECK(score_row(mb::pmml::read(with_criterion(text, "firstHit"), file), old).label == "drugA");
  }
}

namespace {

// Hand-made: x continuous, g categorical {a, b, c}, target y {no, yes, maybe}.
std::string rule_doc(const std::string& criterion, const std::string& rules, const std::string& defaults = "") {
  return R"(<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
 <Header/>
 <DataDictionary numberOfFields="3">
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="g" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>
  <DataField name="y" optype="categorical" dataType="string"><Value value="no"/><Value value="yes"/><Value value="maybe"/></DataField>
 </DataDictionary>
 <RuleSetModel functionName="classification">
  <MiningSchema><MiningField name="x"/><MiningField name="g"/><MiningField name="y" usageType="target"/></MiningSchema>
  <RuleSet)" +
         defaults + R"(>
   <RuleSelectionMethod criterion=")" +
         criterion + R"("/>
)" + rules +
         R"(
  </RuleSet>
 </RuleSetModel>
</PMML>
)";
}

// A CompoundRule (x > 1) whose rules need g = a or, by xor, exactly one of x > 5 and g = c; then
// a surrogate rule (x <= 0, else g in {b}); the default is "maybe".
const char* const kHandRules = R"(
   <CompoundRule>
    <SimplePredicate field="x" operator="greaterThan" value="1"/>
    <SimpleRule score="yes" weight="2"><SimplePredicate field="g" operator="equal" value="a"/></SimpleRule>
    <SimpleRule score="no" weight="0.5">
     <CompoundPredicate booleanOperator="xor">
      <SimplePredicate field="x" operator="greaterThan" value="5"/>
      <SimplePredicate field="g" operator="equal" value="c"/>
     </CompoundPredicate>
    </SimpleRule>
   </CompoundRule>
   <SimpleRule score="no" weight="1">
    <CompoundPredicate booleanOperator="surrogate">
     <SimplePredicate field="x" operator="lessOrEqual" value="0"/>
     <SimpleSetPredicate field="g" booleanOperator="isIn"><Array type="string">b</Array></SimpleSetPredicate>
    </CompoundPredicate>
   </SimpleRule>
   <SimpleRule score="yes" weight="1.5"><SimpleSetPredicate field="g" booleanOperator="isNotIn"><Array type="string">a c</Array></SimpleSetPredicate></SimpleRule>)";

}  // namespace

TEST_CASE("pmml rule sets: hand-made rules with compound rules, xor, surrogate and missing values (hand-computed)") {
  struct Row {
    const char* x;
    const char* g;
    const char* first;  // firstHit class ("" = missing prediction)
    double no, yes;     // weightedSum weight totals (before the shares)
  };
  // Rules: A = x>1 & g=a (yes, 2); B = x>1 & xor(x>5, g=c) (no, 0.5); C = surrogate(x<=0, g in {b})
  // (no, 1); D = g not in {a, c} (yes, 1.5).
  const Row rows[] = {
      {"2", "a", "yes", 0, 2},      // A; B: xor(F, F) = F; C: F; D: F
      {"6", "a", "yes", 0.5, 2},    // A and B (xor(T, F)); C F; D F
      {"6", "c", "maybe", 0, 0},    // B: xor(T, T) = F; D F: the default
      {"2", "c", "no", 0.5, 0},     // B: xor(F, T) = T
      {"", "a", "maybe", 0, 0},     // x missing: A, B UNKNOWN; C: surrogate g in {b} F
      {"", "b", "no", 1, 1.5},      // C by the surrogate; D
      {"-1", "b", "no", 1, 1.5},    // C: x <= 0
      {"0.5", "b", "yes", 0, 1.5},  // C: x <= 0 is FALSE (the surrogate is not used); D
      {"2", "", "maybe", 0, 0},     // g missing: A, B UNKNOWN, C FALSE, D UNKNOWN
      {"6", "", "maybe", 0, 0},     // B: xor(T, UNKNOWN) = UNKNOWN
  };
  const auto first = mb::pmml::read(rule_doc("firstHit", kHandRules, R"( defaultScore="maybe")"), "first.pmml");
  const auto sum = mb::pmml::read(rule_doc("weightedSum", kHandRules, R"( defaultScore="maybe")"), "sum.pmml");
  const auto none = mb::pmml::read(rule_doc("firstHit", kHandRules), "none.pmml");
  const auto max = mb::pmml::read(rule_doc("weightedMax", kHandRules, R"( defaultScore="maybe")"), "max.pmml");
  for (const auto& r : rows) {
    CAPTURE(r.x);
    CAPTURE(r.g);
    std::map<std::string, std::string> values;
    if (*r.x) values["x"] = r.x;
    if (*r.g) values["g"] = r.g;
    const auto f = score_row(first, values);
    CHECK(f.label == r.first);
    CHECK(f.prob.at(r.first) == 1);
    // Without a default, no firing rule gives no prediction.
    const auto n = score_row(none, values);
    CHECK(n.label == (std::string(r.first) == "maybe" ? "" : r.first));
    const auto s = score_row(sum, values);
    const double total = r.no + r.yes;
    if (total == 0) {
      CHECK(s.label == "maybe");
      CHECK(s.prob.at("maybe") == 1);
    } else {
      CHECK(s.label == (r.yes > r.no ? "yes" : "no"));
      CHECK(s.prob.at("no") == doctest::Approx(r.no / total).epsilon(1e-15));
      CHECK(s.prob.at("yes") == doctest::Approx(r.yes / total).epsilon(1e-15));
    }
    // weightedMax: the firing rule of largest weight (A 2, D 1.5, C 1, B 0.5).
    const auto w = score_row(max, values);
    const std::string want = r.yes >= 1.5 ? "yes" : r.no == 1 ? "no" : r.no == 0.5 ? "no" : "maybe";
    CHECK(w.label == want);
  }
}

TEST_CASE("pmml rule sets: equal weight totals go to the first class of the DataDictionary") {
  const std::string rules = R"(
   <SimpleRule score="yes" weight="1"><True/></SimpleRule>
   <SimpleRule score="no" weight="1"><True/></SimpleRule>)";
  const auto m = mb::pmml::read(rule_doc("weightedSum", rules), "tie.pmml");
  const auto s = score_row(m, {{"x", "1"}, {"g", "a"}});
  CHECK(s.label == "no");
  CHECK(s.prob.at("no") == 0.5);
  CHECK(s.prob.at("yes") == 0.5);
}

TEST_CASE("pmml rule sets: a rule scoring a class that is not its most probable one keeps its distribution") {
  // The first rule scores "yes" on counts no 6, yes 3, maybe 1; the second "maybe" on a tie
  // between "no" and "maybe" (2 and 2); the third "no" where "no" is most probable.
  const std::string rules = R"(
   <SimpleRule score="yes"><SimplePredicate field="x" operator="lessThan" value="1"/>
    <ScoreDistribution value="no" recordCount="6"/><ScoreDistribution value="yes" recordCount="3"/>
    <ScoreDistribution value="maybe" recordCount="1"/></SimpleRule>
   <SimpleRule score="maybe"><SimplePredicate field="x" operator="lessThan" value="2"/>
    <ScoreDistribution value="no" recordCount="2"/><ScoreDistribution value="maybe" recordCount="2"/></SimpleRule>
   <SimpleRule score="no"><True/>
    <ScoreDistribution value="no" recordCount="3"/><ScoreDistribution value="yes" recordCount="1"/></SimpleRule>)";
  for (const char* c : {"firstHit", "weightedMax"}) {
    CAPTURE(c);
    const auto m = mb::pmml::read(rule_doc(c, rules), "labels.pmml");
    for (const auto& w : m.provenance.warnings) CHECK(w.code != "pmml-rule-distribution");
    const auto back = pmml_round_trip(m, std::string("rule_labels_") + c);
    for (const auto* model : {&m, &back}) {
      const auto a = score_row(*model, {{"x", "0"}});
      CHECK(a.label == "yes");
      CHECK(a.prob.at("no") == 0.6);
      CHECK(a.prob.at("yes") == 0.3);
      CHECK(a.prob.at("maybe") == 0.1);
      const auto b = score_row(*model, {{"x", "1.5"}});
      CHECK(b.label == "maybe");
      CHECK(b.prob.at("no") == 0.5);
      CHECK(b.prob.at("maybe") == 0.5);
      const auto d = score_row(*model, {{"x", "3"}});
      CHECK(d.label == "no");
      CHECK(d.prob.at("no") == 0.75);
      CHECK(d.prob.at("yes") == 0.25);
    }
  }
}

TEST_CASE("pmml rule sets: written back as PMML 4.4 (XSD-valid) and read again, they score the same") {
  for (const char* c : {"firstHit", "weightedSum", "weightedMax", "firstHit ", "weightedSum "}) {
    CAPTURE(c);
    const std::string criterion = std::string(c).substr(0, std::string(c).find(' '));
    const bool with_default = criterion == c;  // a trailing blank: without a default score
    const auto m =
        mb::pmml::read(rule_doc(criterion, kHandRules, with_default ? R"( defaultScore="maybe")" : ""), "rules.pmml");
    const auto back = pmml_round_trip(m, std::string("rules_") + criterion + (with_default ? "" : "_no_default"));
    for (const char* x : {"", "-1", "0.5", "2", "6"})
      for (const char* g : {"", "a", "b", "c"}) {
        std::map<std::string, std::string> values;
        if (*x) values["x"] = x;
        if (*g) values["g"] = g;
        const auto a = score_row(m, values), b = score_row(back, values);
        CHECK(a.label == b.label);
        for (const auto& [k, v] : a.prob) CHECK((b.prob.at(k) == v || (std::isnan(v) && std::isnan(b.prob.at(k)))));
      }
  }
}

TEST_CASE("pmml rule sets: malformed rule sets name the element and what was expected") {
  struct Bad {
    std::string text;
    const char* place;
    const char* message;
  };
  const std::string rule = R"(<SimpleRule score="yes"><True/></SimpleRule>)";
  const std::string doc = rule_doc("firstHit", rule);
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string t = doc;
    const size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    return t.replace(at, from.size(), to);
  };
  const Bad cases[] = {
      {edit("<RuleSet>", "<Rules>").replace(edit("<RuleSet>", "<Rules>").find("</RuleSet>"), 10, "</Rules>"),
       "RuleSetModel/Rules", "unsupported PMML element Rules in RuleSetModel"},
      {edit("<RuleSet>", "<!--").replace(edit("<RuleSet>", "<!--").find("</RuleSet>"), 10, "-->"), "/PMML/RuleSetModel",
       "expected a RuleSet element"},
      {rule_doc("bestHit", rule), "RuleSet/RuleSelectionMethod",
       "unknown criterion 'bestHit' (expected firstHit, weightedSum or weightedMax)"},
      {rule_doc("firstHit", R"(<SimpleRule><True/></SimpleRule>)"), "RuleSet/SimpleRule", "'score'"},
      {rule_doc("firstHit", R"(<SimpleRule score="yes"/>)"), "RuleSet/SimpleRule",
       "expected a predicate (True, SimplePredicate, ...) in SimpleRule"},
      {rule_doc("firstHit", R"(<SimpleRule score="yes"><True/><False/></SimpleRule>)"), "SimpleRule/False",
       "expected one predicate in SimpleRule"},
      {rule_doc("firstHit", R"(<SimpleRule score="perhaps"><True/></SimpleRule>)"), "RuleSet/SimpleRule",
       "'perhaps' is not a category of the target field"},
      {rule_doc("firstHit", R"(<CompoundRule><True/></CompoundRule>)"), "RuleSet/CompoundRule",
       "expected a SimpleRule or CompoundRule in CompoundRule"},
      {rule_doc("firstHit", R"(<CompoundRule><SimpleRule score="yes"><True/></SimpleRule></CompoundRule>)"),
       "RuleSet/CompoundRule", "expected a predicate (True, SimplePredicate, ...) in CompoundRule"},
      {rule_doc("firstHit", R"(<Node score="yes"><True/></Node>)"), "RuleSet/Node",
       "unsupported PMML element Node in RuleSet"},
      {rule_doc("weightedSum", R"(<SimpleRule score="yes" weight="0"><True/></SimpleRule>)"), "RuleSet/SimpleRule",
       "unsupported rule weight 0 under weightedSum"},
      {rule_doc("firstHit", R"(<SimpleRule score="yes" weight="x"><True/></SimpleRule>)"), "RuleSet/SimpleRule",
       "expected a number in attribute 'weight'"},
      {rule_doc("firstHit",
                R"(<SimpleRule score="yes"><SimplePredicate field="x" operator="about" value="1"/></SimpleRule>)"),
       "SimpleRule/SimplePredicate", "unknown operator 'about'"},
      {rule_doc(
           "firstHit",
           R"(<SimpleRule score="yes"><CompoundPredicate booleanOperator="nand"><True/><True/></CompoundPredicate></SimpleRule>)"),
       "SimpleRule/CompoundPredicate", "unknown booleanOperator 'nand' (expected and, or, xor or surrogate)"},
      {rule_doc("firstHit", ""), "RuleSetModel/RuleSet",
       "a RuleSet without rules and without a defaultScore predicts nothing"},
      {edit("<RuleSelectionMethod criterion=\"firstHit\"/>", ""), "RuleSetModel/RuleSet",
       "expected a RuleSelectionMethod element in RuleSet"},
      {edit("classification", "regression"), "/PMML/RuleSetModel", "expected classification"},
  };
  for (const auto& b : cases) {
    CAPTURE(b.message);
    try {
      mb::pmml::read(b.text, "bad.pmml");
      FAIL_CHECK("expected an error");
    } catch (const mb::Error& e) {
      CHECK(e.file() == "bad.pmml");
      CHECK(e.place().find("line ") == 0);
      CHECK_MESSAGE(e.place().find(b.place) != std::string::npos, e.place());
      CHECK_MESSAGE(e.message().find(b.message) != std::string::npos, e.message());
      // A construct the reader does not handle (its message says "unsupported") has its own type.
      const bool unsupported = std::string(e.message()).rfind("unsupported", 0) == 0;
      CHECK(e.kind() == (unsupported ? mb::ErrorKind::Unsupported : mb::ErrorKind::InvalidInput));
      MESSAGE(std::string(e.what()));
    }
  }
}
