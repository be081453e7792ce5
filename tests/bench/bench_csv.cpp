// Throughput of the data layer: CSV reading, binding to a model's inputs, prediction output.
#include <benchmark/benchmark.h>

#include <random>
#include <sstream>
#include <string>

#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/data/csv_writer.hpp"

namespace {

using namespace mb;

constexpr int kColumns = 10;

const std::string& numeric_csv() {
  static const std::string text = [] {
    std::mt19937_64 rng(1);
    std::normal_distribution<double> dist(0.0, 100.0);
    std::string s;
    for (int c = 0; c < kColumns; ++c) s += (c ? ",x" : "x") + std::to_string(c);
    s += "\n";
    for (int r = 0; r < 200000; ++r) {
      for (int c = 0; c < kColumns; ++c) {
        if (c) s += ',';
        s += data::format_number(dist(rng));
      }
      s += '\n';
    }
    return s;
  }();
  return text;
}

ir::Schema numeric_schema() {
  ir::Schema schema;
  for (int c = 0; c < kColumns; ++c) {
    ir::InputField f;
    f.name = "x" + std::to_string(c);
    schema.inputs.push_back(f);
  }
  return schema;
}

void BM_ReadCsv(benchmark::State& state) {
  const std::string& text = numeric_csv();
  for (auto _ : state) {
    std::istringstream in(text);
    data::CsvReader reader(in, "bench.csv");
    data::TextBatch batch;
    size_t rows = 0;
    while (reader.next(batch)) rows += batch.rows;
    benchmark::DoNotOptimize(rows);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ReadCsv)->Unit(benchmark::kMillisecond);

void BM_ReadAndBind(benchmark::State& state) {
  const std::string& text = numeric_csv();
  ir::Schema schema = numeric_schema();
  for (auto _ : state) {
    std::istringstream in(text);
    data::CsvReader reader(in, "bench.csv");
    data::InputBinder binder(schema, reader.header(), "bench.csv", ir::UnseenLevel::Error);
    data::TextBatch batch;
    eval::Batch out;
    double sum = 0;
    while (reader.next(batch)) {
      binder.bind(batch, out);
      sum += out.columns[0][0];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ReadAndBind)->Unit(benchmark::kMillisecond);

void BM_WritePredictions(benchmark::State& state) {
  ir::Target target;
  target.task = ir::Task::Classification;
  target.classes = {"a", "b", "c"};
  eval::Predictions pred;
  pred.rows = 8192;
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t r = 0; r < pred.rows; ++r) {
    pred.label.push_back(static_cast<int32_t>(r % 3));
    for (int k = 0; k < 3; ++k) pred.prob.push_back(u(rng));
  }
  data::TextBatch none;
  for (auto _ : state) {
    std::ostringstream out;
    data::CsvWriter writer(out);
    data::PredictionWriter pw(writer, target, {}, "in.csv");
    pw.write_header();
    for (int i = 0; i < 25; ++i) pw.write(none, pred);
    writer.flush();
    benchmark::DoNotOptimize(out.str().size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 25 * pred.rows));
}
BENCHMARK(BM_WritePredictions)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
