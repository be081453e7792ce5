// jsonlite::serializeJSON reader (see rjson_reader.hpp).
#include "formats/r/serial/rjson_reader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "formats/r/lang/rparse.hpp"
#include "lib/util/limits.hpp"

namespace mb::r {

int shortest_digits(double v) {
  if (v == 0 || !std::isfinite(v)) return 0;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  int digits = 0;
  for (char* p = buf; p < res.ptr && *p != 'e'; ++p)
    if (*p >= '0' && *p <= '9') ++digits;
  return digits;
}

namespace {

using JValue = rapidjson::Value;

const char* json_kind(const JValue& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "?";
}

bool is_identifier(std::string_view k) {
  if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return true;
}

std::string_view sv(const JValue& v) { return std::string_view(v.GetString(), v.GetStringLength()); }

bool decode_base64(std::string_view in, std::vector<uint8_t>& out) {
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    int d;
    if (c >= 'A' && c <= 'Z') d = c - 'A';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
    else if (c >= '0' && c <= '9') d = c - '0' + 52;
    else if (c == '+') d = 62;
    else if (c == '/') d = 63;
    else if (c == '=') {
      ++pad;
      continue;
    } else if (c == '\n' || c == '\r' || c == ' ') continue;
    else return false;
    if (pad) return false;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return pad <= 2;
}

// The function name inside serialize() bytes of a builtin/special (XDR format), or "".
std::string builtin_name(const std::vector<uint8_t>& b) {
  size_t pos = 2;
  auto read_int = [&](int32_t& v) {
    if (pos + 4 > b.size()) return false;
    v = static_cast<int32_t>((uint32_t(b[pos]) << 24) | (uint32_t(b[pos + 1]) << 16) | (uint32_t(b[pos + 2]) << 8) |
                             uint32_t(b[pos + 3]));
    pos += 4;
    return true;
  };
  if (b.size() < 2 || b[0] != 'X' || b[1] != '\n') return "";
  int32_t version, w, m, flags, len;
  if (!read_int(version) || !read_int(w) || !read_int(m)) return "";
  if (version == 3) {
    int32_t n;
    if (!read_int(n) || n < 0 || pos + size_t(n) > b.size()) return "";
    pos += size_t(n);
  }
  if (!read_int(flags) || !read_int(len) || len < 0 || pos + size_t(len) > b.size()) return "";
  if ((flags & 0xFF) != 7 && (flags & 0xFF) != 8) return "";
  return std::string(reinterpret_cast<const char*>(b.data() + pos), size_t(len));
}

bool special_double(std::string_view s, double& out) {
  if (s == "NA") out = na_real();
  else if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
  else if (s == "Inf") out = std::numeric_limits<double>::infinity();
  else if (s == "-Inf") out = -std::numeric_limits<double>::infinity();
  else return false;
  return true;
}

bool parse_plain_double(std::string_view s, double& out) {
  if (special_double(s, out)) return true;
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}

// jsonlite's complex text: "1+2i", "-1.5-0.25i", "1e-05+3i", "NA".
bool parse_complex(std::string_view s, double& re, double& im) {
  if (s == "NA") {
    re = im = na_real();
    return true;
  }
  if (s.size() < 2 || s.back() != 'i') return false;
  std::string_view body = s.substr(0, s.size() - 1);
  for (size_t k = body.size(); k-- > 1;) {
    char c = body[k];
    if ((c == '+' || c == '-') && body[k - 1] != 'e' && body[k - 1] != 'E')
      return parse_plain_double(body.substr(0, k), re) && parse_plain_double(body.substr(k), im);
  }
  return false;
}

// Significant digits, decimals and notation of a JSON number literal.
struct Literal {
  int significant = 0;
  int decimals = 0;
  bool scientific = false;
};
Literal analyse_literal(std::string_view s) {
  Literal lit;
  size_t e = s.find_first_of("eE");
  lit.scientific = e != std::string_view::npos;
  std::string_view mant = s.substr(0, e);
  std::string digits;
  bool after_point = false;
  for (char c : mant) {
    if (c == '.') after_point = true;
    else if (c >= '0' && c <= '9') {
      digits += c;
      if (after_point) ++lit.decimals;
    }
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return lit;
  size_t last = digits.find_last_not_of('0');
  lit.significant = static_cast<int>(last - first + 1);
  return lit;
}

// Forwards SAX events to the document, parsing number literals itself (std::from_chars:
// correctly rounded) so it can judge how many digits the writer kept.
struct NumberHandler {
  rapidjson::Document& doc;
  RjsonDigitStats& stats;

  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned u) { return doc.Uint(u); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t u) { return doc.Uint64(u); }
  bool Double(double d) { return doc.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool StartObject() { return doc.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return doc.EndObject(n); }
  bool StartArray() { return doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc.EndArray(n); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    std::string_view lit(s, n);
    if (lit.find_first_of(".eE") == std::string_view::npos) {
      int64_t i;
      auto [p, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), i);
      if (ec == std::errc() && p == lit.data() + lit.size()) {
        if (i == 0 && lit[0] == '-') return doc.Double(-0.0);
        return doc.Int64(i);
      }
    }
    double d;
    auto [p, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // a finite value the writer rounded past the range (1.79769313486232e+308): keep it finite
      std::string copy(lit);
      d = std::strtod(copy.c_str(), nullptr);
      if (std::isinf(d)) d = std::copysign(std::numeric_limits<double>::max(), d);
    } else if (ec != std::errc() || p != lit.data() + lit.size()) {
      return false;
    }
    if (std::isfinite(d) && !(d == std::trunc(d) && std::fabs(d) < 1e15)) {
      Literal a = analyse_literal(lit);
      ++stats.non_integer;
      stats.max_significant = std::max(stats.max_significant, a.significant);
      if (!a.scientific) stats.max_decimals = std::max(stats.max_decimals, a.decimals);
      if (a.significant >= 16 && (a.scientific || a.decimals >= 16)) ++stats.precise;
    }
    return doc.Double(d);
  }
};

class Converter {
 public:
  Converter(const std::string& file, RjsonDigitStats& stats) : file_(file), stats_(stats) {}

