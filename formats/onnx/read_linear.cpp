// ONNX reader, estimator side: finds the linear core (MatMul, Gemm, LinearRegressor,
// LinearClassifier), then walks from the graph outputs back to it to learn the inverse link,
// the score transform and the class labels.
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "formats/onnx/functions.hpp"
#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/read_models.hpp"
#include "formats/onnx/read_trees.hpp"
#include "formats/onnx/reader.hpp"
#include "formats/onnx/write_families.hpp"
#include "lib/ir/builder.hpp"

namespace mb::onnxfmt {

using ir::Expr;
using ir::Link;
using ir::ScoreTransform;

namespace {

struct Post {
  enum Stage { Raw, Eta, Mean, Prob, Label } stage = Raw;
  Link link = Link::Identity;
  ScoreTransform transform = ScoreTransform::None;
  std::vector<std::string> classes;
  // After a LinearClassifier: L1 Normalizers applied to its scores, and whether anything else
  // computes on them (then onnxruntime's float32 rules are not reproduced, see ir::Linear::output).
  int normalizers = 0;
  bool other_arithmetic = false;
  double power = 1;  // Link::Power's lambda (LinkPower's second input)
};

bool is_estimator_op(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (n.domain() == "ai.onnx.ml")
    return op == "LinearRegressor" || op == "LinearClassifier" || op.rfind("TreeEnsemble", 0) == 0 ||
           op.rfind("SVM", 0) == 0;
  return (n.domain().empty() || n.domain() == "ai.onnx") && (op == "MatMul" || op == "Gemm");
}

struct Estimator {
  explicit Estimator(Reader& reader) : r(reader) {}
  Reader& r;
  int F = 0, T = 0;                // features, score columns
  std::vector<double> coef;        // T x F
  std::vector<double> intercepts;  // T
  std::optional<Expr> offset;
  ir::Precision precision = ir::Precision::Double;
  std::vector<std::string> core_classes;
  std::map<std::string, Post> memo;
  std::map<std::string, bool> dep_memo;

  const onnx::NodeProto& core() const { return r.node(r.core); }

  bool depends_on_core(const std::string& name) {
    auto it = dep_memo.find(name);
    if (it != dep_memo.end()) return it->second;
    bool d = false;
    auto p = r.producer.find(name);
    if (p != r.producer.end()) {
      if (p->second == r.core) d = true;
      else
        for (const auto& in : r.node(p->second).input()) d |= !in.empty() && depends_on_core(in);
    }
    return dep_memo[name] = d;
  }

  Post stage_after_link(int n, Post p, Link link) {
    if (p.stage != Post::Raw && p.stage != Post::Eta)
      r.fail_node(n, "an inverse link must follow the linear predictor");
    p.stage = Post::Mean;
    p.link = link;
    p.other_arithmetic = true;
    return p;
  }

