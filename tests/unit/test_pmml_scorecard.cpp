// suite: interop
// PMML Scorecard: the DMG example (pmml4s's ScorecardTest expects 29 for engineering, 25, 500;
// the other rows computed by hand from the document), written back as PMML 4.4 (XSD-valid) and
// read again the same, a characteristic none of whose attributes is TRUE, and malformed
// scorecards refused with the element and what was expected.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "formats/pmml/pmml.hpp"
#include "lib/eval/evaluator.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::testsupport;

namespace {

// One row; a label the model does not list is coded as the open domain's last level.
double score_one(const mb::ir::Model& m, const std::map<std::string, std::string>& values) {
  mb::eval::Batch b;
  b.rows = 1;
  for (const auto& in : m.schema.inputs) {
    double v = kNaN;
    auto it = values.find(in.name);
    if (it != values.end()) {
      if (in.is_categorical()) {
        v = static_cast<double>(in.levels.size() - 1);
        for (size_t k = 0; k < in.levels.size(); ++k)
          if (in.levels[k] == it->second) v = static_cast<double>(k);
      } else {
        v = std::stod(it->second);
      }
    }
    b.columns.push_back({v});
  }
  return score(m, b).value[0];
}

bool has_warning(const mb::ir::Model& m, const std::string& code) {
  for (const auto& w : m.provenance.warnings)
    if (w.code == code) return true;
  return false;
}

}  // namespace

TEST_CASE("pmml scorecard: the DMG example") {
  const fs::path file =
      shared_dir() / "corpus/pmml/pmml4s/src/test/resources/models/scorecard/dmg_scorecard_example.xml";
  if (!have_shared(file)) return;
  const auto m = mb::pmml::read(slurp(file), "dmg_scorecard_example.xml");
  CHECK(has_warning(m, "pmml-scorecard-reason-codes"));
  const auto back = pmml_round_trip(m, "dmg_scorecard");
  struct Row {
    const char* department;
    const char* age;
    const char* income;
    double score;
  };
  const Row rows[] = {
      {"engineering", "25", "500", 29},  // pmml4s: 3 + 0 + 26
      {"marketing", "", "2000", 23},     // 19 - 1 + 5
      {"", "45", "", 12},                // -9 + 18 + 3
      {"sales", "18", "1000", 23},       // 0 (True) - 3 + 26
      {"business", "35", "3000", 30},    // 6 + 12 + (0.01 * 3000 - 18)
      {"marketing", "40", "800", 63},    // 19 + 18 + 26 (the ComplexPartialScore after the same test is never reached)
  };
  for (const auto& r : rows) {
    CAPTURE(r.department);
    CAPTURE(r.income);
    std::map<std::string, std::string> v;
    if (*r.department) v["department"] = r.department;
    if (*r.age) v["age"] = r.age;
    if (*r.income) v["income"] = r.income;
    CHECK(score_one(m, v) == doctest::Approx(r.score).epsilon(1e-15));
    CHECK(score_one(back, v) == score_one(m, v));
  }
}

namespace {

std::string card(const std::string& attrs, const std::string& characteristics) {
  return R"(<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
 <Header/>
 <DataDictionary numberOfFields="2">
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="s" optype="continuous" dataType="double"/>
 </DataDictionary>
 <Scorecard functionName="regression")" +
         attrs + R"(>
  <MiningSchema><MiningField name="x"/><MiningField name="s" usageType="target"/></MiningSchema>
)" + characteristics +
         R"(
 </Scorecard>
</PMML>
)";
}

const char* const kChars = R"(<Characteristics>
   <Characteristic name="a"><Attribute partialScore="1"><SimplePredicate field="x" operator="lessThan" value="0"/></Attribute>
    <Attribute partialScore="2"><SimplePredicate field="x" operator="lessThan" value="10"/></Attribute></Characteristic>
   <Characteristic name="b"><Attribute><True/><ComplexPartialScore><Apply function="*"><FieldRef field="x"/><Constant>0.5</Constant></Apply></ComplexPartialScore></Attribute></Characteristic>
  </Characteristics>)";

}  // namespace

