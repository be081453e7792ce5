#include "formats/r/lang/splines.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mb::r::splines {
namespace {

using ir::Expr;
using ir::Op;

// The state of splines.c's spline_basis for one x: the cursor (index of the first knot above x,
// 0-based; the last legitimate one when x is the right boundary knot) and the difference tables.
struct Cursor {
  const std::vector<double>& k;
  int order;
  int curs = -1;
  bool boundary = false;
  std::vector<double> rdel, ldel, a;

  Cursor(const std::vector<double>& knots, int ord) : k(knots), order(ord), rdel(ord), ldel(ord), a(ord) {}
  int nk() const { return static_cast<int>(k.size()); }

  void set(double x) {
    curs = -1;
    boundary = false;
    for (int i = 0; i < nk(); ++i) {
      if (k[i] >= x) curs = i;
      if (k[i] > x) break;
    }
    const int last = nk() - order;
    if (curs > last && x == k[last]) {
      boundary = true;
      curs = last;
    }
  }
  bool legit() const { return curs >= order && curs <= nk() - order; }

  void diff_table(double x, int ndiff) {
    for (int i = 0; i < ndiff; ++i) {
      rdel[i] = k[curs + i] - x;
      ldel[i] = x - k[curs - (i + 1)];
    }
  }

  // basis_funcs: the `order` non-zero basis values at x.
  void basis(double x, double* b) {
    const int m1 = order - 1;
    diff_table(x, m1);
    b[0] = 1.0;
    for (int j = 1; j <= m1; ++j) {
      double saved = 0.0;
      for (int r = 0; r < j; ++r) {
        const double den = rdel[r] + ldel[j - 1 - r];
        if (den != 0) {
          const double term = b[r] / den;
          b[r] = saved + rdel[r] * term;
          saved = ldel[j - 1 - r] * term;
        } else {
          if (r != 0 || rdel[r] != 0.0) b[r] = saved;
          saved = 0.0;
        }
      }
      b[j] = saved;
    }
  }

