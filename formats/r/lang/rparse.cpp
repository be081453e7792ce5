// Tokenizer and precedence-climbing parser for deparsed R code (see rparse.hpp).
// Operator precedence and associativity follow R's grammar (gram.y), lowest first:
//   ?  |  =  |  <- <<- :=  (right)  |  -> ->>  |  ~  |  | ||  |  & &&  |  unary !  |
//   == != < > <= >=  |  + -  |  * /  |  %any% |>  |  :  |  unary + -  |  ^ (right)  |
//   $ @  |  :: :::  |  ( [ [[
#include "formats/r/lang/rparse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "lib/util/error.hpp"
#include "lib/util/limits.hpp"

namespace mb::r {

namespace {

enum class Tok : uint8_t {
  End,
  Newline,
  Semi,
  Comma,
  Num,
  Str,
  Sym,
  Op,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  LBB,
  RBracket,
  If,
  Else,
  For,
  While,
  Repeat,
  Function,
  Lambda,
  Break,
  Next,
  In,
};

struct Token {
  Tok kind = Tok::End;
  std::string text;  // symbol name, operator, string contents
  RPtr value;        // constants
  size_t pos = 0;
};

constexpr int kMaxDepth = 500;  // nesting of parentheses, calls and operators

class Parser {
 public:
  Parser(std::string_view code, const std::string& file, const std::string& place)
      : code_(code), file_(file), place_(place) {}

  RPtr run() {
    tokenize();
    skip_separators();
    if (at().kind == Tok::End) fail(at(), "no expression");
    RPtr e = expr(0);
    skip_separators();
    if (at().kind != Tok::End) fail(at(), "more than one expression or unexpected " + describe(at()));
    return e;
  }

 private:
  // ---- diagnostics ------------------------------------------------------------------------
  [[noreturn]] void fail_at(size_t pos, const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < code_.size(); ++i) {
      if (code_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw Error(
        file_, place_,
        "cannot parse R expression: " + what + " at line " + std::to_string(line) + ":col " + std::to_string(col));
  }
  [[noreturn]] void fail(const Token& t, const std::string& what) const { fail_at(t.pos, what); }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::End: return "end of input";
      case Tok::Newline: return "end of line";
      case Tok::Num: return "numeric constant";
      case Tok::Str: return "string constant";
      case Tok::Sym: return "symbol '" + t.text + "'";
      default: return "'" + t.text + "'";
    }
  }

  // ---- tokenizer --------------------------------------------------------------------------
  static bool ident_start(unsigned char c) { return std::isalpha(c) || c == '.' || c >= 0x80; }
  static bool ident_char(unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c >= 0x80; }

  void push(Tok k, std::string text, size_t pos, RPtr value = nullptr) {
    toks_.push_back(Token{k, std::move(text), std::move(value), pos});
  }

  void tokenize() {
    size_t i = 0, n = code_.size();
    while (i < n) {
      unsigned char c = static_cast<unsigned char>(code_[i]);
      size_t start = i;
      if (c == '\n') {
        push(Tok::Newline, "\\n", i);
        ++i;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++i;
        continue;
      }
      if (c == '#') {
        while (i < n && code_[i] != '\n') ++i;
        continue;
      }
      if (std::isdigit(c) || (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(code_[i + 1])))) {
        i = lex_number(i);
        continue;
      }
      if (c == '"' || c == '\'') {
        std::string s = lex_quoted(i, static_cast<char>(c));
        push(Tok::Str, "", start, make_string(std::move(s)));
        continue;
      }
      if (c == '`') {
        std::string s = lex_quoted(i, '`');
        push(Tok::Sym, std::move(s), start);
        continue;
      }
      if (ident_start(c)) {
        while (i < n && ident_char(static_cast<unsigned char>(code_[i]))) ++i;
        std::string word(code_.substr(start, i - start));
        if ((word == "r" || word == "R") && i < n && (code_[i] == '"' || code_[i] == '\'')) {
          std::string s = lex_raw_string(i);
          push(Tok::Str, "", start, make_string(std::move(s)));
          continue;
        }
        keyword(std::move(word), start);
        continue;
      }
      i = lex_operator(i);
    }
    push(Tok::End, "", n);
  }

