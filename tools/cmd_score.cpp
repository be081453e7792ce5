// modelbridge score MODEL [DATA|-] [-o OUT|-] [--keep COLS] [--expected CSV] ...
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "lib/compare/compare.hpp"
#include "lib/data/binder.hpp"
#include "lib/data/csv_writer.hpp"
#include "lib/eval/evaluator.hpp"
#include "lib/util/atomic_file.hpp"
#include "tools/commands.hpp"
#include "tools/scoring.hpp"

namespace mb::cli {
namespace {

// A one-line progress display on standard error: rows, rows per second, elapsed time.
class Progress {
 public:
  Progress(bool on, std::ostream& err) : on_(on), err_(err), start_(Clock::now()), last_(start_) {}
  void update(uint64_t rows) {
    if (!on_) return;
    auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    draw(rows, now);
  }
  void done(uint64_t rows) {
    if (!on_) return;
    draw(rows, Clock::now());
    err_ << "\n";
  }

 private:
  using Clock = std::chrono::steady_clock;
  void draw(uint64_t rows, Clock::time_point now) {
    const double s = std::chrono::duration<double>(now - start_).count();
    err_ << fmt::format("\rscored {} rows  {:.0f} rows/s  {:.1f} s", rows, s > 0 ? rows / s : 0.0, s) << std::flush;
  }
  bool on_;
  std::ostream& err_;
  Clock::time_point start_, last_;
};

}  // namespace

int run_score(const ScoreOptions& o, Io& io) {
  ir::Model m = formats::load_model(o.model, format_option(o.from, "--from"));
  apply_unseen_option(m, o.unseen);
  for (const auto& w : m.provenance.warnings) io.err << fmt::format("modelbridge: warning: {}: [{}] {}\n", o.model, w.code, w.message);

  auto input = open_csv(o.data);
  data::CsvReader& reader = *input->reader;
  data::InputBinder binder(m.schema, reader.header(), reader.file(), m.unseen);
  eval::Evaluator evaluator(m, eval::EvalOptions{.want_link = o.link});

  const bool to_stdout = o.output == "-" || o.output.empty();
  std::optional<AtomicFile> file;
  if (!to_stdout) file.emplace(o.output);
  data::CsvWriter writer(to_stdout ? STDOUT_FILENO : file->fd(), to_stdout ? "-" : o.output);
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

  Progress progress(o.progress == 1 || (o.progress == -1 && io.err_is_terminal), io.err);
  predictions.write_header();
  data::TextBatch text;
  eval::Batch batch;
  eval::Predictions pred;
  uint64_t rows = 0;
  while (reader.next(text)) {
    binder.bind(text, batch);
    evaluator.score(batch, pred);
    predictions.write(text, pred);
    if (expected) expected->add(pred);
    rows += text.rows;
    progress.update(rows);
  }
  progress.done(rows);
  writer.flush();
  if (file) file->commit();

  if (!expected) return kExitOk;
  const compare::Report r = expected->finish();
  // The report goes where it cannot mix with the predictions.
  std::ostream& rep = to_stdout ? io.err : io.out;
  rep << compare::render_text(r);
  return r.agrees() ? kExitOk : kExitDiffer;
}

}  // namespace mb::cli
