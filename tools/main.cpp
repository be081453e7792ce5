// modelbridge: move predictive models between R, PMML and ONNX and prove they still predict the
// same.  main parses the command line, runs one command, and is the only place that turns
// exceptions into messages and exit codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "tools/commands.hpp"

namespace {

using namespace mb;
using namespace mb::cli;

void add_import(CLI::App* c, ImportOptions& o) {
  c->add_option("--levels", o.levels,
                "VAR=L1,L2,...: levels of an R factor the object does not store (randomForest "
                "ordered factors, ranger, svm formulas); repeatable")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--lambda", o.lambda, "the penalty s a glmnet model predicts at: a number, or lambda.min / lambda.1se for cv.glmnet (default: the last lambda of a glmnet path, lambda.1se for cv.glmnet)");
}

void add_tolerance(CLI::App* c, Tolerance& t) {
  c->add_option("--rtol", t.rtol, "relative tolerance of the agreement rule (default 1e-9)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--atol", t.atol, "absolute tolerance of the agreement rule (default 1e-12)")
      ->check(CLI::NonNegativeNumber);
}

const char* kCommands[] = {"convert", "inspect", "diff", "hash", "score"};

// `modelbridge help CMD`: the manual page when man can show it, else the command's --help.
int show_help(CLI::App& app, const std::string& cmd) {
  if (cmd.empty()) {
    std::cout << app.help();
    return kExitOk;
  }
  CLI::App* sub = nullptr;
  try {
    sub = app.get_subcommand(cmd);
  } catch (const CLI::OptionNotFound&) {
    throw Error("", "", fmt::format("help {}: no such command; commands: convert, inspect, diff, hash, score", cmd));
  }
  const std::string page = "modelbridge-" + cmd;
  for (const std::string dir : {std::string(MB_MANDIR) + "/man1", std::string(MB_SOURCE_MANDIR)}) {
    const std::string path = dir + "/" + page + ".1";
    if (std::filesystem::exists(path) && isatty(STDOUT_FILENO) && std::system("command -v man >/dev/null 2>&1") == 0) {
      return std::system(("man -l '" + path + "'").c_str()) == 0 ? kExitOk : kExitInternal;
    }
  }
  std::cout << sub->help();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"modelbridge: move predictive models between R, PMML and ONNX, and prove that the "
               "moved model still predicts the same.\nFormats: rds, rjson, pmml, onnx.  "
               "Exit codes: 0 success/equivalent, 1 differ beyond tolerance, 2 bad input or "
               "unsupported, 3 internal error.",
               "modelbridge"};
  app.set_version_flag("--version", std::string("modelbridge ") + MB_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  ScoreOptions score;
  auto* s = app.add_subcommand("score", "score a CSV file with a model, streaming");
  s->add_option("MODEL", score.model, "model file (.rds, .json, .pmml, .onnx)")->required();
  s->add_option("DATA", score.data, "input CSV, or - for standard input (default -)");
  s->add_option("-o,--output", score.output, "output CSV, or - for standard output (default -)");
  s->add_option("--from", score.from, "model format: rds, rjson, pmml, onnx (default: detect)");
  add_import(s, score.import);
  s->add_option("--keep", score.keep, "input columns copied to the output first (comma-separated)")->delimiter(',');
  s->add_option("--expected", score.expected, "reference predictions CSV to compare with (exit 1 beyond tolerance)");
  add_tolerance(s, score.tol);
  s->add_option("--threads", score.threads, "worker threads for scoring (default 1)")->check(CLI::Range(1, 256));
  s->add_flag("--progress{1},--no-progress{0}", score.progress, "progress bar on standard error (default: when it is a terminal)");
  s->add_flag("--link", score.link, "GLMs: add the linear predictor as column `link`");
  s->add_option("--unseen", score.unseen, "unseen categorical level: error or na (default: the model's policy, normally error)")
      ->check(CLI::IsMember({"error", "na"}));

  ConvertOptions conv;
  auto* c = app.add_subcommand("convert", "convert a model to another format and cross-check its predictions");
  c->add_option("IN", conv.input, "source model file, or -")->required();
  c->add_option("OUT", conv.output, "converted model file, or - (then --to is required)")->required();
  c->add_option("--from", conv.from, "source format: rds, rjson, pmml, onnx (default: detect)");
  add_import(c, conv.import);
  c->add_option("--to", conv.to, "target format: pmml, onnx (default: from OUT's extension)");
  c->add_option("--data", conv.data, "CSV to score with both models and compare");
  c->add_option("--expected", conv.expected, "reference predictions CSV (with --data), e.g. R's own");
  add_tolerance(c, conv.tol);
  c->add_option("--precision", conv.precision, "ONNX arithmetic: double (default) or float")
      ->check(CLI::IsMember({"double", "float"}));
  c->add_option("--onnx-trees", conv.onnx_trees,
                "ONNX tree ensembles: core (default: ai.onnx core operators, or an ml-opset-3 operator with "
                "--precision float) or ml5 (one ai.onnx.ml opset-5 TreeEnsemble)")
      ->check(CLI::IsMember({"core", "ml5"}));
  c->add_flag("--strict", conv.strict, "treat every warning (information loss) as an error");
  c->add_flag("--force", conv.force, "write OUT even when predictions differ beyond tolerance");
  c->add_flag("--json", conv.json, "print the conversion report as JSON");
  c->add_option("--unseen", conv.unseen, "unseen categorical level in --data: error or na (default: the model's policy, normally error)")
      ->check(CLI::IsMember({"error", "na"}));

  InspectOptions insp;
  auto* i = app.add_subcommand("inspect", "describe what a model file holds");
  i->add_option("MODEL", insp.model, "model file, or -")->required();
  i->add_option("--from", insp.from, "model format (default: detect)");
  add_import(i, insp.import);
  i->add_flag("--json", insp.json, "print JSON");

  DiffOptions diff;
  auto* d = app.add_subcommand("diff", "compare two models structurally and, with --data, by predictions");
  d->add_option("A", diff.a, "first model file")->required();
  d->add_option("B", diff.b, "second model file")->required();
  d->add_option("--from-a", diff.from_a, "format of A (default: detect)");
  d->add_option("--from-b", diff.from_b, "format of B (default: detect)");
  add_import(d, diff.import);
  d->add_option("--data", diff.data, "CSV to score with both models");
  add_tolerance(d, diff.tol);
  d->add_flag("--json", diff.json, "print JSON");
  d->add_option("--unseen", diff.unseen, "unseen categorical level in --data: error or na (default: the model's policy, normally error)")
      ->check(CLI::IsMember({"error", "na"}));

  HashOptions hash;
  auto* h = app.add_subcommand("hash", "print the semantic hash of a model");
  h->add_option("MODEL", hash.model, "model file, or -")->required();
  h->add_option("--from", hash.from, "model format (default: detect)");
  add_import(h, hash.import);
  h->add_flag("--schema", hash.schema, "hash the interface (inputs and outputs) only");
  h->add_option("--check", hash.check, "expected hash; exit 1 when it differs");
  h->add_flag("--json", hash.json, "print JSON");
  h->add_flag("--canonical", hash.canonical, "print the canonical form that is hashed instead of the hash");

  std::string help_cmd;
  auto* hp = app.add_subcommand("help", "show help for a command");
  hp->add_option("COMMAND", help_cmd, "convert, inspect, diff, hash or score");

  if (argc > 1 && argv[1][0] != '-') {
    const std::string first = argv[1];
    bool known = first == "help";
    for (const char* c : kCommands) known |= first == c;
    if (!known) {
      std::cerr << "modelbridge: error: unknown command '" << first << "'; commands: convert, inspect, diff, hash, score, help\n";
      return kExitInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "modelbridge: error: " << e.what() << "\n";
    std::cerr << "Run 'modelbridge --help' or 'modelbridge help COMMAND' for usage.\n";
    return kExitInput;
  }

  Io io{std::cout, std::cerr, static_cast<bool>(isatty(STDERR_FILENO))};
  try {
    int rc = kExitOk;
    if (*s) rc = run_score(score, io);
    else if (*c) rc = run_convert(conv, io);
    else if (*i) rc = run_inspect(insp, io);
    else if (*d) rc = run_diff(diff, io);
    else if (*h) rc = run_hash(hash, io);
    else if (*hp) rc = show_help(app, help_cmd);
    std::cout.flush();
    return rc;
  } catch (const Error& e) {
    std::cout.flush();
    std::cerr << "modelbridge: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "modelbridge: error: out of memory\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "modelbridge: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
