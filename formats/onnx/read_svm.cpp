// ONNX reader, support vector machines: ai.onnx.ml SVMClassifier and SVMRegressor as skl2onnx
// writes them for SVC, NuSVC, SVR and NuSVR (libsvm's layout: support vectors grouped by class,
// (K-1) x n_sv dual coefficients, one rho per pair of classes, Platt's prob_a / prob_b) into an
// ir::Svm scored with onnxruntime's float32 rules (ir::Svm's Operator output stage), then the graph after
// the operator: Cast, Identity, Reshape and ZipMap.  Without Platt parameters the operator's score
// output is its pairwise decision values (ir::ScoreLayout::Decisions where they fit the class
// columns, a named warning otherwise).  The one-vs-rest decision scores skl2onnx computes from
// them for an SVC without probabilities are refused (the IR's SVM has no such output).
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <string>

#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/read_models.hpp"
#include "formats/onnx/reader.hpp"

namespace mb::onnxfmt {
namespace {

constexpr int kDouble = onnx::TensorProto::DOUBLE;

// What the graph does with the operator's two outputs.
struct SvmAfter {
  bool label = false, scores = false;
  std::vector<std::string> zipmap_classes;
  std::vector<int64_t> perm;  // score column k is the operator's column perm[k]
};

struct SvmAfterWalker {
  Reader& r;
  SvmAfter a;
  std::map<std::string, int> seen;

  // 1 for labels, 0 for scores.
  int walk(const std::string& name) {
    auto m = seen.find(name);
    if (m != seen.end()) return m->second;
    auto p = r.producer.find(name);
    if (p == r.producer.end()) r.fail("output '" + name + "'", "not computed from the support vector machine");
    const int n = p->second;
    const auto& nd = r.node(n);
    const std::string& op = nd.op_type();
    int kind = 0;
    if (n == r.core) {
      kind = nd.op_type() == "SVMClassifier" && name == nd.output(0) ? 1 : 0;
      (kind == 1 ? a.label : a.scores) = true;
    } else if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
               op == "Cast") {
      kind = walk(nd.input(0));
    } else if (op == "Gather" && nd.input_size() == 2) {
      // The scores' columns reordered (modelbridge's --precision float: libsvm's class order to
      // the model's).
      if (walk(nd.input(0)) != 0 || attr_i(nd, "axis", 0) != 1) r.fail_node(n, "Gather must reorder score columns");
      if (!a.perm.empty()) r.fail_node(n, "a second reordering of the score columns");
      for (double v : r.const_values(nd.input(1), n)) a.perm.push_back(static_cast<int64_t>(v));
    } else if (op == "Where" && nd.input_size() == 3) {
      // Where(IsNaN(...), missing, scores): a row with a missing feature predicts a missing value,
      // as every SVM evaluation here does.
      std::string c = nd.input(0);
      auto q = r.producer.find(c);
      if (q != r.producer.end() && r.node(q->second).op_type() == "Unsqueeze")
        q = r.producer.find(r.node(q->second).input(0));
      if (q == r.producer.end() || r.node(q->second).op_type() != "IsNaN")
        r.fail_node(n, "Where after the support vector machine must only mark rows with a missing value");
      kind = walk(nd.input(2));
    } else if (op == "ZipMap") {
      if (walk(nd.input(0)) != 0) r.fail_node(n, "ZipMap must follow class probabilities");
      auto labels = attr_strings_of(nd, "classlabels_strings");
      if (labels.empty())
        for (auto i : attr_ints_of(nd, "classlabels_int64s")) labels.push_back(std::to_string(i));
      a.zipmap_classes = labels;
    } else {
      r.unsupported_node(n,
                         "unsupported operator after the support vector machine (only Cast, Identity, Reshape and "
                         "ZipMap are read; skl2onnx's one-vs-rest decision scores of an SVC without probabilities are "
                         "not)");
    }
    return seen[name] = kind;
  }
};

std::string feature_name(const ir::Model& m, const ir::Expr& e, int f) {
  const ir::Expr* x = &e;
  if (x->op == ir::Op::Coalesce && !x->args.empty()) x = &x->args[0];
  if (x->op == ir::Op::Input) return m.schema.inputs[x->index].name;
  return fmt::format("x{}", f);
}

}  // namespace

bool is_svm_operator(const onnx::NodeProto& n) {
  return n.domain() == "ai.onnx.ml" && (n.op_type() == "SVMClassifier" || n.op_type() == "SVMRegressor");
}

