// PMML document -> model IR: header, DataDictionary, MiningSchema, transformation scopes, then the
// model element (regression.cpp, general_regression.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "formats/pmml/families.hpp"
#include "formats/pmml/pmml.hpp"
#include "formats/pmml/reader_context.hpp"
#include "formats/pmml/tree.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/limits.hpp"

namespace mb::pmml {
namespace {

using namespace detail;

const char* const kModelElements[] = {"AnomalyDetectionModel",
                                      "AssociationModel",
                                      "BayesianNetworkModel",
                                      "BaselineModel",
                                      "ClusteringModel",
                                      "GaussianProcessModel",
                                      "GeneralRegressionModel",
                                      "MiningModel",
                                      "NaiveBayesModel",
                                      "NearestNeighborModel",
                                      "NeuralNetwork",
                                      "RegressionModel",
                                      "RuleSetModel",
                                      "SequenceModel",
                                      "Scorecard",
                                      "SupportVectorMachineModel",
                                      "TextModel",
                                      "TimeSeriesModel",
                                      "TreeModel"};

bool is_model_element(std::string_view n) {
  for (const char* m : kModelElements)
    if (n == m) return true;
  return false;
}

void add_level(std::vector<std::string>& levels, const std::string& v) {
  if (std::find(levels.begin(), levels.end(), v) == levels.end()) levels.push_back(v);
}

// Levels of categorical fields that the DataDictionary leaves open, gathered in document order
// from the places that name a value of the field.
class LevelScan {
 public:
  // An unnamed target is gathered under a key no field can have.
  static std::string key(const std::string& target) { return target.empty() ? std::string("\x01target") : target; }
  LevelScan(ReadContext& ctx, const std::string& target) : ctx_(ctx), target_(key(target)) {}
  std::map<std::string, std::vector<std::string>> found;

  void run(const pugi::xml_node& n) {
    for (auto c : n.children()) {
      if (c.type() != pugi::node_element) continue;
      visit(c);
      run(c);
    }
  }

