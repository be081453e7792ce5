// modelbridge diff A B [--data CSV] [--rtol R] [--atol A] [--json]
#include <fmt/format.h>

#include <optional>

#include "lib/canon/canonical.hpp"
#include "lib/compare/compare.hpp"
#include "lib/diff/structural.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"
#include "tools/scoring.hpp"

namespace mb::cli {

void setup_diff(CLI::App& d, DiffOptions& o) {
  d.add_option("A", o.a, "first model file")->required()->option_text("FILE");
  d.add_option("B", o.b, "second model file")->required()->option_text("FILE");
  d.add_option("--from-a", o.from_a, fmt::format("format of A: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  d.add_option("--from-b", o.from_b, fmt::format("format of B: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  add_import(d, o.import);
  d.add_option("--data", o.data, "CSV to score with both models")->option_text("FILE");
  add_tolerance(d, o.tol);
  d.add_flag("--json", o.json, "print JSON");
  d.add_option("--unseen", o.unseen,
               "unseen categorical level in --data: error or na (default: the model's policy, normally error)")
      ->check(one_of({"error", "na"}))
      ->option_text("error|na");
  add_delimiter(d, o.delimiter);
}

// Equivalent (exit 0): the canonical forms are identical, or, with --data, the interfaces are
// identical and every prediction agrees within tolerance.
int run_diff(const DiffOptions& o, Io& io) {
  ir::Model a = load_model(o.a, o.from_a, o.import, "--from-a");
  ir::Model b = load_model(o.b, o.from_b, o.import, "--from-b");
  apply_unseen_option(a, o.unseen);
  apply_unseen_option(b, o.unseen);
  const std::string ha = canon::model_hash(a), hb = canon::model_hash(b);
  const bool same_schema = canon::schema_hash(a) == canon::schema_hash(b);
  const auto changes = diff::structural_diff(a, b);

  std::optional<compare::Report> report;
  if (!o.data.empty()) {
    if (a.schema.target.task != b.schema.target.task || a.schema.target.classes != b.schema.target.classes)
      throw Error(o.b, "", "predicts other outputs than " + o.a + "; predictions cannot be compared row by row");
    compare::CompareOptions co;
    co.tolerance = {o.tol.rtol, o.tol.atol};
    co.ours_label = "B";
    co.reference_label = "A";
    compare::PredictionsComparer cmp(a.schema.target, false, o.b, o.a, co);
    stream_score(
        o.data, {&a, &b}, false,
        [&](const data::TextBatch&, const std::vector<eval::Predictions>& p) { cmp.add(p[1], p[0]); }, o.delimiter);
    report = cmp.finish();
  }
  const bool equivalent = ha == hb || (report && same_schema && report->agrees());

  if (o.json) {
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    json_key_string(w, "schema", kJsonSchema);
    json_key_string(w, "a", o.a);
    json_key_string(w, "b", o.b);
    json_key_string(w, "hash_a", ha);
    json_key_string(w, "hash_b", hb);
    w.Key("same_interface");
    w.Bool(same_schema);
    w.Key("changes");
    w.StartArray();
    for (const auto& c : changes) {
      w.StartObject();
      json_key_string(w, "kind", c.kind);
      json_key_string(w, "what", c.what);
      json_key_string(w, "a", c.a);
      json_key_string(w, "b", c.b);
      if (c.kind == "parameter-changed" && (c.abs != 0 || c.rel != 0)) {
        w.Key("abs");
        w.Double(c.abs);
        w.Key("rel");
        if (std::isfinite(c.rel)) w.Double(c.rel);
        else w.Null();
      }
      w.EndObject();
    }
    w.EndArray();
    if (report) {
      w.Key("predictions");
      const std::string j = compare::render_json(*report, false);
      w.RawValue(j.c_str(), j.size(), rapidjson::kObjectType);
    }
    w.Key("equivalent");
    w.Bool(equivalent);
    w.EndObject();
    io.out << sb.GetString() << "\n";
  } else if (!io.quiet) {
    io.out << fmt::format("A: {} ({}, {})\nB: {} ({}, {})\n", o.a, a.provenance.format, ha, o.b, b.provenance.format,
                          hb);
    if (changes.empty()) io.out << "structure: no differences\n";
    else io.out << fmt::format("structure: {} difference(s)\n", changes.size());
    for (const auto& c : changes) {
      io.out << fmt::format("  {:<18} {}", c.kind, c.what);
      if (!c.a.empty() || !c.b.empty())
        io.out << fmt::format(": {} -> {}", c.a.empty() ? "-" : c.a, c.b.empty() ? "-" : c.b);
      if (c.kind == "parameter-changed" && c.abs != 0) io.out << fmt::format(" (abs {:.3g}, rel {:.3g})", c.abs, c.rel);
      io.out << "\n";
    }
    if (report) io.out << "predictions:\n" << compare::render_text(*report);
    io.out << (equivalent ? "verdict: equivalent\n" : "verdict: different\n");
  }
  return equivalent ? kExitOk : kExitDiffer;
}

}  // namespace mb::cli
