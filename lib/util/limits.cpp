#include "lib/util/limits.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <mutex>

#include "lib/util/error.hpp"

namespace mb::limits {
namespace {

constexpr const char* kEnv = "MODELBRIDGE_LIMITS";

std::array<uint64_t, static_cast<size_t>(Id::Count)> g_values{};
std::once_flag g_once;
bool g_loaded = false;

void set_defaults() {
  for (const auto& i : table()) g_values[static_cast<size_t>(i.id)] = i.default_value;
}

void load(std::string_view spec) {
  auto parsed = parse(spec);  // throws before anything changes
  set_defaults();
  for (auto [id, v] : parsed) g_values[static_cast<size_t>(id)] = v;
  g_loaded = true;
}

std::string with_unit(uint64_t v) {
  if (v >= (uint64_t{1} << 30) && v % (uint64_t{1} << 30) == 0) return std::to_string(v >> 30) + "G";
  if (v >= (uint64_t{1} << 20) && v % (uint64_t{1} << 20) == 0) return std::to_string(v >> 20) + "M";
  return std::to_string(v);
}

}  // namespace

const std::vector<Info>& table() {
  static const std::vector<Info> t = {
      {Id::DecompressedBytes, "decompressed-bytes", uint64_t{2} << 30,
       "bytes a compressed .rds file may decompress to"},
      {Id::DecompressionRatio, "decompression-ratio", 200,
       "decompressed size of an .rds over its compressed size (applies above 64 MiB)"},
      {Id::RdsDepth, "rds-depth", 10000, "nesting of objects in an .rds stream"},
      {Id::AltrepElements, "altrep-elements", uint64_t{1} << 24,
       "elements materialised from ALTREP compact sequences in one .rds file"},
      {Id::JsonDepth, "json-depth", 512, "nesting of R objects in a jsonlite file"},
      {Id::ExprDepth, "expr-depth", 5000, "depth of an R expression (formula or call) given as text"},
      {Id::XmlDepth, "xml-depth", 1000, "nesting of PMML elements"},
      {Id::GraphDepth, "graph-depth", 5000, "chain of ONNX graph nodes between an output and an input"},
      {Id::TreeNodes, "tree-nodes", 50'000'000,
       "binary nodes of all trees of a model after shared subtrees are copied"},
      {Id::TreeExpansion, "tree-expansion", 64,
       "binary nodes after copying shared subtrees over nodes as stored (applies above a million nodes)"},
      {Id::TreeDepth, "tree-depth", 4096, "depth of one decision tree"},
      {Id::PmmlTreeNodes, "pmml-tree-nodes", uint64_t{4} << 20,
       "binary nodes of one PMML tree once its multiway splits and compound predicates are made binary"},
      {Id::Columns, "columns", 100'000, "columns of a CSV file or of one ONNX input tensor"},
  };
  return t;
}

std::vector<std::pair<Id, uint64_t>> parse(std::string_view spec) {
  std::vector<std::pair<Id, uint64_t>> out;
  auto fail = [&](const std::string& msg) -> void { throw Error(kEnv, "", msg); };
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) fail("expected name=value, found '" + std::string(item) + "'");
    const std::string_view key = item.substr(0, eq), val = item.substr(eq + 1);
    const Info* info = nullptr;
    for (const auto& i : table())
      if (key == i.name) info = &i;
    if (!info) {
      std::string known;
      for (const auto& i : table()) known += (known.empty() ? "" : ", ") + std::string(i.name);
      fail("unknown limit '" + std::string(key) + "'; known limits: " + known);
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
    int shift = 0;
    if (ec == std::errc() && end + 1 == val.data() + val.size()) {
      switch (*end) {
        case 'K':
        case 'k':
          shift = 10;
          ++end;
          break;
        case 'M':
        case 'm':
          shift = 20;
          ++end;
          break;
        case 'G':
        case 'g':
          shift = 30;
          ++end;
          break;
        default: break;
      }
    }
    if (ec != std::errc() || end != val.data() + val.size() || val.empty() || (shift && v > (UINT64_MAX >> shift)))
      fail("limit " + std::string(key) + ": expected a non-negative integer (optionally with K, M or G), found '" +
           std::string(val) + "'");
    out.emplace_back(info->id, v << shift);
  }
  return out;
}

uint64_t get(Id id) {
  std::call_once(g_once, [] {
    if (g_loaded) return;
    const char* env = std::getenv(kEnv);
    set_defaults();
    if (env) load(env);
  });
  return g_values[static_cast<size_t>(id)];
}

const char* name(Id id) {
  for (const auto& i : table())
    if (i.id == id) return i.name;
  return "?";
}

std::string advice(Id id) {
  return "exceeds the limit " + std::string(name(id)) + " = " + with_unit(get(id)) + "; raise it with " + kEnv + "=" +
         name(id) + "=N";
}

void exceeded(Id id, const std::string& file, const std::string& place, const std::string& what) {
  throw LimitError(file, place, what + " " + advice(id));
}

void reload() {
  const char* env = std::getenv(kEnv);
  get(Id::RdsDepth);  // run the once-initialiser first
  if (env) load(env);
  else set_defaults();
}

void reload(std::string_view spec) {
  get(Id::RdsDepth);
  load(spec);
}

}  // namespace mb::limits
