// ONNX reader, support vector machines: ai.onnx.ml SVMClassifier and SVMRegressor as skl2onnx
// writes them for SVC, NuSVC, SVR and NuSVR (libsvm's layout: support vectors grouped by class,
// (K-1) x n_sv dual coefficients, one rho per pair of classes, Platt's prob_a / prob_b) into an
// ir::Svm scored with onnxruntime's float32 rules (ir::Svm's Operator output stage), then the graph after
// the operator: Cast, Identity, Reshape and ZipMap.  Without Platt parameters the operator's score
// output is its pairwise decision values (ir::ScoreLayout::Decisions where they fit the class
// columns, a named warning otherwise).  The one-vs-rest decision scores skl2onnx computes from
// them for an SVC without probabilities (three or more classes) are matched operator by operator
// (OvrMatcher) and read as ir::ScoreLayout::OneVsRest.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/read_models.hpp"
#include "formats/onnx/reader.hpp"

namespace mb::onnxfmt {
namespace {

constexpr int kDouble = onnx::TensorProto::DOUBLE;

constexpr int kFloat = onnx::TensorProto::FLOAT;

// skl2onnx's graph of scikit-learn's _ovr_decision_function after an SVMClassifier without
// probabilities (three or more classes), matched operator by operator from its last Add:
//   Add(Concat_c(votes_c), Div(S, Mul(Add(Abs(S), 1), 3))), S = Concat_c(Sum(signed d_p)),
// per class c its pairs p in pair order: Sum of d_p for the pairs (c, j) and -d_p for (i, c),
// each an ArrayFeatureExtractor of column p of the decision values d under Neg nodes of the
// right parity; votes_c = Sum of 1 - e_p (Add(Neg(e_p), 1)) for (c, j) and e_p for (i, c),
// e_p = ArrayFeatureExtractor(Cast(Less(d, 0), float), p); d = the operator's scores (or a Cast
// of them to float).  Every operator, constant, axis and wire is checked; anything else is
// refused naming the node where it departs (ir::ScoreLayout::OneVsRest is what it computes).
struct OvrMatcher {
  Reader& r;
  size_t K;
  std::string decisions;    // the tensor of pairwise decision values the graph reads
  std::string predictions;  // Cast(Less(decisions, 0), float)

