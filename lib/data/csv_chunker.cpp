#include "lib/data/csv_chunker.hpp"

#include <algorithm>
#include <cstring>

namespace mb::data {

CsvChunker::CsvChunker(CsvReader& reader, size_t chunk_bytes) : chunk_bytes_(std::max<size_t>(chunk_bytes, 1)) {
  CsvReader::Rest rest = reader.hand_over();
  source_ = rest.source;
  buf_ = std::move(rest.pending);
  end_ = buf_.size();
  eof_ = rest.eof;
  line_ = rest.line;
  offset_ = rest.bytes_before;
  rows_ = std::max<size_t>(rest.batch_rows, 1);
  delim_ = reader.delimiter();
  if (buf_.size() < 2 * chunk_bytes_) buf_.resize(2 * chunk_bytes_);
}

bool CsvChunker::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    pos_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  const size_t got = source_->read(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool CsvChunker::next(CsvChunk& chunk) {
  size_t cut = 0;  // absolute offset of the cut, 0 while none is found
  while (cut == 0) {
    const char* b = buf_.data();
    while (pos_ < end_) {
      if (quoted_) {
        const char* q = static_cast<const char*>(std::memchr(b + pos_, '"', end_ - pos_));
        const size_t at = q ? static_cast<size_t>(q - b) : end_;
        quoted_lf_ += static_cast<uint64_t>(std::count(b + pos_, b + at, '\n'));  // line ends inside the field
        if (!q) {
          pos_ = end_;
          break;
        }
        if (at + 1 == end_ && !eof_) {  // "" or a closing quote: the next byte decides
          pos_ = at;
          break;
        }
        if (at + 1 < end_ && b[at + 1] == '"') {
          pos_ = at + 2;
          continue;
        }
        quoted_ = false;
        pos_ = at + 1;
        continue;
      }
      const char* nl = static_cast<const char*>(std::memchr(b + pos_, '\n', end_ - pos_));
      const size_t stop = nl ? static_cast<size_t>(nl - b) : end_;
      // A quote that opens a field (at a row start or after a separator) starts a quoted field;
      // any other quote is an ordinary character.
      size_t p = pos_;
      bool opened = false;
      while (p < stop) {
        const char* q = static_cast<const char*>(std::memchr(b + p, '"', stop - p));
        if (!q) break;
        const size_t at = static_cast<size_t>(q - b);
        if (at == begin_ || b[at - 1] == delim_ || b[at - 1] == '\n') {
          quoted_ = true;
          pos_ = at + 1;
          opened = true;
          break;
        }
        p = at + 1;
      }
      if (opened) continue;
      if (!nl) {
        pos_ = end_;
        break;
      }
      pos_ = stop + 1;
      if (++row_ends_ >= rows_ || pos_ - begin_ >= chunk_bytes_) {
        cut = pos_;
        break;
      }
    }
    if (cut) break;
    if (eof_ || !fill()) {
      if (end_ == begin_) return false;
      cut = end_;  // the rest of the input: the last row without its line end, or an open quote
    }
  }
  chunk.bytes.assign(buf_.data() + begin_, buf_.data() + cut);
  chunk.first_line = line_;
  chunk.first_row = rows_before_;
  rows_before_ += row_ends_;
  line_ += row_ends_ + quoted_lf_;  // every LF of the chunk ends a row or lies in a quoted field
  offset_ += cut - begin_;
  chunk.end_offset = offset_;
  begin_ = pos_ = cut;
  quoted_ = false;
  row_ends_ = 0;
  quoted_lf_ = 0;
  return true;
}

}  // namespace mb::data
