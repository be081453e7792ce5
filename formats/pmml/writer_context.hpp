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

 private:
  pugi::xml_node apply(pugi::xml_node parent, const char* fn);
  void constant(pugi::xml_node parent, double v);
  void warn(const std::string& code, const std::string& msg);
  const ir::Model& m_;
  NameTable& names_;
  Warnings& warnings_;
};

// DataDictionary: a DataField per input (continuous double/float, or categorical/ordinal string
// with its Values in level order) and one for the target named `target_name`.
void write_data_dictionary(pugi::xml_node root, const ir::Model& m, const std::string& target_name);

// Output of a model: predictedValue (`class` or `prediction`) and, for classification, a
// probability field per class in model order; names made unique through `names`.
void write_output(pugi::xml_node model, const ir::Model& m, NameTable& names);

}  // namespace mb::pmml::detail