  RPtr node(const JValue& v) {
    if (static_cast<uint64_t>(++depth_) > limits::get(limits::Id::JsonDepth))
      fail("R object nested deeper than " + std::to_string(limits::get(limits::Id::JsonDepth)) +
           " levels (json-depth; raise it with MODELBRIDGE_LIMITS=json-depth=N)");
    RPtr out = convert(v);
    --depth_;
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    std::string p = "$";
    for (auto& s : path_) p += s;
    throw Error(file_, p, message);
  }
  struct Seg {
    Converter& c;
    Seg(Converter& conv, std::string s) : c(conv) { c.path_.push_back(std::move(s)); }
    ~Seg() { c.path_.pop_back(); }
  };
  static std::string key_seg(std::string_view k) {
    if (is_identifier(k)) return "." + std::string(k);
    std::string s = "[\"";
    for (char c : k) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    return s + "\"]";
  }

  const JValue& value_member(const JValue& v, const char* what) {
    auto it = v.FindMember("value");
    if (it == v.MemberEnd()) fail(std::string("expected a \"value\" member (") + what + ")");
    return it->value;
  }
  const JValue& array_value(const JValue& v, const char* what) {
    const JValue& val = value_member(v, what);
    if (!val.IsArray()) {
      Seg s(*this, ".value");
      fail(std::string("expected an array of ") + what + ", found " + json_kind(val));
    }
    return val;
  }

  // Complex parts arrive as strings ("1+2i"); judge them by their shortest repr.
  void note_number(double d) {
    if (!std::isfinite(d) || (d == std::trunc(d) && std::fabs(d) < 1e15)) return;
    ++stats_.non_integer;
    int digits = shortest_digits(d);
    stats_.max_significant = std::max(stats_.max_significant, digits);
    if (digits >= 16) ++stats_.precise;
  }

