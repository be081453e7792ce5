#include "lib/compare/compare.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "lib/data/binder.hpp"
#include "lib/data/csv_writer.hpp"
#include "lib/util/error.hpp"

namespace mb::compare {

namespace {

// Text of a class or cluster code: its label, "NA" when missing, else the 1-based number.
std::string_view label_text(const ir::Target& target, int32_t code, char (&buf)[16]) {
  if (code < 0) return "NA";
  if (static_cast<size_t>(code) < target.classes.size()) return target.classes[static_cast<size_t>(code)];
  auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(code) + 1);
  return std::string_view(buf, static_cast<size_t>(res.ptr - buf));
}

}  // namespace

AliasMap common_reference_aliases(const ir::Target& target) {
  AliasMap a;
  const std::string& t = target.name;
  switch (target.task) {
    case ir::Task::Regression:
      a["variable"] = "prediction";
      a["predicted"] = "prediction";
      if (!t.empty()) a["Predicted_" + t] = "prediction";
      break;
    case ir::Task::Classification:
      a["label"] = "class";
      a["output_label"] = "class";
      a["predicted"] = "class";
      if (!t.empty()) a["Predicted_" + t] = "class";
      for (size_t i = 0; i < target.classes.size(); ++i) {
        const std::string ours = "probability(" + target.classes[i] + ")";
        a[fmt::format("probabilities_{}", i)] = ours;
        a["Probability_" + target.classes[i]] = ours;
        a["probability_" + target.classes[i]] = ours;
      }
      break;
    case ir::Task::Clustering:
      a["label"] = "cluster";
      a["Cluster"] = "cluster";
      a["cluster_label"] = "cluster";
      break;
  }
  return a;
}

namespace {

// A reference column that matches none of ours would pass unchecked: an error naming it.  The
// exceptions are `link` (R's linear predictor, our optional column printed with `score --link`)
// and a column of ours the comparison leaves out on purpose (CompareOptions::labels_only): both
// stay listed in the report as not compared.
void refuse_unmatched(const std::vector<std::string>& unmatched_ref, const std::vector<std::string>& ours,
                      const std::string& reference_file, const std::string& ours_name) {
  std::vector<std::string> refused;
  for (const auto& c : unmatched_ref)
    if (c != "link" && std::find(ours.begin(), ours.end(), c) == ours.end()) refused.push_back(c);
  if (refused.empty()) return;
  throw Error(
      reference_file, "line 1",
      fmt::format("reference column{} {} match{} none of the columns of {} ({}); every reference "
                  "column must be compared (remove the column{} or name {} as ours)",
                  refused.size() == 1 ? "" : "s", data::join_names(refused), refused.size() == 1 ? "es" : "", ours_name,
                  data::join_names(ours), refused.size() == 1 ? "" : "s", refused.size() == 1 ? "it" : "them"));
}

}  // namespace

ReferenceComparer::ReferenceComparer(const ir::Target& target, bool want_link, std::istream& reference,
                                     const std::string& reference_file, const std::string& ours_name,
                                     CompareOptions options)
    : target_(target),
      ref_file_(reference_file),
      ours_name_(ours_name),
      builder_(ours_name, reference_file, options.tolerance, options.worst_rows) {
  builder_.set_labels(options.ours_label, options.reference_label);
  reader_ = std::make_unique<data::CsvReader>(reference, ref_file_);
  const auto& header = reader_->header();
  if (target.task != ir::Task::Regression) want_link = false;
  const std::vector<std::string> ours = data::prediction_columns(target, want_link);

  std::vector<bool> used(header.size(), false);
  std::vector<std::string> unmatched_ours;
  for (size_t i = 0; i < ours.size(); ++i) {
    if (options.labels_only && target.task != ir::Task::Regression && i > 0) continue;
    int found = -1;
    for (size_t c = 0; c < header.size() && found < 0; ++c)
      if (!used[c] && header[c] == ours[i]) found = static_cast<int>(c);
    for (size_t c = 0; c < header.size() && found < 0; ++c) {
      if (used[c]) continue;
      auto it = options.aliases.find(header[c]);
      if (it != options.aliases.end() && it->second == ours[i]) found = static_cast<int>(c);
    }
    if (found < 0) {
      unmatched_ours.push_back(ours[i]);
      continue;
    }
    used[static_cast<size_t>(found)] = true;
    Column col{};
    col.ref_column = static_cast<size_t>(found);
    const std::string& name = ours[i];
    if (target.task == ir::Task::Regression) {
      col.kind = name == "link" ? Column::Link : Column::Value;
    } else if (i == 0) {
      col.kind = Column::Label;
    } else {
      col.kind = Column::Prob;
      col.prob_index = i - 1;
    }
    col.report_column = builder_.add_column(name, header[col.ref_column], col.kind == Column::Label);
    columns_.push_back(col);
  }
  std::vector<std::string> unmatched_ref;
  for (size_t c = 0; c < header.size(); ++c)
    if (!used[c]) unmatched_ref.push_back(header[c]);
  if (columns_.empty()) {
    throw Error(ref_file_, "line 1",
                fmt::format("no column matches the predictions of {} (expected {}; the reference "
                            "has {})",
                            ours_name_, data::join_names(ours), data::join_names(header)));
  }
  refuse_unmatched(unmatched_ref, ours, ref_file_, ours_name_);
  builder_.add_unmatched(std::move(unmatched_ours), std::move(unmatched_ref));
}

