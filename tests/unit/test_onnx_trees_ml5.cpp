// suite: interop
// ONNX tree ensembles, ai.onnx.ml opset-5 and binary-layout side: IR trees written with
// --onnx-trees ml5 (one TreeEnsemble, double and float32) scored by onnxruntime-node against the
// evaluator and read back; onnxruntime's binary TreeEnsembleClassifier whose weights name class 1
// only (probes of ../shared/corpus/onnx/probes) against its recorded outputs.
#include <onnx/onnx_pb.h>
#include <rapidjson/document.h>

#include <algorithm>

#include "tests/unit/onnx_trees_support.hpp"

using namespace mb;
using namespace onnx_trees_test;

namespace {

// The ONNX file's ai.onnx.ml opset and the op types of its ai.onnx.ml nodes.
std::pair<int64_t, std::vector<std::string>> ml_nodes(const std::string& bytes) {
  onnx::ModelProto proto;
  REQUIRE(proto.ParseFromString(bytes));
  int64_t opset = 0;
  for (const auto& o : proto.opset_import())
    if (o.domain() == "ai.onnx.ml") opset = o.version();
  std::vector<std::string> ops;
  for (const auto& n : proto.graph().node())
    if (n.domain() == "ai.onnx.ml") ops.push_back(n.op_type());
  return {opset, ops};
}

// --onnx-trees ml5: write -> one TreeEnsemble (ml opset 5; onnx 1.12's checker refuses it) ->
// onnxruntime agrees with the evaluator at rtol 1e-9 (double) -> read back scores as the source;
// float32: the evaluator's onnxruntime rules on the file read back reproduce onnxruntime.
void round_trip_ml5(const ir::Model& m, const std::string& name) {
  require_onnx_tools();
  const Csv data = make_data(500);
  const fs::path csv = write_data(name, data);
  const eval::Batch batch = bind_positional(m, data);
  const auto p0 = score(m, batch);
  for (const auto prec : {ir::Precision::Double, ir::Precision::Float32}) {
    const bool f32 = prec == ir::Precision::Float32;
    CAPTURE(f32);
    Warnings w;
    onnxfmt::WriteOptions o;
    o.precision = prec;
    o.trees = onnxfmt::OnnxTrees::Ml5;
    const std::string bytes = onnxfmt::write(m, o, w);
    bool warned = false;
    for (const auto& x : w) warned |= x.code == "onnx-ml-opset-5";
    CHECK(warned);
    const auto [opset, ops] = ml_nodes(bytes);
    CHECK(opset == 5);
    CHECK(std::count(ops.begin(), ops.end(), "TreeEnsemble") == 1);
    CHECK(std::count(ops.begin(), ops.end(), "TreeEnsembleRegressor") == 0);
    const fs::path file = scratch_dir() / (name + (f32 ? ".ml5f.onnx" : ".ml5.onnx"));
    write_file(file, bytes);
    const std::string chk = onnx_checker_output(file);
    CHECK_MESSAGE(chk.find("TreeEnsemble") != std::string::npos, "onnx 1.12's checker accepted ml opset 5: " << chk);
    const Csv ort = ort_score(file, csv);
    const ir::Model back = onnxfmt::read(bytes, file.string());
    const auto& te = std::get<ir::TreeEnsemble>(back.estimator);
    CHECK(te.output.arithmetic == ir::Arithmetic::Operator);
    const auto p1 = score(back, batch);
    if (!f32) {
      const Versus v = versus(m, p0, ort, 1e-12, 1e-9);
      const Versus rb = versus(back, p1, ort, 1e-15, 1e-12);
      MESSAGE(name << " (ml5 double): onnxruntime vs evaluator max abs " << v.max_abs << ", beyond " << v.beyond
                   << "; read back vs onnxruntime beyond " << rb.beyond);
      CHECK(v.beyond == 0);
      CHECK(v.labels == 0);
      CHECK(rb.beyond == 0);
      CHECK(rb.labels == 0);
    } else {
      CHECK(te.value_precision == ir::Precision::Float32);
      const Versus same = versus(back, p1, ort, 1e-15, 1e-12);
      const Versus moved = versus(m, p0, ort, 1e-12, 1e-9);
      MESSAGE(name << " (ml5 float32): float32 rules vs onnxruntime beyond " << same.beyond
                   << "; vs double model: " << moved.beyond << " values moved, " << moved.labels << " labels changed");
      CHECK(same.beyond == 0);
      CHECK(same.labels == 0);
    }
  }
}

}  // namespace