  void note_language(const RObject& n) {
    if (n.type == RType::Double) {
      for (double d : n.reals) {
        if (!std::isfinite(d) || (d == std::trunc(d) && std::fabs(d) < 1e15)) continue;
        ++stats_.language_numbers;
        int digits = shortest_digits(d);
        if (digits == 15) ++stats_.language_15_digits;
        if (digits > 15) ++stats_.language_over_15;
      }
    }
    for (auto& e : n.elements)
      if (e) note_language(*e);
  }

  std::string joined_lines(const JValue& v, const char* what) {
    const JValue& val = value_member(v, what);
    Seg s(*this, ".value");
    if (val.IsString()) return std::string(sv(val));
    if (!val.IsArray()) fail(std::string("expected an array of strings (") + what + "), found " + json_kind(val));
    std::string text;
    for (rapidjson::SizeType i = 0; i < val.Size(); ++i) {
      if (!val[i].IsString()) {
        Seg e(*this, "[" + std::to_string(i) + "]");
        fail(std::string("expected a string (a line of ") + what + "), found " + json_kind(val[i]));
      }
      if (i) text += '\n';
      text.append(val[i].GetString(), val[i].GetStringLength());
    }
    return text;
  }

  RPtr parse_code(const std::string& text) {
    std::string place = "$";
    for (auto& s : path_) place += s;
    try {
      RPtr e = parse_r_expression(text, file_, place);
      note_language(*e);
      return e;
    } catch (const limits::LimitError&) {
      throw;
    } catch (const Error&) {
      auto o = std::make_shared<RObject>();
      o->type = RType::Language;
      o->text = text;
      o->unparsed = true;
      return o;
    }
  }

  void read_attributes(const JValue& v, RObject& o) {
    auto it = v.FindMember("attributes");
    if (it == v.MemberEnd() || it->value.IsNull()) return;
    Seg s(*this, ".attributes");
    const JValue& a = it->value;
    if (a.IsArray() && a.Empty()) return;
    if (!a.IsObject()) fail(std::string("expected an object of attributes, found ") + json_kind(a));
    for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
      Seg k(*this, key_seg(sv(m->name)));
      o.attributes.emplace_back(std::string(sv(m->name)), node(m->value));
    }
  }

