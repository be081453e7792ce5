// ONNX writer for linear models: schema inputs -> derived fields and features (double) ->
// MatMul + Add -> inverse link -> outputs.  Layout and conventions in onnx.hpp.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "formats/onnx/emitter.hpp"
#include "formats/onnx/functions.hpp"
#include "formats/onnx/onnx.hpp"
#include "formats/onnx/onnx_names.hpp"
#include "formats/onnx/write_families.hpp"
#include "formats/onnx/write_trees.hpp"
#include "lib/util/errors.hpp"

namespace mb::onnxfmt {
namespace {

using ir::Op;
const int64_t kDoubleT = onnx::TensorProto::DOUBLE;
const int64_t kFloatT = onnx::TensorProto::FLOAT;

void set_tensor_type(onnx::ValueInfoProto* v, const std::string& name, int elem, const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (d == "N") dim->set_dim_param("N");
    else dim->set_dim_value(std::stoll(d));
  }
}

// A lowered value: a [N,1] double tensor (rows) or a rank-0 double constant.
struct Val {
  std::string name;
  bool rows = false;
};

struct Writer {
  const ir::Model& m;
  const WriteOptions& opt;
  Warnings& warnings;
  onnx::ModelProto model;
  onnx::GraphProto* g;
  Emitter e;
  std::set<std::string> functions;
  std::vector<std::string> input_val;  // continuous: [N,1] double; categorical: int64 code
  std::map<std::pair<int, int>, std::string> level_is;
  std::vector<Val> derived_val;
  std::string shape_source;  // any graph input, for broadcasting constants
  bool float_mode;
  int ml_opset = 3;

  Writer(const ir::Model& model_, const WriteOptions& o, Warnings& w)
      : m(model_),
        opt(o),
        warnings(w),
        g(model.mutable_graph()),
        e(g),
        float_mode(o.precision == ir::Precision::Float32) {}

  [[noreturn]] void fail(const std::string& place, const std::string& msg) const { throw Error("", place, msg); }

  std::string fn(const std::string& name, const std::vector<std::string>& in) {
    functions.insert(name);
    return e.node(name, in, {}, kFunctionDomain);
  }
  std::string cast(const std::string& v, int64_t to) { return e.node("Cast", {v}, {attr_int("to", to)}); }

  void inputs() {
    for (size_t i = 0; i < m.schema.inputs.size(); ++i) {
      const auto& in = m.schema.inputs[i];
      if (shape_source.empty()) shape_source = in.name;
      if (in.is_categorical()) {
        set_tensor_type(g->add_input(), in.name, onnx::TensorProto::STRING, {"N", "1"});
        const int64_t K = static_cast<int64_t>(in.levels.size());
        int64_t dflt = in.open ? K - 1 : K;  // -> the open domain's "other" level, or the NaN entry of every table
        if (in.missing_replacement_label) {
          for (int64_t k = 0; k < K; ++k)
            if (in.levels[k] == *in.missing_replacement_label) dflt = k;
        }
        for (int64_t k = 0; k < K; ++k)  // the empty label is how a string input says missing
          if (in.levels[k].empty())
            throw Unsupported("", fmt::format("input '{}'", in.name),
                              "an empty-string level, which an ONNX string input cannot tell from a missing value");
        std::vector<int64_t> codes(K);
        for (int64_t k = 0; k < K; ++k) codes[k] = k;
        std::vector<std::string> keys = in.levels;
        if (in.open) {  // the empty label stays missing; every other one is the "other" level
          keys.push_back("");
          codes.push_back(K);
        }
        input_val.push_back(e.node(
            "LabelEncoder", {in.name},
            {attr_strings("keys_strings", keys), attr_ints("values_int64s", codes), attr_int("default_int64", dflt)},
            "ai.onnx.ml", fmt::format("{}{}", kCodePrefix, in.name)));
        continue;
      }
      const bool narrow = float_mode || in.cast == ir::Precision::Float32;
      set_tensor_type(g->add_input(), in.name, float_mode ? kFloatT : kDoubleT, {"N", "1"});
      std::string v = in.name;
      if (float_mode) {
        if (in.missing_replacement) {
          v = e.node("Where", {e.node("IsNaN", {v}), e.constant(tensor_float({*in.missing_replacement}, {}), "r"), v});
          if (static_cast<double>(static_cast<float>(*in.missing_replacement)) != *in.missing_replacement)
            warnings.push_back(
                {"float32-narrowing", fmt::format("missing-value replacement of '{}' rounded to float32", in.name)});
        }
        v = cast(v, kDoubleT);
      } else {
        if (in.missing_replacement) v = e.node("Where", {e.node("IsNaN", {v}), e.scalar(*in.missing_replacement), v});
        if (narrow) v = cast(cast(v, kFloatT), kDoubleT);
      }
      input_val.push_back(v);
    }
    if (float_mode && std::any_of(m.schema.inputs.begin(), m.schema.inputs.end(), [](const ir::InputField& f) {
          return !f.is_categorical() && f.cast == ir::Precision::Double;
        }))
      warnings.push_back({"float32-narrowing", "continuous inputs are float32 tensors: values are rounded to float32"});
  }

