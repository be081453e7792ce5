// modelbridge convert IN OUT [--from F] [--to F] [--data CSV] [--expected CSV] ...
#include <fmt/format.h>
#include <unistd.h>

#include <optional>

#include "lib/canon/canonical.hpp"
#include "lib/compare/compare.hpp"
#include "lib/util/atomic_file.hpp"
#include "lib/util/errors.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"
#include "tools/scoring.hpp"

namespace mb::cli {
namespace {

formats::Format target_format(const ConvertOptions& o) {
  check_output_path(o.output);
  if (auto f = format_option(o.to, "--to")) return *f;
  if (o.output == "-")
    throw Error("", "", fmt::format("convert to standard output needs --to FORMAT ({})", formats::writable_formats()));
  auto f = formats::detect_extension(o.output);
  if (!f)
    throw Error(o.output, "",
                fmt::format("cannot tell the output format from the extension; use --to with one of: {}",
                            formats::writable_formats()));
  return *f;
}

struct Check {
  std::string name;  // "converted_vs_source", "source_vs_expected", "converted_vs_expected"
  compare::Report report;
};

}  // namespace

void setup_convert(CLI::App& c, ConvertOptions& o) {
  c.add_option("IN", o.input, "source model file, or -")->required()->option_text("FILE");
  c.add_option("OUT", o.output, "converted model file, or - (then --to is required; rds and onnx not to a terminal)")
      ->required()
      ->option_text("FILE");
  c.add_option("--from", o.from, fmt::format("source format: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  add_import(c, o.import);
  c.add_option("--to", o.to,
               fmt::format("target format: {} (default: from OUT's extension)", formats::writable_formats()))
      ->option_text("FORMAT");
  c.add_option("--data", o.data, "CSV to score with both models and compare")->option_text("FILE");
  c.add_option("--expected", o.expected, "reference predictions CSV (with --data), e.g. R's own")->option_text("FILE");
  add_tolerance(c, o.tol);
  c.add_option("--precision", o.precision, "ONNX arithmetic: double (default) or float")
      ->check(one_of({"double", "float"}))
      ->option_text("double|float");
  c.add_option("--onnx-trees", o.onnx_trees,
               "ONNX tree ensembles: core (default: ai.onnx core operators, or an ml-opset-3 operator with "
               "--precision float) or ml5 (one ai.onnx.ml opset-5 TreeEnsemble)")
      ->check(one_of({"core", "ml5"}))
      ->option_text("core|ml5");
  c.add_option("--rds-version", o.rds_version, ".rds output: serialization format 2 or 3 (default 3)")
      ->check(integer_in(2, 3))
      ->option_text("2|3");
  c.add_option("--compress", o.compress, ".rds output: gzip (default), bzip2, xz or none")
      ->check(one_of({"gzip", "bzip2", "xz", "none"}))
      ->option_text("gzip|bzip2|xz|none");
  c.add_flag("--strict", o.strict, "treat every warning (information loss) as an error");
  c.add_flag("--force", o.force, "write OUT even when predictions differ beyond tolerance");
  c.add_flag("--json", o.json, "print the conversion report as JSON");
  c.add_option("--unseen", o.unseen,
               "unseen categorical level in --data: error or na (default: the model's policy, normally error)")
      ->check(one_of({"error", "na"}))
      ->option_text("error|na");
  add_delimiter(c, o.delimiter);
}

int run_convert(const ConvertOptions& o, Io& io) {
  const auto to = target_format(o);
  // .rds and ONNX are binary: to a terminal they would only garble it.
  if (o.output == "-" && (to == formats::Format::Rds || to == formats::Format::Onnx) && io.out_fd >= 0 &&
      isatty(io.out_fd))
    throw Error("", "",
                fmt::format("refusing to write binary {} to a terminal; redirect standard output to a file or a "
                            "pipe, or give OUT a file name",
                            formats::format_name(to)));
  const bool ml5 = o.onnx_trees == "ml5";
  if (ml5 && to != formats::Format::Onnx)
    throw Error("", "", fmt::format("--onnx-trees ml5 applies to ONNX output only, not {}", formats::format_name(to)));
  if ((o.rds_version || !o.compress.empty()) && to != formats::Format::Rds)
    throw Error("", "",
                fmt::format("{} applies to .rds output only, not {}", o.rds_version ? "--rds-version" : "--compress",
                            formats::format_name(to)));
  if (!formats::can_write(to))
    throw Error(o.output, "",
                fmt::format("writing {} is unsupported; supported outputs: {}", formats::format_name(to),
                            formats::writable_formats()));
  if (!o.expected.empty() && o.data.empty()) throw Error("", "", "--expected needs --data (the rows it predicts)");

  // Fail on an unwritable output before any work; the temporary vanishes unless committed.
  std::optional<AtomicFile> file;
  if (o.output != "-") file.emplace(o.output, std::vector<std::string>{o.input, o.data, o.expected});
  ir::Model src = load_model(o.input, o.from, o.import);
  apply_unseen_option(src, o.unseen);
  if (ml5 && !std::holds_alternative<ir::TreeEnsemble>(src.estimator))
    throw Error(o.input, "",
                fmt::format("--onnx-trees ml5 applies to tree ensembles only, not to a {} model",
                            ir::estimator_kind(src.estimator)));
  Warnings warnings = src.provenance.warnings;
  formats::WriteOptions wo;
  wo.precision = o.precision == "float" ? ir::Precision::Float32 : ir::Precision::Double;
  wo.onnx_trees_ml5 = ml5;
  if (o.rds_version) wo.rds_version = o.rds_version;
  if (!o.compress.empty()) wo.rds_compression = o.compress;
  std::string bytes;
  try {
    bytes = formats::write_model(src, to, wo, warnings);
  } catch (const Unsupported& e) {
    // A writer refuses what its format cannot hold: name the model, and the writer unless the
    // refusal already names who refuses it.
    if (!e.who().empty()) throw e.with_file(o.input);
    throw Unsupported::by(e.file().empty() ? o.input : e.file(), e.place(),
                          fmt::format("the {} writer", formats::format_name(to)), e.message());
  } catch (const Error& e) {
    // Any other input error of a writer is a refusal too.
    if (e.exit_code() != kExitInput) throw;
    throw Unsupported::by(e.file().empty() ? o.input : e.file(), e.place(),
                          fmt::format("the {} writer", formats::format_name(to)), e.message());
  }
  // Everything below judges the bytes that will be written, read back as any consumer would.
  // An R object written back is the source's object: it needs the same reader hints.
  const bool r_out = to == formats::Format::Rds || to == formats::Format::RJson;
  ir::Model out = formats::read_model(
      bytes, o.output, to, r_out && src.provenance.r_object ? read_options(o.import) : formats::ReadOptions{});
  out.unseen = src.unseen;
  const std::string h_src = canon::model_hash(src), h_out = canon::model_hash(out);
  // What the output format holds of the source (the writer warned about the rest): the written
  // file is judged against it, and against reference predictions on the labels only.
  const std::optional<ir::Model> held = formats::held_by_format(src, to);

  std::vector<Check> checks;
  if (!o.data.empty()) {
    compare::CompareOptions co;
    co.tolerance = {o.tol.rtol, o.tol.atol};
    compare::PredictionsComparer vs_src(
        src.schema.target, false, o.output,
        held ? o.input + " (as " + std::string(formats::format_name(to)) + " holds it)" : o.input, co);
    std::unique_ptr<std::istream> ref_src, ref_out;
    std::optional<compare::ReferenceComparer> src_exp, out_exp;
    if (!o.expected.empty()) {
      ref_src = open_reference(o.expected);
      ref_out = open_reference(o.expected);
      src_exp.emplace(src.schema.target, false, *ref_src, o.expected, o.input, co);
      compare::CompareOptions co_out = co;
      co_out.labels_only = held.has_value();
      out_exp.emplace(out.schema.target, false, *ref_out, o.expected, o.output, co_out);
    }
    if (src.schema.target.classes != out.schema.target.classes || src.schema.target.task != out.schema.target.task)
      throw Error(o.output, "", "internal: the converted model predicts other classes than the source", kExitInternal);
    std::vector<const ir::Model*> models = {&src, &out};
    if (held) models.push_back(&*held);
    stream_score(
        o.data, models, false,
        [&](const data::TextBatch&, const std::vector<eval::Predictions>& p) {
          vs_src.add(p[1], p[held ? 2 : 0]);
          if (src_exp) {
            src_exp->add(p[0]);
            out_exp->add(p[1]);
          }
        },
        o.delimiter);
    if (wo.precision == ir::Precision::Float32)
      vs_src.builder().add_note(
          "the converted model computes in float32, as onnxruntime will; the differences below are what float32 costs");
    checks.push_back({"converted_vs_source", vs_src.finish()});
    if (src_exp) {
      checks.push_back({"source_vs_expected", src_exp->finish()});
      checks.push_back({"converted_vs_expected", out_exp->finish()});
    }
  }

  bool agree = true;
  for (const auto& c : checks) agree &= c.report.agrees();
  const bool strict_fail = o.strict && !warnings.empty();
  const bool write = !strict_fail && (agree || o.force);

  std::ostream& rep = o.output == "-" ? io.err : io.out;
  if (o.json) {  // asked for, so printed even with --quiet
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    json_key_string(w, "schema", kJsonSchema);
    json_key_string(w, "input", o.input);
    json_key_string(w, "output", o.output);
    json_key_string(w, "from", src.provenance.format);
    json_key_string(w, "to", formats::format_name(to));
    json_key_string(w, "family", family_text(src));
    json_key_string(w, "precision", o.precision);
    json_warnings(w, warnings);
    json_key_string(w, "hash_source", h_src);
    json_key_string(w, "hash_converted", h_out);
    w.Key("checks");
    w.StartObject();
    for (const auto& c : checks) {
      w.Key(c.name.c_str());
      const std::string j = compare::render_json(c.report, false);
      w.RawValue(j.c_str(), j.size(), rapidjson::kObjectType);
    }
    w.EndObject();
    w.Key("agree");
    w.Bool(agree);
    w.Key("written");
    w.Bool(write);
    w.EndObject();
    rep << sb.GetString() << "\n";
  } else if (!io.quiet) {
    rep << fmt::format("convert: {} ({}, {}) -> {} ({}, {})\n", o.input, src.provenance.format, family_text(src),
                       o.output, formats::format_name(to), o.precision);
    if (warnings.empty()) rep << "warnings: none\n";
    for (const auto& x : warnings) rep << fmt::format("warning: [{}] {}\n", x.code, x.message);
    rep << fmt::format("hash: source {}\n      output {}{}\n", h_src, h_out, h_src == h_out ? " (same)" : " (differs)");
    for (const auto& c : checks) {
      rep << fmt::format("check {}:\n", c.name);
      rep << compare::render_text(c.report);
    }
    if (checks.empty()) rep << "no cross-check: give --data (and --expected) to compare predictions\n";
  }

  if (strict_fail) {
    io.err << diagnostic(io, "error")
           << fmt::format("{}: {} warning(s) with --strict; {} not written\n", o.input, warnings.size(), o.output);
    return kExitInput;
  }
  if (write) {
    if (o.output == "-" && io.out_fd < 0) {
      io.out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    } else if (o.output == "-") {
      io.out.flush();
      const char* p = bytes.data();
      size_t left = bytes.size();
      while (left > 0) {
        ssize_t n = ::write(io.out_fd, p, left);
        if (n <= 0) throw Error("-", "", "write failed");
        p += n;
        left -= static_cast<size_t>(n);
      }
    } else {
      file->write(bytes);
      file->commit();
    }
  }
  if (!agree && !io.quiet) {
    io.err << fmt::format(
        "modelbridge: predictions differ beyond tolerance; {}\n",
        write ? o.output + " written anyway (--force)" : o.output + " not written (use --force to keep it)");
  }
  return agree ? kExitOk : kExitDiffer;
}

}  // namespace mb::cli
