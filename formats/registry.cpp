#include "formats/registry.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "formats/onnx/onnx.hpp"
#include "formats/pmml/pmml.hpp"
#include "formats/r/exporters/export.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/serial/rds_reader.hpp"
#include "formats/r/serial/rds_writer.hpp"
#include "formats/r/serial/rjson_reader.hpp"
#include "formats/r/serial/rjson_writer.hpp"
#include "lib/util/errors.hpp"

namespace mb::formats {
namespace {

// An R object (from .rds or jsonlite JSON) through the importer of its class.  `reader` holds
// the serialization reader's warnings (precision of the text); the importer's own are already
// in the model, so they are not added again.
ir::Model import_r(r::RPtr root, const std::string& path, const Warnings& reader, const ReadOptions& options) {
  r::ImportHints hints;
  hints.levels = options.levels;
  hints.lambda = options.lambda;
  hints.nb_threshold = options.nb_threshold;
  hints.n_trees = options.n_trees;
  Warnings imported;
  ir::Model m = r::import_model(*root, path, imported, hints);
  m.provenance.r_object = root;  // R output writes it back unchanged
  m.provenance.warnings.insert(m.provenance.warnings.begin(), reader.begin(), reader.end());
  return m;
}

ir::Model read_rds(const std::string& bytes, const std::string& path, const ReadOptions& options) {
  return import_r(r::read_rds(bytes, path), path, {}, options);
}

ir::Model read_rjson(const std::string& bytes, const std::string& path, const ReadOptions& options) {
  Warnings w;
  r::RPtr root = r::read_rjson(bytes, path, w);
  return import_r(std::move(root), path, w, options);
}

// Hints exist for R objects only; given with another format they are a usage error.
void refuse_hints(const ReadOptions& options, const std::string& path, const char* format) {
  if (!options.empty())
    throw Error(path, "",
                fmt::format("{} applies to R objects only (glmnet/cv.glmnet, randomForest, ranger, svm, "
                            "naiveBayes, gbm); this is a {} file",
                            !options.lambda.empty()    ? "--lambda"
                            : options.nb_threshold     ? "--nb-threshold"
                            : !options.n_trees.empty() ? "--n-trees"
                                                       : "--levels",
                            format),
                kExitInput);
}

ir::Model read_pmml(const std::string& bytes, const std::string& path, const ReadOptions& options) {
  refuse_hints(options, path, "pmml");
  return pmml::read(bytes, path);
}

ir::Model read_onnx(const std::string& bytes, const std::string& path, const ReadOptions& options) {
  refuse_hints(options, path, "onnx");
  return onnxfmt::read(bytes, path);
}

std::string write_pmml(const ir::Model& m, const WriteOptions& opts, Warnings& warnings) {
  if (opts.precision == ir::Precision::Float32)
    warnings.push_back(
        {"precision-ignored", "PMML is written in double precision; --precision float applies to ONNX only"});
  return pmml::write(m, warnings);
}

std::string write_onnx(const ir::Model& m, const WriteOptions& opts, Warnings& warnings) {
  onnxfmt::WriteOptions o;
  o.precision = opts.precision;
  o.trees = opts.onnx_trees_ml5 ? onnxfmt::OnnxTrees::Ml5 : onnxfmt::OnnxTrees::Core;
  return onnxfmt::write(m, o, warnings);
}

// R output: a model read from R is written back as the R object it was read from; any other
// model becomes the standard R class that holds it (formats/r/exporters).
r::RPtr r_object_for(const ir::Model& m, const WriteOptions& opts, Warnings& warnings) {
  if (opts.precision == ir::Precision::Float32)
    warnings.push_back({"precision-ignored", "R objects hold doubles; --precision float applies to ONNX only"});
  if (m.provenance.r_object) return std::const_pointer_cast<r::RObject>(m.provenance.r_object);
  return r::export_model(m, warnings);
}

std::string write_rds(const ir::Model& m, const WriteOptions& opts, Warnings& warnings) {
  r::RdsWriteOptions o;
  if (opts.rds_version != 2 && opts.rds_version != 3)
    throw Error("", "", fmt::format("--rds-version {}: R writes serialization versions 2 and 3", opts.rds_version));
  o.version = opts.rds_version;
  if (!r::parse_rds_compression(opts.rds_compression, o.compression))
    throw Error("", "", "--compress " + opts.rds_compression + ": expected gzip, bzip2, xz or none");
  return r::write_rds(*r_object_for(m, opts, warnings), o);
}

std::string write_rjson(const ir::Model& m, const WriteOptions& opts, Warnings& warnings) {
  const r::RPtr obj = r_object_for(m, opts, warnings);
  // jsonlite's serializeJSON writes an environment without its contents: an R6 model object (a
  // LightGBM lgb.Booster) would come back empty.
  if (obj->type == r::RType::Environment) {
    const auto classes = obj->classes();
    throw Unsupported::by("", "", "the R JSON writer",
                          fmt::format("an R object that is an environment ('{}'): jsonlite writes environments "
                                      "without their contents; write .rds instead",
                                      classes.empty() ? std::string("environment") : classes[0]));
  }
  return r::write_rjson(*obj);
}

bool ends_with(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  return true;
}

std::string join_names(bool writable_only) {
  std::string s;
  for (const auto& f : format_table())
    if (!writable_only || f.write) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

}  // namespace

// Detection tries the entries' sniffers in this order, then their extensions.
const std::vector<FormatInfo>& format_table() {
  static const std::vector<FormatInfo> table = {
      {Format::Rds, "rds", {"r"}, {".rds"}, "R serialization (saveRDS)", r::looks_like_rds, read_rds, write_rds},
      {Format::RJson,
       "rjson",
       {"json"},
       {".json"},
       "an R object as jsonlite::serializeJSON writes it",
       r::looks_like_rjson,
       read_rjson,
       write_rjson},
      {Format::Pmml, "pmml", {"xml"}, {".pmml", ".xml"}, "DMG PMML", pmml::sniff, read_pmml, write_pmml},
      {Format::Onnx,
       "onnx",
       {},
       {".onnx"},
       "ONNX with the ai.onnx.ml operators",
       onnxfmt::sniff,
       read_onnx,
       write_onnx},
  };
  return table;
}

const FormatInfo& format_info(Format f) {
  for (const auto& i : format_table())
    if (i.id == f) return i;
  throw Error("", "", "internal: a format without an entry in the format table", kExitInternal);
}

const char* format_name(Format f) { return format_info(f).name; }

std::optional<Format> parse_format(std::string_view n) {
  for (const auto& f : format_table()) {
    if (n == f.name) return f.id;
    for (const char* a : f.aliases)
      if (n == a) return f.id;
  }
  return std::nullopt;
}

std::string supported_formats() { return join_names(false); }
std::string writable_formats() { return join_names(true); }
std::string known_extensions() {
  std::string s;
  for (const auto& f : format_table())
    for (const char* e : f.extensions) s += (s.empty() ? "" : ", ") + std::string(e);
  return s;
}
bool can_write(Format f) { return format_info(f).write != nullptr; }

std::optional<Format> detect_extension(const std::string& path) {
  for (const auto& f : format_table())
    for (const char* e : f.extensions)
      if (ends_with(path, e)) return f.id;
  return std::nullopt;
}

std::optional<Format> detect(std::string_view head, const std::string& path) {
  for (const auto& f : format_table())
    if (f.sniff(head)) return f.id;
  return detect_extension(path);
}

std::string read_file(const std::string& path) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return s;
  }
  // A regular file is read into a buffer of its size at once (a stream grown by doubling would
  // copy and touch twice the bytes: a 100-tree randomForest is a 22 MB file).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, "", fmt::format("cannot open: {}", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  std::string s;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) s.reserve(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (s.size() == used) s.resize(std::max<size_t>(used + 1, std::max(s.capacity(), size_t{1} << 16)));
    const ssize_t got = ::read(fd, s.data() + used, s.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(path, "", fmt::format("read error: {}", std::strerror(errno)));
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  s.resize(used);
  return s;
}

ir::Model read_model(const std::string& bytes, const std::string& path, std::optional<Format> from,
                     const ReadOptions& options) {
  if (bytes.empty()) throw Error(path, "", "empty file: expected a model (" + supported_formats() + ")");
  std::optional<Format> f = from ? from : detect(std::string_view(bytes).substr(0, 4096), path);
  if (!f)
    throw Error(path, "",
                "cannot tell the model format from the content or the extension; "
                "use --from with one of: " +
                    supported_formats());
  ir::Model m = format_info(*f).read(bytes, path, options);
  m.provenance.format = format_name(*f);
  return m;
}

ir::Model load_model(const std::string& path, std::optional<Format> from, const ReadOptions& options) {
  std::string bytes = read_file(path);
  if (!bytes.empty()) {
    const std::optional<Format> f = from ? from : detect(std::string_view(bytes).substr(0, 4096), path);
    if (f == Format::Rds) {
      ir::Model m = import_r(r::read_rds(std::move(bytes), path), path, {}, options);
      m.provenance.format = format_name(*f);
      return m;
    }
  }
  return read_model(bytes, path, from, options);
}

std::optional<ir::Model> held_by_format(const ir::Model& m, Format to) {
  if (to == Format::Pmml) return pmml::held_model(m);
  return std::nullopt;
}

std::string write_model(const ir::Model& m, Format to, const WriteOptions& opts, Warnings& warnings) {
  const FormatInfo& f = format_info(to);
  if (!f.write)
    throw Unsupported(
        "", "", fmt::format("unsupported output format {}: supported outputs are {}", f.name, writable_formats()));
  return f.write(m, opts, warnings);
}

}  // namespace mb::formats