  std::string table_gather(int index, std::vector<double> table, const std::string& hint) {
    table.push_back(NAN);  // the code of a missing or unseen label
    const std::string t = e.constant(tensor_double(table, {static_cast<int64_t>(table.size())}), hint);
    return e.node("Gather", {t, input_val[index]}, {attr_int("axis", 0)});
  }

  Val lower(const ir::Expr& x, const std::string& place) {
    const auto& inputs = m.schema.inputs;
    switch (x.op) {
      case Op::Const: return {e.scalar(x.value), false};
      case Op::Input: {
        if (!inputs[x.index].is_categorical()) return {input_val[x.index], true};
        std::vector<double> t(inputs[x.index].levels.size());
        for (size_t k = 0; k < t.size(); ++k) t[k] = static_cast<double>(k);
        return {table_gather(x.index, t, "codes"), true};
      }
      case Op::Derived: return derived_val[x.index];
      case Op::LevelIs: {
        auto key = std::make_pair(x.index, x.level);
        auto it = level_is.find(key);
        if (it != level_is.end()) return {it->second, true};
        std::vector<double> t(inputs[x.index].levels.size(), 0.0);
        t[x.level] = 1.0;
        const std::string v = table_gather(x.index, t, "level");
        level_is.emplace(key, v);
        return {v, true};
      }
      case Op::LevelMap: return {table_gather(x.index, x.table, "map"), true};
      case Op::Discretize: fail(place, "the ONNX writer does not support discretize expressions yet");
      default: break;
    }
    std::vector<Val> args;
    bool rows = false;
    for (const auto& a : x.args) {
      args.push_back(lower(a, place));
      rows |= args.back().rows;
    }
    std::vector<std::string> names;
    for (const auto& a : args) names.push_back(a.name);
    auto core = [&](const char* op) { return Val{e.node(op, names), rows}; };
    switch (x.op) {
      case Op::Add: return core("Add");
      case Op::Sub: return core("Sub");
      case Op::Mul: return core("Mul");
      case Op::Div: return core("Div");
      case Op::Pow: return core("Pow");
      case Op::Neg: return core("Neg");
      case Op::Min: return core("Min");
      case Op::Max: return core("Max");
      case Op::Log: return core("Log");
      case Op::Exp: return core("Exp");
      case Op::Sqrt: return core("Sqrt");
      case Op::Abs: return core("Abs");
      case Op::Floor: return core("Floor");
      case Op::Ceil: return core("Ceil");
      case Op::Round: return core("Round");  // half to even, as the IR
      case Op::Sin: return core("Sin");
      case Op::Cos: return core("Cos");
      case Op::Tanh: return core("Tanh");
      case Op::Logistic: return core("Sigmoid");
      case Op::Float32: return {cast(cast(names[0], onnx::TensorProto::FLOAT), onnx::TensorProto::DOUBLE), rows};
      case Op::Coalesce: {
        std::string acc = names.back();
        for (size_t i = names.size() - 1; i-- > 0;) acc = fn("Coalesce", {names[i], acc});
        return {acc, rows};
      }
      default: break;
    }
    const std::string f = function_for_op(x.op);
    if (f.empty()) fail(place, fmt::format("operator '{}' has no ONNX lowering", ir::op_name(x.op)));
    return {fn(f, names), rows};
  }

