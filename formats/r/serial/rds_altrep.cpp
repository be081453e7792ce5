// ALTREP objects of base R materialised as ordinary vectors, and the string helpers they need.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "formats/r/serial/rds_internal.hpp"

namespace mb::r::rds {
namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Windows-1252 code points for bytes 0x80..0x9F (0 = undefined, kept as the C1 control).
constexpr uint16_t kCp1252[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                  0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

const char* type_name(RType t) {
  switch (t) {
    case RType::Logical: return "logical";
    case RType::Integer: return "integer";
    case RType::Double: return "double";
    case RType::Complex: return "complex";
    case RType::Character: return "character";
    case RType::Raw: return "raw";
    case RType::List: return "list";
    case RType::Pairlist: return "pairlist";
    case RType::Null: return "NULL";
    default: return "another type";
  }
}

}  // namespace

std::string latin1_to_utf8(std::string_view s, bool cp1252) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char ch : s) {
    auto b = static_cast<unsigned char>(ch);
    uint32_t cp = b;
    if (cp1252 && b >= 0x80 && b < 0xA0 && kCp1252[b - 0x80]) cp = kCp1252[b - 0x80];
    append_utf8(out, cp);
  }
  return out;
}

std::string format_double_as_character(double x, int scipen) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Inf" : "-Inf";
  if (x == 0) return "0";
  char buf[512];  // fixed notation of any double (up to 309 digits before the point, 340 after)
  std::snprintf(buf, sizeof buf, "%.14e", x);  // 15 significant digits, correctly rounded
  const char* p = buf;
  bool negative = *p == '-';
  if (negative) ++p;
  std::string digits;
  for (; *p && *p != 'e'; ++p)
    if (*p >= '0' && *p <= '9') digits += *p;
  int exponent = *p == 'e' ? std::atoi(p + 1) : 0;
  int nsig = static_cast<int>(digits.size());
  while (nsig > 1 && digits[nsig - 1] == '0') --nsig;
  // Widths of fixed and scientific notation as R's formatReal computes them.
  int left = exponent >= 0 ? exponent + 1 : 1;
  int rgt = std::max(0, nsig - exponent - 1);
  // In 64 bits: scipen comes from the file and may be near INT_MAX or INT_MIN.
  const int64_t fixed_width = negative + left + (rgt > 0 ? rgt + 1 : 0);
  const int64_t sci_width = negative + (nsig > 1 ? nsig + 1 : 1) + (std::abs(exponent) >= 100 ? 5 : 4);
  if (fixed_width <= sci_width + static_cast<int64_t>(scipen)) std::snprintf(buf, sizeof buf, "%.*f", rgt, x);
  else std::snprintf(buf, sizeof buf, "%.*e", nsig - 1, x);
  return buf;
}