 private:
  void note(const std::string& field, const std::string& value) {
    if (!field.empty()) add_level(found[field], value);
  }
  void visit(const pugi::xml_node& c) {
    const std::string_view name = local_name(c);
    if (name == "SimpleSetPredicate") {
      for (auto arr : children(c, "Array"))
        for (const auto& v : ctx_.loc.array(arr)) note(c.attribute("field").value(), v);
    } else if (name == "ScoreDistribution") {
      note(target_, c.attribute("value").value());
    } else if (name == "Node" && c.attribute("score")) {
      // A Node's score is a class label in classification trees only.
      for (auto p = c.parent(); p; p = p.parent()) {
        if (local_name(p) != "TreeModel") continue;
        if (std::string(p.attribute("functionName").value()) == "classification")
          note(target_, c.attribute("score").value());
        break;
      }
    } else if (name == "SimpleRule") {
      note(target_, c.attribute("score").value());
    } else if (name == "RuleSet" && c.attribute("defaultScore")) {
      note(target_, c.attribute("defaultScore").value());
    } else if (name == "NormDiscrete" || name == "SimplePredicate") {
      // isMissing and isNotMissing name no value: they add no level.
      if (c.attribute("value")) note(c.attribute("field").value(), c.attribute("value").value());
    } else if (name == "CategoricalPredictor") {
      std::string f = c.attribute("name").value();
      if (f.empty()) f = c.attribute("field").value();
      note(f, c.attribute("value").value());
    } else if (name == "PPCell") {
      note(c.attribute("predictorName").value(), c.attribute("value").value());
      if (c.attribute("targetCategory")) note(target_, c.attribute("targetCategory").value());
    } else if (name == "MapValues") {
      for (auto pair : children(c, "FieldColumnPair")) {
        const std::string column = pair.attribute("column").value();
        for (auto row : children(child(c, "InlineTable"), "row"))
          if (auto cell = child(row, column)) note(pair.attribute("field").value(), cell.text().get());
      }
    } else if (name == "Apply") {
      const std::string fn = c.attribute("function").value();
      if (fn == "equal" || fn == "notEqual" || fn == "isIn" || fn == "isNotIn") {
        auto args = elements(c);
        std::string field;
        for (auto a : args)
          if (is(a, "FieldRef")) field = a.attribute("field").value();
        for (auto a : args)
          if (is(a, "Constant")) note(field, a.text().get());
      }
    } else if (name == "MiningField") {
      if (c.attribute("missingValueReplacement"))
        note(c.attribute("name").value(), c.attribute("missingValueReplacement").value());
    } else if (name == "OutputField") {
      const std::string feature = c.attribute("feature").value();
      const std::string tf = c.attribute("targetField").value();
      if (feature == "probability" && c.attribute("value") && (tf.empty() || tf == target_))
        note(target_, c.attribute("value").value());
    } else if (name == "RegressionTable" || name == "PCell") {
      if (c.attribute("targetCategory")) note(target_, c.attribute("targetCategory").value());
    } else if (name == "GeneralRegressionModel") {
      if (c.attribute("targetReferenceCategory")) note(target_, c.attribute("targetReferenceCategory").value());
    } else if (name == "PairCounts") {
      note(c.parent().attribute("fieldName").value(), c.attribute("value").value());
    } else if (name == "TargetValueCount" || name == "TargetValueStat") {
      note(target_, c.attribute("value").value());
    } else if (name == "SupportVectorMachine") {
      for (const char* a : {"targetCategory", "alternateTargetCategory"})
        if (c.attribute(a)) note(target_, c.attribute(a).value());
    } else if (name == "TargetValue") {
      if (c.attribute("value")) note(target_, c.attribute("value").value());
    }
  }
  ReadContext& ctx_;
  std::string target_;
};

ir::FieldKind kind_of(const std::string& optype, const std::string& data_type) {
  if (optype == "categorical") return ir::FieldKind::Categorical;
  if (optype == "ordinal") return ir::FieldKind::Ordinal;
  if (optype.empty() && (data_type == "string" || data_type == "boolean")) return ir::FieldKind::Categorical;
  return ir::FieldKind::Continuous;
}

std::vector<std::string> valid_values(const pugi::xml_node& data_field) {
  std::vector<std::string> out;
  for (auto v : children(data_field, "Value")) {
    const std::string prop = v.attribute("property").value();
    if (prop.empty() || prop == "valid") add_level(out, v.attribute("value").value());
  }
  return out;
}

}  // namespace

bool sniff(std::string_view head) {
  head = head.substr(0, std::min<size_t>(head.size(), 8192));
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  size_t i = 0;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  if (i >= head.size() || head[i] != '<') return false;
  // The root element: skip the declaration, comments and processing instructions.
  while (i < head.size()) {
    const size_t lt = head.find('<', i);
    if (lt == std::string_view::npos) return false;
    if (head.substr(lt, 2) == "<?" || head.substr(lt, 2) == "<!") {
      const size_t end = head.substr(lt, 4) == "<!--" ? head.find("-->", lt) : head.find('>', lt);
      if (end == std::string_view::npos) return false;
      i = end + 1;
      continue;
    }
    size_t e = lt + 1;
    while (e < head.size() && !std::isspace(static_cast<unsigned char>(head[e])) && head[e] != '>' && head[e] != '/')
      ++e;
    std::string_view name = head.substr(lt + 1, e - lt - 1);
    const size_t colon = name.find(':');
    if (colon != std::string_view::npos) name = name.substr(colon + 1);
    return name == "PMML";
  }
  return false;
}

// The readers below recurse along the element tree (expressions, predicates, segments, tree
// nodes): the nesting is measured first, iteratively, against the xml-depth limit.
void check_depth(const pugi::xml_node& root, const Locator& loc) {
  const uint64_t limit = limits::get(limits::Id::XmlDepth);
  uint64_t depth = 1;
  pugi::xml_node n = root;
  for (;;) {
    pugi::xml_node c = n.first_child();
    while (c && c.type() != pugi::node_element) c = c.next_sibling();
    if (c) {
      n = c;
      if (++depth > limit)
        limits::exceeded(limits::Id::XmlDepth, loc.file(), fmt::format("line {}", loc.line_of(n.offset_debug())),
                         fmt::format("{} element at nesting depth {}", local_name(n), depth));
      continue;
    }
    // No child element: the next sibling element, else climb.
    for (;;) {
      if (n == root) return;
      pugi::xml_node s = n.next_sibling();
      while (s && s.type() != pugi::node_element) s = s.next_sibling();
      if (s) {
        n = s;
        break;
      }
      n = n.parent();
      --depth;
    }
  }
}

ir::Model read(std::string_view text, const std::string& file) {
  pugi::xml_document doc;
  Locator loc(text, file);
  const auto res = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_auto);
  if (!res)
    throw Error(file, fmt::format("line {}", loc.line_of(res.offset)),
                fmt::format("not well-formed XML: {}", res.description()));
  const pugi::xml_node root = doc.document_element();
  if (!root) throw Error(file, "line 1", "expected a PMML element, the document is empty");
  if (local_name(root) != "PMML")
    loc.fail(root, fmt::format("expected the root element PMML, found {}", local_name(root)));
  check_depth(root, loc);

