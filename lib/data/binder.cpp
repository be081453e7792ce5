#include "lib/data/binder.hpp"

#include <cmath>
#include <limits>

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include "lib/util/error.hpp"

namespace mb::data {

std::string join_names(const std::vector<std::string>& names, size_t limit) {
  // At most `limit` names, each cut to 80 bytes, and about 400 bytes in all: a message never
  // echoes a huge header.
  std::string s;
  size_t shown = 0;
  for (; shown < std::min(limit, names.size()); ++shown) {
    if (shown && s.size() > 400) break;
    if (shown) s += ", ";
    s += excerpt(names[shown], 80);
  }
  if (shown < names.size()) s += fmt::format(", ... ({} in all)", names.size());
  return s;
}

std::string excerpt(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return fmt::format("{}... ({} bytes)", text.substr(0, cut), text.size());
}

bool parse_number(std::string_view text, double& out) {
  std::string_view t = trim_blanks(text);
  if (t.empty()) return false;
  if (t[0] == '+') {
    t.remove_prefix(1);
    if (t.empty() || t[0] == '-' || t[0] == '+') return false;
  }
  const char* first = t.data();
  const char* last = first + t.size();
  auto res = fast_float::from_chars(first, last, out);
  // fast_float of this version reports no range errors: overflow gives +-inf, underflow 0.
  return res.ptr == last && res.ec == std::errc();
}

namespace {
// A number literal too large for a double (1e999, or ten million digits) reads as +-inf
// above; only the spellings of infinity may.
bool overflowed(std::string_view text, double v) {
  if (!std::isinf(v)) return false;
  std::string_view t = trim_blanks(text);
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.remove_prefix(1);
  return !t.empty() && ((t[0] >= '0' && t[0] <= '9') || t[0] == '.');
}
}  // namespace

InputBinder::InputBinder(const ir::Schema& schema, const std::vector<std::string>& header, std::string file,
                         ir::UnseenLevel policy)
    : schema_(schema), file_(std::move(file)), policy_(policy) {
  std::vector<std::string> missing;
  column_of_input_.assign(schema.inputs.size(), -1);
  levels_.resize(schema.inputs.size());
  for (size_t i = 0; i < schema.inputs.size(); ++i) {
    const ir::InputField& f = schema.inputs[i];
    for (size_t c = 0; c < header.size(); ++c)
      if (header[c] == f.name) {
        column_of_input_[i] = static_cast<int>(c);
        break;
      }
    if (f.is_categorical()) {
      levels_[i].reserve(f.levels.size());
      for (size_t l = 0; l < f.levels.size(); ++l)
        levels_[i].emplace(f.levels[l], static_cast<int>(l));  // first wins on duplicates
      if (f.logical)                                           // R's other spellings of the two values (as.logical())
        for (const char* no : {"F", "false", "False"})
          if (auto it = levels_[i].find("FALSE"); it != levels_[i].end()) levels_[i].emplace(no, it->second);
      if (f.logical)
        for (const char* yes : {"T", "true", "True"})
          if (auto it = levels_[i].find("TRUE"); it != levels_[i].end()) levels_[i].emplace(yes, it->second);
    }
  }
  // Unnamed matrix columns take, in order, the data columns that no input names (as onnxruntime
  // tools feed a 2-D input from the remaining columns).
  std::vector<bool> named(header.size(), false);
  for (int c : column_of_input_)
    if (c >= 0) named[c] = true;
  size_t next_free = 0;
  for (size_t i = 0; i < schema.inputs.size(); ++i) {
    if (column_of_input_[i] >= 0) continue;
    if (schema.inputs[i].positional) {
      while (next_free < header.size() && named[next_free]) ++next_free;
      if (next_free < header.size()) {
        column_of_input_[i] = static_cast<int>(next_free);
        named[next_free] = true;
        continue;
      }
    }
    missing.push_back("'" + schema.inputs[i].name + "'");
  }
  if (!missing.empty()) {
    throw Error(file_, "line 1",
                fmt::format("missing column{} {} required by the model (columns present: {})",
                            missing.size() == 1 ? "" : "s", join_names(missing), join_names(header)));
  }
}

std::vector<bool> InputBinder::number_columns(size_t columns) const {
  std::vector<bool> out(columns, false);
  for (size_t i = 0; i < schema_.inputs.size(); ++i) {
    const auto c = static_cast<size_t>(column_of_input_[i]);
    if (!schema_.inputs[i].is_categorical() && c < columns) out[c] = true;
  }
  return out;
}

void InputBinder::bind(const TextBatch& in, eval::Batch& out) const {
  out.rows = in.rows;
  out.columns.resize(schema_.inputs.size());
  for (size_t i = 0; i < schema_.inputs.size(); ++i) {
    std::vector<double>& col = out.columns[i];
    if (col.size() < in.rows) col.resize(in.rows);
    if (schema_.inputs[i].is_categorical()) bind_categorical(i, in, col);
    else bind_continuous(i, in, col);
  }
}

void InputBinder::bind_continuous(size_t input, const TextBatch& in, std::vector<double>& out) const {
  const auto column = static_cast<size_t>(column_of_input_[input]);
  const auto cells = in.column(column);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // Numbers the reader read on the way (CsvReader::read_numbers()): NaN where it did not.
  const double* read =
      column < in.numbers.size() && in.numbers[column].size() >= in.rows ? in.numbers[column].data() : nullptr;
  for (size_t r = 0; r < in.rows; ++r) {
    if (read && !std::isnan(read[r])) {
      out[r] = read[r];
      continue;
    }
    std::string_view t = cells[r];
    double v;
    // The common field, a finite number with no blanks and no '+' around it, read at once; any
    // other text goes through the full rules below.
    if (!t.empty() && t.front() != '+' && t.front() != ' ' && t.front() != '\t' && t.back() != ' ' &&
        t.back() != '\t') {
      const auto res = fast_float::from_chars(t.data(), t.data() + t.size(), v);
      if (res.ptr == t.data() + t.size() && res.ec == std::errc() && !std::isinf(v)) {
        out[r] = v;
        continue;
      }
    }
    if (parse_number(t, v)) {
      if (overflowed(t, v))
        throw Error(file_, fmt::format("line {}", in.lines[r]),
                    fmt::format("column '{}': '{}' is beyond the range of a double (write Inf for an infinite value)",
                                excerpt(schema_.inputs[input].name), excerpt(t)));
      out[r] = v;
      continue;
    }
    if (is_missing_token(trim_blanks(t))) {
      out[r] = kNaN;
      continue;
    }
    if (schema_.inputs[input].logical) {  // data.matrix() of a logical column: FALSE 0, TRUE 1
      const std::string_view b = trim_blanks(t);
      if (b == "TRUE" || b == "T" || b == "true" || b == "True") {
        out[r] = 1;
        continue;
      }
      if (b == "FALSE" || b == "F" || b == "false" || b == "False") {
        out[r] = 0;
        continue;
      }
    }
    throw Error(file_, fmt::format("line {}", in.lines[r]),
                fmt::format("column '{}': '{}' is not a number", schema_.inputs[input].name, excerpt(t)));
  }
}

void InputBinder::bind_categorical(size_t input, const TextBatch& in, std::vector<double>& out) const {
  const auto cells = in.column(static_cast<size_t>(column_of_input_[input]));
  const LevelMap& map = levels_[input];
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (size_t r = 0; r < in.rows; ++r) {
    std::string_view t = cells[r];
    std::string_view trimmed = trim_blanks(t);
    if (is_missing_token(trimmed)) {
      out[r] = kNaN;
      continue;
    }
    // A quoted label is exact, spaces included; an unquoted one may carry padding.
    auto it = map.find(t);
    if (it == map.end() && trimmed.size() != t.size() && !in.is_quoted(r, static_cast<size_t>(column_of_input_[input])))
      it = map.find(trimmed);
    if (it != map.end()) {
      out[r] = static_cast<double>(it->second);
      continue;
    }
    double number = 0;
    if (schema_.inputs[input].logical && parse_number(trimmed, number)) {  // as.logical(0) is FALSE
      auto level = map.find(number != 0 ? std::string_view("TRUE") : std::string_view("FALSE"));
      if (level != map.end()) {
        out[r] = std::isnan(number) ? kNaN : static_cast<double>(level->second);
        continue;
      }
    }
    if (schema_.inputs[input].open) {  // any other label is valid: the model's "other" level
      out[r] = static_cast<double>(schema_.inputs[input].levels.size() - 1);
      continue;
    }
    if (policy_ == ir::UnseenLevel::Missing) {
      out[r] = kNaN;
      continue;
    }
    const ir::InputField& f = schema_.inputs[input];
    throw Error(file_, fmt::format("line {}", in.lines[r]),
                fmt::format("column '{}': level '{}' was not seen in training (known levels: {})", f.name, excerpt(t),
                            join_names(f.levels)));
  }
}

}  // namespace mb::data
