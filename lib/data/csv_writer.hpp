// Buffered CSV output and the prediction table layout (SPEC "Data files").
//
// - Fields are separated by ',' and rows end with LF.  A text field is quoted when it holds a
//   comma, a quote, CR or LF, or starts or ends with a space or tab; quotes inside are doubled.
//   An empty text field is written empty (it reads back as missing, as it was read).
// - Numbers print in the shortest form that reads back to the same double (std::to_chars without
//   a precision: 3 -> "3", 0.1 -> "0.1", 1e+20 -> "1e+20"); NaN prints "NA"; infinities print
//   "Inf" and "-Inf" (R's spelling; the binder reads them back).
#pragma once
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lib/data/csv_reader.hpp"
#include "lib/eval/batch.hpp"
#include "lib/ir/schema.hpp"

namespace mb::data {

// Writes the shortest round-trip text of `v` (NA, Inf, -Inf for the non-finite) into `dst`,
// which must hold at least kMaxNumberChars bytes; returns the length.
inline constexpr size_t kMaxNumberChars = 32;
size_t format_number(double v, char* dst);
std::string format_number(double v);

// True when `text` must be quoted in CSV output.
bool needs_quotes(std::string_view text);

class CsvWriter {
 public:
  // Writes to `out` (kept by reference) or to a POSIX descriptor; `file` names the output in
  // messages ("-" for standard output).
  explicit CsvWriter(std::ostream& out, std::string file = "-", size_t buffer_bytes = 1 << 20);
  CsvWriter(int fd, std::string file, size_t buffer_bytes = 1 << 20);
  // Appends to `*sink` instead of writing out (a block of rows formatted on a worker thread):
  // rows are formatted straight into it, which grows as needed (flush() has nothing to do).
  explicit CsvWriter(std::string* sink, size_t buffer_bytes = 1 << 16);
  // Flushes what is left; errors at this point are lost, so call flush() first.
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  void field(std::string_view text);  // quoted when needs_quotes()
  void field(double value);           // format_number()
  void end_row();
  // Bytes already formatted as CSV rows (a block from a string-sink writer), copied as they are
  // (a large block is written out from where it is, without a copy into the buffer).
  void raw(std::string_view bytes);
  // Writes the buffer out; throws mb::Error(file, "", "write failed: ...").
  void flush();

 private:
  void separator() {
    if (!row_start_) put(',');
    row_start_ = false;
  }
  void put(char c) {
    if (buf_->size() == buf_->capacity() && !sink_) flush();
    buf_->push_back(c);
  }
  void append(const char* s, size_t n);
  void write_out(const char* p, size_t n);  // to the stream or the descriptor

  std::ostream* out_ = nullptr;
  std::string* sink_ = nullptr;
  int fd_ = -1;
  std::string file_;
  std::string own_;
  std::string* buf_ = &own_;  // own_, or *sink_
  bool row_start_ = true;
};

// Output columns of a prediction table for `target`:
//   regression      prediction [, link]
//   classification  class, probability(<label>) for every class in model order
//   clustering      cluster
std::vector<std::string> prediction_columns(const ir::Target& target, bool want_link);

struct PredictionWriterOptions {
  std::vector<std::string> keep;  // input CSV columns copied first, verbatim text
  bool want_link = false;         // regression: add `link` (Predictions::link must be filled)
};

// Writes one output row per input row, in order.
class PredictionWriter {
 public:
  // `input_header` and `input_file` describe the input CSV (for --keep).  Throws
  // mb::Error(input_file, "line 1", "--keep column 'x' is not in the input (columns present:
  // ...)") for an unknown keep column.
  PredictionWriter(CsvWriter& out, const ir::Target& target, const std::vector<std::string>& input_header,
                   const std::string& input_file, PredictionWriterOptions options = {});

  void write_header();
  // `input` and `pred` describe the same rows.
  void write(const TextBatch& input, const eval::Predictions& pred);

 private:
  void label(int32_t code);

  CsvWriter& out_;
  const ir::Target& target_;
  PredictionWriterOptions options_;
  std::vector<int> keep_columns_;
  std::vector<std::string> columns_;
};

}  // namespace mb::data