RPtr Reader::read_altrep() {
  size_t at = in_.offset();
  DepthGuard guard(*this);
  RPtr info = read_item();
  RPtr state_tail;
  RPtr state = read_item(&state_tail);
  size_t attr_at = in_.offset();
  RPtr attr = read_item();
  if (info->type != RType::Pairlist || info->elements.size() < 2 || !info->elements[0] ||
      info->elements[0]->type != RType::Symbol)
    in_.fail_at(at, "expected ALTREP class information (class symbol, package symbol, type)");
  const std::string& cls = info->elements[0]->text;
  std::string package =
      info->elements[1] && info->elements[1]->type == RType::Symbol ? info->elements[1]->text : std::string("?");
  auto fail_state = [&](const std::string& what) { in_.fail_at(at, "ALTREP class '" + cls + "': expected " + what); };

  RPtr result;
  if (cls == "compact_intseq" || cls == "compact_realseq") {
    auto number = [&](size_t i) {
      if (state->type == RType::Double) return state->reals[i];
      return state->ints[i] == kNaInteger ? std::nan("") : static_cast<double>(state->ints[i]);
    };
    size_t len = state->type == RType::Double ? state->reals.size() : state->ints.size();
    if ((state->type != RType::Double && state->type != RType::Integer) || len < 3)
      fail_state("a state vector (length, start, step)");
    double n = number(0), start = number(1), step = number(2);
    if (!(n >= 0) || n > static_cast<double>(limits_.max_altrep_length - altrep_elements_))
      in_.fail_at(at,
                  "ALTREP compact sequence of length " + format_double_as_character(n, 0) +
                      (altrep_elements_ ? " after " + std::to_string(altrep_elements_) + " elements of others" : "") +
                      " exceeds the limit of " + std::to_string(limits_.max_altrep_length) +
                      " elements (altrep-elements; raise it with MODELBRIDGE_LIMITS=altrep-elements=N)");
    if (!std::isfinite(start) || !std::isfinite(step)) fail_state("a finite start and step");
    auto count = static_cast<size_t>(n);
    altrep_elements_ += count;
    if (cls == "compact_intseq") {
      double last = start + step * (n - 1);
      if (count > 0 && (std::abs(start) > 2147483647.0 || std::abs(last) > 2147483647.0))
        fail_state("an integer sequence within the integer range");
      result = make_object(RType::Integer);
      result->ints.resize(count);
      for (size_t i = 0; i < count; ++i) result->ints[i] = static_cast<int32_t>(start + step * static_cast<double>(i));
    } else {
      result = make_object(RType::Double);
      result->reals.resize(count);
      for (size_t i = 0; i < count; ++i) result->reals[i] = start + step * static_cast<double>(i);
    }
  } else if (cls == "deferred_string") {
    if (state->type != RType::Pairlist || state->elements.empty() || !state->elements[0])
      fail_state("a state pairlist (source vector . scipen)");
    const RObject& source = *state->elements[0];
    int scipen = 0;
    if (state_tail && state_tail->type == RType::Integer && !state_tail->ints.empty() &&
        state_tail->ints[0] != kNaInteger)
      scipen = state_tail->ints[0];
    else if (state->elements.size() > 1 && state->elements[1]->type == RType::Integer &&
             !state->elements[1]->ints.empty())
      scipen = state->elements[1]->ints[0];
    result = make_object(RType::Character);
    if (source.type == RType::Integer || source.type == RType::Logical) {
      result->strings.reserve(source.ints.size());
      for (int32_t v : source.ints) {
        if (v == kNaInteger) result->strings.emplace_back(std::nullopt);
        else if (source.type == RType::Logical) result->strings.emplace_back(v ? "TRUE" : "FALSE");
        else result->strings.emplace_back(std::to_string(v));
      }
    } else if (source.type == RType::Double) {
      result->strings.reserve(source.reals.size());
      for (double v : source.reals) {
        if (is_na_real(v)) result->strings.emplace_back(std::nullopt);
        else result->strings.emplace_back(format_double_as_character(v, scipen));
      }
    } else {
      fail_state(std::string("an integer or double source vector, found ") + type_name(source.type));
    }
  } else if (cls.rfind("wrap_", 0) == 0) {
    RType expected;
    if (cls == "wrap_integer") expected = RType::Integer;
    else if (cls == "wrap_logical") expected = RType::Logical;
    else if (cls == "wrap_real") expected = RType::Double;
    else if (cls == "wrap_complex") expected = RType::Complex;
    else if (cls == "wrap_raw") expected = RType::Raw;
    else if (cls == "wrap_string") expected = RType::Character;
    else if (cls == "wrap_list") expected = RType::List;
    else in_.unsupported_at(at, "unsupported ALTREP class '" + cls + "' (package " + package + ")");
    if (state->type != RType::Pairlist || state->elements.empty() || !state->elements[0] ||
        state->elements[0]->type != expected)
      fail_state(std::string("a state pairlist holding a ") + type_name(expected) + " payload");
    result = std::move(state->elements[0]);
  } else {
    in_.unsupported_at(at, "unsupported ALTREP class '" + cls + "' from package '" + package +
                               "': it cannot be materialised without that package");
  }
  result->attributes = to_attributes(std::move(attr), attr_at);
  return result;
}

}  // namespace mb::r::rds