  ir::Model model;
  ReadContext ctx(loc, model);
  auto& prov = model.provenance;
  prov.format = "pmml";
  prov.format_version = root.attribute("version").value();
  {
    auto v = parse_double(prov.format_version);
    if (!v) ctx.warn("pmml-no-version", "the PMML element has no version attribute; read as PMML 4.4");
    else if (*v < 3.0 || *v >= 5.0)
      loc.unsupported(root, fmt::format("unsupported PMML version '{}' (expected 3.0 to 4.4)", prov.format_version));
  }
  if (auto app = child(child(root, "Header"), "Application")) {
    prov.producer = app.attribute("name").value();
    if (*app.attribute("version").value()) prov.producer += std::string(" ") + app.attribute("version").value();
  }

  const auto dict = child(root, "DataDictionary");
  if (!dict) loc.fail(root, "expected a DataDictionary element");
  for (auto df : children(dict, "DataField")) {
    FieldInfo f;
    f.node = df;
    const std::string name = loc.attr(df, "name");
    if (ctx.fields.count(name)) loc.fail(df, fmt::format("field '{}' is defined twice", name));
    ctx.fields[name] = f;
  }

  pugi::xml_node model_node;
  for (auto c : elements(root)) {
    if (is_model_element(local_name(c))) {
      model_node = c;
      break;
    }
  }
  if (!model_node) loc.fail(root, "expected a model element (RegressionModel, GeneralRegressionModel, ...)");
  const std::string model_name(local_name(model_node));
  const bool is_tree = model_name == "TreeModel" || model_name == "MiningModel";
  // Families whose readers (families.hpp) read their own Targets.
  const bool is_family = model_name == "SupportVectorMachineModel" || model_name == "NeuralNetwork" ||
                         model_name == "NaiveBayesModel" || model_name == "ClusteringModel";
  if (model_name != "RegressionModel" && model_name != "GeneralRegressionModel" && model_name != "RuleSetModel" &&
      model_name != "Scorecard" && !is_tree && !is_family)
    loc.unsupported(model_node, fmt::format("unsupported PMML element {}", model_name));
  if (std::string(model_node.attribute("isScorable").value()) == "false")
    loc.fail(model_node, "the model is marked isScorable=\"false\"");
  prov.source_class = model_name;

  // MiningSchema: inputs (active fields) and the target.
  const auto ms = child(model_node, "MiningSchema");
  if (!ms) loc.fail(model_node, "expected a MiningSchema element");
  const std::string function = loc.attr(model_node, "functionName");
  if (function == "classification") model.schema.target.task = ir::Task::Classification;
  else if (function == "clustering" && (model_name == "ClusteringModel" || model_name == "MiningModel"))
    model.schema.target.task = ir::Task::Clustering;
  else if (function != "regression")
    loc.unsupported(model_node, fmt::format("unsupported functionName '{}'", function));
  pugi::xml_node target_df;
  std::vector<std::pair<int, pugi::xml_node>> replacement_fields;
  bool any_as_missing = false;
  for (auto mf : children(ms, "MiningField")) {
    const std::string name = loc.attr(mf, "name");
    auto it = ctx.fields.find(name);
    if (it == ctx.fields.end())
      loc.fail(mf, fmt::format("MiningField '{}' has no DataField in the DataDictionary", name));
    FieldInfo& f = it->second;
    const std::string usage = mf.attribute("usageType") ? mf.attribute("usageType").value() : "active";
    std::string optype = mf.attribute("optype").value();
    const pugi::xml_node optype_at = optype.empty() ? f.node : mf;
    if (optype.empty()) optype = f.node.attribute("optype").value();
    if (!optype.empty() && optype != "continuous" && optype != "categorical" && optype != "ordinal")
      loc.fail(optype_at,
               fmt::format("optype '{}' of field '{}' is not one of continuous, categorical, ordinal", optype, name));
    if (usage == "predicted" || usage == "target") {
      if (target_df) loc.unsupported(mf, "unsupported: more than one target field");
      target_df = f.node;
      f.kind = FieldInfo::Target;
      model.schema.target.name = name;
      continue;
    }
    if (usage != "active") continue;  // supplementary, weights, group, order: not model inputs
    ir::InputField in;
    in.name = name;
    in.kind = kind_of(optype, f.node.attribute("dataType").value());
    if (in.is_categorical()) in.levels = valid_values(f.node);
    if (std::string(f.node.attribute("dataType").value()) == "float") in.cast = ir::Precision::Float32;
    model.schema.inputs.push_back(in);
    f.kind = FieldInfo::Input;
    f.input = static_cast<int>(model.schema.inputs.size()) - 1;
    if (mf.attribute("missingValueReplacement")) replacement_fields.emplace_back(f.input, mf);
    const std::string invalid = mf.attribute("invalidValueTreatment").value();
    if (invalid == "asMissing") any_as_missing = true;
    const std::string outliers = mf.attribute("outliers").value();
    if (!outliers.empty() && outliers != "asIs")
      loc.unsupported(mf, fmt::format("unsupported outliers treatment '{}' on a MiningField", outliers));
    if (!children(f.node, "Interval").empty() && (invalid.empty() || invalid == "returnInvalid") &&
        !in.is_categorical())
      ctx.warn("pmml-interval-ignored", fmt::format("valid Interval of field '{}' is not enforced", name));
  }
  if (any_as_missing) model.unseen = ir::UnseenLevel::Missing;
  if (!target_df) {
    std::string t = model_node.attribute("targetFieldName").value();
    if (t.empty()) t = model_node.attribute("targetVariableName").value();
    auto it = ctx.fields.find(t);
    if (it != ctx.fields.end() && it->second.kind == FieldInfo::DataOnly) {
      target_df = it->second.node;
      it->second.kind = FieldInfo::Target;
    }
    model.schema.target.name = t;
  }

