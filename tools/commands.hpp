// The subcommands.  A command is a library function: setup_X declares its options on a CLI11
// subcommand, binding them to an options struct (opening no files), then run_X(options, io) does
// the work and returns the exit code.  Errors are thrown as mb::Error and turned into messages
// by run_cli (tools/cli.hpp).  The list of commands is the table in tools/cli.cpp.
#pragma once
#include <string>
#include <vector>

#include "tools/common.hpp"

namespace CLI {
class App;
}

namespace mb::cli {

// --levels VAR=L1,L2,... (repeatable), --lambda S, --nb-threshold T and --n-trees N: what some R
// objects do not store.
struct ImportOptions {
  std::vector<std::string> levels;
  std::string lambda;
  std::string nb_threshold;  // empty: not given
  std::string n_trees;       // gbm: "all" or a number; empty: not given
};

struct ScoreOptions {
  ImportOptions import;
  std::string model, data = "-", output = "-", from;
  std::vector<std::string> keep;
  std::string expected;
  Tolerance tol;
  int threads = 0;    // 0: the number of cores
  int progress = -1;  // -1 auto (terminal), 0 off, 1 on
  bool link = false;
  bool no_header = false;  // --no-header: rows only (for merging parts: GNU parallel --pipe --header 1)
  bool json = false;       // --json: a JSON summary where the report goes
  std::string unseen;      // "", "error" or "na"
  char delimiter = ',';    // of DATA
};
void setup_score(CLI::App& app, ScoreOptions& o);
int run_score(const ScoreOptions& o, Io& io);

struct ConvertOptions {
  ImportOptions import;
  std::string input, output, from, to, data, expected;
  Tolerance tol;
  std::string precision = "double";
  std::string onnx_trees = "core";  // "core" or "ml5" (ONNX output, tree ensembles only)
  int rds_version = 0;              // .rds output: 2 or 3 (0: not given, 3)
  std::string compress;             // .rds output: gzip, bzip2, xz or none ("": not given, gzip)
  bool strict = false, force = false, json = false;
  std::string unseen;    // "", "error" or "na"
  char delimiter = ',';  // of --data
};
void setup_convert(CLI::App& app, ConvertOptions& o);
int run_convert(const ConvertOptions& o, Io& io);

struct InspectOptions {
  ImportOptions import;
  std::string model, from;
  bool json = false;
};
void setup_inspect(CLI::App& app, InspectOptions& o);
int run_inspect(const InspectOptions& o, Io& io);

struct HashOptions {
  ImportOptions import;
  std::vector<std::string> models;  // one or more; none with --check FILE
  std::string from, check;
  bool schema = false, json = false, canonical = false;
};
void setup_hash(CLI::App& app, HashOptions& o);
int run_hash(const HashOptions& o, Io& io);

struct DiffOptions {
  ImportOptions import;
  std::string a, b, from_a, from_b, data;
  Tolerance tol;
  bool json = false;
  std::string unseen;    // "", "error" or "na"
  char delimiter = ',';  // of --data
};
void setup_diff(CLI::App& app, DiffOptions& o);
int run_diff(const DiffOptions& o, Io& io);

}  // namespace mb::cli
