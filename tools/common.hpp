// Shared pieces of the commands: I/O handles, option helpers, JSON output.
#pragma once
#include <iostream>
#include <optional>
#include <string>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "formats/registry.hpp"
#include "lib/ir/model.hpp"

namespace mb::cli {

// Where a command writes.  Tests pass string streams; main passes std::cout / std::cerr and
// out_fd = STDOUT_FILENO, through which bulk output (predictions, model bytes) bypasses the
// stream.  out_fd < 0 sends everything through `out`.
struct Io {
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;
  int out_fd = -1;
  bool color = false;  // colour the diagnostics prefix on `err` (a terminal, NO_COLOR unset)
  bool quiet = false;  // -q: no warnings, progress or reports; data, JSON and errors only
};

// "modelbridge: error: ", "modelbridge: warning: ": the prefix of a diagnostic line, coloured
// when io.color.
std::string diagnostic(const Io& io, const char* kind);

// Whether diagnostics are coloured: standard error is a terminal, NO_COLOR is unset or empty
// (https://no-color.org) and TERM is not "dumb".
bool want_color(bool err_is_terminal);

struct Tolerance {
  double rtol = 1e-9;
  double atol = 1e-12;
};

// --from / --to values: "" means detect.
std::optional<formats::Format> format_option(const std::string& value, const char* option);

// Reads a model file ("-" = standard input) in format `from` ("" = detect; `option` names the
// option for messages).  A directory is refused by name.
struct ImportOptions;
// Loads a model; `import` carries --levels / --lambda (hints for R objects that lack them).
ir::Model load_model(const std::string& path, const std::string& from, const ImportOptions& import,
                     const char* option = "--from");
// The reader hints --levels / --lambda as the registry takes them (usage error when malformed).
formats::ReadOptions read_options(const ImportOptions& import);

// Refuses an output path that is a directory, before any work is done.
void check_output_path(const std::string& path);

// JSON documents printed with --json carry this schema version.
constexpr const char* kJsonSchema = "modelbridge/1";
using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
void json_key_string(JsonWriter& w, const char* key, const std::string& value);
void json_warnings(JsonWriter& w, const Warnings& warnings);

// "linear", "glm binomial/logit", ...: the family line of inspect and reports.
std::string family_text(const ir::Model& m);
std::string kind_text(ir::FieldKind k);

}  // namespace mb::cli
