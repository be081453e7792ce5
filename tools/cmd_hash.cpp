// modelbridge hash MODEL... [--schema] [--check HASH] [--json];  modelbridge hash --check FILE
#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "lib/canon/canonical.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace mb::cli {

void setup_hash(CLI::App& h, HashOptions& o) {
  h.add_option("MODEL", o.models, "model files, or - (several: one 'HASH  FILE' line each)")->option_text("FILE...");
  h.add_option("--from", o.from, fmt::format("model format: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  add_import(h, o.import);
  h.add_flag("--schema", o.schema, "hash the interface (inputs and outputs) only");
  h.add_option("--check", o.check,
               "with MODEL: the expected hash, exit 1 when it differs; without: a file of 'HASH  FILE' lines "
               "(as hash prints for several files) to verify, like sha256sum -c")
      ->option_text("HASH|FILE");
  h.add_flag("--json", o.json, "print JSON");
  h.add_flag("--canonical", o.canonical, "print the canonical form that is hashed instead of the hash");
}

namespace {

// Blanks, CR and LF around a pinned value are not part of it (a value read from a CRLF file).
std::string trimmed(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

void check_hash_syntax(const std::string& value, const std::string& file, const std::string& place) {
  bool ok = value.size() == 71 && value.rfind("sha256:", 0) == 0;
  for (size_t i = 7; ok && i < value.size(); ++i) ok = std::isxdigit(static_cast<unsigned char>(value[i])) != 0;
  if (!ok) throw Error(file, place, fmt::format("'{}': expected sha256:<64 hex digits>", value));
}

std::string model_hash(const std::string& path, const HashOptions& o, std::string* form_out = nullptr) {
  const ir::Model m = load_model(path, o.from, o.import);
  if (o.schema) {
    const std::string form = canon::schema_form(m);
    if (form_out) *form_out = form;
    return canon::sha256_hex(form);
  }
  if (!form_out) return canon::model_hash(m);  // hashed as it is made: the text is never held
  *form_out = canon::canonical_form(m);
  return canon::sha256_hex(*form_out);
}

// --check FILE: every "HASH  FILE" line verified; "FILE: OK" or "FILE: FAILED" each.
int check_list(const HashOptions& o, Io& io) {
  std::ifstream in(o.check, std::ios::binary);
  if (!in) throw Error(o.check, "", fmt::format("cannot open: {}", std::strerror(errno)));
  struct Entry {
    std::string hash, file;
  };
  std::vector<Entry> entries;
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const std::string t = trimmed(line);
    if (t.empty() || t[0] == '#') continue;
    const size_t sp = t.find_first_of(" \t");
    if (sp == std::string::npos)
      throw Error(o.check, fmt::format("line {}", n), "expected 'sha256:<64 hex digits>  FILE'");
    Entry e{t.substr(0, sp), trimmed(t.substr(sp))};
    check_hash_syntax(e.hash, o.check, fmt::format("line {}", n));
    entries.push_back(std::move(e));
  }
  if (entries.empty()) throw Error(o.check, "", "no 'HASH  FILE' line to check");
  size_t failed = 0;
  for (const auto& e : entries) {
    const bool ok = model_hash(e.file, o) == e.hash;
    failed += !ok;
    if (!io.quiet || !ok) io.out << fmt::format("{}: {}\n", e.file, ok ? "OK" : "FAILED");
  }
  if (failed && !io.quiet)
    io.err << fmt::format("modelbridge: {} of {} hashes did not match\n", failed, entries.size());
  return failed ? kExitDiffer : kExitOk;
}

}  // namespace

int run_hash(const HashOptions& o, Io& io) {
  if (o.models.empty()) {
    if (o.check.empty()) throw Error("", "", "hash: give MODEL (one or more), or --check FILE");
    return check_list(o, io);
  }
  if (o.models.size() > 1) {
    if (!o.check.empty()) throw Error("", "", "--check HASH applies to one MODEL; for several use --check FILE alone");
    if (o.canonical || o.json) throw Error("", "", "--canonical and --json apply to one MODEL");
    for (const auto& path : o.models) io.out << fmt::format("{}  {}\n", model_hash(path, o), path);
    return kExitOk;
  }
  const std::string& model = o.models[0];
  std::string form;
  const std::string h = model_hash(model, o, o.canonical ? &form : nullptr);
  if (o.canonical) {
    io.out << form << "\n";
    return kExitOk;
  }
  const std::string expected = trimmed(o.check);
  const bool checked = !o.check.empty();
  if (checked) check_hash_syntax(expected, "", "--check");
  const bool match = checked && expected == h;
  if (o.json) {
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    json_key_string(w, "schema", kJsonSchema);
    json_key_string(w, "file", model);
    json_key_string(w, "kind", o.schema ? "schema" : "model");
    json_key_string(w, "hash", h);
    if (checked) {
      json_key_string(w, "expected", expected);
      w.Key("match");
      w.Bool(match);
    }
    w.EndObject();
    io.out << sb.GetString() << "\n";
  } else if (!(io.quiet && checked)) {  // with --check and -q the exit code says it all
    io.out << h << "\n";
    if (checked && !match)
      io.err << fmt::format("modelbridge: hash mismatch: {} has {}, expected {}\n", model, h, expected);
  }
  return checked && !match ? kExitDiffer : kExitOk;
}

}  // namespace mb::cli
