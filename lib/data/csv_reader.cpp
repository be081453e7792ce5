#include "lib/data/csv_reader.hpp"

#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "lib/util/error.hpp"
#include "lib/util/limits.hpp"

namespace mb::data {

bool is_missing_token(std::string_view t) { return t.empty() || t == "NA" || t == "NaN" || t == "N/A"; }

std::string_view trim_blanks(std::string_view t) {
  size_t b = 0, e = t.size();
  while (b < e && (t[b] == ' ' || t[b] == '\t')) ++b;
  while (e > b && (t[e - 1] == ' ' || t[e - 1] == '\t')) --e;
  return t.substr(b, e - b);
}

namespace {

class IstreamSource : public ByteSource {
 public:
  IstreamSource(std::istream& in, const std::string& file) : in_(in), file_(file) {}
  // Reads straight from the stream buffer: a short count is not taken for the end of the
  // input, only a count of zero is.
  size_t read(char* dst, size_t n) override {
    if (done_) return 0;
    std::streambuf* sb = in_.rdbuf();
    std::streamsize got = 0;
    try {
      got = sb ? sb->sgetn(dst, static_cast<std::streamsize>(n)) : 0;
    } catch (const std::exception& e) {
      throw Error(file_, "", std::string("read failed: ") + e.what());
    }
    if (got <= 0) {
      done_ = true;
      in_.setstate(std::ios::eofbit);
      return 0;
    }
    return static_cast<size_t>(got);
  }

 private:
  std::istream& in_;
  bool done_ = false;
  const std::string& file_;
};

class FdSource : public ByteSource {
 public:
  FdSource(int fd, const std::string& file) : fd_(fd), file_(file) {}
  size_t read(char* dst, size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_, dst, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      throw Error(file_, "", fmt::format("read failed: {}", std::strerror(errno)));
    }
  }

 private:
  int fd_;
  const std::string& file_;
};

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

constexpr uint64_t kPow10u[] = {1,
                                10,
                                100,
                                1000,
                                10000,
                                100000,
                                1000000,
                                10000000,
                                100000000,
                                1000000000,
                                10000000000,
                                100000000000,
                                1000000000000,
                                10000000000000,
                                100000000000000,
                                1000000000000000,
                                10000000000000000,
                                100000000000000000,
                                1000000000000000000,
                                10000000000000000000u};

// Bytes read_plain_number() may look at past its start (a longer text is no plain number).
constexpr size_t kPlainNumberSpan = 64;
// Bytes before its start read_plain_number() reads (ignoring them).
constexpr size_t kPlainNumberBefore = 16;

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// How many of the bytes at p are digits, up to 16 (reads 16 bytes).
inline int leading_digits(const char* p) {
#if defined(__SSE2__)
  const __m128i x = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8('0'));
  const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x);
  return __builtin_ctz(~static_cast<unsigned>(_mm_movemask_epi8(digit)));
#else
  int n = 0;
  while (n < 16 && is_digit(p[n])) ++n;
  return n;
#endif
}

// The value of the n <= 16 digits that end at e (reads the 16 bytes before e): the bytes
// before the digits masked to zero, then pairs, fours and eights of digits combined.
inline uint64_t digits_before(const char* e, int n) {
#if defined(__SSE2__)
  const __m128i index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i keep = _mm_cmpgt_epi8(index, _mm_set1_epi8(static_cast<char>(15 - n)));
  const __m128i d =
      _mm_and_si128(_mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(e - 16)), _mm_set1_epi8('0')), keep);
  const __m128i zero = _mm_setzero_si128();
  const __m128i ten = _mm_setr_epi16(10, 1, 10, 1, 10, 1, 10, 1);
  const __m128i pairs = _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(d, zero), ten),
                                        _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), ten));  // 8 x 0..99
  const __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i eights =
      _mm_madd_epi16(_mm_packs_epi32(fours, fours), _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const auto both = static_cast<uint64_t>(_mm_cvtsi128_si64(eights));  // digits 0-7, digits 8-15
  return (both & 0xFFFFFFFFu) * 100000000u + (both >> 32);
#else
  uint64_t v = 0;
  for (const char* p = e - n; p < e; ++p) v = v * 10 + static_cast<uint64_t>(*p - '0');
  return v;
#endif
}

