#include "lib/data/csv_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "lib/data/binder.hpp"
#include "lib/util/error.hpp"

namespace mb::data {

size_t format_number(double v, char* dst) {
  if (std::isnan(v)) {
    std::memcpy(dst, "NA", 2);
    return 2;
  }
  if (std::isinf(v)) {
    if (v > 0) {
      std::memcpy(dst, "Inf", 3);
      return 3;
    }
    std::memcpy(dst, "-Inf", 4);
    return 4;
  }
  auto res = std::to_chars(dst, dst + kMaxNumberChars, v);
  return static_cast<size_t>(res.ptr - dst);
}

std::string format_number(double v) {
  char buf[kMaxNumberChars];
  return std::string(buf, format_number(v, buf));
}

bool needs_quotes(std::string_view t) {
  if (t.empty()) return false;
  if (t.front() == ' ' || t.front() == '\t' || t.back() == ' ' || t.back() == '\t') return true;
  for (char c : t)
    if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
  return false;
}

CsvWriter::CsvWriter(std::ostream& out, std::string file, size_t buffer_bytes) : out_(&out), file_(std::move(file)) {
  own_.reserve(std::max<size_t>(buffer_bytes, 64));
}

CsvWriter::CsvWriter(int fd, std::string file, size_t buffer_bytes) : fd_(fd), file_(std::move(file)) {
  own_.reserve(std::max<size_t>(buffer_bytes, 64));
}

CsvWriter::CsvWriter(std::string* sink, size_t buffer_bytes) : sink_(sink), file_("-"), buf_(sink) {
  sink_->reserve(std::max<size_t>(buffer_bytes, 64));
}

CsvWriter::~CsvWriter() {
  try {
    flush();
  } catch (...) {
  }
}

void CsvWriter::write_out(const char* p, size_t left) {
  if (out_) {
    out_->write(p, static_cast<std::streamsize>(left));
    if (!*out_) throw Error(file_, "", "write failed");
    return;
  }
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(file_, "", fmt::format("write failed: {}", std::strerror(errno)));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void CsvWriter::flush() {
  if (sink_ || own_.empty()) return;  // a sink holds the rows already
  try {
    write_out(own_.data(), own_.size());
  } catch (...) {
    own_.clear();
    throw;
  }
  own_.clear();
}

void CsvWriter::append(const char* s, size_t n) {
  if (sink_) {
    sink_->append(s, n);
    return;
  }
  if (own_.size() + n > own_.capacity()) flush();
  if (n > own_.capacity()) {
    write_out(s, n);  // larger than the buffer: written through
    return;
  }
  own_.append(s, n);
}

void CsvWriter::raw(std::string_view bytes) {
  if (!sink_ && bytes.size() >= own_.capacity() / 2) {
    flush();
    write_out(bytes.data(), bytes.size());
    return;
  }
  append(bytes.data(), bytes.size());
}

void CsvWriter::field(std::string_view text) {
  separator();
  if (!needs_quotes(text)) {
    append(text.data(), text.size());
    return;
  }
  put('"');
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      append(text.data() + start, i + 1 - start);  // up to and including the quote
      put('"');
      start = i + 1;
    }
  }
  append(text.data() + start, text.size() - start);
  put('"');
}

void CsvWriter::field(double value) {
  separator();
  char tmp[kMaxNumberChars];
  append(tmp, format_number(value, tmp));
}

void CsvWriter::end_row() {
  put('\n');
  row_start_ = true;
}

std::vector<std::string> prediction_columns(const ir::Target& target, bool want_link) {
  std::vector<std::string> cols;
  switch (target.task) {
    case ir::Task::Regression:
      cols.push_back("prediction");
      if (want_link) cols.push_back("link");
      break;
    case ir::Task::Classification:
      cols.push_back("class");
      for (const auto& c : target.classes) cols.push_back("probability(" + c + ")");
      break;
    case ir::Task::Clustering: cols.push_back("cluster"); break;
  }
  return cols;
}

PredictionWriter::PredictionWriter(CsvWriter& out, const ir::Target& target,
                                   const std::vector<std::string>& input_header, const std::string& input_file,
                                   PredictionWriterOptions options)
    : out_(out), target_(target), options_(std::move(options)) {
  for (const auto& name : options_.keep) {
    int idx = -1;
    for (size_t c = 0; c < input_header.size(); ++c)
      if (input_header[c] == name) {
        idx = static_cast<int>(c);
        break;
      }
    if (idx < 0)
      throw Error(
          input_file, "line 1",
          fmt::format("--keep column '{}' is not in the input (columns present: {})", name, join_names(input_header)));
    keep_columns_.push_back(idx);
  }
  if (target_.task != ir::Task::Regression) options_.want_link = false;
  columns_ = prediction_columns(target_, options_.want_link);
}

void PredictionWriter::write_header() {
  for (const auto& k : options_.keep) out_.field(std::string_view(k));
  for (const auto& c : columns_) out_.field(std::string_view(c));
  out_.end_row();
}

void PredictionWriter::label(int32_t code) {
  if (code >= 0 && static_cast<size_t>(code) < target_.classes.size()) {
    out_.field(std::string_view(target_.classes[static_cast<size_t>(code)]));
  } else if (code < 0) {
    out_.field(std::string_view("NA"));
  } else {
    // A clustering model without cluster names: 1-based cluster number, as R prints them.
    out_.field(static_cast<double>(code) + 1.0);
  }
}

void PredictionWriter::write(const TextBatch& input, const eval::Predictions& pred) {
  const size_t k = target_.classes.size();
  for (size_t r = 0; r < pred.rows; ++r) {
    for (int c : keep_columns_) out_.field(input.field(r, static_cast<size_t>(c)));
    switch (target_.task) {
      case ir::Task::Regression:
        out_.field(pred.value[r]);
        if (options_.want_link) out_.field(pred.link[r]);
        break;
      case ir::Task::Classification:
        label(pred.label[r]);
        for (size_t j = 0; j < k; ++j) out_.field(pred.prob[r * k + j]);
        break;
      case ir::Task::Clustering: label(pred.label[r]); break;
    }
    out_.end_row();
  }
}

}  // namespace mb::data
