// Model IR -> PMML 4.4.  Linear models become a RegressionModel when its normalizationMethod can
// express the link (and there is no offset), otherwise a GeneralRegressionModel (power links,
// offsets).  Output is deterministic: no timestamp, fixed attribute order.
#include <fmt/format.h>

#include <set>

#include "formats/pmml/common.hpp"
#include "formats/pmml/families.hpp"
#include "formats/pmml/pmml.hpp"
#include "formats/pmml/tree.hpp"
#include "formats/pmml/writer_context.hpp"
#include "lib/util/errors.hpp"

namespace mb::pmml {
namespace {

using namespace detail;

void warn(Warnings& w, const std::string& code, const std::string& msg) {
  for (const auto& x : w)
    if (x.code == code && x.message == msg) return;
  w.push_back({code, msg});
}

// GeneralRegressionModel linkFunction (+ linkParameter for power links).
bool grm_link(ir::Link link, double power, const char*& name, double& param) {
  param = 0;
  switch (link) {
    case ir::Link::Power:
      name = "power";
      param = power;
      return true;
    case ir::Link::Identity: name = "identity"; return true;
    case ir::Link::Log: name = "log"; return true;
    case ir::Link::Logit: name = "logit"; return true;
    case ir::Link::Probit: name = "probit"; return true;
    case ir::Link::Cloglog: name = "cloglog"; return true;
    case ir::Link::Loglog: name = "loglog"; return true;
    case ir::Link::Inverse:
      name = "power";
      param = -1;
      return true;
    case ir::Link::InverseSquare:
      name = "power";
      param = -2;
      return true;
    case ir::Link::Sqrt:
      name = "power";
      param = 0.5;
      return true;
    case ir::Link::Cauchit: return false;
  }
  return false;
}

struct Writer {
  Writer(const ir::Model& model, const ir::Linear& l, Warnings& w) : m(model), lin(l), warnings(w) {}
  const ir::Model& m;
  const ir::Linear& lin;
  Warnings& warnings;
  NameTable names;
  std::string target_name;
  std::vector<std::string> feature_fields;  // PMML field each feature reads
  ExprWriter ex{m, names, warnings};

  void data_dictionary(pugi::xml_node root) { write_data_dictionary(root, m, target_name); }

  void mining_schema(pugi::xml_node model) { write_mining_schema(model, m, target_name, true); }

  void output(pugi::xml_node model) { write_output(model, m, names); }

  // LocalTransformations: one DerivedField per feature that is not a plain numeric input.
  void local_transformations(pugi::xml_node model) {
    auto lt = model.append_child("LocalTransformations");
    ex.helpers = lt;
    for (const auto& f : m.features) {
      const auto& e = f.expr;
      if ((e.op == ir::Op::Input && !m.schema.inputs[e.index].is_categorical()) || e.op == ir::Op::Derived) {
        const std::string field = ex.field_for(e, f.name);
        if (field == f.name) {  // the predictor reads the field directly
          feature_fields.push_back(field);
          continue;
        }
      }
      const std::string name = names.unique(f.name);
      ex.derived_field(lt, name, e);
      feature_fields.push_back(name);
    }
  }

  void table(pugi::xml_node model, const std::string& category, int row, bool offset_as_predictor) {
    auto t = model.append_child("RegressionTable");
    const size_t F = m.features.size();
    t.append_attribute("intercept") = row < 0 ? "0" : format_double(lin.intercepts[row]).c_str();
    if (!category.empty()) t.append_attribute("targetCategory") = category.c_str();
    if (row < 0) return;
    for (size_t f = 0; f < F; ++f) {
      const bool is_offset = static_cast<int>(f) == lin.offset_feature;
      if (is_offset && !offset_as_predictor) continue;
      auto np = t.append_child("NumericPredictor");
      np.append_attribute("name") = feature_fields[f].c_str();
      np.append_attribute("coefficient") = is_offset ? "1" : format_double(lin.coefficients[row * F + f]).c_str();
    }
  }

  void regression_model(pugi::xml_node root, const char* normalization) {
    const bool cls = m.schema.target.task == ir::Task::Classification;
    auto model = root.append_child("RegressionModel");
    model.append_attribute("functionName") = cls ? "classification" : "regression";
    if (std::string(normalization) != "none") model.append_attribute("normalizationMethod") = normalization;
    mining_schema(model);
    output(model);
    local_transformations(model);
    const bool offset = lin.offset_feature >= 0;
    if (offset) warn(warnings, "pmml-offset-as-predictor", "the offset is written as a predictor with coefficient 1");
    const auto& classes = m.schema.target.classes;
    if (!cls) {
      table(model, "", 0, offset);
    } else if (lin.transform == ir::ScoreTransform::Cumulative) {
      // Ordinal target: the first K-1 tables give P(Y <= category); the last category's table
      // is not used (the rest of the probability).
      for (size_t k = 0; k < classes.size(); ++k)
        table(model, classes[k], k + 1 < classes.size() ? static_cast<int>(k) : -1, offset);
    } else if (lin.transform == ir::ScoreTransform::Binary) {
      // PMML: the first table's category gets linkinv(y1), the second 1 - that.
      table(model, classes[1], 0, offset);
      table(model, classes[0], -1, false);
    } else {
      for (size_t k = 0; k < classes.size(); ++k) {
        const int row = lin.reference_class ? static_cast<int>(k) - 1 : static_cast<int>(k);
        table(model, classes[k], row, offset);
      }
    }
  }