  [[noreturn]] void refuse(int n, const std::string& what) const {
    r.unsupported_node(n, "unsupported graph after the support vector machine: expected " + what +
                              " (skl2onnx's one-vs-rest decision scores of an SVC without probabilities)");
  }
  // The node computing `name` (input `slot` of node `user`), checked to be `op` with `inputs` inputs.
  int expect(const std::string& name, int user, const std::string& op, int inputs, const std::string& what) const {
    auto p = r.producer.find(name);
    if (p == r.producer.end()) refuse(user, what + " as input '" + name + "'");
    const auto& nd = r.node(p->second);
    const std::string domain = op == "ArrayFeatureExtractor" ? "ai.onnx.ml" : "";
    const bool dom_ok = nd.domain() == domain || (domain.empty() && nd.domain() == "ai.onnx");
    if (nd.op_type() != op || !dom_ok || nd.input_size() != inputs || nd.output_size() != 1) refuse(p->second, what);
    return p->second;
  }
  // `name` is the float constant `v` (an initializer or a Constant node of one element).
  void expect_constant(const std::string& name, int user, double v, const std::string& what) const {
    const onnx::TensorProto* t = nullptr;
    if (auto it = r.inits.find(name); it != r.inits.end()) t = it->second;
    else if (auto p = r.producer.find(name); p != r.producer.end() && r.node(p->second).op_type() == "Constant")
      if (const auto* a = find_attr(r.node(p->second), "value")) t = &a->t();
    if (!t || t->data_type() != kFloat || tensor_elements(*t) != 1 || tensor_values(*t)[0] != v)
      refuse(user, fmt::format("{}: input '{}' the float constant {}", what, name, v));
  }
  // `name` is column p of `source` (ArrayFeatureExtractor with a constant index p).
  std::string column(const std::string& name, int user, size_t p, const std::string& what) {
    const int n = expect(name, user, "ArrayFeatureExtractor", 2, what);
    const auto& nd = r.node(n);
    auto idx = r.const_values(nd.input(1), n);
    if (idx.size() != 1 || idx[0] != static_cast<double>(p)) refuse(n, fmt::format("{}: column index {}", what, p));
    return nd.input(0);
  }
  // Strips Neg nodes from `name`; returns the tensor under them and flips `negated` per Neg.
  std::string strip_neg(std::string name, bool& negated) const {
    for (;;) {
      auto p = r.producer.find(name);
      if (p == r.producer.end()) return name;
      const auto& nd = r.node(p->second);
      if (nd.op_type() != "Neg" || !(nd.domain().empty() || nd.domain() == "ai.onnx") || nd.input_size() != 1)
        return name;
      name = r.node(p->second).input(0);
      negated = !negated;
    }
  }
  // `name` is d_p (negate = false) or -d_p: column p of the decision values, under Neg nodes.
  void signed_decision(const std::string& name, int user, size_t p, bool negate) {
    const std::string what = fmt::format("{}the pairwise decision value {}", negate ? "minus " : "", p);
    bool negated = false;
    const std::string col = strip_neg(name, negated);
    const int at = r.producer.count(col) ? r.producer.at(col) : user;
    const std::string src = strip_neg(column(col, user, p, what), negated);
    if (negated != negate) refuse(at, what + " (the sign differs)");
    if (decisions.empty()) decisions = src;
    if (src != decisions) refuse(at, what + " of the support vector machine's decision values");
  }
  // `name` is the vote of pair p for its first class (Add(Neg(e_p), 1)) or its second (e_p).
  void vote(const std::string& name, int user, size_t p, bool first) {
    const std::string what = fmt::format("the vote of pair {} for its {} class", p, first ? "first" : "second");
    std::string e = name;
    if (first) {
      const int add = expect(name, user, "Add", 2, what + " as Add(Neg(prediction), 1)");
      expect_constant(r.node(add).input(1), add, 1.0, what);
      e = r.node(expect(r.node(add).input(0), add, "Neg", 1, what + " as Add(Neg(prediction), 1)")).input(0);
    }
    const std::string src = column(e, user, p, what);
    if (predictions.empty()) predictions = src;
    if (src != predictions) refuse(user, what + " from one tensor of predictions");
  }