  // A [N,1] tensor for a value (constants are broadcast to the rows of the batch).
  std::string rows_of(const Val& v) {
    if (v.rows) return v.name;
    if (shape_source.empty()) fail("", "a model without inputs cannot be written to ONNX");
    std::string shape = e.node("Shape", {shape_source});
    return e.node("Expand", {v.name, shape});
  }

  std::string inverse_link(ir::Link link, const std::string& eta) {
    if (link == ir::Link::Identity) return eta;
    if (link == ir::Link::Logit) return e.node("Sigmoid", {eta});
    if (link == ir::Link::Power) {
      const auto* lin = std::get_if<ir::Linear>(&m.estimator);
      if (!lin) fail("estimator", "a power link outside a linear model");
      return fn(function_for_link(link), {eta, e.scalar(lin->link_power)});
    }
    return fn(function_for_link(link), {eta});
  }

  void run() {
    if (const auto* ens = std::get_if<ir::Ensemble>(&m.estimator)) {
      std::string kinds;
      for (const auto& mem : ens->members)
        kinds += (kinds.empty() ? "" : ", ") + std::string(ir::estimator_kind(mem.estimator));
      throw Unsupported("", "estimator",
                        fmt::format("an ensemble of models of different families ({} of {}) has no ONNX form here: "
                                    "the ONNX writer writes one estimator per graph",
                                    ir::combine_name(ens->combine), kinds));
    }
    const auto* lin = std::get_if<ir::Linear>(&m.estimator);
    const bool tree = std::holds_alternative<ir::TreeEnsemble>(m.estimator);
    const bool family = is_family(m.estimator);
    if (!lin && !tree && !family)
      fail("estimator", fmt::format("the ONNX writer supports linear models and tree ensembles only, not {}",
                                    ir::estimator_kind(m.estimator)));
    if (!tree && opt.trees == OnnxTrees::Ml5)
      fail("estimator", fmt::format("the opset-5 TreeEnsemble (--onnx-trees ml5) holds tree ensembles only, not {}",
                                    ir::estimator_kind(m.estimator)));
    inputs();
    for (size_t j = 0; j < m.derived.size(); ++j) {
      Val v = lower(m.derived[j].expr, "derived field '" + m.derived[j].name + "'");
      v.name = e.node("Identity", {v.name}, {}, "", kDerivedPrefix + m.derived[j].name);
      derived_val.push_back(v);
    }
    std::vector<std::string> cols;
    std::vector<int> col_feature;
    std::string offset;
    const int F = static_cast<int>(m.features.size());
    for (int f = 0; f < F; ++f) {
      const auto& feat = m.features[f];
      std::string v = rows_of(lower(feat.expr, "feature '" + feat.name + "'"));
      if (lin && f == lin->offset_feature) {
        offset = v;
        continue;
      }
      cols.push_back(v);
      col_feature.push_back(f);
    }
    if (cols.empty()) fail("estimator", "a model without features cannot be written to ONNX yet");
    const auto* svm = std::get_if<ir::Svm>(&m.estimator);
    if (family && svm && (float_mode || (svm->precision == ir::Precision::Float32 && svm->output.operator_rules()))) {
      // One ai.onnx.ml SVMClassifier / SVMRegressor, read back by the operator reader (also without
      // --precision float for an SVM read from that operator: its float32 arithmetic is the model's).
      const std::string X = e.node("Concat", cols, {attr_int("axis", 1)}, "", kFeaturesName);
      write_svm_operator(m, g, e, X, warnings);
      bool categorical = false;
      for (const auto& in : m.schema.inputs) categorical |= in.is_categorical() && !in.open;
      if (categorical && m.unseen == ir::UnseenLevel::Error)
        warnings.push_back(
            {"unseen-level-missing",
             "ONNX cannot raise an error at scoring time: an unseen categorical level gives a missing prediction"});
      finish(-1, "svm");
      return;
    }
    if (family) {  // SVM, MLP, naive Bayes, k-means (write_families.hpp)
      const std::string X = e.node("Concat", cols, {attr_int("axis", 1)}, "", kFeaturesName);
      std::vector<std::pair<std::string, std::string>> params;
      write_family(m, g, e, X, params, warnings, float_mode);
      for (const auto& [k, v] : params) meta(k, v);
      bool categorical = false;
      for (const auto& in : m.schema.inputs) categorical |= in.is_categorical() && !in.open;  // open: no unseen labels
      if (categorical && m.unseen == ir::UnseenLevel::Error && !std::holds_alternative<ir::NaiveBayes>(m.estimator))
        warnings.push_back(
            {"unseen-level-missing",
             "ONNX cannot raise an error at scoring time: an unseen categorical level gives a missing prediction"});
      if (float_mode && !std::holds_alternative<ir::Mlp>(m.estimator))
        warnings.push_back({"float32-inputs-only",
                            fmt::format("--precision float: the {} model's parameters and arithmetic stay double; only "
                                        "continuous inputs are float32 tensors",
                                        ir::estimator_kind(m.estimator))});
      meta(kMetaEstimator, ir::estimator_kind(m.estimator));
      finish(-1, ir::estimator_kind(m.estimator));
      return;
    }
    if (tree) {
      if (m.schema.target.task == ir::Task::Clustering) fail("target", "clustering is not a tree ensemble");
      // An ai.onnx.ml tree classifier labels a row by its largest score; the double core-operator
      // graph gathers the node labels (write_trees.hpp).
      if (float_mode || opt.trees == OnnxTrees::Ml5)
        for (const auto& t : std::get<ir::TreeEnsemble>(m.estimator).trees)
          if (!t.label.empty())
            throw Unsupported::by("", "estimator", float_mode ? "--precision float" : "--onnx-trees ml5",
                                  "node labels (a tree node whose predicted class is not its most probable one: "
                                  "TreeEnsembleClassifier labels by the largest score; the default double trees "
                                  "hold them)");
      const std::string X = e.node("Concat", cols, {attr_int("axis", 1)}, "", kFeaturesName);
      const TreeScores ts = write_tree_scores(m, g, e, X, opt, warnings);
      const int K = static_cast<int>(m.schema.target.classes.size());
      if (!ts.op_label.empty()) {
        outputs("", ir::Link::Identity, ir::ScoreTransform::None, &ts);
        meta(kMetaTrees, "operator");
        ml_opset = ts.ml_opset;
        finish(-1, "tree ensemble");
        return;
      }
      if (m.schema.target.task == ir::Task::Regression && ts.n_scores != 1)
        fail("estimator", "regression with several outputs cannot be written to ONNX");
      if (m.schema.target.task == ir::Task::Classification &&
          !(ts.transform == ir::ScoreTransform::Binary ? ts.n_scores == 1 && K == 2 : ts.n_scores == K))
        fail("estimator", "class scores do not match the classes");
      outputs(ts.scores, ts.link, ts.transform, nullptr, ts.node_label);
      meta(kMetaTrees, ts.aggregate_meta.empty() ? "operator" : ts.aggregate_meta);
      ml_opset = ts.ml_opset;
      finish(-1, "tree ensemble");
      return;
    }

    const auto& target = m.schema.target;
    const bool classify = target.task == ir::Task::Classification;
    if (target.task == ir::Task::Clustering) fail("target", "clustering is not a linear model");
    const int T = lin->n_targets;
    const int K = static_cast<int>(target.classes.size());
    if (!classify && T != 1) fail("estimator", "regression with several targets cannot be written to ONNX");
    if (classify) {
      const bool ok =
          (lin->transform == ir::ScoreTransform::Binary && T == 1 && K == 2) ||
          (lin->transform == ir::ScoreTransform::Softmax && T + (lin->reference_class ? 1 : 0) == K) ||
          (lin->transform == ir::ScoreTransform::Cumulative && T + 1 == K) ||
          ((lin->transform == ir::ScoreTransform::Normalize || lin->transform == ir::ScoreTransform::None) && T == K);
      if (!ok) fail("estimator", "class scores do not match the classes");
    }
    if (!classify && !lin->output.plain())
      throw Unsupported("", "estimator",
                        "onnxruntime's float32 probit post-transform of a LinearRegressor (the ONNX writer writes "
                        "linear models as MatMul and Add)");
    if (!lin->output.plain())
      warnings.push_back(
          {"onnxruntime-rules",
           "the source LinearClassifier's float32 post-transform and label rule (onnxruntime's) are "
           "written as the model's own link and class probabilities, labelled by the largest probability"});
    const int ref = lin->reference_class ? 1 : 0;
    const int Tc = T + ref;
    std::vector<double> W(cols.size() * Tc, 0.0), b(Tc, 0.0);
    for (size_t c = 0; c < cols.size(); ++c)
      for (int t = 0; t < T; ++t) W[c * Tc + t + ref] = lin->coefficients[t * F + col_feature[c]];
    for (int t = 0; t < T; ++t) b[t + ref] = lin->intercepts[t];

    std::string X = e.node("Concat", cols, {attr_int("axis", 1)}, "", kFeaturesName);
    const bool f32 = float_mode || lin->precision == ir::Precision::Float32;
    const std::vector<int64_t> wdims = {static_cast<int64_t>(cols.size()), Tc};
    std::string eta;
    if (f32) {
      std::string Wt = e.constant(tensor_float(W, wdims), kWeightsName);
      std::string bt = e.constant(tensor_float(b, {Tc}), kInterceptsName);
      eta = cast(e.node("Add", {e.node("MatMul", {cast(X, kFloatT), Wt}), bt}), kDoubleT);
      if (lin->precision == ir::Precision::Double)
        warnings.push_back(
            {"float32-narrowing",
             "coefficients and intercepts are rounded to float32 and the linear predictor is summed in float32"});
    } else {
      std::string Wt = e.constant(tensor_double(W, wdims), kWeightsName);
      std::string bt = e.constant(tensor_double(b, {Tc}), kInterceptsName);
      eta = e.node("Add", {e.node("MatMul", {X, Wt}), bt});
    }
    if (!offset.empty()) eta = e.node("Add", {eta, offset}, {}, "", kOffsetSumName);

    outputs(eta, lin->link, lin->transform);
    finish(lin->offset_feature, "linear model");
  }

