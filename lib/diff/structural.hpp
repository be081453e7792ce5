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
  std::string kind;   // stable identifier: input-added, input-removed, input-retyped,
                      // levels-changed, classes-changed, task-changed, estimator-changed,
                      // link-changed, feature-added, feature-removed, parameter-changed,
                      // trees-changed, tree-changed
  std::string what;   // the thing changed: an input, a feature, "tree 3 node 12", ...
  std::string a, b;   // its value in A and in B (text)
  double abs = 0, rel = 0;  // for parameter changes
};

// Lists the differences; at most `max_parameters` parameter-changed entries (largest first) and
// `max_trees` tree-changed entries.
std::vector<Change> structural_diff(const ir::Model& a, const ir::Model& b, size_t max_parameters = 10,
                                    size_t max_trees = 10);

}  // namespace mb::diff
