// modelbridge inspect MODEL [--json]
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "lib/canon/canonical.hpp"
#include "lib/data/csv_writer.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace mb::cli {
namespace {

struct SizeFigure {
  std::string name;
  double value;
};

// Depth of a tree (root alone = 0).
int tree_depth(const ir::Tree& t) {
  std::function<int(int32_t)> d = [&](int32_t n) -> int {
    if (t.op[n] == ir::SplitOp::Leaf) return 0;
    return 1 + std::max(d(t.left[n]), d(t.right[n]));
  };
  return d(0);
}

std::vector<SizeFigure> size_figures(const ir::Model& m) {
  std::vector<SizeFigure> s;
  s.push_back({"inputs", static_cast<double>(m.schema.inputs.size())});
  s.push_back({"features", static_cast<double>(m.features.size())});
  s.push_back({"derived_fields", static_cast<double>(m.derived.size())});
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ir::Linear>) {
          s.push_back({"coefficients", static_cast<double>(e.coefficients.size() + e.intercepts.size())});
        } else if constexpr (std::is_same_v<T, ir::TreeEnsemble>) {
          size_t nodes = 0, leaves = 0;
          int depth = 0;
          for (const auto& t : e.trees) {
            nodes += t.op.size();
            leaves += std::count(t.op.begin(), t.op.end(), ir::SplitOp::Leaf);
            depth = std::max(depth, tree_depth(t));
          }
          s.push_back({"trees", static_cast<double>(e.trees.size())});
          s.push_back({"nodes", static_cast<double>(nodes)});
          s.push_back({"leaves", static_cast<double>(leaves)});
          s.push_back({"max_depth", static_cast<double>(depth)});
        } else if constexpr (std::is_same_v<T, ir::Svm>) {
          s.push_back({"support_vectors", static_cast<double>(e.n_sv)});
        } else if constexpr (std::is_same_v<T, ir::Clustering>) {
          s.push_back({"clusters", static_cast<double>(e.k)});
        } else if constexpr (std::is_same_v<T, ir::Mlp>) {
          size_t weights = e.conn_weights.size();
          for (const auto& l : e.layers) weights += l.weights.size() + l.biases.size();
          if (!e.layers.empty()) s.push_back({"layers", static_cast<double>(e.layers.size())});
          s.push_back({"weights", static_cast<double>(weights)});
        } else if constexpr (std::is_same_v<T, ir::NaiveBayes>) {
          s.push_back({"classes", static_cast<double>(e.log_prior.size())});
        } else if constexpr (std::is_same_v<T, ir::Ensemble>) {
          // An ensemble's features are its members': member<i>_<figure> for each of them.
          s.push_back({"members", static_cast<double>(e.members.size())});
          for (size_t i = 0; i < e.members.size(); ++i)
            for (const auto& f : size_figures(ir::member_model(m, i)))
              if (f.name != "inputs" && f.name != "derived_fields")
                s.push_back({fmt::format("member{}_{}", i, f.name), f.value});
        }
      },
      m.estimator);
  return s;
}

// Precision of each parameter block: "double" or "float32".
std::vector<std::pair<std::string, std::string>> precision_blocks(const ir::Model& m) {
  auto name = [](ir::Precision p) { return std::string(p == ir::Precision::Float32 ? "float32" : "double"); };
  std::vector<std::pair<std::string, std::string>> b;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ir::TreeEnsemble>) {
          b.emplace_back("thresholds", name(e.threshold_precision));
          b.emplace_back("leaf_values", name(e.value_precision));
        } else if constexpr (std::is_same_v<T, ir::Ensemble>) {
          for (size_t i = 0; i < e.members.size(); ++i)
            for (const auto& [block, p] : precision_blocks(ir::member_model(m, i)))
              if (block != "inputs") b.emplace_back(fmt::format("member{}_{}", i, block), p);
        } else if constexpr (requires { e.precision; }) {
          b.emplace_back("parameters", name(e.precision));
        } else {
          b.emplace_back("parameters", "double");
        }
      },
      m.estimator);
  bool cast = false;
  for (const auto& in : m.schema.inputs) cast |= in.cast == ir::Precision::Float32;
  b.emplace_back("inputs", cast ? "float32" : "double");
  return b;
}

