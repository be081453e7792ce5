// The commands called as library functions (tools/cli.hpp): a whole command line through
// run_cli, and one command through its run function, with standard output and standard error
// captured in string streams.  Truth comes from outside the code: R's predictions
// (testdata/r/*/expected.csv) and the pinned hash table (testdata/hashes/hashes.tsv).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/cli.hpp"
#include "tools/commands.hpp"

using namespace mb;
using namespace mb::cli;

namespace {

const std::string kCase = std::string(MB_SOURCE_DIR) + "/testdata/r/glm_logit_factor";

struct Run {
  int rc;
  std::string out, err;
};

Run invoke(std::vector<std::string> args, bool err_is_terminal = false) {
  std::ostringstream out, err;
  Io io{out, err, err_is_terminal};
  const int rc = run_cli(args, io);
  return {rc, out.str(), err.str()};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The pinned hash of `file` of testdata case `c` (r/NAME) from testdata/hashes/hashes.tsv.
std::string pinned_hash(const std::string& c, const std::string& file) {
  std::ifstream in(std::string(MB_SOURCE_DIR) + "/testdata/hashes/hashes.tsv");
  for (std::string l; std::getline(in, l);) {
    std::istringstream f(l);
    std::string a, b, h;
    if (std::getline(f, a, '\t') && std::getline(f, b, '\t') && std::getline(f, h) && a == c && b == file) return h;
  }
  return "";
}

}  // namespace

TEST_CASE("the command table lists every command once, and --help lists the table") {
  const auto& table = commands();
  REQUIRE(table.size() >= 6);
  const Run help = invoke({"--help"});
  CHECK(help.rc == 0);
  for (const auto& c : table) {
    int n = 0;
    for (const auto& d : table) n += std::string(c.name) == d.name;
    CHECK_MESSAGE(n == 1, c.name);
    CHECK_MESSAGE(help.out.find(std::string(c.name)) != std::string::npos, c.name);
    CHECK_MESSAGE(help.out.find(std::string(c.summary)) != std::string::npos, c.summary);
  }
}

TEST_CASE("an unknown command is a usage error that lists the commands of the table") {
  const Run r = invoke({"frobnicate", "x"});
  CHECK(r.rc == kExitInput);
  CHECK(r.out.empty());
  CHECK(r.err.find("unknown command 'frobnicate'") != std::string::npos);
  for (const auto& c : commands()) CHECK_MESSAGE(r.err.find(c.name) != std::string::npos, c.name);
}

TEST_CASE("hash through run_cli prints the pinned hash") {
  const std::string pinned = pinned_hash("r/glm_logit_factor", "model.rds");
  REQUIRE(pinned.rfind("sha256:", 0) == 0);
  const Run r = invoke({"hash", kCase + "/model.rds"});
  CHECK(r.rc == 0);
  CHECK(r.out == pinned + "\n");
  CHECK(r.err.empty());
  const Run bad = invoke({"hash", kCase + "/model.rds", "--check", "sha256:" + std::string(64, '0')});
  CHECK(bad.rc == kExitDiffer);
  CHECK(bad.err.find("hash mismatch") != std::string::npos);
}

TEST_CASE("score through run_cli writes R's predictions to the output stream") {
  const Run r = invoke({"score", kCase + "/model.rds", kCase + "/input.csv", "--expected", kCase + "/expected.csv"});
  CHECK(r.rc == 0);
  const auto out = lines(r.out), in = lines(slurp(kCase + "/input.csv"));
  REQUIRE(!out.empty());
  CHECK(out[0] == "class,probability(no case),probability(case)");
  CHECK(out.size() == in.size());  // one output row per input row, and the header
  // The agreement report goes to standard error when predictions go to standard output.
  CHECK(r.err.find("65") != std::string::npos);
}

TEST_CASE("a command called as a function: run_score with an options struct") {
  ScoreOptions o;
  o.model = kCase + "/model.rds";
  o.data = kCase + "/input.csv";
  o.expected = kCase + "/expected.csv";
  std::ostringstream out, err;
  Io io{out, err};
  CHECK(run_score(o, io) == kExitOk);
  const auto rows = lines(out.str());
  REQUIRE(rows.size() == 66);
  CHECK(rows[0] == "class,probability(no case),probability(case)");
  CHECK(rows[1].rfind("no case,", 0) == 0);
}

TEST_CASE("errors become one message line and exit 2, naming the file") {
  const Run r = invoke({"inspect", kCase + "/no-such-file.rds"});
  CHECK(r.rc == kExitInput);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("modelbridge: error: " + kCase + "/no-such-file.rds: cannot open", 0) == 0);
  const Run missing = invoke({"score"});
  CHECK(missing.rc == kExitInput);
  CHECK(missing.err.find("MODEL") != std::string::npos);
}

