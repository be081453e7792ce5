// Structural differences between two models, independent of their formats: inputs and their
// types and levels, target classes, estimator kind and link, parameters with the largest
// change, trees and nodes.  Features are matched by their canonical expression, not by name, so
// a model compared with its own conversion shows no feature changes.
#pragma once
#include <string>
#include <vector>

#include "lib/ir/model.hpp"

namespace mb::diff {

struct Change {
  std::string kind;         // stable identifier: input-added, input-removed, input-retyped,
                            // levels-changed, classes-changed, task-changed, estimator-changed,
                            // link-changed, feature-added, feature-removed, parameter-changed,
                            // trees-changed, tree-changed, precision-changed
  std::string what;         // the thing changed: an input, a feature, "tree 3 node 12", ...
  std::string a, b;         // its value in A and in B (text)
  double abs = 0, rel = 0;  // for parameter changes
};

// Lists the differences; at most `max_parameters` parameter-changed entries (largest first) and
// `max_trees` tree-changed entries, each list ending with how many more there are.  Trees laid
// out alike are compared node by node ("tree 3 node 12 threshold"); trees a format lays out
// otherwise (a conversion) by what they compute ("tree 3 split on x threshold", "tree 3 leaf 2
// value", or their split points when the shape changed).  A side in float32 is named
// (precision-changed "arithmetic"), and tree numbers that only float32 rounding separates are
// counted in one entry instead of listed.
std::vector<Change> structural_diff(const ir::Model& a, const ir::Model& b, size_t max_parameters = 10,
                                    size_t max_trees = 10);

}  // namespace mb::diff