  // Graph outputs from the estimator scores: inverse link, class probabilities, labels; or a
  // TreeEnsembleClassifier's probabilities and labels (`op`).  `node_label` ([N] int64): a tree's
  // node labels, the class where it is not -1 (write_trees.hpp).
  void outputs(const std::string& eta, ir::Link link, ir::ScoreTransform transform, const TreeScores* op = nullptr,
               const std::string& node_label = "") {
    const auto& target = m.schema.target;
    const bool classify = target.task == ir::Task::Classification;
    const int K = static_cast<int>(target.classes.size());
    if (!classify) {
      std::string y = inverse_link(link, eta);
      e.node("Identity", {y}, {}, "", "prediction");
      set_tensor_type(g->add_output(), "prediction", kDoubleT, {"N", "1"});
    } else {
      std::string prob;
      if (op) {
        prob = op->op_probabilities;
      } else switch (transform) {
          case ir::ScoreTransform::Binary: {
            std::string p = inverse_link(link, eta);
            prob = e.node("Concat", {e.node("Sub", {e.scalar(1.0), p}), p}, {attr_int("axis", 1)});
            break;
          }
          case ir::ScoreTransform::Softmax: prob = e.node("Softmax", {eta}, {attr_int("axis", 1)}); break;
          case ir::ScoreTransform::Normalize: {
            std::string s = inverse_link(link, eta);
            std::string axes = e.constant(tensor_int64({1}, {1}), "axes");
            prob = e.node("Div", {s, e.node("ReduceSum", {s, axes}, {attr_int("keepdims", 1)})});
            break;
          }
          case ir::ScoreTransform::None: prob = inverse_link(link, eta); break;
          case ir::ScoreTransform::Cumulative: {
            // diff(c(0, c, 1)) per row: [c, 1] - [0, c], both by Pad.
            std::string c = inverse_link(link, eta);
            std::string upper =
                e.node("Pad", {c, e.constant(tensor_int64({0, 0, 0, 1}, {4}), "pads_last"), e.scalar(1.0)});
            std::string lower =
                e.node("Pad", {c, e.constant(tensor_int64({0, 1, 0, 0}, {4}), "pads_first"), e.scalar(0.0)});
            prob = e.node("Sub", {upper, lower});
            break;
          }
        }
      prob = e.node("Identity", {prob}, {}, "", "probabilities");
      std::string label;
      if (op) {
        label = op->op_label;  // the operator's label rule gives the largest probability's class
      } else {
        // Class cutoffs (randomForest): the label is the first largest probability / cutoff.
        const auto* te = std::get_if<ir::TreeEnsemble>(&m.estimator);
        std::string crit = prob;
        if (te && !te->class_cutoffs.empty())
          crit = e.node("Div", {prob, e.constant(tensor_double(te->class_cutoffs, {1, K}), "class_cutoffs")});
        std::string idx = e.node("ArgMax", {crit}, {attr_int("axis", 1), attr_int("keepdims", 0)});
        if (!node_label.empty())
          idx = e.node("Where", {e.node("GreaterOrEqual", {node_label, e.constant(tensor_int64({0}, {}), "zero")}),
                                 node_label, idx});
        std::string labels = e.constant(tensor_string(target.classes, {K}), kClassesName);
        label = e.node("Gather", {labels, idx}, {attr_int("axis", 0)});
      }
      std::string axes = e.constant(tensor_int64({1}, {1}), "axes");
      std::string missing = e.node("IsNaN", {e.node("ReduceSum", {prob, axes}, {attr_int("keepdims", 0)})});
      std::string empty = e.constant(tensor_string({""}, {}), "empty");
      e.node("Where", {missing, empty, label}, {}, "", "class");
      set_tensor_type(g->add_output(), "class", onnx::TensorProto::STRING, {"N"});
      set_tensor_type(g->add_output(), "probabilities", kDoubleT, {"N", std::to_string(K)});
    }

    bool categorical = false;
    for (const auto& in : m.schema.inputs) categorical |= in.is_categorical() && !in.open;  // open: no unseen labels
    if (categorical && m.unseen == ir::UnseenLevel::Error)
      warnings.push_back(
          {"unseen-level-missing",
           "ONNX cannot raise an error at scoring time: an unseen categorical level gives a missing prediction"});
  }