  void general_regression_model(pugi::xml_node root, const char* link_name, double link_param) {
    const bool cls = m.schema.target.task == ir::Task::Classification;
    auto model = root.append_child("GeneralRegressionModel");
    model.append_attribute("modelType") = "generalizedLinear";
    model.append_attribute("functionName") = cls ? "classification" : "regression";
    if (cls) model.append_attribute("targetReferenceCategory") = m.schema.target.classes[0].c_str();
    model.append_attribute("linkFunction") = link_name;
    if (std::string(link_name) == "power") model.append_attribute("linkParameter") = format_double(link_param).c_str();
    mining_schema(model);
    output(model);
    local_transformations(model);
    if (lin.offset_feature >= 0) model.append_attribute("offsetVariable") = feature_fields[lin.offset_feature].c_str();
    const size_t F = m.features.size();
    auto pl = model.append_child("ParameterList");
    auto param = [&](const std::string& name, const std::string& label) {
      auto p = pl.append_child("Parameter");
      p.append_attribute("name") = name.c_str();
      p.append_attribute("label") = label.c_str();
    };
    param("p0", "(Intercept)");
    std::vector<size_t> used;
    for (size_t f = 0; f < F; ++f)
      if (static_cast<int>(f) != lin.offset_feature) used.push_back(f);
    for (size_t f : used) param(fmt::format("p{}", f + 1), m.features[f].name);
    if (!used.empty()) {
      auto cl = model.append_child("CovariateList");
      std::set<std::string> seen;
      for (size_t f : used)
        if (seen.insert(feature_fields[f]).second)
          cl.append_child("Predictor").append_attribute("name") = feature_fields[f].c_str();
    }
    auto pp = model.append_child("PPMatrix");
    for (size_t f : used) {
      auto c = pp.append_child("PPCell");
      c.append_attribute("value") = "1";
      c.append_attribute("predictorName") = feature_fields[f].c_str();
      c.append_attribute("parameterName") = fmt::format("p{}", f + 1).c_str();
    }
    auto pm = model.append_child("ParamMatrix");
    auto cell = [&](const std::string& pname, double beta) {
      auto c = pm.append_child("PCell");
      if (cls) c.append_attribute("targetCategory") = m.schema.target.classes[1].c_str();
      c.append_attribute("parameterName") = pname.c_str();
      c.append_attribute("beta") = format_double(beta).c_str();
    };
    cell("p0", lin.intercepts[0]);
    for (size_t f : used) cell(fmt::format("p{}", f + 1), lin.coefficients[f]);
  }
};

bool is_model_element_name(std::string_view n) {
  return (n.size() > 5 && n.substr(n.size() - 5) == "Model") || n == "NeuralNetwork" || n == "Scorecard";
}

// An ir::Ensemble: a MiningModel whose Segments (each with a True predicate) hold the members,
// each written by its own family's writer as a model of its own (ir::member_model), without its
// Output and with a MiningSchema that leaves missing and invalid values to the MiningModel.
std::string write_ensemble(const ir::Model& m, Warnings& warnings) {
  const auto& e = std::get<ir::Ensemble>(m.estimator);
  NameTable names;
  const std::string target_name = reserve_field_names(names, m);
  pugi::xml_document doc;
  auto root = begin_document(doc);
  write_data_dictionary(root, m, target_name);
  auto mm = root.append_child("MiningModel");
  const bool cls = m.schema.target.task == ir::Task::Classification;
  mm.append_attribute("functionName") = cls ? "classification" : "regression";
  write_mining_schema(mm, m, target_name, true);
  write_output(mm, m, names);
  auto seg = mm.append_child("Segmentation");
  seg.append_attribute("multipleModelMethod") = ir::combine_name(e.combine);
  const bool weighted = e.combine == ir::Combine::WeightedMajorityVote || e.combine == ir::Combine::WeightedAverage ||
                        e.combine == ir::Combine::WeightedSum;
  for (size_t i = 0; i < e.members.size(); ++i) {
    const ir::Model sub = ir::member_model(m, i);
    const std::string text = write(sub, warnings);
    pugi::xml_document part;
    if (!part.load_buffer(text.data(), text.size()))
      throw InternalError("", "", "internal: the PMML writer produced text it cannot parse");
    const auto proot = part.document_element();
    pugi::xml_node model;
    for (auto c : proot.children()) {
      if (c.type() != pugi::node_element) continue;
      if (i == 0 && std::string_view(c.name()) == "TransformationDictionary") root.insert_copy_before(c, mm);
      if (is_model_element_name(c.name())) model = c;
    }
    if (!model) throw InternalError("", "", "internal: the PMML writer wrote no model element");
    if (auto out = model.child("Output")) model.remove_child(out);
    for (auto mf : model.child("MiningSchema").children("MiningField"))
      for (const char* a : {"missingValueReplacement", "missingValueTreatment", "invalidValueTreatment"})
        mf.remove_attribute(a);
    auto s = seg.append_child("Segment");
    s.append_attribute("id") = std::to_string(i + 1).c_str();
    if (weighted) s.append_attribute("weight") = format_double(e.members[i].weight).c_str();
    s.append_child("True");
    s.append_copy(model);
  }
  return document_text(doc);
}

}  // namespace

std::string write(const ir::Model& m, Warnings& warnings) {
  if (std::holds_alternative<ir::Ensemble>(m.estimator)) return write_ensemble(m, warnings);
  if (std::holds_alternative<ir::TreeEnsemble>(m.estimator)) return write_trees(m, warnings);
  if (std::holds_alternative<ir::Svm>(m.estimator)) return write_svm(m, warnings);
  if (std::holds_alternative<ir::Mlp>(m.estimator)) return write_neural_network(m, warnings);
  if (std::holds_alternative<ir::NaiveBayes>(m.estimator)) return write_naive_bayes(m, warnings);
  if (std::holds_alternative<ir::Clustering>(m.estimator)) return write_clustering(m, warnings);
  const auto* lin = std::get_if<ir::Linear>(&m.estimator);
  if (!lin) refuse(fmt::format("{} models are not supported by the PMML writer yet", ir::estimator_kind(m.estimator)));
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) refuse("a linear model cannot be a clustering model");
  if (lin->n_targets != 1 && lin->transform != ir::ScoreTransform::Softmax &&
      lin->transform != ir::ScoreTransform::Normalize && lin->transform != ir::ScoreTransform::Cumulative)
    refuse(fmt::format("linear model with {} targets", lin->n_targets));
  if (task == ir::Task::Classification && lin->transform == ir::ScoreTransform::None)
    refuse("a linear classifier without a score transform");
  if (task == ir::Task::Regression && lin->transform != ir::ScoreTransform::None)
    refuse("a regression model with a score transform");
  if (lin->precision == ir::Precision::Float32)
    warn(warnings, "pmml-double-arithmetic",
         "float32 coefficients are written exactly, but PMML evaluates them in double");
  if (task == ir::Task::Regression && !lin->output.plain())
    refuse("onnxruntime's float32 probit post-transform of a LinearRegressor");
  if (!lin->output.plain())
    warn(warnings, "onnxruntime-rules",
         "the source LinearClassifier's float32 post-transform and label rule (onnxruntime's) are written as the "
         "model's own link and class probabilities, labelled by the largest probability");

