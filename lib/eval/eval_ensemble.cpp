// Combining the predictions of an ir::Ensemble's members (the rules documented at ir::Combine).
#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/eval/estimator_eval.hpp"

namespace mb::eval {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The first largest entry.
size_t first_max(const double* v, size_t K) {
  size_t best = 0;
  for (size_t k = 1; k < K; ++k)
    if (v[k] > v[best]) best = k;
  return best;
}
}  // namespace

void combine_members(const ir::Model& m, const ir::Ensemble& e, const std::vector<Predictions>& in, Predictions& out) {
  const size_t rows = out.rows, n = e.members.size();
  using C = ir::Combine;
  std::vector<double> w(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += (w[i] = e.members[i].weight);
  std::vector<double> tmp(n);
  if (m.schema.target.task == ir::Task::Regression) {
    out.value.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      bool missing = false;
      for (size_t i = 0; i < n; ++i) missing |= std::isnan(tmp[i] = in[i].value[r]);
      double v = kNaN;
      if (!missing) {
        switch (e.combine) {
          case C::Sum:
          case C::WeightedSum:
          case C::Average:
          case C::WeightedAverage: {
            const bool weighted = e.combine == C::WeightedSum || e.combine == C::WeightedAverage;
            double s = 0;
            for (size_t i = 0; i < n; ++i) s += weighted ? w[i] * tmp[i] : tmp[i];
            if (e.combine == C::Average) s /= static_cast<double>(n);
            if (e.combine == C::WeightedAverage) s /= total;
            v = s;
            break;
          }
          case C::Median: v = median_of(tmp); break;
          case C::Max: v = *std::max_element(tmp.begin(), tmp.end()); break;
          case C::MajorityVote:
          case C::WeightedMajorityVote: break;  // refused by validate
        }
      }
      out.value[r] = v;
    }
    return;
  }
  const size_t K = m.schema.target.classes.size();
  out.label.resize(rows);
  out.prob.resize(rows * K);
  std::vector<double> agg(K);
  std::vector<size_t> chosen;
  for (size_t r = 0; r < rows; ++r) {
    double* p = &out.prob[r * K];
    auto set_missing = [&] {
      for (size_t k = 0; k < K; ++k) p[k] = kNaN;
      out.label[r] = -1;
    };
    if (e.combine == C::MajorityVote || e.combine == C::WeightedMajorityVote) {
      std::fill(agg.begin(), agg.end(), 0.0);
      double missing_votes = 0;
      for (size_t i = 0; i < n; ++i) {
        const int32_t l = in[i].label[r];
        if (l < 0) missing_votes += w[i];
        else agg[static_cast<size_t>(l)] += w[i];
      }
      const size_t best = first_max(agg.data(), K);
      if (missing_votes > agg[best]) {
        set_missing();
        continue;
      }
      for (size_t k = 0; k < K; ++k) p[k] = agg[k] / total;
      out.label[r] = static_cast<int32_t>(best);
      continue;
    }
    bool missing = false;
    for (size_t i = 0; i < n; ++i) missing |= in[i].label[r] < 0 || std::isnan(in[i].prob[r * K]);
    if (missing) {
      set_missing();
      continue;
    }
    if (e.combine == C::Average || e.combine == C::WeightedAverage) {
      const bool weighted = e.combine == C::WeightedAverage;
      for (size_t k = 0; k < K; ++k) {
        double s = 0;
        for (size_t i = 0; i < n; ++i) s += weighted ? w[i] * in[i].prob[r * K + k] : in[i].prob[r * K + k];
        p[k] = s / (weighted ? total : static_cast<double>(n));
      }
      out.label[r] = static_cast<int32_t>(first_max(p, K));
      continue;
    }
    // Median or Max: the winning class from the per-class statistic, then the probabilities of
    // the members that gave it (closest to the median / equal to the max), averaged.
    for (size_t k = 0; k < K; ++k) {
      for (size_t i = 0; i < n; ++i) tmp[i] = in[i].prob[r * K + k];
      agg[k] = e.combine == C::Median ? median_of(tmp) : *std::max_element(tmp.begin(), tmp.end());
    }
    const size_t best = first_max(agg.data(), K);
    chosen.clear();
    double closest = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i) {
      const double d = std::fabs(agg[best] - in[i].prob[r * K + best]);
      if (d < closest) {
        closest = d;
        chosen.clear();
      }
      if (d <= closest) chosen.push_back(i);
    }
    for (size_t k = 0; k < K; ++k) {
      double s = 0;
      for (size_t i : chosen) s += in[i].prob[r * K + k];
      p[k] = s / static_cast<double>(chosen.size());
    }
    out.label[r] = static_cast<int32_t>(best);
  }
}

}  // namespace mb::eval