  // Matches the graph computing `root` (the final Add, node `n`); returns the tensor of decision values.
  std::string match(int n) {
    const auto& add = r.node(n);
    if (add.input_size() != 2) refuse(n, "Add(votes, confidences)");
    auto concat = [&](const std::string& name, int user, const std::string& what) {
      const int c = expect(name, user, "Concat", static_cast<int>(K), fmt::format("Concat of {} {}", K, what));
      if (attr_i(r.node(c), "axis", 0) != 1) refuse(c, "Concat on axis 1");
      return c;
    };
    const int votes = concat(add.input(0), n, "class votes");
    const int div = expect(add.input(1), n, "Div", 2, "Div(sums, (|sums| + 1) * 3)");
    const std::string sums_name = r.node(div).input(0);
    const int sums = concat(sums_name, div, "sums of confidences");
    const int mul = expect(r.node(div).input(1), div, "Mul", 2, "Mul(|sums| + 1, 3)");
    expect_constant(r.node(mul).input(1), mul, 3.0, "Mul(|sums| + 1, 3)");
    const int add1 = expect(r.node(mul).input(0), mul, "Add", 2, "Add(|sums|, 1)");
    expect_constant(r.node(add1).input(1), add1, 1.0, "Add(|sums|, 1)");
    const int abs = expect(r.node(add1).input(0), add1, "Abs", 1, "Abs(sums)");
    if (r.node(abs).input(0) != sums_name) refuse(abs, "Abs of the sums of confidences");
    for (size_t c = 0; c < K; ++c) {
      // The pairs of class c in pair order: (i, c) for i < c, then (c, j) for j > c.
      std::vector<std::pair<size_t, bool>> pairs;  // pair index, c is its first class
      size_t p = 0;
      for (size_t i = 0; i < K; ++i)
        for (size_t j = i + 1; j < K; ++j, ++p)
          if (i == c || j == c) pairs.emplace_back(p, i == c);
      const int ps = static_cast<int>(pairs.size());
      const std::string what = fmt::format("Sum of the {} terms of class {}", ps, c);
      const int sum = expect(r.node(sums).input(static_cast<int>(c)), sums, "Sum", ps, what);
      const int vsum = expect(r.node(votes).input(static_cast<int>(c)), votes, "Sum", ps,
                              fmt::format("Sum of the {} votes of class {}", ps, c));
      for (int t = 0; t < ps; ++t) {
        signed_decision(r.node(sum).input(t), sum, pairs[t].first, !pairs[t].second);
        vote(r.node(vsum).input(t), vsum, pairs[t].first, pairs[t].second);
      }
    }
    // predictions = Cast(Less(decisions, 0), to float).
    const int cast = expect(predictions, votes, "Cast", 1, "Cast(Less(decision values, 0)) to float");
    if (attr_i(r.node(cast), "to", 0) != kFloat) refuse(cast, "Cast to float");
    const int less = expect(r.node(cast).input(0), cast, "Less", 2, "Less(decision values, 0)");
    if (r.node(less).input(0) != decisions) refuse(less, "Less of the decision values");
    expect_constant(r.node(less).input(1), less, 0.0, "Less(decision values, 0)");
    return decisions;
  }
};

// What the graph does with the operator's two outputs.
struct SvmAfter {
  bool label = false, scores = false, ovr = false;
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
    } else if (op == "Add") {
      // skl2onnx's one-vs-rest decision scores: the operator's scores (or a float Cast of them).
      const size_t K = r.out.schema.target.classes.size();
      if (r.node(r.core).op_type() != "SVMClassifier" || K < 3)
        r.unsupported_node(n, "unsupported operator after the support vector machine");
      OvrMatcher ovr{r, K, {}, {}};
      const std::string d = ovr.match(n);
      const auto& core = r.node(r.core);
      std::string src = d;
      if (auto p = r.producer.find(d); p != r.producer.end() && p->second != r.core) {
        const auto& cast = r.node(p->second);
        if (cast.op_type() != "Cast" || attr_i(cast, "to", 0) != kFloat)
          ovr.refuse(p->second, "the operator's scores, or a Cast of them to float");
        src = cast.input(0);
      }
      if (core.output_size() < 2 || src != core.output(1))
        r.unsupported_node(n, "the one-vs-rest decision scores must be computed from the SVMClassifier's scores");
      a.ovr = true;
      kind = 0;
    } else if (op == "ZipMap") {
      if (walk(nd.input(0)) != 0) r.fail_node(n, "ZipMap must follow class probabilities");
      auto labels = attr_strings_of(nd, "classlabels_strings");
      if (labels.empty())
        for (auto i : attr_ints_of(nd, "classlabels_int64s")) labels.push_back(std::to_string(i));
      a.zipmap_classes = labels;
    } else {
      r.unsupported_node(n,
                         "unsupported operator after the support vector machine (Cast, Identity, Reshape, ZipMap and "
                         "skl2onnx's one-vs-rest decision scores of an SVC without probabilities are read)");
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
  if (walker.a.ovr) {
    if (!s.prob_a.empty())
      r.unsupported("graph",
                    "one-vs-rest decision scores after an SVMClassifier with Platt parameters (skl2onnx computes them "
                    "without probabilities only)");
    if (walker.a.scores)
      r.unsupported("graph", "the graph outputs both the pairwise decision values and the one-vs-rest scores");
    s.output.layout = ir::ScoreLayout::OneVsRest;
    r.out.provenance.warnings.push_back(
        {"svm-ovr-decision-scores",
         r.node_place(r.core) +
             ": without prob_a/prob_b the scores are scikit-learn's one-vs-rest decision_function (votes + "
             "s / (3 (|s| + 1)) of the summed pairwise decision values s), not probabilities; the probability "
             "columns hold them as onnxruntime computes skl2onnx's graph, in float32; the label is the vote"});
  } else if (classifier && walker.a.scores && s.prob_a.empty()) {
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