TEST_CASE("--help of every command shows plain value names, not CLI11's tags") {
  for (const auto& c : commands()) {
    const Run r = invoke({c.name, "--help"});
    CHECK(r.rc == 0);
    for (const char* tag : {"FLOAT", "INT", "TEXT", "NONNEGATIVE", "{1}", "{0}", ":{", "in [", "REQUIRED"})
      CHECK_MESSAGE(r.out.find(tag) == std::string::npos, c.name, " --help shows ", tag, ":\n", r.out);
  }
}

TEST_CASE("a word where a number belongs is named as such") {
  for (const char* opt : {"--rtol", "--atol"}) {
    const Run r = invoke({"score", kCase + "/model.rds", kCase + "/input.csv", opt, "abc"});
    CHECK(r.rc == kExitInput);
    CHECK_MESSAGE(r.err.find(std::string(opt) + ": expects a number, not 'abc'") != std::string::npos, r.err);
    CHECK(r.out.empty());
  }
  const Run neg = invoke({"score", kCase + "/model.rds", "--rtol", "-1"});
  CHECK(neg.err.find("expects a number >= 0") != std::string::npos);
  const Run t = invoke({"score", kCase + "/model.rds", "--threads", "many"});
  CHECK(t.err.find("--threads: expects a whole number, not 'many'") != std::string::npos);
}

TEST_CASE("--keep takes one value: the file after it is DATA") {
  const Run r = invoke({"score", kCase + "/model.rds", "--keep", "education", kCase + "/input.csv"});
  CHECK_MESSAGE(r.rc == 0, r.err);
  const auto out = lines(r.out);
  REQUIRE(out.size() == 66);
  CHECK(out[0] == "education,class,probability(no case),probability(case)");
  CHECK(out[1].rfind("6-11yrs,no case,", 0) == 0);
  const Run two = invoke({"score", kCase + "/model.rds", "--keep", "education,age", "--keep", "parity", kCase + "/input.csv"});
  CHECK(lines(two.out).at(0) == "education,age,parity,class,probability(no case),probability(case)");
}

TEST_CASE("help, help COMMAND and a bare modelbridge") {
  const Run overview = invoke({"help"});
  CHECK(overview.rc == 0);
  CHECK(overview.out.find("Usage: modelbridge [OPTIONS] SUBCOMMAND") != std::string::npos);
  for (const auto& c : commands()) CHECK_MESSAGE(overview.out.find(c.name) != std::string::npos, c.name);
  CHECK(overview.out.find("show help for a command\nUsage: modelbridge help") == std::string::npos);

  const Run score = invoke({"help", "score"});
  CHECK(score.rc == 0);
  CHECK(score.out.find("Usage: modelbridge score [OPTIONS] MODEL [DATA]") != std::string::npos);
  CHECK(score.out.find("--keep COLS") != std::string::npos);

  const Run bare = invoke({});
  CHECK(bare.rc == kExitInput);
  CHECK(bare.out.empty());
  CHECK(bare.err.find("Usage: modelbridge") != std::string::npos);
  CHECK(bare.err.find("convert") != std::string::npos);
  CHECK(bare.err.find("modelbridge: error") == std::string::npos);

  const Run nope = invoke({"help", "nope"});
  CHECK(nope.rc == kExitInput);
  CHECK(nope.err.find("help nope: no such command") != std::string::npos);
}
