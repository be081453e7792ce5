// SupportVectorMachineModel <-> ir::Svm.
//
// Writing (libsvm layout): the kernel element, a VectorDictionary of the support vectors in
// libsvm's class-grouped order, and one SupportVectorMachine per pair of classes i < j in libsvm
// order (targetCategory = class i, alternateTargetCategory = class j) holding the vectors of both
// classes with their coefficients negated and absoluteValue = rho: f = rho - sum = -dec, and PMML's
// rule "f < threshold (0) votes for targetCategory" is libsvm's "dec > 0 votes for class i",
// exactly.  Regression: one machine, absoluteValue = -rho, and e1071's unscaling of the response
// as Targets rescaleFactor / rescaleConstant.  Platt scaling and pairwise coupling (probability =
// TRUE) have no PMML form: the file holds the votes, with warning `pmml-svm-probabilities`.
//
// Reading: any OneAgainstOne classifier or regression, and OneAgainstAll machines (one per category,
// the smallest value wins unless maxWins) as the IR's one-vs-rest form.  Each machine's decision becomes the IR's
// pairwise decision value for its two classes (libsvm order = order of first appearance of the
// categories in the machines); every vector a machine uses joins the group of the class its
// coefficient speaks for (sign of the IR coefficient), so the file above reads back as the
// libsvm model it came from.  svmRepresentation="Coefficients" (linear kernel, one coefficient
// per field) becomes one unit support vector per field.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "formats/pmml/families.hpp"

