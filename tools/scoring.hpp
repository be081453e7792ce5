// Streaming a CSV through one or more models, and comparing their predictions.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <istream>
#include "lib/data/csv_reader.hpp"
#include "lib/eval/batch.hpp"
#include "lib/ir/model.hpp"

namespace mb::cli {

// A CSV opened for streaming; owns the file descriptor.
struct CsvInput {
  int fd = -1;
  bool owned = false;
  std::unique_ptr<data::CsvReader> reader;
  ~CsvInput();
};
// Opens `path` ("-" = standard input); throws mb::Error naming the file.
std::unique_ptr<CsvInput> open_csv(const std::string& path, data::CsvReaderOptions options = {});
// Size in bytes of the opened input when it is a regular file, else 0 (pipes, terminals).
uint64_t input_size(const CsvInput& in);

// --unseen error|na; "" keeps the model's own policy (error, except for PMML categorical fields
// that list no values, where an unlisted label is missing as PMML defines).
void apply_unseen_option(ir::Model& m, const std::string& value);

using BatchFn = std::function<void(const data::TextBatch&, const std::vector<eval::Predictions>&)>;

// Scores every row of `data` with each model in `models` (same rows, in order), calling `fn` once
// per batch.  Returns the number of rows.
uint64_t stream_score(const std::string& data, const std::vector<const ir::Model*>& models, bool want_link,
                      const BatchFn& fn, char delimiter = ',');

// Opens a reference CSV for compare::ReferenceComparer; throws mb::Error naming the file.
std::unique_ptr<std::istream> open_reference(const std::string& path);

}  // namespace mb::cli