// Reads a plain decimal number at p (see CsvReader::read_numbers()) and returns the byte after
// it, or nullptr.  Looks at the 16 bytes before p and at most 48 bytes from p: the caller
// makes sure they are in the buffer (kPlainNumberBefore, kPlainNumberSpan).  The value is m * 10^e or m / 10^-e with m
// <= 2^53 and |e| <= 22: both exact doubles, so the one rounding of the product or quotient is the correctly rounded
// value of the text.
inline const char* read_plain_number(const char* p, double& out) {
  const bool negative = *p == '-';
  p += negative;
  const int whole = leading_digits(p);
  if (whole == 0 || whole > 15) return nullptr;
  p += whole;
  uint64_t m = digits_before(p, whole);
  int fraction = 0;
  if (*p == '.') {
    ++p;
    fraction = leading_digits(p);
    // A 20th digit (fraction 16, or more than 19 in all) is left where the caller expects the
    // end of the field, so the field is not taken.
    if (fraction == 0) return nullptr;
    fraction = std::min(fraction, 19 - whole);
    p += fraction;
    m = m * kPow10u[fraction] + digits_before(p, fraction);
  }
  int exponent = 0;
  if (*p == 'e' || *p == 'E') {
    ++p;
    const bool minus = *p == '-';
    p += *p == '-' || *p == '+';
    const char* e = p;
    while (is_digit(*p) && p - e < 4) exponent = exponent * 10 + (*p++ - '0');
    if (p == e || p - e > 3) return nullptr;
    if (minus) exponent = -exponent;
  }
  exponent -= fraction;
  if (m > (uint64_t{1} << 53) || exponent < -22 || exponent > 22) return nullptr;
  double v = static_cast<double>(m);
  v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  out = negative ? -v : v;
  return p;
}

#if defined(__SSE2__)
// read_plain_number() for a field of 1 to 16 bytes without exponent, from one look at its 16
// bytes (and the byte before them, which must be readable): the field must be '-'? digits
// ('.' digits)?.  Its digits are put in the lanes where each weighs its power of ten, the
// whole part taken from a load one byte earlier so that the point drops out, then combined as
// in digits_before().  Returns false for any other field.
inline bool read_short_number(const char* s, size_t len, double& out) {
  const char* e = s + len;
  const __m128i zero_char = _mm_set1_epi8('0');
  const __m128i x = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(e - 16)), zero_char);
  const __m128i shifted = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(e - 17)), zero_char);
  const auto digits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x)));
  const auto points = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.' - '0'))));
  const bool negative = *s == '-';
  const int first = 16 - static_cast<int>(len) + negative;  // lane of the first digit
  if (first > 15) return false;
  const unsigned field = 0xFFFFu & (0xFFFFu << first);
  const unsigned point = points & field;
  if (((digits | point) & field) != field || (point & (point - 1)) != 0) return false;
  const int at = point ? __builtin_ctz(point) : first - 1;  // the point's lane
  if (point && (at == first || at == 15)) return false;     // "-.5", "5.": the full rules
  const int fraction = point ? 15 - at : 0;
  const __m128i index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i after_point = _mm_cmpgt_epi8(index, _mm_set1_epi8(static_cast<char>(at)));
  const __m128i whole = _mm_and_si128(_mm_cmpgt_epi8(index, _mm_set1_epi8(static_cast<char>(first))),
                                      _mm_cmpgt_epi8(_mm_set1_epi8(static_cast<char>(at + 1)), index));
  const __m128i d = _mm_or_si128(_mm_and_si128(x, after_point), _mm_and_si128(shifted, whole));
  const __m128i zero = _mm_setzero_si128();
  const __m128i ten = _mm_setr_epi16(10, 1, 10, 1, 10, 1, 10, 1);
  const __m128i pairs =
      _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(d, zero), ten), _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), ten));
  const __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i eights =
      _mm_madd_epi16(_mm_packs_epi32(fours, fours), _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const auto both = static_cast<uint64_t>(_mm_cvtsi128_si64(eights));
  const uint64_t m = (both & 0xFFFFFFFFu) * 100000000u + (both >> 32);
  if (m > (uint64_t{1} << 53)) return false;
  const double v = static_cast<double>(m) / kPow10[fraction];  // at most 14 fraction digits
  out = negative ? -v : v;
  return true;
}
#endif

}  // namespace

