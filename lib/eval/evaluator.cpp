#include "lib/eval/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <limits>

#include "lib/eval/estimator_eval.hpp"
#include "lib/eval/expr_program.hpp"
#include "lib/eval/tree_walk.hpp"
#include "lib/util/errors.hpp"

namespace mb::eval {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

struct Evaluator::Impl {
  const ir::Model& model;
  EvalOptions opts;
  std::vector<ExprProgram> derived_programs;     // one per derived field, in order
  std::unique_ptr<ExprProgram> feature_program;  // the features that are more than an input's column
  // Per feature: the input (>= 0) or derived field (< -1: -2 - j) whose column it is, read in
  // place; -1 for a feature computed by feature_program, whose result program_result[f] holds.
  std::vector<int> column_of_feature;
  std::vector<size_t> program_result;
  std::vector<std::vector<double>> fixed_inputs;  // inputs after replacement / float cast
  std::vector<const double*> input_ptrs, derived_ptrs;
  FeatureColumns features;
  std::unique_ptr<EstimatorEval> estimator;
  // An ir::Ensemble: each member as a model of its own, scored by its own evaluator.
  const ir::Ensemble* ensemble = nullptr;
  std::vector<std::unique_ptr<ir::Model>> member_models;
  std::vector<std::unique_ptr<Evaluator>> member_evals;
  std::vector<Predictions> member_out;

  Impl(const ir::Model& m, EvalOptions o) : model(m), opts(o) {
    ensemble = std::get_if<ir::Ensemble>(&m.estimator);
    if (ensemble) {
      EvalOptions mo = o;
      mo.want_link = false;
      for (size_t i = 0; i < ensemble->members.size(); ++i) {
        member_models.push_back(std::make_unique<ir::Model>(ir::member_model(m, i)));
        member_evals.push_back(std::make_unique<Evaluator>(*member_models.back(), mo));
      }
      member_out.resize(ensemble->members.size());
      return;
    }
    for (const auto& d : m.derived) derived_programs.emplace_back(std::vector<const ir::Expr*>{&d.expr});
    std::vector<const ir::Expr*> fx;
    for (const auto& f : m.features) {
      int col = -1;
      if (f.expr.op == ir::Op::Input) col = f.expr.index;
      else if (f.expr.op == ir::Op::Derived) col = -2 - f.expr.index;
      column_of_feature.push_back(col);
      program_result.push_back(fx.size());
      if (col == -1) fx.push_back(&f.expr);
    }
    feature_program = std::make_unique<ExprProgram>(fx);
    fixed_inputs.resize(m.schema.inputs.size());
    estimator = make_estimator_eval(m, opts);
  }

  // An input needs a private copy when it is replaced when missing or narrowed to float32.
  static bool needs_fix(const ir::InputField& in) {
    return in.missing_replacement || in.missing_replacement_label || in.cast == ir::Precision::Float32;
  }

  void prepare_inputs(const Batch& in) {
    const auto& inputs = model.schema.inputs;
    if (in.columns.size() != inputs.size())
      throw InternalError(
          "", "", fmt::format("internal: batch has {} columns for {} model inputs", in.columns.size(), inputs.size()));
    input_ptrs.resize(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto& field = inputs[i];
      if (!needs_fix(field)) {
        input_ptrs[i] = in.columns[i].data();
        continue;
      }
      double replacement = kNaN;
      if (field.missing_replacement) replacement = *field.missing_replacement;
      if (field.missing_replacement_label) {
        for (size_t k = 0; k < field.levels.size(); ++k)
          if (field.levels[k] == *field.missing_replacement_label) replacement = static_cast<double>(k);
      }
      auto& col = fixed_inputs[i];
      col.resize(in.rows);
      const double* src = in.columns[i].data();
      const bool to_float = field.cast == ir::Precision::Float32 && !field.is_categorical();
      for (size_t r = 0; r < in.rows; ++r) {
        double v = std::isnan(src[r]) ? replacement : src[r];
        if (to_float) v = static_cast<double>(static_cast<float>(v));
        col[r] = v;
      }
      input_ptrs[i] = col.data();
    }
  }

  void score(const Batch& in, Predictions& out) {
    if (ensemble) {
      for (size_t i = 0; i < member_evals.size(); ++i) member_evals[i]->score(in, member_out[i]);
      out.rows = in.rows;
      combine_members(model, *ensemble, member_out, out);
      return;
    }
    prepare_inputs(in);
    derived_ptrs.resize(derived_programs.size());
    for (size_t j = 0; j < derived_programs.size(); ++j) {
      derived_programs[j].run(in.rows, input_ptrs, derived_ptrs);
      derived_ptrs[j] = derived_programs[j].result(0).data();
    }
    feature_program->run(in.rows, input_ptrs, derived_ptrs);
    features.rows = in.rows;
    features.first_row = in.first_row;
    features.columns.resize(model.features.size());
    for (size_t f = 0; f < model.features.size(); ++f) {
      const int col = column_of_feature[f];
      features.columns[f] = col >= 0   ? input_ptrs[static_cast<size_t>(col)]
                            : col < -1 ? derived_ptrs[static_cast<size_t>(-2 - col)]
                                       : feature_program->result(program_result[f]).data();
    }
    out.rows = in.rows;
    estimator->score(features, out);
  }
};

Evaluator::Evaluator(const ir::Model& model, EvalOptions opts) : impl_(std::make_unique<Impl>(model, opts)) {}
Evaluator::~Evaluator() = default;
void Evaluator::score(const Batch& in, Predictions& out) { impl_->score(in, out); }
size_t Evaluator::batch_rows() const {
  if (impl_->ensemble) {
    size_t rows = 8192;
    for (const auto& e : impl_->member_evals) rows = std::max(rows, e->batch_rows());
    return rows;
  }
  return impl_->estimator->batch_rows();
}

bool release_compiled(ir::Model& model) {
  auto* trees = std::get_if<ir::TreeEnsemble>(&model.estimator);
  if (!trees || !TreeWalker::release_nodes(*trees)) return false;
#ifdef __GLIBC__
  // The nodes were many small blocks among the values that stay: give their pages back.
  malloc_trim(0);
#endif
  return true;
}

}  // namespace mb::eval