namespace mb::pmml {
namespace detail {
namespace {

std::string vector_id(size_t s) { return std::to_string(s + 1); }

}  // namespace

void read_svm_model(ReadContext& ctx, const pugi::xml_node& mn) {
  ir::Model& m = ctx.model;
  const auto& loc = ctx.loc;
  ir::Svm svm;
  pugi::xml_node kernel;
  for (auto c : elements(mn)) {
    const auto name = local_name(c);
    if (name == "LinearKernelType" || name == "PolynomialKernelType" || name == "RadialBasisKernelType" ||
        name == "SigmoidKernelType")
      kernel = c;
  }
  if (!kernel) ctx.fail(mn, "expected a kernel element (LinearKernelType, PolynomialKernelType, ...)");
  const auto kname = local_name(kernel);
  if (kname == "LinearKernelType") {
    svm.kernel = ir::Kernel::Linear;
  } else if (kname == "PolynomialKernelType") {
    svm.kernel = ir::Kernel::Polynomial;
    svm.gamma = loc.number_or(kernel, "gamma", 1.0);
    svm.coef0 = loc.number_or(kernel, "coef0", 1.0);
    svm.degree = loc.number_or(kernel, "degree", 1.0);
    if (!(svm.degree >= 0 && svm.degree <= 1e6) || svm.degree != std::floor(svm.degree))
      ctx.unsupported(kernel, "unsupported: a polynomial degree that is not a non-negative integer");
  } else if (kname == "RadialBasisKernelType") {
    svm.kernel = ir::Kernel::Radial;
    svm.gamma = loc.number_or(kernel, "gamma", 1.0);
  } else {
    svm.kernel = ir::Kernel::Sigmoid;
    svm.gamma = loc.number_or(kernel, "gamma", 1.0);
    svm.coef0 = loc.number_or(kernel, "coef0", 1.0);
  }

  const std::string method =
      mn.attribute("classificationMethod") ? mn.attribute("classificationMethod").value() : "OneAgainstAll";
  const std::string repr =
      mn.attribute("svmRepresentation") ? mn.attribute("svmRepresentation").value() : "SupportVectors";
  const bool cls = m.schema.target.task == ir::Task::Classification;
  const double model_threshold = loc.number_or(mn, "threshold", 0.0);
  const auto machines = children(mn, "SupportVectorMachine");
  if (machines.empty()) ctx.fail(mn, "expected SupportVectorMachine elements");

  // Vector fields -> features; vectors by id.
  std::vector<std::vector<double>> vectors;
  std::map<std::string, size_t> vector_index;
  const auto dict = child(mn, "VectorDictionary");
  const auto vf = child(dict, "VectorFields");
  if (!vf) ctx.fail(mn, "expected a VectorDictionary with VectorFields");
  for (auto f : elements(vf)) {
    if (is(f, "FieldRef")) {
      const std::string name = loc.attr(f, "field");
      add_feature(m, name, ctx.predictor_ref(name, f));
    } else if (is(f, "CategoricalPredictor")) {
      const std::string name = loc.attr(f, "name");
      const int in = ctx.categorical_input(name, f);
      if (in < 0)
        ctx.fail(f, fmt::format("CategoricalPredictor on field '{}', which is not a categorical input", name));
      const int code = ctx.level_code(in, loc.attr(f, "value"), f);
      const double c = loc.number_or(f, "coefficient", 1.0);
      ir::Expr e = ir::Expr::level_is(in, code);
      if (c != 1.0) e = ir::Expr::binary(ir::Op::Mul, ir::Expr::constant(c), std::move(e));
      m.features.push_back({name + "=" + loc.attr(f, "value"), std::move(e)});
    } else {
      ctx.unsupported(f, fmt::format("unsupported vector field {}", local_name(f)));
    }
  }
  const size_t F = m.features.size();
  if (F == 0) ctx.fail(vf, "no vector fields");
  if (repr == "SupportVectors") {
    for (auto vi : children(dict, "VectorInstance")) {
      pugi::xml_node arr;
      for (auto c : elements(vi)) arr = c;
      if (!arr) ctx.fail(vi, "expected the vector's values");
      std::vector<double> v = real_array(ctx, arr);
      if (v.size() != F) ctx.fail(vi, fmt::format("the vector has {} values for {} fields", v.size(), F));
      if (!vector_index.emplace(loc.attr(vi, "id"), vectors.size()).second)
        ctx.fail(vi, fmt::format("vector id '{}' is defined twice", vi.attribute("id").value()));
      vectors.push_back(std::move(v));
    }
  } else if (repr == "Coefficients") {
    if (svm.kernel != ir::Kernel::Linear) ctx.fail(mn, "svmRepresentation=\"Coefficients\" needs a linear kernel");
    for (size_t f = 0; f < F; ++f) {  // unit vectors: K(x, e_f) = x_f
      std::vector<double> v(F, 0.0);
      v[f] = 1.0;
      vector_index[vector_id(f)] = f;
      vectors.push_back(std::move(v));
    }
  } else {
    ctx.unsupported(mn, fmt::format("unsupported svmRepresentation '{}'", repr));
  }

  // One machine: its vectors (indices into `vectors`), coefficients, b and threshold.
  struct Machine {
    pugi::xml_node node;
    std::vector<size_t> vec;
    std::vector<double> coef;
    double b = 0, threshold = 0;
    int target = -1, alternate = -1;
  };
  // One-against-all: one machine per category, the smallest (maxWins: largest) value wins.
  const bool ova = cls && method == "OneAgainstAll" && machines.size() > 1;
  std::vector<Machine> ms;
  for (auto sm : machines) {
    Machine x;
    x.node = sm;
    x.threshold = loc.number_or(sm, "threshold", model_threshold);
    const auto coefs = child(sm, "Coefficients");
    if (!coefs) ctx.fail(sm, "expected Coefficients");
    x.b = loc.number_or(coefs, "absoluteValue", 0.0);
    for (auto c : children(coefs, "Coefficient")) x.coef.push_back(loc.number_or(c, "value", 0.0));
    if (repr == "SupportVectors") {
      for (auto s : children(child(sm, "SupportVectors"), "SupportVector")) {
        auto it = vector_index.find(loc.attr(s, "vectorId"));
        if (it == vector_index.end())
          ctx.fail(s, fmt::format("vector '{}' is not in the VectorDictionary", s.attribute("vectorId").value()));
        x.vec.push_back(it->second);
      }
    } else {
      for (size_t f = 0; f < F; ++f) x.vec.push_back(f);
    }
    if (x.vec.size() != x.coef.size())
      ctx.fail(coefs, fmt::format("{} coefficients for {} support vectors", x.coef.size(), x.vec.size()));
    if (ova) {
      x.target = target_class(ctx, sm, loc.attr(sm, "targetCategory"));
    } else if (cls) {
      x.target = target_class(ctx, sm, loc.attr(sm, "targetCategory"));
      std::string alt = sm.attribute("alternateTargetCategory").value();
      if (alt.empty()) alt = mn.attribute("alternateBinaryTargetCategory").value();
      if (alt.empty() && m.schema.target.classes.size() == 2) alt = m.schema.target.classes[x.target == 0 ? 1 : 0];
      if (alt.empty()) ctx.fail(sm, "expected an alternateTargetCategory");
      x.alternate = target_class(ctx, sm, alt);
      if (x.alternate == x.target) ctx.fail(sm, "the target and alternate categories are the same");
    }
    ms.push_back(std::move(x));
  }

  if (!cls) {
    if (ms.size() != 1) ctx.fail(mn, "a regression needs exactly one SupportVectorMachine");
    const Machine& x = ms[0];
    for (size_t s = 0; s < x.vec.size(); ++s) {
      svm.support_vectors.insert(svm.support_vectors.end(), vectors[x.vec[s]].begin(), vectors[x.vec[s]].end());
      svm.coefficients.push_back(x.coef[s]);
    }
    svm.n_sv = static_cast<int32_t>(x.vec.size());
    svm.rho = {-x.b};
    if (auto targets = child(mn, "Targets")) {
      for (auto t : children(targets, "Target")) {
        if (t.attribute("castInteger") || t.attribute("min") || t.attribute("max"))
          ctx.unsupported(t, "unsupported Target clamping or integer cast");
        svm.scale = loc.number_or(t, "rescaleFactor", 1.0);
        svm.center = loc.number_or(t, "rescaleConstant", 0.0);
      }
    }
    if (svm.n_sv == 0) ctx.fail(x.node, "a machine without support vectors");
  } else if (ova) {
    // The vectors of all machines, in order of first use; each machine's coefficient row over them.
    std::map<size_t, size_t> pos;
    std::vector<size_t> used;
    for (const auto& x : ms)
      for (size_t v : x.vec)
        if (pos.emplace(v, used.size()).second) used.push_back(v);
    const size_t n = used.size(), K = ms.size();
    svm.coefficients.assign(K * n, 0.0);
    std::vector<char> seen(m.schema.target.classes.size(), 0);
    for (size_t k = 0; k < K; ++k) {
      const Machine& x = ms[k];
      if (seen[x.target]++) ctx.fail(x.node, "a second machine for the same category");
      std::vector<char> listed(n, 0);
      for (size_t s2 = 0; s2 < x.vec.size(); ++s2) {
        const size_t at = pos[x.vec[s2]];
        if (listed[at]++) ctx.fail(x.node, "a support vector listed twice in one machine");
        svm.coefficients[k * n + at] = x.coef[s2];
      }
      svm.rho.push_back(-x.b);
      svm.class_order.push_back(x.target);
    }
    for (size_t v : used) svm.support_vectors.insert(svm.support_vectors.end(), vectors[v].begin(), vectors[v].end());
    svm.n_sv = static_cast<int32_t>(n);
    if (n == 0) ctx.fail(mn, "no support vectors");
    if (K != m.schema.target.classes.size())
      ctx.fail(mn, fmt::format("the machines name {} of the {} target categories", K, m.schema.target.classes.size()));
    svm.one_vs_rest = true;
    const std::string mw = mn.attribute("maxWins").value();
    if (!mw.empty() && mw != "true" && mw != "false")
      ctx.fail(mn, fmt::format("expected true or false in attribute 'maxWins', found '{}'", mw));
    svm.max_wins = mw == "true";
    ctx.warn("pmml-svm-one-against-all",
             "a one-against-all support vector machine gives no class probabilities in PMML: "
             "the winning category's probability is 1");
  } else {
    if (method != "OneAgainstOne" && !(method == "OneAgainstAll" && ms.size() == 1))
      ctx.unsupported(mn, fmt::format("unsupported classificationMethod '{}' (only OneAgainstOne voting)", method));
    // libsvm class order: first appearance of the categories in the machines.
    std::vector<int> order, pos(m.schema.target.classes.size(), -1);
    for (const auto& x : ms)
      for (int c : {x.target, x.alternate})
        if (pos[c] < 0) {
          pos[c] = static_cast<int>(order.size());
          order.push_back(c);
        }
    const size_t K = order.size();
    if (K < 2) ctx.fail(mn, "the machines name fewer than two categories");
    if (ms.size() != K * (K - 1) / 2)
      ctx.fail(mn, fmt::format("{} machines for {} categories: expected one per pair", ms.size(), K));
    // Pair p of libsvm order for classes i < j.
    auto pair_index = [&](size_t i, size_t j) { return i * K - i * (i + 1) / 2 + (j - i - 1); };
    svm.rho.assign(K * (K - 1) / 2, 0.0);
    std::vector<int> seen(svm.rho.size(), 0);
    // Entries (vector, group) with K-1 coefficient slots each.
    std::map<std::pair<size_t, size_t>, std::vector<double>> entries;
    for (const auto& x : ms) {
      size_t i = static_cast<size_t>(pos[x.target]), j = static_cast<size_t>(pos[x.alternate]);
      // dec (IR) > 0 votes for i.  Target first: dec = threshold - f; else dec = f - threshold.
      double sign = -1;
      if (i > j) {
        std::swap(i, j);
        sign = 1;
      }
      const size_t p = pair_index(i, j);
      if (seen[p]++) ctx.fail(x.node, "a second machine for the same pair of categories");
      svm.rho[p] = sign < 0 ? x.b - x.threshold : x.threshold - x.b;
      for (size_t s = 0; s < x.vec.size(); ++s) {
        const double c = sign * x.coef[s];
        if (c == 0) continue;
        const size_t group = c > 0 ? i : j;
        const size_t slot = group == i ? j - 1 : i;
        auto& e = entries[{group, x.vec[s]}];
        if (e.empty()) e.assign(K - 1, 0.0);
        if (e[slot] != 0) ctx.fail(x.node, "a support vector listed twice in one machine");
        e[slot] = c;
      }
    }
    svm.sv_per_class.assign(K, 0);
    const size_t n = entries.size();
    svm.coefficients.assign((K - 1) * n, 0.0);
    size_t s = 0;
    for (const auto& [key, slots] : entries) {  // ordered by group, then by dictionary order
      ++svm.sv_per_class[key.first];
      svm.support_vectors.insert(svm.support_vectors.end(), vectors[key.second].begin(), vectors[key.second].end());
      for (size_t k = 0; k + 1 < K; ++k) svm.coefficients[k * n + s] = slots[k];
      ++s;
    }
    svm.n_sv = static_cast<int32_t>(n);
    if (n == 0) ctx.fail(mn, "no support vector has a non-zero coefficient");
    for (int c : order) svm.class_order.push_back(c);
    if (K != m.schema.target.classes.size())
      ctx.fail(mn, fmt::format("the machines name {} of the {} target categories", K, m.schema.target.classes.size()));
    ctx.warn("pmml-svm-votes",
             "class probabilities of a PMML support vector machine are the shares of the pairwise votes");
  }
  m.estimator = std::move(svm);
  m.provenance.family = fmt::format("svm {} ({} kernel)", cls ? "classification" : "regression", kname);
}

}  // namespace detail

namespace {

// caret's class of a two-class kernlab machine with a probability model is the first class when
// its probability 1/(1+exp(dec*A+B)) is at least 1/2, i.e. when dec*A + B <= 0: with A < 0 (an
// informative sigmoid) that is dec + B/A >= 0, the vote of the machine whose rho is rho - B/A
// (but for a decision value of exactly 0).  PMML then holds caret's class, not its probabilities.
std::optional<ir::Model> caret_binary_vote(const ir::Model& m) {
  const auto* svm = std::get_if<ir::Svm>(&m.estimator);
  if (!svm || svm->coupling != ir::SvmCoupling::KernlabCaret || svm->sv_per_class.size() != 2 ||
      svm->prob_a.size() != 1 || !(svm->prob_a[0] < 0) || !std::isfinite(svm->prob_b[0] / svm->prob_a[0]))
    return std::nullopt;
  ir::Model held = m;
  auto& s = std::get<ir::Svm>(held.estimator);
  s.rho[0] -= s.prob_b[0] / s.prob_a[0];
  s.prob_a.clear();
  s.prob_b.clear();
  s.coupling = ir::SvmCoupling::Libsvm;
  return held;
}

}  // namespace

std::optional<ir::Model> held_model(const ir::Model& m) {
  if (auto vote = caret_binary_vote(m)) return vote;
  const auto* svm = std::get_if<ir::Svm>(&m.estimator);
  if (!svm || svm->prob_a.empty() || m.schema.target.task != ir::Task::Classification) return std::nullopt;
  ir::Model held = m;
  auto& s = std::get<ir::Svm>(held.estimator);
  s.prob_a.clear();
  s.prob_b.clear();
  s.coupling = ir::SvmCoupling::Libsvm;
  return held;
}

std::string write_svm(const ir::Model& m, Warnings& warnings) {
  using namespace detail;
  if (auto vote = caret_binary_vote(m)) {
    warnings.push_back({"pmml-svm-probabilities",
                        "PMML has no Platt scaling or pairwise coupling: the written machine's offset is moved so "
                        "that its vote is caret's class (the larger of kernlab's two probabilities), and its "
                        "probabilities are that vote (0 or 1), not kernlab's"});
    return write_svm(*vote, warnings);
  }
  const auto& svm = std::get<ir::Svm>(m.estimator);
  const auto task = m.schema.target.task;
  if (task == ir::Task::Clustering) refuse("a support vector machine cannot be a clustering model");
  const bool cls = task == ir::Task::Classification;
  if (svm.output.layout == ir::ScoreLayout::OneVsRest)
    refuse(
        "scikit-learn's one-vs-rest decision scores of an SVC without probabilities (skl2onnx's graph after "
        "SVMClassifier): a PMML SupportVectorMachineModel has no such output");
  if (svm.precision == ir::Precision::Float32) refuse("float32 support vectors (PMML computes kernels in double)");
  FamilyWriter w(m, warnings);
  if (cls && !svm.prob_a.empty())
    w.warn("pmml-svm-probabilities",
           svm.coupling == ir::SvmCoupling::Libsvm
               ? "PMML has no Platt scaling or pairwise coupling: the written model predicts the class by the pairwise "
                 "votes (their shares as probabilities), not libsvm's coupled probabilities"
           : svm.coupling == ir::SvmCoupling::Kernlab
               ? "PMML has no Platt scaling or pairwise coupling: the written model's probabilities are the shares "
                 "of the pairwise votes, not kernlab's coupled probabilities (couple()'s minpair); its class is the "
                 "vote, as kernlab's predict() gives it"
               : "PMML has no Platt scaling or pairwise coupling: the written model predicts the class by the pairwise "
                 "votes (their shares as probabilities), not caret's largest of kernlab's coupled probabilities "
                 "(couple()'s minpair), which may name another class");
  auto mn = w.begin_model("SupportVectorMachineModel", cls ? "classification" : "regression", false,
                          cls ? 1.0 : svm.scale, cls ? 0.0 : svm.center);
  if (!cls && svm.scale == 0.0) refuse("a response scale of 0");
  if (cls) mn.append_attribute("classificationMethod") = svm.one_vs_rest ? "OneAgainstAll" : "OneAgainstOne";
  if (svm.one_vs_rest && svm.max_wins) mn.append_attribute("maxWins") = "true";
  mn.append_attribute("svmRepresentation") = "SupportVectors";
  const size_t F = m.features.size(), n = static_cast<size_t>(svm.n_sv);
  switch (svm.kernel) {
    case ir::Kernel::Linear: mn.append_child("LinearKernelType"); break;
    case ir::Kernel::Polynomial: {
      auto k = mn.append_child("PolynomialKernelType");
      k.append_attribute("gamma") = format_double(svm.gamma).c_str();
      k.append_attribute("coef0") = format_double(svm.coef0).c_str();
      k.append_attribute("degree") = format_double(svm.degree).c_str();
      break;
    }
    case ir::Kernel::Radial:
      mn.append_child("RadialBasisKernelType").append_attribute("gamma") = format_double(svm.gamma).c_str();
      break;
    case ir::Kernel::Sigmoid: {
      auto k = mn.append_child("SigmoidKernelType");
      k.append_attribute("gamma") = format_double(svm.gamma).c_str();
      k.append_attribute("coef0") = format_double(svm.coef0).c_str();
      break;
    }
  }
  auto dict = mn.append_child("VectorDictionary");
  dict.append_attribute("numberOfVectors") = static_cast<unsigned>(n);
  auto vf = dict.append_child("VectorFields");
  vf.append_attribute("numberOfFields") = static_cast<unsigned>(F);
  for (const auto& f : w.feature_fields) vf.append_child("FieldRef").append_attribute("field") = f.c_str();
  for (size_t s = 0; s < n; ++s) {
    auto vi = dict.append_child("VectorInstance");
    vi.append_attribute("id") = vector_id(s).c_str();
    auto arr = vi.append_child("Array");
    arr.append_attribute("n") = static_cast<unsigned>(F);
    arr.append_attribute("type") = "real";
    std::string text;
    for (size_t f = 0; f < F; ++f) text += (f ? " " : "") + format_double(svm.support_vectors[s * F + f]);
    arr.text() = text.c_str();
  }
  auto machine = [&](const std::vector<size_t>& vecs, const std::vector<double>& coefs, double b) {
    auto sm = mn.append_child("SupportVectorMachine");
    auto sv = sm.append_child("SupportVectors");
    sv.append_attribute("numberOfSupportVectors") = static_cast<unsigned>(vecs.size());
    sv.append_attribute("numberOfAttributes") = static_cast<unsigned>(F);
    for (size_t s : vecs) sv.append_child("SupportVector").append_attribute("vectorId") = vector_id(s).c_str();
    auto co = sm.append_child("Coefficients");
    co.append_attribute("numberOfCoefficients") = static_cast<unsigned>(coefs.size());
    co.append_attribute("absoluteValue") = format_double(b).c_str();
    for (double c : coefs) co.append_child("Coefficient").append_attribute("value") = format_double(c).c_str();
    return sm;
  };
  if (!cls) {
    std::vector<size_t> all(n);
    for (size_t s = 0; s < n; ++s) all[s] = s;
    machine(all, svm.coefficients, -svm.rho[0]);
    return w.text();
  }
  if (svm.one_vs_rest) {
    // Every machine over every vector (zero coefficients included): it sums in the IR's order.
    std::vector<size_t> all(n);
    for (size_t s = 0; s < n; ++s) all[s] = s;
    for (size_t k = 0; k < svm.class_order.size(); ++k) {
      const std::vector<double> coefs(svm.coefficients.begin() + static_cast<ptrdiff_t>(k * n),
                                      svm.coefficients.begin() + static_cast<ptrdiff_t>((k + 1) * n));
      auto sm = machine(all, coefs, -svm.rho[k]);
      sm.prepend_attribute("targetCategory") = m.schema.target.classes[svm.class_order[k]].c_str();
    }
    return w.text();
  }
  const size_t K = svm.sv_per_class.size();
  std::vector<size_t> start(K, 0);
  for (size_t i = 1; i < K; ++i) start[i] = start[i - 1] + static_cast<size_t>(svm.sv_per_class[i - 1]);
  size_t p = 0;
  for (size_t i = 0; i < K; ++i)
    for (size_t j = i + 1; j < K; ++j, ++p) {
      std::vector<size_t> vecs;
      std::vector<double> coefs;
      for (size_t t = 0; t < static_cast<size_t>(svm.sv_per_class[i]); ++t) {
        vecs.push_back(start[i] + t);
        coefs.push_back(-svm.coefficients[(j - 1) * n + start[i] + t]);
      }
      for (size_t t = 0; t < static_cast<size_t>(svm.sv_per_class[j]); ++t) {
        vecs.push_back(start[j] + t);
        coefs.push_back(-svm.coefficients[i * n + start[j] + t]);
      }
      auto sm = machine(vecs, coefs, svm.rho[p]);
      sm.prepend_attribute("alternateTargetCategory") = m.schema.target.classes[svm.class_order[j]].c_str();
      sm.prepend_attribute("targetCategory") = m.schema.target.classes[svm.class_order[i]].c_str();
    }
  return w.text();
}

}  // namespace mb::pmml