ReferenceComparer::~ReferenceComparer() = default;

void ReferenceComparer::add(const eval::Predictions& pred) {
  const size_t k = target_.classes.size();
  const auto& header = reader_->header();
  char buf[16];
  for (size_t r = 0; r < pred.rows; ++r) {
    ++ours_rows_;
    if (!ref_done_ && ref_pos_ == ref_batch_.rows) {
      ref_pos_ = 0;
      if (!reader_->next(ref_batch_)) {
        ref_batch_.rows = 0;
        ref_done_ = true;
      }
    }
    if (ref_done_) continue;  // counted; finish() reports the row counts
    const size_t rr = ref_pos_++;
    const uint64_t line = ref_batch_.lines[rr];
    for (const Column& col : columns_) {
      std::string_view cell = ref_batch_.field(rr, col.ref_column);
      if (col.kind == Column::Label) {
        builder_.label(col.report_column, label_text(target_, pred.label[r], buf), cell);
        continue;
      }
      double ref;
      if (!data::parse_number(cell, ref)) {
        if (!data::is_missing_token(data::trim_blanks(cell)))
          throw Error(ref_file_, fmt::format("line {}", line),
                      fmt::format("column '{}': '{}' is not a number", header[col.ref_column], data::excerpt(cell)));
        ref = std::numeric_limits<double>::quiet_NaN();
      }
      double ours = 0;
      switch (col.kind) {
        case Column::Value: ours = pred.value[r]; break;
        case Column::Link: ours = pred.link[r]; break;
        case Column::Prob: ours = pred.prob[r * k + col.prob_index]; break;
        case Column::Label: break;
      }
      builder_.number(col.report_column, ours, ref);
    }
    builder_.end_row(ours_rows_, line);
  }
}

Report ReferenceComparer::finish() {
  if (!ref_done_) {
    while (reader_->next(ref_batch_)) {
    }
    ref_done_ = true;
  }
  const uint64_t ref_rows = reader_->rows_read();
  if (ref_rows != ours_rows_)
    throw Error(ref_file_, "",
                fmt::format("the reference has {} data row{} but {} has {}", ref_rows, ref_rows == 1 ? "" : "s",
                            ours_name_, ours_rows_));
  return builder_.finish();
}

PredictionsComparer::PredictionsComparer(const ir::Target& target, bool compare_link, const std::string& ours_name,
                                         const std::string& reference_name, CompareOptions options)
    : target_(target),
      link_(compare_link && target.task == ir::Task::Regression),
      builder_(ours_name, reference_name, options.tolerance, options.worst_rows) {
  builder_.set_labels(options.ours_label, options.reference_label);
  for (const auto& name : data::prediction_columns(target, link_))
    builder_.add_column(name, name, name == "class" || name == "cluster");
}

void PredictionsComparer::add(const eval::Predictions& ours, const eval::Predictions& ref) {
  if (ours.rows != ref.rows)
    throw Error("", "", fmt::format("internal: comparing batches of {} and {} rows", ours.rows, ref.rows),
                kExitInternal);
  const size_t k = target_.classes.size();
  char b1[16], b2[16];
  for (size_t r = 0; r < ours.rows; ++r) {
    ++rows_;
    switch (target_.task) {
      case ir::Task::Regression:
        builder_.number(0, ours.value[r], ref.value[r]);
        if (link_) builder_.number(1, ours.link[r], ref.link[r]);
        break;
      case ir::Task::Classification:
        builder_.label(0, label_text(target_, ours.label[r], b1), label_text(target_, ref.label[r], b2));
        for (size_t j = 0; j < k; ++j) builder_.number(1 + j, ours.prob[r * k + j], ref.prob[r * k + j]);
        break;
      case ir::Task::Clustering:
        builder_.label(0, label_text(target_, ours.label[r], b1), label_text(target_, ref.label[r], b2));
        break;
    }
    builder_.end_row(rows_);
  }
}

Report compare_predictions(const ir::Target& target, const eval::Predictions& ours, const eval::Predictions& reference,
                           const std::string& ours_name, const std::string& reference_name, CompareOptions options) {
  PredictionsComparer c(target, !ours.link.empty() && !reference.link.empty(), ours_name, reference_name,
                        std::move(options));
  c.add(ours, reference);
  return c.finish();
}

