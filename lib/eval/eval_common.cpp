#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "lib/eval/estimator_eval.hpp"

namespace mb::eval {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

std::unique_ptr<EstimatorEval> make_estimator_eval(const ir::Model& m, const EvalOptions& opts) {
  if (auto* l = std::get_if<ir::Linear>(&m.estimator)) return make_linear_eval(m, *l, opts);
  if (auto* t = std::get_if<ir::TreeEnsemble>(&m.estimator))
    return t->output.arithmetic == ir::Arithmetic::Operator ? make_tree_ort_eval(m, *t, opts)
                                                            : make_tree_eval(m, *t, opts);
  if (auto* c = std::get_if<ir::Clustering>(&m.estimator)) return make_clustering_eval(m, *c, opts);
  if (auto* s = std::get_if<ir::Svm>(&m.estimator)) return make_svm_eval(m, *s, opts);
  if (auto* n = std::get_if<ir::Mlp>(&m.estimator)) return make_mlp_eval(m, *n, opts);
  if (auto* nb = std::get_if<ir::NaiveBayes>(&m.estimator)) return make_bayes_eval(m, *nb, opts);
  throw Error("", "", fmt::format("scoring {} models is not implemented yet", ir::estimator_kind(m.estimator)));
}

void finish_scores(const ir::Model& m, ir::ScoreTransform transform, size_t n, const std::vector<double>& s,
                   Predictions& out, const std::vector<double>& cutoffs) {
  const size_t rows = out.rows;
  const auto task = m.schema.target.task;
  if (task == ir::Task::Regression) {
    out.value.resize(rows);
    for (size_t r = 0; r < rows; ++r) out.value[r] = s[r * n];
    return;
  }
  const size_t K = m.schema.target.classes.size();
  out.label.resize(rows);
  out.prob.resize(rows * K);
  for (size_t r = 0; r < rows; ++r) {
    const double* sc = &s[r * n];
    double* p = &out.prob[r * K];
    bool missing = false;
    for (size_t k = 0; k < n; ++k) missing |= std::isnan(sc[k]);
    if (missing) {
      for (size_t k = 0; k < K; ++k) p[k] = kNaN;
      out.label[r] = -1;
      continue;
    }
    switch (transform) {
      case ir::ScoreTransform::Binary:
        p[0] = 1 - sc[0];
        p[1] = sc[0];
        break;
      case ir::ScoreTransform::Softmax: {
        double mx = sc[0];
        for (size_t k = 1; k < K; ++k) mx = std::max(mx, sc[k]);
        double sum = 0;
        for (size_t k = 0; k < K; ++k) sum += (p[k] = std::exp(sc[k] - mx));
        for (size_t k = 0; k < K; ++k) p[k] /= sum;
        break;
      }
      case ir::ScoreTransform::Normalize: {
        double sum = 0;
        for (size_t k = 0; k < K; ++k) sum += sc[k];
        for (size_t k = 0; k < K; ++k) p[k] = sc[k] / sum;
        break;
      }
      case ir::ScoreTransform::Cumulative:
        // diff(c(0, c, 1)) as R's predict.polr: n = K - 1 cumulative probabilities.
        p[0] = sc[0];
        for (size_t k = 1; k + 1 < K; ++k) p[k] = sc[k] - sc[k - 1];
        p[K - 1] = 1 - sc[K - 2];
        break;
      case ir::ScoreTransform::None:
        for (size_t k = 0; k < K; ++k) p[k] = sc[k];
        break;
    }
    // Binary: the second class when its probability exceeds 0.5 (a tie goes to the first).
    size_t best = 0;
    if (cutoffs.size() == K) {  // randomForest: (votes / ntree) / cutoff, in double
      double crit = p[0] / cutoffs[0];
      for (size_t k = 1; k < K; ++k)
        if (const double c = p[k] / cutoffs[k]; c > crit) {
          best = k;
          crit = c;
        }
    } else {
      for (size_t k = 1; k < K; ++k)
        if (p[k] > p[best]) best = k;
    }
    out.label[r] = static_cast<int32_t>(best);
  }
}

}  // namespace mb::eval