  void meta(const std::string& key, const std::string& value) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }

  void finish(int offset_feature, const char* kind) {
    model.set_ir_version(8);
    model.set_producer_name("modelbridge");
    model.set_producer_version("0.1.0");
    g->set_name("modelbridge");
    const auto& pv = m.provenance;
    std::string doc =
        fmt::format("{}{}{}", kind, pv.family.empty() ? "" : ": " + pv.family,
                    pv.format.empty() ? "" : fmt::format(" (converted from {} {})", pv.format, pv.source_class));
    model.set_doc_string(doc);
    auto add_opset = [&](const std::string& domain, int64_t v) {
      auto* o = model.add_opset_import();
      o->set_domain(domain);
      o->set_version(v);
    };
    add_opset("", 17);
    add_opset("ai.onnx.ml", ml_opset);
    if (!functions.empty()) add_opset(kFunctionDomain, 1);
    for (const auto& f : functions) *model.add_functions() = build_function(f);
    meta(kMetaTarget, m.schema.target.name);
    for (size_t f = 0; f < m.features.size(); ++f) meta(fmt::format("{}{}", kMetaFeature, f), m.features[f].name);
    for (size_t j = 0; j < m.derived.size(); ++j) meta(fmt::format("{}{}", kMetaDerived, j), m.derived[j].name);
    if (offset_feature >= 0) meta(kMetaOffset, std::to_string(offset_feature));
    if (!pv.source_class.empty()) meta(kMetaSourceClass, pv.source_class);
    if (!pv.family.empty()) meta(kMetaFamily, pv.family);
    for (const auto& in : m.schema.inputs)
      if (in.kind == ir::FieldKind::Ordinal) meta(kMetaOrdinal + in.name, "1");
  }
};

}  // namespace

std::string write(const ir::Model& model, const WriteOptions& options, Warnings& warnings) {
  Writer w(model, options, warnings);
  w.run();
  std::string out;
  if (!w.model.SerializeToString(&out)) throw InternalError("", "", "cannot serialize the ONNX model");
  return out;
}

}  // namespace mb::onnxfmt
