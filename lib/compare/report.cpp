#include "lib/compare/report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "lib/data/csv_reader.hpp"
#include "lib/data/csv_writer.hpp"

namespace mb::compare {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// a is a worse row than b.
bool is_worse(const WorstRow& a, const WorstRow& b) {
  if (a.excess != b.excess) return a.excess > b.excess;
  return a.row < b.row;
}

bool is_missing_label(std::string_view t) { return data::is_missing_token(t); }

}  // namespace

ReportBuilder::ReportBuilder(std::string ours_name, std::string reference_name, Tolerance tol, size_t worst_rows)
    : worst_limit_(worst_rows) {
  report_.ours_name = std::move(ours_name);
  report_.reference_name = std::move(reference_name);
  report_.tolerance = tol;
}

size_t ReportBuilder::add_column(std::string name, std::string reference_name, bool label) {
  ColumnReport c;
  c.name = std::move(name);
  c.reference_name = std::move(reference_name);
  c.label = label;
  report_.columns.push_back(std::move(c));
  return report_.columns.size() - 1;
}

void ReportBuilder::add_unmatched(std::vector<std::string> ours, std::vector<std::string> reference) {
  for (auto& s : ours) report_.unmatched_ours.push_back(std::move(s));
  for (auto& s : reference) report_.unmatched_reference.push_back(std::move(s));
}

void ReportBuilder::add_note(std::string note) { report_.notes.push_back(std::move(note)); }

void ReportBuilder::consider(const Candidate& c) {
  if (!row_has_diff_ || c.excess > row_worst_.excess) row_worst_ = c;
  row_has_diff_ = true;
}

void ReportBuilder::number(size_t column, double ours, double reference) {
  ColumnReport& col = report_.columns[column];
  ++col.compared;
  const Tolerance& tol = report_.tolerance;
  const bool ok = agree(ours, reference, tol);
  const bool ma = std::isnan(ours), mr = std::isnan(reference);
  if (!ok) {
    ++col.beyond;
    row_beyond_ = true;
  }
  if (ma != mr) {
    ++col.missing_mismatches;
    ++report_.missing_mismatches;
  }
  const double a = absolute_difference(ours, reference);
  if (a == 0.0) return;
  const double r = relative_difference(ours, reference);
  if (!ma && !mr) {
    if (a > col.max_abs) {
      col.max_abs = a;
      col.max_abs_row = report_.rows + 1;
    }
    col.max_rel = std::max(col.max_rel, r);
    report_.max_abs = std::max(report_.max_abs, a);
    report_.max_rel = std::max(report_.max_rel, r);
  }
  Candidate c;
  c.column = column;
  c.ours = ours;
  c.reference = reference;
  c.abs = a;
  c.rel = r;
  c.excess = excess(ours, reference, tol);
  consider(c);
}

void ReportBuilder::label(size_t column, std::string_view ours, std::string_view reference) {
  ColumnReport& col = report_.columns[column];
  ++col.compared;
  const bool ma = is_missing_label(ours), mr = is_missing_label(reference);
  if (ma && mr) return;
  if (!ma && !mr && labels_agree(ours, reference)) return;
  ++col.beyond;
  row_beyond_ = true;
  if (ma != mr) {
    ++col.missing_mismatches;
    ++report_.missing_mismatches;
  } else {
    ++col.label_mismatches;
    ++report_.label_mismatches;
  }
  Candidate c;
  c.column = column;
  c.is_label = true;
  c.ours_text = ours;
  c.reference_text = reference;
  c.abs = c.rel = c.excess = kInf;
  consider(c);
}

void ReportBuilder::end_row(uint64_t row, uint64_t line) {
  ++report_.rows;
  if (row_beyond_) ++report_.rows_beyond;
  if (row_has_diff_ && worst_limit_ > 0) {
    auto& heap = report_.worst;
    WorstRow probe;
    probe.row = row;
    probe.excess = row_worst_.excess;
    if (heap.size() < worst_limit_ || is_worse(probe, heap.front())) {
      if (heap.size() >= worst_limit_) {
        std::pop_heap(heap.begin(), heap.end(), is_worse);
        heap.pop_back();
      }
      probe.line = line;
      probe.column = report_.columns[row_worst_.column].name;
      if (row_worst_.is_label) {
        probe.ours = is_missing_label(row_worst_.ours_text) ? "NA" : row_worst_.ours_text;
        probe.reference = is_missing_label(row_worst_.reference_text) ? "NA" : row_worst_.reference_text;
      } else {
        probe.ours = data::format_number(row_worst_.ours);
        probe.reference = data::format_number(row_worst_.reference);
      }
      probe.abs = row_worst_.abs;
      probe.rel = row_worst_.rel;
      probe.beyond = row_beyond_;
      heap.push_back(std::move(probe));
      std::push_heap(heap.begin(), heap.end(), is_worse);
    }
  }
  row_has_diff_ = false;
  row_beyond_ = false;
}

Report ReportBuilder::finish() {
  Report out = report_;
  std::sort_heap(out.worst.begin(), out.worst.end(), is_worse);
  return out;
}

