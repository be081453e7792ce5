// Streaming RFC 4180 CSV reader.
//
// Grammar accepted (SPEC "Data files"):
//   file   = [BOM] header *(EOL row) [EOL]
//   row    = field *("," field)          ; "," or the delimiter of CsvReaderOptions
//   field  = quoted / unquoted
//   quoted = '"' *(any char except '"' / '""') '"'       ; may hold commas, CR and LF
//   EOL    = LF / CRLF
// - The header row is required; an empty file is an error.  Header names are kept verbatim
//   (no trimming); duplicate names are an error naming them.
// - A UTF-8 byte order mark at the very start is skipped.
// - The last row may lack its line ending.
// - Every row must have as many fields as the header: "expected K fields, found M" (fields
//   beyond the header's are counted, not kept).  A header of more columns than
//   the columns limit (lib/util/limits) is refused.  Batches hold at most about a million fields.
// - A quote inside an unquoted field is an ordinary character (`ab"c` is the text ab"c).
//   After a closing quote only ',', CR LF, LF or the end of the file may follow.
// - A quote left open at the end of the file is an error naming the line where it opened.
// - Blank lines: with two or more columns a blank line cannot be a row and is skipped; with a
//   single column it is a row whose field is empty (a missing value).
// - A CR not followed by LF inside an unquoted field is an ordinary character.
//
// Rows come in batches (TextBatch) of string_views into the reader's buffer; the views stay
// valid until the next call to next().  Quoted fields are unescaped in place.  The buffer grows
// only when a single row is larger than it, so memory does not grow with the number of rows.
// For standard input, CsvReader(0, "-") reads the descriptor directly (no iostream layer);
// CsvReader(std::cin, "-") works too and is faster after std::ios::sync_with_stdio(false).
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::data {

// One batch of rows, stored by column.  Buffers are reused between batches.
struct TextBatch {
  size_t rows = 0;
  // fields[c][r] for column c and row r (only the first `rows` entries are meaningful).
  std::vector<std::vector<std::string_view>> fields;
  // lines[r]: the 1-based physical line of the file where row r starts (the header is line 1).
  std::vector<uint64_t> lines;
  // quoted[c][r]: the field was quoted, so its text is exact (spaces are part of it).  May be
  // empty (batches built by hand): then no field counts as quoted.
  std::vector<std::vector<uint8_t>> quoted;
  // numbers[c][r]: for the columns asked for with CsvReader::read_numbers(), the field read as
  // a number when it is a plain decimal number (see read_numbers()), else NaN: then the text is
  // to be read.  Empty for the other columns (and for batches built by hand).
  std::vector<std::vector<double>> numbers;

  std::string_view field(size_t row, size_t col) const { return fields[col][row]; }
  bool is_quoted(size_t row, size_t col) const { return col < quoted.size() && quoted[col][row]; }
  std::span<const std::string_view> column(size_t col) const { return {fields[col].data(), rows}; }
};

// Empty field, NA, NaN or N/A (exact spelling, after the caller's trimming).
bool is_missing_token(std::string_view text);

// Removes leading and trailing spaces and tabs.
std::string_view trim_blanks(std::string_view text);

struct CsvReaderOptions {
  size_t buffer_bytes = size_t{1} << 22;  // initial read buffer; grows for a larger row
  size_t batch_rows = 8192;               // most rows per batch
  char delimiter = ',';                   // field separator: ',', ';', '\t', ...
};

// Where bytes come from: an istream (std::cin, files, string streams) or a POSIX descriptor.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes; returns 0 only at the end of the input.  Throws mb::Error on a
  // read failure.
  virtual size_t read(char* dst, size_t n) = 0;
};