  Post post(const std::string& name) {
    auto m = memo.find(name);
    if (m != memo.end()) return m->second;
    auto p = r.producer.find(name);
    if (p == r.producer.end()) r.fail("output '" + name + "'", "not computed from the linear estimator");
    const int n = p->second;
    const auto& nd = r.node(n);
    const std::string& op = nd.op_type();
    Post s;
    if (n == r.core) {
      if (op == "MatMul") s.stage = Post::Raw;
      else if (op == "Gemm") s.stage = Post::Eta;
      else if (op == "LinearRegressor") s.stage = Post::Eta;
      else s = classifier_output(name == nd.output(0) ? 0 : 1);
      return memo[name] = s;
    }
    auto in0 = [&]() { return post(nd.input(0)); };
    if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
        op == "Cast") {
      s = in0();
    } else if (op == "Add") {
      const bool d0 = depends_on_core(nd.input(0)), d1 = depends_on_core(nd.input(1));
      if (d0 == d1) r.fail_node(n, "expected the linear predictor plus a constant or an offset");
      s = post(nd.input(d0 ? 0 : 1));
      const std::string& other = nd.input(d0 ? 1 : 0);
      if (s.stage != Post::Raw && s.stage != Post::Eta)
        r.unsupported_node(n, "unsupported: addition after the inverse link");
      Value v = r.value(other);
      if (v.constant) {
        if (s.stage != Post::Raw) r.unsupported_node(n, "unsupported: a second intercept");
        if (v.cols.size() != 1 && static_cast<int>(v.cols.size()) != T)
          r.fail_node(n, "intercepts do not match the scores");
        for (int t = 0; t < T; ++t) intercepts[t] += v.cols[v.cols.size() == 1 ? 0 : t].value;
      } else {
        if (offset || v.cols.size() != 1) r.fail_node(n, "only one offset column is supported");
        offset = v.cols[0];
      }
      s.stage = Post::Eta;
    } else if (op == "Sigmoid") {
      s = stage_after_link(n, in0(), Link::Logit);
    } else if (op == "Exp") {
      s = stage_after_link(n, in0(), Link::Log);
    } else if (op == "Reciprocal") {
      s = stage_after_link(n, in0(), Link::Inverse);
    } else if (nd.domain() == kFunctionDomain && op.rfind("Link", 0) == 0 && is_library_function(op)) {
      r.check_function(nd, n);
      static const std::map<std::string, Link> links = {{"LinkProbit", Link::Probit},
                                                        {"LinkCloglog", Link::Cloglog},
                                                        {"LinkLoglog", Link::Loglog},
                                                        {"LinkCauchit", Link::Cauchit},
                                                        {"LinkLog", Link::Log},
                                                        {"LinkInverse", Link::Inverse},
                                                        {"LinkInverseSquare", Link::InverseSquare},
                                                        {"LinkSqrt", Link::Sqrt}};
      if (op == "LinkPower") {
        // LinkPower(eta, lambda) = eta^(1 / lambda): lambda a constant.
        const Value v = r.value(nd.input(1));
        if (!v.constant || v.cols.size() != 1 || !std::isfinite(v.cols[0].value) || v.cols[0].value == 0)
          r.fail_node(n, "LinkPower needs one constant lambda, finite and not 0");
        s = stage_after_link(n, in0(), Link::Power);
        s.power = v.cols[0].value;
      } else {
        s = stage_after_link(n, in0(), links.at(op));
      }
    } else if (op == "Abs") {
      s = in0();
      s.other_arithmetic = true;
      if (!(s.stage == Post::Prob || (s.stage == Post::Mean && s.link == Link::Logit)))
        r.fail_node(n, "Abs is supported on probabilities only");
    } else if (op == "Softmax") {
      s = in0();
      s.other_arithmetic = true;
      if (s.stage != Post::Raw && s.stage != Post::Eta) r.fail_node(n, "Softmax must follow the linear predictor");
      s.stage = Post::Prob;
      s.transform = ScoreTransform::Softmax;
    } else if (op == "Concat" && nd.input_size() == 2) {
      // [1 - p, p]
      auto sp = r.producer.find(nd.input(0));
      bool ok =
          sp != r.producer.end() && r.node(sp->second).op_type() == "Sub" && r.node(sp->second).input(1) == nd.input(1);
      if (ok) {
        const auto one = r.const_values(r.node(sp->second).input(0), sp->second);
        ok = one.size() == 1 && one[0] == 1.0;
      }
      if (!ok) r.fail_node(n, "expected the binary probabilities [1 - p, p]");
      s = post(nd.input(1));
      s.other_arithmetic = true;
      if (s.stage == Post::Raw || s.stage == Post::Eta) s.link = Link::Identity;
      else if (s.stage != Post::Mean) r.fail_node(n, "expected the binary probabilities [1 - p, p]");
      s.stage = Post::Prob;
      s.transform = ScoreTransform::Binary;
    } else if (op == "Sub" && nd.input_size() == 2) {
      // Cumulative probabilities to class probabilities: Pad(c, last, 1) - Pad(c, first, 0).
      auto pad_of = [&](int i, int64_t side, double fill) -> std::string {
        auto sp = r.producer.find(nd.input(i));
        if (sp == r.producer.end()) return "";
        const auto& pn = r.node(sp->second);
        if (pn.op_type() != "Pad" || pn.input_size() != 3 || attr_s(pn, "mode", "constant") != "constant") return "";
        const auto pads = r.const_values(pn.input(1), sp->second);
        const auto value = r.const_values(pn.input(2), sp->second);
        const std::vector<double> want = side == 1 ? std::vector<double>{0, 0, 0, 1} : std::vector<double>{0, 1, 0, 0};
        if (pads != want || value.size() != 1 || value[0] != fill) return "";
        return pn.input(0);
      };
      const std::string upper = pad_of(0, 1, 1.0), lower = pad_of(1, 0, 0.0);
      if (upper.empty() || upper != lower)
        r.fail_node(n, "expected the ordinal class probabilities Pad(c, [0,0,0,1], 1) - Pad(c, [0,1,0,0], 0)");
      s = post(upper);
      s.other_arithmetic = true;
      if (s.stage == Post::Raw || s.stage == Post::Eta) s.link = Link::Identity;
      else if (s.stage != Post::Mean) r.fail_node(n, "expected cumulative probabilities before the differences");
      s.stage = Post::Prob;
      s.transform = ScoreTransform::Cumulative;
    } else if (op == "Div") {
      auto sp = r.producer.find(nd.input(1));
      if (sp == r.producer.end() || r.node(sp->second).op_type() != "ReduceSum")
        r.fail_node(n, "only Div by a row sum is supported");
      s = in0();
      s.other_arithmetic = true;
      if (s.stage == Post::Raw || s.stage == Post::Eta || s.stage == Post::Mean ||
          (s.stage == Post::Prob && s.transform == ScoreTransform::None)) {
        s.stage = Post::Prob;
        s.transform = ScoreTransform::Normalize;
      } else if (s.stage != Post::Prob) {
        r.fail_node(n, "unexpected normalisation");
      }
    } else if (op == "Normalizer") {
      if (attr_s(nd, "norm", "MAX") != "L1") r.fail_node(n, "only the L1 norm is supported");
      s = in0();
      ++s.normalizers;
      if (s.stage == Post::Mean || (s.stage == Post::Prob && s.transform == ScoreTransform::None)) {
        s.stage = Post::Prob;
        s.transform = ScoreTransform::Normalize;
      } else if (s.stage != Post::Prob) {
        r.fail_node(n, "Normalizer must follow class scores");
      }
    } else if (op == "ZipMap") {
      s = in0();
      if (s.stage != Post::Prob) r.fail_node(n, "ZipMap must follow class probabilities");
      auto labels = attr_strings_of(nd, "classlabels_strings");
      if (labels.empty())
        for (auto i : attr_ints_of(nd, "classlabels_int64s")) labels.push_back(std::to_string(i));
      s.classes = labels;
    } else if (op == "ArgMax") {
      s = in0();
      if (s.stage == Post::Label) r.fail_node(n, "ArgMax of labels");
      s = Post{Post::Label, Link::Identity, ScoreTransform::None, {}};
    } else if (op == "Gather" || op == "ArrayFeatureExtractor") {
      s = post(nd.input(1));
      if (s.stage != Post::Label) r.fail_node(n, "expected class labels looked up by the winning class");
      auto it = r.inits.find(nd.input(0));
      if (it == r.inits.end()) r.fail_node(n, "class labels must be an initializer");
      s.classes = tensor_strings(*it->second);
    } else if (op == "Where") {
      s = post(nd.input(2));
      if (s.stage != Post::Label) r.unsupported_node(n, "unsupported Where after the estimator");
    } else {
      r.unsupported_node(n, "unsupported operator after the linear estimator");
    }
    return memo[name] = s;
  }

