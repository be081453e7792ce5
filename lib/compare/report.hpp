// The comparison report: what every cross-check prints (SPEC "Agreement rule").
//
// ReportBuilder accumulates cell comparisons row by row (streaming; memory bounded by the
// number of columns and `worst_rows`) and finish() yields a Report.  Rows are 1-based data row
// numbers (the header is not a row); `line` is the reference file's line when known, else 0.
//
// Worst rows: each row is represented by its worst cell, measured by compare::excess()
// (difference over the allowed tolerance; label and missing mismatches rank as infinite).  The
// report keeps the `worst_rows` rows with the largest excess, largest first, ties by row
// number; rows whose cells are all exactly equal are never listed.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/compare/agreement.hpp"

namespace mb::compare {

// Version of the JSON rendering; grows, never changes meaning.
inline constexpr const char* kReportSchema = "modelbridge.compare/1";

struct ColumnReport {
  std::string name;            // our column name ("prediction", "probability(yes)")
  std::string reference_name;  // the matched reference column
  bool label = false;          // compared as labels
  uint64_t compared = 0;
  uint64_t beyond = 0;              // cells beyond tolerance (any reason)
  uint64_t missing_mismatches = 0;  // one side missing, the other not
  uint64_t label_mismatches = 0;
  double max_abs = 0.0;  // over numeric cells where both are present
  double max_rel = 0.0;
  uint64_t max_abs_row = 0;  // 0 when no difference
};

struct WorstRow {
  uint64_t row = 0;
  uint64_t line = 0;
  std::string column;
  std::string ours, reference;  // as printed in CSV output ("NA" for missing)
  double abs = 0.0, rel = 0.0;  // +inf for label or missing mismatches
  double excess = 0.0;
  bool beyond = false;
};

struct Report {
  std::string ours_name, reference_name;
  // What the text calls the two sides in worst rows ("ours 1.5, reference 1.25"); `diff` says
  // "B" and "A".  The JSON keys stay "ours" and "reference".
  std::string ours_label = "ours", reference_label = "reference";
  Tolerance tolerance;
  uint64_t rows = 0;
  uint64_t rows_beyond = 0;
  uint64_t label_mismatches = 0;
  uint64_t missing_mismatches = 0;
  double max_abs = 0.0, max_rel = 0.0;  // over all numeric columns
  std::vector<ColumnReport> columns;
  std::vector<WorstRow> worst;
  std::vector<std::string> unmatched_ours;       // our columns without a reference column
  std::vector<std::string> unmatched_reference;  // reference columns not compared
  std::vector<std::string> notes;                // caller's caveats, e.g. what float32 narrowing costs

  bool agrees() const { return rows_beyond == 0; }
};

class ReportBuilder {
 public:
  ReportBuilder(std::string ours_name, std::string reference_name, Tolerance tol, size_t worst_rows = 10);

  // Declares a compared column; returns its index for number()/label().
  size_t add_column(std::string name, std::string reference_name, bool label);
  void add_unmatched(std::vector<std::string> ours, std::vector<std::string> reference);
  void add_note(std::string note);
  void set_labels(std::string ours, std::string reference) {
    report_.ours_label = std::move(ours);
    report_.reference_label = std::move(reference);
  }

  // One row: any number of cells, then end_row().  Label views need only live until end_row().
  void number(size_t column, double ours, double reference);
  void label(size_t column, std::string_view ours, std::string_view reference);
  void end_row(uint64_t row, uint64_t line = 0);

  const Tolerance& tolerance() const { return report_.tolerance; }
  Report finish();

 private:
  struct Candidate {
    size_t column = 0;
    bool is_label = false;
    double ours = 0, reference = 0;
    std::string_view ours_text, reference_text;
    double abs = 0, rel = 0, excess = 0;
  };
  void consider(const Candidate& c);

  Report report_;
  size_t worst_limit_;
  Candidate row_worst_;
  bool row_has_diff_ = false;
  bool row_beyond_ = false;
};

// Human text, several lines, ending with "result: agree" or "result: differ".
std::string render_text(const Report& report);
// One JSON object; with_schema adds "schema": kReportSchema (set false to embed the object in a
// larger document).
std::string render_json(const Report& report, bool with_schema = true);

}  // namespace mb::compare