  // evaluate: derivative `nder` of the spline with coefficients `a` (set by the caller).
  double evaluate(double x, int nder) {
    int outer = order - 1;
    if (boundary && nder == order - 1) return 0.0;
    const int ti = curs;
    while (nder--) {
      for (int inner = outer, ap = 0, lp = ti - outer; inner--; ++ap, ++lp)
        a[ap] = outer * (a[ap + 1] - a[ap]) / (k[lp + outer] - k[lp]);
      --outer;
    }
    diff_table(x, outer);
    while (outer--)
      for (int ap = 0, lp = outer, rp = 0, inner = outer + 1; inner--; --lp, ++rp, ++ap)
        a[ap] = (a[ap + 1] * ldel[lp] + a[ap] * rdel[rp]) / (rdel[rp] + ldel[lp]);
    return a[0];
  }
};

// The basis functions on the interval of cursor `c` as expressions over x (basis_funcs with
// the knots as constants): den is zero exactly when its two knots are equal, known here.
std::vector<Expr> interval_basis(const std::vector<double>& k, int order, int c, const Expr& x) {
  const int m1 = order - 1;
  std::vector<Expr> rdel, ldel;
  std::vector<double> rk, lk;  // the knots of each difference
  for (int i = 0; i < m1; ++i) {
    rdel.push_back(Expr::binary(Op::Sub, Expr::constant(k[c + i]), x));
    ldel.push_back(Expr::binary(Op::Sub, x, Expr::constant(k[c - (i + 1)])));
    rk.push_back(k[c + i]);
    lk.push_back(k[c - (i + 1)]);
  }
  std::vector<Expr> b(order, Expr::constant(0.0));
  b[0] = Expr::constant(1.0);
  for (int j = 1; j <= m1; ++j) {
    Expr saved = Expr::constant(0.0);
    bool saved_zero = true;
    for (int r = 0; r < j; ++r) {
      if (rk[r] != lk[j - 1 - r]) {
        Expr den = Expr::binary(Op::Add, rdel[r], ldel[j - 1 - r]);
        Expr term = Expr::binary(Op::Div, b[r], den);
        Expr prod = Expr::binary(Op::Mul, rdel[r], term);
        b[r] = saved_zero ? prod : Expr::binary(Op::Add, saved, prod);
        saved = Expr::binary(Op::Mul, ldel[j - 1 - r], term);
        saved_zero = false;
      } else {
        // rdel[0] is never 0 inside an interval (x < k[c]).
        b[r] = saved;
        saved = Expr::constant(0.0);
        saved_zero = true;
      }
    }
    b[j] = saved;
  }
  return b;
}

void check_knots(const std::vector<double>& inner, std::vector<double>& boundary, const char* fn) {
  if (boundary.size() != 2 || !std::isfinite(boundary[0]) || !std::isfinite(boundary[1]))
    throw std::invalid_argument(fmt::format("{}() needs two finite Boundary.knots", fn));
  std::sort(boundary.begin(), boundary.end());
  if (!(boundary[0] < boundary[1])) throw std::invalid_argument(fmt::format("{}() boundary knots are equal", fn));
  for (double v : inner)
    if (!std::isfinite(v) || v <= boundary[0] || v >= boundary[1])
      throw std::invalid_argument(fmt::format("{}() inner knot {} is not strictly inside the boundary knots", fn, v));
}

// x as a derived field of its own (it is read by every interval).
Expr shared_x(const Expr& x, std::vector<ir::DerivedField>& derived, const std::string& term) {
  if (x.op == Op::Input || x.op == Op::Derived) return x;
  derived.push_back({term + "#x", x});
  return Expr::derived(static_cast<int32_t>(derived.size() - 1));
}

Expr weighted_sum(const std::vector<std::pair<double, Expr>>& parts) {
  Expr sum;
  bool first = true;
  for (const auto& [w, e] : parts) {
    if (w == 0) continue;
    Expr t = e.op == Op::Const && e.value == 1 ? Expr::constant(w)
             : w == 1                          ? e
                                               : Expr::binary(Op::Mul, Expr::constant(w), e);
    sum = first ? std::move(t) : Expr::binary(Op::Add, std::move(sum), std::move(t));
    first = false;
  }
  return first ? Expr::constant(0.0) : sum;
}

// Columns of `weights` x basis: weights[m][i] multiplies basis function i (i < ncoef).  Inside
// the boundary knots, per interval, from the derived basis values; outside, `left(m)` and
// `right(m)`; at the right boundary knot, `at_right[m]`.
struct Pieces {
  std::vector<std::vector<double>> weights;
  std::vector<Expr> left, right;
  std::vector<double> at_right;
};

std::vector<Expr> assemble(const std::vector<double>& k, int order, const Expr& x, const Pieces& p,
                           std::vector<ir::DerivedField>& derived, const std::string& term) {
  const int nk = static_cast<int>(k.size());
  const size_t M = p.weights.size();
  // Intervals [k[c-1], k[c]) for c = order .. nk-order, non-empty ones only.
  std::vector<int> cs;
  std::vector<std::vector<Expr>> bvals;
  for (int c = order; c <= nk - order; ++c) {
    if (!(k[c - 1] < k[c])) continue;
    std::vector<Expr> b = interval_basis(k, order, c, x);
    std::vector<Expr> refs;
    for (int r = 0; r < order; ++r) {
      derived.push_back({fmt::format("{}#b{}_{}", term, c, r), std::move(b[r])});
      refs.push_back(Expr::derived(static_cast<int32_t>(derived.size() - 1)));
    }
    cs.push_back(c);
    bvals.push_back(std::move(refs));
  }
  const double lo = k[order - 1], hi = k[nk - order];
  std::vector<Expr> cols;
  for (size_t m = 0; m < M; ++m) {
    // From the right: beyond the boundary, at it, then the intervals down to the first.
    Expr e = Expr::call(Op::IfElse,
                        {Expr::binary(Op::Gt, x, Expr::constant(hi)), p.right[m], Expr::constant(p.at_right[m])});
    for (size_t i = cs.size(); i-- > 0;) {
      const int c = cs[i];
      std::vector<std::pair<double, Expr>> parts;
      for (int r = 0; r < order; ++r) {
        const int col = c - order + r;
        parts.emplace_back(p.weights[m][col], bvals[i][r]);
      }
      e = Expr::call(Op::IfElse, {Expr::binary(Op::Lt, x, Expr::constant(k[c])), weighted_sum(parts), std::move(e)});
    }
    e = Expr::call(Op::IfElse, {Expr::binary(Op::Lt, x, Expr::constant(lo)), p.left[m], std::move(e)});
    cols.push_back(std::move(e));
  }
  return cols;
}

std::vector<double> all_knots(const std::vector<double>& inner, const std::vector<double>& boundary, int order) {
  std::vector<double> k;
  for (int i = 0; i < order; ++i) k.push_back(boundary[0]);
  k.insert(k.end(), inner.begin(), inner.end());
  for (int i = 0; i < order; ++i) k.push_back(boundary[1]);
  std::sort(k.begin(), k.end());
  return k;
}

// LINPACK dqrdc2 (as R's qr(), tol 1e-7) on an n x p column-major matrix, then dqrsl's Q^T y for
// each unit vector: returns Q^T (n x n, row-major).
std::vector<double> householder_qt(std::vector<double> x, int n, int p) {
  auto nrm2 = [](const double* v, int len) {
    double s = 0;
    for (int i = 0; i < len; ++i) s += v[i] * v[i];
    return std::sqrt(s);
  };
  std::vector<double> qraux(p), work0(p), work1(p);
  std::vector<int> pivot(p);
  for (int j = 0; j < p; ++j) {
    pivot[j] = j;
    qraux[j] = nrm2(&x[j * n], n);
    work0[j] = qraux[j];
    work1[j] = qraux[j] == 0 ? 1.0 : qraux[j];
  }
  const double tol = 1e-7;
  const int lup = std::min(n, p);
  int kk = p + 1;
  for (int l = 0; l < lup; ++l) {
    while (l + 1 < kk && qraux[l] < work1[l] * tol) {
      // Move the negligible column to the end (dqrdc2's limited pivoting).
      for (int i = 0; i < n; ++i) {
        const double t = x[l * n + i];
        for (int j = l + 1; j < p; ++j) x[(j - 1) * n + i] = x[j * n + i];
        x[(p - 1) * n + i] = t;
      }
      const int ip = pivot[l];
      const double ta = qraux[l], tb = work0[l], tc = work1[l];
      for (int j = l + 1; j < p; ++j) {
        pivot[j - 1] = pivot[j];
        qraux[j - 1] = qraux[j];
        work0[j - 1] = work0[j];
        work1[j - 1] = work1[j];
      }
      pivot[p - 1] = ip;
      qraux[p - 1] = ta;
      work0[p - 1] = tb;
      work1[p - 1] = tc;
      --kk;
    }
    if (l == n - 1) break;
    double* xl = &x[l * n];
    double nrmxl = nrm2(xl + l, n - l);
    if (nrmxl == 0) continue;
    if (xl[l] != 0) nrmxl = std::copysign(nrmxl, xl[l]);
    const double inv = 1.0 / nrmxl;
    for (int i = l; i < n; ++i) xl[i] *= inv;
    xl[l] = 1.0 + xl[l];
    for (int j = l + 1; j < p; ++j) {
      double* xj = &x[j * n];
      double dot = 0;
      for (int i = l; i < n; ++i) dot += xl[i] * xj[i];
      const double t = -dot / xl[l];
      for (int i = l; i < n; ++i) xj[i] += t * xl[i];
      if (qraux[j] != 0) {
        double tt = 1.0 - (std::fabs(xj[l]) / qraux[j]) * (std::fabs(xj[l]) / qraux[j]);
        tt = std::max(tt, 0.0);
        if (std::fabs(tt) < 1e-6) {
          qraux[j] = nrm2(xj + l + 1, n - l - 1);
          work0[j] = qraux[j];
        } else {
          qraux[j] = qraux[j] * std::sqrt(tt);
        }
      }
    }
    qraux[l] = xl[l];
    xl[l] = -nrmxl;
  }
  const int rank = std::min(kk - 1, n);
  std::vector<double> qt(static_cast<size_t>(n) * n);
  const int ju = std::min(rank, n - 1);
  for (int col = 0; col < n; ++col) {
    std::vector<double> y(n, 0.0);
    y[col] = 1.0;
    for (int j = 0; j < ju; ++j) {
      if (qraux[j] == 0) continue;
      double* xj = &x[j * n];
      const double temp = xj[j];
      xj[j] = qraux[j];
      double dot = 0;
      for (int i = j; i < n; ++i) dot += xj[i] * y[i];
      const double t = -dot / xj[j];
      for (int i = j; i < n; ++i) y[i] += t * xj[i];
      xj[j] = temp;
    }
    for (int r = 0; r < n; ++r) qt[static_cast<size_t>(r) * n + col] = y[r];
  }
  if (rank < p) throw std::invalid_argument("the boundary constraints of ns() are rank-deficient");
  return qt;
}

}  // namespace

