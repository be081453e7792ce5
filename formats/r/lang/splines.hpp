// splines::ns() and splines::bs() terms of R formulas as IR expressions.  The B-spline basis is
// evaluated as splines::splineDesign() evaluates it (the package's C code: set_cursor,
// diff_table, basis_funcs, evaluate, ported below), per knot interval, with R's rules outside
// the boundary knots: ns() extrapolates linearly from the value and slope at the boundary knot;
// bs() uses the Taylor polynomial of degree `degree` at a pivot a quarter of the way to the
// nearest inner knot (R warns "some 'x' values beyond boundary knots may cause ill-conditioned
// bases" and computes it anyway).  ns() projects the cubic basis on the null space of the second
// derivatives at the boundary knots with the Householder QR of LINPACK's dqrdc2/dqrsl, as R's
// qr()/qr.qty() do.
#pragma once
#include <string>
#include <vector>

#include "lib/ir/expr.hpp"

namespace mb::r::splines {

// The B-spline basis of order `order` on `knots` (sorted, boundary knots repeated `order` times),
// as splineDesign(knots, x, order, derivs = nder): ncoef = knots - order values (0 outside the
// support of each function).  Throws std::domain_error outside [knots[order-1], knots[n-order]].
std::vector<double> design_row(const std::vector<double>& knots, int order, double x, int nder = 0);

struct Basis {
  std::vector<ir::Expr> columns;  // one expression per basis column ("1", "2", ...)
  std::string description;
};

// ns(x, knots, Boundary.knots, intercept) / bs(x, degree, knots, Boundary.knots, intercept) of
// the expression `x`.  Shared intermediates (x itself, the basis values of each knot interval)
// are appended to `derived` as fields named after `term`.  Throws std::invalid_argument with a
// message for parameters R would refuse.
Basis natural_spline(const ir::Expr& x, std::vector<double> inner, std::vector<double> boundary, bool intercept,
                     std::vector<ir::DerivedField>& derived, const std::string& term);
Basis b_spline(const ir::Expr& x, int degree, std::vector<double> inner, std::vector<double> boundary, bool intercept,
               std::vector<ir::DerivedField>& derived, const std::string& term);

}  // namespace mb::r::splines
