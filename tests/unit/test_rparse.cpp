// The R expression parser against R's own parser: testdata/r-fixtures/rjson/rparse_cases.tsv
// holds code and the tree R builds for it (written by make_rjson_fixtures.R with str2lang()).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "formats/r/lang/rparse.hpp"
#include "lib/util/error.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::r;
using namespace mb::testsupport;

namespace {

std::string fixture_dir() { return std::string(MB_SOURCE_DIR) + "/testdata/r-fixtures/rjson/"; }

// Undoes make_rjson_fixtures.R's esc(): "..." with \\ \n \t \r \" escapes.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) {
      char e = s[++i];
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> read_cases(const std::string& name) {
  std::ifstream in(fixture_dir() + name);
  REQUIRE(in.good());
  std::vector<std::pair<std::string, std::string>> cases;
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    cases.emplace_back(unescape(line.substr(0, tab)), line.substr(tab + 1));
  }
  return cases;
}

// Same tree; numbers equal within 4 ulp (R's own strtod is not always correctly rounded).
bool same_sexpr(const std::string& ours, const std::string& r) {
  auto a = sexpr_tokens(ours), b = sexpr_tokens(r);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    std::string ta = a[i], tb = b[i];
    size_t ea = ta.find('='), eb = tb.find('=');
    if (ea != std::string::npos && ea == eb && ta.substr(0, ea) == tb.substr(0, eb)) {
      ta = ta.substr(ea + 1);
      tb = tb.substr(eb + 1);
    }
    char* end_a;
    char* end_b;
    double x = std::strtod(ta.c_str(), &end_a), y = std::strtod(tb.c_str(), &end_b);
    if (*end_a || *end_b || ta.empty() || tb.empty()) return false;
    if (!(std::fabs(x - y) <= 1e-15 * std::fabs(y))) return false;
  }
  return true;
}

std::string sx(const std::string& code) { return to_sexpr(*parse_r_expression(code, "t.json", "$x")); }

}  // namespace

TEST_CASE("rparse: every case parses to R's own tree") {
  auto cases = read_cases("rparse_cases.tsv");
  CHECK(cases.size() > 100);
  for (auto& c : cases) {
    const auto& code = c.first;  // not structured bindings: clang 14 cannot capture them in CAPTURE
    const auto& expected = c.second;
    CAPTURE(code);
    std::string got;
    try {
      got = sx(code);
    } catch (const Error& e) {
      got = std::string("ERROR ") + e.what();
    }
    CAPTURE(got);
    CAPTURE(expected);
    CHECK(same_sexpr(got, expected));
  }
}

TEST_CASE("rparse: precedence corner cases") {
  CHECK(sx("-2^2") == "(- (^ 2 2))");
  CHECK(sx("2^-1") == "(^ 2 (- 1))");
  CHECK(sx("-a:b") == "(: (- a) b)");
  CHECK(sx("!a & b") == "(& (! a) b)");
  CHECK(sx("a <- b = c") == "(= (<- a b) c)");
  CHECK(sx("a -> b") == "(<- b a)");
  CHECK(sx("y ~ x - 1") == "(~ y (- x 1))");
  CHECK(sx("y ~ -1 + x") == "(~ y (+ (- 1) x))");
  CHECK(sx("x[, 1]") == "([ x <missing> 1)");
  CHECK(sx("f()") == "(f)");
  CHECK(sx("x[]") == "([ x <missing>)");
  CHECK(sx("2L") == "2L");
  CHECK(sx("0x10") == "16");
  CHECK(sx("T") == "T");
}

TEST_CASE("rparse: formula and predvars shapes importers rely on") {
  RPtr f = parse_r_expression("y ~ a * b + a:b + offset(log(n)) + I(x^2) + factor(cyl) - 1", "f", "$p");
  REQUIRE(f->type == RType::Language);
  REQUIRE(f->elements.size() == 3);
  CHECK(f->elements[0]->type == RType::Symbol);
  CHECK(f->elements[0]->text == "~");
  CHECK(f->elements[1]->text == "y");
  const RObject& rhs = *f->elements[2];  // (- (+ ...) 1)
  CHECK(rhs.elements[0]->text == "-");
  CHECK(rhs.elements[2]->type == RType::Double);
  CHECK(rhs.elements[2]->reals[0] == 1.0);

  RPtr pv = parse_r_expression(
      "list(mpg, poly(hp, 2, coefs = list(alpha = c(146.6875, 198.071514938048\n), norm2 = c(1, "
      "32, 145726.875, 977168457.086595))), factor(cyl), \n    wt, qsec)",
      "f", "$terms@predvars");
  REQUIRE(pv->elements.size() == 6);
  const RObject& poly = *pv->elements[2];
  CHECK(poly.elements[0]->text == "poly");
  CHECK(poly.tags == std::vector<std::string>{"", "", "", "coefs"});
  const RObject& coefs = *poly.elements[3];
  CHECK(coefs.elements[0]->text == "list");
  CHECK(coefs.names() == std::vector<std::string>{"", "alpha", "norm2"});
  const RObject& alpha = *coefs.get("alpha");
  REQUIRE(alpha.elements.size() == 3);  // c(146.6875, 198.071514938048)
  CHECK(alpha.elements[0]->text == "c");
  CHECK(alpha.elements[2]->reals[0] == 198.071514938048);
  CHECK(coefs.get("norm2")->elements[4]->reals[0] == 977168457.086595);
}