  Post classifier_output(int k) {
    const auto& nd = core();
    if (k == 0) return Post{Post::Label, Link::Identity, ScoreTransform::None, core_classes};
    const std::string pt = attr_s(nd, "post_transform", "NONE");
    Post s{Post::Prob, Link::Identity, ScoreTransform::None, core_classes};
    const bool binary = T == 1 && core_classes.size() == 2;
    if (binary) {
      s.transform = ScoreTransform::Binary;
      if (pt == "LOGISTIC") s.link = Link::Logit;
      else if (pt != "NONE" && pt != "SOFTMAX")
        r.unsupported_node(r.core,
                           "unsupported: post_transform " + pt +
                               " of a binary LinearClassifier (onnxruntime 1.30 outputs no probabilities for it)");
    } else {
      if (pt == "LOGISTIC") s.link = Link::Logit;
      else if (pt == "SOFTMAX") s.transform = ScoreTransform::Softmax;
      else if (pt != "NONE") r.unsupported_node(r.core, "unsupported: post_transform " + pt + " of a LinearClassifier");
    }
    return s;
  }

  // Reads the parameters of the core node; returns the features tensor name.
  std::string parameters() {
    const auto& nd = core();
    const std::string& op = nd.op_type();
    if (op == "MatMul" || op == "Gemm") {
      const int w_in = 1;
      auto it = r.inits.find(nd.input(w_in));
      if (it == r.inits.end()) r.fail_node(r.core, "the weights must be an initializer");
      const auto& wt = *it->second;
      const auto w = tensor_values(wt);
      if (wt.data_type() == onnx::TensorProto::FLOAT) precision = ir::Precision::Float32;
      bool trans = op == "Gemm" && attr_i(nd, "transB", 0) != 0;
      if (op == "Gemm") {
        if (attr_i(nd, "transA", 0) != 0) r.unsupported_node(r.core, "unsupported: transA");
        if (const auto* a = find_attr(nd, "alpha"); a && a->f() != 1.0f)
          r.unsupported_node(r.core, "unsupported: alpha other than 1");
        if (const auto* b = find_attr(nd, "beta"); b && b->f() != 1.0f)
          r.unsupported_node(r.core, "unsupported: beta other than 1");
      }
      if (wt.dims_size() == 1) {
        F = static_cast<int>(wt.dims(0));
        T = 1;
      } else if (wt.dims_size() == 2) {
        F = static_cast<int>(wt.dims(trans ? 1 : 0));
        T = static_cast<int>(wt.dims(trans ? 0 : 1));
      } else {
        r.fail_node(r.core, "weights must be a matrix");
      }
      coef.assign(static_cast<size_t>(T) * F, 0.0);
      for (int f = 0; f < F; ++f)
        for (int t = 0; t < T; ++t) coef[t * F + f] = trans ? w[t * F + f] : w[f * T + t];
      intercepts.assign(T, 0.0);
      if (op == "Gemm" && nd.input_size() > 2 && !nd.input(2).empty()) {
        const auto c = r.const_values(nd.input(2), r.core);
        if (c.size() != 1 && static_cast<int>(c.size()) != T) r.fail_node(r.core, "bias does not match the scores");
        for (int t = 0; t < T; ++t) intercepts[t] = c[c.size() == 1 ? 0 : t];
      }
      return nd.input(0);
    }
    precision = ir::Precision::Float32;  // ai.onnx.ml linear operators compute in float
    coef = attr_floats(nd, "coefficients");
    intercepts = attr_floats(nd, "intercepts");
    if (op == "LinearRegressor") {
      const std::string pt = attr_s(nd, "post_transform", "NONE");
      if (pt != "NONE" && pt != "LOGISTIC" && pt != "SOFTMAX" && pt != "SOFTMAX_ZERO" && pt != "PROBIT")
        r.fail_node(r.core, "invalid model: attribute 'post_transform' is '" + pt +
                                "'; expected NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT");
      T = static_cast<int>(attr_i(nd, "targets", 1));
      if (intercepts.empty()) intercepts.assign(T, 0.0);
    } else {
      core_classes = attr_strings_of(nd, "classlabels_strings");
      if (core_classes.empty())
        for (auto i : attr_ints_of(nd, "classlabels_ints")) core_classes.push_back(std::to_string(i));
      T = static_cast<int>(intercepts.size());
      if (T == 0) r.fail_node(r.core, "LinearClassifier without intercepts");
    }
    if (T <= 0 || coef.size() % T != 0 || static_cast<int>(intercepts.size()) != T)
      r.fail_node(r.core, "coefficients do not match the targets");
    F = static_cast<int>(coef.size() / T);
    return nd.input(0);
  }
};

std::string default_feature_name(const ir::Model& m, const Expr& e, int f) {
  const Expr* x = &e;
  if (x->op == ir::Op::Coalesce && !x->args.empty()) x = &x->args[0];
  if (x->op == ir::Op::Input) return m.schema.inputs[x->index].name;
  if (x->op == ir::Op::LevelIs)
    return m.schema.inputs[x->index].name + "=" + m.schema.inputs[x->index].levels[x->level];
  return fmt::format("x{}", f);
}

}  // namespace

