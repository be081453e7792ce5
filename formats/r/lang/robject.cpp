// Helpers of the R object tree (see robject.hpp for the conventions).
#include "formats/r/lang/robject.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "formats/r/lang/rparse.hpp"

#include <cctype>
#include <string_view>

#include "lib/util/error.hpp"

namespace mb::r {

const char* rtype_name(RType t) {
  switch (t) {
    case RType::Null: return "NULL";
    case RType::Symbol: return "symbol";
    case RType::Pairlist: return "pairlist";
    case RType::Closure: return "closure";
    case RType::Environment: return "environment";
    case RType::Promise: return "promise";
    case RType::Language: return "language";
    case RType::Special: return "special";
    case RType::Builtin: return "builtin";
    case RType::Logical: return "logical";
    case RType::Integer: return "integer";
    case RType::Double: return "double";
    case RType::Complex: return "complex";
    case RType::Character: return "character";
    case RType::Dots: return "...";
    case RType::List: return "list";
    case RType::Expression: return "expression";
    case RType::Bytecode: return "bytecode";
    case RType::ExternalPtr: return "externalptr";
    case RType::WeakRef: return "weakref";
    case RType::Raw: return "raw";
    case RType::S4: return "S4";
    case RType::Namespace: return "namespace";
    case RType::Package: return "package";
    case RType::Persist: return "persist";
    case RType::GlobalEnv: return "environment";
    case RType::BaseEnv: return "environment";
    case RType::EmptyEnv: return "environment";
    case RType::BaseNamespace: return "namespace";
    case RType::MissingArg: return "missing argument";
    case RType::UnboundValue: return "unbound value";
  }
  return "unknown";
}

namespace {

std::vector<std::string> strings_of(const RObject* o) {
  std::vector<std::string> out;
  if (!o) return out;
  if (o->type == RType::Character) {
    out.reserve(o->strings.size());
    for (auto& s : o->strings) out.push_back(s ? *s : std::string());
  } else if (o->type == RType::Symbol) {
    out.push_back(o->text);
  }
  return out;
}

[[noreturn]] void fail_index(const RObject& o, size_t i, const char* what) {
  throw Error("", "[" + std::to_string(i) + "]",
              std::string("expected ") + what + " at index " + std::to_string(i) + " of a " + rtype_name(o.type) +
                  " of length " + std::to_string(o.length()));
}

bool is_syntactic_name(std::string_view s) {
  if (s.empty()) return false;
  unsigned char c0 = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(c0) || c0 == '.' || c0 >= 0x80)) return false;
  if (c0 == '.' && s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1]))) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || c == '.' || c == '_' || c >= 0x80)) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> RObject::classes() const { return strings_of(attr("class")); }

bool RObject::inherits(const std::string& cls) const {
  const RObject* c = attr("class");
  if (!c || c->type != RType::Character) return false;
  for (auto& s : c->strings)
    if (s && *s == cls) return true;
  return false;
}

std::vector<std::string> RObject::names() const {
  if (type == RType::Pairlist || type == RType::Language || type == RType::Dots) {
    if (const RObject* n = attr("names")) return strings_of(n);
    return tags;
  }
  return strings_of(attr("names"));
}

const RObject* RObject::get(const std::string& name) const {
  const RPtr* p = get_ptr(name);
  return p ? p->get() : nullptr;
}

const RPtr* RObject::get_ptr(const std::string& name) const {
  if (type != RType::List && type != RType::Pairlist && type != RType::Expression && type != RType::Language &&
      type != RType::Dots)
    return nullptr;
  std::vector<std::string> n = names();
  for (size_t i = 0; i < n.size() && i < elements.size(); ++i)
    if (n[i] == name) return &elements[i];
  return nullptr;
}

size_t RObject::length() const {
  switch (type) {
    case RType::Null: return 0;
    case RType::Logical:
    case RType::Integer: return ints.size();
    case RType::Double: return reals.size();
    case RType::Complex: return reals.size() / 2;
    case RType::Character: return strings.size();
    case RType::Raw: return bytes.size();
    case RType::List:
    case RType::Expression:
    case RType::Pairlist:
    case RType::Language:
    case RType::Dots: return elements.size();
    case RType::Environment:
    case RType::GlobalEnv:
    case RType::BaseEnv:
    case RType::EmptyEnv:
    case RType::Namespace:
    case RType::BaseNamespace: return 0;
    default: return 1;
  }
}