TEST_CASE("pmml scorecard: initial score, complex partial scores, and no TRUE attribute (hand-computed)") {
  const auto m = mb::pmml::read(card(R"( initialScore="100" useReasonCodes="false")", kChars), "card.pmml");
  CHECK(!has_warning(m, "pmml-scorecard-reason-codes"));
  CHECK(score_one(m, {{"x", "-4"}}) == 100 + 1 - 2);
  CHECK(score_one(m, {{"x", "4"}}) == 100 + 2 + 2);
  CHECK(std::isnan(score_one(m, {{"x", "12"}})));  // no attribute of "a" is TRUE
  CHECK(std::isnan(score_one(m, {})));             // x missing: "a" has no TRUE attribute
  const auto back = pmml_round_trip(m, "card");
  for (const char* x : {"-4", "4", "12"}) {
    const double a = score_one(m, {{"x", x}}), b = score_one(back, {{"x", x}});
    CHECK((a == b || (std::isnan(a) && std::isnan(b))));
  }
}

TEST_CASE("pmml scorecard: malformed scorecards name the element and what was expected") {
  struct Bad {
    std::string text;
    const char* place;
    const char* message;
  };
  const Bad cases[] = {
      {card("", ""), "/PMML/Scorecard", "expected a Characteristics element"},
      {card("", "<Characteristics/>"), "Scorecard/Characteristics",
       "expected a Characteristic element in Characteristics"},
      {card("", "<Characteristics><Characteristic/></Characteristics>"), "Characteristics/Characteristic",
       "expected an Attribute element in Characteristic"},
      {card("", R"(<Characteristics><Characteristic><Attribute partialScore="1"/></Characteristic></Characteristics>)"),
       "Characteristic/Attribute", "expected a predicate (True, SimplePredicate, ...) in Attribute"},
      {card("",
            R"(<Characteristics><Characteristic><Attribute><True/></Attribute></Characteristic></Characteristics>)"),
       "Characteristic/Attribute", "expected a partialScore attribute or a ComplexPartialScore element in Attribute"},
      {card(
           "",
           R"(<Characteristics><Characteristic><Attribute partialScore="x"><True/></Attribute></Characteristic></Characteristics>)"),
       "Characteristic/Attribute", "expected a number in attribute 'partialScore'"},
      {card(
           "",
           R"(<Characteristics><Characteristic><Attribute><True/><ComplexPartialScore/></Attribute></Characteristic></Characteristics>)"),
       "Attribute/ComplexPartialScore", "expected one expression in ComplexPartialScore"},
      {card(R"( useReasonCodes="maybe")", kChars), "/PMML/Scorecard",
       "expected true or false in attribute 'useReasonCodes'"},
      {card(R"( initialScore="high")", kChars), "/PMML/Scorecard", "expected a number in attribute 'initialScore'"},
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

TEST_CASE("pmml scorecard and rule set: depth budgets (xml-depth, tree-depth) name the limit") {
  std::string attrs;
  for (int i = 0; i < 1001; ++i)
    attrs += fmt::format(
        R"(<Attribute partialScore="{}"><SimplePredicate field="x" operator="lessThan" value="{}"/></Attribute>)", i,
        i);
  try {
    mb::pmml::read(card("", "<Characteristics><Characteristic>" + attrs + "</Characteristic></Characteristics>"),
                   "deep.pmml");
    FAIL_CHECK("expected an error");
  } catch (const mb::Error& e) {
    CHECK(e.place().find("Characteristics/Characteristic") != std::string::npos);
    CHECK(e.message().find("xml-depth") != std::string::npos);
  }
  std::string rules;
  for (int i = 0; i < 4100; ++i)
    rules += fmt::format(
        R"(<SimpleRule score="yes"><SimplePredicate field="x" operator="equal" value="{}"/></SimpleRule>)", i);
  const std::string doc = R"(<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>
<DataDictionary><DataField name="x" optype="continuous" dataType="double"/>
<DataField name="y" optype="categorical" dataType="string"><Value value="no"/><Value value="yes"/></DataField></DataDictionary>
<RuleSetModel functionName="classification"><MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
<RuleSet defaultScore="no"><RuleSelectionMethod criterion="firstHit"/>)" +
                          rules + "</RuleSet></RuleSetModel></PMML>";
  try {
    mb::pmml::read(doc, "many.pmml");
    FAIL_CHECK("expected an error");
  } catch (const mb::Error& e) {
    CHECK(e.place().find("RuleSetModel/RuleSet") != std::string::npos);
    CHECK(e.message().find("tree-depth") != std::string::npos);
  }
}