TEST_CASE(
    "onnx trees: --onnx-trees ml5 writes one opset-5 TreeEnsemble that onnxruntime and the reader score as the "
    "source") {
  round_trip_ml5(rich_regression(ir::Aggregate::Sum, true), "ml5_sum_base");
  round_trip_ml5(rich_regression(ir::Aggregate::Average, false), "ml5_average");
  round_trip_ml5(rich_classifier(ir::Aggregate::Vote, ir::ScoreTransform::Normalize), "ml5_vote");
  round_trip_ml5(rich_classifier(ir::Aggregate::Average, ir::ScoreTransform::None), "ml5_prob_average");
  round_trip_ml5(rich_classifier(ir::Aggregate::Sum, ir::ScoreTransform::Softmax), "ml5_softmax");
  round_trip_ml5(gbm_binary(), "ml5_gbm_binary");
  ir::Model mx = rich_regression(ir::Aggregate::Max, false);
  for (auto& t : std::get<ir::TreeEnsemble>(mx.estimator).trees)
    for (auto& mg : t.missing)
      if (mg == ir::MissingGo::Null) mg = ir::MissingGo::Right;
  round_trip_ml5(mx, "ml5_max");
  std::get<ir::TreeEnsemble>(mx.estimator).aggregate = ir::Aggregate::Min;
  round_trip_ml5(mx, "ml5_min");
  // A single-leaf tree is one test whose both branches reach the leaf.
  ir::Model one = tree_base();
  ir::TreeEnsemble te;
  TreeBuilder b(1);
  b.leaf({2.5});
  te.trees = {b.t, rich_tree(1, 1.0, false)};
  one.estimator = te;
  one.schema.target = {"y", ir::Task::Regression, {}};
  ir::validate(one, "test");
  round_trip_ml5(one, "ml5_single_leaf");
  // Linear models have no trees to write.
  ir::Model lin = tree_base();
  ir::Linear l;
  l.coefficients = {1, 2, 0};
  l.intercepts = {0.5};
  lin.estimator = l;
  lin.schema.target = {"y", ir::Task::Regression, {}};
  Warnings w;
  onnxfmt::WriteOptions o;
  o.trees = onnxfmt::OnnxTrees::Ml5;
  CHECK_THROWS_AS(onnxfmt::write(lin, o, w), Error);
}

TEST_CASE(
    "onnx trees: binary TreeEnsembleClassifier weighting class 1 only scores as onnxruntime ([0, s], [0.5, "
    "logistic(s)])") {
  const fs::path dir = kCorpus / "probes";
  if (!have_shared(dir / "results.json")) return;
  rapidjson::Document results;
  results.Parse(slurp(dir / "results.json").c_str());
  REQUIRE(results.IsObject());
  const double xs[] = {0.25, 0.75};  // the probes' feeds
  for (const char* name :
       {"tec_binary_pos_NONE", "tec_binary_mixed_NONE", "tec_binary_pos_LOGISTIC", "tec_binary_mixed_LOGISTIC"}) {
    CAPTURE(std::string(name));
    const fs::path file = dir / (std::string(name) + ".onnx");
    const std::string bytes = slurp(file);
    const ir::Model m = onnxfmt::read(bytes, file.string());
    const auto& te = std::get<ir::TreeEnsemble>(m.estimator);
    CHECK(te.output.layout == ir::ScoreLayout::OneScoreClass1);
    CHECK(te.n_outputs == 1);
    REQUIRE(m.schema.target.classes.size() == 2);
    eval::Batch b;
    b.rows = 2;
    b.columns.assign(1, std::vector<double>(std::begin(xs), std::end(xs)));
    const auto p = score(m, b);
    const auto& res = results[name];
    for (size_t r = 0; r < 2; ++r) {
      const auto ri = static_cast<rapidjson::SizeType>(r);
      CHECK(m.schema.target.classes[p.label[r]] == std::to_string(res["Y"]["data"][ri].GetInt64()));
      for (size_t k = 0; k < 2; ++k) {
        const double ref = res["Z"]["data"][static_cast<rapidjson::SizeType>(r * 2 + k)].GetDouble();
        CHECK(float_ulps(p.prob[r * 2 + k], ref) <= 1.0);
      }
    }
    // Class 0's column is the post-transform of 0 (not 1 - s).
    CHECK(p.prob[0] == (std::string(name).find("LOGISTIC") != std::string::npos ? 0.5 : 0.0));

    // The layout is part of the model's meaning: the same trees weighting class 0 read differently.
    onnx::ModelProto proto;
    REQUIRE(proto.ParseFromString(bytes));
    onnx::NodeProto* op = nullptr;
    for (auto& n : *proto.mutable_graph()->mutable_node())
      if (n.op_type() == "TreeEnsembleClassifier") op = &n;
    REQUIRE(op != nullptr);
    bool has_ids = false;
    for (const auto& a : op->attribute()) has_ids |= a.name() == "class_ids";
    REQUIRE(has_ids);
    onnx::ModelProto as_class0 = proto;
    for (auto& n : *as_class0.mutable_graph()->mutable_node())
      if (n.op_type() == "TreeEnsembleClassifier")
        for (auto& a : *n.mutable_attribute())
          if (a.name() == "class_ids")
            for (int i = 0; i < a.ints_size(); ++i) a.set_ints(i, 0);
    const ir::Model m0 = onnxfmt::read(as_class0.SerializeAsString(), "class0.onnx");
    CHECK(std::get<ir::TreeEnsemble>(m0.estimator).output.layout == ir::ScoreLayout::OneScore);
    CHECK_FALSE(std::get<ir::TreeEnsemble>(m0.estimator) == te);

    // Post-transforms not probed with this layout are refused, naming the post-transform.
    for (const char* other : {"SOFTMAX", "SOFTMAX_ZERO", "PROBIT"}) {
      onnx::ModelProto bad = proto;
      for (auto& n : *bad.mutable_graph()->mutable_node())
        if (n.op_type() == "TreeEnsembleClassifier") {
          bool set = false;
          for (auto& a : *n.mutable_attribute())
            if (a.name() == "post_transform") {
              a.set_s(other);
              set = true;
            }
          if (!set) {
            auto* a = n.add_attribute();
            a->set_name("post_transform");
            a->set_type(onnx::AttributeProto::STRING);
            a->set_s(other);
          }
        }
      try {
        onnxfmt::read(bad.SerializeAsString(), "bad.onnx");
        FAIL("post_transform " << other << " was accepted");
      } catch (const Error& e) {
        const std::string msg = e.what();
        CHECK_MESSAGE(msg.find(std::string("post_transform ") + other) != std::string::npos, msg);
        CHECK_MESSAGE(msg.find("not probed") != std::string::npos, msg);
      }
    }
  }
}
