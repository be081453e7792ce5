// glmnet objects (docs/r-objects.md, "glmnet"): elnet (gaussian), lognet (binomial),
// fishnet (poisson) and multnet (multinomial) at one penalty value s.
//
// `$a0` (intercepts per lambda; multnet: K x nlambda), `$beta` (a dgCMatrix nvars x nlambda,
// multnet: a list of K of them; coefficients already on the original x scale), `$lambda`,
// `$classnames`.  predict(s) takes the lambda column when s is on the path, otherwise
// glmnet's lambda.interp: on the normalised axis (lambda[1] - lambda) / (lambda[1] - lambda[k])
// the bracketing columns left/right are mixed as frac * left + (1 - frac) * right.  The model
// has no formula: the inputs are the x matrix columns (`$beta@Dimnames[[1]]`).
#include <fmt/format.h>

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

// A dgCMatrix (or a plain numeric matrix) as a dense column-major matrix.
Matrix sparse_or_dense(const RObject& obj, const std::string& file, const std::string& path) {
  if (obj.type != RType::S4) return Member(obj, file, path).matrix();
  const RObject* dim = obj.attr("Dim");
  const RObject* i = obj.attr("i");
  const RObject* p = obj.attr("p");
  const RObject* x = obj.attr("x");
  if (!dim || !i || !p || !x || !dim->is_numeric() || dim->length() != 2 || !i->is_numeric() || !p->is_numeric() ||
      !x->is_numeric())
    throw Error(file, path, "expected a dgCMatrix (slots i, p, x, Dim, Dimnames)");
  Matrix m;
  const double rows = dim->number(0), cols = dim->number(1);
  if (!(rows >= 0 && cols >= 0 && rows * cols <= 1e9)) throw Error(file, path + "@Dim", "bad dimensions");
  m.rows = static_cast<size_t>(rows);
  m.cols = static_cast<size_t>(cols);
  m.v.assign(m.rows * m.cols, 0.0);
  const std::vector<double> iv = i->numbers(), pv = p->numbers(), xv = x->numbers();
  if (pv.size() != m.cols + 1 || iv.size() != xv.size() || pv.back() != static_cast<double>(xv.size()) || pv[0] != 0)
    throw Error(file, path + "@p", "column pointers do not match the stored values");
  // Every pointer a whole number within the stored values, never decreasing: checked before any
  // is used (a later decrease would otherwise be found after reading past the end).
  std::vector<size_t> start(pv.size());
  for (size_t c = 0; c < pv.size(); ++c) {
    start[c] = static_cast<size_t>(
        whole_number(pv[c], 0, static_cast<int64_t>(xv.size()), file, fmt::format("{}@p[{}]", path, c + 1)));
    if (c > 0 && start[c] < start[c - 1]) throw Error(file, path + "@p", "column pointers decrease");
  }
  for (size_t c = 0; c < m.cols; ++c) {
    for (size_t k = start[c]; k < start[c + 1]; ++k) {
      const double r = iv[k];
      if (!(r >= 0 && r < rows)) throw Error(file, fmt::format("{}@i[{}]", path, k), "row index out of range");
      m.v[c * m.rows + static_cast<size_t>(r)] = xv[k];
    }
  }
  if (const RObject* dn = obj.attr("Dimnames"); dn && dn->type == RType::List && dn->elements.size() == 2) {
    auto names = [](const RObject* o) {
      std::vector<std::string> out;
      if (o && o->type == RType::Character)
        for (auto& s : o->strings) out.push_back(s ? *s : "NA");
      return out;
    };
    m.rownames = names(dn->elements[0].get());
    m.colnames = names(dn->elements[1].get());
    if (m.rownames.size() != m.rows) m.rownames.clear();
  }
  return m;
}

// glmnet's lambda.interp for one s.
struct Interp {
  size_t left = 0, right = 0;  // 0-based
  double frac = 1;
};

// R's approx(x, y = 1..n, v) for increasing x, v inside [x[0], x[n-1]].
double approx_index(const std::vector<double>& x, double v) {
  size_t i = 0, j = x.size() - 1;
  while (i + 1 < j) {
    const size_t ij = (i + j) / 2;
    if (v < x[ij]) j = ij;
    else i = ij;
  }
  if (v == x[j]) return static_cast<double>(j + 1);
  if (v == x[i]) return static_cast<double>(i + 1);
  const double yi = static_cast<double>(i + 1), yj = static_cast<double>(j + 1);
  return yi + (yj - yi) * ((v - x[i]) / (x[j] - x[i]));
}

