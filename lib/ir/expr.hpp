// Expression trees for derived features: R formula terms (I(), log, poly, scale, contrasts,
// interactions), PMML DerivedField/Apply/NormContinuous/NormDiscrete/MapValues/Discretize and the
// ONNX preprocessing operators all lower to this one form.
//
// Semantics (the evaluator's and every writer's contract):
//  - Values are doubles; a missing value is NaN and propagates through arithmetic and functions
//    (IEEE rules), except IsMissing (1/0), IfElse (condition decides) and Coalesce.
//  - Input(i) of a continuous field is its value; of a categorical/ordinal field it is the 0-based
//    level code as a double (NaN if missing).
//  - LevelIs(i, k): 1 if categorical input i has level code k, 0 if another level, NaN if missing.
//  - LevelMap(i, table): table[code] (NaN if missing).  Used for contrast columns (treatment, sum,
//    helmert, poly), NormDiscrete and MapValues.
//  - Comparisons and logic give 1 or 0 (NaN if an operand is NaN).
//  - Discretize: `bounds` ascending; value v falls in bin j when bounds[j-1] < v <= bounds[j] with
//    the closure encoded by `flags`; the result is table[j].  (Used by PMML Discretize.)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mb::ir {

enum class Op : uint8_t {
  Const,     // value
  Input,     // index = input field
  Derived,   // index = Model::derived entry (evaluated once per batch)
  LevelIs,   // index = input field, level = code
  LevelMap,  // index = input field, table = value per level code
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Neg,
  Min,
  Max,
  Log,
  Log10,
  Exp,
  Sqrt,
  Abs,
  Floor,
  Ceil,
  Round,
  Sin,
  Cos,
  Tan,
  Atan,
  Tanh,
  Erf,
  Logistic,
  Lt,
  Le,
  Gt,
  Ge,
  Eq,
  Ne,
  And,
  Or,
  Not,
  IsMissing,   // 1 if args[0] is missing else 0
  IfElse,      // args: cond, then, else; NaN cond -> NaN
  Coalesce,    // first non-missing of args
  Discretize,  // args[0] value; bounds, table, flags (see above); default table.back() when none
  Float32,     // args[0] rounded to the nearest float32 (a runtime that computes in float32: ONNX Scaler)
};

struct Expr {
  Op op = Op::Const;
  double value = 0.0;          // Const
  int32_t index = -1;          // Input / Derived / LevelIs / LevelMap
  int32_t level = -1;          // LevelIs
  std::vector<double> table;   // LevelMap values per level; Discretize bin values
  std::vector<double> bounds;  // Discretize
  std::vector<uint8_t> flags;  // Discretize: per bin, bit0 = left closed, bit1 = right closed
  std::vector<Expr> args;

  static Expr constant(double v) {
    Expr e;
    e.op = Op::Const;
    e.value = v;
    return e;
  }
  static Expr input(int32_t i) {
    Expr e;
    e.op = Op::Input;
    e.index = i;
    return e;
  }
  static Expr derived(int32_t i) {
    Expr e;
    e.op = Op::Derived;
    e.index = i;
    return e;
  }
  static Expr level_is(int32_t i, int32_t k) {
    Expr e;
    e.op = Op::LevelIs;
    e.index = i;
    e.level = k;
    return e;
  }
  static Expr level_map(int32_t i, std::vector<double> t) {
    Expr e;
    e.op = Op::LevelMap;
    e.index = i;
    e.table = std::move(t);
    return e;
  }
  static Expr call(Op op, std::vector<Expr> args) {
    Expr e;
    e.op = op;
    e.args = std::move(args);
    return e;
  }
  static Expr unary(Op op, Expr a) { return call(op, {std::move(a)}); }
  static Expr binary(Op op, Expr a, Expr b) { return call(op, {std::move(a), std::move(b)}); }

  bool operator==(const Expr&) const = default;
};

// A named intermediate value (PMML DerivedField, a shared R term such as a poly() basis).
struct DerivedField {
  std::string name;
  Expr expr;
  bool operator==(const DerivedField&) const = default;
};

// One column of the feature vector an estimator consumes.
struct Feature {
  std::string name;  // model-matrix column name ("x1", "cyl6", "poly(x, 2)1", "a:b")
  Expr expr;
  bool operator==(const Feature&) const = default;
};

// Short name of an operator, used by canonical forms and messages.
const char* op_name(Op op);

}  // namespace mb::ir