double RObject::number(size_t i) const {
  switch (type) {
    case RType::Double:
      if (i < reals.size()) return reals[i];
      break;
    case RType::Integer:
    case RType::Logical:
      if (i < ints.size()) return ints[i] == kNaInteger ? na_real() : static_cast<double>(ints[i]);
      break;
    default: fail_index(*this, i, "a number");
  }
  fail_index(*this, i, "a number");
}

std::vector<double> RObject::numbers() const {
  if (type == RType::Double) return reals;
  std::vector<double> out;
  if (type == RType::Integer || type == RType::Logical) {
    out.reserve(ints.size());
    for (int32_t v : ints) out.push_back(v == kNaInteger ? na_real() : static_cast<double>(v));
    return out;
  }
  if (type == RType::Null) return out;
  throw Error("", "", std::string("expected a numeric vector, found ") + rtype_name(type));
}

const std::string& RObject::str(size_t i) const {
  if (type != RType::Character) fail_index(*this, i, "a string");
  if (i >= strings.size()) fail_index(*this, i, "a string");
  if (!strings[i]) fail_index(*this, i, "a string (not NA)");
  return *strings[i];
}

std::vector<std::string> RObject::levels() const {
  if (!inherits("factor")) return {};
  return strings_of(attr("levels"));
}

std::vector<int32_t> RObject::dim() const {
  const RObject* d = attr("dim");
  if (!d) return {};
  if (d->type == RType::Integer) return d->ints;
  std::vector<int32_t> out;
  if (d->type == RType::Double)
    for (double v : d->reals)  // a dimension that is no int: -1, which every caller refuses
      out.push_back(v >= 0 && v <= 2147483647.0 ? static_cast<int32_t>(v) : -1);
  return out;
}

std::string path_join(const std::string& base, const std::string& child) {
  if (child.empty()) return base;
  char c = child[0];
  if (c == '$' || c == '@' || c == '[') return base + child;
  if (is_syntactic_name(child)) return base + "$" + child;
  std::string quoted = "`";
  for (char ch : child) {
    if (ch == '`' || ch == '\\') quoted += '\\';
    quoted += ch;
  }
  return base + "$" + quoted + "`";
}

// ---- node constructors (declared in rparse.hpp) ---------------------------------------

RPtr make_symbol(std::string name) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Symbol;
  o->text = std::move(name);
  return o;
}
RPtr make_missing_arg() {
  auto o = std::make_shared<RObject>();
  o->type = RType::MissingArg;
  return o;
}
RPtr make_double(double v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Double;
  o->reals.push_back(v);
  return o;
}
RPtr make_integer(int32_t v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Integer;
  o->ints.push_back(v);
  return o;
}
RPtr make_logical(int32_t v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Logical;
  o->ints.push_back(v);
  return o;
}
RPtr make_string(std::optional<std::string> v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Character;
  o->strings.push_back(std::move(v));
  return o;
}
RPtr make_call(RPtr function, std::vector<RPtr> args, std::vector<std::string> tags) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Language;
  o->elements.reserve(args.size() + 1);
  o->elements.push_back(std::move(function));
  for (auto& a : args) o->elements.push_back(std::move(a));
  o->tags.assign(o->elements.size(), std::string());
  for (size_t i = 0; i < tags.size() && i + 1 < o->tags.size(); ++i) o->tags[i + 1] = tags[i];
  return o;
}

// ---- deparse and s-expressions ------------------------------------------------------------

namespace {

// A name deparse writes without backquotes: a syntactic name that is not a reserved word.
bool syntactic(const std::string& s) {
  static const char* reserved[] = {"if",   "else",  "repeat",      "while",    "function",      "for",
                                   "next", "break", "TRUE",        "FALSE",    "NULL",          "Inf",
                                   "NaN",  "NA",    "NA_integer_", "NA_real_", "NA_character_", "in"};
  if (s.empty()) return false;
  for (const char* r : reserved)
    if (s == r) return false;
  return s == "..." || is_syntactic_name(s);
}

std::string quote_string(const std::string& s, char q) {
  std::string out(1, q);
  for (char ch : s) {
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (ch == q) out += '\\';
        out += ch;
    }
  }
  out += q;
  return out;
}

std::string symbol_text(const std::string& s) { return syntactic(s) ? s : quote_string(s, '`'); }