std::string precision_text(const ir::Model& m) {
  for (const auto& [block, p] : precision_blocks(m))
    if (p == "float32") return "float32";
  return "double";
}

// The reader's warnings, plus the caveats inspect itself can see: float32 parameters and a
// scoring policy that turns unseen levels into missing predictions.
Warnings inspect_warnings(const ir::Model& m) {
  Warnings w = m.provenance.warnings;
  auto has = [&](const std::string& code) {
    return std::any_of(w.begin(), w.end(), [&](const Warning& x) { return x.code == code; });
  };
  std::vector<std::string> narrow;
  for (const auto& [block, p] : precision_blocks(m))
    if (p == "float32") narrow.push_back(block == "leaf_values" ? "leaf values" : block);
  if (!narrow.empty() && !has("float32-parameters"))
    w.push_back(
        {"float32-parameters", fmt::format("{} held in float32: predictions follow float32 arithmetic, not R's doubles",
                                           fmt::join(narrow, ", "))});
  bool categorical = false;
  for (const auto& in : m.schema.inputs) categorical |= in.is_categorical();
  if (categorical && m.unseen == ir::UnseenLevel::Missing && !has("unseen-level-missing"))
    w.push_back({"unseen-level-missing", "an unseen categorical level gives a missing prediction instead of an error"});
  return w;
}

const char* task_text(ir::Task t) {
  switch (t) {
    case ir::Task::Regression: return "regression";
    case ir::Task::Classification: return "classification";
    case ir::Task::Clustering: return "clustering";
  }
  return "?";
}

}  // namespace

