// libFuzzer target: the CSV reader (lib/data/csv_reader) and the number parser of the binder,
// as `modelbridge score` reads data.  The first byte picks the delimiter and a small buffer and
// batch size, so that rows straddling buffer refills and batches are exercised too.
#include <sstream>

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
    mb::data::TextBatch batch;
    double value = 0;
    while (reader.next(batch))
      for (size_t c = 0; c < reader.columns(); ++c)
        for (size_t r = 0; r < batch.rows; ++r) {
          std::string_view field = batch.field(r, c);
          if (!mb::data::is_missing_token(mb::data::trim_blanks(field)))
            mb::data::parse_number(mb::data::trim_blanks(field), value);
          (void)mb::data::excerpt(field);
        }
  });
}
