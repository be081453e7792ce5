// Validation of a model built by a reader ("readers translate, the builder validates").
#pragma once
#include "lib/ir/model.hpp"

namespace mb::ir {

// Checks every index, size and invariant of `m` (schema, derived fields, features, every kind of
// estimator and its output stage); throws mb::InvalidInput(file, place, "invalid model: ...")
// naming the first violation.  `file` is the model file the reader was given; `where` names the
// estimator inside it ("graph node 'TreeEnsembleRegressor_0' (TreeEnsembleRegressor)", a PMML
// element), and places inside the estimator extend it: "WHERE, tree 3, node 17".  Every reader
// calls it before the model is used, so evaluators and writers may assume a valid model.
void validate(const Model& m, const std::string& file, const std::string& where = "estimator");

}  // namespace mb::ir