void CsvReader::read_numbers(std::vector<bool> columns) {
  columns.resize(header_.size(), false);
  numeric_list_.clear();
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c]) numeric_list_.push_back(c);
  numeric_ = numeric_list_.empty() ? std::vector<bool>{} : std::move(columns);
}

void CsvReader::no_numbers(TextBatch& batch, size_t row) const {
  for (size_t c : numeric_list_) batch.numbers[c][row] = std::numeric_limits<double>::quiet_NaN();
}

CsvReader::CsvReader(std::istream& in, std::string file, CsvReaderOptions options)
    : file_(std::move(file)), options_(options) {
  source_ = std::make_unique<IstreamSource>(in, file_);
  init();
}

CsvReader::CsvReader(int fd, std::string file, CsvReaderOptions options) : file_(std::move(file)), options_(options) {
  source_ = std::make_unique<FdSource>(fd, file_);
  init();
}

CsvReader::CsvReader(std::vector<char> rows, std::string file, std::vector<std::string> header, uint64_t first_line,
                     CsvReaderOptions options)
    : file_(std::move(file)), options_(options), header_(std::move(header)), buf_(std::move(rows)) {
  end_ = buf_.size();
  bytes_in_ = end_;
  eof_ = true;
  line_ = first_line;
  max_fields_ = header_.size();
  if (options_.batch_rows == 0) options_.batch_rows = 1;
}

CsvReader::Rest CsvReader::hand_over() {
  Rest r;
  r.pending.assign(buf_.data() + begin_, buf_.data() + end_);
  r.source = source_.get();
  r.eof = eof_;
  r.line = line_;
  r.bytes_before = bytes_in_ - (end_ - begin_);
  r.batch_rows = options_.batch_rows;
  begin_ = end_ = pos_ = 0;
  eof_ = true;
  std::vector<char>().swap(buf_);
  return r;
}

CsvReader::~CsvReader() = default;

void CsvReader::fail(uint64_t line, const std::string& message) const {
  throw Error(file_, fmt::format("line {}", line), message);
}

int CsvReader::find_column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return static_cast<int>(i);
  return -1;
}

bool CsvReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    pos_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(std::max<size_t>(buf_.size() * 2, 64));
  size_t got = source_->read(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  bytes_in_ += got;
  return true;
}

void CsvReader::init() {
  if (options_.batch_rows == 0) options_.batch_rows = 1;
  max_fields_ = static_cast<size_t>(std::min<uint64_t>(limits::get(limits::Id::Columns), SIZE_MAX));
  buf_.resize(std::max<size_t>(options_.buffer_bytes, 4));
  while (end_ < 3 && !eof_) fill();
  if (end_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) begin_ = pos_ = 3;

  for (;;) {
    Scan s = scan_row();
    if (s == Scan::End) fail(1, "empty file: a header row is required");
    if (s == Scan::NeedMore) {
      fill();
      continue;
    }
    break;
  }
  if (row_end_ == 0 && marks_.size() == 1) fail(1, "the header row is empty");
  char* row = buf_.data() + begin_;
  for (const FieldMark& m : marks_) {
    std::string name(row + m.begin, m.end - m.begin);
    if (m.escaped) {
      std::string clean;
      for (size_t i = 0; i < name.size(); ++i) {
        clean += name[i];
        if (name[i] == '"') ++i;  // "" -> "
      }
      name = std::move(clean);
    }
    header_.push_back(std::move(name));
  }
  // Rows: no more fields than the header; batches: about a million fields (16 MB of views)
  // whatever the width, so a wide file does not cost 8192 rows of views per column.
  max_fields_ = header_.size();
  options_.batch_rows = std::max<size_t>(1, std::min(options_.batch_rows, (size_t{1} << 20) / header_.size()));
  // Consume the header row.
  begin_ = pos_;
  line_ += 1 + row_newlines_;
  marks_.clear();
  state_ = State::FieldStart;
  row_newlines_ = 0;

  std::vector<std::string> sorted = header_;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> dups;
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] == sorted[i - 1] && (dups.empty() || dups.back() != sorted[i])) dups.push_back(sorted[i]);
  if (!dups.empty()) {
    std::string list;
    for (const auto& d : dups) list += (list.empty() ? "'" : ", '") + d + "'";
    fail(1, "duplicate column names: " + list);
  }
}