void Reader::find_core() {
  if (is_tree_graph(*this) || is_family_graph(*this)) return;  // their readers find their own
  core_kind = core_family(*this);
  if (core_kind != CoreFamily::None) return;  // a network, naive Bayes or k-means of core operators
  for (int i = 0; i < g->node_size(); ++i) {
    if (!is_estimator_op(node(i))) continue;
    const auto& op = node(i).op_type();
    if ((op.rfind("SVM", 0) == 0 && !is_svm_operator(node(i))) ||
        (op.rfind("TreeEnsemble", 0) == 0 && !is_tree_operator(node(i))))
      unsupported_node(
          i, "unsupported estimator: only linear models, tree ensembles and SVMs are read from ai.onnx.ml so far");
    if (core >= 0) fail_node(i, "a second estimator node: only a single linear model is supported");
    core = i;
  }
  if (core < 0 && g->output_size() == 1) {
    core_kind = CoreFamily::Transform;  // preprocessing alone: its output is the prediction
    return;
  }
  if (core < 0)
    fail("graph",
         "no estimator found (MatMul, Gemm, LinearRegressor, LinearClassifier, tree ensembles, SVMClassifier, "
         "SVMRegressor, or the core-operator graphs of networks, naive Bayes and k-means)");
}

void Reader::build_estimator() {
  if (is_family_graph(*this)) {
    read_family_graph(*this);
    return;
  }
  if (is_tree_graph(*this)) {
    read_tree_graph(*this);
    return;
  }
  switch (core_kind) {
    case CoreFamily::Mlp: read_mlp_graph(*this); return;
    case CoreFamily::GaussianNb: read_gaussian_nb_graph(*this); return;
    case CoreFamily::KMeans: read_kmeans_graph(*this); return;
    case CoreFamily::Transform: read_transform_graph(); return;
    case CoreFamily::None: break;
  }
  if (is_tree_operator(node(core))) {
    read_tree_core(*this);
    return;
  }
  if (is_svm_operator(node(core))) {
    read_svm_core(*this);
    return;
  }
  Estimator est(*this);
  const std::string features_name = est.parameters();
  Value x = value(features_name);
  if (x.kind != Value::Num) fail_node(core, "the estimator input must be numeric");
  if (node(core).op_type() == "LinearRegressor" && x.elem == onnx::TensorProto::DOUBLE)
    fail_node(core,
              "invalid model: onnxruntime implements LinearRegressor for float inputs only (this input is double)");
  if (static_cast<int>(x.cols.size()) != est.F)
    fail_node(core, fmt::format("{} feature columns for {} coefficients per target", x.cols.size(), est.F));

  std::vector<Post> posts;
  for (const auto& o : g->output()) posts.push_back(est.post(o.name()));
  const Post* prob = nullptr;
  const Post* label = nullptr;
  const Post* reg = nullptr;
  for (const auto& p : posts) {
    if (p.stage == Post::Prob && !prob) prob = &p;
    if (p.stage == Post::Label && !label) label = &p;
    if ((p.stage == Post::Eta || p.stage == Post::Raw || p.stage == Post::Mean) && !reg) reg = &p;
  }
  Post cls_post;
  if (!prob && label && core_is_classifier()) {
    cls_post = est.classifier_output(1);
    prob = &cls_post;
  }
  ir::Linear lin;
  lin.precision = est.precision;
  if (core_is_classifier() && prob && !prob->other_arithmetic && prob->normalizers <= 1) {
    // onnxruntime's own arithmetic: float32 post-transform, label rule, L1 Normalizer.
    // The layout (binary Complement or one column per class) is set once the classes are known.
    const std::string pt = attr_s(node(core), "post_transform", "NONE");
    lin.output.arithmetic = ir::Arithmetic::Operator;
    lin.output.post = pt == "LOGISTIC"  ? ir::PostTransform::Logistic
                      : pt == "SOFTMAX" ? ir::PostTransform::Softmax
                                        : ir::PostTransform::None;
    lin.output.label = ir::LabelRule::RawScores;
    lin.output.output_precision = ir::Precision::Float32;
    lin.output.l1_normalize = prob->normalizers == 1;
  }
  auto& target = out.schema.target;
  int T = est.T;
  std::vector<double> coef = est.coef, icpt = est.intercepts;
  if (prob) {
    target.task = ir::Task::Classification;
    target.classes = !prob->classes.empty() ? prob->classes : (label ? label->classes : std::vector<std::string>{});
    if (target.classes.empty()) fail("graph", "class labels not found");
    lin.link = prob->link;
    lin.link_power = prob->power;
    lin.transform = prob->transform;
    const int K = static_cast<int>(target.classes.size());
    if (lin.transform == ScoreTransform::Softmax && K == T && T > 1) {
      bool zero = icpt[0] == 0.0;
      for (int f = 0; f < est.F; ++f) zero &= coef[f] == 0.0;
      if (zero) {  // reference class column
        lin.reference_class = true;
        coef.erase(coef.begin(), coef.begin() + est.F);
        icpt.erase(icpt.begin());
        --T;
      }
    }
  } else if (reg) {
    if (T != 1) unsupported("graph", "unsupported: regression with several targets");
    target.task = ir::Task::Regression;
    lin.link = reg->link;
    lin.link_power = reg->power;
    const std::string pt =
        node(core).op_type() == "LinearRegressor" ? attr_s(node(core), "post_transform", "NONE") : "NONE";
    if (pt == "PROBIT") {
      // onnxruntime applies probit to a single target (ir::Linear's Operator stage, in float32).
      if (reg->stage != Post::Eta || est.offset || reg->link != Link::Identity)
        unsupported_node(core, "unsupported: an offset or link after a LinearRegressor with post_transform PROBIT");
      lin.output.arithmetic = ir::Arithmetic::Operator;
      lin.output.post = ir::PostTransform::Probit;
      lin.output.output_precision = ir::Precision::Float32;
    } else if (pt != "NONE") {
      out.provenance.warnings.push_back(
          {"onnxruntime-ignores-post-transform",
           node_place(core) + ": onnxruntime 1.30 reads post_transform " + pt +
               " of a single-target LinearRegressor but does not apply it; scored as the runtime does, without it"});
    }
  } else {
    fail("graph", "no output computed from the estimator");
  }
  lin.n_targets = T;
  if (lin.output.operator_rules() && T == 1 && target.classes.size() == 2 && !lin.reference_class)
    lin.output.layout = ir::ScoreLayout::Complement;
  lin.coefficients = coef;
  lin.intercepts = icpt;

  for (int f = 0; f < est.F; ++f) out.features.push_back({"", x.cols[f]});
  if (est.offset) {
    int at = static_cast<int>(out.features.size());
    if (auto it = meta.find(kMetaOffset); it != meta.end()) {
      try {
        at = std::clamp(std::stoi(it->second), 0, at);
      } catch (...) {
      }
    }
    out.features.insert(out.features.begin() + at, {"", *est.offset});
    const int Fn = static_cast<int>(out.features.size());
    std::vector<double> c(static_cast<size_t>(T) * Fn, 0.0);
    for (int t = 0; t < T; ++t)
      for (int f = 0, g2 = 0; f < Fn; ++f) c[t * Fn + f] = f == at ? 0.0 : lin.coefficients[t * est.F + g2++];
    lin.coefficients = c;
    lin.offset_feature = at;
  }
  bool named = true;
  for (size_t f = 0; f < out.features.size(); ++f) named &= meta.count(kMetaFeature + std::to_string(f)) > 0;
  for (size_t f = 0; f < out.features.size(); ++f)
    out.features[f].name = named ? meta[kMetaFeature + std::to_string(f)]
                                 : default_feature_name(out, out.features[f].expr, static_cast<int>(f));
  out.estimator = lin;
  const auto& nd = node(core);
  out.provenance.source_class = meta.count(kMetaSourceClass) ? meta[kMetaSourceClass] : nd.op_type();
  out.provenance.family =
      meta.count(kMetaFamily)
          ? meta[kMetaFamily]
          : fmt::format("linear ({}{})", nd.op_type(), lin.precision == ir::Precision::Float32 ? ", float32" : "");
}

