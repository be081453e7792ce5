#include "lib/data/csv_reader.hpp"

#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
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

}  // namespace

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

  if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  // The one-pass reader of plain rows needs a delimiter that is none of the bytes it stops at.
  const bool fast = options_.delimiter != '"' && options_.delimiter != '\n' && options_.delimiter != '\r';
  try {
    while (batch.rows < cap) {
      if (fast && pos_ == begin_ && marks_.empty() && state_ == State::FieldStart && fast_row(batch)) continue;
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