// Scans from pos_ to the end of the current row.  On Scan::Row, marks_ holds the row's fields,
// row_end_ the length of its text and pos_ the start of the next row.  On NeedMore the state is
// kept so scanning resumes where it stopped after fill().
CsvReader::Scan CsvReader::scan_row() {
  const char* b = buf_.data();
  const char delim = options_.delimiter;
#if defined(__SSE2__)
  const __m128i sep16 = _mm_set1_epi8(delim), lf16 = _mm_set1_epi8('\n'), cr16 = _mm_set1_epi8('\r');
#endif
  auto push = [&](size_t field_end) {
    // The header cannot have more fields than the columns limit; a row's fields beyond the
    // header's are only counted (for the message), so a hostile line does not grow the marks.
    if (marks_.size() >= max_fields_) {
      if (header_.empty())
        limits::exceeded(limits::Id::Columns, file_, "line 1",
                         fmt::format("a header of more than {} columns", max_fields_));
      ++extra_fields_;
      return;
    }
    marks_.push_back({field_begin_, field_end - begin_, field_escaped_, field_quoted_});
  };
  auto stray = [&](char c) {
    fail(line_ + row_newlines_,
         fmt::format("unexpected character '{}' after a closing quote (expected '{}' or the end of "
                     "the line{})",
                     c == '\r' ? std::string("\\r") : std::string(1, c),
                     delim == '\t' ? std::string("\\t") : std::string(1, delim),
                     delim == ',' && c == ';' ? "; for ';'-separated files use --delimiter ';'" : ""));
  };
  while (pos_ < end_) {
    switch (state_) {
      case State::FieldStart:
        field_escaped_ = false;
        field_quoted_ = b[pos_] == '"';
        if (b[pos_] == '"') {
          state_ = State::Quoted;
          quote_line_ = line_ + row_newlines_;
          ++pos_;
          field_begin_ = pos_ - begin_;
        } else {
          state_ = State::Unquoted;
          field_begin_ = pos_ - begin_;
        }
        break;
      case State::Unquoted: {
        size_t p = pos_;
        while (p < end_) {
#if defined(__SSE2__)
          // Ordinary bytes sixteen at a time: stop at the first separator, LF or CR.
          while (p + 16 <= end_) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + p));
            const __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sep16), _mm_cmpeq_epi8(v, lf16)), _mm_cmpeq_epi8(v, cr16));
            const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
            if (mask) {
              p += static_cast<size_t>(__builtin_ctz(mask));
              break;
            }
            p += 16;
          }
          if (p >= end_) break;
