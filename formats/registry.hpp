// The explicit table of model formats: sniffing, reading and writing by format name.
#pragma once
#include <map>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "lib/ir/model.hpp"

namespace mb::formats {

enum class Format { Rds, RJson, Pmml, Onnx };

const char* format_name(Format f);                       // "rds", "rjson", "pmml", "onnx"
std::optional<Format> parse_format(std::string_view name);  // accepts also "json", "r"
std::string supported_formats();                          // "rds, rjson, pmml, onnx"

// Content first, then the file extension; `path` is used for the extension only.
std::optional<Format> detect(std::string_view head, const std::string& path);

struct WriteOptions {
  ir::Precision precision = ir::Precision::Double;
  bool onnx_trees_ml5 = false;  // ONNX: tree ensembles as one ai.onnx.ml opset-5 TreeEnsemble
  int rds_version = 3;                   // .rds: serialization format 2 or 3
  std::string rds_compression = "gzip";  // .rds: gzip, bzip2, xz or none
};

// Reads all of `path` ("-" = standard input).  Throws mb::Error naming the file on failure.
std::string read_file(const std::string& path);

// What a reader cannot find in some files and a user can supply (R importer hints: factor
// levels, glmnet's lambda as a number or as cv.glmnet's "lambda.min" / "lambda.1se").  A hint
// that the model read does not use is a usage error (exit 2), never silently ignored.
struct ReadOptions {
  std::map<std::string, std::vector<std::string>> levels;
  std::string lambda;  // empty: not given
  bool empty() const { return levels.empty() && lambda.empty(); }
};

// Reads a model from bytes already loaded.  `from` overrides detection.
ir::Model read_model(const std::string& bytes, const std::string& path, std::optional<Format> from,
                     const ReadOptions& options = {});
inline ir::Model load_model(const std::string& path, std::optional<Format> from, const ReadOptions& options = {}) {
  return read_model(read_file(path), path, from, options);
}

// Serializes a model; every information loss is appended to `warnings`.
std::string write_model(const ir::Model& m, Format to, const WriteOptions& opts, Warnings& warnings);
bool can_write(Format f);

}  // namespace mb::formats