  void keyword(std::string w, size_t pos) {
    static const std::pair<const char*, Tok> kw[] = {
        {"if", Tok::If},       {"else", Tok::Else},     {"for", Tok::For},
        {"while", Tok::While}, {"repeat", Tok::Repeat}, {"function", Tok::Function},
        {"break", Tok::Break}, {"next", Tok::Next},     {"in", Tok::In}};
    for (auto& [k, t] : kw)
      if (w == k) return push(t, std::move(w), pos);
    RPtr v;
    if (w == "TRUE") v = make_logical(1);
    else if (w == "FALSE") v = make_logical(0);
    else if (w == "NA") v = make_logical(kNaInteger);
    else if (w == "NULL") v = std::make_shared<RObject>();
    else if (w == "Inf") v = make_double(std::numeric_limits<double>::infinity());
    else if (w == "NaN") v = make_double(std::numeric_limits<double>::quiet_NaN());
    else if (w == "NA_real_") v = make_double(na_real());
    else if (w == "NA_integer_") v = make_integer(kNaInteger);
    else if (w == "NA_character_") v = make_string(std::nullopt);
    if (v) return push(Tok::Num, std::move(w), pos, std::move(v));
    push(Tok::Sym, std::move(w), pos);
  }

  size_t lex_number(size_t i) {
    size_t start = i, n = code_.size();
    double value = 0;
    bool hex = code_[i] == '0' && i + 1 < n && (code_[i + 1] == 'x' || code_[i + 1] == 'X');
    if (hex) {
      i += 2;
      size_t digits = 0;
      double mant = 0;
      int exp2 = 0;
      bool dot = false;
      while (i < n) {
        char ch = code_[i];
        int d = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0'
                : (ch >= 'a' && ch <= 'f')                   ? ch - 'a' + 10
                : (ch >= 'A' && ch <= 'F')                   ? ch - 'A' + 10
                                                             : -1;
        if (d >= 0) {
          mant = mant * 16 + d;
          if (dot) exp2 -= 4;
          ++digits;
          ++i;
        } else if (ch == '.' && !dot) {
          dot = true;
          ++i;
        } else {
          break;
        }
      }
      if (digits == 0) fail_at(start, "malformed hexadecimal constant");
      if (i < n && (code_[i] == 'p' || code_[i] == 'P')) {
        size_t j = i + 1;
        int sign = 1;
        if (j < n && (code_[j] == '+' || code_[j] == '-')) sign = code_[j++] == '-' ? -1 : 1;
        int e = 0;
        size_t e0 = j;
        while (j < n && std::isdigit(static_cast<unsigned char>(code_[j])))
          e = std::min(e * 10 + (code_[j++] - '0'), 100000);
        if (j == e0) fail_at(start, "malformed hexadecimal constant");
        exp2 += sign * e;
        i = j;
      }
      value = std::ldexp(mant, exp2);
    } else {
      while (i < n && std::isdigit(static_cast<unsigned char>(code_[i]))) ++i;
      if (i < n && code_[i] == '.') {
        ++i;
        while (i < n && std::isdigit(static_cast<unsigned char>(code_[i]))) ++i;
      }
      if (i < n && (code_[i] == 'e' || code_[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (code_[j] == '+' || code_[j] == '-')) ++j;
        size_t e0 = j;
        while (j < n && std::isdigit(static_cast<unsigned char>(code_[j]))) ++j;
        if (j == e0) fail_at(start, "malformed number");
        i = j;
      }
      std::string_view lit = code_.substr(start, i - start);
      auto [p, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), value);
      if (ec == std::errc::result_out_of_range) {
        // from_chars leaves value untouched: overflow gives Inf, underflow 0 (as R's parser)
        value = lit.find_first_of("eE") != std::string_view::npos && lit.find("e-") == std::string_view::npos &&
                        lit.find("E-") == std::string_view::npos
                    ? std::numeric_limits<double>::infinity()
                    : 0.0;
      } else if (ec != std::errc() || p != lit.data() + lit.size()) {
        fail_at(start, "malformed number");
      }
    }
    RPtr v;
    if (i < n && code_[i] == 'L') {
      ++i;
      if (value == std::floor(value) && std::fabs(value) <= 2147483647.0) v = make_integer(static_cast<int32_t>(value));
      else v = make_double(value);  // R warns and keeps a double
    } else if (i < n && code_[i] == 'i') {
      ++i;
      v = std::make_shared<RObject>();
      v->type = RType::Complex;
      v->reals = {0.0, value};
    } else {
      v = make_double(value);
    }
    if (i < n && ident_char(static_cast<unsigned char>(code_[i]))) fail_at(start, "unexpected symbol after a number");
    push(Tok::Num, std::string(code_.substr(start, i - start)), start, std::move(v));
    return i;
  }