// R's formatReal with 15 significant digits: fewest digits that keep the 15-digit value,
// fixed notation unless scientific is narrower.
std::string format_double15(double v) {
  if (is_na_real(v)) return "NA_real_";
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  if (v == 0) return "0";
  char ref[64], buf[64];
  std::snprintf(ref, sizeof ref, "%.14e", v);
  double target = std::strtod(ref, nullptr);
  int digits = 15;
  for (int d = 1; d <= 15; ++d) {
    std::snprintf(buf, sizeof buf, "%.*e", d - 1, v);
    if (std::strtod(buf, nullptr) == target) {
      digits = d;
      break;
    }
  }
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
  int e10 = std::atoi(std::strchr(buf, 'e') + 1);
  bool neg = v < 0;
  int decimals = std::max(0, digits - 1 - e10);
  int fixed_width = (neg ? 1 : 0) + (e10 >= 0 ? e10 + 1 : 1) + (decimals > 0 ? decimals + 1 : 0);
  int sci_width = (neg ? 1 : 0) + digits + (digits > 1 ? 1 : 0) + (std::abs(e10) >= 100 ? 5 : 4);
  if (fixed_width <= sci_width) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);  // "1.5e-05" like R
  return buf;
}

std::string constant_text(const RObject& n, size_t i) {
  switch (n.type) {
    case RType::Double: return format_double15(n.reals[i]);
    case RType::Integer: return n.ints[i] == kNaInteger ? "NA_integer_" : std::to_string(n.ints[i]) + "L";
    case RType::Logical: return n.ints[i] == kNaInteger ? "NA" : n.ints[i] ? "TRUE" : "FALSE";
    case RType::Character: return n.strings[i] ? quote_string(*n.strings[i], '"') : "NA_character_";
    case RType::Complex: return format_double15(n.reals[2 * i]) + "+" + format_double15(n.reals[2 * i + 1]) + "i";
    default: return "";
  }
}

bool spaced_binary(const std::string& f) {
  static const char* ops[] = {"+",  "-", "*",  "==", "!=", "<",   ">", "<=", ">=", "&",
                              "&&", "|", "||", "~",  "<-", "<<-", "=", "?",  "|>", ":="};
  for (const char* o : ops)
    if (f == o) return true;
  return f.size() >= 2 && f.front() == '%' && f.back() == '%';
}
bool tight_binary(const std::string& f) {
  return f == "^" || f == "/" || f == ":" || f == "$" || f == "@" || f == "::" || f == ":::";
}

std::string deparse_args(const RObject& n, size_t from) {
  std::string out;
  for (size_t i = from; i < n.elements.size(); ++i) {
    if (i > from) out += ", ";
    if (i < n.tags.size() && !n.tags[i].empty()) {
      out += symbol_text(n.tags[i]);
      out += " = ";
    }
    out += deparse(*n.elements[i]);
  }
  return out;
}

}  // namespace

std::string deparse(const RObject& n) {
  switch (n.type) {
    case RType::Null: return "NULL";
    case RType::MissingArg: return "";
    case RType::Symbol: return symbol_text(n.text);
    case RType::Double:
    case RType::Integer:
    case RType::Logical:
    case RType::Character:
    case RType::Complex: {
      size_t len = n.length();
      if (len == 1) return constant_text(n, 0);
      std::string out = "c(";
      for (size_t i = 0; i < len; ++i) out += (i ? ", " : "") + constant_text(n, i);
      return out + ")";
    }
    case RType::Language: break;
    default: return std::string("<") + rtype_name(n.type) + ">";
  }
  if (n.unparsed || n.elements.empty()) return n.text;
  const RObject& fn = *n.elements[0];
  size_t nargs = n.elements.size() - 1;
  if (fn.type == RType::Symbol) {
    const std::string& f = fn.text;
    bool untagged = true;
    for (size_t i = 1; i < n.tags.size(); ++i) untagged = untagged && n.tags[i].empty();
    if (untagged && nargs == 2 && spaced_binary(f))
      return deparse(*n.elements[1]) + " " + f + " " + deparse(*n.elements[2]);
    if (untagged && nargs == 2 && tight_binary(f)) return deparse(*n.elements[1]) + f + deparse(*n.elements[2]);
    if (untagged && nargs == 1 && (f == "-" || f == "+" || f == "!" || f == "~" || f == "?"))
      return f + deparse(*n.elements[1]);
    if (f == "(" && nargs == 1) return "(" + deparse(*n.elements[1]) + ")";
    if ((f == "[" || f == "[[") && nargs >= 1)
      return deparse(*n.elements[1]) + f + deparse_args(n, 2) + (f == "[" ? "]" : "]]");
    if (f == "{") {
      std::string out = "{";
      for (size_t i = 1; i < n.elements.size(); ++i) out += (i > 1 ? "; " : " ") + deparse(*n.elements[i]);
      return out + " }";
    }
    if (f == "if" && (nargs == 2 || nargs == 3))
      return "if (" + deparse(*n.elements[1]) + ") " + deparse(*n.elements[2]) +
             (nargs == 3 ? " else " + deparse(*n.elements[3]) : "");
    if (f == "function" && nargs >= 2) {
      std::string out = "function(";
      const RObject& formals = *n.elements[1];
      for (size_t i = 0; i < formals.elements.size(); ++i) {
        out += (i ? ", " : "") + symbol_text(i < formals.tags.size() ? formals.tags[i] : "");
        if (formals.elements[i]->type != RType::MissingArg) out += " = " + deparse(*formals.elements[i]);
      }
      return out + ") " + deparse(*n.elements[2]);
    }
    return symbol_text(f) + "(" + deparse_args(n, 1) + ")";
  }
  return deparse(fn) + "(" + deparse_args(n, 1) + ")";
}

