// Comparing our predictions with a reference: a reference CSV (R's predict(), a producer's
// expected.csv) streamed alongside our batches, or a second set of predictions (a model before
// and after conversion).
//
// Column matching (ReferenceComparer): our columns are data::prediction_columns(target,
// want_link).  Each is matched to the reference column of the same name, else to the first
// reference column that `aliases` maps to it (reference name -> our name).  A reference column
// that matches nothing is an error naming it (it would pass unchecked), except `link` when our
// side does not print the link and a column of ours that labels_only leaves out (both listed in
// the report as not compared); no match at all is an error too.  `class`
// and `cluster` compare as labels (text equality; missing tokens on both sides agree), the rest
// as numbers by the agreement rule; a reference cell that is neither a number nor a missing
// token is an error naming its line.
#pragma once
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/compare/agreement.hpp"
#include "lib/compare/report.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/eval/batch.hpp"
#include "lib/ir/schema.hpp"

namespace mb::compare {

using AliasMap = std::map<std::string, std::string>;  // reference column -> our column

struct CompareOptions {
  Tolerance tolerance;
  AliasMap aliases;
  size_t worst_rows = 10;
  // Classification and clustering: compare the label column only; the reference's other columns
  // are listed as unmatched (a converted model that holds the classes but not the probabilities).
  bool labels_only = false;
  // Names of the two sides in the text report (Report::ours_label, reference_label).
  std::string ours_label = "ours", reference_label = "reference";
};

// Aliases for reference column names seen in producers' outputs, for the caller to opt into:
// regression `variable` (ONNX output tensor), `predicted`, `Predicted_<target>`;
// classification `label`, `output_label`, `predicted`, `Predicted_<target>` for `class` and
// `probabilities_<i>`, `Probability_<label>`, `probability_<label>` for `probability(<label>)`;
// clustering `label`, `Cluster`, `cluster_label`.  The bare target name is never an alias (in
// most files it is the observed response, not a prediction).
AliasMap common_reference_aliases(const ir::Target& target);

// Streams a reference CSV against our predictions, batch by batch.
class ReferenceComparer {
 public:
  // Reads the reference header from `reference` (kept by reference; must outlive this object).
  // `ours_name` names our side in messages and reports (the model or output file).  Throws
  // mb::Error(reference_file, "line 1", "no column matches ...") when nothing can be compared.
  ReferenceComparer(const ir::Target& target, bool want_link, std::istream& reference,
                    const std::string& reference_file, const std::string& ours_name, CompareOptions options = {});
  ~ReferenceComparer();

  // Compares the next pred.rows rows.
  void add(const eval::Predictions& pred);
  // Throws mb::Error(reference_file, "", "... has N data rows but OURS has M") when the row
  // counts differ.
  Report finish();

  ReportBuilder& builder() { return builder_; }  // e.g. to add_note()

 private:
  struct Column {
    enum Kind { Value, Link, Label, Prob } kind;
    size_t prob_index = 0;
    size_t ref_column = 0;
    size_t report_column = 0;
  };

  const ir::Target& target_;
  std::string ref_file_, ours_name_;
  std::unique_ptr<data::CsvReader> reader_;
  data::TextBatch ref_batch_;
  size_t ref_pos_ = 0;
  bool ref_done_ = false;
  uint64_t ours_rows_ = 0;
  std::vector<Column> columns_;
  ReportBuilder builder_;
};

// Compares two prediction sets of the same model target row by row (our side first), e.g. the
// source model against the converted one.  Streaming: call add() per batch pair.
class PredictionsComparer {
 public:
  PredictionsComparer(const ir::Target& target, bool compare_link, const std::string& ours_name,
                      const std::string& reference_name, CompareOptions options = {});
  // Both batches must have the same number of rows (mb::Error with exit code 3 otherwise).
  void add(const eval::Predictions& ours, const eval::Predictions& reference);
  Report finish() { return builder_.finish(); }
  ReportBuilder& builder() { return builder_; }

 private:
  const ir::Target& target_;
  bool link_;
  uint64_t rows_ = 0;
  ReportBuilder builder_;
};

// One-shot form of PredictionsComparer.
Report compare_predictions(const ir::Target& target, const eval::Predictions& ours, const eval::Predictions& reference,
                           const std::string& ours_name, const std::string& reference_name,
                           CompareOptions options = {});

// Compares two CSV tables row by row, e.g. a written prediction file against a reference.
// Columns are matched as in ReferenceComparer (our column names; `aliases` maps reference names
// to ours); columns of ours without a reference column are listed as unmatched, reference
// columns without one of ours are an error as in ReferenceComparer.  A pair of cells
// compares as numbers when each is a number or a missing token, otherwise as labels.  Errors as
// ReferenceComparer: no matching column, differing row counts.
Report compare_csv(std::istream& ours, const std::string& ours_file, std::istream& reference,
                   const std::string& reference_file, CompareOptions options = {});

}  // namespace mb::compare
