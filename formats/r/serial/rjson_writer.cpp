// jsonlite::serializeJSON's layout from the R object tree (see rjson_writer.hpp).
#include "formats/r/serial/rjson_writer.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>
#include <vector>

#include "lib/util/error.hpp"

namespace mb::r {
namespace {

// ---- numbers ----------------------------------------------------------------------------------

std::string g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string hexfloat(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

// A finite, non-negative double as R code R's parser reads back exactly.
std::string number_code(double v) {
  // Decimal only when 15 significant digits hold the value (R's own deparse precision; R's
  // parser accumulates at most 15 digits exactly), else hexadecimal.
  if (v < 1e-30 || v > 1e30) return hexfloat(v);
  for (int digits = 1; digits <= 15; ++digits) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) != v) continue;
    if (r_parser_strtod(buf) == v) return buf;
  }
  return hexfloat(v);
}

// ---- text ---------------------------------------------------------------------------------------

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

bool is_reserved(const std::string& s) {
  static const std::set<std::string> reserved = {
      "if",   "else", "repeat", "while", "function",    "for",      "next",          "break",       "TRUE", "FALSE",
      "NULL", "Inf",  "NaN",    "NA",    "NA_integer_", "NA_real_", "NA_character_", "NA_complex_", "in"};
  return reserved.count(s) > 0;
}

bool syntactic_name(const std::string& s) {
  if (s.empty()) return false;
  if (s == "...") return true;
  if (s.size() > 2 && s[0] == '.' && s[1] == '.' && s.find_first_not_of("0123456789", 2) == std::string::npos)
    return true;  // ..1
  if (is_reserved(s)) return false;
  unsigned char c0 = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(c0) || c0 == '.' || c0 >= 0x80)) return false;
  if (c0 == '.' && s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1]))) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c >= 0x80)) return false;
  return true;
}

std::string r_string(const std::string& s, char q) {
  std::string out(1, q);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (ch == q) {
          out += '\\';
          out += ch;
        } else if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += q;
  return out;
}

std::string name_code(const std::string& s) { return syntactic_name(s) ? s : r_string(s, '`'); }

// ---- deparse ---------------------------------------------------------------------------------

// Precedences of R's grammar (gram.y), low to high.
enum Prec : int {
  kPrecLowest = 0,
  kPrecQuestion = 1,
  kPrecLow = 2,
  kPrecLeftAssign = 4,
  kPrecEqAssign = 5,
  kPrecTilde = 7,
  kPrecOr = 8,
  kPrecAnd = 9,
  kPrecNot = 10,
  kPrecCompare = 11,
  kPrecSum = 12,
  kPrecProd = 13,
  kPrecSpecial = 14,
  kPrecColon = 16,
  kPrecUnary = 17,
  kPrecPower = 18,
  kPrecDollar = 19,
  kPrecNs = 20,
  kPrecPostfix = 21,
  kPrecAtom = 22,
};

struct BinOp {
  const char* name;
  int prec;
  bool right_assoc;
  bool spaced;
};
const BinOp* binary_op(const std::string& f) {
  static const BinOp ops[] = {
      {"?", kPrecQuestion, false, true},   {"<-", kPrecLeftAssign, true, true}, {"<<-", kPrecLeftAssign, true, true},
      {":=", kPrecLeftAssign, true, true}, {"=", kPrecEqAssign, true, true},    {"~", kPrecTilde, false, true},
      {"||", kPrecOr, false, true},        {"|", kPrecOr, false, true},         {"&&", kPrecAnd, false, true},
      {"&", kPrecAnd, false, true},        {"==", kPrecCompare, false, true},   {"!=", kPrecCompare, false, true},
      {"<", kPrecCompare, false, true},    {">", kPrecCompare, false, true},    {"<=", kPrecCompare, false, true},
      {">=", kPrecCompare, false, true},   {"+", kPrecSum, false, true},        {"-", kPrecSum, false, true},
      {"*", kPrecProd, false, true},       {"/", kPrecProd, false, false},      {":", kPrecColon, false, false},
      {"^", kPrecPower, true, false},      {"$", kPrecDollar, false, false},    {"@", kPrecDollar, false, false},
      {"::", kPrecNs, false, false},       {":::", kPrecNs, false, false},
  };
  for (auto& o : ops)
    if (f == o.name) return &o;
  static const BinOp special{"%%", kPrecSpecial, false, true};
  if (f.size() >= 2 && f.front() == '%' && f.back() == '%') return &special;
  return nullptr;
}