void Reader::read_transform_graph() {
  const std::string& name = g->output(0).name();
  const std::string place = "graph output '" + name + "'";
  auto p = producer.find(name);
  if (p == producer.end()) fail(place, "no estimator found and no node computes the output");
  Value v = value(name);
  if (v.kind == Value::Code) v = code_as_number(v, p->second);
  if (v.kind != Value::Num || v.cols.size() != 1)
    unsupported(place,
                "unsupported: a graph without an estimator is read only when its one output is one numeric column "
                "(the prediction)");
  if (v.constant) unsupported(place, "unsupported: a constant output");
  ir::Linear lin;
  lin.coefficients = {1.0};
  lin.intercepts = {0.0};
  out.schema.target.task = ir::Task::Regression;
  out.features.push_back({default_feature_name(out, v.cols[0], 0), v.cols[0]});
  out.estimator = lin;
  std::string ops;
  for (const auto& nd : g->node()) ops += (ops.empty() ? "" : ", ") + nd.op_type();
  out.provenance.source_class = "transformation";
  out.provenance.family = "transformation without an estimator (" + ops + "): the prediction is its output";
}

bool Reader::core_is_classifier() const { return node(core).op_type() == "LinearClassifier"; }

ir::Model Reader::run() {
  make_inputs();
  for (int j = 0;; ++j) {
    auto it = meta.find(kMetaDerived + std::to_string(j));
    if (it == meta.end()) break;
    const std::string tensor = kDerivedPrefix + it->second;
    if (!producer.count(tensor)) fail("metadata '" + it->first + "'", "no tensor '" + tensor + "' in the graph");
    derived_index[tensor] = j;
    Value v = value(tensor);
    if (v.kind != Value::Num || v.cols.size() != 1)
      fail("tensor '" + tensor + "'", "a derived field must be one numeric column");
    out.derived.push_back({it->second, v.cols[0]});
    Value ref;
    ref.cols = {Expr::derived(j)};
    memo[tensor] = ref;
  }
  find_core();
  build_estimator();
  if (auto it = meta.find(kMetaTarget); it != meta.end()) out.schema.target.name = it->second;
  auto& pv = out.provenance;
  pv.format = "onnx";
  std::string opsets;
  for (const auto& o : model.opset_import())
    opsets += fmt::format(" / {} {}", o.domain().empty() ? "ai.onnx" : o.domain(), o.version());
  pv.format_version = fmt::format("ir_version {}{}", model.ir_version(), opsets);
  pv.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  try {
    ir::validate(out, file, core >= 0 ? node_place(core) : "estimator");
  } catch (const Error& e) {
    throw e.with_file(file);
  }
  return std::move(out);
}

}  // namespace mb::onnxfmt
