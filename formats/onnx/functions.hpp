// Model-local ONNX functions (domain "modelbridge") for what the ai.onnx operator set cannot
// compute in double on onnxruntime 1.30 (no double Erf, Tan, Atan kernels) or computes with
// other missing-value rules (comparisons and logic give false for NaN; the IR gives missing).
// Every body uses double core operators only.
//
//   Lt Le Gt Ge Eq Ne (a, b)   1/0, NaN when an operand is NaN
//   And Or (a, b), Not (a)     three-valued logic (false AND missing = false, true OR missing = true)
//   IsMissing (a)              1 if NaN else 0
//   IfElse (c, t, e)           NaN c -> NaN; c != 0 -> t; else e
//   Coalesce (a, b)            a unless NaN, else b
//   Erf (x)                    series 2/sqrt(pi) x e^{-x^2} sum (2x^2)^n/(2n+1)!! for |x| < sqrt(2),
//                              Laplace continued fraction for erfc beyond; e^{-x^2} split exactly
//   Tan (x)                    sin/cos;  Atan (x): reciprocal for |x|>1, three half-angle
//                              reductions, 10-term series;  Log10 (x): log(x)/ln 10
//   LinkProbit LinkCloglog LinkLoglog LinkCauchit LinkLog LinkInverse LinkInverseSquare LinkSqrt
//                              inverse links; probit = normal CDF by the same series / continued
//                              fraction in z units; cloglog = 1 - e^{-e^eta} with a series for
//                              small e^eta (expm1 accuracy)
// Measured accuracy against high-precision references: normal CDF within 5e-16 relative for
// z >= -2 and in the lower tail z <= -2, 7e-15 relative for -2 < z < 0 (cancellation in 0.5 - x).
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

#include "formats/onnx/emitter.hpp"
#include "lib/ir/estimators.hpp"
#include "lib/ir/expr.hpp"

namespace mb::onnxfmt {

inline constexpr const char* kFunctionDomain = "modelbridge";

// The function computing `op`, or "" when a core operator does it (or the op is structural).
std::string function_for_op(ir::Op op);
// The function computing the inverse link, or "" (identity: nothing; logit: core Sigmoid).
std::string function_for_link(ir::Link link);
bool is_library_function(const std::string& name);
// Number of inputs of a library function.
int function_arity(const std::string& name);
// The definition the writer emits (the reader compares bodies with it).
onnx::FunctionProto build_function(const std::string& name);

}  // namespace mb::onnxfmt
