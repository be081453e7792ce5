// PMML: reader for PMML 3.0-4.4 documents (any PMML namespace) and writer for PMML 4.4.
//
// Supported models: RegressionModel and GeneralRegressionModel (regression, generalLinear,
// generalizedLinear, multinomialLogistic) with the DataDictionary, MiningSchema,
// TransformationDictionary / LocalTransformations (Constant, FieldRef, Apply with the built-in
// functions, NormContinuous, NormDiscrete, MapValues, Discretize) and Output they use; TreeModel
// and MiningModel tree ensembles (tree.hpp).  Anything else is refused with an Error naming the
// line and element path.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::pmml {

// Parses a PMML document into a validated model.  Errors name `file`, a line and the element
// path ("line 12: /PMML/RegressionModel/RegressionTable[2]/NumericPredictor").
ir::Model read(std::string_view text, const std::string& file);

// Writes `model` as PMML 4.4 (deterministic: no timestamp).  Losses are added to `warnings`;
// models PMML cannot hold throw Error.
std::string write(const ir::Model& model, Warnings& warnings);

// The model a PMML file written from `model` predicts with, when PMML holds only part of it: a
// classifying SVM with Platt probabilities becomes its vote model (families.hpp); nullopt when
// PMML holds it all.
std::optional<ir::Model> held_model(const ir::Model& model);

// True when the first bytes look like a PMML document.
bool sniff(std::string_view head);

}  // namespace mb::pmml
