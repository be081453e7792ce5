// suite: interop
// Classification tree ensembles written as float32 ONNX (`--precision float`) are one ai.onnx.ml
// opset-3 TreeEnsembleClassifier whose outputs are the model's labels and class probabilities:
// R's rpart, randomForest, ranger and gbm bernoulli fits (testdata/r) are written, the file's
// operator is checked with the onnx protobuf, onnxruntime 1.30 (onnxruntime-node) scores the
// case's input, and our reading of the same file must give onnxruntime's probabilities within
// one float32 ulp and its labels; the probabilities must also be the source model's on the same
// float32 inputs.  Models the classifier cannot express keep the TreeEnsembleRegressor.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/unit/onnx_trees_support.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
namespace ot = onnx_trees_test;
namespace ts = mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRCases = fs::path(MB_SOURCE_DIR) / "testdata" / "r";

const onnx::NodeProto* find_op(const onnx::ModelProto& model, const std::string& op) {
  for (const auto& n : model.graph().node())
    if (n.domain() == "ai.onnx.ml" && n.op_type() == op) return &n;
  return nullptr;
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

ir::Model import_case(const std::string& name, const fs::path& dir) {
  for (const auto& c : ts::r_tree_cases()) {
    if (name != c.name) continue;
    for (const char* file : {"model_exact.json", "model.rds"}) {
      Warnings w;
      r::RPtr obj = ts::read_r_object(dir / file, w);
      if (obj) return c.import(*obj, (dir / file).string());
    }
  }
  FAIL("no importer or no model file for " << name);
  return {};
}

struct Written {
  std::string bytes;
  onnx::ModelProto proto;
  fs::path file;
};

Written write_float(const ir::Model& m, const std::string& name) {
  Written out;
  Warnings w;
  out.bytes = onnxfmt::write(m, {ir::Precision::Float32}, w);
  out.file = ot::scratch_dir() / (name + ".f32.onnx");
  ot::write_file(out.file, out.bytes);
  REQUIRE(out.proto.ParseFromString(out.bytes));
  return out;
}

// onnxruntime's outputs against our reading of the same file: probabilities within one float32
// ulp, identical labels.
void check_against_ort(const ir::Model& back, const ot::Csv& input, const ot::Csv& ort, const std::string& name) {
  const eval::Predictions p = ot::score(back, ot::bind_positional(back, input));
  const size_t K = back.schema.target.classes.size();
  REQUIRE(ort.rows.size() == p.rows);
  const int lc = ort.col("class");
  REQUIRE(lc >= 0);
  size_t labels = 0, beyond = 0;
  double worst = 0;
  for (size_t r = 0; r < p.rows; ++r) {
    const std::string ours = p.label[r] < 0 ? "" : back.schema.target.classes[p.label[r]];
    labels += ort.rows[r][lc] != ours;
    for (size_t k = 0; k < K; ++k) {
      const int c = ort.col(fmt::format("probabilities_{}", k));
      REQUIRE(c >= 0);
      const double u = ot::float_ulps(p.prob[r * K + k], ot::number_cell(ort.rows[r][c]));
      worst = std::max(worst, u);
      beyond += u > 1;
    }
  }
  MESSAGE(name << ": onnxruntime vs our reading of the file: " << p.rows << " rows, max " << worst
               << " float32 ulp, beyond 1 ulp " << beyond << ", label mismatches " << labels);
  CHECK(beyond == 0);
  CHECK(labels == 0);
}

// onnxruntime's probabilities against the source model's (R's fit as imported, scored by the
// evaluator in double) on the same inputs rounded to float32, as the graph's float32 inputs are:
// every split then goes the same way (each threshold is the largest float32 not above the
// double one), so only the float32 leaf values and sums differ.  This checks the operator's
// layout: its probability output is the model's probabilities in the model's class order, its
// label the model's class.  Against R (inputs not rounded) rows move where an input lies within
// float32 rounding of a split; they are counted.
void check_against_source(const ir::Model& m, const ot::Csv& input, const ot::Csv& ort, const ot::Csv& expected,
                          const std::string& name) {
  eval::Batch b = ot::bind_positional(m, input);
  for (size_t i = 0; i < m.schema.inputs.size(); ++i)
    if (!m.schema.inputs[i].is_categorical())
      for (double& v : b.columns[i]) v = static_cast<double>(static_cast<float>(v));
  const eval::Predictions p = ot::score(m, b);
  const size_t K = m.schema.target.classes.size();
  REQUIRE(ort.rows.size() == p.rows);
  size_t beyond = 0, labels = 0, near_tie = 0, moved_vs_r = 0;
  double worst = 0;
  for (size_t r = 0; r < p.rows; ++r) {
    double first = -1, second = -1;
    for (size_t k = 0; k < K; ++k) {
      const double a = ot::number_cell(ort.rows[r][ort.col(fmt::format("probabilities_{}", k))]);
      const double want = p.prob[r * K + k];
      if (!(std::isnan(a) && std::isnan(want))) worst = std::max(worst, std::fabs(a - want));
      beyond += !ot::agree(a, want, 0, 1e-5);
      if (want > first) {
        second = first;
        first = want;
      } else if (want > second) {
        second = want;
      }
    }
    const std::string ours = p.label[r] < 0 ? "" : m.schema.target.classes[p.label[r]];
    if (ort.rows[r][ort.col("class")] != ours) {
      ++labels;
      near_tie += first - second <= 1e-5;  // float32 sums may break a tie the other way
    }
    moved_vs_r += ort.rows[r][ort.col("class")] != expected.rows[r][expected.col("class")];
  }
  MESSAGE(name << ": onnxruntime (float32) vs the source model on float32-rounded inputs: max |diff| " << worst
               << ", beyond 1e-5 " << beyond << ", classes changed " << labels << " (at ties " << near_tie
               << "); classes changed vs R " << moved_vs_r << " of " << p.rows);
  CHECK(beyond == 0);
  CHECK(labels == near_tie);
}
}  // namespace