#endif
          char c = b[p];
          if (c == delim) {
            push(p);
            state_ = State::FieldStart;
            pos_ = p + 1;
            goto next_state;
          }
          if (c == '\n') {
            push(p);
            row_end_ = p - begin_;
            pos_ = p + 1;
            state_ = State::FieldStart;
            return Scan::Row;
          }
          if (c == '\r') {
            if (p + 1 == end_) {
              if (!eof_) {
                pos_ = p;
                return Scan::NeedMore;
              }
              push(p);
              row_end_ = p - begin_;
              pos_ = p + 1;
              state_ = State::FieldStart;
              return Scan::Row;
            }
            if (b[p + 1] == '\n') {
              push(p);
              row_end_ = p - begin_;
              pos_ = p + 2;
              state_ = State::FieldStart;
              return Scan::Row;
            }
          }
          ++p;
        }
        pos_ = p;
        break;
      }
      case State::Quoted: {
        const void* q = std::memchr(b + pos_, '"', end_ - pos_);
        size_t stop = q ? static_cast<size_t>(static_cast<const char*>(q) - b) : end_;
        row_newlines_ += static_cast<uint64_t>(std::count(b + pos_, b + stop, '\n'));
        if (q) {
          state_ = State::QuoteInQuoted;
          pos_ = stop + 1;
        } else {
          pos_ = stop;
        }
        break;
      }
      case State::QuoteInQuoted: {
        char c = b[pos_];
        if (c == '"') {
          field_escaped_ = true;
          state_ = State::Quoted;
          ++pos_;
        } else if (c == delim) {
          push(pos_ - 1);
          state_ = State::FieldStart;
          ++pos_;
        } else if (c == '\n') {
          push(pos_ - 1);
          row_end_ = pos_ - begin_;
          ++pos_;
          state_ = State::FieldStart;
          return Scan::Row;
        } else if (c == '\r') {
          if (pos_ + 1 == end_) {
            if (!eof_) return Scan::NeedMore;
            stray(c);
          }
          if (b[pos_ + 1] != '\n') stray(c);
          push(pos_ - 1);
          row_end_ = pos_ - begin_;
          pos_ += 2;
          state_ = State::FieldStart;
          return Scan::Row;
        } else {
          stray(c);
        }
        break;
      }
    }
  next_state:;
  }
  if (!eof_) return Scan::NeedMore;
  // End of input.
  switch (state_) {
    case State::FieldStart:
      if (marks_.empty()) return Scan::End;
      field_begin_ = pos_ - begin_;
      field_escaped_ = false;
      field_quoted_ = false;
      push(pos_);
      break;
    case State::Unquoted: push(pos_); break;
    case State::Quoted:
      fail(quote_line_, fmt::format("unterminated quoted field: the quote opened on line {} is "
                                    "never closed",
                                    quote_line_));
    case State::QuoteInQuoted: push(pos_ - 1); break;
  }
  row_end_ = pos_ - begin_;
  state_ = State::FieldStart;
  return Scan::Row;
}

void CsvReader::commit_row(TextBatch& batch) {
  const size_t k = header_.size();
  const uint64_t line = line_;
  char* row = buf_.data() + begin_;
  const size_t n = marks_.size() + extra_fields_;
  extra_fields_ = 0;
  const bool blank = n == 1 && row_end_ == 0 && k > 1;

  // The row is consumed whatever happens next.
  begin_ = pos_;
  line_ += 1 + row_newlines_;
  row_newlines_ = 0;

  if (blank) {
    marks_.clear();
    return;
  }
  if (n != k) {
    marks_.clear();
    fail(line, fmt::format("expected {} field{}, found {}", k, k == 1 ? "" : "s", n));
  }
  const size_t r = batch.rows;
  for (size_t c = 0; c < k; ++c) {
    const FieldMark& m = marks_[c];
    char* s = row + m.begin;
    size_t len = m.end - m.begin;
    if (m.escaped) {
      size_t w = 0;
      for (size_t i = 0; i < len; ++i) {
        s[w++] = s[i];
        if (s[i] == '"') ++i;  // "" -> "
      }
      len = w;
    }
    batch.fields[c][r] = std::string_view(s, len);
    batch.quoted[c][r] = m.quoted;
  }
  no_numbers(batch, r);
  batch.lines[r] = line;
  batch.rows = r + 1;
  ++rows_read_;
  marks_.clear();
}

// The common row, in one pass: the row at begin_ ends with an LF already in the buffer, holds
// no quote and no CR, and has as many fields as the header (and is not blank).  Its views go
// straight into the batch.  Any other row returns false with nothing consumed, and scan_row()
// reads it by the full grammar (which also makes the error messages).
bool CsvReader::fast_row(TextBatch& batch) {
  const char* b = buf_.data();
  const char delim = options_.delimiter;
  const size_t k = header_.size();
  const size_t r = batch.rows;
  size_t start = begin_, c = 0;
  auto field_end = [&](size_t at) {
    batch.fields[c][r] = std::string_view(b + start, at - start);
    batch.quoted[c][r] = 0;
    ++c;
    start = at + 1;
  };
  // Returns 1 when the row is done, -1 to give up, 0 to go on.
  auto special = [&](size_t at) -> int {
    const char ch = b[at];
    if (ch == delim) {
      if (c + 1 >= k) return -1;
      field_end(at);
      return 0;
    }
    if (ch != '\n' || c + 1 != k || at == begin_) return -1;
    field_end(at);
    batch.lines[r] = line_;
    batch.rows = r + 1;
    ++rows_read_;
    ++line_;
    begin_ = pos_ = at + 1;
    return 1;
  };
  size_t p = begin_;
#if defined(__SSE2__)
  const __m128i sep16 = _mm_set1_epi8(delim), lf16 = _mm_set1_epi8('\n'), cr16 = _mm_set1_epi8('\r'),
                quote16 = _mm_set1_epi8('"');
  for (; p + 16 <= end_; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sep16), _mm_cmpeq_epi8(v, lf16)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr16), _mm_cmpeq_epi8(v, quote16)));
    for (auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit)); mask; mask &= mask - 1) {
      const int done = special(p + static_cast<size_t>(__builtin_ctz(mask)));
      if (done) return done > 0;
    }
  }
