// Validation of a model built by a reader ("readers translate, the builder validates").
#pragma once
#include "lib/ir/model.hpp"

namespace mb::ir {

// Checks every index, size and invariant of `m`; throws mb::Error(file, place, ...) naming the
// first violation.  `file` is the model file the reader was given.
void validate(const Model& m, const std::string& file);

}  // namespace mb::ir