Interp lambda_interp(const std::vector<double>& lambda, double s) {
  Interp r;
  const size_t k = lambda.size();
  if (k == 1) return r;
  const double span = lambda[0] - lambda[k - 1];
  double sfrac = (lambda[0] - s) / span;
  std::vector<double> norm(k);
  for (size_t i = 0; i < k; ++i) norm[i] = (lambda[0] - lambda[i]) / span;
  double lo = norm[0], hi = norm[0];
  for (double v : norm) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (sfrac < lo) sfrac = lo;
  if (sfrac > hi) sfrac = hi;
  const double coord = approx_index(norm, sfrac);
  r.left = static_cast<size_t>(std::floor(coord)) - 1;
  r.right = static_cast<size_t>(std::ceil(coord)) - 1;
  r.frac = (sfrac - norm[r.right]) / (norm[r.left] - norm[r.right]);
  if (r.left == r.right || std::fabs(norm[r.left] - norm[r.right]) < DBL_EPSILON) r.frac = 1;
  return r;
}

double mix(const Matrix& m, size_t row, const Interp& in) {
  return m.at(row, in.left) * in.frac + m.at(row, in.right) * (1 - in.frac);
}

std::string first_glmnet_class(const RObject& root) {
  for (const auto& c : root.classes())
    if (c == "elnet" || c == "lognet" || c == "fishnet" || c == "multnet") return c;
  return root.classes().empty() ? std::string("?") : root.classes()[0];
}

}  // namespace

