// Canonical form of decision trees (part of mb-canon/2, see canonical.hpp).
//
// A tree is written as the function it computes, not as the nodes a format happened to use:
//  1. Lowering.  Every IR node becomes tests with three exits (true, false, missing) on an
//     "atom": a categorical input (any feature that is a function of one factor's level code:
//     the code itself, a level indicator, a level table), a numeric feature (its canonical
//     expression and the ensemble's threshold precision), or a constant (decided statically).
//     Numeric tests become `x <= t` (`x < t` is `x <= the number below t` in the comparison's
//     precision; > and >= swap the exits; == and != are two such tests; a code set over a
//     numeric feature is the segments [c, c+1) the evaluator truncates to).  Surrogates become
//     a chain of tests on the missing exit, ending in the node's missing rule (Left, Right, the
//     missing child, the node's own values, a missing prediction; Majority resolved from the
//     record counts).  Leaves hold what a tree adds to the aggregate: w*values for sums and
//     averages, the one-hot vote times w for majority votes, and "null" for a missing
//     prediction (also for a leaf whose values are all missing, which sums the same way).
//  2. Regions.  Starting at a test, every test on the same atom reached through true/false
//     exits belongs to one region; the region is written as one node: for a numeric atom the
//     ascending boundaries and the subtree of each interval (adjacent equal ones merged), for a
//     categorical atom the subtree of each level code; then the subtree of a missing value.
//  3. Path facts.  What the path to a node proves (an interval of a numeric atom, the possible
//     codes of a factor, whether the atom is missing) decides tests in advance: decided tests
//     vanish, intervals and codes that cannot occur are not written, and a missing exit that
//     cannot be taken is written "-".
//  4. Sharing.  Equal subtrees are one node; the nodes of a tree are written in post-order of a
//     depth-first walk from the root, each child named by its number.
// A leaf of a one-tree classifier whose node label (ir::Tree::label) is not its first most probable
// class adds "@" and the class index; in a vote the label is the class voted for.
// Node grammar: "L" nums [ "@" k ] | "null" | "N" atomkey n { num } n+1 { ref } miss |
//               "C" input_rank L { ref | "x" } miss         (miss := ref | "-")
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lib/ir/model.hpp"

namespace mb::canon::detail {

struct TreeCanonHooks {
  std::function<std::string(const ir::Expr&)> expr_text;  // canonical text of an expression
  std::function<int32_t(int32_t)> input_rank;             // model input index -> sorted rank
  std::function<std::string(double)> num;                 // canonical number text
  std::function<void()> drain;                            // if set: called between blocks of trees appended to `out`
};

// Appends the canonical forms of trees [first_tree, last_tree) of `te` to `out`, one after the
// other; with `per_tree`, pushes each tree's form to it instead.  Blocks of trees are formed by
// several threads (the text does not depend on how many); the hooks must be safe to call from
// them, except expr_text, which is called before any thread starts.
void write_tree_forms(const ir::Model& m, const ir::TreeEnsemble& te, size_t first_tree, size_t last_tree,
                      const TreeCanonHooks& hooks, std::string& out, std::vector<std::string>* per_tree = nullptr);

}  // namespace mb::canon::detail
