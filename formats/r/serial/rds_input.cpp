// Primitive input of an R serialization stream: XDR (big-endian), native binary (little-endian)
// and ASCII (numbers as text, strings with C escapes).
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "formats/r/serial/rds_internal.hpp"

namespace mb::r::rds {
namespace {

bool is_space(int c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

uint32_t load32(const char* p, bool big_endian) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if ((std::endian::native == std::endian::big) != big_endian) v = __builtin_bswap32(v);
  return v;
}
uint64_t load64(const char* p, bool big_endian) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if ((std::endian::native == std::endian::big) != big_endian) v = __builtin_bswap64(v);
  return v;
}

std::string printable(std::string_view w) {
  std::string s;
  for (char c : w.substr(0, 40)) s += (c >= 32 && c < 127) ? c : '?';
  return s;
}

}  // namespace

std::string_view Input::raw_bytes(size_t n, const char* what) {
  if (n > remaining())
    fail("truncated stream: expected " + std::to_string(n) + " bytes for " + what + ", " + std::to_string(remaining()) +
         " left");
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

int Input::next_char(const char* what) {
  if (pos_ >= data_.size()) fail(std::string("truncated stream: expected ") + what);
  return static_cast<unsigned char>(data_[pos_++]);
}

std::string_view Input::word(const char* what) {
  while (pos_ < data_.size() && is_space(static_cast<unsigned char>(data_[pos_]))) ++pos_;
  size_t start = pos_;
  while (pos_ < data_.size() && !is_space(static_cast<unsigned char>(data_[pos_]))) ++pos_;
  if (pos_ == start) fail(std::string("truncated stream: expected ") + what);
  if (pos_ - start > 127) fail_at(start, std::string("expected ") + what + ", found an overlong word");
  return data_.substr(start, pos_ - start);
}

int32_t Input::read_int(const char* what) {
  if (format_ != Format::Ascii) {
    std::string_view b = raw_bytes(4, what);
    return static_cast<int32_t>(load32(b.data(), format_ == Format::Xdr));
  }
  size_t start = pos_;
  std::string_view w = word(what);
  if (w == "NA") return kNaInteger;
  int32_t v = 0;
  auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (ec != std::errc() || end != w.data() + w.size())
    fail_at(start, std::string("expected an integer for ") + what + ", found '" + printable(w) + "'");
  return v;
}

double Input::read_double(const char* what) {
  if (format_ != Format::Ascii) {
    std::string_view b = raw_bytes(8, what);
    return std::bit_cast<double>(load64(b.data(), format_ == Format::Xdr));
  }
  size_t start = pos_;
  std::string_view w = word(what);
  if (w == "NA") return na_real();
  if (w == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (w == "Inf") return std::numeric_limits<double>::infinity();
  if (w == "-Inf") return -std::numeric_limits<double>::infinity();
  std::string_view t = w;
  bool negative = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    negative = t[0] == '-';
    t.remove_prefix(1);
  }
  auto format = std::chars_format::general;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {  // ascii=NA writes %a
    format = std::chars_format::hex;
    t.remove_prefix(2);
  }
  double v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, format);
  if (ec == std::errc::result_out_of_range && end == t.data() + t.size()) {
    // R's sscanf("%lg") gives +-HUGE_VAL on overflow ("%.16g" of DBL_MAX rounds up) and 0 or
    // a subnormal on underflow; strtod does the same.
    std::string text(w);
    return std::strtod(text.c_str(), nullptr);
  }
  if (ec != std::errc() || end != t.data() + t.size() || t.empty() || t[0] == '-' || t[0] == '+')
    fail_at(start, std::string("expected a number for ") + what + ", found '" + printable(w) + "'");
  return negative ? -v : v;
}

void Input::read_ints(int32_t* out, size_t n, const char* what) {
  if (format_ == Format::Ascii) {
    for (size_t i = 0; i < n; ++i) out[i] = read_int(what);
    return;
  }
  std::string_view b = raw_bytes(4 * n, what);
  bool xdr = format_ == Format::Xdr;
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(load32(b.data() + 4 * i, xdr));
}

void Input::read_doubles(double* out, size_t n, const char* what) {
  if (format_ == Format::Ascii) {
    for (size_t i = 0; i < n; ++i) out[i] = read_double(what);
    return;
  }
  std::string_view b = raw_bytes(8 * n, what);
  bool xdr = format_ == Format::Xdr;
  for (size_t i = 0; i < n; ++i) out[i] = std::bit_cast<double>(load64(b.data() + 8 * i, xdr));
}

void Input::read_raw(uint8_t* out, size_t n) {
  if (format_ != Format::Ascii) {
    std::string_view b = raw_bytes(n, "raw vector bytes");
    if (n) std::memcpy(out, b.data(), n);
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    size_t start = pos_;
    std::string_view w = word("a raw byte in hexadecimal");
    unsigned v = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + std::min<size_t>(w.size(), 2), v, 16);
    if (ec != std::errc() || end == w.data())
      fail_at(start, "expected a raw byte in hexadecimal, found '" + printable(w) + "'");
    out[i] = static_cast<uint8_t>(v);
  }
}

std::string Input::read_string(size_t n, const char* what) {
  if (format_ != Format::Ascii) return std::string(raw_bytes(n, what));
  std::string s;
  if (n == 0) return s;
  while (pos_ < data_.size() && is_space(static_cast<unsigned char>(data_[pos_]))) ++pos_;
  s.reserve(std::min(n, remaining()));
  for (size_t i = 0; i < n; ++i) {
    int c = next_char(what);
    if (c != '\\') {
      s += static_cast<char>(c);
      continue;
    }
    c = next_char(what);
    switch (c) {
      case 'n': s += '\n'; break;
      case 't': s += '\t'; break;
      case 'v': s += '\v'; break;
      case 'b': s += '\b'; break;
      case 'r': s += '\r'; break;
      case 'f': s += '\f'; break;
      case 'a': s += '\a'; break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        int d = 0;
        for (int j = 0; j < 3 && c >= '0' && c < '8'; ++j) {
          d = d * 8 + (c - '0');
          if (j == 2 || pos_ >= data_.size()) break;
          int next = static_cast<unsigned char>(data_[pos_]);
          if (next < '0' || next >= '8') break;
          c = next;
          ++pos_;
        }
        s += static_cast<char>(d);
        break;
      }
      default: s += static_cast<char>(c);  // \\ \? \' \" and anything else: the character itself
    }
  }
  return s;
}

}  // namespace mb::r::rds