  RPtr convert(const JValue& v) {
    if (!v.IsObject())
      fail(std::string("expected an R object node {\"type\": ..., \"attributes\": ..., \"value\": ...}, found ") +
           json_kind(v));
    auto t = v.FindMember("type");
    if (t == v.MemberEnd()) fail("expected a \"type\" member naming the R type");
    if (!t->value.IsString()) {
      Seg s(*this, ".type");
      fail(std::string("expected the R type as a string, found ") + json_kind(t->value));
    }
    std::string_view type = sv(t->value);
    auto o = std::make_shared<RObject>();
    if (type == "NULL") return o;

    if (type == "language") {
      RPtr e = parse_code(joined_lines(v, "deparsed R code"));
      if (e->type != RType::Language) {  // a call always parses to a call; be safe
        auto l = std::make_shared<RObject>();
        l->type = RType::Language;
        l->text = deparse(*e);
        l->unparsed = true;
        e = l;
      }
      read_attributes(v, *e);
      return e;
    }
    read_attributes(v, *o);
    if (type == "logical") return logical(v, o);
    if (type == "integer") return integer(v, o);
    if (type == "double" || type == "numeric") return real(v, o);
    if (type == "character") return character(v, o);
    if (type == "complex") return complex(v, o);
    if (type == "list" || type == "pairlist") return list(v, o, type == "pairlist");
    if (type == "raw") {
      o->type = RType::Raw;
      const JValue& val = value_member(v, "base64 bytes");
      Seg s(*this, ".value");
      if (!val.IsString()) fail(std::string("expected a base64 string, found ") + json_kind(val));
      if (!decode_base64(sv(val), o->bytes)) fail("expected a base64 string (invalid character or padding)");
      return o;
    }
    if (type == "symbol" || type == "name") {
      std::string name = joined_lines(v, "a symbol name");
      if (name.empty()) {
        o->type = RType::MissingArg;
      } else {
        o->type = RType::Symbol;
        o->text = std::move(name);
      }
      return o;
    }
    if (type == "expression") {
      o->type = RType::Expression;
      o->elements.push_back(parse_code(joined_lines(v, "deparsed R code")));
      return o;
    }
    if (type == "closure") return closure(v, o);
    if (type == "environment") {
      o->type = RType::Environment;
      return o;
    }
    if (type == "externalptr") {
      o->type = RType::ExternalPtr;
      return o;
    }
    if (type == "namespace") {
      o->type = RType::Namespace;
      auto it = v.FindMember("value");
      if (it != v.MemberEnd() && it->value.IsObject()) {
        for (const char* key : {"name", "version"}) {
          auto m = it->value.FindMember(key);
          if (m != it->value.MemberEnd() && m->value.IsString()) o->strings.emplace_back(std::string(sv(m->value)));
        }
        if (!o->strings.empty()) o->text = *o->strings[0];
      }
      return o;
    }
    if (type == "builtin" || type == "special") {
      o->type = type == "builtin" ? RType::Builtin : RType::Special;
      const JValue& val = value_member(v, "base64 serialize() bytes");
      Seg s(*this, ".value");
      if (!val.IsString() || !decode_base64(sv(val), o->bytes))
        fail(std::string("expected a base64 string, found ") + json_kind(val));
      o->text = builtin_name(o->bytes);
      return o;
    }
    if (type == "S4") return s4(v, o);
    // Types jsonlite has no encoding for: it writes a warning text as the value.
    static const std::pair<const char*, RType> opaque[] = {{"promise", RType::Promise},
                                                           {"bytecode", RType::Bytecode},
                                                           {"weakref", RType::WeakRef},
                                                           {"...", RType::Dots},
                                                           {"char", RType::Character}};
    for (auto& [name, rt] : opaque)
      if (type == name) {
        o->type = rt;
        return o;
      }
    Seg s(*this, ".type");
    fail("unknown R type '" + std::string(type) +
         "' (expected NULL, logical, integer, double, complex, character, list, raw, symbol, "
         "language, closure, environment, namespace, externalptr, S4, expression, pairlist, "
         "builtin or special)");
  }

  template <typename F>
  void each(const JValue& arr, F&& f) {
    Seg s(*this, ".value");
    for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
      if (!f(arr[i])) {
        Seg e(*this, "[" + std::to_string(i) + "]");
        f(arr[i], true);
      }
    }
  }

  RPtr logical(const JValue& v, RPtr& o) {
    o->type = RType::Logical;
    const JValue& arr = array_value(v, "logical values");
    o->ints.reserve(arr.Size());
    each(arr, [&](const JValue& x, bool report = false) {
      if (report) fail(std::string("expected true, false or null (NA), found ") + json_kind(x));
      if (x.IsBool()) o->ints.push_back(x.GetBool() ? 1 : 0);
      else if (x.IsNull() || (x.IsString() && sv(x) == "NA")) o->ints.push_back(kNaInteger);
      else return false;
      return true;
    });
    return o;
  }

  RPtr integer(const JValue& v, RPtr& o) {
    o->type = RType::Integer;
    const JValue& arr = array_value(v, "integers");
    o->ints.reserve(arr.Size());
    each(arr, [&](const JValue& x, bool report = false) {
      if (report) fail(std::string("expected an integer or \"NA\", found ") + json_kind(x));
      if (x.IsInt() && x.GetInt() != kNaInteger) o->ints.push_back(x.GetInt());
      else if (x.IsNull() || (x.IsString() && sv(x) == "NA")) o->ints.push_back(kNaInteger);
      else return false;
      return true;
    });
    return o;
  }