class CsvReader {
 public:
  // `file` is the name used in messages ("-" for standard input).  The header row is read here;
  // throws mb::Error for an empty file, a malformed header or duplicate column names.
  CsvReader(std::istream& in, std::string file, CsvReaderOptions options = {});
  CsvReader(int fd, std::string file, CsvReaderOptions options = {});
  // A reader over rows already in memory, with no header row: `rows` is a run of whole rows
  // (a CsvChunker chunk), `header` the file's columns and `first_line` the physical line of
  // the first row, so messages name the same lines as a reader of the whole file.
  CsvReader(std::vector<char> rows, std::string file, std::vector<std::string> header, uint64_t first_line,
            CsvReaderOptions options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  const std::string& file() const { return file_; }
  const std::vector<std::string>& header() const { return header_; }
  size_t columns() const { return header_.size(); }
  char delimiter() const { return options_.delimiter; }
  // Index of the column named `name`, or -1.
  int find_column(std::string_view name) const;

  // Fills `batch` with the next rows (at least one) and returns true, or returns false at the
  // end of the input.  Views from the previous batch become invalid.  Throws mb::Error on a
  // ragged row, a stray character after a closing quote or an unterminated quote; when rows
  // come before such a row in the batch, they are returned and the next call throws.
  bool next(TextBatch& batch);

  // Columns (flags by column index, header order) whose fields the reader reads as numbers on
  // the way, into TextBatch::numbers, in rows of the common shape (fast_row()): a field that is
  // a plain decimal number ('-'? digits ('.' digits)? ([eE] [+-]? at most 3 digits)?, at most
  // 15 digits before the point and 19 in all, no blank, no quote) whose value is exactly one
  // rounding away from its digits (digits at most 2^53, a power of ten at most 10^22, as in
  // Clinger's fast path) gets that value, which is the correctly rounded double of the text,
  // the same bits fast_float and strtod give.  Other fields (and fields within 16 bytes of the
  // start of the buffer or 64 of its end) get NaN, and their text is to be read as before.
  void read_numbers(std::vector<bool> columns);

  uint64_t rows_read() const { return rows_read_; }
  // Bytes of the input taken up by the rows returned so far (header and BOM included); with the
  // size of a regular file it gives the fraction done.
  uint64_t bytes_consumed() const { return bytes_in_ - (end_ - begin_); }

  // Hands the rest of the input over (to a CsvChunker): the bytes read but not yet returned as
  // rows, the source of the bytes after them, the physical line of the next row and the most
  // rows per batch.  The reader returns no more rows afterwards.
  struct Rest {
    std::vector<char> pending;
    ByteSource* source;
    bool eof;
    uint64_t line;
    uint64_t bytes_before;  // bytes of the input before `pending` (header and BOM included)
    size_t batch_rows;
  };
  Rest hand_over();
  // The in-memory reader's buffer, for reuse by the next chunk.
  std::vector<char> release_buffer() { return std::move(buf_); }

 private:
  enum class State : uint8_t { FieldStart, Unquoted, Quoted, QuoteInQuoted };
  struct FieldMark {
    size_t begin, end;  // offsets from the row start, quotes excluded
    bool escaped;       // holds "" pairs to collapse
    bool quoted;
  };
  enum class Scan { Row, NeedMore, End };

  void init();
  bool fill();                                                // compacts and reads more; false at end of input
  Scan scan_row();                                            // advances pos_ over one row
  void commit_row(TextBatch& batch);                          // turns marks_ into views
  bool fast_row(TextBatch& batch);                            // a plain row straight into views, or false to scan it
  void read_row_numbers(TextBatch& batch, size_t row) const;  // its read_numbers() columns
  void no_numbers(TextBatch& batch, size_t row) const;        // NaN in row's read_numbers() columns
  [[noreturn]] void fail(uint64_t line, const std::string& message) const;

  std::unique_ptr<ByteSource> source_;
  std::string file_;
  CsvReaderOptions options_;
  std::vector<std::string> header_;

  std::vector<char> buf_;
  size_t begin_ = 0;  // start of unconsumed data (start of the current row)
  size_t end_ = 0;    // end of valid data
  bool eof_ = false;

  // Resumable scan state of the row starting at begin_.
  size_t pos_ = 0;  // absolute offset of the next byte to scan
  State state_ = State::FieldStart;
  size_t field_begin_ = 0;  // offset from begin_ of the current field's content
  bool field_escaped_ = false;
  bool field_quoted_ = false;
  uint64_t row_newlines_ = 0;  // LFs inside quoted fields of the current row
  uint64_t quote_line_ = 0;    // line where the open quote started
  std::vector<FieldMark> marks_;
  std::vector<bool> numeric_;         // read_numbers(): by column, or empty
  std::vector<size_t> numeric_list_;  // the columns it names
  // An error met after some rows of a batch: those rows are handed out first, so that an
  // earlier row's own error (a field that is no number, found when the caller binds the batch)
  // is reported before it, as in file order; the next call throws it.
  std::exception_ptr pending_;
  size_t max_fields_ = 0;    // the columns limit while reading the header, then its width
  size_t extra_fields_ = 0;  // fields of the current row beyond max_fields_ (not marked)
  size_t row_end_ = 0;       // offset from begin_ where the row's text ends (before EOL)

  uint64_t line_ = 1;  // physical line where the current row starts
  uint64_t rows_read_ = 0;
  uint64_t bytes_in_ = 0;  // bytes read from the source so far
};

}  // namespace mb::data
