#include "tools/scoring.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "lib/data/binder.hpp"
#include "lib/data/csv_writer.hpp"
#include "lib/eval/evaluator.hpp"

namespace mb::cli {

CsvInput::~CsvInput() {
  reader.reset();
  if (owned) ::close(fd);
}

std::unique_ptr<CsvInput> open_csv(const std::string& path, data::CsvReaderOptions options) {
  auto in = std::make_unique<CsvInput>();
  if (path == "-" || path.empty()) {
    in->fd = STDIN_FILENO;
    in->reader = std::make_unique<data::CsvReader>(STDIN_FILENO, "-", options);
    return in;
  }
  in->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in->fd < 0) throw Error(path, "", fmt::format("cannot open: {}", std::strerror(errno)));
  in->owned = true;
  struct stat st {};
  if (::fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path, "", "is a directory, not a CSV file");
  in->reader = std::make_unique<data::CsvReader>(in->fd, path, options);
  return in;
}

uint64_t input_size(const CsvInput& in) {
  struct stat st {};
  if (in.fd < 0 || ::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<uint64_t>(st.st_size);
}

void apply_unseen_option(ir::Model& m, const std::string& value) {
  if (value == "na") m.unseen = ir::UnseenLevel::Missing;
  else if (value == "error") m.unseen = ir::UnseenLevel::Error;
}

uint64_t stream_score(const std::string& data_path, const std::vector<const ir::Model*>& models, bool want_link,
                      const BatchFn& fn, char delimiter) {
  data::CsvReaderOptions ro;
  ro.delimiter = delimiter;
  auto input = open_csv(data_path, ro);
  data::CsvReader& reader = *input->reader;
  std::vector<std::unique_ptr<data::InputBinder>> binders;
  std::vector<std::unique_ptr<eval::Evaluator>> evals;
  for (const auto* m : models) {
    binders.push_back(std::make_unique<data::InputBinder>(m->schema, reader.header(), reader.file(), m->unseen));
    evals.push_back(std::make_unique<eval::Evaluator>(*m, eval::EvalOptions{.want_link = want_link}));
  }
  std::vector<bool> number_columns(reader.columns(), false);
  for (const auto& b : binders) {
    const std::vector<bool> mine = b->number_columns(reader.columns());
    for (size_t c = 0; c < mine.size(); ++c) number_columns[c] = number_columns[c] || mine[c];
  }
  reader.read_numbers(number_columns);
  data::TextBatch text;
  eval::Batch batch;
  std::vector<eval::Predictions> preds(models.size());
  uint64_t rows = 0;
  while (reader.next(text)) {
    for (size_t i = 0; i < models.size(); ++i) {
      binders[i]->bind(text, batch);
      batch.first_row = rows;
      evals[i]->score(batch, preds[i]);
    }
    fn(text, preds);
    rows += text.rows;
  }
  return rows;
}

std::unique_ptr<std::istream> open_reference(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw Error(path, "", "is a directory, not a CSV file");
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw Error(path, "", fmt::format("cannot open: {}", std::strerror(errno)));
  return in;
}

}  // namespace mb::cli