namespace {

std::string num(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string render_text(const Report& r) {
  std::string s;
  s += fmt::format("compared {} row{} of {} against {} (rtol {}, atol {})\n", r.rows, r.rows == 1 ? "" : "s",
                   r.ours_name, r.reference_name, data::format_number(r.tolerance.rtol),
                   data::format_number(r.tolerance.atol));
  s += fmt::format("rows beyond tolerance: {}\n", r.rows_beyond);
  s += fmt::format("max abs difference: {}   max rel difference: {}\n", num(r.max_abs), num(r.max_rel));
  if (r.label_mismatches) s += fmt::format("label mismatches: {}\n", r.label_mismatches);
  if (r.missing_mismatches) s += fmt::format("missing on one side only: {}\n", r.missing_mismatches);
  size_t w = 6;
  for (const auto& c : r.columns) w = std::max(w, c.name.size());
  s += fmt::format("  {:<{}}  {:>10}  {:>10}  {:>8}\n", "column", w, "max abs", "max rel", "beyond");
  for (const auto& c : r.columns) {
    std::string name = c.name;
    if (c.label) s += fmt::format("  {:<{}}  {:>10}  {:>10}  {:>8}\n", name, w, "label", "", c.beyond);
    else s += fmt::format("  {:<{}}  {:>10}  {:>10}  {:>8}\n", name, w, num(c.max_abs), num(c.max_rel), c.beyond);
  }
  for (const auto& c : r.columns)
    if (c.reference_name != c.name)
      s += fmt::format("  ({} compared with reference column '{}')\n", c.name, c.reference_name);
  if (!r.unmatched_ours.empty()) s += fmt::format("not in the reference: {}\n", fmt::join(r.unmatched_ours, ", "));
  if (!r.worst.empty()) {
    s += "worst rows:\n";
    for (const auto& wr : r.worst) {
      std::string where = wr.line ? fmt::format("row {} (line {})", wr.row, wr.line) : fmt::format("row {}", wr.row);
      s += fmt::format("  {}  {}: {} {}, {} {}", where, wr.column, r.ours_label, wr.ours, r.reference_label,
                       wr.reference);
      if (!std::isinf(wr.abs)) s += fmt::format(", abs {}, rel {}", num(wr.abs), num(wr.rel));
      s += wr.beyond ? "  BEYOND\n" : "\n";
    }
  }
  for (const auto& n : r.notes) s += "note: " + n + "\n";
  s += r.agrees() ? "result: agree\n" : "result: differ\n";
  return s;
}

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void json_number(JsonWriter& w, double v) {
  if (std::isfinite(v)) w.Double(v);
  else w.Null();
}

void json_string(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void json_strings(JsonWriter& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : v) json_string(w, s);
  w.EndArray();
}

}  // namespace

std::string render_json(const Report& r, bool with_schema) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  if (with_schema) {
    w.Key("schema");
    w.String(kReportSchema);
  }
  w.Key("ours");
  json_string(w, r.ours_name);
  w.Key("reference");
  json_string(w, r.reference_name);
  w.Key("rtol");
  json_number(w, r.tolerance.rtol);
  w.Key("atol");
  json_number(w, r.tolerance.atol);
  w.Key("agree");
  w.Bool(r.agrees());
  w.Key("rows");
  w.Uint64(r.rows);
  w.Key("rows_beyond");
  w.Uint64(r.rows_beyond);
  w.Key("label_mismatches");
  w.Uint64(r.label_mismatches);
  w.Key("missing_mismatches");
  w.Uint64(r.missing_mismatches);
  w.Key("max_abs");
  json_number(w, r.max_abs);
  w.Key("max_rel");
  json_number(w, r.max_rel);
  w.Key("columns");
  w.StartArray();
  for (const auto& c : r.columns) {
    w.StartObject();
    w.Key("name");
    json_string(w, c.name);
    w.Key("reference");
    json_string(w, c.reference_name);
    w.Key("kind");
    w.String(c.label ? "label" : "number");
    w.Key("compared");
    w.Uint64(c.compared);
    w.Key("beyond");
    w.Uint64(c.beyond);
    w.Key("missing_mismatches");
    w.Uint64(c.missing_mismatches);
    if (c.label) {
      w.Key("label_mismatches");
      w.Uint64(c.label_mismatches);
    } else {
      w.Key("max_abs");
      json_number(w, c.max_abs);
      w.Key("max_rel");
      json_number(w, c.max_rel);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("worst");
  w.StartArray();
  for (const auto& wr : r.worst) {
    w.StartObject();
    w.Key("row");
    w.Uint64(wr.row);
    if (wr.line) {
      w.Key("line");
      w.Uint64(wr.line);
    }
    w.Key("column");
    json_string(w, wr.column);
    w.Key("ours");
    json_string(w, wr.ours);
    w.Key("reference");
    json_string(w, wr.reference);
    w.Key("abs");
    json_number(w, wr.abs);
    w.Key("rel");
    json_number(w, wr.rel);
    w.Key("beyond");
    w.Bool(wr.beyond);
    w.EndObject();
  }
  w.EndArray();
  json_strings(w, "unmatched_ours", r.unmatched_ours);
  json_strings(w, "unmatched_reference", r.unmatched_reference);
  json_strings(w, "notes", r.notes);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace mb::compare