TEST_CASE("rparse: constant_numbers folds c(), unary minus and parentheses") {
  std::vector<double> v;
  CHECK(constant_numbers(*parse_r_expression("c(-1.5, 2L, (3), -(-1e-05), TRUE)", "f", ""), v));
  CHECK(v == std::vector<double>{-1.5, 2, 3, 1e-05, 1});
  v.clear();
  CHECK(constant_numbers(*parse_r_expression("-0.25", "f", ""), v));
  CHECK(v == std::vector<double>{-0.25});
  v.clear();
  CHECK(constant_numbers(*parse_r_expression("c(NA, 1)", "f", ""), v));
  CHECK(std::isnan(v[0]));
  v.clear();
  CHECK(!constant_numbers(*parse_r_expression("c(x, 1)", "f", ""), v));
  CHECK(!constant_numbers(*parse_r_expression("c(a = 1)", "f", ""), v));
  CHECK(!constant_numbers(*parse_r_expression("\"a\"", "f", ""), v));
}

TEST_CASE("rparse: deparse reproduces R's text") {
  for (auto& c : read_cases("rdeparse_cases.tsv")) {
    const auto& code = c.first;  // not structured bindings: clang 14 cannot capture them in CAPTURE
    const auto& expected_esc = c.second;
    std::string expected = unescape(expected_esc);
    // R breaks long lines after ", "; ours is one line
    std::string flat;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (expected[i] == '\n') {
        while (i + 1 < expected.size() && expected[i + 1] == ' ') ++i;
        continue;
      }
      flat += expected[i];
    }
    CAPTURE(code);
    CHECK(deparse(*parse_r_expression(code, "f", "")) == flat);
  }
}

TEST_CASE("rparse: bad code gives an Error naming file, place and position") {
  const char* bad[] = {
      "a +", "f(a b)", "\"unterminated", "x[1", "(a", "a b", "", "1 2", "`x", "function(1) x", "x$1", "%in",
      "{ a", "a ]",    "if a",           "1e",  "0x"};
  for (const char* code : bad) {
    CAPTURE(code);
    try {
      parse_r_expression(code, "m.json", "$call");
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.file() == "m.json");
      CHECK(e.place() == "$call");
      CHECK(e.message().find("cannot parse R expression") != std::string::npos);
      CHECK(e.message().find("line 1:col") != std::string::npos);
    }
  }
  std::string deep(5000, '(');
  CHECK_THROWS_AS(parse_r_expression(deep + "1" + std::string(5000, ')'), "f", ""), Error);
  // long left-associative chains are iterative, not recursive
  std::string sum = "x0";
  for (int i = 1; i < 5000; ++i) sum += " + x" + std::to_string(i);
  CHECK(parse_r_expression(sum, "f", "")->elements.size() == 3);
}

TEST_CASE("rparse: mutated code either parses or throws mb::Error") {
  uint64_t state = 777;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  const std::string alphabet = "()[]{},;=<-+*/^~!&|%$@:?`'\"\\\n 0123456789.eExLiabcfin_";
  for (auto& [code, expected] : read_cases("rparse_cases.tsv")) {
    for (int round = 0; round < 30; ++round) {
      std::string s = code;
      int edits = 1 + static_cast<int>(next() % 3);
      for (int k = 0; k < edits; ++k) {
        size_t pos = s.empty() ? 0 : next() % (s.size() + 1);
        char c = alphabet[next() % alphabet.size()];
        if (next() % 2 && pos < s.size()) s[pos] = c;
        else s.insert(pos, 1, c);
      }
      try {
        RPtr e = parse_r_expression(s, "f", "$x");
        CHECK(e != nullptr);
        (void)deparse(*e);
        (void)to_sexpr(*e);
      } catch (const Error&) {
      }
    }
  }
}
