// suite: interop
// e1071 one-class svms (svm(type = "one-classification")) from the jpmml-r corpus: imported,
// scored, and compared row by row with the corpus producer's predictions (predict()'s TRUE /
// FALSE, which it writes as true / false).  Without the shared corpus beside the repository the
// tests skip (loudly; CI=true makes that a failure).
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "formats/r/importers/import.hpp"
#include "formats/registry.hpp"
#include "lib/ir/model.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRexp = shared_dir() / "corpus/pmml/jpmml-r/pmml-rexp/src/test/resources";

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("e1071 one-class svm agrees with the corpus predictions") {
  if (!have_shared(kRexp / "rds")) return;
  for (const auto& c : {std::pair<std::string, std::string>{"LibSVMAnomalyFormulaAudit", "Audit"},
                        {"LibSVMAnomalyFormulaIris", "Iris"}}) {
    const std::string &name = c.first, &dataset = c.second;  // clang 14 cannot capture a structured binding
    CAPTURE(name);
    Warnings w;
    const r::RPtr obj = read_r_object(kRexp / "rds" / (name + ".rds"), w);
    REQUIRE(obj);
    const ir::Model m = r::import_model(*obj, name, w);
    CHECK(m.schema.target.task == ir::Task::Classification);
    CHECK(m.schema.target.classes == std::vector<std::string>{"FALSE", "TRUE"});
    CHECK(std::any_of(m.provenance.warnings.begin(), m.provenance.warnings.end(),
                      [](const Warning& x) { return x.code == "svm-one-class"; }));
    const Csv input = read_csv(kRexp / "csv" / (dataset + ".csv"));
    const Csv expected = read_csv(kRexp / "csv" / (name + ".csv"));
    const int col = expected.col("outlier");
    REQUIRE(col >= 0);
    const eval::Predictions p = score(m, bind_by_name(m, input));
    REQUIRE(p.label.size() == expected.rows.size());
    size_t differ = 0, inside = 0;
    for (size_t r = 0; r < expected.rows.size(); ++r) {
      REQUIRE(p.label[r] >= 0);
      const std::string& ours = m.schema.target.classes[static_cast<size_t>(p.label[r])];
      differ += ours != upper(expected.rows[r][col]);
      inside += ours == "TRUE";
    }
    CHECK_MESSAGE(differ == 0, differ << " of " << expected.rows.size() << " rows differ");
    // Both outcomes occur, so the comparison says something about the sign of the decision value.
    CHECK(inside > 0);
    CHECK(inside < expected.rows.size());
  }
}