ir::Model import_glmnet(const RObject& root, const std::string& file, double s) {
  const std::string cls = first_glmnet_class(root);
  if (cls != "elnet" && cls != "lognet" && cls != "fishnet" && cls != "multnet")
    throw Unsupported(file, "",
                      fmt::format("unsupported R class '{}' (glmnet family; supported: elnet, lognet, fishnet, "
                                  "multnet)",
                                  cls));
  if (Member(root, file).flag("offset", false))
    throw Error(file, "$offset", "glmnet fitted with an offset needs the offset at prediction time; not supported");
  if (!std::isfinite(s) || s < 0) throw Error(file, "$lambda", fmt::format("penalty s = {} is not a valid lambda", s));
  const std::vector<double> lambda = Member(root, file)["lambda"].numbers();
  if (lambda.empty()) throw Error(file, "$lambda", "empty lambda path");
  for (size_t i = 1; i < lambda.size(); ++i)
    if (!(lambda[i] < lambda[i - 1])) throw Error(file, fmt::format("$lambda[{}]", i), "the path must decrease");
  const Interp in = lambda_interp(lambda, s);

  const bool multi = cls == "multnet";
  std::vector<Matrix> betas;
  std::vector<std::string> class_names;
  const RObject* beta = root.get("beta");
  if (!beta) throw Error(file, "$beta", "expected the coefficient matrix");
  if (multi) {
    if (beta->type != RType::List || beta->elements.empty())
      throw Error(file, "$beta", "expected a list of coefficient matrices, one per class");
    for (size_t k = 0; k < beta->elements.size(); ++k)
      betas.push_back(sparse_or_dense(*beta->elements[k], file, fmt::format("$beta[[{}]]", k + 1)));
  } else {
    betas.push_back(sparse_or_dense(*beta, file, "$beta"));
  }
  const size_t T = betas.size(), F = betas[0].rows;
  for (auto& b : betas)
    if (b.rows != F || b.cols != lambda.size() || b.rownames != betas[0].rownames)
      throw Error(file, "$beta",
                  fmt::format("expected {} x {} coefficient matrices with the same variables", F, lambda.size()));
  if (betas[0].rownames.size() != F)
    throw Error(file, "$beta@Dimnames", "the coefficients have no variable names: the inputs have no names");
  const RObject* a0_obj = root.get("a0");
  if (!a0_obj) throw Error(file, "$a0", "expected the intercepts");
  Matrix a0 = Member(*a0_obj, file, "$a0").matrix();
  if (!multi) {  // a vector over lambda: one row
    a0.rows = 1;
    a0.cols = a0.v.size();
  }
  if (a0.rows != T || a0.cols != lambda.size())
    throw Error(file, "$a0", fmt::format("expected {} x {} intercepts", T, lambda.size()));

  ir::Model m;
  for (size_t f = 0; f < F; ++f) {
    ir::InputField field;
    field.name = betas[0].rownames[f];
    if (m.schema.find_input(field.name) >= 0)
      throw Error(file, "$beta@Dimnames", fmt::format("variable '{}' appears twice", field.name));
    m.schema.inputs.push_back(field);
    m.features.push_back({field.name, ir::Expr::input(static_cast<int32_t>(f))});
  }
  ir::Linear lin;
  lin.n_targets = static_cast<int32_t>(T);
  for (size_t t = 0; t < T; ++t) {
    lin.intercepts.push_back(mix(a0, t, in));
    for (size_t f = 0; f < F; ++f) lin.coefficients.push_back(mix(betas[t], f, in));
  }
  std::string family;
  if (cls == "elnet") {
    family = "glmnet gaussian (elnet)";
  } else if (cls == "fishnet") {
    lin.link = ir::Link::Log;
    family = "glmnet poisson (fishnet)";
  } else {
    if (const auto cn = Member(root, file).get("classnames")) {
      class_names = cn->strings();
    } else {
      // A response matrix without column names (cbind(fail, success), a count matrix): glmnet
      // keeps no class names and R's predict(type = "class") has none to give; the probabilities
      // (of column 2 for binomial, of every column for multinomial) are well defined.
      const size_t n = cls == "lognet" ? 2 : static_cast<size_t>(T);
      for (size_t i = 1; i <= n; ++i) class_names.push_back(std::to_string(i));
      warn(m, "glmnet-classnames-unknown",
           fmt::format("the {} response was a matrix without column names ($classnames is NULL): its columns are "
                       "named 1..{} here by position (R's predict(type = \"class\") has no labels)",
                       cls == "lognet" ? "binomial" : "multinomial", n));
    }
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = class_names;
    if (cls == "lognet") {
      if (class_names.size() != 2) throw Error(file, "$classnames", "expected two classes");
      lin.link = ir::Link::Logit;
      lin.transform = ir::ScoreTransform::Binary;
      family = "glmnet binomial (lognet)";
    } else {
      if (class_names.size() != T)
        throw Error(file, "$classnames", fmt::format("{} classes for {} coefficient sets", class_names.size(), T));
      lin.transform = ir::ScoreTransform::Softmax;
      family = "glmnet multinomial (multnet)";
    }
  }
  // predict.glmnet multiplies by a sparse matrix: a variable whose coefficients are all zero at
  // this s is never read (a missing value there does not make the prediction missing).  Such
  // variables stay inputs but feed no feature.
  {
    std::vector<ir::Feature> kept;
    std::vector<double> coefs;
    std::vector<size_t> keep_index;
    for (size_t f = 0; f < F; ++f) {
      bool used = false;
      for (size_t t = 0; t < T; ++t) used |= lin.coefficients[t * F + f] != 0.0;
      if (used) keep_index.push_back(f);
    }
    for (size_t t = 0; t < T; ++t)
      for (size_t f : keep_index) coefs.push_back(lin.coefficients[t * F + f]);
    for (size_t f : keep_index) kept.push_back(std::move(m.features[f]));
    lin.coefficients = std::move(coefs);
    m.features = std::move(kept);
    if (keep_index.size() < F)
      m.provenance.preprocessing.push_back(
          fmt::format("{} of {} variables have zero coefficients at this s and are "
                      "not read",
                      F - keep_index.size(), F));
  }
  m.estimator = std::move(lin);
  m.provenance.source_class = cls;
  if (in.left == in.right || in.frac == 1)
    m.provenance.family = fmt::format("{} at s = {} (lambda[{}] of {})", family, s, in.left + 1, lambda.size());
  else
    m.provenance.family = fmt::format("{} at s = {} (interpolated between lambda[{}] and lambda[{}])", family, s,
                                      in.left + 1, in.right + 1);
  ir::validate(m, file);
  return m;
}

