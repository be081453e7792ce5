// The table of model formats: one entry per format says its name, the other names --from/--to
// accept, its file extensions, how its content is recognised, and its reader and writer.  Every
// list of formats (messages, --help, the manual pages, detection) derives from this table.
//
// Adding a writer to a format is one change: fill in `write` of its entry in registry.cpp.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/ir/model.hpp"

namespace mb::formats {

enum class Format { Rds, RJson, Pmml, Onnx };

struct WriteOptions {
  ir::Precision precision = ir::Precision::Double;
  bool onnx_trees_ml5 = false;           // ONNX: tree ensembles as one ai.onnx.ml opset-5 TreeEnsemble
  int rds_version = 3;                   // .rds: serialization format 2 or 3
  std::string rds_compression = "gzip";  // .rds: gzip, bzip2, xz or none
};

// What a reader cannot find in some files and a user can supply (R importer hints: factor
// levels, glmnet's lambda as a number or as cv.glmnet's "lambda.min" / "lambda.1se", naiveBayes's
// predict(threshold = T), gbm's n.trees).  A hint
// that the model read does not use is a usage error (exit 2), never silently ignored.
struct ReadOptions {
  std::map<std::string, std::vector<std::string>> levels;
  std::string lambda;                  // empty: not given
  std::optional<double> nb_threshold;  // naiveBayes: predict()'s threshold
  std::string n_trees;                 // gbm: "all" or a number; empty: predict()'s default
  bool empty() const { return levels.empty() && lambda.empty() && !nb_threshold && n_trees.empty(); }
};

struct FormatInfo {
  Format id;
  const char* name;                     // "rds": what messages and --from/--to use
  std::vector<const char*> aliases;     // other names --from/--to accept
  std::vector<const char*> extensions;  // lower case, with the dot: ".rds"
  const char* summary;                  // one line for help texts
  // Recognises the format from the first bytes of a file (at most 4096).
  bool (*sniff)(std::string_view head);
  // Reads a whole file; `path` names it in messages.
  ir::Model (*read)(const std::string& bytes, const std::string& path, const ReadOptions& options);
  // Serializes a model, appending every information loss to `warnings`; null when the format
  // is read only.
  std::string (*write)(const ir::Model& m, const WriteOptions& options, Warnings& warnings);
};

// Every format, in the order messages list them.
const std::vector<FormatInfo>& format_table();
const FormatInfo& format_info(Format f);

const char* format_name(Format f);                          // "rds", "rjson", "pmml", "onnx"
std::optional<Format> parse_format(std::string_view name);  // a name or an alias
std::string supported_formats();                            // "rds, rjson, pmml, onnx"
std::string writable_formats();                             // "pmml, onnx"
std::string known_extensions();                             // ".rds, .json, .pmml, .xml, .onnx"
bool can_write(Format f);

// Content first, then the file extension; `path` is used for the extension only.
std::optional<Format> detect(std::string_view head, const std::string& path);
// By the extension of `path` alone.
std::optional<Format> detect_extension(const std::string& path);

// Reads all of `path` ("-" = standard input).  Throws mb::Error naming the file on failure.
std::string read_file(const std::string& path);

// Reads a model from bytes already loaded.  `from` overrides detection.
ir::Model read_model(const std::string& bytes, const std::string& path, std::optional<Format> from,
                     const ReadOptions& options = {});
// read_file() then read_model(), with the file's bytes freed as soon as they are no longer
// needed (an .rds file once decompressed).
ir::Model load_model(const std::string& path, std::optional<Format> from, const ReadOptions& options = {});

// Serializes a model with the writer of `to`; a read-only format is a usage error naming the
// writable ones.
std::string write_model(const ir::Model& m, Format to, const WriteOptions& opts, Warnings& warnings);

// The model a file written in `to` from `m` predicts with, when the format holds only part of it
// (PMML keeps an SVM's pairwise votes, not libsvm's coupled probabilities); nullopt when the
// format holds all of it.  Conversions are judged against this model (and against reference
// predictions on the class labels only).
std::optional<ir::Model> held_by_format(const ir::Model& m, Format to);

}  // namespace mb::formats