bool constant_numbers(const RObject& n, std::vector<double>& out) {
  if (n.type == RType::Double || n.type == RType::Integer || n.type == RType::Logical) {
    for (size_t i = 0; i < n.length(); ++i) out.push_back(n.number(i));
    return true;
  }
  if (n.type != RType::Language || n.unparsed || n.elements.empty() || n.elements[0]->type != RType::Symbol)
    return false;
  const std::string& f = n.elements[0]->text;
  size_t nargs = n.elements.size() - 1;
  for (size_t i = 1; i < n.tags.size(); ++i)
    if (!n.tags[i].empty()) return false;
  if ((f == "-" || f == "+" || f == "(") && nargs == 1) {
    size_t start = out.size();
    if (!constant_numbers(*n.elements[1], out)) return false;
    if (f == "-")
      for (size_t i = start; i < out.size(); ++i) out[i] = -out[i];
    return true;
  }
  if (f == "c") {
    for (size_t i = 1; i < n.elements.size(); ++i)
      if (!constant_numbers(*n.elements[i], out)) return false;
    return true;
  }
  return false;
}

std::string to_sexpr(const RObject& n) {
  char buf[64];
  auto one = [&](size_t i) -> std::string {
    switch (n.type) {
      case RType::Double:
        if (is_na_real(n.reals[i])) return "NA_real_";
        if (std::isnan(n.reals[i])) return "NaN";
        if (std::isinf(n.reals[i])) return n.reals[i] > 0 ? "Inf" : "-Inf";
        std::snprintf(buf, sizeof buf, "%.17g", n.reals[i]);
        return buf;
      case RType::Integer: return n.ints[i] == kNaInteger ? "NA_integer_" : std::to_string(n.ints[i]) + "L";
      case RType::Logical: return n.ints[i] == kNaInteger ? "NA" : n.ints[i] ? "TRUE" : "FALSE";
      case RType::Character: return n.strings[i] ? quote_string(*n.strings[i], '"') : "NA_character_";
      case RType::Complex:
        std::snprintf(buf, sizeof buf, "%.17g%+.17gi", n.reals[2 * i], n.reals[2 * i + 1]);
        return buf;
      default: return "?";
    }
  };
  switch (n.type) {
    case RType::Null: return "NULL";
    case RType::MissingArg: return "<missing>";
    case RType::Symbol: return n.text;
    case RType::Double:
    case RType::Integer:
    case RType::Logical:
    case RType::Character:
    case RType::Complex: {
      size_t len = n.length();
      if (len == 1) return one(0);
      std::string out = "[";
      for (size_t i = 0; i < len; ++i) out += (i ? " " : "") + one(i);
      return out + "]";
    }
    case RType::Language:
    case RType::Pairlist: {
      if (n.unparsed) return "<unparsed " + n.text + ">";
      std::string out = n.type == RType::Pairlist ? "(pairlist" : "(";
      for (size_t i = 0; i < n.elements.size(); ++i) {
        if (i > 0 || n.type == RType::Pairlist) out += ' ';
        if (i < n.tags.size() && !n.tags[i].empty()) out += n.tags[i] + "=";
        out += to_sexpr(*n.elements[i]);
      }
      return out + ")";
    }
    default: return std::string("<") + rtype_name(n.type) + ">";
  }
}

}  // namespace mb::r
