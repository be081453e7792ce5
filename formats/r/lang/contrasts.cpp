// Contrast matrices of R's stats package, recomputed (R stores only the function names), and
// the orthogonal polynomial basis of poly().
#include <cmath>

#include <fmt/format.h>

#include "formats/r/lang/formula.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

ContrastMatrix identity(const std::vector<std::string>& levels) {
  ContrastMatrix m;
  m.n_levels = m.n_cols = levels.size();
  m.values.assign(m.n_levels * m.n_cols, 0.0);
  for (size_t i = 0; i < m.n_levels; ++i) m.values[i * m.n_levels + i] = 1.0;
  m.colnames = levels;
  return m;
}

// Identity without column `base` (contr.treatment base 1, contr.SAS base n).
ContrastMatrix treatment(const std::vector<std::string>& levels, size_t base) {
  ContrastMatrix full = identity(levels);
  ContrastMatrix m;
  m.n_levels = levels.size();
  m.n_cols = levels.size() - 1;
  for (size_t c = 0; c < full.n_cols; ++c) {
    if (c == base) continue;
    m.values.insert(m.values.end(), full.values.begin() + c * m.n_levels, full.values.begin() + (c + 1) * m.n_levels);
    m.colnames.push_back(levels[c]);
  }
  return m;
}

}  // namespace

ContrastMatrix contr_poly(size_t n) {
  // make.poly: y = scores - mean(scores); X = outer(y, 0:(n-1), "^"); the columns of Q from
  // qr(X) scaled by diag(R) are the residuals of each power after projection on the lower ones
  // (sign included), then normalised to unit length.  Gram-Schmidt, orthogonalised twice.
  const double mean = (static_cast<double>(n) + 1.0) / 2.0;
  std::vector<std::vector<double>> q;  // orthonormal columns, degree 0..n-1
  for (size_t d = 0; d < n; ++d) {
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::pow(static_cast<double>(i + 1) - mean, static_cast<double>(d));
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& u : q) {
        double dot = 0;
        for (size_t i = 0; i < n; ++i) dot += u[i] * v[i];
        for (size_t i = 0; i < n; ++i) v[i] -= dot * u[i];
      }
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    for (double& x : v) x /= norm;
    q.push_back(std::move(v));
  }
  ContrastMatrix m;
  m.n_levels = n;
  m.n_cols = n - 1;
  for (size_t d = 1; d < n; ++d) {
    m.values.insert(m.values.end(), q[d].begin(), q[d].end());
    static const char* kNames[] = {"", ".L", ".Q", ".C"};
    m.colnames.push_back(d <= 3 ? std::string(kNames[d]) : fmt::format("^{}", d));
  }
  return m;
}

ContrastMatrix contrast_matrix(const std::string& function, const std::vector<std::string>& levels, bool full,
                               const std::string& file, const std::string& place) {
  const size_t n = levels.size();
  if (full) return identity(levels);
  if (n < 2) throw Error(file, place, fmt::format("contrasts need at least 2 levels, factor has {}", n));
  if (function == "contr.treatment") return treatment(levels, 0);
  if (function == "contr.SAS") return treatment(levels, n - 1);
  ContrastMatrix m;
  m.n_levels = n;
  m.n_cols = n - 1;
  m.values.assign(n * (n - 1), 0.0);
  if (function == "contr.sum") {
    for (size_t c = 0; c + 1 < n; ++c) {
      m.values[c * n + c] = 1.0;
      m.values[c * n + (n - 1)] = -1.0;
    }
    return m;
  }
  if (function == "contr.helmert") {
    for (size_t c = 0; c + 1 < n; ++c) {
      for (size_t r = 0; r <= c; ++r) m.values[c * n + r] = -1.0;
      m.values[c * n + c + 1] = static_cast<double>(c + 1);
    }
    return m;
  }
  if (function == "contr.poly") return contr_poly(n);
  throw Unsupported(file, place, fmt::format("unsupported contrast function '{}'", function));
}

std::vector<double> poly_basis(double x, const std::vector<double>& alpha, const std::vector<double>& norm2,
                               size_t degree) {
  std::vector<double> z(degree + 1, 1.0);
  if (degree >= 1) z[1] = x - alpha[0];
  for (size_t i = 1; i < degree; ++i) z[i + 1] = (x - alpha[i]) * z[i] - (norm2[i + 1] / norm2[i]) * z[i - 1];
  std::vector<double> out(degree);
  for (size_t k = 1; k <= degree; ++k) out[k - 1] = z[k] / std::sqrt(norm2[k + 1]);
  return out;
}

}  // namespace mb::r
