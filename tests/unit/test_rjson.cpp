// The jsonlite JSON reader against R's own view of the objects: every fixture in
// testdata/r-fixtures/rjson/ comes with <name>.truth, written by make_rjson_fixtures.R from the
// original R object (types, lengths, attribute order, values as %a, parse trees from R's parser).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "formats/r/lang/rparse.hpp"
#include "formats/r/serial/rjson_reader.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
using namespace mb::r;
namespace fs = std::filesystem;

namespace {

std::string source(const std::string& rel) { return std::string(MB_SOURCE_DIR) + "/" + rel; }

std::string esc(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '"') out += "\\\"";
    else out += c;
  }
  return out + "\"";
}

// The same walk as make_rjson_fixtures.R's walk(), over our tree.
void walk(const RObject& x, const std::string& path, std::vector<std::string>& out) {
  auto line = [&](std::vector<std::string> f) {
    std::string s = path;
    for (auto& p : f) s += "\t" + p;
    out.push_back(s);
  };
  switch (x.type) {
    case RType::MissingArg: return line({"sexpr", "<missing>"});
    case RType::Symbol:
    case RType::Language: line({"sexpr", to_sexpr(x)}); break;
    case RType::Double:
    case RType::Integer:
    case RType::Logical:
    case RType::Character:
    case RType::Complex:
    case RType::Raw: {
      std::vector<std::string> f = {"vector", rtype_name(x.type), std::to_string(x.length())};
      for (size_t i = 0; i < x.length(); ++i) {
        char buf[8];
        switch (x.type) {
          case RType::Double: f.push_back(r_hexfloat(x.reals[i])); break;
          case RType::Integer:
          case RType::Logical: f.push_back(x.ints[i] == kNaInteger ? "NA" : std::to_string(x.ints[i])); break;
          case RType::Character: f.push_back(x.strings[i] ? esc(*x.strings[i]) : "NA"); break;
          case RType::Complex:
            f.push_back(is_na_real(x.reals[2 * i]) || is_na_real(x.reals[2 * i + 1])
                            ? "NA"
                            : r_hexfloat(x.reals[2 * i]) + "," + r_hexfloat(x.reals[2 * i + 1]));
            break;
          default: std::snprintf(buf, sizeof buf, "%02x", x.bytes[i]); f.push_back(buf);
        }
      }
      line(f);
      break;
    }
    case RType::Closure:
      line({"node", "closure", "2"});
      out.push_back(path + "[0]\tsexpr\t" + to_sexpr(*x.elements[0]));
      out.push_back(path + "[1]\tsexpr\t" + to_sexpr(*x.elements[1]));
      return;
    case RType::Expression:
      line({"node", "expression", std::to_string(x.elements.size())});
      for (size_t i = 0; i < x.elements.size(); ++i)
        out.push_back(path + "[" + std::to_string(i) + "]\tsexpr\t" + to_sexpr(*x.elements[i]));
      break;
    case RType::List:
    case RType::Pairlist: {
      line({"node", rtype_name(x.type), std::to_string(x.elements.size())});
      if (x.type == RType::Pairlist) {
        std::vector<std::string> f = {"tags"};
        for (auto& t : x.tags) f.push_back(t);
        line(f);
      }
      for (size_t i = 0; i < x.elements.size(); ++i) walk(*x.elements[i], path + "[" + std::to_string(i) + "]", out);
      break;
    }
    default: {
      bool empty = x.type == RType::Null || x.type == RType::Environment || x.type == RType::Namespace ||
                   x.type == RType::ExternalPtr;
      line({"node", rtype_name(x.type), empty ? "0" : "1"});
    }
  }
  if (!x.attributes.empty()) {
    std::vector<std::string> f = {"attrs"};
    for (auto& [k, v] : x.attributes) f.push_back(k);
    line(f);
    for (auto& [k, v] : x.attributes) walk(*v, path + "@" + k, out);
  }
}

bool close_numbers(const std::string& a, const std::string& b, double atol, double rtol) {
  if (a == b) return true;
  char* ea;
  char* eb;
  double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
  if (a.empty() || b.empty() || *ea || *eb) return false;
  return std::fabs(x - y) <= atol + rtol * std::fabs(y);
}

