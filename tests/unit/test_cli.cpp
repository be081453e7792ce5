// The commands called as library functions (tools/cli.hpp): a whole command line through
// run_cli, and one command through its run function, with standard output and standard error
// captured in string streams.  Truth comes from outside the code: R's predictions
// (testdata/r/*/expected.csv) and the pinned hash table (testdata/hashes/hashes.tsv).
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <tuple>
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
  const Run two =
      invoke({"score", kCase + "/model.rds", "--keep", "education,age", "--keep", "parity", kCase + "/input.csv"});
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

namespace {
// input.csv of the case rewritten: `edit` changes each line.
std::string rewritten_input(const std::string& name, const std::function<std::string(const std::string&)>& edit) {
  const std::string path = std::string(MB_BUILD_DIR) + "/test_cli_" + name + ".csv";
  std::ofstream out(path, std::ios::binary);
  for (const auto& l : lines(slurp(kCase + "/input.csv"))) out << edit(l) << "\n";
  return path;
}
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}
}  // namespace

TEST_CASE("a quoted label is exact: spaces inside the quotes are part of it") {
  // "12+ yrs " is not a level of the model: an unseen level, never silently '12+ yrs'.
  const std::string quoted = rewritten_input(
      "quoted_space", [](const std::string& l) { return replace_all(l, "\"12+ yrs\"", "\"12+ yrs \""); });
  const Run r = invoke({"score", kCase + "/model.rds", quoted});
  CHECK(r.rc == kExitInput);
  CHECK_MESSAGE(r.err.find("level '12+ yrs ' was not seen in training") != std::string::npos, r.err);
  // Unquoted padding around a label is not part of it.
  const std::string padded =
      rewritten_input("padded", [](const std::string& l) { return replace_all(l, "\"12+ yrs\"", " 12+ yrs "); });
  const Run p = invoke({"score", kCase + "/model.rds", padded});
  const Run plain = invoke({"score", kCase + "/model.rds", kCase + "/input.csv"});
  CHECK_MESSAGE(p.rc == 0, p.err);
  CHECK(p.out == plain.out);
}

TEST_CASE("--delimiter reads ';' and tab separated data the same as commas") {
  const Run plain = invoke({"score", kCase + "/model.rds", kCase + "/input.csv", "--keep", "education"});
  REQUIRE(plain.rc == 0);
  // Not structured bindings: clang 14 (the sanitizer build) cannot capture them in a lambda.
  for (const auto& c : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"semicolon", ";", ";"}, {"tab", "\t", "tab"}, {"tab2", "\t", "\\t"}}) {
    const std::string &name = std::get<0>(c), &sep = std::get<1>(c), &arg = std::get<2>(c);
    const std::string path = rewritten_input(name, [&](const std::string& l) { return replace_all(l, ",", sep); });
    const Run r = invoke({"score", kCase + "/model.rds", path, "--keep", "education", "--delimiter", arg});
    CHECK_MESSAGE(r.rc == 0, r.err);
    CHECK(r.out == plain.out);
    if (name == "semicolon") {
      const Run without = invoke({"score", kCase + "/model.rds", path});
      CHECK(without.rc == kExitInput);
      CHECK_MESSAGE(without.err.find("use --delimiter ';'") != std::string::npos, without.err);
      const Run diff =
          invoke({"diff", kCase + "/model.rds", kCase + "/model_exact.json", "--data", path, "--delimiter", ";"});
      CHECK_MESSAGE(diff.rc == 0, diff.err);
      CHECK(diff.out.find("compared 65 rows") != std::string::npos);
    }
  }
  const Run bad = invoke({"score", kCase + "/model.rds", "--delimiter", "ab"});
  CHECK(bad.rc == kExitInput);
  CHECK(bad.err.find("--delimiter: expects one character or tab, not 'ab'") != std::string::npos);
}

TEST_CASE("hash: a pinned value with CRLF or blanks, several files, --check FILE like sha256sum -c") {
  const std::string pinned = pinned_hash("r/glm_logit_factor", "model.rds");
  const std::string rds = kCase + "/model.rds", json = kCase + "/model.json";
  for (const std::string& v : {pinned + "\r\n", pinned + " ", " " + pinned + "\r"}) {
    const Run r = invoke({"hash", rds, "--check", v});
    CHECK_MESSAGE(r.rc == 0, r.err);
  }
  const Run bad = invoke({"hash", rds, "--check", "nothex"});
  CHECK(bad.rc == kExitInput);
  CHECK(bad.err.find("expected sha256:<64 hex digits>") != std::string::npos);

  const Run several = invoke({"hash", rds, json});
  CHECK(several.rc == 0);
  CHECK(several.out ==
        pinned + "  " + rds + "\n" + pinned_hash("r/glm_logit_factor", "model.json") + "  " + json + "\n");

  // The listing verifies; a CRLF list (written on Windows) too.
  const std::string list = std::string(MB_BUILD_DIR) + "/test_cli_sums.txt";
  {
    std::ofstream f(list, std::ios::binary);
    f << replace_all(several.out, "\n", "\r\n");
  }
  const Run ok = invoke({"hash", "--check", list});
  CHECK_MESSAGE(ok.rc == 0, ok.err);
  CHECK(ok.out == rds + ": OK\n" + json + ": OK\n");
  {
    std::ofstream f(list, std::ios::binary);
    f << pinned << "  " << rds << "\n" << pinned << "  " << json << "\n";  // json has another hash
  }
  const Run fail = invoke({"hash", "--check", list});
  CHECK(fail.rc == kExitDiffer);
  CHECK(fail.out == rds + ": OK\n" + json + ": FAILED\n");
  CHECK(fail.err.find("1 of 2 hashes did not match") != std::string::npos);
  const Run none = invoke({"hash"});
  CHECK(none.rc == kExitInput);
}
