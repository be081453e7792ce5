#include "lib/eval/expr_program.hpp"

#include <cmath>
#include <limits>

namespace mb::eval {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline double b2d(bool b) { return b ? 1.0 : 0.0; }
}  // namespace

ExprProgram::ExprProgram(const std::vector<const ir::Expr*>& exprs) {
  for (const ir::Expr* e : exprs) roots_.push_back(compile(*e));
  slots_.resize(nodes_.size());
}

int ExprProgram::compile(const ir::Expr& e) {
  Node n{e.op, e.value, e.index, e.level, &e, {}};
  for (const auto& a : e.args) n.args.push_back(compile(a));
  nodes_.push_back(std::move(n));
  return static_cast<int>(nodes_.size() - 1);
}

void ExprProgram::run(size_t rows, const std::vector<const double*>& inputs,
                      const std::vector<const double*>& derived) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    slots_[i].resize(rows);
    eval_node(nodes_[i], static_cast<int>(i), rows, inputs, derived);
  }
}

void ExprProgram::eval_node(const Node& n, int slot, size_t rows, const std::vector<const double*>& inputs,
                            const std::vector<const double*>& derived) {
  double* out = slots_[slot].data();
  auto arg = [&](size_t k) { return slots_[n.args[k]].data(); };
  using ir::Op;
  auto unary = [&](auto f) {
    const double* a = arg(0);
    for (size_t r = 0; r < rows; ++r) out[r] = f(a[r]);
  };
  auto binary = [&](auto f) {
    const double* a = arg(0);
    const double* b = arg(1);
    for (size_t r = 0; r < rows; ++r) out[r] = f(a[r], b[r]);
  };
  // Comparisons: NaN operand -> NaN (missing), else 1/0.
  auto compare = [&](auto f) {
    binary([&](double a, double b) { return (std::isnan(a) || std::isnan(b)) ? kNaN : b2d(f(a, b)); });
  };
  switch (n.op) {
    case Op::Const:
      for (size_t r = 0; r < rows; ++r) out[r] = n.value;
      break;
    case Op::Input: {
      const double* in = inputs[n.index];
      for (size_t r = 0; r < rows; ++r) out[r] = in[r];
      break;
    }
    case Op::Derived: {
      const double* in = derived[n.index];
      for (size_t r = 0; r < rows; ++r) out[r] = in[r];
      break;
    }
    case Op::LevelIs: {
      const double* in = inputs[n.index];
      const double k = n.level;
      for (size_t r = 0; r < rows; ++r) out[r] = std::isnan(in[r]) ? kNaN : b2d(in[r] == k);
      break;
    }
    case Op::LevelMap: {
      const double* in = inputs[n.index];
      const auto& t = n.expr->table;
      for (size_t r = 0; r < rows; ++r) {
        const double c = in[r];
        out[r] = (std::isnan(c) || c < 0 || c >= static_cast<double>(t.size())) ? kNaN : t[static_cast<size_t>(c)];
      }
      break;
    }
    case Op::Add: binary([](double a, double b) { return a + b; }); break;
    case Op::Sub: binary([](double a, double b) { return a - b; }); break;
    case Op::Mul: binary([](double a, double b) { return a * b; }); break;
    case Op::Div: binary([](double a, double b) { return a / b; }); break;
    case Op::Pow: binary([](double a, double b) { return std::pow(a, b); }); break;
    case Op::Neg: unary([](double a) { return -a; }); break;
    case Op::Min:
    case Op::Max: {
      const bool is_min = n.op == Op::Min;
      const double* a0 = arg(0);
      for (size_t r = 0; r < rows; ++r) out[r] = a0[r];
      for (size_t k = 1; k < n.args.size(); ++k) {
        const double* a = arg(k);
        for (size_t r = 0; r < rows; ++r) {
          if (std::isnan(out[r]) || std::isnan(a[r])) out[r] = kNaN;
          else out[r] = is_min ? std::min(out[r], a[r]) : std::max(out[r], a[r]);
        }
      }
      break;
    }
    case Op::Log: unary([](double a) { return std::log(a); }); break;
    case Op::Log10: unary([](double a) { return std::log10(a); }); break;
    case Op::Exp: unary([](double a) { return std::exp(a); }); break;
    case Op::Sqrt: unary([](double a) { return std::sqrt(a); }); break;
    case Op::Abs: unary([](double a) { return std::fabs(a); }); break;
    case Op::Floor: unary([](double a) { return std::floor(a); }); break;
    case Op::Ceil: unary([](double a) { return std::ceil(a); }); break;
    case Op::Round: unary([](double a) { return std::nearbyint(a); }); break;  // half to even
    case Op::Sin: unary([](double a) { return std::sin(a); }); break;
    case Op::Cos: unary([](double a) { return std::cos(a); }); break;
    case Op::Tan: unary([](double a) { return std::tan(a); }); break;
    case Op::Atan: unary([](double a) { return std::atan(a); }); break;
    case Op::Tanh: unary([](double a) { return std::tanh(a); }); break;
    case Op::Float32: unary([](double a) { return static_cast<double>(static_cast<float>(a)); }); break;
    case Op::Erf: unary([](double a) { return std::erf(a); }); break;
    case Op::Logistic: unary([](double a) { return 1.0 / (1.0 + std::exp(-a)); }); break;
    case Op::Lt: compare([](double a, double b) { return a < b; }); break;
    case Op::Le: compare([](double a, double b) { return a <= b; }); break;
    case Op::Gt: compare([](double a, double b) { return a > b; }); break;
    case Op::Ge: compare([](double a, double b) { return a >= b; }); break;
    case Op::Eq: compare([](double a, double b) { return a == b; }); break;
    case Op::Ne: compare([](double a, double b) { return a != b; }); break;
    // Three-valued logic as PMML defines it: false AND missing = false, true OR missing = true.
    case Op::And:
      binary([](double a, double b) {
        if (a == 0.0 || b == 0.0) return 0.0;
        if (std::isnan(a) || std::isnan(b)) return kNaN;
        return 1.0;
      });
      break;
    case Op::Or:
      binary([](double a, double b) {
        if ((!std::isnan(a) && a != 0.0) || (!std::isnan(b) && b != 0.0)) return 1.0;
        if (std::isnan(a) || std::isnan(b)) return kNaN;
        return 0.0;
      });
      break;
    case Op::Not: unary([](double a) { return std::isnan(a) ? kNaN : b2d(a == 0.0); }); break;
    case Op::IsMissing: unary([](double a) { return b2d(std::isnan(a)); }); break;
    case Op::IfElse: {
      const double* c = arg(0);
      const double* t = arg(1);
      const double* f = arg(2);
      for (size_t r = 0; r < rows; ++r) out[r] = std::isnan(c[r]) ? kNaN : (c[r] != 0.0 ? t[r] : f[r]);
      break;
    }
    case Op::Coalesce: {
      for (size_t r = 0; r < rows; ++r) {
        double v = kNaN;
        for (size_t k = 0; k < n.args.size(); ++k) {
          const double x = slots_[n.args[k]][r];
          if (!std::isnan(x)) {
            v = x;
            break;
          }
        }
        out[r] = v;
      }
      break;
    }
    case Op::Discretize: {
      const double* a = arg(0);
      const auto& e = *n.expr;
      const size_t bins = e.bounds.size() + 1;  // intervals: (-inf,b0], (b0,b1], ..., (b_last, inf)
      for (size_t r = 0; r < rows; ++r) {
        const double v = a[r];
        if (std::isnan(v)) {
          out[r] = kNaN;
          continue;
        }
        double res = e.table.back();  // default when no bin matches
        for (size_t j = 0; j < bins; ++j) {
          const double lo = j == 0 ? -INFINITY : e.bounds[j - 1];
          const double hi = j + 1 == bins ? INFINITY : e.bounds[j];
          const bool left_closed = e.flags[j] & 1, right_closed = e.flags[j] & 2;
          const bool above = left_closed ? v >= lo : v > lo;
          const bool below = right_closed ? v <= hi : v < hi;
          if (above && below) {
            res = e.table[j];
            break;
          }
        }
        out[r] = res;
      }
      break;
    }
  }
}

}  // namespace mb::eval