void read_svm_core(Reader& r) {
  const auto& nd = r.node(r.core);
  const std::string& op = nd.op_type();
  const bool classifier = op == "SVMClassifier";
  auto fail = [&](const std::string& msg) { r.fail_node(r.core, msg); };
  auto unsupported = [&](const std::string& msg) { r.unsupported_node(r.core, msg); };

  ir::Svm s;
  s.precision = ir::Precision::Float32;            // proto floats, and onnxruntime computes in float
  s.output.arithmetic = ir::Arithmetic::Operator;  // onnxruntime's float32 rules (ir::Svm)
  s.output.output_precision = ir::Precision::Float32;
  if (classifier) s.output.label = ir::LabelRule::Votes;
  const std::string kernel = attr_s(nd, "kernel_type", "LINEAR");
  static const std::map<std::string, ir::Kernel> kernels = {{"LINEAR", ir::Kernel::Linear},
                                                            {"POLY", ir::Kernel::Polynomial},
                                                            {"RBF", ir::Kernel::Radial},
                                                            {"SIGMOID", ir::Kernel::Sigmoid}};
  auto kt = kernels.find(kernel);
  if (kt == kernels.end()) fail("attribute 'kernel_type' is '" + kernel + "'; expected LINEAR, POLY, RBF or SIGMOID");
  s.kernel = kt->second;
  const auto params = attr_floats(nd, "kernel_params");
  if (!params.empty()) {
    if (params.size() != 3)
      fail(fmt::format("attribute 'kernel_params' holds {} values; expected 3 (gamma, coef0, degree)", params.size()));
    s.gamma = params[0];
    s.coef0 = params[1];
    s.degree = params[2];
  }
  if (s.kernel == ir::Kernel::Polynomial && !(s.degree >= 0 && s.degree <= 1e6))
    fail(fmt::format("attribute 'kernel_params': polynomial degree {} out of range", s.degree));

  Value x = r.value(nd.input(0));
  if (x.kind != Value::Num) fail("the input must be numeric");
  const size_t F = x.cols.size();
  const auto sv = attr_floats(nd, "support_vectors");
  const auto coef = attr_floats(nd, "coefficients");
  const auto rho = attr_floats(nd, "rho");
  if (coef.empty()) fail("attribute 'coefficients' is missing or empty");
  if (rho.empty()) fail("attribute 'rho' is missing or empty");

  auto& target = r.out.schema.target;
  if (classifier) {
    std::vector<std::string> classes = attr_strings_of(nd, "classlabels_strings");
    if (classes.empty())
      for (auto i : attr_ints_of(nd, "classlabels_ints")) classes.push_back(std::to_string(i));
    if (classes.size() < 2) fail("attributes 'classlabels_ints' / 'classlabels_strings' name fewer than two classes");
    const auto per_class = attr_ints_of(nd, "vectors_per_class");
    if (per_class.empty())
      unsupported("unsupported: SVMClassifier without 'vectors_per_class' (liblinear mode, coefficients per class)");
    const size_t K = classes.size();
    if (per_class.size() != K)
      fail(fmt::format("attribute 'vectors_per_class' has {} entries for {} classes", per_class.size(), K));
    size_t n = 0;
    for (size_t c = 0; c < K; ++c) {
      if (per_class[c] < 0 || per_class[c] > (int64_t{1} << 30))
        fail(fmt::format("attribute 'vectors_per_class': count {} of class {} out of range", per_class[c], c));
      n += static_cast<size_t>(per_class[c]);
      s.sv_per_class.push_back(static_cast<int32_t>(per_class[c]));
    }
    if (n == 0) fail("attribute 'vectors_per_class' counts no support vectors");
    if (sv.size() != n * F)
      fail(fmt::format("attribute 'support_vectors' holds {} values; {} vectors x {} input columns need {}", sv.size(),
                       n, F, n * F));
    if (coef.size() != (K - 1) * n)
      fail(fmt::format("attribute 'coefficients' holds {} values; (K-1) x n_sv = {} x {} needs {}", coef.size(), K - 1,
                       n, (K - 1) * n));
    if (rho.size() != K * (K - 1) / 2)
      fail(fmt::format("attribute 'rho' holds {} values; {} classes need one per pair, {}", rho.size(), K,
                       K * (K - 1) / 2));
    s.prob_a = attr_floats(nd, "prob_a");
    s.prob_b = attr_floats(nd, "prob_b");
    if (s.prob_a.size() != s.prob_b.size() || (!s.prob_a.empty() && s.prob_a.size() != rho.size()))
      fail(
          fmt::format("attributes 'prob_a' and 'prob_b' hold {} and {} values; expected none or one per pair of "
                      "classes ({})",
                      s.prob_a.size(), s.prob_b.size(), rho.size()));
    const std::string pt = attr_s(nd, "post_transform", "NONE");
    if (pt != "NONE")
      unsupported("unsupported: post_transform " + pt +
                  " of SVMClassifier (skl2onnx writes NONE; others were not probed)");
    s.n_sv = static_cast<int32_t>(n);
    for (size_t c = 0; c < K; ++c) s.class_order.push_back(static_cast<int32_t>(c));
    target.task = ir::Task::Classification;
    target.classes = classes;
  } else {
    const int64_t n = attr_i(nd, "n_supports", 0);
    if (n <= 0) unsupported("unsupported: SVMRegressor without support vectors ('n_supports' 0: liblinear mode)");
    if (n > (int64_t{1} << 30)) fail(fmt::format("attribute 'n_supports' {} out of range", n));
    if (attr_i(nd, "one_class", 0) != 0)
      unsupported("unsupported: one-class SVMRegressor (one_class = 1: outputs +1 / -1)");
    if (x.elem == kDouble)
      fail("invalid model: onnxruntime implements SVMRegressor for float inputs only (this input is double)");
    if (sv.size() != static_cast<size_t>(n) * F)
      fail(fmt::format("attribute 'support_vectors' holds {} values; n_supports {} x {} input columns need {}",
                       sv.size(), n, F, static_cast<size_t>(n) * F));
    if (coef.size() != static_cast<size_t>(n))
      fail(fmt::format("attribute 'coefficients' holds {} values; n_supports is {}", coef.size(), n));
    if (rho.size() != 1) fail(fmt::format("attribute 'rho' holds {} values; expected 1", rho.size()));
    const std::string pt = attr_s(nd, "post_transform", "NONE");
    if (pt != "NONE")
      r.out.provenance.warnings.push_back(
          {"onnxruntime-ignores-post-transform",
           r.node_place(r.core) + ": onnxruntime 1.30 reads post_transform " + pt +
               " of SVMRegressor but does not apply it; scored as the runtime does, without it"});
    s.n_sv = static_cast<int32_t>(n);
    target.task = ir::Task::Regression;
  }
  s.support_vectors = sv;
  s.coefficients = coef;
  for (double v : rho) s.rho.push_back(-v);  // the IR subtracts rho; the operator adds it

  SvmAfterWalker walker{r, {}, {}};
  for (const auto& o : r.g->output()) walker.walk(o.name());
  if (!walker.a.label && !walker.a.scores) r.fail("graph", "no output computed from the support vector machine");
  if (!walker.a.perm.empty()) {
    const auto& perm = walker.a.perm;
    const size_t K = target.classes.size();
    std::vector<bool> seen(K, false);
    bool ok = classifier && perm.size() == K;
    for (size_t k = 0; ok && k < K; ++k) {
      ok = perm[k] >= 0 && static_cast<size_t>(perm[k]) < K && !seen[perm[k]];
      if (ok) seen[perm[k]] = true;
    }
    if (!ok || s.prob_a.empty())
      r.fail("graph", "the Gather after the SVMClassifier must reorder its class probabilities");
    const std::vector<std::string> lib = target.classes;
    for (size_t k = 0; k < K; ++k) {
      target.classes[k] = lib[perm[k]];
      s.class_order[perm[k]] = static_cast<int32_t>(k);
    }
  }
  if (classifier && !walker.a.zipmap_classes.empty() && walker.a.zipmap_classes != target.classes)
    r.fail("graph", "the ZipMap's class labels differ from the SVMClassifier's");
  if (classifier && walker.a.scores && s.prob_a.empty()) {
    // onnxruntime's second output is then the pairwise decision values: [-f, f] for two classes,
    // one column per pair of classes otherwise.
    const size_t K = target.classes.size();
    if (K <= 3) {
      s.output.layout = ir::ScoreLayout::Decisions;
      r.out.provenance.warnings.push_back(
          {"svm-decision-values", r.node_place(r.core) +
                                      ": without prob_a/prob_b the scores are the pairwise decision values, not "
                                      "probabilities; the probability columns hold them as onnxruntime outputs them (" +
                                      (K == 2 ? std::string("[-f, f], f > 0 voting for the first class")
                                              : std::string("pairs (0,1), (0,2), (1,2)")) +
                                      ")"});
    } else {
      r.out.provenance.warnings.push_back(
          {"svm-decision-values-dropped",
           r.node_place(r.core) +
               fmt::format(": without prob_a/prob_b onnxruntime outputs {} pairwise decision values, "
                           "more than the {} class columns hold; the probability columns hold the "
                           "vote shares instead",
                           K * (K - 1) / 2, K)});
    }
  }
  r.out.estimator = std::move(s);
  for (size_t f = 0; f < F; ++f) r.out.features.push_back({"", x.cols[f]});
  bool named = true;
  for (size_t f = 0; f < F; ++f) named &= r.meta.count(kMetaFeature + std::to_string(f)) > 0;
  for (size_t f = 0; f < F; ++f)
    r.out.features[f].name = named ? r.meta[kMetaFeature + std::to_string(f)]
                                   : feature_name(r.out, r.out.features[f].expr, static_cast<int>(f));
  r.out.provenance.source_class = op;
  const auto& est = std::get<ir::Svm>(r.out.estimator);
  r.out.provenance.family = fmt::format("svm ({}, {} kernel, {} support vectors{}, float32)", op, kernel, est.n_sv,
                                        classifier && !est.prob_a.empty() ? ", Platt probabilities" : "");
}

}  // namespace mb::onnxfmt
