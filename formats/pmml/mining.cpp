// PMML MiningModel (Segmentation of TreeModels) and a top-level TreeModel -> ir::TreeEnsemble;
// a Segmentation of models of different families -> ir::Ensemble (read_ensemble).
//
// Segmentations whose every segment is a TreeModel with a True predicate map to the ensemble's
// aggregate (sum, weightedSum, average, weightedAverage, majorityVote, weightedMajorityVote, max).
// A modelChain is read when it has the shape boosting converters write: segments that sum trees
// (each publishing its sum as an OutputField) followed by one RegressionModel that applies a link
// (logit, probit, exp, softmax, simplemax, ...) to those sums.  Targets rescaling is kept exactly: a constant
// becomes a trailing one-leaf tree (the sum is computed in PMML's order) or the base of an
// average; a factor must be a power of two (scaling leaves then is exact); anything else is
// refused rather than approximated.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "formats/pmml/families.hpp"
#include "formats/pmml/tree.hpp"

namespace mb::pmml::detail {
namespace {

bool power_of_two(double a) {
  if (a == 0 || !std::isfinite(a)) return false;
  int e = 0;
  return std::fabs(std::frexp(a, &e)) == 0.5;
}

void scale_tree(ir::Tree& t, double a) {
  for (auto& v : t.values) v *= a;
}

ir::Tree constant_tree(std::vector<double> values) {
  ir::Tree t;
  t.op = {ir::SplitOp::Leaf};
  t.feature = {-1};
  t.threshold = {0};
  t.left = {-1};
  t.right = {-1};
  t.missing = {ir::MissingGo::Right};
  t.values = std::move(values);
  return t;
}

// Trees placed at output `k` of `K` (the other outputs get 0, which leaves their sums unchanged).
ir::Tree widen(ir::Tree t, int k, int K) {
  if (K == 1) return t;
  const size_t n = t.op.size();
  std::vector<double> v(n * K, 0.0);
  for (size_t i = 0; i < n; ++i) v[i * K + k] = t.values[i];
  t.values = std::move(v);
  return t;
}

void check_children(ReadContext& ctx, const pugi::xml_node& model, std::initializer_list<std::string_view> extra) {
  for (auto c : elements(model)) {
    const auto name = local_name(c);
    bool ok = name == "MiningSchema" || name == "Output" || name == "ModelStats" || name == "ModelExplanation" ||
              name == "Targets" || name == "LocalTransformations" || name == "ModelVerification";
    for (auto e : extra) ok |= name == e;
    if (!ok) ctx.unsupported(c, fmt::format("unsupported PMML element {} in {}", name, local_name(model)));
  }
}

void require_true(ReadContext& ctx, const pugi::xml_node& segment) {
  for (auto c : elements(segment)) {
    const auto name = local_name(c);
    if (name == "True") return;
    if (name == "SimplePredicate" || name == "SimpleSetPredicate" || name == "CompoundPredicate" || name == "False")
      ctx.unsupported(c, fmt::format("unsupported Segment predicate {} (only True segments are supported)", name));
  }
  ctx.fail(segment, "expected a predicate in Segment");
}

pugi::xml_node segment_model(ReadContext& ctx, const pugi::xml_node& segment) {
  for (auto c : elements(segment)) {
    const auto name = local_name(c);
    if (name.size() > 5 && name.substr(name.size() - 5) == "Model") return c;
    if (name == "NeuralNetwork" || name == "Scorecard") return c;
  }
  ctx.fail(segment, "expected a model element in Segment");
}

bool all_tree_segments(const pugi::xml_node& seg) {
  for (auto s : children(seg, "Segment"))
    for (auto c : elements(s)) {
      const auto name = local_name(c);
      if ((name.size() > 5 && name.substr(name.size() - 5) == "Model") || name == "NeuralNetwork" ||
          name == "Scorecard")
        if (name != "TreeModel") return false;
    }
  return true;
}

// A segment's TreeModel: its local transformations join the scope, then the tree.
ir::Tree segment_tree(ReadContext& ctx, const pugi::xml_node& tm, const TreeShape& shape) {
  if (auto lt = child(tm, "LocalTransformations")) ctx.declare_derived(lt, true);
  return read_tree(ctx, tm, shape);
}

// Trees summed by one segment of a model chain, then constants added in order.
struct SumPart {
  std::vector<ir::Tree> trees;
  std::vector<double> weights;
  std::vector<double> trailing;
};

SumPart read_sum_part(ReadContext& ctx, const pugi::xml_node& model) {
  SumPart part;
  const TreeShape reg;
  if (std::string(ctx.loc.attr(model, "functionName")) != "regression")
    ctx.fail(model, "expected a regression model summing trees in the model chain");
  if (is(model, "TreeModel")) {
    part.trees.push_back(segment_tree(ctx, model, reg));
    return part;
  }
  if (!is(model, "MiningModel"))
    ctx.unsupported(model, fmt::format("unsupported PMML element {} in a model chain", local_name(model)));
  if (std::string(model.attribute("mathContext").value()) == "float")
    ctx.unsupported(model, "unsupported mathContext 'float' (float arithmetic of tree scores)");
  check_children(ctx, model, {"Segmentation"});
  if (auto lt = child(model, "LocalTransformations")) ctx.declare_derived(lt, true);
  auto seg = child(model, "Segmentation");
  if (!seg) ctx.fail(model, "expected a Segmentation");
  const std::string method = ctx.loc.attr(seg, "multipleModelMethod");
  if (method != "sum" && method != "weightedSum")
    ctx.unsupported(seg,
                    fmt::format("unsupported multipleModelMethod '{}' inside a model chain (expected sum)", method));
  bool weighted = false;
  for (auto s : children(seg, "Segment")) {
    require_true(ctx, s);
    auto m = segment_model(ctx, s);
    if (!is(m, "TreeModel"))
      ctx.unsupported(m, fmt::format("unsupported PMML element {} in a sum of trees", local_name(m)));
    part.trees.push_back(segment_tree(ctx, m, reg));
    const double w = method == "weightedSum" ? ctx.loc.number_or(s, "weight", 1.0) : 1.0;
    weighted |= w != 1.0;
    part.weights.push_back(w);
  }
  if (!weighted) part.weights.clear();
  double factor = 1, constant = 0;
  target_rescale(ctx, model, factor, constant);
  if (factor != 1) {
    if (!power_of_two(factor))
      ctx.unsupported(child(model, "Targets"), "unsupported Target rescaleFactor of a sum (not a power of two)");
    for (auto& t : part.trees) scale_tree(t, factor);
  }
  if (constant != 0) part.trailing.push_back(constant);
  return part;
}

// The name a segment publishes its prediction under.
std::string published_name(ReadContext& ctx, const pugi::xml_node& model) {
  for (auto of : children(child(model, "Output"), "OutputField")) {
    const std::string feature = of.attribute("feature").value();
    if (feature.empty() || feature == "predictedValue") return ctx.loc.attr(of, "name");
  }
  ctx.fail(model, "expected an OutputField with feature 'predictedValue' in a model chain segment");
}

void read_model_chain(ReadContext& ctx, const pugi::xml_node& seg, ir::TreeEnsemble& te) {
  auto& m = ctx.model;
  const auto segs = children(seg, "Segment");
  if (segs.size() < 2) ctx.fail(seg, "expected at least two segments in a model chain");
  std::map<std::string, SumPart> parts;
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    require_true(ctx, segs[i]);
    auto model = segment_model(ctx, segs[i]);
    const std::string name = published_name(ctx, model);
    parts[name] = read_sum_part(ctx, model);
  }
  require_true(ctx, segs.back());
  auto last = segment_model(ctx, segs.back());
  if (!is(last, "RegressionModel"))
    ctx.unsupported(
        last,
        fmt::format(
            "unsupported model chain: the last segment is {}, not a RegressionModel applying a link to sums of trees",
            local_name(last)));
  check_children(ctx, last, {"RegressionTable"});
  const std::string norm = last.attribute("normalizationMethod").value();
  const bool cls = m.schema.target.task == ir::Task::Classification;
  const std::string fn = ctx.loc.attr(last, "functionName");
  if ((fn == "classification") != cls) ctx.fail(last, "the last segment's functionName differs from the MiningModel's");
  struct Row {
    std::string category;
    double intercept = 0;
    std::string field;
    double coef = 0;
    pugi::xml_node at;
  };
  std::vector<Row> rows;
  std::set<std::string> used;
  for (auto t : children(last, "RegressionTable")) {
    Row r;
    r.at = t;
    r.intercept = ctx.loc.number_or(t, "intercept", 0.0);
    r.category = t.attribute("targetCategory").value();
    for (auto p : elements(t)) {
      if (!is(p, "NumericPredictor") || ctx.loc.number_or(p, "exponent", 1.0) != 1.0)
        ctx.unsupported(
            p,
            "unsupported predictor in the model chain's RegressionModel (expected NumericPredictor of a segment's "
            "sum)");
      if (!r.field.empty()) ctx.unsupported(p, "unsupported: a RegressionTable combining several sums");
      r.field = ctx.loc.attr(p, "name");
      r.coef = ctx.loc.number(p, "coefficient");
      if (!parts.count(r.field)) ctx.fail(p, fmt::format("'{}' is not the output of an earlier segment", r.field));
      if (!used.insert(r.field).second) ctx.fail(p, fmt::format("the sum '{}' is used twice", r.field));
    }
    rows.push_back(r);
  }
  if (used.size() != parts.size())
    ctx.unsupported(last, "unsupported model chain: a segment's output is not used by the last model");
  // Adds a * (sum part) + b at output k.
  auto add = [&](const Row& r, int k, int K, double sign) {
    const double a = sign * r.coef;
    if (!r.field.empty()) {
      if (a != 1 && !power_of_two(a))
        ctx.unsupported(
            r.at, fmt::format("unsupported coefficient {} of a sum of trees (only powers of two keep the sum exact)",
                              r.coef));
      SumPart& p = parts[r.field];
      for (size_t i = 0; i < p.trees.size(); ++i) {
        ir::Tree t = p.trees[i];
        if (a != 1) scale_tree(t, a);
        te.trees.push_back(widen(std::move(t), k, K));
        te.tree_weights.push_back(p.weights.empty() ? 1.0 : p.weights[i]);
      }
      for (double c : p.trailing) {
        std::vector<double> v(K, 0.0);
        v[k] = a * c;
        te.trees.push_back(constant_tree(std::move(v)));
        te.tree_weights.push_back(1.0);
      }
    }
    if (r.intercept != 0) {
      std::vector<double> v(K, 0.0);
      v[k] = sign * r.intercept;
      te.trees.push_back(constant_tree(std::move(v)));
      te.tree_weights.push_back(1.0);
    }
  };
  const auto& classes = m.schema.target.classes;
  if (!cls) {
    if (rows.size() != 1) ctx.fail(last, "expected one RegressionTable");
    te.n_outputs = 1;
    te.link = link_from_normalization(ctx, last, norm);
    add(rows[0], 0, 1, 1.0);
  } else if (norm == "softmax" || norm == "simplemax") {
    // simplemax: each class's sum over the sum of them all.
    const int K = static_cast<int>(classes.size());
    te.n_outputs = K;
    te.transform = norm == "softmax" ? ir::ScoreTransform::Softmax : ir::ScoreTransform::Normalize;
    std::vector<bool> seen(K, false);
    for (const auto& r : rows) {
      int k = -1;
      for (int j = 0; j < K; ++j)
        if (classes[j] == r.category) k = j;
      if (k < 0) ctx.fail(r.at, fmt::format("target category '{}' is not a value of the target field", r.category));
      if (seen[k]) ctx.fail(r.at, fmt::format("target category '{}' has two tables", r.category));
      seen[k] = true;
      add(r, k, K, 1.0);
    }
  } else {
    if (classes.size() != 2 || rows.size() != 2)
      ctx.unsupported(
          last, fmt::format("unsupported normalizationMethod '{}' with {} target categories", norm, classes.size()));
    const Row* scored = !rows[0].field.empty() || rows[0].intercept != 0 ? &rows[0] : &rows[1];
    const Row* other = scored == &rows[0] ? &rows[1] : &rows[0];
    if (!other->field.empty() || other->intercept != 0)
      ctx.unsupported(other->at, "unsupported: both tables of a binary model chain have terms");
    te.link = link_from_normalization(ctx, last, norm);
    double sign = 1;
    if (scored->category == classes[0]) {
      // The table scores classes[0]: P(classes[1]) = 1 - linkinv(eta) = linkinv(-eta) for symmetric links.
      if (te.link != ir::Link::Logit && te.link != ir::Link::Probit && te.link != ir::Link::Cauchit)
        ctx.unsupported(scored->at,
                        fmt::format("unsupported: normalizationMethod '{}' scoring the first category", norm));
      sign = -1;
    } else if (scored->category != classes[1]) {
      ctx.fail(scored->at, fmt::format("target category '{}' is not a value of the target field", scored->category));
    }
    te.n_outputs = 1;
    te.transform = ir::ScoreTransform::Binary;
    add(*scored, 0, 1, sign);
  }
  bool weighted = false;
  for (double w : te.tree_weights) weighted |= w != 1.0;
  if (!weighted) te.tree_weights.clear();
  te.aggregate = ir::Aggregate::Sum;
  m.provenance.family = "boosted trees (PMML model chain)";
}

// Segments that are all linear regressions (RegressionModel, GeneralRegressionModel with the
// identity link) combined by sum, weightedSum, average or weightedAverage: KNIME's regression
// ensembles.  A weighted sum or average of linear models is the linear model with the same sum or
// average of their coefficients; the merged model sums in another order than PMML (segment
// predictions first), which moves results by rounding only: warning `pmml-linear-segments-merged`.
bool linear_segments(const pugi::xml_node& seg) {
  const auto segs = children(seg, "Segment");
  if (segs.empty()) return false;
  for (auto s : segs) {
    bool linear = false;
    for (auto c : elements(s)) linear |= is(c, "RegressionModel") || is(c, "GeneralRegressionModel");
    if (!linear) return false;
  }
  return true;
}

void read_linear_segments(ReadContext& ctx, const pugi::xml_node& mm, const pugi::xml_node& seg,
                          const std::string& method, double factor, double constant) {
  auto& m = ctx.model;
  const bool weighted = method == "weightedSum" || method == "weightedAverage";
  const bool average = method == "average" || method == "weightedAverage";
  struct Part {
    ir::Linear lin;
    double weight;
  };
  std::vector<Part> parts;
  double total = 0;
  for (auto s : children(seg, "Segment")) {
    require_true(ctx, s);
    auto model = segment_model(ctx, s);
    if (std::string(ctx.loc.attr(model, "functionName")) != "regression")
      ctx.fail(model, "expected functionName 'regression' in a segment of a regression ensemble");
    if (auto lt = child(model, "LocalTransformations")) ctx.declare_derived(lt, true);
    if (is(model, "RegressionModel")) read_regression_model(ctx, model);
    else read_general_regression_model(ctx, model);
    auto lin = std::get<ir::Linear>(m.estimator);
    if (lin.n_targets != 1 || lin.link != ir::Link::Identity || lin.transform != ir::ScoreTransform::None ||
        !lin.output.plain() || lin.reference_class)
      ctx.unsupported(model,
                      "unsupported segment in a regression ensemble (only linear regressions with the identity link)");
    if (lin.offset_feature >= 0) ctx.unsupported(model, "unsupported: an offset in a segment of a regression ensemble");
    double f = 1, c = 0;
    target_rescale(ctx, model, f, c);
    for (auto& v : lin.coefficients) v *= f;
    lin.intercepts[0] = lin.intercepts[0] * f + c;
    const double w = weighted ? ctx.loc.number_or(s, "weight", 1.0) : 1.0;
    if (!std::isfinite(w) || (average && !(w > 0))) ctx.fail(s, "expected a finite positive weight");
    total += w;
    parts.push_back({std::move(lin), w});
  }
  ir::Linear out;
  const size_t F = m.features.size();
  out.coefficients.assign(F, 0.0);
  out.intercepts = {0.0};
  const double divisor = average ? total : 1.0;
  for (const auto& p : parts) {
    for (size_t f = 0; f < p.lin.coefficients.size() && f < F; ++f)
      out.coefficients[f] += p.weight * p.lin.coefficients[f] / divisor;
    out.intercepts[0] += p.weight * p.lin.intercepts[0] / divisor;
  }
  for (auto& v : out.coefficients) v *= factor;
  out.intercepts[0] = out.intercepts[0] * factor + constant;
  m.estimator = std::move(out);
  m.provenance.family = fmt::format("linear regression ({} of {} linear segments, merged)", method, parts.size());
  ctx.warn("pmml-linear-segments-merged",
           fmt::format("the {} of {} linear regressions is read as one linear regression with the {} of their "
                       "coefficients: predictions may differ from the segments' own order of operations by rounding",
                       method, parts.size(), average ? "average" : "sum"));
  (void)mm;
}

// One Segment of a heterogeneous ensemble: its model read as a sub-model of its own (its own
// features and estimator), over the ensemble's inputs and derived fields.
ir::EnsembleMember read_member(ReadContext& ctx, const pugi::xml_node& mm, const pugi::xml_node& model) {
  auto& m = ctx.model;
  const std::string name(local_name(model));
  if (std::string(ctx.loc.attr(model, "functionName")) != std::string(ctx.loc.attr(mm, "functionName")))
    ctx.unsupported(model, fmt::format("unsupported: a {} segment with functionName '{}' in a {} MiningModel", name,
                                       model.attribute("functionName").value(), mm.attribute("functionName").value()));
  if (std::string(model.attribute("isScorable").value()) == "false")
    ctx.fail(model, "the model is marked isScorable=\"false\"");
  // A segment's MiningSchema may not treat its inputs otherwise than the MiningModel's does.
  for (auto mf : children(child(model, "MiningSchema"), "MiningField")) {
    for (const char* a : {"missingValueReplacement", "lowValue", "highValue"}) {
      if (!mf.attribute(a)) continue;
      const std::string at = a;
      if ((at == "lowValue" || at == "highValue") && !mf.attribute("outliers")) continue;
      ctx.unsupported(mf, fmt::format("unsupported {} on a segment's MiningField (only the MiningModel's)", a));
    }
    const std::string outliers = mf.attribute("outliers").value();
    if (!outliers.empty() && outliers != "asIs")
      ctx.unsupported(mf, fmt::format("unsupported outliers treatment '{}' on a MiningField", outliers));
    const std::string invalid = mf.attribute("invalidValueTreatment").value();
    if (invalid == "asMissing" && m.unseen != ir::UnseenLevel::Missing)
      ctx.unsupported(mf, "unsupported invalidValueTreatment 'asMissing' on a segment's MiningField only");
  }
  if (name == "RegressionModel" || name == "GeneralRegressionModel") {
    for (auto t : children(child(model, "Targets"), "Target"))
      if (ctx.loc.number_or(t, "rescaleFactor", 1.0) != 1.0 || ctx.loc.number_or(t, "rescaleConstant", 0.0) != 0.0 ||
          t.attribute("castInteger") || t.attribute("min") || t.attribute("max"))
        ctx.unsupported(t, "unsupported Target rescaling, clamping or integer cast in a segment");
  }
  std::vector<ir::Feature> outer = std::move(m.features);
  m.features.clear();
  if (auto lt = child(model, "LocalTransformations")) ctx.declare_derived(lt, true);
  if (name == "TreeModel") read_tree_model(ctx, model);
  else if (name == "MiningModel") read_mining_model(ctx, model);
  else if (name == "RegressionModel") read_regression_model(ctx, model);
  else if (name == "GeneralRegressionModel") read_general_regression_model(ctx, model);
  else if (name == "SupportVectorMachineModel") read_svm_model(ctx, model);
  else if (name == "NeuralNetwork") read_neural_network(ctx, model);
  else if (name == "NaiveBayesModel") read_naive_bayes_model(ctx, model);
  else if (name == "RuleSetModel") read_rule_set_model(ctx, model);
  else if (name == "Scorecard") read_scorecard(ctx, model);
  else ctx.unsupported(model, fmt::format("unsupported PMML element {} in a Segment", name));
  if (std::holds_alternative<ir::Ensemble>(m.estimator))
    ctx.unsupported(model, "unsupported: a MiningModel of models of different families inside a Segment");
  // The segment's local fields are its own: out of scope for the next segments (which may use
  // the same names).
  for (auto df : children(child(model, "LocalTransformations"), "DerivedField"))
    ctx.fields.erase(df.attribute("name").value());
  ir::EnsembleMember member;
  member.features = std::move(m.features);
  member.estimator = std::move(m.estimator);
  m.features = std::move(outer);
  return member;
}

void read_ensemble(ReadContext& ctx, const pugi::xml_node& mm, const pugi::xml_node& seg, const std::string& method) {
  auto& m = ctx.model;
  ir::Ensemble e;
  if (method == "majorityVote") e.combine = ir::Combine::MajorityVote;
  else if (method == "weightedMajorityVote") e.combine = ir::Combine::WeightedMajorityVote;
  else if (method == "average") e.combine = ir::Combine::Average;
  else if (method == "weightedAverage") e.combine = ir::Combine::WeightedAverage;
  else if (method == "sum") e.combine = ir::Combine::Sum;
  else if (method == "weightedSum") e.combine = ir::Combine::WeightedSum;
  else if (method == "median") e.combine = ir::Combine::Median;
  else if (method == "max") e.combine = ir::Combine::Max;
  else
    ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}' for models of different families", method));
  const bool cls = m.schema.target.task == ir::Task::Classification;
  if (cls && (e.combine == ir::Combine::Sum || e.combine == ir::Combine::WeightedSum))
    ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}' for classification", method));
  if (!cls && (e.combine == ir::Combine::MajorityVote || e.combine == ir::Combine::WeightedMajorityVote))
    ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}' for regression", method));
  const std::string treatment = seg.attribute("missingPredictionTreatment").value();
  if (!treatment.empty() && treatment != "continue")
    ctx.unsupported(seg, fmt::format("unsupported missingPredictionTreatment '{}'", treatment));
  const bool weighted = method.rfind("weighted", 0) == 0;
  std::vector<std::string> families;
  for (auto s : children(seg, "Segment")) {
    require_true(ctx, s);
    if (child(s, "VariableWeight")) ctx.unsupported(child(s, "VariableWeight"), "unsupported VariableWeight");
    auto model = segment_model(ctx, s);
    ir::EnsembleMember member = read_member(ctx, mm, model);
    member.weight = weighted ? ctx.loc.number_or(s, "weight", 1.0) : 1.0;
    if (!(member.weight >= 0) || !std::isfinite(member.weight)) ctx.fail(s, "expected a finite non-negative weight");
    families.push_back(m.provenance.family);
    e.members.push_back(std::move(member));
  }
  if (e.members.empty()) ctx.fail(seg, "expected at least one Segment");
  double factor = 1, constant = 0;
  target_rescale(ctx, mm, factor, constant);
  if (factor != 1 || constant != 0)
    ctx.unsupported(child(mm, "Targets"), "unsupported Target rescaling of an ensemble of different families");
  m.estimator = std::move(e);
  std::string list;
  for (const auto& f : families) list += (list.empty() ? "" : ", ") + f;
  m.provenance.family = fmt::format("ensemble ({} of {})", method, list);
}

}  // namespace