class Deparser {
 public:
  // Text of `n` and the precedence of its outermost construct.
  std::string code(const RObject& n, int& prec) {
    prec = kPrecAtom;
    switch (n.type) {
      case RType::Null: return "NULL";
      case RType::MissingArg: return "";
      case RType::Symbol: return name_code(n.text);
      case RType::Double:
      case RType::Integer:
      case RType::Logical:
      case RType::Character:
      case RType::Complex: return vector(n, prec);
      case RType::List: return list(n);
      case RType::Language: return call(n, prec);
      case RType::Closure: {
        // A function object inside a call: its function expression (which evaluates to it).
        prec = kPrecLow;
        std::string out = "function(";
        const RObject* formals = n.elements.size() > 0 ? n.elements[0].get() : nullptr;
        for (size_t i = 0; formals && i < formals->elements.size(); ++i) {
          out += (i ? ", " : "") + name_code(i < formals->tags.size() ? formals->tags[i] : "");
          int p;
          if (formals->elements[i] && formals->elements[i]->type != RType::MissingArg)
            out += " = " + code(*formals->elements[i], p);
        }
        int p;
        return out + ") " + (n.elements.size() > 1 && n.elements[1] ? code(*n.elements[1], p) : "NULL");
      }
      default: throw Error("", "", std::string("R code cannot hold an object of type ") + rtype_name(n.type));
    }
  }

 private:
  std::string scalar(const RObject& n, size_t i, bool& negative) {
    negative = false;
    switch (n.type) {
      case RType::Double: {
        double v = n.reals[i];
        if (is_na_real(v)) return "NA_real_";
        if (std::isnan(v)) return "NaN";
        if (std::isinf(v)) {
          negative = v < 0;
          return v > 0 ? "Inf" : "-Inf";
        }
        negative = std::signbit(v);
        if (v == 0) return negative ? "-0" : "0";
        return (negative ? "-" : "") + number_code(std::fabs(v));
      }
      case RType::Integer:
        if (n.ints[i] == kNaInteger) return "NA_integer_";
        negative = n.ints[i] < 0;
        return std::to_string(n.ints[i]) + "L";
      case RType::Logical: return n.ints[i] == kNaInteger ? "NA" : n.ints[i] ? "TRUE" : "FALSE";
      case RType::Character: return n.strings[i] ? r_string(*n.strings[i], '"') : "NA_character_";
      case RType::Complex: {
        double re = n.reals[2 * i], im = n.reals[2 * i + 1];
        if (is_na_real(re) || is_na_real(im)) return "NA_complex_";
        bool neg_re = false, neg_im = false;
        RObject r;
        r.type = RType::Double;
        r.reals = {re, std::fabs(im)};
        std::string a = scalar(r, 0, neg_re), b = scalar(r, 1, neg_im);
        negative = neg_re;
        return "complex(real = " + a + ", imaginary = " + (im < 0 ? "-" : "") + b + ")";
      }
      default: return "";
    }
  }