std::vector<double> design_row(const std::vector<double>& knots, int order, double x, int nder) {
  Cursor cur(knots, order);
  cur.set(x);
  if (!cur.legit()) throw std::domain_error(fmt::format("x = {} is outside the knots", x));
  const int ncoef = static_cast<int>(knots.size()) - order;
  std::vector<double> row(ncoef, 0.0), vals(order);
  if (nder > 0) {
    for (int ii = 0; ii < order; ++ii) {
      std::fill(cur.a.begin(), cur.a.end(), 0.0);
      cur.a[ii] = 1.0;
      vals[ii] = cur.evaluate(x, nder);
    }
  } else {
    cur.basis(x, vals.data());
  }
  const int offset = cur.curs - order;
  for (int j = 0; j < order; ++j) row[offset + j] = vals[j];
  return row;
}

Basis natural_spline(const Expr& x_in, std::vector<double> inner, std::vector<double> boundary, bool intercept,
                     std::vector<ir::DerivedField>& derived, const std::string& term) {
  check_knots(inner, boundary, "ns");
  std::sort(inner.begin(), inner.end());
  const int order = 4;
  const std::vector<double> k = all_knots(inner, boundary, order);
  const int ncoef = static_cast<int>(k.size()) - order;  // nIknots + 4
  const int skip = intercept ? 0 : 1;                    // the first column dropped
  const int n = ncoef - skip;
  // const = splineDesign(Aknots, Boundary.knots, 4, derivs = c(2, 2)), minus column 1; QR of t(const).
  const auto c0 = design_row(k, order, boundary[0], 2), c1 = design_row(k, order, boundary[1], 2);
  std::vector<double> tconst(static_cast<size_t>(n) * 2);
  for (int i = 0; i < n; ++i) {
    tconst[i] = c0[i + skip];
    tconst[n + i] = c1[i + skip];
  }
  const std::vector<double> qt = householder_qt(tconst, n, 2);
  const int M = n - 2;
  if (M < 1) throw std::invalid_argument("ns() with no basis column");
  Pieces p;
  p.weights.assign(M, std::vector<double>(ncoef, 0.0));
  for (int m = 0; m < M; ++m)
    for (int i = 0; i < n; ++i) p.weights[m][i + skip] = qt[static_cast<size_t>(m + 2) * n + i];
  auto project = [&](const std::vector<double>& row, int m) {
    double s = 0;
    for (int i = 0; i < ncoef; ++i) s += p.weights[m][i] * row[i];
    return s;
  };
  const Expr x = shared_x(x_in, derived, term);
  // Outside: basis = [1, x - k] %*% rbind(value, slope) at the boundary knot.
  for (int side = 0; side < 2; ++side) {
    const double piv = boundary[side];
    const auto v = design_row(k, order, piv, 0), d = design_row(k, order, piv, 1);
    for (int m = 0; m < M; ++m) {
      Expr lin = Expr::binary(
          Op::Add, Expr::constant(project(v, m)),
          Expr::binary(Op::Mul, Expr::binary(Op::Sub, x, Expr::constant(piv)), Expr::constant(project(d, m))));
      (side == 0 ? p.left : p.right).push_back(std::move(lin));
    }
  }
  const auto at_right = design_row(k, order, boundary[1], 0);
  for (int m = 0; m < M; ++m) p.at_right.push_back(project(at_right, m));
  Basis out;
  out.columns = assemble(k, order, x, p, derived, term);
  out.description = fmt::format("{}: natural cubic spline, {} inner knots, boundary [{}, {}]{}, linear beyond", term,
                                inner.size(), boundary[0], boundary[1], intercept ? ", with intercept" : "");
  return out;
}