void read_tree_model(ReadContext& ctx, const pugi::xml_node& tm) {
  TreeShape shape = target_shape(ctx, tm);
  shape.node_labels = true;
  ir::TreeEnsemble te;
  te.n_outputs = shape.n_outputs();
  const std::string strategy = tm.attribute("missingValueStrategy").value();
  if (strategy == "weightedConfidence" || strategy == "aggregateNodes") {
    te.trees = read_expanded_tree(ctx, tm, shape);
    // aggregateNodes: probabilities from the summed record counts.
    if (strategy == "aggregateNodes") te.transform = ir::ScoreTransform::Normalize;
  } else {
    te.trees.push_back(read_tree(ctx, tm, shape));
  }
  ctx.model.estimator = std::move(te);
  ctx.model.provenance.family = shape.classification ? "classification tree" : "regression tree";
}

void read_mining_model(ReadContext& ctx, const pugi::xml_node& mm) {
  auto& m = ctx.model;
  check_children(ctx, mm, {"Segmentation"});
  if (m.schema.target.task == ir::Task::Clustering) {
    // KNIME's k-means "ensemble": a vote of one ClusteringModel, which is that model.
    auto seg = child(mm, "Segmentation");
    if (!seg) ctx.fail(mm, "expected a Segmentation");
    const std::string method = ctx.loc.attr(seg, "multipleModelMethod");
    const auto segs = children(seg, "Segment");
    if (segs.size() != 1)
      ctx.unsupported(seg, fmt::format("unsupported clustering segmentation of {} segments (only one ClusteringModel)",
                                       segs.size()));
    if (method != "majorityVote" && method != "weightedMajorityVote" && method != "selectFirst" &&
        method != "selectAll" && method != "modelChain")
      ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}' for clustering", method));
    require_true(ctx, segs[0]);
    auto model = segment_model(ctx, segs[0]);
    if (!is(model, "ClusteringModel"))
      ctx.unsupported(model,
                      fmt::format("unsupported PMML element {} in a clustering segmentation (expected ClusteringModel)",
                                  local_name(model)));
    if (std::string(ctx.loc.attr(model, "functionName")) != "clustering")
      ctx.fail(model, "expected functionName 'clustering' in the segment's ClusteringModel");
    if (auto lt = child(model, "LocalTransformations")) ctx.declare_derived(lt, true);
    read_clustering_model(ctx, model);
    m.provenance.family += " (the one segment of a MiningModel)";
    return;
  }
  if (std::string(mm.attribute("mathContext").value()) == "float")
    ctx.unsupported(mm, "unsupported mathContext 'float' (float arithmetic of tree scores)");
  auto seg = child(mm, "Segmentation");
  if (!seg) ctx.fail(mm, "expected a Segmentation");
  const std::string method = ctx.loc.attr(seg, "multipleModelMethod");
  const TreeShape shape = target_shape(ctx, mm);
  ir::TreeEnsemble te;
  te.n_outputs = shape.n_outputs();
  double factor = 1, constant = 0;
  target_rescale(ctx, mm, factor, constant);
  if (method == "modelChain") {
    if (factor != 1 || constant != 0)
      ctx.unsupported(child(mm, "Targets"), "unsupported Target rescaling of a model chain");
    read_model_chain(ctx, seg, te);
    m.estimator = std::move(te);
    return;
  }
  const bool cls = shape.classification;
  if (!cls && (method == "sum" || method == "weightedSum" || method == "average" || method == "weightedAverage") &&
      linear_segments(seg)) {
    read_linear_segments(ctx, mm, seg, method, factor, constant);
    return;
  }
  if (!all_tree_segments(seg) && method != "selectFirst" && method != "selectAll") {
    read_ensemble(ctx, mm, seg, method);
    return;
  }
  if (method == "sum" || method == "weightedSum" || method == "max") {
    if (cls) ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}' for classification", method));
    te.aggregate = method == "max" ? ir::Aggregate::Max : ir::Aggregate::Sum;
  } else if (method == "average" || method == "weightedAverage") {
    te.aggregate = ir::Aggregate::Average;
  } else if (method == "majorityVote" || method == "weightedMajorityVote") {
    if (!cls) ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}' for regression", method));
    te.aggregate = ir::Aggregate::Vote;
    te.transform = ir::ScoreTransform::Normalize;  // probabilities are the (weighted) vote shares
  } else {
    ctx.unsupported(seg, fmt::format("unsupported multipleModelMethod '{}'", method));
  }
  const bool weighted_method = method.rfind("weighted", 0) == 0;
  TreeShape segment_shape = shape;
  segment_shape.votes = te.aggregate == ir::Aggregate::Vote;
  bool weighted = false;
  for (auto s : children(seg, "Segment")) {
    require_true(ctx, s);
    auto model = segment_model(ctx, s);
    if (!is(model, "TreeModel"))
      ctx.unsupported(model, fmt::format("unsupported PMML element {} in a '{}' segmentation (only TreeModel segments)",
                                         local_name(model), method));
    te.trees.push_back(segment_tree(ctx, model, segment_shape));
    const double w = weighted_method ? ctx.loc.number_or(s, "weight", 1.0) : 1.0;
    if (!(w >= 0) || !std::isfinite(w)) ctx.fail(s, "expected a finite non-negative weight");
    weighted |= w != 1.0;
    te.tree_weights.push_back(w);
  }
  if (te.trees.empty()) ctx.fail(seg, "expected at least one Segment");
  if (!weighted) te.tree_weights.clear();
  if (factor != 1 || constant != 0) {
    if (cls) ctx.unsupported(child(mm, "Targets"), "unsupported Target rescaling of a classification ensemble");
    if (factor != 1) {
      if (!power_of_two(factor) || (te.aggregate == ir::Aggregate::Max && factor < 0))
        ctx.unsupported(child(mm, "Targets"),
                        "unsupported Target rescaleFactor of an ensemble (not a positive power of two)");
      for (auto& t : te.trees) scale_tree(t, factor);
    }
    if (constant != 0) {
      if (te.aggregate == ir::Aggregate::Sum) {  // after the sum, in PMML's order
        te.trees.push_back(constant_tree({constant}));
        if (!te.tree_weights.empty()) te.tree_weights.push_back(1.0);
      } else {
        te.base = {constant};
      }
    }
  }
  m.estimator = std::move(te);
  m.provenance.family = fmt::format("tree ensemble (PMML MiningModel, {})", method);
}

}  // namespace mb::pmml::detail
