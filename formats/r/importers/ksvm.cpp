// kernlab's ksvm objects (S4, class "ksvm"; docs/r-objects.md "kernlab ksvm").
//
// predict.ksvm (kernlab 0.9) builds model.matrix(delete.response(@terms), newdata) for a
// formula fit (the matrix as given otherwise), scales the columns flagged in @scaling$scaled
// by @scaling$x.scale, and then:
//  - C-svc, nu-svc: for each pair of classes i < j (p-th pair in row order), ret = sum_t
//    @coef[[p]][t] K(x, @xmatrix[[p]][t, ]) - @b[p]; a vote for class i when ret < 0, for j when
//    ret > 0 (none when ret is exactly 0); the class is the first of @lev with most votes.
//  - eps-svr, nu-svr: sum_t @coef[t] K(x, @xmatrix[t, ]) - @b, times @scaling$y.scale's scale
//    plus its centre when the response was scaled.
// Each pair keeps its own support vectors (@alphaindex[[p]]: rows of the training data, whose
// class codes are @ymatrix).  A training row of class c takes part in pairs (c, o) only, so the
// pairs' coefficients fit libsvm's layout exactly: support vectors grouped by class, row c's
// coefficient in pair (c, o) in libsvm's slot for that pair, 0 where the row is not a support
// vector of that pair.  libsvm votes for i when its decision value is > 0, so the coefficients
// and b are negated (rho = -b).  The object is rewritten into e1071's list layout and read by
// the e1071 importer (svm.cpp), which builds the design and the scaling.
//
// The probability model (prob.model = TRUE, C-svc and nu-svc): @prob.model holds one list(A, B)
// per pair; predict(type = "probabilities") takes each pair's 1 - .SigmoidPredict(ret, A, B) =
// 1 - 1/(1+exp(A*ret+B)) and couples them by couple(coupler = "minpair"), an unclamped linear
// solve; predict(type = "response") stays the vote.  Held as ir::SvmCoupling::Kernlab (A and -B
// as libsvm's sigmoid parameters of the negated decision value).
//
// Refused by name: other types (C-bsvc, spoc-svc, kbb-svc, one-svc, eps-bsvr) and other kernels
// (laplacedot, besseldot, anovadot, splinedot, string kernels, user functions).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

RPtr make(RType type) {
  auto o = std::make_shared<RObject>();
  o->type = type;
  return o;
}

RPtr real_vector(const std::vector<double>& v) {
  auto o = make(RType::Double);
  o->reals = v;
  return o;
}

RPtr string_vector(const std::vector<std::string>& v) {
  auto o = make(RType::Character);
  for (const auto& s : v) o->strings.emplace_back(s);
  return o;
}

// A double matrix rows x cols (column-major values) with column names.
RPtr real_matrix(size_t rows, size_t cols, std::vector<double> values, const std::vector<std::string>& colnames) {
  auto o = real_vector(values);
  auto dim = make(RType::Integer);
  dim->ints = {static_cast<int32_t>(rows), static_cast<int32_t>(cols)};
  o->attributes.emplace_back("dim", dim);
  if (!colnames.empty()) {
    auto dn = make(RType::List);
    dn->elements = {make(RType::Null), string_vector(colnames)};
    o->attributes.emplace_back("dimnames", dn);
  }
  return o;
}

struct ListBuilder {
  RPtr list = make(RType::List);
  std::vector<std::string> names;
  void add(const std::string& name, RPtr value) {
    list->elements.push_back(std::move(value));
    names.push_back(name);
  }
  RPtr done() {
    list->attributes.emplace_back("names", string_vector(names));
    return list;
  }
};

struct KernelInfo {
  double code;  // e1071's kernel code: 0 linear, 1 polynomial, 2 radial, 3 sigmoid
  double gamma = 0, coef0 = 0, degree = 3;
  std::string text;  // for the model's description
};

double kpar(const Member& kernel, const char* name) {
  const Member k = kernel.attr("kpar")[name];
  const double v = k.number();
  if (!std::isfinite(v)) k.fail("expected a finite kernel parameter");
  return v;
}

