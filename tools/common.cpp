#include "tools/common.hpp"

#include <cstdlib>

#include "tools/commands.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "lib/eval/links.hpp"

namespace mb::cli {

std::string diagnostic(const Io& io, const char* kind) {
  if (!io.color) return fmt::format("modelbridge: {}: ", kind);
  const char* code = std::string_view(kind) == "warning" ? "1;33" : "1;31";
  return fmt::format("modelbridge: \033[{}m{}:\033[0m ", code, kind);
}

bool want_color(bool err_is_terminal) {
  const char* no = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return err_is_terminal && !(no && *no) && !(term && std::string_view(term) == "dumb");
}

std::optional<formats::Format> format_option(const std::string& value, const char* option) {
  if (value.empty()) return std::nullopt;
  auto f = formats::parse_format(value);
  if (!f)
    throw Error("", "",
                fmt::format("{} {}: unknown format; expected one of: {}", option, value, formats::supported_formats()));
  return f;
}

ir::Model load_model(const std::string& path, const std::string& from, const ImportOptions& import,
                     const char* option) {
  const auto format = format_option(from, option);
  std::error_code ec;
  if (path != "-" && std::filesystem::is_directory(path, ec)) throw Error(path, "", "is a directory, not a model file");
  return formats::load_model(path, format, read_options(import));
}

formats::ReadOptions read_options(const ImportOptions& import) {
  formats::ReadOptions ro;
  for (const auto& spec : import.levels) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw Error("", "", fmt::format("--levels {}: expected VARIABLE=LEVEL1,LEVEL2,...", spec));
    std::vector<std::string> levels;
    size_t start = eq + 1;
    while (true) {
      const auto comma = spec.find(',', start);
      levels.push_back(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    ro.levels[spec.substr(0, eq)] = std::move(levels);
  }
  ro.lambda = import.lambda;    // checked by the importer that uses it
  ro.n_trees = import.n_trees;  // likewise
  if (!import.nb_threshold.empty()) ro.nb_threshold = std::stod(import.nb_threshold);  // checked by CLI11
  return ro;
}

void check_output_path(const std::string& path) {
  std::error_code ec;
  if (path != "-" && !path.empty() && std::filesystem::is_directory(path, ec))
    throw Error(path, "", "cannot write: it is a directory");
}

void json_key_string(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void json_warnings(JsonWriter& w, const Warnings& warnings) {
  w.Key("warnings");
  w.StartArray();
  for (const auto& x : warnings) {
    w.StartObject();
    json_key_string(w, "code", x.code);
    json_key_string(w, "message", x.message);
    w.EndObject();
  }
  w.EndArray();
}

std::string family_text(const ir::Model& m) {
  if (!m.provenance.family.empty()) return m.provenance.family;
  std::string kind = ir::estimator_kind(m.estimator);
  if (auto* l = std::get_if<ir::Linear>(&m.estimator)) return fmt::format("linear ({} link)", eval::link_name(l->link));
  return kind;
}

std::string kind_text(ir::FieldKind k) {
  switch (k) {
    case ir::FieldKind::Continuous: return "continuous";
    case ir::FieldKind::Categorical: return "categorical";
    case ir::FieldKind::Ordinal: return "ordinal";
  }
  return "?";
}

}  // namespace mb::cli