bool same_token(const std::string& a, const std::string& b, double atol, double rtol) {
  if (a == b) return true;
  size_t ea = a.find('='), eb = b.find('=');
  if (ea != std::string::npos && ea == eb && a.substr(0, ea) == b.substr(0, eb))
    return close_numbers(a.substr(ea + 1), b.substr(eb + 1), atol, rtol);
  auto pa = split(a, ','), pb = split(b, ',');  // complex "re,im"
  if (pa.size() == 2 && pb.size() == 2)
    return close_numbers(pa[0], pb[0], atol, rtol) && close_numbers(pa[1], pb[1], atol, rtol);
  return close_numbers(a, b, atol, rtol);
}

// Compares our walk with R's truth; doubles within atol + rtol*|r|, parse-tree numbers within
// 4 ulp (R's parser is not always correctly rounded).
void compare_with_truth(const std::string& name, double atol, double rtol, Warnings& warnings) {
  std::string dir = source("testdata/r-fixtures/rjson/");
  RPtr root = read_rjson(slurp_required(dir + name + ".json"), name + ".json", warnings);
  std::vector<std::string> ours;
  walk(*root, "", ours);
  std::vector<std::string> truth = split(slurp_required(dir + name + ".truth"), '\n');
  if (!truth.empty() && truth.back().empty()) truth.pop_back();
  CHECK(ours.size() == truth.size());
  for (size_t i = 0; i < ours.size() && i < truth.size(); ++i) {
    if (ours[i] == truth[i]) continue;
    auto a = split(ours[i], '\t'), b = split(truth[i], '\t');
    bool ok = a.size() == b.size() && a.size() >= 2 && a[0] == b[0] && a[1] == b[1];
    if (ok && a[1] == "vector") {
      ok = a[2] == b[2] && a[3] == b[3];
      for (size_t k = 4; ok && k < a.size(); ++k)
        ok = (a[2] == "double" || a[2] == "complex") ? same_token(a[k], b[k], atol, rtol) : a[k] == b[k];
    } else if (ok && a[1] == "sexpr") {
      auto ta = sexpr_tokens(a[2]), tb = sexpr_tokens(b[2]);
      ok = ta.size() == tb.size();
      for (size_t k = 0; ok && k < ta.size(); ++k) ok = same_token(ta[k], tb[k], 0, 1e-15);
    } else {
      ok = false;
    }
    CAPTURE(name);
    CAPTURE(ours[i]);
    CAPTURE(truth[i]);
    CHECK(ok);
  }
}

