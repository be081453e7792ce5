// Binds CSV columns to a model's inputs and converts text to the evaluator's columnar Batch.
//
// Contract (SPEC "Data files"):
// - Inputs are matched to CSV columns by exact name; extra columns are ignored; a missing
//   required column is an error naming it and the columns present.
// - Continuous inputs: the field, with surrounding spaces and tabs removed, is parsed as a
//   decimal or scientific number (an optional leading '+' or '-'; Inf, -Inf, inf, Infinity are
//   infinities).  Anything else is "column 'x': 'abc' is not a number".
// - Categorical and ordinal inputs: the field is looked up among the field's levels and becomes
//   the 0-based level code.  Labels match exactly as text: the cell "4.0" does not match the
//   level "4"; a cell with surrounding blanks matches a level only when no level equals it
//   verbatim and the trimmed text does.  An unseen label is an error listing the known levels,
//   unless the policy is UnseenLevel::Missing, where it becomes missing.  An R logical field
//   (InputField::logical) also reads T/F, true/false, True/False and numbers (0 FALSE, other
//   numbers TRUE), as R's as.logical() does.
// - Missing tokens (empty, NA, NaN, N/A; after trimming) become NaN for every kind.  What a
//   model does with a missing value (InputField::missing_replacement) is the evaluator's job.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/data/csv_reader.hpp"
#include "lib/eval/batch.hpp"
#include "lib/ir/model.hpp"

namespace mb::data {

// Parses a continuous value as described above.  Returns false when `text` is not a number;
// missing tokens are not handled here.
bool parse_number(std::string_view text, double& out);

class InputBinder {
 public:
  // `header` is the CSV header (CsvReader::header()), `file` the CSV's name for messages.
  // Throws mb::Error(file, "line 1", "missing column 'x' required by the model (columns present:
  // a, b)") when a model input has no column.
  InputBinder(const ir::Schema& schema, const std::vector<std::string>& header, std::string file,
              ir::UnseenLevel policy);

  // Converts `in` into `out` (one column per schema input, schema order; buffers reused).
  // Throws mb::Error(file, "line N", ...) on a non-number or an unseen level.
  void bind(const TextBatch& in, eval::Batch& out) const;

  // CSV column index of each schema input.
  const std::vector<int>& columns() const { return column_of_input_; }
  // By CSV column: read by a continuous input (for CsvReader::read_numbers()).
  std::vector<bool> number_columns(size_t columns) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using LevelMap = std::unordered_map<std::string, int, Hash, std::equal_to<>>;

  void bind_continuous(size_t input, const TextBatch& in, std::vector<double>& out) const;
  void bind_categorical(size_t input, const TextBatch& in, std::vector<double>& out) const;

  const ir::Schema& schema_;
  std::string file_;
  ir::UnseenLevel policy_;
  std::vector<int> column_of_input_;
  std::vector<LevelMap> levels_;  // per input; empty for continuous inputs
};

// `text` for a message: at most `limit` bytes, then "... (N bytes)".
std::string excerpt(std::string_view text, size_t limit = 80);

// "a, b, c" of at most `limit` items, then ", ... (N in all)".
std::string join_names(const std::vector<std::string>& names, size_t limit = 30);

}  // namespace mb::data
