// R model formulas: from a fitted model's `$terms` (with `$xlevels`, `$contrasts` and `$call`)
// to the model matrix R's model.matrix() builds at prediction time, as IR expressions.
//
// What is read (docs/r-objects.md):
//  - `$terms@predvars`: a call `list(...)` whose arguments are the variable expressions in
//    `@variables` order (response first when `@response` is 1), with data-dependent transforms
//    frozen (poly() coefficients, scale() centre and scale).
//  - `$terms@factors`: variables x terms matrix; 1 = code the factor by contrasts, 2 = by full
//    indicator columns (a factor in a term without its margin).  Its row names are the variable
//    texts model.matrix uses to name columns.
//  - `@term.labels`, `@intercept`, `@offset`, `@dataClasses`; `$xlevels`; `$contrasts`;
//    `$call$offset` (an `offset=` argument, re-evaluated on new data).
// Column order and names follow R's modelmatrix (stats/src/model.c): "(Intercept)" first, then
// per term the product of its variables' columns with the first variable varying fastest,
// named "a:b"; factors are named variable text + contrast column name (or 1-based number when
// the contrast matrix has no column names); numeric matrices (poly) variable text + column name.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "formats/r/lang/robject.hpp"
#include "lib/ir/expr.hpp"
#include "lib/ir/schema.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// A contrast matrix: rows = levels, `values` column-major (n_levels x n_cols).  `colnames`
// empty means model.matrix numbers the columns 1..n_cols.
struct ContrastMatrix {
  size_t n_levels = 0, n_cols = 0;
  std::vector<double> values;
  std::vector<std::string> colnames;
  double at(size_t level, size_t col) const { return values[col * n_levels + level]; }
};

// contr.poly(n): orthonormal polynomial contrasts on scores 1..n, columns .L .Q .C ^4 ...
// (the constant column dropped).  n >= 2.
ContrastMatrix contr_poly(size_t n);
// The contrast matrix R uses for a factor with `levels`: `function` is the name stored in
// `$contrasts` ("contr.treatment", "contr.sum", "contr.helmert", "contr.poly", "contr.SAS");
// `full` gives the identity (contrasts = FALSE: a factor coded without its margin).
// Throws Error(file, place, ...) for an unknown contrast function.
ContrastMatrix contrast_matrix(const std::string& function, const std::vector<std::string>& levels, bool full,
                               const std::string& file, const std::string& place);

// poly(x, degree, coefs = list(alpha, norm2)) as R's predict.poly evaluates it: the three-term
// recurrence Z0 = 1, Z1 = x - alpha1, Z(i+1) = (x - alpha(i+1)) Z(i) - norm2(i+2)/norm2(i+1) Z(i-1),
// column k = Z(k) / sqrt(norm2(k+2)).  Returns the `degree` columns for one value of x.
std::vector<double> poly_basis(double x, const std::vector<double>& alpha, const std::vector<double>& norm2,
                               size_t degree);

// One model-matrix column.
struct DesignColumn {
  std::string name;  // as model.matrix names it
  ir::Expr expr;
};

// The model matrix of a fitted formula model, as expressions over the raw input columns.
struct Design {
  std::vector<ir::InputField> inputs;     // raw data columns the formula reads
  std::vector<ir::DerivedField> derived;  // shared intermediates (poly recurrences)
  bool intercept = true;
  std::vector<DesignColumn> columns;       // model-matrix columns after "(Intercept)"
  std::optional<ir::Expr> offset;          // sum of offset() terms and `$call$offset`
  std::string response;                    // response variable text ("" when none)
  std::vector<std::string> preprocessing;  // human descriptions ("factor cyl: treatment contrasts (3 levels)")
  Warnings warnings;                       // approximations made while translating
};

// Builds the design of a model object with `$terms` (lm, glm, multinom, ...).  `place` is the
// R path of the object (usually "").  Unsupported constructs throw Error(file, "$terms@predvars",
// "unsupported formula function 'foo' in term '...'").
Design build_design(const RObject& model, const std::string& file);

// A factor variable a formula derives from the data, as build_design reads it: plyr::revalue /
// plyr::mapvalues of a data column by constant labels, or cut() of a numeric expression.  Its
// levels are the fit's (`xlevels[[name]]`), `code` the 0-based level code (NaN: no level).
// nullopt when `expr` is none of these; an unsupported form throws.
struct DerivedFactor {
  std::vector<std::string> levels;
  ir::Expr code;
  std::vector<std::string> preprocessing;
  Warnings warnings;
};
class ExprTranslator;
std::optional<DerivedFactor> derived_factor(const RObject& expr, const std::string& name, const std::string& data_class,
                                            const RObject* xlevels, ExprTranslator& tr, const std::string& file);

// R expression helpers shared with importers.
// The numeric values of a constant expression: a numeric vector, `c(...)`, unary minus, a
// parenthesised constant.  Returns nullopt when `node` is not a constant.
std::optional<std::vector<double>> constant_values(const RObject& node);
// Argument of a call (Language node) by tag, or by position among untagged arguments
// (0-based, not counting the function) when `position` >= 0; nullptr when absent.
const RObject* call_arg(const RObject& call, const std::string& tag, int position);
// The function name of a call whose head is a symbol ("" otherwise).
std::string call_name(const RObject& call);

}  // namespace mb::r

namespace mb::r {

// Translates R variable expressions (predvars elements) to IR expressions over input fields,
// creating the fields on first use.  `term` names the variable in messages.
class ExprTranslator {
 public:
  ExprTranslator(std::string file, std::vector<ir::InputField>& inputs, std::vector<ir::DerivedField>& derived)
      : file_(std::move(file)), inputs_(inputs), derived_(derived) {}

  // A scalar numeric expression: arithmetic, I(), log/exp/sqrt/abs/..., comparisons, scale().
  ir::Expr numeric(const RObject& node, const std::string& term);
  // The columns of a matrix-valued variable (poly); nullopt when `node` is not one.
  struct Matrix {
    std::vector<ir::Expr> columns;
    std::vector<std::string> colnames;
    std::string description;
  };
  std::optional<Matrix> matrix(const RObject& node, const std::string& term);

  int continuous_input(const std::string& name, const std::string& term);
  int categorical_input(const std::string& name, const std::vector<std::string>& levels, bool ordered,
                        const std::string& term);
  // An R logical variable: a categorical input with levels FALSE, TRUE (code 0, 1) that reads
  // data as as.logical() does (ir::InputField::logical).
  int logical_input(const std::string& name, const std::string& term);
  // Symbols a numeric expression reads (function names and frozen coefficients excluded).
  static void collect_symbols(const RObject& node, std::vector<std::string>& out);

  [[noreturn]] void unsupported(const std::string& function, const std::string& term) const;

  Warnings* warnings = nullptr;  // where approximations are reported (may be null)

 private:
  ir::Expr call(const RObject& node, const std::string& term);
  Matrix spline(const RObject& node, const std::string& fname, const std::string& term);
  ir::Expr arg(const RObject& call, const std::string& tag, int position, const std::string& term);
  std::string file_;
  std::vector<ir::InputField>& inputs_;
  std::vector<ir::DerivedField>& derived_;
};

// Level labels as R's as.character() prints the numbers a numeric factor() was built from are
// parsed back here: a level must read as a number.
std::optional<double> parse_number(const std::string& s);

}  // namespace mb::r
