#include "formats/r/importers/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {

// Replaces Input(i) by `columns[i]` (when set) and shifts Derived indexes by `shift`.
void substitute_inputs(ir::Expr& e, const std::vector<std::optional<ir::Expr>>& columns, int32_t shift) {
  for (auto& a : e.args) substitute_inputs(a, columns, shift);
  if (e.op == ir::Op::Derived) {
    e.index += shift;
  } else if (e.op == ir::Op::Input && e.index >= 0 && static_cast<size_t>(e.index) < columns.size() &&
             columns[static_cast<size_t>(e.index)]) {
    e = *columns[static_cast<size_t>(e.index)];
  }
}

// The affine maps of `$preProcess`, applied to the column expressions by name.
void apply_preprocess(const Member& pp, std::map<std::string, ir::Expr>& column, std::vector<std::string>& notes,
                      bool unknown_ok) {
  const Member method = pp["method"];
  const std::vector<std::string> methods = method.names();
  for (const auto& how : methods) {
    if (how == "center" || how == "scale" || how == "range" || how == "medianImpute" || how == "ignore" ||
        how == "remove")
      continue;
    throw Unsupported(
        pp.file(), method.path() + "$" + how,
        fmt::format("unsupported caret preProcess method '{}' (only center, scale, range and medianImpute, "
                    "fixed per-column maps, are read)",
                    how));
  }
  auto vars_of = [&](const char* how) {
    const auto v = method.get(how);
    return v ? v->strings() : std::vector<std::string>{};
  };
  auto column_of = [&](const std::string& var, const Member& where) -> ir::Expr& {
    auto it = column.find(var);
    if (it == column.end() && unknown_ok) it = column.emplace(var, ir::Expr::constant(0)).first;
    if (it == column.end())
      where.fail(fmt::format("preprocessed variable '{}' is not a column the final model reads", var));
    return it->second;
  };
  auto value_of = [&](const Member& values, const std::vector<std::string>& names, const std::string& var, size_t k) {
    const std::vector<double> v = values.numbers();
    if (!names.empty()) {
      const auto it = std::find(names.begin(), names.end(), var);
      if (it == names.end()) values.fail(fmt::format("no value for variable '{}'", var));
      k = static_cast<size_t>(it - names.begin());
    }
    if (k >= v.size()) values.fail(fmt::format("no value for variable '{}'", var));
    return v[k];
  };
  if (const auto range_vars = vars_of("range"); !range_vars.empty()) {
    const Member ranges = pp["ranges"];
    const Matrix r = ranges.matrix();
    if (r.rows != 2) ranges.fail("expected a 2 x p matrix of minima and maxima");
    double lower = 0, upper = 1;
    if (const auto b = pp.get("rangeBounds")) {
      const std::vector<double> v = b->numbers();
      if (v.size() != 2) b->fail("expected c(lower, upper)");
      lower = v[0];
      upper = v[1];
    }
    for (size_t k = 0; k < range_vars.size(); ++k) {
      const std::string& var = range_vars[k];
      size_t c = k;
      if (!r.colnames.empty()) {
        const auto it = std::find(r.colnames.begin(), r.colnames.end(), var);
        if (it == r.colnames.end()) ranges.fail(fmt::format("no range for variable '{}'", var));
        c = static_cast<size_t>(it - r.colnames.begin());
      }
      if (c >= r.cols) ranges.fail(fmt::format("no range for variable '{}'", var));
      ir::Expr& e = column_of(var, method);
      const double lo = r.at(0, c), hi = r.at(1, c);
      e = ir::Expr::binary(ir::Op::Add,
                           ir::Expr::binary(ir::Op::Div, ir::Expr::binary(ir::Op::Sub, e, ir::Expr::constant(lo)),
                                            ir::Expr::constant((hi - lo) / (upper - lower))),
                           ir::Expr::constant(lower));
    }
    notes.push_back(fmt::format("caret preProcess: range to [{}, {}] ({} variables)", lower, upper, range_vars.size()));
  }
  for (const char* how : {"center", "scale"}) {
    const auto vars = vars_of(how);
    if (vars.empty()) continue;
    const Member values = pp[how[0] == 'c' ? "mean" : "std"];
    const std::vector<std::string> names = values.names();
    for (size_t k = 0; k < vars.size(); ++k) {
      ir::Expr& e = column_of(vars[k], method);
      e = ir::Expr::binary(how[0] == 'c' ? ir::Op::Sub : ir::Op::Div, e,
                           ir::Expr::constant(value_of(values, names, vars[k], k)));
    }
    notes.push_back(fmt::format("caret preProcess: {} ({} variables)", how, vars.size()));
  }
  // medianImpute comes after the affine maps: `$median` holds the medians of the transformed
  // columns, and a missing value (after the maps, still missing) becomes its column's median.
  if (const auto vars = vars_of("medianImpute"); !vars.empty()) {
    const Member values = pp["median"];
    const std::vector<std::string> names = values.names();
    for (size_t k = 0; k < vars.size(); ++k) {
      ir::Expr& e = column_of(vars[k], method);
      const double median = value_of(values, names, vars[k], k);
      if (std::isnan(median)) values.fail(fmt::format("the median of variable '{}' is missing", vars[k]));
      e = ir::Expr::call(ir::Op::Coalesce, {e, ir::Expr::constant(median)});
    }
    notes.push_back(fmt::format("caret preProcess: medianImpute ({} variables)", vars.size()));
  }
}

void apply_attached_preprocess(ir::Model& m, const Member& pp) {
  if (!pp->inherits("preProcess")) pp.fail("expected a caret preProcess object");
  std::map<std::string, ir::Expr> column;
  for (size_t i = 0; i < m.schema.inputs.size(); ++i)
    if (!m.schema.inputs[i].is_categorical())
      column.emplace(m.schema.inputs[i].name, ir::Expr::input(static_cast<int32_t>(i)));
  std::vector<std::string> notes;
  apply_preprocess(pp, column, notes, /*unknown_ok=*/true);
  std::vector<std::optional<ir::Expr>> replace(m.schema.inputs.size());
  for (size_t i = 0; i < m.schema.inputs.size(); ++i) {
    const auto it = column.find(m.schema.inputs[i].name);
    if (it != column.end()) replace[i] = it->second;
  }
  for (auto& dv : m.derived) substitute_inputs(dv.expr, replace, 0);
  for (auto& f : m.features) substitute_inputs(f.expr, replace, 0);
  m.provenance.preprocessing.insert(m.provenance.preprocessing.begin(), notes.begin(), notes.end());
  ir::validate(m, pp.file());
}

}  // namespace mb::r