TEST_CASE(
    "onnx tree classifier: R's classification trees in float32 are one TreeEnsembleClassifier that onnxruntime scores "
    "as we read it") {
  ot::require_onnx_tools();
  struct Case {
    const char* name;
    const char* post;  // expected post_transform
    bool binary;       // one weight per leaf on class 0
  };
  const Case cases[] = {
      {"rpart_class", "NONE", false},        {"rpart_class_factor", "NONE", true},
      {"rf_class", "NONE", false},           {"rf_class_factor", "NONE", true},
      {"ranger_class", "NONE", false},       {"ranger_prob_order", "NONE", true},
      {"ranger_prob_ignore", "NONE", false}, {"ranger_class_partition", "NONE", true},
      {"gbm_bernoulli", "LOGISTIC", true},
  };
  for (const auto& c : cases) {
    const fs::path dir = kRCases / c.name;
    REQUIRE_MESSAGE(fs::exists(dir / "expected.csv"), dir.string() << " is missing");
    CAPTURE(std::string(c.name));
    const ir::Model m = import_case(c.name, dir);
    REQUIRE(m.schema.target.task == ir::Task::Classification);
    const Written w = write_float(m, c.name);

    // The file holds one TreeEnsembleClassifier (and no regressor) with the model's classes.
    const onnx::NodeProto* op = find_op(w.proto, "TreeEnsembleClassifier");
    REQUIRE(op != nullptr);
    CHECK(find_op(w.proto, "TreeEnsembleRegressor") == nullptr);
    const auto* labels = attr(*op, "classlabels_strings");
    REQUIRE(labels != nullptr);
    CHECK(std::vector<std::string>(labels->strings().begin(), labels->strings().end()) == m.schema.target.classes);
    const auto* post = attr(*op, "post_transform");
    CHECK((post ? post->s() : std::string("NONE")) == c.post);
    const auto* ids = attr(*op, "class_ids");
    REQUIRE(ids != nullptr);
    int64_t top = 0;
    for (auto id : ids->ints()) top = std::max(top, id);
    CHECK(top == (c.binary ? 0 : static_cast<int64_t>(m.schema.target.classes.size()) - 1));
    const auto& te = std::get<ir::TreeEnsemble>(m.estimator);
    if (std::string(c.name) == "gbm_bernoulli") {
      const auto* base = attr(*op, "base_values");
      REQUIRE(base != nullptr);
      REQUIRE(base->floats_size() == 1);
      CHECK(base->floats(0) == static_cast<float>(te.base.at(0)));
    }
    if (te.aggregate == ir::Aggregate::Vote) {
      // One vote of 1/ntree per tree.
      const auto* wts = attr(*op, "class_weights");
      REQUIRE(wts != nullptr);
      const float vote = static_cast<float>(1.0 / static_cast<double>(te.trees.size()));
      for (float x : wts->floats()) CHECK((x == 0.0f || x == vote || std::isnan(x)));  // NaN: a missing input
    }
    const std::string chk = ot::onnx_checker_output(w.file);
    CHECK_MESSAGE(chk.empty(), "onnx.checker: " << chk);

    // onnxruntime against our reading of the file, and against R.
    const ot::Csv input = ot::parse_csv(ot::slurp(dir / "input.csv"));
    const ot::Csv expected = ot::parse_csv(ot::slurp(dir / "expected.csv"));
    const fs::path csv = ot::write_data(std::string("cls_") + c.name, input);
    const ot::Csv ort = ot::ort_score(w.file, csv);
    const ir::Model back = onnxfmt::read(w.bytes, w.file.string());
    const auto& bte = std::get<ir::TreeEnsemble>(back.estimator);
    CHECK(bte.output.arithmetic == ir::Arithmetic::Operator);
    CHECK(bte.output.label == ir::LabelRule::RawScores);
    CHECK(back.schema.target.classes == m.schema.target.classes);
    check_against_ort(back, input, ort, c.name);
    check_against_source(m, input, ort, expected, c.name);
  }
}

TEST_CASE("onnx tree classifier: models without an exact classifier layout keep the TreeEnsembleRegressor") {
  ot::require_onnx_tools();
  // Summed scores normalised by their row sum (no post-transform divides by it) and a binary
  // score without a link whose leaves are negative (onnxruntime would lay it out as [-s, s]).
  ir::Model normalized_sums = ot::rich_classifier(ir::Aggregate::Sum, ir::ScoreTransform::Normalize);
  ir::Model signed_binary = ot::gbm_binary();
  std::get<ir::TreeEnsemble>(signed_binary.estimator).link = ir::Link::Identity;
  const ir::Model models[] = {normalized_sums, signed_binary, ot::gbm_binary(),
                              ot::rich_classifier(ir::Aggregate::Vote, ir::ScoreTransform::Normalize)};
  const bool classifier[] = {false, false, true, true};
  for (size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    const std::string name = fmt::format("cls_layout_{}", i);
    const Written w = write_float(models[i], name);
    CHECK((find_op(w.proto, "TreeEnsembleClassifier") != nullptr) == classifier[i]);
    CHECK((find_op(w.proto, "TreeEnsembleRegressor") != nullptr) == !classifier[i]);
    const ot::Csv data = ot::make_data(400);
    const fs::path csv = ot::write_data(name, data);
    const ir::Model back = onnxfmt::read(w.bytes, w.file.string());
    check_against_ort(back, data, ot::ort_score(w.file, csv), name);
  }
}