bool has_warning(const Warnings& w, const std::string& text) {
  for (auto& x : w)
    if (x.code == "json-15-digits" && x.message.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("rjson: vectors, NA/NaN/Inf, raw, NULL, empty vectors match R") {
  Warnings w;
  compare_with_truth("vectors_exact", 0, 0, w);  // 17 digits: bit for bit
  CHECK(w.empty());
  Warnings w15;
  compare_with_truth("vectors", 0, 5e-15, w15);
  CHECK(w15.size() == 1);
  CHECK(has_warning(w15, "vectors.json: doubles were written with 15 significant digits"));
}

TEST_CASE("rjson: NA representations") {
  Warnings w;
  RPtr v = read_rjson(slurp_required(source("testdata/r-fixtures/rjson/vectors_exact.json")), "v", w);
  const RObject& d = *v->get("d");
  CHECK(is_na_real(d.reals[1]));
  CHECK(std::isnan(d.reals[2]));
  CHECK(!is_na_real(d.reals[2]));
  CHECK(v->get("i")->ints[1] == kNaInteger);
  CHECK(v->get("l")->ints[1] == kNaInteger);
  CHECK(!v->get("s")->strings[1].has_value());
  CHECK(v->get("n")->is_null());
  CHECK(d.names()[10] == "k");
  CHECK(d.reals[10] == 2.5999999999999996);
}

TEST_CASE("rjson: complex, factors, data frames, matrices match R") {
  Warnings w;
  compare_with_truth("complex", 0, 5e-15, w);
  compare_with_truth("frames", 0, 0, w);
  CHECK(w.empty());  // only short decimals: nothing lost
  RPtr f = read_rjson(slurp_required(source("testdata/r-fixtures/rjson/frames.json")), "f", w);
  CHECK(f->get("f")->levels() == std::vector<std::string>{"lo", "hi"});
  CHECK(f->get("o")->inherits("ordered"));
  CHECK(f->get("df")->inherits("data.frame"));
  CHECK(f->get("m")->dim() == std::vector<int32_t>{2, 3});
  CHECK(f->get("arr")->dim() == std::vector<int32_t>{2, 3, 4});
}

TEST_CASE("rjson: language, closure, environment, namespace, builtin, pairlist match R") {
  Warnings w;
  compare_with_truth("language", 0, 0, w);
  // data doubles are short, but predvars' poly() coefficients were deparsed with 15 digits
  REQUIRE(w.size() == 1);
  CHECK(has_warning(w, "numbers inside R expressions"));
  RPtr l = read_rjson(slurp_required(source("testdata/r-fixtures/rjson/language.json")), "l", w);
  CHECK(l->get("bi")->type == RType::Builtin);
  CHECK(l->get("bi")->text == "sum");
  CHECK(l->get("sp")->text == "if");
  CHECK(l->get("ns")->text == "stats");
  CHECK(l->get("terms")->inherits("terms"));
  CHECK(l->get("terms")->attr("term.labels")->str(2) == "I(x^2)");
}

TEST_CASE("rjson: S4 dgCMatrix has its slots and class") {
  std::string path = source("testdata/r-fixtures/rjson/s4.json");
  if (!fs::exists(path)) return;  // Matrix was not installed when fixtures were made
  Warnings w;
  compare_with_truth("s4", 0, 5e-15, w);
  RPtr s = read_rjson(slurp_required(path), "s4.json", w);
  const RObject& beta = *s->get("beta");
  CHECK(beta.type == RType::S4);
  CHECK(beta.inherits("dgCMatrix"));
  CHECK(beta.attr("class")->attr("package")->str(0) == "Matrix");
  CHECK(beta.attr("i")->ints == std::vector<int32_t>{0, 1, 2});
}

TEST_CASE("rjson: real lm/glm objects match R; digit detection") {
  Warnings w15, wexact, w8, wglm, wnice;
  compare_with_truth("lm", 0, 5e-15, w15);
  CHECK(w15.size() == 1);
  CHECK(has_warning(w15, "doubles were written with 15 significant digits"));

  RjsonDigitStats st;
  read_rjson(slurp_required(source("testdata/r-fixtures/rjson/lm.json")), "lm.json", w15, &st);
  CHECK(st.precise == 0);
  CHECK(st.max_significant == 15);

  compare_with_truth("lm_exact", 0, 0, wexact);  // bit for bit
  REQUIRE(wexact.size() == 1);                   // ... except poly() coefficients in predvars
  CHECK(has_warning(wexact, "numbers inside R expressions"));
  read_rjson(slurp_required(source("testdata/r-fixtures/rjson/lm_exact.json")), "e", wexact, &st);
  CHECK(st.precise > 10);

  compare_with_truth("lm_digits8", 5e-9, 5e-8, w8);
  REQUIRE(w8.size() == 1);
  CHECK(has_warning(w8, "at most 8 digits after the decimal point (jsonlite's serializeJSON default"));

  compare_with_truth("glm_exact", 0, 0, wglm);
  CHECK(wglm.empty());
  compare_with_truth("nice", 0, 0, wnice);
  CHECK(wnice.empty());
}

TEST_CASE("rjson: shortest_digits") {
  CHECK(shortest_digits(0.1) == 1);
  CHECK(shortest_digits(1.0 / 3) == 16);
  CHECK(shortest_digits(0.333333333333333) == 15);
  CHECK(shortest_digits(2.5999999999999996) == 17);
  CHECK(shortest_digits(0.0) == 0);
}

TEST_CASE("rjson: every testdata/r model JSON parses") {
  fs::path dir = source("testdata/r");
  if (!fs::exists(dir)) return;
  int files = 0;
  for (auto& c : fs::directory_iterator(dir)) {
    if (!c.is_directory()) continue;
    for (const char* name : {"model.json", "model_exact.json", "model.default.json"}) {
      fs::path p = c.path() / name;
      if (!fs::exists(p)) continue;
      CAPTURE(p.string());
      Warnings w;
      RjsonDigitStats st;
      RPtr root;
      CHECK_NOTHROW(root = read_rjson(slurp_required(p.string()), p.string(), w, &st));
      if (!root) continue;
      ++files;
      CHECK(!root->classes().empty());
      // exact files read back bit for bit and warn about nothing; the others warn unless no
      // double in them has 6 or more significant digits (then nothing shows a loss)
      bool exact = std::string(name) == "model_exact.json";
      CHECK(w.size() == (exact || st.max_significant < 6 ? 0u : 1u));
      if (!exact) CHECK(st.precise == 0);
      if (exact) CHECK((st.precise > 0 || st.non_integer == 0));
      // no deparsed expression was left unparsed
      std::vector<const RObject*> stack = {root.get()};
      while (!stack.empty()) {
        const RObject* n = stack.back();
        stack.pop_back();
        if (n->unparsed) FAIL_CHECK("unparsed R code: " << n->text);
        for (auto& e : n->elements) stack.push_back(e.get());
        for (auto& a : n->attributes) stack.push_back(a.second.get());
      }
    }
  }
  MESSAGE("model JSON files read: " << files);
}

TEST_CASE("rjson: looks_like_rjson") {
  CHECK(looks_like_rjson("{\"type\":\"list\",\"attributes\""));
  CHECK(looks_like_rjson("\xEF\xBB\xBF\n  {\n  \"type\": \"list\""));
  CHECK(!looks_like_rjson("[1, 2]"));
  CHECK(!looks_like_rjson("{\"a\": 1}"));
  CHECK(!looks_like_rjson("<PMML"));
  CHECK(!looks_like_rjson(""));
}

TEST_CASE("rjson: malformed inputs give an Error with a place") {
  struct Case {
    const char* file;
    const char* place;
    const char* message;
  } cases[] = {
      {"truncated.json", "line 3:col 1", "invalid JSON"},
      {"not_object.json", "$", "expected an R object node"},
      {"unknown_type.json", "$.value[1].type", "unknown R type 'tensor'"},
      {"wrong_value_type.json", "$.attributes.names.value", "expected an array of strings"},
      {"bad_number.json", "$.value[2]", "expected a number or \"NA\""},
      {"missing_type.json", "$.value[0]", "expected a \"type\" member"},
      {"bad_base64.json", "$.value", "expected a base64 string"},
      {"trailing.json", "line 1:col 17", "invalid JSON"},
      {"bad_integer.json", "$.value[1]", "expected an integer"},
      {"attributes_array.json", "$.attributes", "expected an object of attributes"},
      {"bad_string_value.json", "$.value[0].value[1]", "expected a string or null"},
  };
  for (auto& c : cases) {
    CAPTURE(c.file);
    std::string path = source(std::string("testdata/malformed/rjson/") + c.file);
    Warnings w;
    try {
      read_rjson(slurp_required(path), c.file, w);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.file() == c.file);
      CHECK(e.place() == c.place);
      CHECK(e.message().find(c.message) != std::string::npos);
    }
  }
  // nesting deeper than the limit
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += "{\"type\":\"list\",\"value\":[";
  deep += "{\"type\":\"NULL\"}";
  for (int i = 0; i < 600; ++i) deep += "]}";
  Warnings w;
  try {
    read_rjson(deep, "deep.json", w);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.message().find("nested deeper than 512") != std::string::npos);
  }
  // hostile JSON nesting is refused without recursion
  std::string arrays(100000, '[');
  CHECK_THROWS_AS(read_rjson(arrays, "a.json", w), Error);
  // unparseable R code is kept as text, not an error
  RPtr lang = read_rjson("{\"type\":\"language\",\"attributes\":{},\"value\":[\"f(<environment>)\"]}", "l.json", w);
  CHECK(lang->type == RType::Language);
  CHECK(lang->unparsed);
  CHECK(lang->text == "f(<environment>)");
}

TEST_CASE("rjson: mutated inputs either parse or throw mb::Error") {
  // deterministic byte mutations of real fixtures: no crash, no other exception type
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  const char* bytes = "{}[]\",:0123456789.eE-+nulltruefalse\\ \"NA\"(){}~$@`'\n";
  for (const char* name : {"language.json", "vectors.json", "frames.json"}) {
    std::string original = slurp_required(source(std::string("testdata/r-fixtures/rjson/") + name));
    for (int round = 0; round < 700; ++round) {
      std::string s = original;
      int edits = 1 + static_cast<int>(next() % 4);
      for (int k = 0; k < edits; ++k) {
        size_t pos = next() % s.size();
        switch (next() % 3) {
          case 0: s[pos] = bytes[next() % std::strlen(bytes)]; break;
          case 1: s.erase(pos, 1 + next() % 8); break;
          default: s.insert(pos, 1, bytes[next() % std::strlen(bytes)]);
        }
        if (s.empty()) s = "{";
      }
      Warnings w;
      try {
        read_rjson(s, name, w);
      } catch (const Error&) {
      }
    }
  }
}
