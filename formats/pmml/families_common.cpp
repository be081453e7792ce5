// Writer and reader steps shared by the SVM, neural network, naive Bayes and clustering models.
#include <fmt/format.h>

#include "formats/pmml/families.hpp"

namespace mb::pmml::detail {

FamilyWriter::FamilyWriter(const ir::Model& model, Warnings& w) : m(model), warnings(w) {
  target_name = reserve_field_names(names, m);
  root = begin_document(doc);
  write_data_dictionary(root, m, target_name);
  if (m.schema.target.task == ir::Task::Clustering) {
    // A clustering model has no target field.
    auto dd = root.child("DataDictionary");
    dd.remove_child(dd.last_child());
    dd.attribute("numberOfFields") = static_cast<unsigned>(m.schema.inputs.size());
  }
  if (!m.derived.empty()) {
    auto td = root.append_child("TransformationDictionary");
    ex.helpers = td;
    ex.derived_fields(td);
  }
}

void FamilyWriter::warn(const std::string& code, const std::string& msg) {
  for (const auto& x : warnings)
    if (x.code == code && x.message == msg) return;
  warnings.push_back({code, msg});
}

pugi::xml_node FamilyWriter::begin_model(const char* element, const char* function, bool with_probabilities,
                                         double rescale_factor, double rescale_constant) {
  auto model = root.append_child(element);
  model.append_attribute("functionName") = function;
  const bool clustering = m.schema.target.task == ir::Task::Clustering;
  write_mining_schema(model, m, target_name, true);
  if (clustering) {
    auto ms = model.child("MiningSchema");
    ms.remove_child(ms.last_child());
    auto out = model.append_child("Output");
    auto of = out.append_child("OutputField");
    of.append_attribute("name") = names.unique("cluster").c_str();
    of.append_attribute("optype") = "categorical";
    of.append_attribute("dataType") = "string";
    of.append_attribute("feature") = "predictedValue";
  } else {
    write_output(model, m, names);
    if (!with_probabilities) {
      auto out = model.child("Output");
      while (out.last_child() != out.first_child()) out.remove_child(out.last_child());
    }
  }
  if (rescale_factor != 1.0 || rescale_constant != 0.0) {
    auto t = model.append_child("Targets").append_child("Target");
    t.append_attribute("field") = target_name.c_str();
    t.append_attribute("rescaleFactor") = format_double(rescale_factor).c_str();
    t.append_attribute("rescaleConstant") = format_double(rescale_constant).c_str();
  }
  // LocalTransformations: one DerivedField per feature that is not a plain numeric input.
  auto lt = model.append_child("LocalTransformations");
  if (!ex.helpers) ex.helpers = lt;
  for (const auto& f : m.features) {
    const auto& e = f.expr;
    if ((e.op == ir::Op::Input && !m.schema.inputs[e.index].is_categorical()) || e.op == ir::Op::Derived) {
      const std::string field = ex.field_for(e, f.name);
      if (field == f.name || e.op == ir::Op::Input || e.op == ir::Op::Derived) {
        feature_fields.push_back(field);
        continue;
      }
    }
    const std::string name = names.unique(f.name);
    ex.derived_field(lt, name, e);
    feature_fields.push_back(name);
  }
  if (lt.first_child().empty()) model.remove_child(lt);
  return model;
}

int target_class(ReadContext& ctx, const pugi::xml_node& at, const std::string& category) {
  const auto& classes = ctx.model.schema.target.classes;
  for (size_t k = 0; k < classes.size(); ++k)
    if (classes[k] == category) return static_cast<int>(k);
  auto v = parse_double(category);
  for (size_t k = 0; v && k < classes.size(); ++k) {
    auto c = parse_double(classes[k]);
    if (c && *c == *v) return static_cast<int>(k);
  }
  ctx.fail(at, fmt::format("target category '{}' is not a value of the target field", category));
}

std::vector<double> real_array(ReadContext& ctx, const pugi::xml_node& a) {
  std::vector<double> out;
  if (is(a, "Array")) {
    for (const auto& s : array_values(a.text().get())) {
      auto v = parse_double(s);
      if (!v) ctx.fail(a, fmt::format("expected a number in the array, found '{}'", s));
      out.push_back(*v);
    }
    if (a.attribute("n") && static_cast<double>(out.size()) != ctx.loc.number(a, "n"))
      ctx.fail(a, fmt::format("the array holds {} values, its n says {}", out.size(), a.attribute("n").value()));
    return out;
  }
  if (is(a, "REAL-SparseArray") || is(a, "INT-SparseArray")) {
    const double n = ctx.loc.number(a, "n");
    if (!(n >= 0 && n <= 1e7)) ctx.fail(a, "sparse array size out of range");
    out.assign(static_cast<size_t>(n), a.attribute("defaultValue") ? ctx.loc.number(a, "defaultValue") : 0.0);
    std::vector<double> idx, vals;
    for (const auto& s : array_values(child(a, "Indices").text().get())) {
      auto v = parse_double(s);
      if (!v) ctx.fail(a, fmt::format("expected an index, found '{}'", s));
      idx.push_back(*v);
    }
    auto entries = child(a, "REAL-Entries");
    if (!entries) entries = child(a, "INT-Entries");
    for (const auto& s : array_values(entries.text().get())) {
      auto v = parse_double(s);
      if (!v) ctx.fail(a, fmt::format("expected a number, found '{}'", s));
      vals.push_back(*v);
    }
    if (idx.size() != vals.size()) ctx.fail(a, "sparse array: indices and entries differ in number");
    for (size_t i = 0; i < idx.size(); ++i) {
      if (!(idx[i] >= 1 && idx[i] <= n) || idx[i] != static_cast<double>(static_cast<int64_t>(idx[i])))
        ctx.fail(a, fmt::format("sparse array index {} out of range 1..{}", idx[i], n));
      out[static_cast<size_t>(idx[i]) - 1] = vals[i];
    }
    return out;
  }
  ctx.fail(a, fmt::format("expected an Array, found {}", local_name(a)));
}

}  // namespace mb::pmml::detail