  static void append_utf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Reads up to `max` hex digits at i; returns the count read.
  size_t hex_digits(size_t& i, size_t max, uint32_t& out) const {
    size_t k = 0;
    out = 0;
    while (k < max && i < code_.size() && std::isxdigit(static_cast<unsigned char>(code_[i]))) {
      char ch = code_[i++];
      out = out * 16 + (std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0' : (std::tolower(ch) - 'a' + 10));
      ++k;
    }
    return k;
  }

  std::string lex_quoted(size_t& i, char quote) {
    size_t start = i++;
    std::string s;
    size_t n = code_.size();
    while (true) {
      if (i >= n) fail_at(start, "unterminated string or name");
      char ch = code_[i++];
      if (ch == quote) break;
      if (ch != '\\') {
        s += ch;
        continue;
      }
      if (i >= n) fail_at(start, "unterminated string or name");
      char e = code_[i++];
      switch (e) {
        case 'n': s += '\n'; break;
        case 't': s += '\t'; break;
        case 'r': s += '\r'; break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i < n && code_[i] >= '0' && code_[i] <= '7'; ++k) v = v * 8 + (code_[i++] - '0');
          if (v == 0) fail_at(start, "nul character not allowed");
          s += static_cast<char>(v);
          break;
        }
        case 'a': s += '\a'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'v': s += '\v'; break;
        case 'x': {
          uint32_t v;
          if (hex_digits(i, 2, v) == 0) fail_at(i, "'\\x' used without hex digits");
          if (v == 0) fail_at(start, "nul character not allowed");
          s += static_cast<char>(v);
          break;
        }
        case 'u':
        case 'U': {
          size_t max = e == 'u' ? 4 : 8;
          bool brace = i < n && code_[i] == '{';
          if (brace) ++i;
          uint32_t v;
          if (hex_digits(i, max, v) == 0) fail_at(i, "'\\u' used without hex digits");
          if (brace) {
            if (i >= n || code_[i] != '}') fail_at(i, "invalid \\u{xxxx} sequence");
            ++i;
          }
          append_utf8(s, v);
          break;
        }
        default: s += e; break;  // \\ \" \' \` and R's other literal escapes
      }
    }
    return s;
  }

  // r"(...)", r"[...]", r"{...}" with optional dashes, as in R >= 4.0.
  std::string lex_raw_string(size_t& i) {
    size_t start = i;
    char quote = code_[i++];
    size_t dashes = 0;
    while (i < code_.size() && code_[i] == '-') {
      ++dashes;
      ++i;
    }
    if (i >= code_.size() || (code_[i] != '(' && code_[i] != '[' && code_[i] != '{'))
      fail_at(start, "malformed raw string literal");
    char open = code_[i++];
    char close = open == '(' ? ')' : open == '[' ? ']' : '}';
    std::string terminator(1, close);
    terminator += std::string(dashes, '-');
    terminator += quote;
    size_t end = code_.find(terminator, i);
    if (end == std::string_view::npos) fail_at(start, "unterminated raw string");
    std::string s(code_.substr(i, end - i));
    i = end + terminator.size();
    return s;
  }

  size_t lex_operator(size_t i) {
    static const char* ops[] = {"<<-", "->>", ":::", "<-", "->", "<=", ">=", "==", "!=", "&&", "||",
                                "::",  ":=",  "|>",  "**", "+",  "-",  "*",  "/",  "^",  "<",  ">",
                                "!",   "&",   "|",   "~",  "?",  "=",  ":",  "$",  "@"};
    std::string_view rest = code_.substr(i);
    char c = code_[i];
    switch (c) {
      case '(': push(Tok::LParen, "(", i); return i + 1;
      case ')': push(Tok::RParen, ")", i); return i + 1;
      case '{': push(Tok::LBrace, "{", i); return i + 1;
      case '}': push(Tok::RBrace, "}", i); return i + 1;
      case ']': push(Tok::RBracket, "]", i); return i + 1;
      case ',': push(Tok::Comma, ",", i); return i + 1;
      case ';': push(Tok::Semi, ";", i); return i + 1;
      case '\\': push(Tok::Lambda, "\\", i); return i + 1;
      case '[':
        if (rest.size() > 1 && rest[1] == '[') {
          push(Tok::LBB, "[[", i);
          return i + 2;
        }
        push(Tok::LBracket, "[", i);
        return i + 1;
      case '%': {
        size_t end = code_.find('%', i + 1);
        size_t nl = code_.find('\n', i + 1);
        if (end == std::string_view::npos || (nl != std::string_view::npos && nl < end))
          fail_at(i, "unterminated %operator%");
        push(Tok::Op, std::string(code_.substr(i, end - i + 1)), i);
        return end + 1;
      }
      default: break;
    }
    for (const char* op : ops) {
      std::string_view o(op);
      if (rest.substr(0, o.size()) == o) {
        push(Tok::Op, o == "**" ? std::string("^") : std::string(o), i);
        return i + o.size();
      }
    }
    fail_at(i, std::string("unexpected input '") + c + "'");
  }

  // ---- parser -----------------------------------------------------------------------------
  const Token& at() {
    if (ignore_newlines_)
      while (toks_[pos_].kind == Tok::Newline) ++pos_;
    return toks_[pos_];
  }
  const Token& take() {
    const Token& t = at();
    if (t.kind != Tok::End) ++pos_;
    return t;
  }
  void skip_newlines() {
    while (toks_[pos_].kind == Tok::Newline) ++pos_;
  }
  void skip_separators() {
    while (toks_[pos_].kind == Tok::Newline || toks_[pos_].kind == Tok::Semi) ++pos_;
  }
  void expect(Tok k, const char* what) {
    const Token& t = at();
    if (t.kind != k) fail(t, std::string("expected ") + what + ", found " + describe(t));
    ++pos_;
  }

  struct NewlineMode {
    Parser& p;
    bool saved;
    NewlineMode(Parser& parser, bool ignore) : p(parser), saved(parser.ignore_newlines_) {
      p.ignore_newlines_ = ignore;
    }
    ~NewlineMode() { p.ignore_newlines_ = saved; }
  };
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.fail(p.toks_[p.pos_], "expression nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
  };

  // Binary operator binding powers: {left, right}; right < left+1 means right-associative.
  static bool binary_power(const Token& t, int& lbp, int& rbp) {
    if (t.kind != Tok::Op) return false;
    const std::string& o = t.text;
    auto left = [&](int p) {
      lbp = p;
      rbp = p + 1;
      return true;
    };
    auto right = [&](int p) {
      lbp = p;
      rbp = p;
      return true;
    };
    if (o == "?") return left(1);
    if (o == "=") return right(3);
    if (o == "<-" || o == "<<-" || o == ":=") return right(4);
    if (o == "->" || o == "->>") return left(5);
    if (o == "~") return left(6);
    if (o == "|" || o == "||") return left(7);
    if (o == "&" || o == "&&") return left(8);
    if (o == "==" || o == "!=" || o == "<" || o == ">" || o == "<=" || o == ">=") return left(10);
    if (o == "+" || o == "-") return left(11);
    if (o == "*" || o == "/") return left(12);
    if (o[0] == '%' || o == "|>") return left(13);
    if (o == ":") return left(14);
    if (o == "^") return right(16);
    if (o == "$" || o == "@") return left(17);
    return false;
  }
  static constexpr int kUnaryNot = 9, kUnaryMinus = 15, kPostfix = 19, kLow = 2;

  RPtr expr(int min_bp) {
    DepthGuard guard(*this);
    RPtr lhs = prefix();
    // Each turn of the loop puts lhs one level deeper: a long flat chain (a + b + c ...) is
    // refused here already (parse_r_expression measures the whole tree).
    const uint64_t max_chain = limits::get(limits::Id::ExprDepth);
    for (uint64_t chain = 1;; ++chain) {
      if (chain > max_chain)
        limits::exceeded(
            limits::Id::ExprDepth, file_, place_,
            fmt::format("an R expression nested more than {} deep (at character {})", max_chain, at().pos + 1));
      const Token& t = at();
      if (t.kind == Tok::LParen || t.kind == Tok::LBracket || t.kind == Tok::LBB) {
        if (kPostfix < min_bp) break;
        lhs = postfix(std::move(lhs));
        continue;
      }
      int lbp, rbp;
      if (!binary_power(t, lbp, rbp) || lbp < min_bp) break;
      Token op = take();
      skip_newlines();
      if (op.text == "$" || op.text == "@") {
        const Token& r = take();
        RPtr name;
        if (r.kind == Tok::Sym) name = make_symbol(r.text);
        else if (r.kind == Tok::Str) name = r.value;
        else if (r.kind == Tok::LParen) {
          --pos_;
          name = prefix();
        } else fail(r, "expected a name after '" + op.text + "', found " + describe(r));
        lhs = make_call(make_symbol(op.text), {std::move(lhs), std::move(name)});
        continue;
      }
      RPtr rhs = expr(rbp);
      if (op.text == "->" || op.text == "->>") {
        lhs = make_call(make_symbol(op.text == "->" ? "<-" : "<<-"), {std::move(rhs), std::move(lhs)});
      } else if (op.text == "|>") {
        if (rhs->type != RType::Language || rhs->unparsed) fail(op, "the right side of |> must be a call");
        rhs->elements.insert(rhs->elements.begin() + 1, std::move(lhs));
        rhs->tags.insert(rhs->tags.begin() + 1, std::string());
        lhs = std::move(rhs);
      } else {
        lhs = make_call(make_symbol(op.text), {std::move(lhs), std::move(rhs)});
      }
    }
    return lhs;
  }

  RPtr prefix() {
    const Token& t = take();
    switch (t.kind) {
      case Tok::Num:
      case Tok::Str: {
        if (t.kind == Tok::Str && at().kind == Tok::Op && (at().text == "::" || at().text == ":::"))
          return namespace_get(make_symbol(*t.value->strings[0]));
        return t.value;
      }
      case Tok::Sym: {
        RPtr s = make_symbol(t.text);
        if (at().kind == Tok::Op && (at().text == "::" || at().text == ":::")) return namespace_get(std::move(s));
        return s;
      }
      case Tok::LParen: {
        RPtr inner;
        {
          NewlineMode nl(*this, true);
          inner = expr(0);
          expect(Tok::RParen, "')'");
        }
        return make_call(make_symbol("("), {std::move(inner)});
      }
      case Tok::LBrace: return block();
      case Tok::Op: {
        const std::string& o = t.text;
        int bp;
        if (o == "-" || o == "+") bp = kUnaryMinus;
        else if (o == "!") bp = kUnaryNot;
        else if (o == "~") bp = 6;
        else if (o == "?") bp = 1;
        else fail(t, "unexpected " + describe(t));
        std::string name = o;
        skip_newlines();
        RPtr operand = expr(bp);
        return make_call(make_symbol(name), {std::move(operand)});
      }
      case Tok::Function:
      case Tok::Lambda: return function();
      case Tok::If: return if_expr();
      case Tok::For: {
        RPtr var, seq;
        {
          NewlineMode nl(*this, true);
          expect(Tok::LParen, "'(' after 'for'");
          const Token& v = take();
          if (v.kind != Tok::Sym) fail(v, "expected a loop variable, found " + describe(v));
          var = make_symbol(v.text);
          expect(Tok::In, "'in'");
          seq = expr(0);
          expect(Tok::RParen, "')'");
        }
        skip_newlines();
        RPtr body = expr(kLow);
        return make_call(make_symbol("for"), {std::move(var), std::move(seq), std::move(body)});
      }
      case Tok::While: {
        RPtr cond = paren_condition("while");
        skip_newlines();
        RPtr body = expr(kLow);
        return make_call(make_symbol("while"), {std::move(cond), std::move(body)});
      }
      case Tok::Repeat: {
        skip_newlines();
        RPtr body = expr(kLow);
        return make_call(make_symbol("repeat"), {std::move(body)});
      }
      case Tok::Break: return make_call(make_symbol("break"), {});
      case Tok::Next: return make_call(make_symbol("next"), {});
      default: fail(t, "unexpected " + describe(t));
    }
  }

  RPtr namespace_get(RPtr pkg) {
    Token op = take();
    const Token& r = take();
    RPtr name;
    if (r.kind == Tok::Sym) name = make_symbol(r.text);
    else if (r.kind == Tok::Str) name = make_symbol(*r.value->strings[0]);
    else fail(r, "expected a name after '" + op.text + "'");
    return make_call(make_symbol(op.text), {std::move(pkg), std::move(name)});
  }

  RPtr paren_condition(const char* what) {
    NewlineMode nl(*this, true);
    expect(Tok::LParen, (std::string("'(' after '") + what + "'").c_str());
    RPtr cond = expr(0);
    expect(Tok::RParen, "')'");
    return cond;
  }

  RPtr if_expr() {
    RPtr cond = paren_condition("if");
    skip_newlines();
    RPtr yes = expr(kLow);
    size_t save = pos_;
    skip_newlines();  // R accepts a newline before else inside braces and parentheses
    if (toks_[pos_].kind == Tok::Else) {
      ++pos_;
      skip_newlines();
      RPtr no = expr(kLow);
      return make_call(make_symbol("if"), {std::move(cond), std::move(yes), std::move(no)});
    }
    pos_ = save;
    return make_call(make_symbol("if"), {std::move(cond), std::move(yes)});
  }

  RPtr block() {
    NewlineMode nl(*this, false);
    std::vector<RPtr> body;
    while (true) {
      skip_separators();
      if (toks_[pos_].kind == Tok::RBrace) {
        ++pos_;
        break;
      }
      if (toks_[pos_].kind == Tok::End) fail(toks_[pos_], "expected '}'");
      body.push_back(expr(0));
      const Token& t = toks_[pos_];
      if (t.kind != Tok::Newline && t.kind != Tok::Semi && t.kind != Tok::RBrace) fail(t, "unexpected " + describe(t));
    }
    return make_call(make_symbol("{"), std::move(body));
  }

  RPtr function() {
    auto formals = std::make_shared<RObject>();
    {
      NewlineMode nl(*this, true);
      expect(Tok::LParen, "'(' after 'function'");
      if (at().kind != Tok::RParen) {
        formals->type = RType::Pairlist;
        while (true) {
          const Token& name = take();
          if (name.kind != Tok::Sym) fail(name, "expected a formal argument name, found " + describe(name));
          formals->tags.push_back(name.text);
          if (at().kind == Tok::Op && at().text == "=") {
            take();
            formals->elements.push_back(expr(0));
          } else {
            formals->elements.push_back(make_missing_arg());
          }
          if (at().kind == Tok::Comma) {
            take();
            continue;
          }
          break;
        }
      }
      expect(Tok::RParen, "')'");
    }
    skip_newlines();
    RPtr body = expr(kLow);
    return make_call(make_symbol("function"), {std::move(formals), std::move(body), std::make_shared<RObject>()});
  }

  // f(args), x[args], x[[args]]
  RPtr postfix(RPtr lhs) {
    Token open = take();
    NewlineMode nl(*this, true);
    Tok close = open.kind == Tok::LParen ? Tok::RParen : Tok::RBracket;
    std::vector<RPtr> args;
    std::vector<std::string> tags;
    while (true) {
      const Token& t = at();
      if (t.kind == Tok::Comma || t.kind == Tok::RParen || t.kind == Tok::RBracket) {
        if (t.kind == close || t.kind == Tok::Comma) {
          args.push_back(make_missing_arg());
          tags.emplace_back();
        }
      } else {
        const Token& after = toks_[next_significant(pos_ + 1)];
        bool named =
            (t.kind == Tok::Sym || t.kind == Tok::Str || (t.kind == Tok::Num && t.value->type == RType::Null)) &&
            after.kind == Tok::Op && after.text == "=";
        if (named) {
          std::string tag = t.kind == Tok::Sym   ? t.text
                            : t.kind == Tok::Str ? *t.value->strings[0]
                                                 : std::string("NULL");
          take();
          take();
          const Token& v = at();
          if (v.kind == Tok::Comma || v.kind == close) args.push_back(make_missing_arg());
          else args.push_back(expr(kLow));
          tags.push_back(std::move(tag));
        } else {
          args.push_back(expr(kLow));
          tags.emplace_back();
        }
      }
      const Token& sep = at();
      if (sep.kind == Tok::Comma) {
        take();
        continue;
      }
      if (sep.kind == close) {
        take();
        break;
      }
      fail(sep, "expected ',' or '" + std::string(close == Tok::RParen ? ")" : "]") + "', found " + describe(sep));
    }
    if (open.kind == Tok::LBB) expect(Tok::RBracket, "']]'");
    // f() has no arguments, x[] has one empty argument (as in R).
    if (open.kind == Tok::LParen && args.size() == 1 && args[0]->type == RType::MissingArg && tags[0].empty()) {
      args.clear();
      tags.clear();
    }
    if (open.kind == Tok::LParen) return make_call(std::move(lhs), std::move(args), std::move(tags));
    args.insert(args.begin(), std::move(lhs));
    tags.insert(tags.begin(), std::string());
    return make_call(make_symbol(open.kind == Tok::LBB ? "[[" : "["), std::move(args), std::move(tags));
  }

  size_t next_significant(size_t i) const {
    if (i >= toks_.size()) return toks_.size() - 1;  // the End token
    while (toks_[i].kind == Tok::Newline) ++i;
    return i;
  }

  std::string_view code_;
  const std::string& file_;
  const std::string& place_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  bool ignore_newlines_ = false;
  int depth_ = 0;
};

}  // namespace

