// Reader for jsonlite::serializeJSON output: any R object as nested
// {"type": T, "attributes": {name: node, ...}, "value": V} nodes, into the R object tree
// (robject.hpp).  Deparsed language values are parsed with the R expression parser
// (rparse.hpp); text it cannot parse stays a Language node with `text` and `unparsed` set.
//
// Precision: jsonlite 1.8.4 writes doubles with at most 15 significant digits (digits = NA;
// its default digits = 8 keeps 8 decimals), and deparses numbers inside R expressions with 15
// digits in every version.  read_rjson adds Warning{"json-15-digits", ...} when the doubles
// evidently lost digits: no double in the file needs more than 15 significant digits to
// round-trip (any 17-digit writer produces such doubles for computed values), while at least
// one non-integer double has 6 or more.  "Needs more than 15" is judged on the literal text:
// 16+ significant digits in scientific notation or with 16+ decimals (jsonlite's default
// digits = 8 keeps 8 decimals, so large numbers get 16+ digits without being exact).  When the doubles are exact but
// numbers inside R expressions (predvars, poly() coefficients) were rounded to 15 digits, the same warning code names
// those instead.
#pragma once
#include <string>
#include <string_view>

#include "formats/r/lang/robject.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// Parses jsonlite::serializeJSON output into the R object tree.  Throws mb::Error with a place
// "line L:col C" for malformed JSON and a JSON path ("$.value[3].attributes.names") for JSON
// that is not an R object tree.
RPtr read_rjson(std::string_view text, const std::string& file, Warnings& warnings);

// True when the first bytes look like serializeJSON output: '{' (after a BOM and whitespace)
// and a "type" member near the start.
bool looks_like_rjson(std::string_view head);

// What read_rjson measured about the number literals of a file (for tests and `inspect`).
// Only non-integer doubles count: integers are exact whatever the writer.
struct RjsonDigitStats {
  size_t non_integer = 0;         // non-integer number literals in the JSON
  size_t precise = 0;             // of those, written with 16+ significant digits and either in
                                  // scientific notation or with 16+ decimals: only writers that
                                  // keep full precision (%.17g, shortest round trip) do that
  int max_significant = 0;        // most significant digits of a non-integer literal
  int max_decimals = 0;           // most digits after the point of a fixed-notation one
  size_t language_numbers = 0;    // non-integer numbers inside parsed R expressions
  size_t language_over_15 = 0;    // of those, numbers needing 16 or 17 digits to round-trip
  size_t language_15_digits = 0;  // of those, numbers with exactly 15 significant digits
  bool digits_lost() const { return precise == 0 && non_integer > 0 && max_significant >= 6; }
  bool language_digits_lost() const { return language_over_15 == 0 && language_15_digits > 0; }
};
RPtr read_rjson(std::string_view text, const std::string& file, Warnings& warnings, RjsonDigitStats* stats);

// Significant digits of the shortest decimal that reads back as v (1..17; 0 for 0/NaN/Inf).
int shortest_digits(double v);

}  // namespace mb::r