void setup_inspect(CLI::App& i, InspectOptions& o) {
  i.add_option("MODEL", o.model, "model file, or -")->required()->option_text("FILE");
  i.add_option("--from", o.from, fmt::format("model format: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  add_import(i, o.import);
  i.add_flag("--json", o.json, "print JSON");
}

int run_inspect(const InspectOptions& o, Io& io) {
  const ir::Model m = load_model(o.model, o.from, o.import);
  const auto& p = m.provenance;
  const auto outputs = data::prediction_columns(m.schema.target, false);
  const auto sizes = size_figures(m);
  const std::string hash = canon::model_hash(m), schema_hash = canon::schema_hash(m);
  const Warnings warnings = inspect_warnings(m);
  if (o.json) {
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    json_key_string(w, "schema", kJsonSchema);
    json_key_string(w, "file", o.model);
    json_key_string(w, "format", p.format);
    json_key_string(w, "format_version", p.format_version);
    json_key_string(w, "producer", p.producer);
    json_key_string(w, "source_class", p.source_class);
    json_key_string(w, "family", family_text(m));
    json_key_string(w, "estimator", ir::estimator_kind(m.estimator));
    json_key_string(w, "task", task_text(m.schema.target.task));
    json_key_string(w, "target", m.schema.target.name);
    w.Key("inputs");
    w.StartArray();
    for (const auto& in : m.schema.inputs) {
      w.StartObject();
      json_key_string(w, "name", in.name);
      json_key_string(w, "type", kind_text(in.kind));
      if (in.is_categorical()) {
        w.Key("levels");
        w.StartArray();
        for (const auto& l : in.levels) w.String(l.c_str(), static_cast<rapidjson::SizeType>(l.size()));
        w.EndArray();
        if (in.open) {  // any label is valid; those not listed are the last level
          w.Key("open");
          w.Bool(true);
        }
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("classes");
    w.StartArray();
    for (const auto& c : m.schema.target.classes) w.String(c.c_str(), static_cast<rapidjson::SizeType>(c.size()));
    w.EndArray();
    w.Key("outputs");
    w.StartArray();
    for (const auto& c : outputs) w.String(c.c_str());
    w.EndArray();
    w.Key("preprocessing");
    w.StartArray();
    for (const auto& s : p.preprocessing) w.String(s.c_str());
    w.EndArray();
    w.Key("size");
    w.StartObject();
    for (const auto& s : sizes) {
      w.Key(s.name.c_str());
      w.Int64(static_cast<int64_t>(s.value));
    }
    w.EndObject();
    json_key_string(w, "precision", precision_text(m));
    w.Key("precision_detail");
    w.StartObject();
    for (const auto& [block, prec] : precision_blocks(m)) json_key_string(w, block.c_str(), prec);
    w.EndObject();
    if (const auto* e = std::get_if<ir::Ensemble>(&m.estimator)) {
      w.Key("ensemble");
      w.StartObject();
      json_key_string(w, "combine", ir::combine_name(e->combine));
      w.Key("members");
      w.StartArray();
      for (const auto& mem : e->members) {
        w.StartObject();
        json_key_string(w, "estimator", ir::estimator_kind(mem.estimator));
        w.Key("weight");
        w.Double(mem.weight);
        w.Key("features");
        w.Int64(static_cast<int64_t>(mem.features.size()));
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    json_key_string(w, "unseen_levels", m.unseen == ir::UnseenLevel::Error ? "error" : "missing");
    json_warnings(w, warnings);
    json_key_string(w, "hash", hash);
    json_key_string(w, "schema_hash", schema_hash);
    w.EndObject();
    io.out << sb.GetString() << "\n";
    return kExitOk;
  }
  auto& out = io.out;
  out << fmt::format("file:          {}\n", o.model);
  out << fmt::format("format:        {}{}\n", p.format, p.format_version.empty() ? "" : " " + p.format_version);
  if (!p.producer.empty()) out << fmt::format("producer:      {}\n", p.producer);
  if (!p.source_class.empty()) out << fmt::format("source class:  {}\n", p.source_class);
  out << fmt::format("family:        {}\n", family_text(m));
  out << fmt::format("task:          {}{}\n", task_text(m.schema.target.task),
                     m.schema.target.name.empty() ? "" : " of " + m.schema.target.name);
  out << fmt::format("inputs ({}):\n", m.schema.inputs.size());
  for (const auto& in : m.schema.inputs) {
    out << fmt::format("  {:<20} {}", in.name, kind_text(in.kind));
    if (in.is_categorical()) out << fmt::format(" [{}]", fmt::join(in.levels, ", "));
    if (in.open) out << fmt::format(" (open: any other label is '{}')", in.levels.back());
    out << "\n";
  }
  out << fmt::format("outputs:       {}\n", fmt::join(outputs, ", "));
  if (!p.preprocessing.empty()) {
    out << "preprocessing:\n";
    for (const auto& s : p.preprocessing) out << "  " << s << "\n";
  }
  out << "size:         ";
  for (const auto& s : sizes) out << fmt::format(" {}={}", s.name, static_cast<int64_t>(s.value));
  out << "\n";
  if (const auto* e = std::get_if<ir::Ensemble>(&m.estimator)) {
    out << fmt::format("members ({}, combined by {}):\n", e->members.size(), ir::combine_name(e->combine));
    for (size_t i = 0; i < e->members.size(); ++i)
      out << fmt::format("  {:<3} {:<14} weight {}  features {}\n", i, ir::estimator_kind(e->members[i].estimator),
                         e->members[i].weight, e->members[i].features.size());
  }
  out << fmt::format("precision:     {}", precision_text(m));
  if (precision_text(m) != "double") {
    std::vector<std::string> parts;
    for (const auto& [block, prec] : precision_blocks(m)) parts.push_back(block + " " + prec);
    out << fmt::format(" ({})", fmt::join(parts, ", "));
  }
  out << "\n";
  out << fmt::format("unseen levels: {}\n", m.unseen == ir::UnseenLevel::Error ? "error" : "missing");
  if (warnings.empty()) {
    out << "warnings:      none\n";
  } else {
    out << fmt::format("warnings ({}):\n", warnings.size());
    for (const auto& x : warnings) out << fmt::format("  [{}] {}\n", x.code, x.message);
  }
  out << fmt::format("hash:          {}\n", hash);
  out << fmt::format("schema hash:   {}\n", schema_hash);
  return kExitOk;
}

}  // namespace mb::cli