  // Levels the DataDictionary leaves open.
  LevelScan scan(ctx, model.schema.target.name);
  scan.run(root);
  for (size_t i = 0; i < model.schema.inputs.size(); ++i) {
    auto& in = model.schema.inputs[i];
    if (!in.is_categorical() || !in.levels.empty()) continue;
    in.levels = scan.found[in.name];
    // One more level for every other (valid) label: a name none of the model's values takes.
    std::string other = "(other)";
    while (std::find(in.levels.begin(), in.levels.end(), other) != in.levels.end()) other += "*";
    in.levels.push_back(other);
    in.open = true;
    ctx.open_domain.insert(static_cast<int>(i));
  }
  if (model.schema.target.task == ir::Task::Classification) {
    auto& classes = model.schema.target.classes;
    if (target_df) classes = valid_values(target_df);
    if (classes.empty()) classes = scan.found[LevelScan::key(model.schema.target.name)];
    if (classes.size() < 2) loc.fail(model_node, "expected at least two target categories");
  }
  for (auto& [idx, mf] : replacement_fields) {
    auto& in = model.schema.inputs[idx];
    const std::string v = mf.attribute("missingValueReplacement").value();
    if (in.is_categorical()) {
      ctx.level_code(idx, v, mf);
      in.missing_replacement_label = v;
    } else {
      auto d = parse_double(v);
      if (!d) loc.fail(mf, fmt::format("expected a number in missingValueReplacement, found '{}'", v));
      in.missing_replacement = *d;
    }
  }

  // Transformations: global first, then the model's own.
  if (auto td = child(root, "TransformationDictionary")) ctx.declare_derived(td, false);
  if (auto lt = child(model_node, "LocalTransformations")) ctx.declare_derived(lt, true);
  if (auto targets = is_tree || is_family ? pugi::xml_node() : child(model_node, "Targets")) {
    for (auto t : children(targets, "Target")) {
      if (loc.number_or(t, "rescaleFactor", 1.0) != 1.0 || loc.number_or(t, "rescaleConstant", 0.0) != 0.0 ||
          t.attribute("castInteger") || t.attribute("min") || t.attribute("max"))
        loc.unsupported(t, "unsupported Target rescaling, clamping or integer cast");
      if (!children(t, "TargetValue").empty())
        ctx.warn("pmml-target-values-ignored", "Targets/TargetValue (prior probabilities, defaults) are not used");
    }
  }

  if (model_name == "TreeModel") read_tree_model(ctx, model_node);
  else if (model_name == "MiningModel") read_mining_model(ctx, model_node);
  else if (model_name == "RegressionModel") read_regression_model(ctx, model_node);
  else if (model_name == "SupportVectorMachineModel") read_svm_model(ctx, model_node);
  else if (model_name == "NeuralNetwork") read_neural_network(ctx, model_node);
  else if (model_name == "NaiveBayesModel") read_naive_bayes_model(ctx, model_node);
  else if (model_name == "ClusteringModel") read_clustering_model(ctx, model_node);
  else if (model_name == "RuleSetModel") read_rule_set_model(ctx, model_node);
  else if (model_name == "Scorecard") read_scorecard(ctx, model_node);
  else read_general_regression_model(ctx, model_node);
  // Global derived fields nothing uses are kept out of the model.
  ir::validate(model, file, loc.place(model_node));
  return model;
}

namespace detail {

int add_feature(ir::Model& m, const std::string& name, ir::Expr e) {
  for (size_t i = 0; i < m.features.size(); ++i)
    if (m.features[i].expr == e) return static_cast<int>(i);
  std::string unique = name;
  for (int k = 2;; ++k) {
    bool taken = false;
    for (const auto& f : m.features) taken |= f.name == unique;
    if (!taken) break;
    unique = fmt::format("{}_{}", name, k);
  }
  m.features.push_back({unique, std::move(e)});
  return static_cast<int>(m.features.size()) - 1;
}

}  // namespace detail
}  // namespace mb::pmml