  std::string vector(const RObject& n, int& prec) {
    const size_t len = n.length();
    std::vector<std::string> names;
    std::vector<std::pair<std::string, RPtr>> other;
    for (auto& [k, v] : n.attributes) {
      if (k == "names" && v && v->type == RType::Character && v->strings.size() == len) {
        for (auto& s : v->strings) names.push_back(s.value_or("NA"));
      } else {
        other.emplace_back(k, v);
      }
    }
    std::string out;
    if (len == 0) {
      static const char* empty[] = {"logical(0)", "integer(0)", "numeric(0)", "character(0)", "complex(0)"};
      out = empty[n.type == RType::Logical     ? 0
                  : n.type == RType::Integer   ? 1
                  : n.type == RType::Double    ? 2
                  : n.type == RType::Character ? 3
                                               : 4];
    } else if (len == 1 && names.empty()) {
      bool negative;
      out = scalar(n, 0, negative);
      if (negative) prec = kPrecUnary;
    } else {
      out = "c(";
      for (size_t i = 0; i < len; ++i) {
        bool negative;
        if (i) out += ", ";
        if (!names.empty() && !names[i].empty()) out += name_code(names[i]) + " = ";
        out += scalar(n, i, negative);
      }
      out += ")";
      prec = kPrecAtom;
    }
    if (!other.empty()) {
      out = "structure(" + out;
      for (auto& [k, v] : other) {
        int p;
        out += ", " +
               name_code(k == "dim"        ? ".Dim"
                         : k == "dimnames" ? ".Dimnames"
                                           : k) +
               " = " + (v ? code(*v, p) : std::string("NULL"));
      }
      out += ")";
      prec = kPrecAtom;
    }
    return out;
  }

  std::string list(const RObject& n) {
    std::vector<std::string> names = n.names();
    std::string out = "list(";
    for (size_t i = 0; i < n.elements.size(); ++i) {
      int p;
      if (i) out += ", ";
      if (i < names.size() && !names[i].empty()) out += name_code(names[i]) + " = ";
      out += n.elements[i] ? code(*n.elements[i], p) : "NULL";
    }
    out += ")";
    for (auto& [k, v] : n.attributes)
      if (k != "names") {
        int p;
        out = "structure(" + out + ", " + name_code(k) + " = " + (v ? code(*v, p) : std::string("NULL")) + ")";
      }
    return out;
  }

  std::string operand(const RObject& n, int min_prec, bool strict) {
    int p;
    std::string s = code(n, p);
    if (p < min_prec || (strict && p == min_prec)) return "(" + s + ")";
    return s;
  }

  std::string args(const RObject& n, size_t from) {
    std::string out;
    for (size_t i = from; i < n.elements.size(); ++i) {
      if (i > from) out += ", ";
      if (i < n.tags.size() && !n.tags[i].empty()) {
        out += name_code(n.tags[i]);
        out += n.elements[i] && n.elements[i]->type == RType::MissingArg ? " = " : " = ";
      }
      int p;
      if (n.elements[i]) out += code(*n.elements[i], p);
    }
    return out;
  }

