// modelbridge score MODEL [DATA|-] [-o OUT|-] [--keep COLS] [--expected CSV] [--threads N] ...
//
// Rows stream through in batches: memory holds one batch per thread, whatever the number of
// rows.  With N threads the reader takes N batches' worth of rows at a time, N evaluators bind
// and score one contiguous slice each, and the slices are written in order.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <thread>

#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_writer.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/util/atomic_file.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"
#include "tools/scoring.hpp"

namespace mb::cli {
namespace {

constexpr size_t kBatchRows = 8192;

// A one-line progress display on standard error: rows, rows per second, elapsed time, and when
// the input is a regular file the share done and the time left (from the bytes consumed).
class Progress {
 public:
  Progress(bool on, std::ostream& err, uint64_t total_bytes)
      : on_(on), err_(err), total_(total_bytes), start_(Clock::now()), last_(start_) {}
  void update(uint64_t rows, uint64_t bytes) {
    if (!on_) return;
    auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    draw(rows, bytes, now);
  }
  void done(uint64_t rows, uint64_t bytes) {
    if (!on_) return;
    draw(rows, bytes, Clock::now());
    err_ << "\n" << std::flush;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static std::string clock_text(double s) {
    const auto t = static_cast<long long>(s + 0.5);
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60) : fmt::format("{}:{:02}", t / 60, t % 60);
  }
  void draw(uint64_t rows, uint64_t bytes, Clock::time_point now) {
    const double s = std::chrono::duration<double>(now - start_).count();
    std::string line = fmt::format("\r{} rows  {:.0f} rows/s  {}", rows, s > 0 ? rows / s : 0.0, clock_text(s));
    if (total_ > 0 && bytes > 0) {
      const double frac = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
      constexpr int kWidth = 20;
      const int filled = static_cast<int>(frac * kWidth);
      line += fmt::format("  [{}{}] {:3.0f}%  ETA {}", std::string(filled, '#'), std::string(kWidth - filled, '.'), frac * 100,
                          clock_text(frac > 0 ? s * (1 - frac) / frac : 0));
    }
    err_ << line << "\033[K" << std::flush;
  }
  bool on_;
  std::ostream& err_;
  uint64_t total_;
  Clock::time_point start_, last_;
};

// One scoring lane: its slice of the rows, its evaluator and its buffers (reused every batch).
struct Lane {
  data::TextBatch text;
  eval::Batch batch;
  eval::Predictions pred;
  std::unique_ptr<eval::Evaluator> evaluator;
  std::exception_ptr error;
};

// Copies rows [from, from+n) of `all` into `part` (views only; buffers reused).
void slice(const data::TextBatch& all, size_t from, size_t n, data::TextBatch& part) {
  part.rows = n;
  part.fields.resize(all.fields.size());
  for (size_t c = 0; c < all.fields.size(); ++c)
    part.fields[c].assign(all.fields[c].begin() + from, all.fields[c].begin() + from + n);
  part.lines.assign(all.lines.begin() + from, all.lines.begin() + from + n);
  part.quoted.resize(all.quoted.size());
  for (size_t c = 0; c < all.quoted.size(); ++c)
    part.quoted[c].assign(all.quoted[c].begin() + from, all.quoted[c].begin() + from + n);
}

}  // namespace

void setup_score(CLI::App& s, ScoreOptions& o) {
  s.add_option("MODEL", o.model, fmt::format("model file ({})", formats::known_extensions()))->required()->option_text("FILE");
  s.add_option("DATA", o.data, "input CSV, or - for standard input (default -)")->option_text("FILE");
  s.add_option("-o,--output", o.output, "output CSV, or - for standard output (default -)")->option_text("FILE");
  s.add_option("--from", o.from, fmt::format("model format: {} (default: detect)", formats::supported_formats()))
      ->option_text("FORMAT");
  add_import(s, o.import);
  // One value per --keep: a file name after it is DATA, never another column.
  s.add_option("--keep", o.keep, "input columns copied to the output first (comma-separated; repeatable)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->option_text("COLS");
  s.add_option("--expected", o.expected, "reference predictions CSV to compare with (exit 1 beyond tolerance)")
      ->option_text("FILE");
  add_tolerance(s, o.tol);
  s.add_option("--threads", o.threads, "worker threads for scoring (default 1)")->check(integer_in(1, 256))->option_text("N");
  s.add_flag_callback("--progress", [&o] { o.progress = 1; }, "progress bar on standard error (default: when it is a terminal)");
  s.add_flag_callback("--no-progress", [&o] { o.progress = 0; }, "no progress bar");
  s.add_flag("--link", o.link, "GLMs: add the linear predictor as column `link`");
  s.add_flag("--no-header", o.no_header, "write no header line, only the rows (to join parts scored apart)");
  s.add_flag("--json", o.json,
             "JSON summary (rows, columns, seconds, warnings, report): to stdout with -o FILE, else to stderr");
  s.add_option("--unseen", o.unseen, "unseen categorical level: error or na (default: the model's policy, normally error)")
      ->check(one_of({"error", "na"}))
      ->option_text("error|na");
  add_delimiter(s, o.delimiter);
}

int run_score(const ScoreOptions& o, Io& io) {
  const auto start = std::chrono::steady_clock::now();
  ir::Model m = load_model(o.model, o.from, o.import);
  apply_unseen_option(m, o.unseen);
  check_output_path(o.output);
  if (!io.quiet && !o.json)  // --json carries the warnings
    for (const auto& w : m.provenance.warnings)
      io.err << diagnostic(io, "warning") << fmt::format("{}: [{}] {}\n", o.model, w.code, w.message);

  const size_t threads = static_cast<size_t>(std::max(1, o.threads));
  data::CsvReaderOptions ro;
  ro.batch_rows = kBatchRows * threads;
  ro.delimiter = o.delimiter;
  auto input = open_csv(o.data, ro);
  data::CsvReader& reader = *input->reader;
  const data::InputBinder binder(m.schema, reader.header(), reader.file(), m.unseen);
  std::vector<Lane> lanes(threads);
  for (auto& lane : lanes) lane.evaluator = std::make_unique<eval::Evaluator>(m, eval::EvalOptions{.want_link = o.link});

  const bool to_stdout = o.output == "-" || o.output.empty();
  std::optional<AtomicFile> file;
  if (!to_stdout) file.emplace(o.output, std::vector<std::string>{o.model, o.data, o.expected});
  std::optional<data::CsvWriter> writer_storage;
  if (!to_stdout) writer_storage.emplace(file->fd(), o.output);
  else if (io.out_fd >= 0) writer_storage.emplace(io.out_fd, "-");
  else writer_storage.emplace(io.out, "-");
  data::CsvWriter& writer = *writer_storage;
  data::PredictionWriterOptions pw_opts;
  pw_opts.keep = o.keep;
  pw_opts.want_link = o.link;
  data::PredictionWriter predictions(writer, m.schema.target, reader.header(), reader.file(), pw_opts);

  std::unique_ptr<std::istream> reference;
  std::optional<compare::ReferenceComparer> expected;
  if (!o.expected.empty()) {
    reference = open_reference(o.expected);
    compare::CompareOptions co;
    co.tolerance = {o.tol.rtol, o.tol.atol};
    expected.emplace(m.schema.target, o.link, *reference, o.expected, to_stdout ? o.model : o.output, co);
  }

  // With --json the summary may be all of standard error: progress only when asked for.
  const bool show_progress = o.progress == 1 || (o.progress == -1 && io.err_is_terminal && !o.json);
  Progress progress(!io.quiet && show_progress, io.err, input_size(*input));
  if (!o.no_header) predictions.write_header();
  data::TextBatch text;
  uint64_t rows = 0;
  auto run_lane = [&](Lane& lane, const data::TextBatch& part) {
    try {
      binder.bind(part, lane.batch);
      lane.evaluator->score(lane.batch, lane.pred);
    } catch (...) {
      lane.error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  while (reader.next(text)) {
    if (threads == 1 || text.rows <= kBatchRows) {
      run_lane(lanes[0], text);
      if (lanes[0].error) std::rethrow_exception(lanes[0].error);
      predictions.write(text, lanes[0].pred);
      if (expected) expected->add(lanes[0].pred);
    } else {
      const size_t per = (text.rows + threads - 1) / threads;
      size_t used = 0;
      for (size_t i = 0; i < threads; ++i) {
        const size_t from = std::min(text.rows, i * per), n = std::min(per, text.rows - from);
        slice(text, from, n, lanes[i].text);
        if (n > 0) used = i + 1;
      }
      pool.clear();
      for (size_t i = 1; i < used; ++i) pool.emplace_back(run_lane, std::ref(lanes[i]), std::cref(lanes[i].text));
      run_lane(lanes[0], lanes[0].text);
      for (auto& t : pool) t.join();
      for (size_t i = 0; i < used; ++i) {  // in row order: the first failing row is reported
        if (lanes[i].error) std::rethrow_exception(lanes[i].error);
        predictions.write(lanes[i].text, lanes[i].pred);
        if (expected) expected->add(lanes[i].pred);
      }
    }
    rows += text.rows;
    progress.update(rows, reader.bytes_consumed());
  }
  progress.done(rows, reader.bytes_consumed());
  writer.flush();
  if (file) file->commit();

  std::optional<compare::Report> report;
  if (expected) report = expected->finish();
  // The report goes where it cannot mix with the predictions.
  std::ostream& rep = to_stdout ? io.err : io.out;
  if (o.json) {  // asked for, so printed even with --quiet
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    json_key_string(w, "schema", kJsonSchema);
    json_key_string(w, "model", o.model);
    json_key_string(w, "data", o.data);
    json_key_string(w, "output", to_stdout ? "-" : o.output);
    w.Key("rows");
    w.Uint64(rows);
    w.Key("columns");
    w.StartArray();
    for (const auto& k : o.keep) w.String(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    for (const auto& k : data::prediction_columns(m.schema.target, o.link))
      w.String(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.EndArray();
    w.Key("header");
    w.Bool(!o.no_header);
    w.Key("threads");
    w.Uint64(threads);
    w.Key("seconds");
    w.Double(std::round(seconds * 1000) / 1000);
    json_warnings(w, m.provenance.warnings);
    if (report) {
      w.Key("expected");
      const std::string j = compare::render_json(*report, false);
      w.RawValue(j.c_str(), j.size(), rapidjson::kObjectType);
      w.Key("agree");
      w.Bool(report->agrees());
    }
    w.EndObject();
    rep << sb.GetString() << "\n";
  } else if (report && !io.quiet) {
    rep << compare::render_text(*report);
  }
  return !report || report->agrees() ? kExitOk : kExitDiffer;
}

}  // namespace mb::cli
