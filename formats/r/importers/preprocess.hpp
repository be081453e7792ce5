// caret's preProcess objects (docs/r-objects.md "caret preProcess"): the fixed per-column maps
// predict.preProcess applies (range, then center, then scale, then medianImpute), as expressions.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/r/importers/access.hpp"
#include "lib/ir/model.hpp"

namespace mb::r {

// Applies `pp` (a "preProcess" object) to the column expressions it names.  Methods other than
// center, scale, range, medianImpute (and the bookkeeping "ignore"/"remove") are refused by name:
// knnImpute, bagImpute, Box-Cox, PCA ... are not fixed per-column maps.  A named variable that is not in `column`
// is an error unless `unknown_ok` (then its map is computed and unused).  One note per method is
// appended to `notes`.
void apply_preprocess(const Member& pp, std::map<std::string, ir::Expr>& column, std::vector<std::string>& notes,
                      bool unknown_ok = false);

// Replaces Input(i) by `columns[i]` (when set) and shifts Derived indexes by `shift`.
void substitute_inputs(ir::Expr& e, const std::vector<std::optional<ir::Expr>>& columns, int32_t shift);

// A preProcess object attached to a fitted model as `$preProcess` (the model was fitted on the
// preprocessed data, and the object carries the transformation): every numeric input the
// object names is replaced by its preprocessed value in all of the model's expressions.  A named
// variable the model does not read changes nothing; the model is re-validated.
void apply_attached_preprocess(ir::Model& m, const Member& pp);

}  // namespace mb::r