  std::string call(const RObject& n, int& prec) {
    if (n.unparsed) throw Error("", "", "R code that could not be parsed: " + n.text);
    if (n.elements.empty()) throw Error("", "", "a call without a function");
    const RObject& fn = *n.elements[0];
    const size_t nargs = n.elements.size() - 1;
    bool untagged = true;
    for (size_t i = 1; i < n.tags.size(); ++i) untagged = untagged && n.tags[i].empty();
    bool has_missing = false;
    for (size_t i = 1; i < n.elements.size(); ++i)
      has_missing = has_missing || !n.elements[i] || n.elements[i]->type == RType::MissingArg;
    if (fn.type == RType::Symbol) {
      const std::string& f = fn.text;
      if (untagged && !has_missing && nargs == 2) {
        if (const BinOp* op = binary_op(f)) {
          prec = op->prec;
          if (op->prec >= kPrecDollar) {
            // x$name, x@name, pkg::name: the right side is a name or a string.
            const RObject& rhs = *n.elements[2];
            std::string r;
            if (rhs.type == RType::Symbol) r = name_code(rhs.text);
            else if (rhs.type == RType::Character && rhs.strings.size() == 1 && rhs.strings[0] &&
                     rhs.attributes.empty())
              r = r_string(*rhs.strings[0], '"');
            if (!r.empty()) return operand(*n.elements[1], op->prec, false) + f + r;
          } else {
            std::string l = operand(*n.elements[1], op->prec, op->right_assoc);
            std::string r = operand(*n.elements[2], op->prec, !op->right_assoc);
            // `m <- if (a) b else c`: an assignment's value may be if/function/for without
            // parentheses (they extend to the end of the expression, which the value is).
            if (op->prec == kPrecLeftAssign || op->prec == kPrecEqAssign) {
              int p;
              std::string plain = code(*n.elements[2], p);
              if (p == kPrecLow) r = plain;
            }
            if (op->prec == kPrecCompare) {  // non-associative
              l = operand(*n.elements[1], op->prec, true);
            }
            return op->spaced ? l + " " + f + " " + r : l + f + r;
          }
        }
      }
      if (untagged && !has_missing && nargs == 1) {
        if (f == "-" || f == "+") {
          prec = kPrecUnary;
          return f + operand(*n.elements[1], kPrecUnary, false);
        }
        if (f == "!") {
          prec = kPrecNot;
          return "!" + operand(*n.elements[1], kPrecNot, false);
        }
        if (f == "~") {
          prec = kPrecTilde;
          return "~" + operand(*n.elements[1], kPrecTilde, false);
        }
        if (f == "?") {
          prec = kPrecQuestion;
          return "?" + operand(*n.elements[1], kPrecQuestion, false);
        }
        if (f == "(") {
          int p;
          return "(" + code(*n.elements[1], p) + ")";
        }
      }
      if ((f == "[" || f == "[[") && nargs >= 1 && n.elements[1] && n.elements[1]->type != RType::MissingArg &&
          (n.tags.size() < 2 || n.tags[1].empty())) {
        prec = kPrecPostfix;
        return operand(*n.elements[1], kPrecPostfix, false) + f + args(n, 2) + (f == "[" ? "]" : "]]");
      }
      if (f == "{" && untagged) {
        std::string out = "{";
        for (size_t i = 1; i < n.elements.size(); ++i) {
          int p;
          out += "\n" + code(*n.elements[i], p);
        }
        return out + "\n}";
      }
      if (untagged && !has_missing) {
        if (f == "if" && (nargs == 2 || nargs == 3)) {
          prec = kPrecLow;
          int p;
          std::string out = "if (" + code(*n.elements[1], p) + ") " + operand(*n.elements[2], kPrecLow, true);
          if (nargs == 3) out += " else " + code(*n.elements[3], p);
          return out;
        }
        if (f == "for" && nargs == 3 && n.elements[1]->type == RType::Symbol) {
          prec = kPrecLow;
          int p;
          return "for (" + name_code(n.elements[1]->text) + " in " + code(*n.elements[2], p) + ") " +
                 code(*n.elements[3], p);
        }
        if (f == "while" && nargs == 2) {
          prec = kPrecLow;
          int p;
          return "while (" + code(*n.elements[1], p) + ") " + code(*n.elements[2], p);
        }
        if (f == "repeat" && nargs == 1) {
          prec = kPrecLow;
          int p;
          return "repeat " + code(*n.elements[1], p);
        }
        if ((f == "break" || f == "next") && nargs == 0) return f;
        if (f == "function" && (nargs == 2 || nargs == 3)) {
          prec = kPrecLow;
          std::string out = "function(";
          const RObject& formals = *n.elements[1];
          for (size_t i = 0; i < formals.elements.size(); ++i) {
            out += (i ? ", " : "") + name_code(i < formals.tags.size() ? formals.tags[i] : "");
            int p;
            if (formals.elements[i] && formals.elements[i]->type != RType::MissingArg)
              out += " = " + code(*formals.elements[i], p);
          }
          int p;
          return out + ") " + code(*n.elements[2], p);
        }
      }
      prec = kPrecPostfix;
      return name_code(f) + "(" + args(n, 1) + ")";
    }
    prec = kPrecPostfix;
    // pkg::f(x), x$f(y): the callee binds tighter than the call.
    return operand(fn, kPrecDollar, false) + "(" + args(n, 1) + ")";
  }
};

// ---- JSON ---------------------------------------------------------------------------------------

