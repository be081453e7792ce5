// ONNX reader, k-means and Gaussian naive Bayes as skl2onnx expresses them with core operators.
//  - KMeans: D = |c|^2 + (ReduceSumSquare(X) + Gemm(X, C, alpha = -2, transB = 1)), label =
//    ArgMin(D), scores = Sqrt(D): the squared Euclidean distances to the centres C.
//  - GaussianNB: jll = jointi + (sigma_sum_log - 0.5 * ReduceSum((X - theta)^2 / sigma)),
//    label = classes[ArgMax(jll)], probabilities = Exp(jll - ReduceLogSumExp(jll)).
// Each is recognised node by node; a graph that differs is refused naming the node.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <string>

#include "formats/onnx/read_models.hpp"
#include "formats/onnx/reader.hpp"

namespace mb::onnxfmt {
namespace {

bool core_op(const onnx::NodeProto& n, const char* op) {
  return (n.domain().empty() || n.domain() == "ai.onnx") && n.op_type() == op;
}

int producer_of(const Reader& r, const std::string& name) {
  auto p = r.producer.find(name);
  return p == r.producer.end() ? -1 : p->second;
}

// Node `n` must be `op`; otherwise the graph is refused naming it.
void expect(const Reader& r, int n, const char* op, const std::string& what) {
  if (n < 0) r.fail("graph", fmt::format("expected {} computed by {}", what, op));
  if (!core_op(r.node(n), op))
    r.fail_node(n, fmt::format("expected {} here ({}); the graph differs from skl2onnx's {}", op, what, "pattern"));
}

std::vector<double> axes_of(Reader& r, int n) {
  const auto& nd = r.node(n);
  auto axes = attr_ints_of(nd, "axes");
  std::vector<double> v(axes.begin(), axes.end());
  if (v.empty() && nd.input_size() > 1 && !nd.input(1).empty()) v = r.const_values(nd.input(1), n);
  return v;
}

}  // namespace

void read_kmeans_graph(Reader& r) {
  int argmin = -1;
  for (int i = 0; i < r.g->node_size(); ++i)
    if (core_op(r.node(i), "ArgMin")) {
      if (argmin >= 0) r.fail_node(i, "a second ArgMin: only one k-means is read");
      argmin = i;
    }
  const auto& am = r.node(argmin);
  if (attr_i(am, "axis", 0) != 1 || attr_i(am, "select_last_index", 0) != 0)
    r.fail_node(argmin, "expected ArgMin over the clusters (axis 1, first index)");
  const std::string dist = am.input(0);
  // D = Add(const, Add(ReduceSumSquare(X), Gemm(X, C, ., alpha=-2, transB=1))), in either order.
  const int add1 = producer_of(r, dist);
  expect(r, add1, "Add", "the squared distances");
  const auto& a1 = r.node(add1);
  std::vector<double> norms;
  std::string rest;
  for (int k = 0; k < 2; ++k)
    if (r.inits.count(a1.input(k))) {
      norms = tensor_values(*r.inits.at(a1.input(k)));
      rest = a1.input(1 - k);
    }
  if (rest.empty()) r.fail_node(add1, "expected the addition of the centres' squared norms (a constant)");
  const int add2 = producer_of(r, rest);
  expect(r, add2, "Add", "|x|^2 - 2 x.c");
  const auto& a2 = r.node(add2);
  int rss = -1, gemm = -1;
  for (int k = 0; k < 2; ++k) {
    const int p = producer_of(r, a2.input(k));
    if (p >= 0 && core_op(r.node(p), "ReduceSumSquare")) rss = p;
    if (p >= 0 && core_op(r.node(p), "Gemm")) gemm = p;
  }
  if (rss < 0 || gemm < 0) r.fail_node(add2, "expected ReduceSumSquare(X) + Gemm(X, centres)");
  const auto& g = r.node(gemm);
  const auto& s = r.node(rss);
  if (s.input(0) != g.input(0)) r.fail_node(gemm, "the Gemm and the ReduceSumSquare read different inputs");
  const auto axes = axes_of(r, rss);
  if (axes.size() != 1 || !(axes[0] == 1 || axes[0] == -1)) r.fail_node(rss, "expected the sum over the columns");
  const auto* alpha = find_attr(g, "alpha");
  if (!alpha || alpha->f() != -2.0f || attr_i(g, "transB", 0) != 1 || attr_i(g, "transA", 0) != 0)
    r.fail_node(gemm, "expected Gemm(X, centres, alpha = -2, transB = 1)");
  if (const auto* beta = find_attr(g, "beta"); beta && beta->f() != 1.0f)
    r.unsupported_node(gemm, "unsupported: beta other than 1");
  if (g.input_size() > 2 && !g.input(2).empty()) {
    // skl2onnx adds Mul(ReduceSumSquare(X), 0): zero.
    const int mul = producer_of(r, g.input(2));
    bool zero = false;
    if (mul >= 0 && core_op(r.node(mul), "Mul"))
      for (int k = 0; k < 2; ++k)
        if (r.inits.count(r.node(mul).input(k))) {
          const auto z = tensor_values(*r.inits.at(r.node(mul).input(k)));
          zero = z.size() == 1 && z[0] == 0.0;
        }
    if (!zero) r.unsupported_node(gemm, "unsupported: a Gemm bias other than zero");
  }
  auto ct = r.inits.find(g.input(1));
  if (ct == r.inits.end()) r.fail_node(gemm, "the centres must be an initializer");
  const auto& ctr = *ct->second;
  if (ctr.dims_size() != 2) r.fail_node(gemm, "the centres must be a matrix");
  Value x = r.value(g.input(0));
  if (x.kind != Value::Num) r.fail_node(gemm, "the input must be numeric");
  const size_t F = x.cols.size();
  const int64_t k = ctr.dims(0);
  if (ctr.dims(1) != static_cast<int64_t>(F))
    r.fail_node(gemm, fmt::format("centres '{}' have {} columns for {} inputs", g.input(1), ctr.dims(1), F));
  if (k < 1 || k > (int64_t{1} << 24)) r.fail_node(gemm, fmt::format("centres '{}' have {} rows", g.input(1), k));
  const auto centers = tensor_values(ctr);
  if (norms.size() != static_cast<size_t>(k))
    r.fail_node(add1, fmt::format("{} squared norms for {} centres", norms.size(), k));
  for (int64_t c = 0; c < k; ++c) {
    double sq = 0;
    for (size_t f = 0; f < F; ++f) sq += centers[c * F + f] * centers[c * F + f];
    if (!(std::fabs(sq - norms[c]) <= 1e-5 * std::max(1.0, std::fabs(sq))))
      r.fail_node(add1, fmt::format("the constant {} added for centre {} is not its squared norm {}", norms[c], c, sq));
  }
  // Outputs: the label (ArgMin, maybe Cast/Identity/Reshape) and the distances (Sqrt of D).
  bool label = false;
  for (const auto& o : r.g->output()) {
    std::string name = o.name();
    int p = producer_of(r, name);
    while (p >= 0 && (core_op(r.node(p), "Identity") || core_op(r.node(p), "Cast") || core_op(r.node(p), "Reshape"))) {
      name = r.node(p).input(0);
      p = producer_of(r, name);
    }
    if (p == argmin) {
      label = true;
    } else if (p >= 0 && core_op(r.node(p), "Sqrt") && r.node(p).input(0) == dist) {
      r.out.provenance.warnings.push_back(
          {"output-not-read",
           "graph output '" + o.name() + "' (distances to the centres) is not part of the score output"});
    } else {
      r.fail("graph output '" + o.name() + "'", "expected the cluster (ArgMin) or the distances (Sqrt)");
    }
  }
  if (!label) r.fail("graph", "no cluster output (ArgMin of the distances)");
  r.core = gemm;
  ir::Clustering cl;
  cl.k = static_cast<int32_t>(k);
  cl.centers = centers;
  auto& target = r.out.schema.target;
  target.task = ir::Task::Clustering;
  for (int64_t c = 0; c < k; ++c) target.classes.push_back(std::to_string(c));
  r.out.estimator = std::move(cl);
  for (size_t f = 0; f < F; ++f) {
    std::string name = fmt::format("x{}", f);
    if (x.cols[f].op == ir::Op::Input) name = r.out.schema.inputs[x.cols[f].index].name;
    r.out.features.push_back({name, x.cols[f]});
  }
  if (ctr.data_type() == onnx::TensorProto::FLOAT)
    r.out.provenance.warnings.push_back(
        {"float32-arithmetic", r.node_place(gemm) +
                                   ": onnxruntime computes |x|^2 - 2 x.c + |c|^2 in float32; modelbridge computes "
                                   "the squared distances in double: a row almost equidistant from two centres may "
                                   "be given the other"});
  r.out.provenance.source_class = "KMeans (ReduceSumSquare/Gemm/ArgMin graph)";
  r.out.provenance.family = fmt::format("k-means ({} clusters)", k);
}

namespace {

// The constant operand of a binary node (an initializer), and the other operand's name.
bool constant_operand(const Reader& r, const onnx::NodeProto& n, std::vector<double>& c, std::string& other,
                      int& const_index) {
  for (int k = 0; k < 2; ++k)
    if (r.inits.count(n.input(k))) {
      c = tensor_values(*r.inits.at(n.input(k)));
      other = n.input(1 - k);
      const_index = k;
      return true;
    }
  return false;
}

}  // namespace

void read_gaussian_nb_graph(Reader& r) {
  int lse = -1;
  for (int i = 0; i < r.g->node_size(); ++i)
    if (core_op(r.node(i), "ReduceLogSumExp")) {
      if (lse >= 0) r.fail_node(i, "a second ReduceLogSumExp: only one naive Bayes is read");
      lse = i;
    }
  const std::string jll = r.node(lse).input(0);
  const auto lse_axes = axes_of(r, lse);
  if (lse_axes.size() != 1 || !(lse_axes[0] == 1 || lse_axes[0] == -1))
    r.fail_node(lse, "expected the log-sum-exp over the classes (axis 1)");
  // jll = Add(jointi, Sub(sigma_sum_log, Mul(ReduceSum(Div(Pow(Sub(X', theta), 2), sigma)), 0.5)))
  const int add = producer_of(r, jll);
  expect(r, add, "Add", "the joint log-likelihood");
  std::vector<double> jointi, ssl, half, two, theta, sigma;
  std::string rest;
  int ci = 0;
  if (!constant_operand(r, r.node(add), jointi, rest, ci)) r.fail_node(add, "expected the addition of the log priors");
  const int sub1 = producer_of(r, rest);
  expect(r, sub1, "Sub", "log normalisation - 0.5 * distance");
  if (!constant_operand(r, r.node(sub1), ssl, rest, ci) || ci != 0)
    r.fail_node(sub1, "expected the constant -0.5 * sum log(2 pi var) minus the scaled distance");
  const int mul = producer_of(r, rest);
  expect(r, mul, "Mul", "0.5 * distance");
  if (!constant_operand(r, r.node(mul), half, rest, ci) || half.size() != 1 || half[0] != 0.5)
    r.fail_node(mul, "expected the multiplication by 0.5");
  const int rsum = producer_of(r, rest);
  expect(r, rsum, "ReduceSum", "the sum over the features");
  const auto sum_axes = axes_of(r, rsum);
  if (sum_axes.size() != 1 || !(sum_axes[0] == 2 || sum_axes[0] == -1) || attr_i(r.node(rsum), "keepdims", 1) != 0)
    r.fail_node(rsum, "expected the sum over the features (axis 2, keepdims 0)");
  const int div = producer_of(r, r.node(rsum).input(0));
  expect(r, div, "Div", "squared differences over the variances");
  if (!r.inits.count(r.node(div).input(1))) r.fail_node(div, "the variances must be an initializer");
  sigma = tensor_values(*r.inits.at(r.node(div).input(1)));
  const int pw = producer_of(r, r.node(div).input(0));
  expect(r, pw, "Pow", "the squared differences");
  if (!constant_operand(r, r.node(pw), two, rest, ci) || ci != 1 || two.size() != 1 || two[0] != 2.0)
    r.fail_node(pw, "expected the square Pow(x, 2)");
  const int sub0 = producer_of(r, rest);
  expect(r, sub0, "Sub", "the differences from the means");
  if (!constant_operand(r, r.node(sub0), theta, rest, ci) || ci != 1) r.fail_node(sub0, "expected x - means");
  // The input reshaped to [N, 1, F].
  std::string xin = rest;
  int rs = producer_of(r, xin);
  if (rs >= 0 && core_op(r.node(rs), "Reshape")) {
    const auto shape = r.const_values(r.node(rs).input(1), rs);
    if (shape.size() != 3 || shape[1] != 1) r.fail_node(rs, "expected the input reshaped to [N, 1, features]");
    xin = r.node(rs).input(0);
  }
  Value x = r.value(xin);
  if (x.kind != Value::Num) r.fail("graph", "the naive Bayes input must be numeric");
  const size_t F = x.cols.size(), K = jointi.size();
  if (K < 2) r.fail_node(add, "fewer than two classes");
  if (theta.size() != K * F)
    r.fail_node(sub0, fmt::format("{} means for {} classes x {} features", theta.size(), K, F));
  if (sigma.size() != K * F)
    r.fail_node(div, fmt::format("{} variances for {} classes x {} features", sigma.size(), K, F));
  if (ssl.size() != K) r.fail_node(sub1, fmt::format("{} normalisation constants for {} classes", ssl.size(), K));
  for (size_t c = 0; c < K; ++c) {
    double want = 0;
    for (size_t f = 0; f < F; ++f) {
      if (!(sigma[c * F + f] > 0))
        r.fail_node(div, fmt::format("variance {} of class {} is not positive", sigma[c * F + f], c));
      want += std::log(2 * M_PI * sigma[c * F + f]);
    }
    want *= -0.5;
    if (!(std::fabs(want - ssl[c]) <= 1e-5 * std::max(1.0, std::fabs(want))))
      r.fail_node(sub1, fmt::format("constant {} of class {} is not -0.5 * sum log(2 pi var) = {}", ssl[c], c, want));
  }
  // Outputs: labels = classes[ArgMax(jll)], probabilities = Exp(jll - ReduceLogSumExp(jll)).
  std::vector<std::string> classes, zipmap;
  bool have_label = false, have_prob = false;
  for (const auto& o : r.g->output()) {
    std::string name = o.name();
    int p = producer_of(r, name);
    auto skip = [&]() {
      while (p >= 0 &&
             (core_op(r.node(p), "Identity") || core_op(r.node(p), "Cast") || core_op(r.node(p), "Reshape"))) {
        name = r.node(p).input(0);
        p = producer_of(r, name);
      }
    };
    skip();
    if (p >= 0 && r.node(p).op_type() == "ZipMap") {
      zipmap = attr_strings_of(r.node(p), "classlabels_strings");
      if (zipmap.empty())
        for (auto i : attr_ints_of(r.node(p), "classlabels_int64s")) zipmap.push_back(std::to_string(i));
      name = r.node(p).input(0);
      p = producer_of(r, name);
      skip();
    }
    if (p >= 0 && r.node(p).op_type() == "ArrayFeatureExtractor") {
      const int am = producer_of(r, r.node(p).input(1));
      if (am < 0 || !core_op(r.node(am), "ArgMax") || r.node(am).input(0) != jll || attr_i(r.node(am), "axis", 0) != 1)
        r.fail_node(p, "expected the class labels looked up by ArgMax of the joint log-likelihood");
      if (!r.inits.count(r.node(p).input(0))) r.fail_node(p, "class labels must be an initializer");
      classes = tensor_strings(*r.inits.at(r.node(p).input(0)));
      have_label = true;
    } else if (p >= 0 && core_op(r.node(p), "Exp")) {
      const int sb = producer_of(r, r.node(p).input(0));
      bool ok = sb >= 0 && core_op(r.node(sb), "Sub") && r.node(sb).input(0) == jll;
      if (ok) {
        int q = producer_of(r, r.node(sb).input(1));
        while (q >= 0 && core_op(r.node(q), "Reshape")) q = producer_of(r, r.node(q).input(0));
        ok = q == lse;
      }
      if (!ok) r.fail_node(p, "expected the probabilities Exp(jll - ReduceLogSumExp(jll))");
      have_prob = true;
    } else {
      r.fail("graph output '" + o.name() + "'",
             "expected the class label or the class probabilities of the naive Bayes");
    }
  }
  if (!have_label && !have_prob) r.fail("graph", "no output of the naive Bayes");
  auto& target = r.out.schema.target;
  target.task = ir::Task::Classification;
  target.classes = !classes.empty() ? classes : zipmap;
  if (target.classes.empty()) {
    for (size_t c = 0; c < K; ++c) target.classes.push_back(std::to_string(c));
  }
  if (target.classes.size() != K)
    r.fail("graph", fmt::format("{} class labels for {} classes", target.classes.size(), K));
  if (!zipmap.empty() && zipmap != target.classes) r.fail("graph", "the ZipMap's class labels differ from the labels");
  r.core = lse;
  ir::NaiveBayes nb;
  nb.log_prior = jointi;
  nb.gaussian.assign(F, 1);
  nb.table_offset.assign(F, 0);
  nb.mean = theta;
  for (double v : sigma) nb.sd.push_back(std::sqrt(v));
  nb.eps = -1;  // no threshold: every density is used as it is
  nb.min_sd = 0;
  const bool f32 = r.inits.at(r.node(div).input(1))->data_type() == onnx::TensorProto::FLOAT;
  if (f32) {  // onnxruntime's float32 arithmetic of the graph (ir::NaiveBayes)
    nb.precision = ir::Precision::Float32;
    nb.log_norm = ssl;
  }
  r.out.estimator = std::move(nb);
  for (size_t f = 0; f < F; ++f) {
    std::string name = fmt::format("x{}", f);
    if (x.cols[f].op == ir::Op::Input) name = r.out.schema.inputs[x.cols[f].index].name;
    r.out.features.push_back({name, x.cols[f]});
  }
  r.out.provenance.source_class = "GaussianNB (Sub/Pow/Div/ReduceSum/ReduceLogSumExp graph)";
  r.out.provenance.family = fmt::format("naive Bayes (Gaussian, {} classes)", K);
}

}  // namespace mb::onnxfmt
