#include "formats/onnx/functions.hpp"

#include <cmath>
#include <map>

namespace mb::onnxfmt {
namespace {

using ir::Link;
using ir::Op;

constexpr double kNaN = NAN;
const int64_t kDouble = onnx::TensorProto::DOUBLE;

struct Body {
  Emitter& e;
  std::string op(const std::string& o, std::vector<std::string> in) { return e.node(o, in); }
  std::string k(double v) { return e.scalar(v); }
  std::string to_double(const std::string& b) { return e.node("Cast", {b}, {attr_int("to", kDouble)}); }
  std::string any_nan(const std::string& a, const std::string& b) {
    return op("Or", {op("IsNaN", {a}), op("IsNaN", {b})});
  }
  std::string compare(const std::string& core, const std::string& a, const std::string& b, bool negate) {
    std::string c = op(core, {a, b});
    if (negate) c = op("Not", {c});
    return op("Where", {any_nan(a, b), k(kNaN), to_double(c)});
  }
  // e^{-t*t} for t >= 0 with t*t split so the exponent carries no rounding error of note:
  // h = floor(t*s)/s has few bits, h*h is exact, (t-h)(t+h) is small.
  std::string exp_neg_square(const std::string& t, double s, double factor) {
    std::string h = op("Div", {op("Floor", {op("Mul", {t, k(s)})}), k(s)});
    std::string l = op("Sub", {t, h});
    std::string a = op("Exp", {op("Mul", {op("Mul", {h, h}), k(-factor)})});
    std::string b = op("Exp", {op("Mul", {op("Mul", {l, op("Add", {t, h})}), k(-factor)})});
    return op("Mul", {a, b});
  }
  // acc = 1; for n = N..1: acc = 1 + (q * acc) / (2n+1); returns acc.
  std::string odd_series(const std::string& q, int n_terms) {
    std::string acc = k(1.0);
    for (int n = n_terms; n >= 1; --n) acc = op("Add", {k(1.0), op("Div", {op("Mul", {q, acc}), k(2.0 * n + 1)})});
    return acc;
  }
  // t + (s*K)/(t + (s*(K-1))/(t + ... (s*1)/t)).
  std::string continued_fraction(const std::string& t, double s, int depth) {
    std::string acc = t;
    for (int j = depth; j >= 1; --j) acc = op("Add", {t, op("Div", {k(s * j), acc})});
    return acc;
  }
  std::string normal_cdf(const std::string& z) {
    std::string t = op("Min", {op("Abs", {z}), k(40.0)});
    std::string phi = op("Mul", {exp_neg_square(t, 16.0, 0.5), k(0.3989422804014327)});
    std::string central = op("Mul", {phi, op("Mul", {t, odd_series(op("Mul", {t, t}), 30)})});
    std::string tail = op("Div", {phi, continued_fraction(t, 1.0, 120)});
    std::string small = op("Less", {t, k(2.0)});
    std::string upper = op("Where", {small, op("Add", {k(0.5), central}), op("Sub", {k(1.0), tail})});
    std::string lower = op("Where", {small, op("Sub", {k(0.5), central}), tail});
    return op("Where", {op("Less", {z, k(0.0)}), lower, upper});
  }
  std::string erf(const std::string& x) {
    std::string t = op("Min", {op("Abs", {x}), k(6.0)});
    std::string ex = exp_neg_square(t, 32.0, 1.0);
    std::string series = op("Mul", {op("Mul", {op("Mul", {t, ex}), k(1.1283791670955126)}),
                                    odd_series(op("Mul", {op("Mul", {t, t}), k(2.0)}), 30)});
    std::string erfc = op("Div", {op("Mul", {ex, k(0.5641895835477563)}), continued_fraction(t, 0.5, 120)});
    std::string mag = op("Where", {op("Less", {t, k(1.4142135623730951)}), series, op("Sub", {k(1.0), erfc})});
    return op("Mul", {op("Sign", {x}), mag});
  }
  std::string atan(const std::string& x) {
    std::string a = op("Abs", {x});
    std::string big = op("Greater", {a, k(1.0)});
    std::string r = op("Where", {big, op("Reciprocal", {a}), a});
    for (int i = 0; i < 3; ++i)
      r = op("Div", {r, op("Add", {k(1.0), op("Sqrt", {op("Add", {k(1.0), op("Mul", {r, r})})})})});
    std::string u2 = op("Mul", {r, r});
    std::string p = k(1.0 / 21.0);
    for (int n = 9; n >= 0; --n) p = op("Sub", {k(1.0 / (2.0 * n + 1)), op("Mul", {u2, p})});
    std::string y = op("Mul", {op("Mul", {r, p}), k(8.0)});
    std::string mag = op("Where", {big, op("Sub", {k(1.5707963267948966), y}), y});
    return op("Mul", {op("Sign", {x}), mag});
  }
  // 1 - e^{-y} for y >= 0, accurate for small y.
  std::string one_minus_exp_neg(const std::string& y) {
    std::string acc = k(1.0);
    for (int n = 20; n >= 2; --n) acc = op("Sub", {k(1.0), op("Div", {op("Mul", {y, acc}), k(n)})});
    std::string series = op("Mul", {y, acc});
    std::string direct = op("Sub", {k(1.0), op("Exp", {op("Neg", {y})})});
    return op("Where", {op("Less", {y, k(0.5)}), series, direct});
  }
};

using BodyFn = std::string (*)(Body&, const std::vector<std::string>&);

struct Def {
  int arity;
  BodyFn fn;
};

const std::map<std::string, Def>& library() {
  static const std::map<std::string, Def> lib = {
      {"Lt", {2, [](Body& b, const auto& a) { return b.compare("Less", a[0], a[1], false); }}},
      {"Le", {2, [](Body& b, const auto& a) { return b.compare("LessOrEqual", a[0], a[1], false); }}},
      {"Gt", {2, [](Body& b, const auto& a) { return b.compare("Greater", a[0], a[1], false); }}},
      {"Ge", {2, [](Body& b, const auto& a) { return b.compare("GreaterOrEqual", a[0], a[1], false); }}},
      {"Eq", {2, [](Body& b, const auto& a) { return b.compare("Equal", a[0], a[1], false); }}},
      {"Ne", {2, [](Body& b, const auto& a) { return b.compare("Equal", a[0], a[1], true); }}},
      {"And",
       {2,
        [](Body& b, const auto& a) {
          std::string zero = b.op("Or", {b.op("Equal", {a[0], b.k(0)}), b.op("Equal", {a[1], b.k(0)})});
          std::string rest = b.op("Where", {b.any_nan(a[0], a[1]), b.k(kNaN), b.k(1.0)});
          return b.op("Where", {zero, b.k(0.0), rest});
        }}},
      {"Or",
       {2,
        [](Body& b, const auto& a) {
          auto truthy = [&](const std::string& v) {
            return b.op("And", {b.op("Not", {b.op("IsNaN", {v})}), b.op("Not", {b.op("Equal", {v, b.k(0)})})});
          };
          std::string one = b.op("Or", {truthy(a[0]), truthy(a[1])});
          std::string rest = b.op("Where", {b.any_nan(a[0], a[1]), b.k(kNaN), b.k(0.0)});
          return b.op("Where", {one, b.k(1.0), rest});
        }}},
      {"Not",
       {1,
        [](Body& b, const auto& a) {
          return b.op("Where", {b.op("IsNaN", {a[0]}), b.k(kNaN), b.to_double(b.op("Equal", {a[0], b.k(0)}))});
        }}},
      {"IsMissing", {1, [](Body& b, const auto& a) { return b.to_double(b.op("IsNaN", {a[0]})); }}},
      {"IfElse",
       {3,
        [](Body& b, const auto& a) {
          std::string pick = b.op("Where", {b.op("Not", {b.op("Equal", {a[0], b.k(0)})}), a[1], a[2]});
          return b.op("Where", {b.op("IsNaN", {a[0]}), b.k(kNaN), pick});
        }}},
      {"Coalesce",
       {2,
        [](Body& b, const auto& a) {
          return b.op("Where", {b.op("IsNaN", {a[0]}), a[1], a[0]});
        }}},
      {"Erf", {1, [](Body& b, const auto& a) { return b.erf(a[0]); }}},
      {"Tan",
       {1,
        [](Body& b, const auto& a) {
          return b.op("Div", {b.op("Sin", {a[0]}), b.op("Cos", {a[0]})});
        }}},
      {"Atan", {1, [](Body& b, const auto& a) { return b.atan(a[0]); }}},
      {"Log10",
       {1,
        [](Body& b, const auto& a) {
          return b.op("Div", {b.op("Log", {a[0]}), b.k(2.302585092994046)});
        }}},
      {"LinkProbit", {1, [](Body& b, const auto& a) { return b.normal_cdf(a[0]); }}},
      {"LinkCloglog", {1, [](Body& b, const auto& a) { return b.one_minus_exp_neg(b.op("Exp", {a[0]})); }}},
      {"LinkLoglog",
       {1, [](Body& b, const auto& a) { return b.op("Exp", {b.op("Neg", {b.op("Exp", {b.op("Neg", {a[0]})})})}); }}},
      {"LinkCauchit",
       {1,
        [](Body& b, const auto& a) {
          return b.op("Add", {b.k(0.5), b.op("Div", {b.atan(a[0]), b.k(M_PI)})});
        }}},
      {"LinkLog", {1, [](Body& b, const auto& a) { return b.op("Exp", {a[0]}); }}},
      {"LinkInverse", {1, [](Body& b, const auto& a) { return b.op("Reciprocal", {a[0]}); }}},
      {"LinkInverseSquare", {1, [](Body& b, const auto& a) { return b.op("Reciprocal", {b.op("Sqrt", {a[0]})}); }}},
      // R's power(lambda) / tweedie(link.power): eta^(1/lambda), 1/lambda computed as R does.
      {"LinkPower",
       {2,
        [](Body& b, const auto& a) {
          return b.op("Pow", {a[0], b.op("Reciprocal", {a[1]})});
        }}},
      {"LinkSqrt",
       {1,
        [](Body& b, const auto& a) {
          return b.op("Mul", {a[0], a[0]});
        }}},
  };
  return lib;
}

}  // namespace

std::string function_for_op(ir::Op op) {
  switch (op) {
    case Op::Lt: return "Lt";
    case Op::Le: return "Le";
    case Op::Gt: return "Gt";
    case Op::Ge: return "Ge";
    case Op::Eq: return "Eq";
    case Op::Ne: return "Ne";
    case Op::And: return "And";
    case Op::Or: return "Or";
    case Op::Not: return "Not";
    case Op::IsMissing: return "IsMissing";
    case Op::IfElse: return "IfElse";
    case Op::Coalesce: return "Coalesce";
    case Op::Erf: return "Erf";
    case Op::Tan: return "Tan";
    case Op::Atan: return "Atan";
    case Op::Log10: return "Log10";
    default: return "";
  }
}

std::string function_for_link(ir::Link link) {
  switch (link) {
    case Link::Identity:
    case Link::Logit: return "";
    case Link::Probit: return "LinkProbit";
    case Link::Cloglog: return "LinkCloglog";
    case Link::Loglog: return "LinkLoglog";
    case Link::Cauchit: return "LinkCauchit";
    case Link::Log: return "LinkLog";
    case Link::Inverse: return "LinkInverse";
    case Link::InverseSquare: return "LinkInverseSquare";
    case Link::Sqrt: return "LinkSqrt";
    case Link::Power: return "LinkPower";
  }
  return "";
}

bool is_library_function(const std::string& name) { return library().count(name) > 0; }

int function_arity(const std::string& name) {
  auto it = library().find(name);
  return it == library().end() ? -1 : it->second.arity;
}

onnx::FunctionProto build_function(const std::string& name) {
  const Def& def = library().at(name);
  onnx::FunctionProto f;
  f.set_name(name);
  f.set_domain(kFunctionDomain);
  auto* imp = f.add_opset_import();
  imp->set_domain("");
  imp->set_version(17);
  std::vector<std::string> args;
  for (int i = 0; i < def.arity; ++i) {
    args.push_back(std::string(1, static_cast<char>('a' + i)));
    f.add_input(args.back());
  }
  Emitter e(&f);
  Body b{e};
  const std::string result = def.fn(b, args);
  // The output must be produced by a node of the body: route it through Identity.
  e.node("Identity", {result}, {}, "", "result");
  f.add_output("result");
  return f;
}

}  // namespace mb::onnxfmt