class JsonWriter {
 public:
  std::string run(const RObject& root) {
    node(root, nullptr);
    return std::move(out_);
  }

 private:
  void key(const char* k) {
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }

  void character_node(const std::vector<std::optional<std::string>>& v) {
    out_ += "{\"type\":\"character\",\"attributes\":{},\"value\":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out_ += ',';
      if (v[i]) json_string(out_, *v[i]);
      else out_ += "null";
    }
    out_ += "]}";
  }

  void attributes(const std::vector<std::pair<std::string, RPtr>>& attrs, const RObject* owner,
                  const std::vector<std::optional<std::string>>* names_first = nullptr) {
    key("attributes");
    out_ += '{';
    bool first = true;
    if (names_first) {
      json_string(out_, "names");
      out_ += ':';
      character_node(*names_first);
      first = false;
    }
    for (auto& [k, v] : attrs) {
      if (!first) out_ += ',';
      first = false;
      json_string(out_, k);
      out_ += ':';
      if (k == ".Environment" && v && is_environment(*v)) {
        base_namespace();
      } else {
        node(v ? *v : null_, owner);
      }
    }
    out_ += '}';
  }

  static bool is_environment(const RObject& o) {
    return o.type == RType::Environment || o.type == RType::GlobalEnv || o.type == RType::BaseEnv ||
           o.type == RType::EmptyEnv;
  }

  void base_namespace() {
    out_ += "{\"type\":\"namespace\",\"attributes\":{},\"value\":{\"name\":\"base\",\"version\":\"";
    out_ += base_version_;
    out_ += "\"}}";
  }

  void head(const char* type) {
    out_ += "{\"type\":\"";
    out_ += type;
    out_ += "\",";
  }

  void node(const RObject& o, const RObject* closure_env) {
    switch (o.type) {
      case RType::Null: out_ += "{\"type\":\"NULL\"}"; return;
      case RType::GlobalEnv: base_namespace(); return;
      case RType::Namespace:
      case RType::BaseNamespace: {
        head("namespace");
        out_ += "\"attributes\":{},\"value\":{";
        if (o.type == RType::BaseNamespace) {
          out_ += "\"name\":\"base\",\"version\":\"" + base_version_ + "\"";
        } else {
          static const char* keys[] = {"name", "version"};
          for (size_t i = 0; i < o.strings.size() && i < 2; ++i) {
            if (i) out_ += ',';
            json_string(out_, keys[i]);
            out_ += ':';
            json_string(out_, o.strings[i].value_or("NA"));
          }
        }
        out_ += "}}";
        return;
      }
      case RType::Environment:
      case RType::BaseEnv:
      case RType::EmptyEnv:
      case RType::Package:
        head("environment");
        attributes(o.type == RType::Environment ? o.attributes : decltype(o.attributes){}, nullptr);
        out_ += ",\"value\":{}}";
        return;
      case RType::MissingArg: out_ += "{\"type\":\"symbol\",\"attributes\":{},\"value\":[\"\"]}"; return;
      case RType::Symbol:
        head("symbol");
        out_ += "\"attributes\":{},\"value\":[";
        json_string(out_, o.text);
        out_ += "]}";
        return;
      case RType::Language: {
        head("language");
        attributes(o.attributes, nullptr);
        out_ += ",\"value\":[";
        std::string text;
        if (closure_env) {
          RObject copy = qualify_routines(o, *closure_env);
          text = deparse_exact(copy);
        } else {
          text = deparse_exact(o);
        }
        json_string(out_, text);
        out_ += "]}";
        return;
      }
      case RType::Expression: {
        head("expression");
        attributes(o.attributes, nullptr);
        out_ += ",\"value\":[";
        // jsonlite keeps the first expression only (deparse(obj[[1]])).
        if (!o.elements.empty() && o.elements[0]) json_string(out_, deparse_exact(*o.elements[0]));
        out_ += "]}";
        return;
      }
      case RType::Closure: {
        head("closure");
        // jsonlite packs as.list(fn): the formals, then the body; names are the formal names
        // and "" for the body.
        const RObject* formals = o.elements.size() > 0 && o.elements[0] ? o.elements[0].get() : &null_;
        std::vector<std::optional<std::string>> names;
        for (size_t i = 0; i < formals->elements.size(); ++i)
          names.emplace_back(i < formals->tags.size() ? formals->tags[i] : std::string());
        names.emplace_back(std::string());
        attributes({}, nullptr, &names);
        out_ += ",\"value\":[";
        const RObject& env = o.env ? *o.env : null_;
        for (size_t i = 0; i < formals->elements.size(); ++i) {
          node(formals->elements[i] ? *formals->elements[i] : null_, &env);
          out_ += ',';
        }
        node(o.elements.size() > 1 && o.elements[1] ? *o.elements[1] : null_, &env);
        out_ += "]}";
        return;
      }
      case RType::Pairlist: {
        head("pairlist");
        std::vector<std::optional<std::string>> names;
        bool any = false;
        for (size_t i = 0; i < o.elements.size(); ++i) {
          std::string t = i < o.tags.size() ? o.tags[i] : std::string();
          any = any || !t.empty();
          names.emplace_back(t);
        }
        attributes(o.attributes, nullptr, any ? &names : nullptr);
        out_ += ",\"value\":[";
        for (size_t i = 0; i < o.elements.size(); ++i) {
          if (i) out_ += ',';
          node(o.elements[i] ? *o.elements[i] : null_, closure_env);
        }
        out_ += "]}";
        return;
      }
      case RType::List: {
        head("list");
        attributes(o.attributes, nullptr);
        out_ += ",\"value\":[";
        for (size_t i = 0; i < o.elements.size(); ++i) {
          if (i) out_ += ',';
          node(o.elements[i] ? *o.elements[i] : null_, nullptr);
        }
        out_ += "]}";
        return;
      }
      case RType::Logical:
      case RType::Integer:
      case RType::Double:
      case RType::Character:
      case RType::Complex:
      case RType::Raw: atomic(o); return;
      case RType::Builtin:
      case RType::Special: {
        head(o.type == RType::Builtin ? "builtin" : "special");
        out_ += "\"attributes\":{},\"value\":";
        // jsonlite: base64 of serialize(fn, NULL).
        std::string bytes = o.bytes.empty() ? serialize_primitive(o) : std::string(o.bytes.begin(), o.bytes.end());
        json_string(out_, base64(bytes));
        out_ += '}';
        return;
      }
      case RType::ExternalPtr:
        head("externalptr");
        attributes(o.attributes, nullptr);
        out_ += ",\"value\":{}}";
        return;
      case RType::S4: {
        head("S4");
        // jsonlite writes the slots (every attribute but the class, which "value" names).
        std::vector<std::pair<std::string, RPtr>> slots;
        for (auto& a : o.attributes)
          if (a.first != "class") slots.push_back(a);
        attributes(slots, nullptr);
        out_ += ",\"value\":{\"class\":";
        const RObject* cls = o.attr("class");
        json_string(out_, cls && cls->type == RType::Character && !cls->strings.empty() && cls->strings[0]
                              ? *cls->strings[0]
                              : std::string());
        out_ += ",\"package\":";
        const RObject* pkg = cls ? cls->attr("package") : nullptr;
        json_string(out_, pkg && pkg->type == RType::Character && !pkg->strings.empty() && pkg->strings[0]
                              ? *pkg->strings[0]
                              : std::string());
        out_ += "}}";
        return;
      }
      default: throw Error("", "", std::string("jsonlite cannot hold an R object of type ") + rtype_name(o.type));
    }
  }

  void atomic(const RObject& o) {
    static const char* names[] = {"logical", "integer", "double", "character", "complex", "raw"};
    int t = o.type == RType::Logical     ? 0
            : o.type == RType::Integer   ? 1
            : o.type == RType::Double    ? 2
            : o.type == RType::Character ? 3
            : o.type == RType::Complex   ? 4
                                         : 5;
    head(names[t]);
    attributes(o.attributes, nullptr);
    out_ += ",\"value\":";
    if (o.type == RType::Raw) {
      json_string(out_, base64(std::string(o.bytes.begin(), o.bytes.end())));
      out_ += '}';
      return;
    }
    out_ += '[';
    const size_t n = o.length();
    for (size_t i = 0; i < n; ++i) {
      if (i) out_ += ',';
      switch (o.type) {
        case RType::Logical: out_ += o.ints[i] == kNaInteger ? "null" : o.ints[i] ? "true" : "false"; break;
        case RType::Integer: out_ += o.ints[i] == kNaInteger ? "\"NA\"" : std::to_string(o.ints[i]); break;
        case RType::Double: out_ += double_json(o.reals[i]); break;
        case RType::Character:
          if (o.strings[i]) json_string(out_, *o.strings[i]);
          else out_ += "null";
          break;
        case RType::Complex: {
          double re = o.reals[2 * i], im = o.reals[2 * i + 1];
          if (is_na_real(re) || is_na_real(im)) {
            out_ += "\"NA\"";  // as jsonlite: a complex NA keeps neither part
          } else {
            auto part = [](double x) {
              return std::isnan(x) ? std::string("NaN") : std::isinf(x) ? std::string("Inf") : g17(x);
            };
            out_ += std::string("\"") + (re < 0 ? "-" : "") + part(std::fabs(re)) + (std::signbit(im) ? "-" : "+") +
                    part(std::fabs(im)) + "i\"";
          }
          break;
        }
        default: break;
      }
    }
    out_ += "]}";
  }

  static std::string double_json(double v) {
    if (is_na_real(v)) return "\"NA\"";
    if (std::isnan(v)) return "\"NaN\"";
    if (std::isinf(v)) return v > 0 ? "\"Inf\"" : "\"-Inf\"";
    if (v == 0 && std::signbit(v)) return "-0.0";  // jsonlite reads "-0" as the integer 0
    return g17(v);
  }

  static std::string base64(const std::string& in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
      out += tbl[v >> 18];
      out += tbl[(v >> 12) & 63];
      out += tbl[(v >> 6) & 63];
      out += tbl[v & 63];
    }
    if (i + 1 == in.size()) {
      uint32_t v = uint8_t(in[i]) << 16;
      out += tbl[v >> 18];
      out += tbl[(v >> 12) & 63];
      out += "==";
    } else if (i + 2 == in.size()) {
      uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
      out += tbl[v >> 18];
      out += tbl[(v >> 12) & 63];
      out += tbl[(v >> 6) & 63];
      out += '=';
    }
    return out;
  }

  // serialize(fn, NULL) of a primitive (XDR, version 3): header, then the BUILTINSXP/SPECIALSXP.
  static std::string serialize_primitive(const RObject& o) {
    std::string s = "X\n";
    auto put = [&](int32_t v) {
      uint32_t u = static_cast<uint32_t>(v);
      s += static_cast<char>(u >> 24);
      s += static_cast<char>(u >> 16);
      s += static_cast<char>(u >> 8);
      s += static_cast<char>(u);
    };
    put(3);
    put(4 * 65536 + 2 * 256 + 2);
    put(3 * 65536 + 5 * 256);
    put(5);
    s += "UTF-8";
    put(o.type == RType::Special ? 7 : 8);
    put(static_cast<int32_t>(o.text.size()));
    s += o.text;
    return s;
  }

  // The namespace a closure's environment chain ends in (as recorded by the .rds reader).
  static std::string closure_namespace(const RObject& env) {
    const RObject* e = &env;
    for (int depth = 0; e && depth < 100; ++depth) {
      if (e->type == RType::Namespace && !e->strings.empty() && e->strings[0]) return *e->strings[0];
      if (e->type == RType::BaseNamespace) return "base";
      if (e->type != RType::Environment) break;
      e = e->env.get();
    }
    return "stats";
  }

  // A copy of `code` where routine symbols passed to .Call & co. are `ns:::name`.
  static RObject qualify_routines(const RObject& code, const RObject& env) {
    RObject copy = code;
    std::string ns;
    qualify(copy, env, ns);
    return copy;
  }
  static void qualify(RObject& n, const RObject& env, std::string& ns) {
    if (n.type != RType::Language) return;
    if (!n.elements.empty() && n.elements[0] && n.elements[0]->type == RType::Symbol && n.elements.size() >= 2 &&
        n.elements[1] && n.elements[1]->type == RType::Symbol) {
      const std::string& f = n.elements[0]->text;
      const std::string& r = n.elements[1]->text;
      if ((f == ".Call" || f == ".External" || f == ".External2" || f == ".C" || f == ".Fortran") &&
          r.rfind("C_", 0) == 0) {
        if (ns.empty()) ns = closure_namespace(env);
        auto sym = [](std::string s) {
          auto p = std::make_shared<RObject>();
          p->type = RType::Symbol;
          p->text = std::move(s);
          return p;
        };
        auto call = std::make_shared<RObject>();
        call->type = RType::Language;
        call->elements = {sym(":::"), sym(ns), sym(r)};
        call->tags = {"", "", ""};
        n.elements[1] = call;
      }
    }
    for (auto& e : n.elements) {
      if (e && e->type == RType::Language) {
        auto c = std::make_shared<RObject>(*e);
        qualify(*c, env, ns);
        e = c;
      }
    }
  }

  std::string out_;
  std::string base_version_ = "4.2.2";
  const RObject null_{};
};

}  // namespace

