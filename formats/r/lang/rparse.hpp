// A parser for deparsed R code (what deparse() prints for formulas, terms, calls), producing the
// same tree R's own parser builds, in the conventions of robject.hpp:
//  - a call is a Language node: elements[0] = the function (a Symbol, or another call),
//    elements[1..] = arguments, tags[i] = argument name or "" (tags[0] is always "");
//  - operators are calls of the operator symbol: `y ~ x + z` is ~(y, +(x, z)); `(x)` is
//    `(`(x); `x[, 1]` is `[`(x, <missing>, 1); `x[[i]]`, `x$a`, `x@a`, `{ a; b }`, `a <- b`,
//    `pkg::f`, `if`, `for`, `while`, `repeat`, `function` likewise.  `a -> b` becomes `<-`(b, a)
//    and `x |> f(y)` becomes f(x, y), as in R;
//  - constants are length-1 vectors: 1.5 and 1e-05 Double, 2L Integer, TRUE/NA Logical,
//    "s" Character, NA_real_/NA_integer_/NA_character_, Inf, NaN; NULL is a Null node; 2i is
//    Complex.  Negative numbers are calls: `-1` is -(1);
//  - an empty argument (x[, 1], f(a, ), alist(x = )) is a MissingArg node;
//  - `function(x, y = 2) body` is `function`(formals, body, NULL) with formals a Pairlist
//    (tags = formal names, MissingArg for no default) or Null when there are none.
#pragma once
#include <string>
#include <string_view>

#include "formats/r/lang/robject.hpp"

namespace mb::r {

// Parses exactly one R expression (surrounding newlines and ';' allowed).  Throws
// mb::Error(file, place, "cannot parse R expression: ... at line L:col C") on bad input; the
// caller decides whether that is fatal.
RPtr parse_r_expression(std::string_view code, const std::string& file, const std::string& place);

// Node constructors shared by the R readers and importers.
RPtr make_symbol(std::string name);
RPtr make_missing_arg();
RPtr make_double(double v);
RPtr make_integer(int32_t v);
RPtr make_logical(int32_t v);  // 0, 1 or kNaInteger
RPtr make_string(std::optional<std::string> v);
RPtr make_call(RPtr function, std::vector<RPtr> args, std::vector<std::string> tags = {});

// Folds a constant numeric expression as it appears in deparsed code: numbers, TRUE/FALSE/NA,
// unary minus/plus, parentheses and c(...) of those (c(-0.5, 1e-05) is (c (- 0.5) 1e-05) in the
// tree).  Appends to `out` and returns true, or returns false for anything else.
bool constant_numbers(const RObject& node, std::vector<double>& out);

// R-like deparse of a parsed expression, for messages and for matching term labels such as
// "factor(Month)", "I(x^2)", "a:b" (same spacing rules as R's deparse for these forms; doubles
// with 15 significant digits like R).
std::string deparse(const RObject& node);

// A one-line s-expression form that exposes the exact tree shape, for tests and debugging:
// (f a name=b), symbols bare, Double as %.17g, Integer as 1L, Logical TRUE/FALSE/NA,
// Character in double quotes, <missing>, NULL, NA_real_, NA_integer_, NA_character_.
std::string to_sexpr(const RObject& node);

}  // namespace mb::r