namespace {

// Height of an expression tree, measured without recursion (every walk over expressions
// recurses, so the tree's height is what the expr-depth limit bounds).
uint64_t height(const RObject& root) {
  uint64_t best = 0;
  std::vector<std::pair<const RObject*, uint64_t>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [n, d] = stack.back();
    stack.pop_back();
    best = std::max(best, d);
    for (const auto& e : n->elements)
      if (e) stack.push_back({e.get(), d + 1});
    for (const auto& a : n->attributes)
      if (a.second) stack.push_back({a.second.get(), d + 1});
  }
  return best;
}

// Frees a tree too deep for the recursive destructor: children are detached first.
void dismantle(RPtr root) {
  std::vector<RPtr> stack;
  stack.push_back(std::move(root));
  while (!stack.empty()) {
    RPtr n = std::move(stack.back());
    stack.pop_back();
    if (!n || n.use_count() > 1) continue;
    for (auto& e : n->elements) stack.push_back(std::move(e));
    for (auto& a : n->attributes) stack.push_back(std::move(a.second));
  }
}

}  // namespace

RPtr parse_r_expression(std::string_view code, const std::string& file, const std::string& place) {
  Parser p(code, file, place);
  RPtr e = p.run();
  const uint64_t h = height(*e);
  if (h > limits::get(limits::Id::ExprDepth)) {
    dismantle(std::move(e));
    limits::exceeded(limits::Id::ExprDepth, file, place, fmt::format("an R expression nested {} deep", h));
  }
  return e;
}

}  // namespace mb::r
