// The table of formats (formats/registry): names, aliases, extensions, detection, readers and
// writers agree with each other, with the files in testdata, and with every place that lists
// formats for a reader: --help, messages and the manual pages.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "formats/registry.hpp"
#include "tools/cli.hpp"

using namespace mb;
using namespace mb::formats;

namespace {

const std::string kSource = MB_SOURCE_DIR;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> names(bool writable_only) {
  std::vector<std::string> v;
  for (const auto& f : format_table())
    if (!writable_only || f.write) v.push_back(f.name);
  return v;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The lines of a manual page, the roff source.
std::vector<std::string> page_lines(const std::string& page) {
  std::vector<std::string> v;
  std::istringstream in(slurp(kSource + "/man/" + page));
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

}  // namespace

TEST_CASE("names and aliases are unique and parse back to their format") {
  std::set<std::string> seen;
  for (const auto& f : format_table()) {
    CHECK_MESSAGE(seen.insert(f.name).second, f.name);
    CHECK(parse_format(f.name) == f.id);
    CHECK(std::string(format_name(f.id)) == f.name);
    CHECK(&format_info(f.id) == &f);
    for (const char* a : f.aliases) {
      CHECK_MESSAGE(seen.insert(a).second, a);
      CHECK(parse_format(a) == f.id);
    }
    CHECK(static_cast<bool>(f.sniff));
    CHECK(static_cast<bool>(f.read));
    CHECK(can_write(f.id) == (f.write != nullptr));
    CHECK(!f.extensions.empty());
  }
  CHECK(!parse_format("csv"));
  CHECK(supported_formats() == joined(names(false)));
  CHECK(writable_formats() == joined(names(true)));
}

TEST_CASE("every extension detects its format, in any case, and content wins over the name") {
  std::set<std::string> seen;
  for (const auto& f : format_table())
    for (const char* e : f.extensions) {
      CHECK_MESSAGE(seen.insert(e).second, e);
      CHECK(detect_extension(std::string("dir/model") + e) == f.id);
      std::string upper = e;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      CHECK(detect("", "MODEL" + upper) == f.id);
    }
  CHECK(!detect_extension("model.csv"));
  // Real files, renamed to an extension that says nothing: the sniffers alone decide.
  const std::vector<std::pair<std::string, Format>> files = {
      {"testdata/r/glm_logit_factor/model.rds", Format::Rds},
      {"testdata/r/glm_logit_factor/model_exact.json", Format::RJson},
      {"testdata/pmml/binary_logit_no_first.pmml", Format::Pmml},
      {"testdata/onnx/two_estimators.onnx", Format::Onnx},
  };
  for (const auto& file : files) {
    const auto& path = file.first;  // not a structured binding: clang 14 cannot capture one
    const auto want = file.second;
    const std::string bytes = slurp(kSource + "/" + path);
    CHECK_MESSAGE(detect(std::string_view(bytes).substr(0, 4096), "model.bin") == want, path);
    for (const auto& f : format_table())
      CHECK_MESSAGE(f.sniff(std::string_view(bytes).substr(0, 4096)) == (f.id == want), path, " sniffed by ", f.name);
  }
}

TEST_CASE("a read-only format refuses to write, naming the formats that can") {
  ir::Model m;
  Warnings w;
  for (const auto& f : format_table()) {
    if (f.write) continue;
    try {
      write_model(m, f.id, {}, w);
      FAIL("wrote ", f.name);
    } catch (const Error& e) {
      CHECK(e.exit_code() == kExitInput);
      CHECK(std::string(e.what()).find(writable_formats()) != std::string::npos);
    }
  }
}

TEST_CASE("--help lists the formats of the table") {
  std::ostringstream out, err;
  cli::Io io{out, err};
  REQUIRE(cli::run_cli({"--help"}, io) == 0);
  CHECK(out.str().find("Formats: " + supported_formats() + " (read); " + writable_formats() + " (write)") !=
        std::string::npos);
  for (const char* cmd : {"convert", "inspect", "diff", "hash", "score"}) {
    std::ostringstream o2, e2;
    cli::Io io2{o2, e2};
    REQUIRE(cli::run_cli({cmd, "--help"}, io2) == 0);
    CHECK_MESSAGE(o2.str().find(supported_formats() + " (default: detect)") != std::string::npos, cmd);
  }
}

TEST_CASE("the manual pages list the formats of the table") {
  // modelbridge(1), section FORMATS: one tagged paragraph (.TP / .B name) per format.
  const auto main_page = page_lines("modelbridge.1");
  std::vector<std::string> listed;
  bool in_formats = false;
  for (size_t i = 0; i < main_page.size(); ++i) {
    if (main_page[i].rfind(".SH", 0) == 0) in_formats = main_page[i] == ".SH FORMATS";
    if (in_formats && main_page[i] == ".TP" && i + 1 < main_page.size() && main_page[i + 1].rfind(".B ", 0) == 0)
      listed.push_back(main_page[i + 1].substr(3));
  }
  CHECK(listed == names(false));
  // Every --from / --from-a / --from-b names the readable formats, --to the writable ones.
  for (const auto& entry : std::filesystem::directory_iterator(kSource + "/man")) {
    const std::string page = entry.path().filename().string();
    const auto lines = page_lines(page);
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      if (lines[i].rfind(".BI \\-\\-from", 0) == 0)
        CHECK_MESSAGE(lines[i + 1].find(supported_formats()) != std::string::npos, page, ": ", lines[i + 1]);
      if (lines[i].rfind(".BI \\-\\-to ", 0) == 0)
        CHECK_MESSAGE(lines[i + 1].find("format: " + writable_formats() + " (") != std::string::npos, page, ": ",
                      lines[i + 1]);
    }
  }
}