  RPtr real(const JValue& v, RPtr& o) {
    o->type = RType::Double;
    const JValue& arr = array_value(v, "numbers");
    o->reals.reserve(arr.Size());
    each(arr, [&](const JValue& x, bool report = false) {
      if (report) fail(std::string("expected a number or \"NA\", \"NaN\", \"Inf\", \"-Inf\", found ") + json_kind(x));
      double d;
      if (x.IsNumber()) {
        d = x.GetDouble();
      } else if (x.IsNull()) {
        d = na_real();
      } else if (!x.IsString() || !special_double(sv(x), d)) {
        return false;
      }
      o->reals.push_back(d);
      return true;
    });
    return o;
  }

  RPtr character(const JValue& v, RPtr& o) {
    o->type = RType::Character;
    const JValue& arr = array_value(v, "strings");
    o->strings.reserve(arr.Size());
    each(arr, [&](const JValue& x, bool report = false) {
      if (report) fail(std::string("expected a string or null (NA), found ") + json_kind(x));
      if (x.IsString()) o->strings.emplace_back(std::string(sv(x)));
      else if (x.IsNull()) o->strings.emplace_back(std::nullopt);
      else return false;
      return true;
    });
    return o;
  }

  RPtr complex(const JValue& v, RPtr& o) {
    o->type = RType::Complex;
    const JValue& arr = array_value(v, "complex numbers");
    each(arr, [&](const JValue& x, bool report = false) {
      if (report) fail(std::string("expected a complex number such as \"1+2i\" or \"NA\", found ") + json_kind(x));
      double re, im = 0;
      if (x.IsNumber()) re = x.GetDouble();
      else if (x.IsNull()) re = im = na_real();
      else if (!x.IsString() || !parse_complex(sv(x), re, im)) return false;
      note_number(re);
      note_number(im);
      o->reals.push_back(re);
      o->reals.push_back(im);
      return true;
    });
    return o;
  }

  RPtr list(const JValue& v, RPtr& o, bool pairlist) {
    o->type = pairlist ? RType::Pairlist : RType::List;
    auto it = v.FindMember("value");
    if (it == v.MemberEnd()) fail("expected a \"value\" member (an array of R object nodes)");
    const JValue& arr = it->value;
    if (!(arr.IsArray() || (arr.IsObject() && arr.MemberCount() == 0))) {
      Seg s(*this, ".value");
      fail(std::string("expected an array of R object nodes, found ") + json_kind(arr));
    }
    if (arr.IsArray()) {
      Seg s(*this, ".value");
      o->elements.reserve(arr.Size());
      for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
        Seg e(*this, "[" + std::to_string(i) + "]");
        o->elements.push_back(node(arr[i]));
      }
    }
    if (pairlist) {
      std::vector<std::string> names = o->names();  // from @names
      o->tags.assign(o->elements.size(), std::string());
      for (size_t i = 0; i < names.size() && i < o->tags.size(); ++i) o->tags[i] = names[i];
      std::erase_if(o->attributes, [](auto& a) { return a.first == "names"; });
      if (o->elements.empty()) o->type = RType::Null;
    }
    return o;
  }

  RPtr closure(const JValue& v, RPtr& o) {
    RPtr parts = std::make_shared<RObject>();
    list(v, parts, false);
    if (parts->elements.empty()) fail("expected the closure's formals and body in \"value\"");
    std::vector<std::string> names = o->names();
    o->type = RType::Closure;
    auto formals = std::make_shared<RObject>();
    size_t nformals = parts->elements.size() - 1;
    if (nformals > 0) {
      formals->type = RType::Pairlist;
      for (size_t i = 0; i < nformals; ++i) {
        formals->elements.push_back(parts->elements[i]);
        formals->tags.push_back(i < names.size() ? names[i] : std::string());
      }
    }
    o->elements = {formals, parts->elements.back()};
    std::erase_if(o->attributes, [](auto& a) { return a.first == "names"; });
    return o;
  }

  RPtr s4(const JValue& v, RPtr& o) {
    o->type = RType::S4;
    auto it = v.FindMember("value");
    if (it == v.MemberEnd() || !it->value.IsObject()) {
      Seg s(*this, ".value");
      fail("expected {\"class\": ..., \"package\": ...} as the value of an S4 object");
    }
    const JValue& val = it->value;
    auto get = [&](const char* key) -> std::optional<std::string> {
      auto m = val.FindMember(key);
      if (m == val.MemberEnd()) return std::nullopt;
      const JValue* x = &m->value;
      if (x->IsArray() && x->Size() == 1) x = &(*x)[0];
      if (!x->IsString()) return std::nullopt;
      return std::string(sv(*x));
    };
    std::optional<std::string> cls = get("class");
    if (!cls) {
      Seg s(*this, ".value.class");
      fail("expected the S4 class name as a string");
    }
    if (!o->attr("class")) {
      RPtr c = make_string(*cls);
      if (auto pkg = get("package")) c->attributes.emplace_back("package", make_string(*pkg));
      o->attributes.emplace_back("class", c);
    }
    return o;
  }

  const std::string& file_;
  RjsonDigitStats& stats_;
  std::vector<std::string> path_;
  int depth_ = 0;
};

