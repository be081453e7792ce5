// modelbridge score MODEL [DATA|-] [-o OUT|-] [--keep COLS] [--expected CSV] [--threads N] ...
//
// Rows stream through in chunks (lib/data/csv_chunker.hpp): the main thread cuts the input into
// chunks of whole rows; N workers each parse, bind, score and format a chunk at a time; the main
// thread writes the chunks' output in input order.  The cuts depend on the input and the model
// alone (big tree ensembles want bigger batches), so every
// thread count scores the same batches, writes the same bytes and meets the same first error.
// Memory holds at most 2N chunks in flight, whatever the number of rows.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_chunker.hpp"
#include "lib/data/csv_writer.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/util/atomic_file.hpp"
#include "lib/util/errors.hpp"
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
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                     : fmt::format("{}:{:02}", t / 60, t % 60);
  }
  void draw(uint64_t rows, uint64_t bytes, Clock::time_point now) {
    const double s = std::chrono::duration<double>(now - start_).count();
    std::string line = fmt::format("\r{} rows  {:.0f} rows/s  {}", rows, s > 0 ? rows / s : 0.0, clock_text(s));
    if (total_ > 0 && bytes > 0) {
      const double frac = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
      constexpr int kWidth = 20;
      const int filled = static_cast<int>(frac * kWidth);
      line += fmt::format("  [{}{}] {:3.0f}%  ETA {}", std::string(filled, '#'), std::string(kWidth - filled, '.'),
                          frac * 100, clock_text(frac > 0 ? s * (1 - frac) / frac : 0));
    }
    err_ << line << "\033[K" << std::flush;
  }
  bool on_;
  std::ostream& err_;
  uint64_t total_;
  Clock::time_point start_, last_;
};

// A chunk of input rows on its way through the pipeline, and what became of it.
struct Slot {
  data::CsvChunk chunk;
  std::string out;         // its output rows, formatted
  eval::Predictions pred;  // kept for --expected
  size_t rows = 0;
  std::exception_ptr error;
  bool done = false;
};

// A worker's own tools, reused chunk after chunk.
struct Worker {
  data::TextBatch text;
  eval::Batch batch;
  std::unique_ptr<eval::Evaluator> evaluator;
  std::string out;
  std::unique_ptr<data::CsvWriter> writer;  // appends to `out`
  std::unique_ptr<data::PredictionWriter> predictions;
};

}  // namespace

void setup_score(CLI::App& s, ScoreOptions& o) {
  s.add_option("MODEL", o.model, fmt::format("model file ({})", formats::known_extensions()))
      ->required()
      ->option_text("FILE");
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
  s.add_option("--threads", o.threads, "threads that parse, score and format rows (default: the number of cores)")
      ->check(integer_in(1, 256))
      ->option_text("N");
  s.add_flag_callback(
      "--progress", [&o] { o.progress = 1; }, "progress bar on standard error (default: when it is a terminal)");
  s.add_flag_callback(
      "--no-progress", [&o] { o.progress = 0; }, "no progress bar");
  s.add_flag("--link", o.link, "GLMs: add the linear predictor as column `link`");
  s.add_flag("--no-header", o.no_header, "write no header line, only the rows (to join parts scored apart)");
  s.add_flag("--json", o.json,
             "JSON summary (rows, columns, seconds, warnings, report): to stdout with -o FILE, else to stderr");
  s.add_option("--unseen", o.unseen,
               "unseen categorical level: error or na (default: the model's policy, normally error)")
      ->check(one_of({"error", "na"}))
      ->option_text("error|na");
  add_delimiter(s, o.delimiter);
}