  Writer w{m, *lin, warnings};
  w.target_name = reserve_field_names(w.names, m);

  pugi::xml_document doc;
  auto root = begin_document(doc);
  w.data_dictionary(root);
  if (!m.derived.empty()) w.ex.derived_fields(root.append_child("TransformationDictionary"));

  const char* norm = normalization_for(lin->link);
  const char* link_name = nullptr;
  double link_param = 0;
  const bool has_grm_link = grm_link(lin->link, lin->link_power, link_name, link_param);
  const bool softmaxish =
      lin->transform == ir::ScoreTransform::Softmax || lin->transform == ir::ScoreTransform::Normalize;
  if (lin->transform == ir::ScoreTransform::Cumulative) {
    // An ordinal target with the cumulative link as normalizationMethod (PMML 4.4 RegressionModel).
    if (!norm || lin->link == ir::Link::Log)
      refuse("a cumulative link other than logit, probit, cloglog, loglog or cauchit");
    w.regression_model(root, norm);
  } else if (softmaxish) {
    if (lin->transform == ir::ScoreTransform::Normalize && lin->link != ir::Link::Identity)
      refuse("simplemax after a link function");
    w.regression_model(root, lin->transform == ir::ScoreTransform::Softmax ? "softmax" : "simplemax");
  } else if (norm && (lin->offset_feature < 0 || !has_grm_link) &&
             !(task == ir::Task::Classification && lin->link == ir::Link::Log)) {
    w.regression_model(root, norm);
  } else if (has_grm_link) {
    w.general_regression_model(root, link_name, link_param);
  } else {
    refuse("link function not expressible in PMML");
  }

  return document_text(doc);
}

}  // namespace mb::pmml
