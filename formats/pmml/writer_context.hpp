// State of the PMML writer: unique field names and expression output.
#pragma once
#include <pugixml.hpp>

#include <set>
#include <string>
#include <vector>

#include "lib/ir/model.hpp"

namespace mb::pmml::detail {

class NameTable {
 public:
  // `base` when free, else base_2, base_3, ...
  std::string unique(const std::string& base);
  void reserve(const std::string& name) { used_.insert(name); }

 private:
  std::set<std::string> used_;
};

class ExprWriter {
 public:
  ExprWriter(const ir::Model& m, NameTable& names, Warnings& warnings) : m_(m), names_(names), warnings_(warnings) {}
  std::vector<std::string> derived_names;  // PMML name of each ir::DerivedField
  pugi::xml_node helpers;                  // LocalTransformations, for helper fields

  // Appends the element computing `e` as a number / as a boolean to `parent`.
  void num(pugi::xml_node parent, const ir::Expr& e);
  void boolean(pugi::xml_node parent, const ir::Expr& e);
  // A DerivedField element named `name` computing `e` (double, continuous).
  pugi::xml_node derived_field(pugi::xml_node parent, const std::string& name, const ir::Expr& e);
  // The name of a field holding `e`: the input or derived field itself, else a helper field.
  std::string field_for(const ir::Expr& e, const std::string& hint);
  // A DerivedField per ir::DerivedField of the model in `parent` (a TransformationDictionary),
  // named uniquely; fills derived_names.
  void derived_fields(pugi::xml_node parent);

 private:
  pugi::xml_node apply(pugi::xml_node parent, const char* fn);
  void constant(pugi::xml_node parent, double v);
  void warn(const std::string& code, const std::string& msg);
  const ir::Model& m_;
  NameTable& names_;
  Warnings& warnings_;
};

// Throws the writer's Error "cannot write PMML: <message>".
[[noreturn]] void refuse(const std::string& message);

// RegressionModel normalizationMethod that applies the inverse of `link`; nullptr when none does.
const char* normalization_for(ir::Link link);

// Reserves the input names in `names`; returns the target's field name (made unique).
std::string reserve_field_names(NameTable& names, const ir::Model& m);

// Starts a PMML 4.4 document (XML declaration, PMML element, Header); returns the PMML element.
pugi::xml_node begin_document(pugi::xml_document& doc);

// The document as text (two-space indent, UTF-8).
std::string document_text(const pugi::xml_document& doc);

// MiningSchema of `model`: an active MiningField per input, then one per name in `extra`.  With
// `top` (the outermost model) the inputs also carry their missing-value replacement or
// treatment and invalid-value treatment, and the target field `target_name` follows.
void write_mining_schema(pugi::xml_node model, const ir::Model& m, const std::string& target_name, bool top,
                         const std::vector<std::string>& extra = {});

// DataDictionary: a DataField per input (continuous double/float, or categorical/ordinal string
// with its Values in level order) and one for the target named `target_name`.
void write_data_dictionary(pugi::xml_node root, const ir::Model& m, const std::string& target_name);

// Output of a model: predictedValue (`class` or `prediction`) and, for classification, a
// probability field per class in model order; names made unique through `names`.
void write_output(pugi::xml_node model, const ir::Model& m, NameTable& names);

}  // namespace mb::pmml::detail
