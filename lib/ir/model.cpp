#include "lib/ir/model.hpp"

namespace mb::ir {

const char* op_name(Op op) {
  switch (op) {
    case Op::Const: return "const";
    case Op::Input: return "input";
    case Op::Derived: return "derived";
    case Op::LevelIs: return "level_is";
    case Op::LevelMap: return "level_map";
    case Op::Add: return "add";
    case Op::Sub: return "sub";
    case Op::Mul: return "mul";
    case Op::Div: return "div";
    case Op::Pow: return "pow";
    case Op::Neg: return "neg";
    case Op::Min: return "min";
    case Op::Max: return "max";
    case Op::Log: return "log";
    case Op::Log10: return "log10";
    case Op::Exp: return "exp";
    case Op::Sqrt: return "sqrt";
    case Op::Abs: return "abs";
    case Op::Floor: return "floor";
    case Op::Ceil: return "ceil";
    case Op::Round: return "round";
    case Op::Sin: return "sin";
    case Op::Cos: return "cos";
    case Op::Tan: return "tan";
    case Op::Atan: return "atan";
    case Op::Tanh: return "tanh";
    case Op::Float32: return "float32";
    case Op::Erf: return "erf";
    case Op::Logistic: return "logistic";
    case Op::Lt: return "lt";
    case Op::Le: return "le";
    case Op::Gt: return "gt";
    case Op::Ge: return "ge";
    case Op::Eq: return "eq";
    case Op::Ne: return "ne";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Not: return "not";
    case Op::IsMissing: return "is_missing";
    case Op::IfElse: return "if_else";
    case Op::Coalesce: return "coalesce";
    case Op::Discretize: return "discretize";
  }
  return "?";
}

const char* estimator_kind(const Estimator& e) {
  switch (e.index()) {
    case 0: return "linear";
    case 1: return "tree_ensemble";
    case 2: return "svm";
    case 3: return "mlp";
    case 4: return "naive_bayes";
    case 5: return "clustering";
    case 6: return "ensemble";
  }
  return "?";
}

const char* combine_name(Combine c) {
  switch (c) {
    case Combine::MajorityVote: return "majorityVote";
    case Combine::WeightedMajorityVote: return "weightedMajorityVote";
    case Combine::Average: return "average";
    case Combine::WeightedAverage: return "weightedAverage";
    case Combine::Sum: return "sum";
    case Combine::WeightedSum: return "weightedSum";
    case Combine::Median: return "median";
    case Combine::Max: return "max";
  }
  return "?";
}

Model member_model(const Model& m, size_t i) {
  const auto& e = std::get<Ensemble>(m.estimator);
  Model sub;
  sub.schema = m.schema;
  sub.derived = m.derived;
  sub.features = e.members.at(i).features;
  sub.estimator = e.members.at(i).estimator;
  sub.unseen = m.unseen;
  sub.provenance.format = m.provenance.format;
  sub.provenance.format_version = m.provenance.format_version;
  sub.provenance.producer = m.provenance.producer;
  return sub;
}

}  // namespace mb::ir