std::string_view skip_bom(std::string_view text) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    return text.substr(3);
  return text;
}

}  // namespace

bool looks_like_rjson(std::string_view head) {
  head = skip_bom(head);
  size_t i = 0;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r')) ++i;
  if (i >= head.size() || head[i] != '{') return false;
  return head.substr(i, 256).find("\"type\"") != std::string_view::npos;
}

RPtr read_rjson(std::string_view text, const std::string& file, Warnings& warnings) {
  return read_rjson(text, file, warnings, nullptr);
}

RPtr read_rjson(std::string_view text, const std::string& file, Warnings& warnings, RjsonDigitStats* stats_out) {
  std::string_view body = skip_bom(text);
  size_t bom = text.size() - body.size();
  RjsonDigitStats stats;
  rapidjson::Document doc;
  rapidjson::ParseResult result;
  auto generator = [&](rapidjson::Document& d) {
    NumberHandler handler{d, stats};
    rapidjson::MemoryStream ms(body.data(), body.size());
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(ms, handler);
    return !result.IsError();
  };
  doc.Populate(generator);
  if (result.IsError()) {
    size_t off = bom + result.Offset();
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw Error(file, "line " + std::to_string(line) + ":col " + std::to_string(col),
                std::string("invalid JSON: ") + rapidjson::GetParseError_En(result.Code()));
  }
  Converter conv(file, stats);
  RPtr root = conv.node(doc);
  const char* tail = " and tree split points may have moved; export with 17 digits or read the .rds";
  if (stats.digits_lost()) {
    int sig = stats.max_significant, dec = stats.max_decimals;
    std::string msg;
    if (sig == 15) {
      msg =
          "doubles were written with 15 significant digits (the most jsonlite's serializeJSON "
          "writes); values may differ from the model in R by up to 5e-15 relative,";
    } else {
      // fixed-notation literals are off by at most 5e-(dec+1), others by 5e-sig relative
      msg = "doubles were written with ";
      if (sig <= 15) msg += "at most " + std::to_string(sig) + " significant digits and ";
      msg += "at most " + std::to_string(dec) + " digits after the decimal point";
      if (dec <= 8) msg += " (jsonlite's serializeJSON default, digits = 8)";
      msg += "; values may differ from the model in R by up to ";
      if (sig <= 15) msg += "5e-" + std::to_string(sig) + " relative or ";
      msg += "5e-" + std::to_string(dec + 1) + " absolute,";
    }
    warnings.push_back(Warning{"json-15-digits", file + ": " + msg + tail});
  } else if (stats.language_digits_lost()) {
    warnings.push_back(Warning{
        "json-15-digits", file + ": numbers inside R expressions (such as poly() coefficients in predvars) were "
                                 "deparsed with 15 significant digits; they may differ from the model in R by up to "
                                 "5e-15 relative; deparse with control = \"digits17\" or read the .rds"});
  }
  if (stats_out) *stats_out = stats;
  return root;
}

}  // namespace mb::r
