// Option declarations shared by several commands, and validators whose messages say what a
// value should be (CLI11's own say "not in range" for a word where a number belongs).
#pragma once
#include <CLI/CLI.hpp>

#include <initializer_list>
#include <string>

#include "tools/commands.hpp"

namespace mb::cli {

// --levels VAR=L1,L2,... (repeatable), --lambda S, --nb-threshold T and --n-trees N.
void add_import(CLI::App& app, ImportOptions& o);
// --rtol R and --atol A (numbers >= 0).
void add_tolerance(CLI::App& app, Tolerance& t);

// --delimiter C for the data CSV: one character, or "tab" / "\t".
void add_delimiter(CLI::App& app, char& delimiter);

// A number >= 0: "expects a number >= 0, not 'abc'".
CLI::Validator nonnegative_number();
// An integer in [lo, hi].
CLI::Validator integer_in(long lo, long hi);
// One of `values`: "expects one of error, na; not 'x'".
CLI::Validator one_of(std::initializer_list<const char*> values);

}  // namespace mb::cli
