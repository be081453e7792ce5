// modelbridge hash MODEL [--schema] [--check HASH] [--json]
#include <fmt/format.h>

#include "lib/canon/canonical.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace mb::cli {

void setup_hash(CLI::App& h, HashOptions& o) {
  h.add_option("MODEL", o.model, "model file, or -")->required()->option_text("FILE");
  h.add_option("--from", o.from, fmt::format("model format: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  add_import(h, o.import);
  h.add_flag("--schema", o.schema, "hash the interface (inputs and outputs) only");
  h.add_option("--check", o.check, "expected hash; exit 1 when it differs")->option_text("HASH");
  h.add_flag("--json", o.json, "print JSON");
  h.add_flag("--canonical", o.canonical, "print the canonical form that is hashed instead of the hash");
}

int run_hash(const HashOptions& o, Io& io) {
  const ir::Model m = load_model(o.model, o.from, o.import);
  const std::string form = o.schema ? canon::schema_form(m) : canon::canonical_form(m);
  const std::string h = canon::sha256_hex(form);
  if (o.canonical) {
    io.out << form << "\n";
    return kExitOk;
  }
  const bool checked = !o.check.empty();
  const bool match = checked && o.check == h;
  if (checked && o.check.rfind("sha256:", 0) != 0)
    throw Error("", "", fmt::format("--check {}: expected sha256:<64 hex digits>", o.check));
  if (o.json) {
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    json_key_string(w, "schema", kJsonSchema);
    json_key_string(w, "file", o.model);
    json_key_string(w, "kind", o.schema ? "schema" : "model");
    json_key_string(w, "hash", h);
    if (checked) {
      json_key_string(w, "expected", o.check);
      w.Key("match");
      w.Bool(match);
    }
    w.EndObject();
    io.out << sb.GetString() << "\n";
  } else {
    io.out << h << "\n";
    if (checked && !match) io.err << fmt::format("modelbridge: hash mismatch: {} has {}, expected {}\n", o.model, h, o.check);
  }
  return checked && !match ? kExitDiffer : kExitOk;
}

}  // namespace mb::cli
