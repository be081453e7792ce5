// libFuzzer target: the CSV reader (lib/data/csv_reader) and the number parser of the binder,
// as `modelbridge score` reads data.  The first byte picks the delimiter and a small buffer and
// batch size, so that rows straddling buffer refills and batches are exercised too, and whether
// the reader reads numbers on the way (CsvReader::read_numbers()): every number it reads must
// be strtod's value of the field, bit for bit.
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  mb::data::CsvReaderOptions options;
  options.delimiter = ",;\t|"[mode & 3];
  // The tool's 4 MiB buffer and 8192-row batches would make each run slow under ASan; small
  // ones take the same paths (a buffer grows for a longer row) and more of them.
  options.buffer_bytes = (mode & 4) ? 16 : 4096;
  options.batch_rows = (mode & 8) ? 3 : 256;
  std::istringstream in(fuzz_bytes(data + 1, size - 1));
  MB_FUZZ_GUARD({
    mb::data::CsvReader reader(in, "fuzz.csv", options);
    if (mode & 16) reader.read_numbers(std::vector<bool>(reader.columns(), true));
    mb::data::TextBatch batch;
    double value = 0;
    while (reader.next(batch))
      for (size_t c = 0; c < reader.columns(); ++c)
        for (size_t r = 0; r < batch.rows; ++r) {
          std::string_view field = batch.field(r, c);
          if ((mode & 16) && !std::isnan(batch.numbers[c][r])) {
            const std::string text(field);
            char* end = nullptr;
            const double want = std::strtod(text.c_str(), &end);
            if (end != text.c_str() + text.size() ||
                std::bit_cast<uint64_t>(want) != std::bit_cast<uint64_t>(batch.numbers[c][r]))
              __builtin_trap();  // a number read on the way that is not the field's value
          }
          if (!mb::data::is_missing_token(mb::data::trim_blanks(field)))
            mb::data::parse_number(mb::data::trim_blanks(field), value);
          (void)mb::data::excerpt(field);
        }
  });
}