int run_score(const ScoreOptions& o, Io& io) {
  const auto start = std::chrono::steady_clock::now();
  ir::Model m = load_model(o.model, o.from, o.import);
  m.provenance.r_object.reset();  // the R object is for writing R back; scoring needs only the IR
  apply_unseen_option(m, o.unseen);
  check_output_path(o.output);
  if (!io.quiet && !o.json)  // --json carries the warnings
    for (const auto& w : m.provenance.warnings)
      io.err << diagnostic(io, "warning") << fmt::format("{}: [{}] {}\n", o.model, w.code, w.message);

  const size_t threads =
      o.threads > 0 ? static_cast<size_t>(o.threads) : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 256);
  // The first worker's evaluator, built now to learn the rows per batch the model wants.
  auto first_evaluator =
      std::make_unique<eval::Evaluator>(m, eval::EvalOptions{.want_link = o.link, .share_layouts = true});
  const size_t batch_rows = std::max(kBatchRows, first_evaluator->batch_rows());
  data::CsvReaderOptions ro;
  ro.batch_rows = batch_rows;
  ro.delimiter = o.delimiter;
  auto input = open_csv(o.data, ro);
  data::CsvReader& reader = *input->reader;
  const data::InputBinder binder(m.schema, reader.header(), reader.file(), m.unseen);

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

  std::vector<Worker> workers(threads);
  for (auto& w : workers) {
    w.evaluator = first_evaluator ? std::move(first_evaluator)
                                  : std::make_unique<eval::Evaluator>(
                                        m, eval::EvalOptions{.want_link = o.link, .share_layouts = true});
    w.writer = std::make_unique<data::CsvWriter>(&w.out);
    w.predictions =
        std::make_unique<data::PredictionWriter>(*w.writer, m.schema.target, reader.header(), reader.file(), pw_opts);
  }
  eval::release_compiled(m);  // tree nodes compiled into the scoring layout: only it reads them now
  const std::vector<std::string> header = reader.header();
  const std::vector<bool> number_columns = binder.number_columns(header.size());
  const std::string& in_file = reader.file();
  // With --json the summary may be all of standard error: progress only when asked for.
  const bool show_progress = o.progress == 1 || (o.progress == -1 && io.err_is_terminal && !o.json);
  Progress progress(!io.quiet && show_progress, io.err, input_size(*input));
  if (!o.no_header) predictions.write_header();
  // Chunks of about 1 MB, more for models that want bigger batches.
  data::CsvChunker chunker(reader, (size_t{1} << 20) * (batch_rows / kBatchRows));
  data::CsvReaderOptions chunk_ro;
  chunk_ro.delimiter = o.delimiter;
  chunk_ro.batch_rows = chunker.batch_rows() + 1;

  // Parse, bind, score and format one chunk (any thread); errors stay in the slot.
  auto process = [&](Worker& w, Slot& slot) {
    try {
      slot.rows = 0;
      slot.out.clear();
      data::CsvReader part(std::move(slot.chunk.bytes), in_file, header, slot.chunk.first_line, chunk_ro);
      part.read_numbers(number_columns);
      if (part.next(w.text)) {
        binder.bind(w.text, w.batch);
        w.batch.first_row = slot.chunk.first_row;
        w.evaluator->score(w.batch, slot.pred);
        w.out.clear();
        w.predictions->write(w.text, slot.pred);
        w.writer->flush();
        std::swap(w.out, slot.out);
        slot.rows = w.text.rows;
        if (part.next(w.text)) throw InternalError(in_file, "", "internal: a chunk held more rows than a batch");
      }
      slot.chunk.bytes = part.release_buffer();
    } catch (...) {
      slot.error = std::current_exception();
    }
  };
  uint64_t rows = 0, consumed = 0;
  // Write one processed chunk (main thread, in input order).
  auto emit = [&](Slot& slot) {
    if (slot.error) std::rethrow_exception(slot.error);
    writer.raw(slot.out);
    if (expected && slot.rows > 0) expected->add(slot.pred);
    rows += slot.rows;
    consumed = slot.chunk.end_offset;
    progress.update(rows, consumed);
  };

  if (threads == 1) {
    Slot slot;
    while (chunker.next(slot.chunk)) {
      process(workers[0], slot);
      emit(slot);
    }
  } else {
    const size_t capacity = 2 * threads;
    std::vector<Slot> slots(capacity);
    std::mutex mu;
    std::condition_variable work_cv, done_cv;
    uint64_t filled = 0, taken = 0, written = 0;  // chunk sequence numbers
    bool stop = false;
    auto work = [&](Worker& w) {
      for (;;) {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return stop || taken < filled; });
        if (stop) return;
        Slot& slot = slots[taken++ % capacity];
        lock.unlock();
        process(w, slot);
        lock.lock();
        slot.done = true;
        done_cv.notify_all();
      }
    };
    std::vector<std::thread> pool;
    // Stops and joins the workers however this scope is left (an error rethrown from a chunk).
    struct Joiner {
      std::vector<std::thread>& pool;
      std::mutex& mu;
      std::condition_variable& cv;
      bool& stop;
      ~Joiner() {
        {
          std::lock_guard lock(mu);
          stop = true;
        }
        cv.notify_all();
        for (auto& t : pool) t.join();
      }
    } joiner{pool, mu, work_cv, stop};
    for (auto& w : workers) pool.emplace_back(work, std::ref(w));
    bool input_done = false;
    std::exception_ptr read_error;
    for (;;) {
      while (!input_done && filled - written < capacity) {
        Slot& slot = slots[filled % capacity];
        bool got = false;
        try {
          got = chunker.next(slot.chunk);
        } catch (...) {
          read_error = std::current_exception();  // reported after the chunks before it
        }
        if (!got) {
          input_done = true;
          break;
        }
        {
          std::lock_guard lock(mu);
          slot.done = false;
          slot.error = nullptr;
          ++filled;
        }
        work_cv.notify_one();
      }
      if (written == filled) break;
      Slot& slot = slots[written % capacity];
      {
        std::unique_lock lock(mu);
        done_cv.wait(lock, [&] { return slot.done; });
      }
      emit(slot);
      ++written;
    }
    if (read_error) std::rethrow_exception(read_error);
  }
  progress.done(rows, consumed);
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
