// Models of any source to standard R classes: the R object that R's stock predict() scores
// (with the usual packages), built from the IR.  One file per class; export.cpp chooses.
//
// Each exporter builds only what predict() needs, with the conventions of robject.hpp, and
// either holds the model exactly or refuses with a usage-level error (exit 2) that says why no
// standard R class holds it.  Float32-only differences are named warnings.
#pragma once
#include <string>

#include "formats/r/lang/robject.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// The R object for `m`; throws Error(exit 2) naming what no standard R class can hold.
RPtr export_model(const ir::Model& m, Warnings& warnings);

// Per-class exporters (export.cpp's table).  Each returns nullptr when the model is not of its
// kind at all, throws when it is but cannot be held exactly.
RPtr export_lm_glm(const ir::Model& m, Warnings& warnings);
RPtr export_multinom(const ir::Model& m, Warnings& warnings);       // softmax over linear scores
RPtr export_rpart(const ir::Model& m, Warnings& warnings);          // one tree
RPtr export_gbm(const ir::Model& m, Warnings& warnings);            // sums of trees
RPtr export_random_forest(const ir::Model& m, Warnings& warnings);  // averages and votes

}  // namespace mb::r
