// lib/util/limits: the MODELBRIDGE_LIMITS syntax, defaults, and the message of an exceeded limit.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "formats/pmml/pmml.hpp"
#include "lib/util/error.hpp"
#include "lib/util/limits.hpp"

using namespace mb;

TEST_CASE("limits: defaults, names and MODELBRIDGE_LIMITS overrides") {
  limits::reload("");
  for (const auto& i : limits::table()) {
    CHECK(limits::get(i.id) == i.default_value);
    CHECK(std::string(limits::name(i.id)) == i.name);
  }
  limits::reload("tree-depth=100, columns=2K,decompressed-bytes=3G");
  CHECK(limits::get(limits::Id::TreeDepth) == 100);
  CHECK(limits::get(limits::Id::Columns) == 2048);
  CHECK(limits::get(limits::Id::DecompressedBytes) == (uint64_t{3} << 30));
  CHECK(limits::get(limits::Id::XmlDepth) == 1000);  // untouched
  limits::reload("");
  CHECK(limits::get(limits::Id::TreeDepth) == 4096);
}

TEST_CASE("limits: malformed MODELBRIDGE_LIMITS is an error naming it, and changes nothing") {
  limits::reload("");
  for (const char* bad : {"tree-depth", "tree-depth=", "tree-depth=-1", "tree-depth=1x", "nonsense=3",
                          "tree-depth=99999999999999999999", "tree-depth=1G1"}) {
    CAPTURE(bad);
    try {
      limits::reload(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.file() == "MODELBRIDGE_LIMITS");
      CHECK(e.exit_code() == kExitInput);
    }
    CHECK(limits::get(limits::Id::TreeDepth) == 4096);
  }
}

TEST_CASE("limits: an exceeded limit names the limit, its value and how to raise it") {
  limits::reload("xml-depth=7");
  try {
    limits::exceeded(limits::Id::XmlDepth, "m.pmml", "line 3: /PMML", "elements nested 8 deep");
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.file() == "m.pmml");
    CHECK(e.place() == "line 3: /PMML");
    CHECK(e.message() ==
          "elements nested 8 deep exceeds the limit xml-depth = 7; raise it with "
          "MODELBRIDGE_LIMITS=xml-depth=N");
    CHECK(e.exit_code() == kExitInput);
  }
  limits::reload("");
}

TEST_CASE("limits: README and the manual page list every limit with its default") {
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  const std::string readme = slurp(MB_SOURCE_DIR "/README.md"), man = slurp(MB_SOURCE_DIR "/man/modelbridge.1");
  auto shown = [](uint64_t v) {
    if (v >= (uint64_t{1} << 30) && v % (uint64_t{1} << 30) == 0) return std::to_string(v >> 30) + "G";
    if (v >= (uint64_t{1} << 20) && v % (uint64_t{1} << 20) == 0) return std::to_string(v >> 20) + "M";
    return std::to_string(v);
  };
  for (const auto& i : limits::table()) {
    CAPTURE(i.name);
    CHECK(readme.find("| `" + std::string(i.name) + "` | " + shown(i.default_value) + " |") != std::string::npos);
    std::string roff;
    for (char ch : std::string(i.name)) roff += ch == '-' ? std::string("\\-") : std::string(1, ch);
    CHECK(man.find(".B " + roff + "\n") != std::string::npos);
    CHECK(man.find("(default " + shown(i.default_value) + ").") != std::string::npos);
  }
}

TEST_CASE("limits: pmml-tree-nodes bounds the binary nodes of one PMML tree") {
  const std::string path = MB_SOURCE_DIR "/testdata/pmml/trees/multiway_xor_default_child.pmml";
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  REQUIRE(!text.empty());
  limits::reload("");
  CHECK_NOTHROW(pmml::read(text, path));
  // The smallest limit that admits the tree: the tree's own size, found from below.
  uint64_t fits = 0;
  for (uint64_t n = 1; n < 10000 && !fits; ++n) {
    limits::reload("pmml-tree-nodes=" + std::to_string(n));
    try {
      pmml::read(text, path);
      fits = n;
    } catch (const limits::LimitError& e) {
      CHECK(e.file() == path);
      CHECK(e.place().find("TreeModel") != std::string::npos);
      CHECK(e.message() == "the tree needs more than " + std::to_string(n) +
                               " binary nodes, which exceeds the limit pmml-tree-nodes = " + std::to_string(n) +
                               "; raise it with MODELBRIDGE_LIMITS=pmml-tree-nodes=N");
      CHECK(e.exit_code() == kExitInput);
    }
  }
  // A multiway tree: more binary nodes than the three a single split would need.
  CHECK(fits > 3);
  limits::reload("");
}
