// Cutting a CSV into chunks of whole rows, for scoring them on several threads.
//
// The chunker takes over a CsvReader right after its header row and returns the rest of the
// input as chunks: byte runs that end at a row end (an LF outside a quoted field) or at the end
// of the input.  A chunk holds at most `batch_rows` row ends, and ends at the first row end at or
// after `chunk_bytes`, so memory per chunk is bounded whatever the file.  The cuts depend on the
// bytes of the input alone (not on how reads return them nor on the number of threads), so the
// batches scored, and the first error met, are the same for every thread count.
//
// A chunk is parsed with CsvReader's in-memory constructor, which applies every rule of the
// CSV grammar and reports errors with the file's own line numbers; the chunker only needs to
// know where quoted fields start and end (a quote that opens a field), and is lenient about the
// rest: a malformed chunk is cut somewhere after the fault and its reader reports the fault.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lib/data/csv_reader.hpp"

namespace mb::data {

struct CsvChunk {
  std::vector<char> bytes;  // whole rows (buffer reused between chunks)
  uint64_t first_line = 0;  // physical line of the first row
  uint64_t first_row = 0;   // row ends before this chunk (its first row's 0-based index)
  uint64_t end_offset = 0;  // bytes of the input up to the end of this chunk
};

class CsvChunker {
 public:
  // Takes over `reader`, which must not have returned rows yet, and reads on from its source.
  explicit CsvChunker(CsvReader& reader, size_t chunk_bytes = size_t{1} << 20);

  // Fills `chunk` with the next rows and returns true, or returns false at the end of the input.
  // Throws mb::Error when reading fails.
  bool next(CsvChunk& chunk);
  // The most row ends in a chunk (CsvReader's batch size for the file's width).
  size_t batch_rows() const { return rows_; }

 private:
  bool fill();

  ByteSource* source_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  char delim_;
  size_t rows_, chunk_bytes_;
  uint64_t line_, offset_;
  uint64_t rows_before_ = 0;
  // Resumable scan of the chunk starting at begin_.
  size_t pos_ = 0;
  bool quoted_ = false;
  size_t row_ends_ = 0;
  uint64_t quoted_lf_ = 0;  // LFs inside quoted fields
};

}  // namespace mb::data
