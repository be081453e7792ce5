// Tests of the native .rds reader against what R itself reads back from the same files.
//
// testdata/r-fixtures/make_rds_fixtures.R saves one object per SEXP type / ALTREP class in every
// container and stream variant and writes NAME.txt, a canonical dump of readRDS() made by R.
// Here the same dump is made from our tree and compared line by line.
#include <doctest/doctest.h>

#include <cstdlib>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "formats/r/serial/rds_internal.hpp"
#include "formats/r/serial/rds_reader.hpp"
#include "lib/util/error.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::r;
using mb::testsupport::r_hexfloat;
using mb::testsupport::slurp;

namespace {

const fs::path kSource = MB_SOURCE_DIR;
const fs::path kFixtures = kSource / "testdata/r-fixtures/rds";
const fs::path kMalformed = kSource / "testdata/malformed/rds";

RPtr read_file(const fs::path& p) { return read_rds(slurp(p), p.string()); }

// ---- canonical dump, the same text the R script writes ------------------------------------

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

void dump(const RObject& x, int ind, std::vector<std::string>& out);

void dump_child(const RPtr& x, int ind, std::vector<std::string>& out) {
  if (!x) {
    out.push_back(std::string(2 * ind, ' ') + "<null pointer>");
    return;
  }
  dump(*x, ind, out);
}

void dump(const RObject& x, int ind, std::vector<std::string>& out) {
  std::string pad(2 * ind, ' ');
  auto line = [&](const std::string& s) { out.push_back(pad + s); };
  std::string s;
  switch (x.type) {
    case RType::Null: line("NULL"); break;
    case RType::Symbol: line("symbol " + x.text); break;
    case RType::MissingArg: line("missing"); break;
    case RType::Logical:
    case RType::Integer:
      s = std::string(x.type == RType::Logical ? "logical " : "integer ") + std::to_string(x.ints.size()) + ":";
      for (int32_t v : x.ints) s += " " + (v == kNaInteger ? std::string("NA") : std::to_string(v));
      line(s);
      break;
    case RType::Double:
      s = "double " + std::to_string(x.reals.size()) + ":";
      for (double v : x.reals) s += " " + r_hexfloat(v);
      line(s);
      break;
    case RType::Complex:
      s = "complex " + std::to_string(x.reals.size() / 2) + ":";
      for (size_t i = 0; i + 1 < x.reals.size(); i += 2)
        s += " " + r_hexfloat(x.reals[i]) + "," + r_hexfloat(x.reals[i + 1]);
      line(s);
      break;
    case RType::Character:
      s = "character " + std::to_string(x.strings.size()) + ":";
      for (auto& v : x.strings) s += v ? " s:" + hex(*v) : std::string(" NA");
      line(s);
      break;
    case RType::Raw:
      line("raw " + std::to_string(x.bytes.size()) + ": " +
           hex(std::string_view(reinterpret_cast<const char*>(x.bytes.data()), x.bytes.size())));
      break;
    case RType::List:
    case RType::Expression:
      line(std::string(x.type == RType::List ? "list " : "expression ") + std::to_string(x.elements.size()));
      for (auto& e : x.elements) dump_child(e, ind + 1, out);
      break;
    case RType::Pairlist:
    case RType::Language:
    case RType::Dots:
      line(std::string(x.type == RType::Pairlist   ? "pairlist "
                       : x.type == RType::Language ? "language "
                                                   : "... ") +
           std::to_string(x.elements.size()));
      for (size_t i = 0; i < x.elements.size(); ++i) {
        line("- " + (i < x.tags.size() ? x.tags[i] : std::string()));
        dump_child(x.elements[i], ind + 1, out);
      }
      break;
    case RType::Closure:
      line("closure");
      line("formals");
      dump_child(x.elements.at(0), ind + 1, out);
      line("body");
      dump_child(x.elements.at(1), ind + 1, out);
      break;
    case RType::Environment: {
      std::vector<std::string> names = x.tags;
      std::sort(names.begin(), names.end());
      s = "environment:";
      for (auto& n : names) s += " " + n;
      line(s);
      break;
    }
    case RType::GlobalEnv: line("globalenv"); break;
    case RType::EmptyEnv: line("emptyenv"); break;
    case RType::BaseEnv: line("baseenv"); break;
    case RType::BaseNamespace: line("basenamespace"); break;
    case RType::Namespace: line("namespace " + x.strings.at(0).value_or("NA")); break;
    case RType::Package: {
      std::string n = x.strings.at(0).value_or("NA");
      if (n.rfind("package:", 0) == 0) n = n.substr(8);
      line("package " + n);
      break;
    }
    case RType::Builtin: line("builtin " + x.text); break;
    case RType::Special: line("special " + x.text); break;
    case RType::ExternalPtr: line("externalptr"); break;
    case RType::WeakRef: line("weakref"); break;
    case RType::S4: line("S4"); break;
    default: line("other"); break;
  }
  for (auto& [name, value] : x.attributes) {
    line("@" + name);
    dump_child(value, ind + 1, out);
  }
}

std::vector<std::string> dump_lines(const RObject& x) {
  std::vector<std::string> out;
  dump(x, 0, out);
  return out;
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// ---- structural equality: doubles bitwise, or within rtol for the ascii stream ------------

struct Equal {
  double rtol = 0;
  std::string where;
  std::set<std::pair<const RObject*, const RObject*>> seen;  // shared nodes compared once

  bool doubles(double a, double b) {
    uint64_t x, y;
    std::memcpy(&x, &a, 8);
    std::memcpy(&y, &b, 8);
    if (x == y) return true;
    if (rtol == 0 || std::isnan(a) || std::isnan(b))
      return std::isnan(a) && std::isnan(b) && is_na_real(a) == is_na_real(b);
    return std::abs(a - b) <= rtol * std::abs(b);
  }
  bool operator()(const RPtr& a, const RPtr& b, const std::string& path) {
    if (!a || !b) return (!a && !b) || fail(path, "null pointer");
    if (!seen.insert({a.get(), b.get()}).second) return true;
    const RObject& x = *a;
    const RObject& y = *b;
    if (x.type != y.type) return fail(path, "type");
    if (x.text != y.text || x.ints != y.ints || x.strings != y.strings || x.bytes != y.bytes || x.tags != y.tags ||
        x.reals.size() != y.reals.size() || x.elements.size() != y.elements.size() ||
        x.attributes.size() != y.attributes.size())
      return fail(path, "contents");
    for (size_t i = 0; i < x.reals.size(); ++i)
      if (!doubles(x.reals[i], y.reals[i])) return fail(path + "[" + std::to_string(i + 1) + "]", "double");
    for (size_t i = 0; i < x.elements.size(); ++i)
      if (!(*this)(x.elements[i], y.elements[i], path + "[[" + std::to_string(i + 1) + "]]")) return false;
    for (size_t i = 0; i < x.attributes.size(); ++i) {
      if (x.attributes[i].first != y.attributes[i].first) return fail(path, "attribute names");
      if (!(*this)(x.attributes[i].second, y.attributes[i].second, path + "@" + x.attributes[i].first)) return false;
    }
    return true;
  }
  bool fail(const std::string& path, const std::string& what) {
    where = path + ": " + what;
    return false;
  }
};

const RObject* binding(const RObject& env, const std::string& name) {
  for (size_t i = 0; i < env.tags.size(); ++i)
    if (env.tags[i] == name) return env.elements[i].get();
  return nullptr;
}

// Expects an mb::Error whose place and message contain the given fragments.
void expect_error(const fs::path& p, const std::string& place_part, const std::string& message_part) {
  CAPTURE(p.filename().string());
  try {
    read_file(p);
    FAIL("no error");
  } catch (const mb::Error& e) {
    CAPTURE(std::string(e.what()));
    CHECK(e.file() == p.string());
    CHECK(e.place().find(place_part) != std::string::npos);
    CHECK(e.message().find(message_part) != std::string::npos);
  }
}

std::string xdr_header() {
  std::string h = "X\n";
  for (uint32_t v : {3u, 0x040202u, 0x030500u, 5u}) {
    for (int k = 3; k >= 0; --k) h += static_cast<char>((v >> (8 * k)) & 0xFF);
  }
  return h + "UTF-8";
}
std::string xdr_int(int32_t v) {
  std::string s;
  for (int k = 3; k >= 0; --k) s += static_cast<char>((static_cast<uint32_t>(v) >> (8 * k)) & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("rds: every fixture variant reads as R reads it") {
  REQUIRE(fs::is_directory(kFixtures));
  int files = 0;
  for (auto& entry : fs::directory_iterator(kFixtures)) {
    std::string fname = entry.path().filename().string();
    if (entry.path().extension() != ".rds") continue;
    std::string name = fname.substr(0, fname.find('.'));
    std::string variant = fname.substr(name.size() + 1, fname.size() - name.size() - 5);
    fs::path expected = kFixtures / (name + ".txt");
    if (variant == "ascii" && fs::exists(kFixtures / (name + ".ascii.txt")))
      expected = kFixtures / (name + ".ascii.txt");
    if (!fs::exists(expected)) continue;  // long_* fixtures have a summary instead
    CAPTURE(fname);
    RPtr obj;
    REQUIRE_NOTHROW(obj = read_file(entry.path()));
    auto got = dump_lines(*obj);
    auto want = read_lines(expected);
    CHECK(got.size() == want.size());
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
      if (got[i] != want[i]) {
        CAPTURE(i + 1);
        CHECK(got[i] == want[i]);
        break;
      }
    }
    ++files;
  }
  MESSAGE("fixture files compared: " << files);
  CHECK(files >= 8 * 36);
}

TEST_CASE("rds: strings, encodings and NA") {
  auto latin1 = read_file(kFixtures / "latin1.gz3.rds");
  REQUIRE(latin1->type == RType::Character);
  CHECK(latin1->strings.at(0) == std::optional<std::string>("caf\xc3\xa9"));
  CHECK(latin1->strings.at(1) == std::optional<std::string>("na\xc3\xafve"));
  auto na = read_file(kFixtures / "na_string.ascii.rds");
  CHECK(!na->strings.at(0).has_value());
  CHECK(na->strings.at(1) == std::optional<std::string>("a"));
  auto chars = read_file(kFixtures / "character.ascii.rds");
  CHECK(chars->strings.at(4) == std::optional<std::string>("tab\tnew\nline\"q\\ back"));
  auto d = read_file(kFixtures / "double.xz.rds");
  CHECK(is_na_real(d->reals.at(1)));
  CHECK((std::isnan(d->reals.at(2)) && !is_na_real(d->reals.at(2))));
}

TEST_CASE("rds: ALTREP classes are materialised") {
  auto seq = read_file(kFixtures / "compact_intseq.gz3.rds");
  CHECK(seq->elements.at(1)->ints == std::vector<int32_t>{5, 4, 3, 2, 1, 0, -1, -2, -3});
  auto real = read_file(kFixtures / "compact_realseq.gz3.rds");
  REQUIRE(real->type == RType::Double);
  CHECK(real->reals == std::vector<double>{2147483648.0, 2147483649.0, 2147483650.0, 2147483651.0, 2147483652.0});
  auto ds = read_file(kFixtures / "deferred_string_real.bz2.rds");
  CHECK(ds->strings.at(2) == std::optional<std::string>("1e+05"));
  CHECK(ds->strings.at(3) == std::optional<std::string>("0.333333333333333"));
  // as.character() in R 4.2.2 printed these (15 significant digits, fixed or scientific by width).
  CHECK(rds::format_double_as_character(123456789012345678.0, 0) == "123456789012345680");
  CHECK(rds::format_double_as_character(1e15, 0) == "1e+15");
  CHECK(rds::format_double_as_character(0.1 + 0.2, 0) == "0.3");
  CHECK(rds::format_double_as_character(-0.0, 0) == "0");
}

TEST_CASE("rds: hostile ALTREP states are bounded and defined") {
  // scipen near INT_MAX: fixed notation of 1e-300 in full (no signed overflow, no truncation).
  auto ds = read_file(kMalformed / "deferred_string_scipen.rds");
  REQUIRE(ds->type == RType::Character);
  const std::string s = ds->strings.at(0).value();
  CHECK(s.size() == 302);
  CHECK(s.rfind("0.000", 0) == 0);
  CHECK(std::strtod(s.c_str(), nullptr) == 1e-300);
  CHECK(rds::format_double_as_character(1e-300, -2147483647 - 1) == "1e-300");
  CHECK(rds::format_double_as_character(-1.5e308, 2147483647).size() == 310);
  // Compact sequences count against one budget per file, checked before allocating.
  expect_error(kMalformed / "altrep_many_sequences.rds", "[[3]]", "after 16777216 elements of others");
  RdsLimits small;
  small.max_altrep_length = 5;  // the fixture holds a sequence of 9
  CHECK_THROWS_WITH_AS(read_rds(slurp(kFixtures / "compact_intseq.gz3.rds"), "x.rds", small),
                       doctest::Contains("altrep"), mb::Error);
  // Decompression: above 64 MiB at most decompression-ratio times the compressed size.
  expect_error(kMalformed / "gzip_bomb.rds", "decompressed byte 67108864", "decompression-ratio");
}

TEST_CASE("rds: closures, environments, promises, dots, S4") {
  auto clo = read_file(kFixtures / "closure_compiled.gz3.rds");
  REQUIRE(clo->type == RType::Closure);
  REQUIRE(clo->elements.size() == 2);
  CHECK(clo->elements[1]->type == RType::Language);  // byte code replaced by its source
  CHECK(clo->elements[1]->elements.at(0)->text == "{");

  auto cyc = read_file(kFixtures / "env_cycle.gz2.rds");
  REQUIRE(cyc->elements.size() == 2);
  CHECK(cyc->elements[0].get() == cyc->elements[1].get());  // one environment, referenced twice
  const RObject* self = binding(*cyc->elements[0], "self");
  REQUIRE(self);
  CHECK(self->type == RType::Environment);
  CHECK(self->text == "<cycle>");
  CHECK(self->cycle_target.lock() == cyc->elements[0]);  // the environment it stands for
  const RObject* x = binding(*cyc->elements[0], "x");
  REQUIRE(x);
  CHECK(x->ints == std::vector<int32_t>{1, 2, 3});

  auto prom_env = read_file(kFixtures / "promise.none.rds");
  const RObject* p = binding(*prom_env, "p");
  REQUIRE(p);
  REQUIRE(p->type == RType::Promise);
  CHECK(p->elements.at(0)->type == RType::UnboundValue);  // not forced
  REQUIRE(p->elements.at(1)->type == RType::Language);    // code: x + 1
  CHECK(p->elements[1]->elements.at(0)->text == "+");

  auto dots_env = read_file(kFixtures / "dots.bin.rds");
  const RObject* dots = binding(*dots_env, "...");
  REQUIRE(dots);
  CHECK(dots->type == RType::Dots);
  CHECK(dots->tags == std::vector<std::string>{"", "b"});

  auto s4 = read_file(kFixtures / "s4.xz.rds");
  CHECK(s4->type == RType::S4);
  REQUIRE(s4->attributes.size() == 3);
  CHECK(s4->attributes[2].first == "class");
}

TEST_CASE("rds: persistent references written by a reference hook") {
  auto obj = read_file(kFixtures / "persist.gz3.rds");  // R's hook named the environment "id42"
  REQUIRE(obj->elements.size() == 2);
  CHECK(obj->elements[0]->type == RType::Persist);
  CHECK(obj->elements[0]->strings == std::vector<std::optional<std::string>>{"id42"});
  // R 4.2 asks the hook again for the second use and writes the name again.
  CHECK(obj->elements[1]->type == RType::Persist);
  CHECK(obj->elements[1]->strings == obj->elements[0]->strings);
}

TEST_CASE("rds: 100000-element pairlist and call are read without recursion on the CDR") {
  for (std::string name : {"long_pairlist", "long_call"}) {
    CAPTURE(name);
    auto obj = read_file(kFixtures / (name + ".xz.rds"));
    auto summary = read_lines(kFixtures / (name + ".summary"));  // written by R
    REQUIRE(summary.size() == 5);
    CHECK(obj->type == (summary[0] == "pairlist" ? RType::Pairlist : RType::Language));
    REQUIRE(obj->elements.size() == std::stoul(summary[1]));
    double sum = 0;
    for (size_t i = 1; i < obj->elements.size(); ++i) {
      auto& e = *obj->elements[i];
      sum += e.type == RType::Integer ? e.ints.at(0) : e.reals.at(0);
    }
    CHECK(sum == std::stod(summary[2]));
    auto value = [](const RObject& e) { return e.type == RType::Integer ? double(e.ints.at(0)) : e.reals.at(0); };
    CHECK(value(*obj->elements[1]) == std::stod(summary[3]));
    CHECK(value(*obj->elements.back()) == std::stod(summary[4]));
  }
}

TEST_CASE("rds: weak references and hand-made streams") {
  // list(<weakref>, <reference to it>): R writes weak references without contents.
  std::string s = xdr_header() + xdr_int(19) + xdr_int(2) + xdr_int(23) + xdr_int((1 << 8) | 255);
  auto obj = read_rds(s, "weak.rds");
  REQUIRE(obj->elements.size() == 2);
  CHECK(obj->elements[0]->type == RType::WeakRef);
  CHECK(obj->elements[1].get() == obj->elements[0].get());
  // Nesting just under the limit is accepted.
  RdsLimits limits;
  limits.max_depth = 200;
  std::string deep = xdr_header();
  for (int i = 0; i < 198; ++i) deep += xdr_int(19) + xdr_int(1);
  deep += xdr_int(254);
  CHECK_NOTHROW(read_rds(deep, "deep.rds", limits));
  deep = xdr_header();
  for (int i = 0; i < 201; ++i) deep += xdr_int(19) + xdr_int(1);
  deep += xdr_int(254);
  CHECK_THROWS_AS(read_rds(deep, "deep.rds", limits), mb::Error);
  // Decompressed-size limit.
  limits = RdsLimits{};
  limits.max_decompressed_bytes = 100;
  CHECK_THROWS_WITH_AS(read_rds(slurp(kFixtures / "long_call.xz.rds"), "big.rds", limits),
                       doctest::Contains("exceeds the limit"), mb::Error);
}

TEST_CASE("rds: malformed files fail with the place and what was expected") {
  expect_error(kMalformed / "truncated_gzip.rds", "compressed byte", "truncated");
  expect_error(kMalformed / "corrupt_gzip.rds", "compressed byte", "gzip");
  expect_error(kMalformed / "truncated_stream.rds", "byte ", "truncated");
  expect_error(kMalformed / "bad_magic.rds", "byte 0", "expected 'X\\n'");
  expect_error(kMalformed / "bad_version.rds", "byte 2", "expected 2 or 3");
  expect_error(kMalformed / "huge_length.rds", "byte 27", "exceeds what the remaining");
  expect_error(kMalformed / "huge_long_length.rds", "byte 27", "exceeds what the remaining");
  expect_error(kMalformed / "ref_out_of_range.rds", "[[2]]", "reference index 5 out of range");
  expect_error(kMalformed / "deep_nesting.rds", "byte ", "nested deeper than the limit of 10000");
  expect_error(kMalformed / "unknown_altrep.rds", "byte ", "'vroom_dbl'");
  expect_error(kMalformed / "unknown_type.rds", "[[1]]", "unknown item type 99");
  expect_error(kMalformed / "negative_string_length.rds", "[1]", "invalid string length -7");
  expect_error(kMalformed / "ascii_garbage.rds", "byte ", "expected an integer");
  expect_error(kMalformed / "empty.rds", "byte 0", "not an R serialization stream");
  // Every prefix of a stream fails cleanly (never crashes, never reads past the end).
  std::string full = slurp(kFixtures / "closure_compiled.none.rds");
  for (size_t n = 0; n < full.size(); ++n)
    CHECK_THROWS_AS(read_rds(std::string_view(full).substr(0, n), "prefix.rds"), mb::Error);
  std::string ascii = slurp(kFixtures / "env_cycle.ascii.rds");
  for (size_t n = 0; n + 1 < ascii.size(); n += 3)
    CHECK_THROWS_AS(read_rds(std::string_view(ascii).substr(0, n), "prefix.rds"), mb::Error);
}

TEST_CASE("rds: looks_like_rds") {
  CHECK(looks_like_rds(slurp(kFixtures / "list.gz3.rds").substr(0, 16)));
  CHECK(looks_like_rds(slurp(kFixtures / "list.bz2.rds").substr(0, 16)));
  CHECK(looks_like_rds(slurp(kFixtures / "list.xz.rds").substr(0, 16)));
  CHECK(looks_like_rds(slurp(kFixtures / "list.none.rds").substr(0, 16)));
  CHECK(looks_like_rds(slurp(kFixtures / "list.gz2.rds").substr(0, 16)));
  CHECK(looks_like_rds(slurp(kFixtures / "list.ascii.rds").substr(0, 16)));
  CHECK(looks_like_rds(std::string("B\n\x03\0\0\0", 6)));
  CHECK_FALSE(looks_like_rds("{\"type\":\"list\"}"));
  CHECK_FALSE(looks_like_rds("<?xml version"));
  CHECK_FALSE(looks_like_rds("X\nhello"));
  CHECK_FALSE(looks_like_rds(""));
}

namespace {
std::vector<fs::path> find_rds(const fs::path& root) {
  std::vector<fs::path> out;
  if (!fs::is_directory(root)) return out;
  for (auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".rds") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("rds: conformance on the jpmml-r model corpus") {
  fs::path root = fs::path(MB_SHARED_DIR) / "corpus/pmml/jpmml-r";
  if (!mb::testsupport::have_shared(root)) return;
  int read = 0, failed = 0;
  for (auto& p : find_rds(root)) {
    try {
      auto obj = read_file(p);
      if (obj) ++read;
    } catch (const mb::Error& e) {
      ++failed;
      MESSAGE(e.what());
    }
  }
  MESSAGE("jpmml-r corpus: " << read << " .rds files read, " << failed << " failed");
  CHECK(failed == 0);
  CHECK(read >= 133);
}

TEST_CASE("rds: project model fixtures, and all variants of one model give the same tree") {
  fs::path root = kSource / "testdata/r";
  REQUIRE(fs::is_directory(root));
  int models = 0;
  for (auto& dir : fs::directory_iterator(root)) {
    fs::path model = dir.path() / "model.rds";
    if (!fs::exists(model)) continue;
    CAPTURE(model.string());
    CHECK_NOTHROW(read_file(model));
    ++models;
  }
  std::map<std::string, std::vector<fs::path>> groups;
  for (auto& p : find_rds(root / "rds-variants")) {
    std::string f = p.filename().string();
    groups[f.substr(0, f.find('.'))].push_back(p);
  }
  int variants = 0;
  for (auto& [name, files] : groups) {
    auto base_it = std::find_if(files.begin(), files.end(), [](const fs::path& p) {
      return p.filename().string().find(".v3.gz.") != std::string::npos;
    });
    fs::path base = base_it != files.end() ? *base_it : files.front();
    RPtr reference = read_file(base);
    for (auto& p : files) {
      CAPTURE(p.filename().string());
      RPtr obj;
      REQUIRE_NOTHROW(obj = read_file(p));
      std::string f = p.filename().string();
      bool decimal = f.find(".ascii.") != std::string::npos || f.find(".ascii.v2.") != std::string::npos;
      Equal eq;
      eq.rtol = decimal ? 1e-15 : 0;
      bool same = eq(obj, reference, "");
      CAPTURE(eq.where);
      CHECK(same);
      ++variants;
    }
  }
  MESSAGE("project model.rds files read: " << models << "; variant files compared: " << variants);
}