ir::Model import_glmnet(const RObject& root, const std::string& file) {
  const std::vector<double> lambda = Member(root, file)["lambda"].numbers();
  if (lambda.empty()) throw Error(file, "$lambda", "empty lambda path");
  // r2pmml's decoration stores the penalty to use as `$lambda.s`; otherwise the path's end.
  const RObject* chosen = root.get("lambda.s");
  const bool decorated = chosen && chosen->is_numeric() && chosen->length() == 1 && std::isfinite(chosen->number(0));
  const double s = decorated ? chosen->number(0) : lambda.back();
  ir::Model m = import_glmnet(root, file, s);
  if (decorated)
    warn(m, "glmnet-lambda",
         fmt::format("a glmnet object holds a whole lambda path; imported at s = {:.17g}, the value its "
                     "$lambda.s names",
                     s));
  else
    warn(m, "glmnet-lambda",
         fmt::format("a glmnet object holds a whole lambda path; imported at its last (smallest) lambda "
                     "s = {:.17g} (lambda[{}]); R's predict() needs s chosen explicitly",
                     s, lambda.size()));
  return m;
}

namespace {

// --lambda as a number: non-negative and finite, the whole text read.
std::optional<double> lambda_number(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

[[noreturn]] void bad_lambda(const std::string& file, const std::string& s, bool cv) {
  throw Error(file, "",
              cv ? fmt::format("--lambda {}: expected a non-negative number, lambda.min or lambda.1se", s)
                 : fmt::format("--lambda {}: expected a non-negative number (lambda.min and lambda.1se name the "
                               "choices of a cv.glmnet object; this is a plain glmnet path)",
                               s));
}

}  // namespace

ir::Model import_glmnet(const RObject& root, const std::string& file, const std::string& s) {
  const std::optional<double> v = lambda_number(s);
  if (!v) bad_lambda(file, s, false);
  return import_glmnet(root, file, *v);
}

namespace {

// cv.glmnet at penalty s: the fit's path at s (its `$preProcess` is applied by import_model).
ir::Model cv_glmnet_at(const RObject& root, const std::string& file, double s) {
  if (const auto relaxed = Member(root, file).get("relaxed")) {
    // cv.glmnet(relax = TRUE), class cv.relaxed: predict() blends the penalized path with the
    // unpenalized refits, gamma * beta + (1 - gamma) * beta_relaxed, at gamma.1se and at
    // $relaxed$lambda.1se (not $lambda.1se); the plain path at s would answer another question.
    std::string at;
    if (const auto g = relaxed->get("gamma.1se"); g && (*g)->is_numeric() && (*g)->length() == 1)
      at = fmt::format(" (its default: gamma.1se = {:.17g})", g->number());
    throw Unsupported(
        file, "$relaxed",
        "cv.glmnet fitted with relax = TRUE (class cv.relaxed): R's predict() blends the "
        "relaxed refits at a gamma" +
            at + ", which is not supported; the plain path is $glmnet.fit (R: predict(fit$glmnet.fit, s = ...))");
  }
  const RObject* fit = root.get("glmnet.fit");
  if (!fit || fit->type != RType::List) throw Error(file, "$glmnet.fit", "expected the fitted glmnet path");
  ir::Model m;
  try {
    m = import_glmnet(*fit, file, s);
  } catch (const Error& e) {  // places inside the path object
    throw Error(e.file(), "$glmnet.fit" + e.place(), e.message(), e.exit_code());
  }
  ir::validate(m, file);
  m.provenance.source_class = "cv.glmnet";
  return m;
}

}  // namespace

ir::Model import_cv_glmnet(const RObject& root, const std::string& file) {
  const double s = Member(root, file)["lambda.1se"].number();
  ir::Model m = cv_glmnet_at(root, file, s);
  warn(m, "glmnet-lambda",
       fmt::format("cv.glmnet imported at lambda.1se = {:.17g}, the default of R's predict(); "
                   "lambda.min = {:.17g} is another common choice (--lambda lambda.min)",
                   s, Member(root, file)["lambda.min"].number()));
  return m;
}

ir::Model import_cv_glmnet(const RObject& root, const std::string& file, const std::string& s) {
  if (s == "lambda.1se" || s == "lambda.min") {
    const double v = Member(root, file)[s].number();
    ir::Model m = cv_glmnet_at(root, file, v);
    m.provenance.family += fmt::format(" ({} = {:.17g})", s, v);
    return m;
  }
  const std::optional<double> v = lambda_number(s);
  if (!v) bad_lambda(file, s, true);
  return cv_glmnet_at(root, file, *v);
}

}  // namespace mb::r