KernelInfo read_kernel(const Member& obj) {
  const Member kernel = obj.attr("kernelf");
  const std::vector<std::string> cls = kernel->classes();
  const std::string c = cls.empty() ? "" : cls[0];
  KernelInfo k{};
  if (c == "rbfkernel") {
    k.code = 2;
    k.gamma = kpar(kernel, "sigma");
    k.text = fmt::format("rbfdot kernel (sigma {:.6g})", k.gamma);
  } else if (c == "polykernel") {
    k.code = 1;
    k.degree = kpar(kernel, "degree");
    k.gamma = kpar(kernel, "scale");
    k.coef0 = kpar(kernel, "offset");
    if (!(k.degree >= 0 && k.degree <= 1e6 && k.degree == std::floor(k.degree)))
      kernel.attr("kpar")["degree"].unsupported(
          fmt::format("unsupported polydot degree {} (whole numbers only: the polynomial kernel of PMML, ONNX "
                      "and libsvm has an integer degree)",
                      k.degree));
    k.text = fmt::format("polydot kernel (degree {}, scale {:.6g}, offset {:.6g})", k.degree, k.gamma, k.coef0);
  } else if (c == "vanillakernel") {
    k.code = 0;
    k.text = "vanilladot kernel";
  } else if (c == "tanhkernel") {
    k.code = 3;
    k.gamma = kpar(kernel, "scale");
    k.coef0 = kpar(kernel, "offset");
    k.text = fmt::format("tanhdot kernel (scale {:.6g}, offset {:.6g})", k.gamma, k.coef0);
  } else {
    static const std::map<std::string, std::string> kNames = {
        {"laplacekernel", "laplacedot"}, {"besselkernel", "besseldot"},   {"anovakernel", "anovadot"},
        {"splinekernel", "splinedot"},   {"fourierkernel", "fourierdot"}, {"stringkernel", "stringdot"}};
    if (cls.empty() && kernel->type == RType::Closure && !kernel->attr("kpar"))
      kernel.unsupported(
          "unsupported: the kernel function has no class and no kpar (jsonlite's serializeJSON writes a "
          "function without its attributes, so a ksvm's kernel and its parameters do not survive JSON); read "
          "the .rds file");
    const auto it = kNames.find(c);
    kernel.unsupported(fmt::format("unsupported kernlab kernel '{}' (supported: rbfdot, polydot, vanilladot, tanhdot)",
                                   it != kNames.end()           ? it->second
                                   : c.empty() || c == "kernel" ? "a user-defined function"
                                                                : c));
  }
  return k;
}

// An S4 slot, or nullopt when absent or NULL (R stores a NULL slot as the symbol "\001NULL\001").
std::optional<Member> slot(const Member& obj, const std::string& name) {
  auto m = obj.find_attr(name);
  if (!m || (*m)->is_null() || ((*m)->type == RType::Symbol && (*m)->text == "\001NULL\001")) return std::nullopt;
  return m;
}

// @prob.model holds one list(A, B) per pair when the model was fitted with prob.model = TRUE
// (a list of one NULL otherwise).
bool has_probability_model(const Member& obj) {
  const auto pm = slot(obj, "prob.model");
  if (!pm || (*pm)->type != RType::List) return false;
  for (const auto& e : (*pm)->elements)
    if (e && !e->is_null()) return true;
  return false;
}

}  // namespace

