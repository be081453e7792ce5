#include "formats/registry.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "formats/onnx/onnx.hpp"
#include "formats/pmml/pmml.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/serial/rds_reader.hpp"
#include "formats/r/serial/rjson_reader.hpp"
#include "formats/r/exporters/export.hpp"
#include "formats/r/serial/rds_writer.hpp"
#include "formats/r/serial/rjson_writer.hpp"

namespace mb::formats {

const char* format_name(Format f) {
  switch (f) {
    case Format::Rds: return "rds";
    case Format::RJson: return "rjson";
    case Format::Pmml: return "pmml";
    case Format::Onnx: return "onnx";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view n) {
  if (n == "rds") return Format::Rds;
  if (n == "rjson" || n == "json") return Format::RJson;
  if (n == "pmml" || n == "xml") return Format::Pmml;
  if (n == "onnx") return Format::Onnx;
  return std::nullopt;
}

std::string supported_formats() { return "rds, rjson, pmml, onnx"; }

namespace {
bool ends_with(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  return true;
}
}  // namespace

std::optional<Format> detect(std::string_view head, const std::string& path) {
  if (r::looks_like_rds(head)) return Format::Rds;
  if (r::looks_like_rjson(head)) return Format::RJson;
  if (pmml::sniff(head)) return Format::Pmml;
  if (onnxfmt::sniff(head)) return Format::Onnx;
  if (ends_with(path, ".rds")) return Format::Rds;
  if (ends_with(path, ".json")) return Format::RJson;
  if (ends_with(path, ".pmml") || ends_with(path, ".xml")) return Format::Pmml;
  if (ends_with(path, ".onnx")) return Format::Onnx;
  return std::nullopt;
}

std::string read_file(const std::string& path) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return s;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "", fmt::format("cannot open: {}", std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path, "", "read error");
  return std::move(ss).str();
}

ir::Model read_model(const std::string& bytes, const std::string& path, std::optional<Format> from,
                     const ReadOptions& options) {
  if (bytes.empty()) throw Error(path, "", "empty file: expected a model (" + supported_formats() + ")");
  std::optional<Format> f = from ? from : detect(std::string_view(bytes).substr(0, 4096), path);
  if (!f)
    throw Error(path, "", "cannot tell the model format from the content or the extension; "
                          "use --from with one of: " + supported_formats());
  ir::Model m;
  switch (*f) {
    case Format::Rds:
    case Format::RJson: {
      Warnings reader;  // the JSON reader's (precision of the text); the importer's are in the model
      r::RPtr root = *f == Format::Rds ? r::read_rds(bytes, path) : r::read_rjson(bytes, path, reader);
      r::ImportHints hints;
      hints.levels = options.levels;
      hints.lambda = options.lambda;
      Warnings imported;
      m = r::import_model(*root, path, imported, hints);
      m.provenance.r_object = root;
      m.provenance.warnings.insert(m.provenance.warnings.begin(), reader.begin(), reader.end());
      break;
    }
    case Format::Pmml:
    case Format::Onnx:
      if (!options.empty())
        throw Error(path, "", fmt::format("{} applies to R objects only (glmnet/cv.glmnet, randomForest, ranger, svm); "
                                          "this is a {} file",
                                          options.lambda.empty() ? "--levels" : "--lambda", format_name(*f)),
                    kExitInput);
      m = *f == Format::Pmml ? pmml::read(bytes, path) : onnxfmt::read(bytes, path);
      break;
  }
  m.provenance.format = format_name(*f);
  return m;
}

bool can_write(Format) { return true; }

std::string write_model(const ir::Model& m, Format to, const WriteOptions& opts, Warnings& warnings) {
  switch (to) {
    case Format::Pmml:
      if (opts.precision == ir::Precision::Float32)
        warnings.push_back({"precision-ignored", "PMML is written in double precision; --precision float applies to ONNX only"});
      return pmml::write(m, warnings);
    case Format::Onnx: {
      onnxfmt::WriteOptions o;
      o.precision = opts.precision;
      o.trees = opts.onnx_trees_ml5 ? onnxfmt::OnnxTrees::Ml5 : onnxfmt::OnnxTrees::Core;
      return onnxfmt::write(m, o, warnings);
    }
    case Format::Rds:
    case Format::RJson: {
      if (opts.precision == ir::Precision::Float32)
        warnings.push_back({"precision-ignored", "R objects hold doubles; --precision float applies to ONNX only"});
      // An R object read from R is written back as it was; any other model becomes the
      // standard R class that holds it.
      r::RPtr obj;
      if (m.provenance.r_object) obj = std::const_pointer_cast<r::RObject>(m.provenance.r_object);
      else obj = r::export_model(m, warnings);
      if (to == Format::RJson) return r::write_rjson(*obj);
      r::RdsWriteOptions o;
      if (opts.rds_version != 2 && opts.rds_version != 3)
        throw Error("", "", fmt::format("--rds-version {}: R writes serialization versions 2 and 3", opts.rds_version));
      o.version = opts.rds_version;
      if (!r::parse_rds_compression(opts.rds_compression, o.compression))
        throw Error("", "", "--compress " + opts.rds_compression + ": expected gzip, bzip2, xz or none");
      return r::write_rds(*obj, o);
    }
  }
  return {};
}

}  // namespace mb::formats