double r_parser_strtod(const std::string& text) {
  // R_strtod5(str, NULL, '.', FALSE, exact = TRUE) for a plain decimal literal.
  const char* p = text.c_str();
  long double ans = 0.0L;
  int sign = 1;
  if (*p == '-') {
    sign = -1;
    ++p;
  } else if (*p == '+') {
    ++p;
  }
  int expn = 0, ndigits = 0;
  for (; *p >= '0' && *p <= '9'; ++p, ++ndigits) ans = 10 * ans + (*p - '0');
  if (*p == '.')
    for (++p; *p >= '0' && *p <= '9'; ++p, ++ndigits, --expn) ans = 10 * ans + (*p - '0');
  if (*p == 'e' || *p == 'E') {
    int expsign = 1;
    switch (*++p) {
      case '-': expsign = -1; [[fallthrough]];
      case '+': ++p; break;
      default: break;
    }
    int n = 0;
    for (; *p >= '0' && *p <= '9'; ++p) n = n < 9999 ? n * 10 + (*p - '0') : n;
    expn += expsign * n;
  }
  if (ans <= 9007199254740992.0L && expn < 0) {
    if (ndigits < 18) {
      long double p10 = 10., fac = 1.;
      for (int n = -expn; n; n >>= 1, p10 *= p10)
        if (n & 1) fac *= p10;
      ans /= fac;
    } else {
      ans = static_cast<long double>(std::strtod(text.c_str(), nullptr));
      return static_cast<double>(ans);
    }
    return sign * static_cast<double>(ans);
  }
  if (expn < -4 * 15) {
    // R: scales in two steps to avoid underflow.
    long double p10 = 10., fac = 1.;
    int n;
    for (n = -expn, fac = 1.; n; n >>= 1, p10 *= p10)
      if (n & 1) fac *= p10;
    ans /= fac;
  } else if (expn < 0) {
    long double p10 = 10., fac = 1.;
    for (int n = -expn; n; n >>= 1, p10 *= p10)
      if (n & 1) fac *= p10;
    ans /= fac;
  } else if (ans != 0.0L) {
    long double p10 = 10., fac = 1.;
    for (int n = expn; n; n >>= 1, p10 *= p10)
      if (n & 1) fac *= p10;
    ans *= fac;
  }
  return sign * static_cast<double>(ans);
}

std::string deparse_exact(const RObject& node) {
  Deparser d;
  int prec;
  return d.code(node, prec);
}

std::string write_rjson(const RObject& root) { return JsonWriter().run(root); }

}  // namespace mb::r