namespace {

// One side of compare_csv: a reader and a cursor into its current batch.
struct CsvSide {
  data::CsvReader reader;
  data::TextBatch batch;
  size_t pos = 0;
  bool done = false;
  CsvSide(std::istream& in, const std::string& file) : reader(in, file) {}
  // Advances to the next row; false at the end.
  bool next_row() {
    if (done) return false;
    if (pos + 1 < batch.rows) {
      ++pos;
      return true;
    }
    pos = 0;
    if (!reader.next(batch)) {
      done = true;
      return false;
    }
    return true;
  }
};

}  // namespace

Report compare_csv(std::istream& ours_in, const std::string& ours_file, std::istream& ref_in,
                   const std::string& reference_file, CompareOptions options) {
  CsvSide ours(ours_in, ours_file), ref(ref_in, reference_file);
  ours.batch.rows = ref.batch.rows = 0;
  ReportBuilder builder(ours_file, reference_file, options.tolerance, options.worst_rows);
  const auto& oh = ours.reader.header();
  const auto& rh = ref.reader.header();
  std::vector<bool> used(rh.size(), false);
  std::vector<std::pair<size_t, size_t>> pairs;  // (our column, reference column)
  std::vector<std::string> unmatched_ours, unmatched_ref;
  for (size_t i = 0; i < oh.size(); ++i) {
    int found = -1;
    for (size_t c = 0; c < rh.size() && found < 0; ++c)
      if (!used[c] && rh[c] == oh[i]) found = static_cast<int>(c);
    for (size_t c = 0; c < rh.size() && found < 0; ++c) {
      if (used[c]) continue;
      auto it = options.aliases.find(rh[c]);
      if (it != options.aliases.end() && it->second == oh[i]) found = static_cast<int>(c);
    }
    if (found < 0) {
      unmatched_ours.push_back(oh[i]);
      continue;
    }
    used[static_cast<size_t>(found)] = true;
    pairs.emplace_back(i, static_cast<size_t>(found));
  }
  for (size_t c = 0; c < rh.size(); ++c)
    if (!used[c]) unmatched_ref.push_back(rh[c]);
  if (pairs.empty())
    throw Error(reference_file, "line 1",
                fmt::format("no column matches the columns of {} (expected {}; the reference "
                            "has {})",
                            ours_file, data::join_names(oh), data::join_names(rh)));
  refuse_unmatched(unmatched_ref, oh, reference_file, ours_file);
  // Number columns and label columns are reported separately: two report columns per pair.
  std::vector<size_t> num_col, label_col;
  for (const auto& [o, r] : pairs) {
    num_col.push_back(builder.add_column(oh[o], rh[r], false));
    label_col.push_back(builder.add_column(oh[o], rh[r], true));
  }
  builder.add_unmatched(std::move(unmatched_ours), std::move(unmatched_ref));

  uint64_t row = 0;
  for (;;) {
    const bool has_ours = ours.next_row();
    const bool has_ref = ref.next_row();
    if (!has_ours || !has_ref) {
      while (ours.next_row()) {
      }
      while (ref.next_row()) {
      }
      break;
    }
    ++row;
    for (size_t p = 0; p < pairs.size(); ++p) {
      std::string_view a = ours.batch.field(ours.pos, pairs[p].first);
      std::string_view b = ref.batch.field(ref.pos, pairs[p].second);
      double x, y;
      const bool xa = data::parse_number(a, x) || data::is_missing_token(data::trim_blanks(a));
      const bool yb = data::parse_number(b, y) || data::is_missing_token(data::trim_blanks(b));
      if (xa && yb) {
        if (!data::parse_number(a, x)) x = std::numeric_limits<double>::quiet_NaN();
        if (!data::parse_number(b, y)) y = std::numeric_limits<double>::quiet_NaN();
        builder.number(num_col[p], x, y);
      } else {
        builder.label(label_col[p], a, b);
      }
    }
    builder.end_row(row, ref.batch.lines[ref.pos]);
  }
  const uint64_t n_ours = ours.reader.rows_read(), n_ref = ref.reader.rows_read();
  if (n_ours != n_ref)
    throw Error(
        reference_file, "",
        fmt::format("the reference has {} data row{} but {} has {}", n_ref, n_ref == 1 ? "" : "s", ours_file, n_ours));
  Report report = builder.finish();
  // Drop the half of each pair that saw no cells.
  std::vector<ColumnReport> kept;
  for (size_t p = 0; p < pairs.size(); ++p) {
    const ColumnReport& n = report.columns[num_col[p]];
    const ColumnReport& l = report.columns[label_col[p]];
    if (n.compared > 0 || l.compared == 0) kept.push_back(n);
    if (l.compared > 0) kept.push_back(l);
  }
  report.columns = std::move(kept);
  return report;
}

}  // namespace mb::compare