Basis b_spline(const Expr& x_in, int degree, std::vector<double> inner, std::vector<double> boundary, bool intercept,
               std::vector<ir::DerivedField>& derived, const std::string& term) {
  if (degree < 1 || degree > 20) throw std::invalid_argument("bs() degree must be a whole number from 1 to 20");
  check_knots(inner, boundary, "bs");
  std::sort(inner.begin(), inner.end());
  const int order = degree + 1;
  const std::vector<double> k = all_knots(inner, boundary, order);
  const int ncoef = static_cast<int>(k.size()) - order;
  const int skip = intercept ? 0 : 1;
  const int M = ncoef - skip;
  if (M < 1) throw std::invalid_argument("bs() with no basis column");
  Pieces p;
  p.weights.assign(M, std::vector<double>(ncoef, 0.0));
  for (int m = 0; m < M; ++m) p.weights[m][m + skip] = 1.0;
  const Expr x = shared_x(x_in, derived, term);
  // Outside: the Taylor polynomial at a pivot a quarter of the way to the nearest inner knot
  // (R >= 3.2.3): sum_d (x - pivot)^d * splineDesign(..., derivs = d) / d!.
  const int nk = static_cast<int>(k.size());
  const double e = 0.25;
  const double pivots[2] = {(1 - e) * boundary[0] + e * k[order], (1 - e) * boundary[1] + e * k[nk - order - 1]};
  for (int side = 0; side < 2; ++side) {
    const double piv = pivots[side];
    std::vector<std::vector<double>> tt;
    double fact = 1;
    for (int d = 0; d <= degree; ++d) {
      if (d > 1) fact *= d;
      auto row = design_row(k, order, piv, d);
      for (double& v : row) v /= fact;
      tt.push_back(std::move(row));
    }
    for (int m = 0; m < M; ++m) {
      const Expr dx = Expr::binary(Op::Sub, x, Expr::constant(piv));
      std::vector<std::pair<double, Expr>> parts;
      parts.emplace_back(tt[0][m + skip], Expr::constant(1.0));
      for (int d = 1; d <= degree; ++d)
        parts.emplace_back(tt[d][m + skip], d == 1 ? dx : Expr::binary(Op::Pow, dx, Expr::constant(d)));
      (side == 0 ? p.left : p.right).push_back(weighted_sum(parts));
    }
  }
  const auto at_right = design_row(k, order, boundary[1], 0);
  for (int m = 0; m < M; ++m) p.at_right.push_back(at_right[m + skip]);
  Basis out;
  out.columns = assemble(k, order, x, p, derived, term);
  out.description = fmt::format(
      "{}: B-spline of degree {}, {} inner knots, boundary [{}, {}]{}, degree-{} "
      "polynomial beyond (R warns there)",
      term, degree, inner.size(), boundary[0], boundary[1], intercept ? ", with intercept" : "", degree);
  return out;
}

}  // namespace mb::r::splines
