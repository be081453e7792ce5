// R model objects (the tree both R readers produce) to the model IR.
#pragma once
#include <string>

#include "formats/r/robject.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// Dispatches on the R class and builds a validated model; unsupported classes throw
// Error(file, "", "unsupported R class 'X'").
ir::Model import_model(const RObject& root, const std::string& file, Warnings& warnings);

// Per-class importers, listed in the dispatcher's table (import.cpp).  Each returns a
// validated model and appends warnings (also recorded in Provenance::warnings).
ir::Model import_lm(const RObject& root, const std::string& file, Warnings& warnings);   // lm, glm
ir::Model import_multinom(const RObject& root, const std::string& file, Warnings& warnings);

}  // namespace mb::r
