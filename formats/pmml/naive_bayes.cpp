// NaiveBayesModel <-> ir::NaiveBayes.
//
// PMML (4.4): P(c | x) is proportional to count(c) (BayesOutput) times, over the non-missing
// inputs, P(x_f | c): for a categorical input its PairCounts count for (x_f, c) divided by the
// sum of that input's counts for c; for a continuous input the GaussianDistribution density
// (mean, variance).  A probability or density below the model's threshold is replaced by the
// threshold.  In IR terms: log_prior = log(count), eps = the largest double below the threshold,
// min_probability = the threshold.
//
// Writing: tables as PairCounts holding the probabilities themselves (each row sums to 1),
// Gaussian predictors as mean and variance = sd^2 (sd already floored as the IR floors it), the
// class counts in BayesOutput.  e1071 replaces only values <= eps (0 by default) by its threshold
// 0.001, PMML every value below the threshold: the file's threshold is the smallest normal double
// (nothing else is replaced) and a zero table entry or a density that underflows to 0 (beyond
// about 38 standard deviations) then scores differently: warning `pmml-naive-bayes-threshold`.
#include <fmt/format.h>

#include <cfloat>
#include <cmath>

#include "formats/pmml/families.hpp"

namespace mb::pmml {
namespace detail {

void read_naive_bayes_model(ReadContext& ctx, const pugi::xml_node& mn) {
  ir::Model& m = ctx.model;
  const auto& loc = ctx.loc;
  if (m.schema.target.task != ir::Task::Classification) ctx.fail(mn, "a naive Bayes model must classify");
  const auto& classes = m.schema.target.classes;
  const size_t K = classes.size();
  ir::NaiveBayes nb;
  const double threshold = loc.number(mn, "threshold");
  if (!(threshold >= 0)) ctx.fail(mn, "the threshold must be a non-negative number");
  nb.min_probability = threshold;
  nb.eps = threshold > 0 ? std::nextafter(threshold, 0.0) : -1.0;
  nb.min_sd = threshold;
  const auto out = child(mn, "BayesOutput");
  if (!out) ctx.fail(mn, "expected a BayesOutput");
  std::vector<double> counts(K, 0.0);
  for (auto t : children(child(out, "TargetValueCounts"), "TargetValueCount"))
    counts[target_class(ctx, t, loc.attr(t, "value"))] += loc.number(t, "count");
  for (double c : counts) nb.log_prior.push_back(std::log(c));
  const auto inputs = children(child(mn, "BayesInputs"), "BayesInput");
  if (inputs.empty()) ctx.fail(mn, "expected BayesInputs");
  const size_t F = inputs.size();
  nb.mean.assign(K * F, 0.0);
  nb.sd.assign(K * F, 1.0);
  for (size_t f = 0; f < F; ++f) {
    const auto bi = inputs[f];
    const std::string field = loc.attr(bi, "fieldName");
    if (child(bi, "DerivedField"))
      ctx.unsupported(child(bi, "DerivedField"), "unsupported: a BayesInput with its own DerivedField");
    if (auto stats = child(bi, "TargetValueStats")) {
      m.features.push_back({field, ctx.predictor_ref(field, bi)});
      std::vector<int> seen(K, 0);
      for (auto s : children(stats, "TargetValueStat")) {
        const int k = target_class(ctx, s, loc.attr(s, "value"));
        const auto g = child(s, "GaussianDistribution");
        if (!g) {
          auto d = elements(s);
          ctx.unsupported(s, fmt::format("unsupported distribution {} (only GaussianDistribution)",
                                         d.empty() ? "" : std::string(local_name(d[0]))));
        }
        const double var = loc.number(g, "variance");
        if (!(var >= 0)) ctx.fail(g, "a negative variance");
        nb.mean[k * F + f] = loc.number(g, "mean");
        nb.sd[k * F + f] = std::sqrt(var);
        seen[k] = 1;
      }
      for (size_t k = 0; k < K; ++k)
        if (!seen[k]) ctx.fail(stats, fmt::format("no distribution for category '{}'", classes[k]));
      nb.gaussian.push_back(1);
      nb.table_offset.push_back(static_cast<int32_t>(nb.table.size()));
      nb.table_levels.push_back(0);
      continue;
    }
    const int in = ctx.categorical_input(field, bi);
    if (in < 0)
      ctx.fail(bi, fmt::format("BayesInput on field '{}' has PairCounts, but the field is not a categorical input "
                               "(a continuous field needs TargetValueStats)",
                               field));
    const auto& levels = m.schema.inputs[in].levels;
    const size_t L = levels.size();
    if (L == 0) ctx.fail(bi, fmt::format("field '{}' has no values", field));
    std::vector<double> table(K * L, 0.0), sums(K, 0.0);
    for (auto pc : children(bi, "PairCounts")) {
      const int code = ctx.level_code(in, loc.attr(pc, "value"), pc);
      for (auto t : children(child(pc, "TargetValueCounts"), "TargetValueCount")) {
        const int k = target_class(ctx, t, loc.attr(t, "value"));
        const double c = loc.number(t, "count");
        if (!(c >= 0)) ctx.fail(t, "a negative count");
        table[k * L + code] += c;
        sums[k] += c;
      }
    }
    for (size_t k = 0; k < K; ++k)
      for (size_t l = 0; l < L; ++l) table[k * L + l] = sums[k] > 0 ? table[k * L + l] / sums[k] : 0.0;
    m.features.push_back({field, ir::Expr::input(in)});
    nb.gaussian.push_back(0);
    nb.table_offset.push_back(static_cast<int32_t>(nb.table.size()));
    nb.table_levels.push_back(static_cast<int32_t>(L));
    nb.table.insert(nb.table.end(), table.begin(), table.end());
  }
  m.estimator = std::move(nb);
  m.provenance.family = fmt::format("naive Bayes ({} classes, {} predictors)", K, F);
}

}  // namespace detail

std::string write_naive_bayes(const ir::Model& m, Warnings& warnings) {
  using namespace detail;
  const auto& nb = std::get<ir::NaiveBayes>(m.estimator);
  if (m.schema.target.task != ir::Task::Classification) refuse("a naive Bayes model must classify");
  const size_t F = m.features.size(), K = nb.log_prior.size();
  if (K != m.schema.target.classes.size() || nb.gaussian.size() != F) refuse("an inconsistent naive Bayes model");
  for (size_t k = 0; k < K; ++k)
    for (size_t f = 0; f < F; ++f)
      if (nb.gaussian[f] && (std::isnan(nb.sd[k * F + f]) || std::isnan(nb.mean[k * F + f])))
        refuse(
            "a naive Bayes class without a standard deviation (R's sd NA: one training row), which a "
            "GaussianDistribution cannot hold");
  if (nb.precision == ir::Precision::Float32)
    warnings.push_back(
        {"float32-arithmetic",
         "the source's float32 GaussianNB graph (onnxruntime's float32 arithmetic and feature-sum order) is written "
         "in double: probabilities differ by about 1e-6 relative"});
  for (size_t f = 0; f < F; ++f) {
    const auto& e = m.features[f].expr;
    if (!nb.gaussian[f] && !(e.op == ir::Op::Input && m.schema.inputs[e.index].is_categorical() &&
                             m.schema.inputs[e.index].levels.size() == static_cast<size_t>(nb.table_levels[f])))
      refuse(fmt::format("the table of '{}' is not indexed by the levels of a categorical input", m.features[f].name));
  }
  FamilyWriter w(m, warnings);
  const double T = nb.eps <= 0 ? DBL_MIN : std::nextafter(nb.eps, HUGE_VAL);
  bool replaced = false;  // values the IR replaces that PMML would replace otherwise
  if (nb.min_probability != T) {
    for (size_t f = 0; f < F; ++f) {
      if (nb.gaussian[f]) replaced = true;
      else
        for (int32_t i = 0; i < static_cast<int32_t>(K) * nb.table_levels[f]; ++i)
          replaced |= nb.table[nb.table_offset[f] + i] <= nb.eps;
    }
  }
  if (replaced)
    w.warn("pmml-naive-bayes-threshold",
           fmt::format("the model replaces a probability or density <= {} by {}; PMML replaces every value below its "
                       "threshold, written as {}: zero table entries and densities that underflow (beyond about 38 "
                       "standard deviations) score differently",
                       format_double(nb.eps), format_double(nb.min_probability), format_double(T)));
  auto mn = w.begin_model("NaiveBayesModel", "classification");
  mn.append_attribute("threshold") = format_double(T).c_str();
  const auto& classes = m.schema.target.classes;
  auto bis = mn.append_child("BayesInputs");
  for (size_t f = 0; f < F; ++f) {
    auto bi = bis.append_child("BayesInput");
    if (nb.gaussian[f]) {
      bi.append_attribute("fieldName") = w.feature_fields[f].c_str();
      auto stats = bi.append_child("TargetValueStats");
      for (size_t k = 0; k < K; ++k) {
        auto s = stats.append_child("TargetValueStat");
        s.append_attribute("value") = classes[k].c_str();
        double sd = nb.sd[k * F + f];
        if (sd <= nb.eps) sd = nb.min_sd;
        auto g = s.append_child("GaussianDistribution");
        g.append_attribute("mean") = format_double(nb.mean[k * F + f]).c_str();
        g.append_attribute("variance") = format_double(sd * sd).c_str();
      }
      continue;
    }
    const auto& in = m.schema.inputs[m.features[f].expr.index];
    bi.append_attribute("fieldName") = in.name.c_str();
    const int32_t L = nb.table_levels[f];
    for (int32_t l = 0; l < L; ++l) {
      auto pc = bi.append_child("PairCounts");
      pc.append_attribute("value") = in.levels[l].c_str();
      auto tvc = pc.append_child("TargetValueCounts");
      for (size_t k = 0; k < K; ++k) {
        auto t = tvc.append_child("TargetValueCount");
        t.append_attribute("value") = classes[k].c_str();
        t.append_attribute("count") =
            format_double(nb.table[nb.table_offset[f] + static_cast<int32_t>(k) * L + l]).c_str();
      }
    }
  }
  auto bo = mn.append_child("BayesOutput");
  bo.append_attribute("fieldName") = w.target_name.c_str();
  auto tvc = bo.append_child("TargetValueCounts");
  for (size_t k = 0; k < K; ++k) {
    double c = std::exp(nb.log_prior[k]);
    const double n = std::nearbyint(c);
    if (n > 0 && std::log(n) == nb.log_prior[k]) c = n;
    auto t = tvc.append_child("TargetValueCount");
    t.append_attribute("value") = classes[k].c_str();
    t.append_attribute("count") = format_double(c).c_str();
  }
  return w.text();
}

}  // namespace mb::pmml