ir::Model import_ksvm(const RObject& root, const std::string& file, const SvmLevelHints& hints) {
  const Member obj(root, file);
  const std::string type = obj.attr("type").string();
  const bool classification = type == "C-svc" || type == "nu-svc";
  const bool regression = type == "eps-svr" || type == "nu-svr";
  if (!classification && !regression)
    obj.attr("type").unsupported(
        fmt::format("unsupported ksvm type '{}' (supported: C-svc, nu-svc, eps-svr, nu-svr)", type));
  const KernelInfo kernel = read_kernel(obj);
  const bool prob_model = classification && has_probability_model(obj);

  const bool formula = slot(obj, "terms").has_value();
  ListBuilder out;
  out.add("type", real_vector({type == "C-svc" ? 0.0 : type == "nu-svc" ? 1.0 : type == "eps-svr" ? 3.0 : 4.0}));
  out.add("kernel", real_vector({kernel.code}));
  out.add("gamma", real_vector({kernel.gamma}));
  out.add("coef0", real_vector({kernel.coef0}));
  out.add("degree", real_vector({kernel.degree}));

  size_t n_sv = 0, F = 0;
  std::vector<std::string> colnames;
  auto names_of = [&](const Matrix& x, const Member& where) {
    if (x.colnames.size() != x.cols) {
      // A formula fit's columns are named by its terms (kernlab drops the names of one column);
      // the names serve only to read factor levels back.
      if (formula) return std::vector<std::string>{};
      where.fail("ksvm fitted on a matrix without column names: the inputs have no names");
    }
    std::vector<std::string> n = x.colnames;
    // e1071 stores model-matrix names through make.names(); the e1071 importer compares them so.
    if (formula)
      for (auto& s : n) s = svm_make_names(s);
    return n;
  };
  if (classification) {
    const std::vector<std::string> lev = obj.attr("lev").strings();
    const size_t K = lev.size();
    if (K < 2) obj.attr("lev").fail("a classifier needs at least two classes");
    if (const auto nc = obj.find_attr("nclass"); nc && nc->number() != static_cast<double>(K))
      nc->fail(fmt::format("{} classes, but @lev has {} levels", nc->number(), K));
    const size_t P = K * (K - 1) / 2;
    const Member xm = obj.attr("xmatrix"), co = obj.attr("coef"), ai = obj.attr("alphaindex");
    const std::vector<double> b = obj.attr("b").numbers();
    if (xm.size() != P || co.size() != P || ai.size() != P || b.size() != P)
      obj.fail(
          fmt::format("expected {} pairwise machines for {} classes in @xmatrix, @coef, @alphaindex and @b "
                      "(found {}, {}, {}, {})",
                      P, K, xm.size(), co.size(), ai.size(), b.size()));
    const Member ym = obj.attr("ymatrix");
    const std::vector<int64_t> y = ym.wholes(1, static_cast<int64_t>(K));
    // (class, training row) -> support vector, its values and its coefficient per pair.
    struct Sv {
      std::vector<double> x;
      std::map<size_t, double> coef;  // pair -> kernlab coefficient
    };
    std::map<std::pair<int64_t, int64_t>, Sv> svs;
    size_t p = 0;
    for (size_t i = 0; i < K; ++i)
      for (size_t j = i + 1; j < K; ++j, ++p) {
        const Matrix x = xm.at(p).matrix();
        const std::vector<double> c = co.at(p).numbers();
        const std::vector<int64_t> idx = ai.at(p).wholes(1, static_cast<int64_t>(y.size()));
        if (x.rows != c.size() || idx.size() != c.size())
          co.at(p).fail(
              fmt::format("{} coefficients for {} support vectors and {} indices", c.size(), x.rows, idx.size()));
        if (p == 0) {
          F = x.cols;
          colnames = names_of(x, xm.at(p));
        } else if (x.cols != F || names_of(x, xm.at(p)) != colnames) {
          xm.at(p).fail("the pairwise machines have different columns");
        }
        for (size_t t = 0; t < idx.size(); ++t) {
          const int64_t cls = y[static_cast<size_t>(idx[t] - 1)] - 1;
          if (cls != static_cast<int64_t>(i) && cls != static_cast<int64_t>(j))
            ai.at(p).fail(fmt::format("training row {} is of class '{}', not of the pair '{}', '{}'", idx[t],
                                      lev[static_cast<size_t>(cls)], lev[i], lev[j]));
          Sv& sv = svs[{cls, idx[t]}];
          std::vector<double> row(F);
          for (size_t f = 0; f < F; ++f) row[f] = x.at(t, f);
          if (sv.x.empty()) {
            sv.x = std::move(row);
          } else if (sv.x != row) {
            xm.at(p).fail(fmt::format("training row {} has other values here than in another pair", idx[t]));
          }
          sv.coef[p] = c[t];
        }
      }
    n_sv = svs.size();
    if (n_sv == 0) obj.attr("xmatrix").fail("the model has no support vectors");
    // libsvm layout, classes in @lev order: SV s of class c, pair (c, o): coefs[(o < c ? o : o - 1), s].
    std::vector<double> sv_values(n_sv * F), coefs(n_sv * (K - 1), 0.0), nsv(K, 0.0);
    auto pair_index = [&](size_t a, size_t c) {  // a < c
      return a * K - a * (a + 1) / 2 + (c - a - 1);
    };
    size_t s = 0;
    for (const auto& [key, sv] : svs) {  // ordered by class, then training row
      const auto c = static_cast<size_t>(key.first);
      nsv[c] += 1;
      for (size_t f = 0; f < F; ++f) sv_values[f * n_sv + s] = sv.x[f];
      for (size_t o = 0; o < K; ++o) {
        if (o == c) continue;
        const size_t pp = o < c ? pair_index(o, c) : pair_index(c, o);
        const auto it = sv.coef.find(pp);
        const size_t column = o < c ? o : o - 1;
        coefs[column * n_sv + s] = it == sv.coef.end() ? 0.0 : -it->second;
      }
      ++s;
    }
    std::vector<double> rho(P), labels(K);
    for (size_t q = 0; q < P; ++q) rho[q] = -b[q];
    for (size_t k = 0; k < K; ++k) labels[k] = static_cast<double>(k + 1);
    out.add("SV", real_matrix(n_sv, F, std::move(sv_values), colnames));
    out.add("coefs", real_matrix(n_sv, K - 1, std::move(coefs), {}));
    out.add("rho", real_vector(rho));
    out.add("levels", string_vector(lev));
    out.add("labels", real_vector(labels));
    out.add("nSV", real_vector(nsv));
    if (prob_model) {
      // kernlab's pair probability 1 - 1/(1+exp(A*ret+B)) of its decision value ret = -dec is
      // 1/(1+exp(dec*A - B)): libsvm's sigmoid form with A and -B (ir::SvmCoupling::Kernlab).
      const Member pm = obj.attr("prob.model");
      if (pm.size() != P)
        pm.fail(fmt::format("expected one list(A, B) per pair of classes ({}), found {}", P, pm.size()));
      std::vector<double> pa(P), pb(P);
      for (size_t q = 0; q < P; ++q) {
        const Member a = pm.at(q)["A"], bb = pm.at(q)["B"];
        pa[q] = a.number();
        pb[q] = -bb.number();
        if (!std::isfinite(pa[q])) a.fail("expected a finite sigmoid slope");
        if (!std::isfinite(pb[q])) bb.fail("expected a finite sigmoid offset");
      }
      auto flag = make(RType::Logical);
      flag->ints = {1};
      out.add("compprob", flag);
      out.add("probA", real_vector(pa));
      out.add("probB", real_vector(pb));
    }
  } else {
    const Member xm = obj.attr("xmatrix");
    const Matrix x = xm.matrix();
    const std::vector<double> c = obj.attr("coef").numbers();
    const std::vector<double> b = obj.attr("b").numbers();
    if (x.rows != c.size())
      obj.attr("coef").fail(fmt::format("{} coefficients for {} support vectors", c.size(), x.rows));
    if (b.size() != 1) obj.attr("b").fail("expected one offset");
    n_sv = x.rows;
    F = x.cols;
    colnames = names_of(x, xm);
    out.add("SV", real_matrix(n_sv, F, x.v, colnames));
    out.add("coefs", real_vector(c));
    out.add("rho", real_vector(b));
  }

  // @scaling: NULL, or list(scaled, x.scale, y.scale).
  if (const auto sc = slot(obj, "scaling")) {
    if ((*sc)->type != RType::List) sc->fail("expected NULL or list(scaled, x.scale, y.scale)");
    const std::vector<double> flags = (*sc)["scaled"].numbers();
    bool any = false;
    for (double v : flags) any |= v != 0 && !std::isnan(v);
    if (any && !sc->has("x.scale")) (*sc)["x.scale"].fail("expected the scaling of the scaled columns");
    out.add("scaled", real_vector(flags));
    if (const auto xs = sc->get("x.scale")) out.add("x.scale", std::make_shared<RObject>(xs->obj()));
    if (const auto ys = sc->get("y.scale")) out.add("y.scale", std::make_shared<RObject>(ys->obj()));
  }
  if (formula) out.add("terms", std::make_shared<RObject>(obj.attr("terms").obj()));
  const RPtr layout = out.done();

  ir::Model m;
  try {
    m = import_svm_layout(*layout, file, hints, "ksvm (formula interface)");
  } catch (const Error& e) {
    if (e.file() != file) throw;
    // Places of e1071's layout named by the slots they were built from.
    static const std::map<std::string, std::string> kSlots = {{"$SV", "@xmatrix"},
                                                              {"$coefs", "@coef"},
                                                              {"$rho", "@b"},
                                                              {"$probA", "@prob.model"},
                                                              {"$scaled", "@scaling$scaled"},
                                                              {"$x.scale", "@scaling$x.scale"},
                                                              {"$y.scale", "@scaling$y.scale"},
                                                              {"$terms", "@terms"}};
    std::string place = e.place();
    for (const auto& [from, to] : kSlots)
      if (place.compare(0, from.size(), from) == 0) {
        place = to + place.substr(from.size());
        break;
      }
    if (e.kind() == ErrorKind::Unsupported) throw Unsupported(file, place, e.message());
    throw Error(file, place, e.message(), e.exit_code());
  }
  for (auto& w : m.provenance.warnings)
    if (w.code == "svm-no-probabilities")
      w = Warning{"ksvm-no-probabilities",
                  "kernlab's predict() gives no class probabilities for a ksvm fitted without prob.model = TRUE: "
                  "the probabilities output are the pairwise vote shares, the class is the vote winner"};
  if (prob_model) {
    std::get<ir::Svm>(m.estimator).coupling = ir::SvmCoupling::Kernlab;
    m.provenance.preprocessing.push_back(
        "probabilities: kernlab's pairwise Platt sigmoids (@prob.model) coupled by couple()'s \"minpair\" "
        "(predict(type = \"probabilities\")); the class is predict()'s one-against-one vote");
  }
  m.provenance.source_class = "ksvm";
  m.provenance.family =
      fmt::format("kernlab ksvm {}{}, {}, {} support vectors{}{}", type,
                  classification ? fmt::format(" ({} classes)", m.schema.target.classes.size()) : "", kernel.text, n_sv,
                  formula ? ", formula interface" : "", prob_model ? ", probability model" : "");
  for (auto& note : m.provenance.preprocessing)
    if (note.find("($x.scale)") != std::string::npos) note.replace(note.find("($x.scale)"), 10, "(@scaling$x.scale)");
  return m;
}

}  // namespace mb::r