#endif
  for (; p < end_; ++p) {
    const char ch = b[p];
    if (ch == delim || ch == '\n' || ch == '\r' || ch == '"') {
      const int done = special(p);
      if (done) return done > 0;
    }
  }
  return false;  // the row goes on past the buffer
}

// The read_numbers() columns of a row fast_row() just read: the fields are known, so each is
// read on its own (not one after the other as the row is cut).  A field that is no plain number,
// or lies too near either end of the buffer for read_plain_number(), gets NaN.
void CsvReader::read_row_numbers(TextBatch& batch, size_t row) const {
  const char* const b = buf_.data();
  for (size_t c : numeric_list_) {
    const std::string_view f = batch.fields[c][row];
    double v = std::numeric_limits<double>::quiet_NaN();
    if (static_cast<size_t>(f.data() - b) >= kPlainNumberBefore && !f.empty()) {
#if defined(__SSE2__)
      if (f.size() <= 16 && read_short_number(f.data(), f.size(), v)) {
        batch.numbers[c][row] = v;
        continue;
      }
#endif
      if (end_ - static_cast<size_t>(f.data() - b) >= kPlainNumberSpan) {
        const char* q = read_plain_number(f.data(), v);
        if (q != f.data() + f.size()) v = std::numeric_limits<double>::quiet_NaN();
      }
    }
    batch.numbers[c][row] = v;
  }
}

bool CsvReader::next(TextBatch& batch) {
  const size_t k = header_.size();
  const size_t cap = options_.batch_rows;
  batch.rows = 0;
  if (batch.fields.size() != k) batch.fields.resize(k);
  for (auto& col : batch.fields)
    if (col.size() < cap) col.resize(cap);
  if (batch.quoted.size() != k) batch.quoted.resize(k);
  for (auto& col : batch.quoted)
    if (col.size() < cap) col.resize(cap);
  if (batch.lines.size() < cap) batch.lines.resize(cap);
  if (numeric_.empty()) {
    batch.numbers.clear();
  } else {
    batch.numbers.resize(k);
    for (size_t c = 0; c < k; ++c) {
      if (!numeric_[c]) batch.numbers[c].clear();
      else if (batch.numbers[c].size() < cap) batch.numbers[c].resize(cap);
    }
  }

  if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  // The one-pass reader of plain rows needs a delimiter that is none of the bytes it stops at.
  const bool fast = options_.delimiter != '"' && options_.delimiter != '\n' && options_.delimiter != '\r';
  // Reading numbers on the way needs a delimiter that cannot be part of a number.
  const bool numbers = fast && !numeric_.empty() && !std::memchr("0123456789.+-eE", options_.delimiter, 15);
  try {
    while (batch.rows < cap) {
      if (fast && pos_ == begin_ && marks_.empty() && state_ == State::FieldStart && fast_row(batch)) {
        if (numbers) read_row_numbers(batch, batch.rows - 1);
        else no_numbers(batch, batch.rows - 1);
        continue;
      }
      Scan s = scan_row();
      if (s == Scan::Row) {
        commit_row(batch);
        continue;
      }
      if (s == Scan::End) return batch.rows > 0;
      // NeedMore: hand out what we have before moving the buffer under its views.
      if (batch.rows > 0) return true;
      fill();
    }
  } catch (const Error&) {
    if (batch.rows == 0) throw;
    pending_ = std::current_exception();  // the rows before it first (file order of errors)
  }
  return true;
}

}  // namespace mb::data
