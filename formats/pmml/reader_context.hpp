// State shared by the parts of the PMML reader: the model being built, the fields in scope and
// how a field name resolves to an expression.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "formats/pmml/common.hpp"
#include "lib/ir/model.hpp"

namespace mb::pmml::detail {

struct FieldInfo {
  enum Kind { DataOnly, Input, Target, Derived } kind = DataOnly;
  int input = -1;            // Input: index into schema.inputs
  pugi::xml_node node;       // DataField or DerivedField element
  bool local = false;        // Derived: from LocalTransformations
  int derived = -1;          // Derived: index into model.derived once translated
  bool in_progress = false;  // Derived: being translated (cycle check)
};

class ReadContext {
 public:
  ReadContext(const Locator& loc, ir::Model& model) : loc(loc), model(model) {}

  const Locator& loc;
  ir::Model& model;
  std::map<std::string, FieldInfo> fields;
  std::set<int> open_domain;  // categorical inputs whose levels were inferred from their uses

  [[noreturn]] void fail(const pugi::xml_node& n, const std::string& msg) const { loc.fail(n, msg); }
  [[noreturn]] void unsupported(const pugi::xml_node& n, const std::string& msg) const { loc.unsupported(n, msg); }
  void warn(const std::string& code, const std::string& msg) {
    for (const auto& w : model.provenance.warnings)
      if (w.code == code && w.message == msg) return;
    model.provenance.warnings.push_back({code, msg});
  }

  FieldInfo& field(const std::string& name, const pugi::xml_node& at);
  // The value of field `name` as a number: Input / Derived reference; categorical inputs whose
  // levels are numbers become a LevelMap of those numbers.
  ir::Expr numeric_ref(const std::string& name, const pugi::xml_node& at);
  // Like numeric_ref, but a local derived field that is not translated yet is inlined.
  ir::Expr predictor_ref(const std::string& name, const pugi::xml_node& at);
  // Index of a categorical input and the code of `value` among its levels.
  int categorical_input(const std::string& name, const pugi::xml_node& at);
  int level_code(int input, const std::string& value, const pugi::xml_node& at);
  int find_level(int input, const std::string& value) const;  // -1 when absent

  // Translates a DerivedField element's expression.
  ir::Expr derived_expr(const pugi::xml_node& derived_field);
  // Translates one expression element (Constant, FieldRef, Apply, Norm*, MapValues, Discretize).
  ir::Expr expression(const pugi::xml_node& n);
  ir::Expr apply(const pugi::xml_node& n);
  // Adds the DerivedField elements of a TransformationDictionary / LocalTransformations to scope.
  void declare_derived(const pugi::xml_node& container, bool local);
};

// Model element readers (regression.cpp, general_regression.cpp).  They fill model.features and
// model.estimator; the schema is already read.
void read_regression_model(ReadContext& ctx, const pugi::xml_node& model_node);
void read_general_regression_model(ReadContext& ctx, const pugi::xml_node& model_node);

// Feature collection shared by both model readers: equal expressions share one column.
int add_feature(ir::Model& m, const std::string& name, ir::Expr e);

// Score rows of a linear model before they become an ir::Linear: one per target category
// ("" for regression), coefficients by feature index.
struct ScoreRow {
  std::string category;
  double intercept = 0;
  std::map<int, double> coef;
  bool empty() const {
    if (intercept != 0) return false;
    for (auto& [f, c] : coef)
      if (c != 0) return false;
    return true;
  }
};
enum class Scores { Single, BinaryFirst, Softmax, Simplemax, Cumulative };
// Builds the Linear estimator: Single (regression, one row), BinaryFirst (two classes; the row's
// category gets linkinv(eta), the other 1 - that), Softmax / Simplemax (a row per class),
// Cumulative (an ordinal target: the rows of the first K-1 categories give P(Y <= category) =
// linkinv(eta), the last category's row is not used).
ir::Linear make_linear(ReadContext& ctx, const pugi::xml_node& at, std::vector<ScoreRow> rows, Scores kind,
                       ir::Link link);
ir::Link link_from_normalization(ReadContext& ctx, const pugi::xml_node& at, const std::string& method);

}  // namespace mb::pmml::detail
