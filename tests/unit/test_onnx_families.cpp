// suite: interop
// ONNX reader, the families skl2onnx writes besides linear models and trees (SVMClassifier,
// SVMRegressor, MLP graphs, k-means and Gaussian naive Bayes graphs): the corpus files are read
// as their family, and damaged variants of them, made here by editing one attribute or one
// initializer of the file someone else wrote, are refused (exit 2) naming the node and what is
// wrong.  The agreement of the scores with onnxruntime is the conformance test's (ort.csv).
#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "formats/onnx/onnx.hpp"
#include "formats/pmml/pmml.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(MB_SHARED_DIR) / "corpus/onnx/skl2onnx";

onnx::ModelProto load(const std::string& name) {
  const fs::path f = kRoot / name / "model.onnx";
  REQUIRE_MESSAGE(fs::exists(f), f.string() << " is missing from the corpus");
  onnx::ModelProto m;
  const std::string bytes = slurp(f);
  REQUIRE(m.ParseFromString(bytes));
  return m;
}

onnx::NodeProto* node_of(onnx::ModelProto& m, const std::string& op) {
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.op_type() == op) return &n;
  FAIL("no " << op << " node");
  return nullptr;
}

onnx::AttributeProto* attr_of(onnx::NodeProto* n, const std::string& name) {
  for (auto& a : *n->mutable_attribute())
    if (a.name() == name) return &a;
  FAIL("no attribute " << name);
  return nullptr;
}

onnx::TensorProto* init_of(onnx::ModelProto& m, const std::string& name) {
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return &t;
  FAIL("no initializer " << name);
  return nullptr;
}

// Reading the edited model fails with exit 2, the place naming `node`, the message holding `what`.
void refused(const onnx::ModelProto& m, const std::string& node, const std::string& what) {
  const std::string bytes = m.SerializeAsString();
  try {
    onnxfmt::read(bytes, "edited.onnx");
    FAIL("accepted a model edited to break " << what);
  } catch (const Error& e) {
    CAPTURE(e.what());
    CHECK(e.exit_code() == 2);
    CHECK(e.file() == "edited.onnx");
    CHECK(e.place().find(node) != std::string::npos);
    CHECK(std::string(e.message()).find(what) != std::string::npos);
  }
}

// Replaces the float data of a float initializer.
void set_floats(onnx::TensorProto* t, const std::function<void(std::vector<float>&)>& edit) {
  std::vector<float> v;
  if (t->has_raw_data()) {
    v.resize(t->raw_data().size() / 4);
    std::memcpy(v.data(), t->raw_data().data(), v.size() * 4);
  } else {
    v.assign(t->float_data().begin(), t->float_data().end());
  }
  edit(v);
  t->clear_raw_data();
  t->clear_float_data();
  for (float x : v) t->add_float_data(x);
}

}  // namespace

TEST_CASE("onnx families: skl2onnx SVMs, MLP, k-means and naive Bayes are read as their family") {
  if (!have_shared(kRoot)) return;
  struct Case {
    const char* name;
    const char* kind;
    ir::Task task;
    size_t classes;
  };
  const Case cases[] = {
      {"svc_rbf_proba_iris", "svm", ir::Task::Classification, 3},
      {"svc_rbf_proba_breast_cancer", "svm", ir::Task::Classification, 2},
      {"mlp_clf_iris", "mlp", ir::Task::Classification, 3},
      {"kmeans_iris", "clustering", ir::Task::Clustering, 3},
      {"gnb_wine", "naive_bayes", ir::Task::Classification, 3},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const fs::path f = kRoot / c.name / "model.onnx";
    const ir::Model m = onnxfmt::read(slurp(f), f.string());
    CHECK(std::string(ir::estimator_kind(m.estimator)) == c.kind);
    CHECK(m.schema.target.task == c.task);
    CHECK(m.schema.target.classes.size() == c.classes);
  }
  // Float32 parameters and onnxruntime's arithmetic are part of the model.
  const fs::path f = kRoot / "svc_rbf_proba_iris" / "model.onnx";
  const ir::Model m = onnxfmt::read(slurp(f), f.string());
  const auto& s = std::get<ir::Svm>(m.estimator);
  CHECK(s.output.arithmetic == ir::Arithmetic::Operator);
  CHECK(s.output.label == ir::LabelRule::Votes);
  CHECK(s.precision == ir::Precision::Float32);
  CHECK(s.n_sv == 60);
  CHECK(s.prob_a.size() == 3);
}

TEST_CASE("onnx families: skl2onnx's one-vs-rest scores of an SVC without probabilities are read as that stage") {
  if (!have_shared(kRoot)) return;
  const fs::path f = kRoot / "svc_rbf_iris" / "model.onnx";
  const ir::Model m = onnxfmt::read(slurp(f), f.string());
  const auto& s = std::get<ir::Svm>(m.estimator);
  CHECK(s.output.layout == ir::ScoreLayout::OneVsRest);
  CHECK(s.output.label == ir::LabelRule::Votes);
  CHECK(s.prob_a.empty());
  bool named = false;
  for (const auto& w : m.provenance.warnings) named |= w.code == "svm-ovr-decision-scores";
  CHECK(named);
  // Each row as onnxruntime 1.30 scored the file (ort.csv), within one float32 ulp; the labels equal.
  const Csv data = parse_csv(slurp(kRoot / "svc_rbf_iris" / "input.csv"));
  const Csv ort = parse_csv(slurp(kRoot / "svc_rbf_iris" / "ort.csv"));
  const auto p = score(m, bind_positional(m, data));
  const size_t K = 3;
  REQUIRE(p.rows == ort.rows.size());
  REQUIRE(ort.header.size() == K + 1);
  double worst = 0;
  for (size_t r = 0; r < p.rows; ++r) {
    CAPTURE(r);
    CHECK(m.schema.target.classes[p.label[r]] == ort.rows[r][0]);
    for (size_t k = 0; k < K; ++k) {
      const double a = p.prob[r * K + k], o = number_cell(ort.rows[r][k + 1]);
      const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(o)) - 23);
      worst = std::max(worst, std::fabs(a - o) / ulp);
    }
  }
  MESSAGE("svc_rbf_iris: " << worst << " float32 ulp from onnxruntime");
  CHECK(worst <= 1.0);
}

TEST_CASE("onnx families: a one-vs-rest graph that departs from skl2onnx's is refused naming the node") {
  if (!have_shared(kRoot)) return;
  auto node_named = [](onnx::ModelProto& m, const std::string& out) -> onnx::NodeProto* {
    for (auto& n : *m.mutable_graph()->mutable_node())
      if (n.output_size() == 1 && n.output(0) == out) return &n;
    FAIL("no node computes " << out);
    return nullptr;
  };
  {
    onnx::ModelProto m = load("svc_rbf_iris");
    set_floats(init_of(m, "cst3"), [](std::vector<float>& v) { v[0] = 4.0f; });
    refused(m, "(Mul)", "input 'cst3' the float constant 3");
  }
  {
    // Class 1's confidences summed the other way round: -d0 + d2 is not its sum in pair order.
    onnx::ModelProto m = load("svc_rbf_iris");
    auto* sum = node_named(m, "svcsumc_1");
    const std::string a = sum->input(0);
    sum->set_input(0, sum->input(1));
    sum->set_input(1, a);
    refused(m, "(ArrayFeatureExtractor)", "minus the pairwise decision value 0");
  }
  {
    // A confidence with its sign flipped (the Neg of class 2's second term dropped).
    onnx::ModelProto m = load("svc_rbf_iris");
    node_named(m, "svcsumc_0")->set_input(1, "Csvc_1");
    refused(m, "(ArrayFeatureExtractor)", "the pairwise decision value 1 (the sign differs)");
  }
  {
    onnx::ModelProto m = load("svc_rbf_iris");
    node_named(m, "negative")->set_op_type("Greater");
    refused(m, "(Greater)", "Less(decision values, 0)");
  }
  {
    onnx::ModelProto m = load("svc_rbf_iris");
    attr_of(node_named(m, "Csvcconc"), "axis")->set_i(0);
    refused(m, "(Concat)", "Concat on axis 1");
  }
  {
    onnx::ModelProto m = load("svc_rbf_iris");
    node_named(m, "Cconc_abs3")->set_op_type("Sub");
    refused(m, "(Sub)", "Mul(|sums| + 1, 3)");
  }
}

// The one-vs-rest stage written back to ONNX is skl2onnx's graph again: onnxruntime scores the
// written file as it scored the source (ort.csv), and the file reads back as the same model.
TEST_CASE("onnx families: skl2onnx's one-vs-rest SVC written back scores in onnxruntime as the source did") {
  if (!have_shared(kRoot)) return;
  require_onnx_tools();
  const fs::path dir = kRoot / "svc_rbf_iris";
  const ir::Model src = onnxfmt::read(slurp(dir / "model.onnx"), (dir / "model.onnx").string());
  Warnings w;
  const std::string bytes = onnxfmt::write(src, {}, w);
  const fs::path model = scratch_dir() / "svc_rbf_iris.ovr.onnx";
  write_file(model, bytes);
  const ir::Model back = onnxfmt::read(bytes, model.string());
  CHECK(std::get<ir::Svm>(back.estimator) == std::get<ir::Svm>(src.estimator));
  // The written model's inputs are X_0..X_3, one column each.
  Csv data = parse_csv(slurp(dir / "input.csv"));
  for (size_t j = 0; j < data.header.size(); ++j) data.header[j] = fmt::format("X_{}", j);
  const fs::path csv = scratch_dir() / "svc_rbf_iris.input.csv";
  write_csv(csv, data);
  const Csv ort_written = ort_score(model, csv);
  const Csv ort_source = parse_csv(slurp(dir / "ort.csv"));
  REQUIRE(ort_written.rows.size() == ort_source.rows.size());
  REQUIRE(ort_written.header.size() == ort_source.header.size());
  for (size_t r = 0; r < ort_source.rows.size(); ++r) {
    CAPTURE(r);
    CHECK(ort_written.rows[r][0] == ort_source.rows[r][0]);
    for (size_t k = 1; k < ort_source.header.size(); ++k)
      CHECK(number_cell(ort_written.rows[r][k]) == number_cell(ort_source.rows[r][k]));
  }
  // PMML has no such output: refused by name.
  CHECK_THROWS_WITH_AS(pmml::write(src, w), doctest::Contains("one-vs-rest decision scores"), Unsupported);
}

// More than three classes: each class's Sum adds three or more terms, left to right in
// onnxruntime; a four-class machine made here scores in onnxruntime as modelbridge says, and the
// written graph reads back as the same stage.
TEST_CASE("onnx families: four-class one-vs-rest SVC scores: onnxruntime agrees with the evaluator") {
  require_onnx_tools();
  ir::Model m;
  m.schema.inputs.resize(2);
  m.schema.inputs[0].name = "a";
  m.schema.inputs[1].name = "b";
  m.schema.target.name = "y";
  m.schema.target.task = ir::Task::Classification;
  m.schema.target.classes = {"k0", "k1", "k2", "k3"};
  m.features = {{"a", ir::Expr::input(0)}, {"b", ir::Expr::input(1)}};
  ir::Svm s;
  s.kernel = ir::Kernel::Radial;
  s.gamma = 0.7;
  s.precision = ir::Precision::Float32;
  s.output.arithmetic = ir::Arithmetic::Operator;
  s.output.output_precision = ir::Precision::Float32;
  s.output.label = ir::LabelRule::Votes;
  s.output.layout = ir::ScoreLayout::OneVsRest;
  s.sv_per_class = {2, 1, 2, 1};
  s.n_sv = 6;
  s.class_order = {0, 1, 2, 3};
  s.support_vectors = {0.1, 0.2, 1.3, -0.4, 2.2, 1.1, -1.5, 0.7, 0.3, 2.4, -0.8, -1.9};
  // Three rows (K - 1) of six coefficients; six rho values, one per pair.
  s.coefficients = {0.9,   0.45, -0.7, 0.3, -0.25, 0.6,  0.35, -0.8, 0.5,
                    -0.15, 0.75, -0.4, 0.2, -0.6,  0.85, -0.3, 0.55, -0.9};
  s.rho = {0.11, -0.23, 0.05, 0.31, -0.17, 0.02};
  for (double& v : s.support_vectors) v = static_cast<float>(v);
  for (double& v : s.coefficients) v = static_cast<float>(v);
  for (double& v : s.rho) v = static_cast<float>(v);
  s.gamma = static_cast<float>(s.gamma);
  m.estimator = s;
  ir::validate(m, "svc4.onnx");
  Warnings w;
  const std::string bytes = onnxfmt::write(m, {}, w);
  const fs::path model = scratch_dir() / "svc4_ovr.onnx", csv = scratch_dir() / "svc4_ovr.csv";
  write_file(model, bytes);
  const ir::Model back = onnxfmt::read(bytes, model.string());
  CHECK(std::get<ir::Svm>(back.estimator) == s);
  std::string text = "a,b\n";
  for (int i = 0; i < 200; ++i)
    text += fmt::format("{},{}\n", -2.5 + 0.0371 * i * (i % 3 + 1) - 0.013 * i, 2.0 - 0.0217 * i * ((i + 1) % 4));
  write_file(csv, text);
  const Csv ort = ort_score(model, csv);
  const auto p = score(back, bind_positional(back, parse_csv(text)));
  REQUIRE(ort.rows.size() == p.rows);
  const size_t K = 4;
  size_t differ = 0;
  for (size_t r = 0; r < p.rows; ++r) {
    CAPTURE(r);
    CHECK(ort.rows[r][0] == m.schema.target.classes[p.label[r]]);
    for (size_t k = 0; k < K; ++k) differ += number_cell(ort.rows[r][k + 1]) != p.prob[r * K + k];
  }
  CHECK(differ == 0);
}

TEST_CASE("onnx families: damaged SVMClassifier attributes are refused naming the node and attribute") {
  if (!have_shared(kRoot)) return;
  {
    onnx::ModelProto m = load("svc_rbf_proba_iris");
    attr_of(node_of(m, "SVMClassifier"), "coefficients")->mutable_floats()->RemoveLast();
    refused(m, "graph node 'SVMc' (SVMClassifier)", "attribute 'coefficients' holds 119 values");
  }
  {
    onnx::ModelProto m = load("svc_rbf_proba_iris");
    attr_of(node_of(m, "SVMClassifier"), "vectors_per_class")->mutable_ints()->Set(0, 8);
    refused(m, "(SVMClassifier)", "attribute 'support_vectors' holds 240 values");
  }
  {
    onnx::ModelProto m = load("svc_rbf_proba_iris");
    attr_of(node_of(m, "SVMClassifier"), "rho")->mutable_floats()->RemoveLast();
    refused(m, "(SVMClassifier)", "attribute 'rho' holds 2 values");
  }
  {
    onnx::ModelProto m = load("svc_rbf_proba_iris");
    attr_of(node_of(m, "SVMClassifier"), "prob_b")->mutable_floats()->RemoveLast();
    refused(m, "(SVMClassifier)", "attributes 'prob_a' and 'prob_b' hold 3 and 2 values");
  }
  {
    onnx::ModelProto m = load("svc_rbf_proba_iris");
    attr_of(node_of(m, "SVMClassifier"), "kernel_type")->set_s("CUBIC");
    refused(m, "(SVMClassifier)", "attribute 'kernel_type' is 'CUBIC'");
  }
}

TEST_CASE("onnx families: damaged MLP, k-means and naive Bayes graphs are refused naming the node") {
  if (!have_shared(kRoot)) return;
  {
    // The second layer's weights lose a row: 15 rows for 16 hidden units.
    onnx::ModelProto m = load("mlp_clf_iris");
    auto* w = init_of(m, "coefficient1");
    set_floats(w, [](std::vector<float>& v) { v.resize(v.size() - 3); });
    w->set_dims(0, 15);
    refused(m, "graph node 'MatMul1' (MatMul)", "have 15 rows for 16 inputs");
  }
  {
    // A Tanh between the product and the bias: not a layer.
    onnx::ModelProto m = load("mlp_clf_iris");
    node_of(m, "Relu")->set_op_type("Hardmax");
    refused(m, "(Hardmax)", "unsupported operator between two layers");
  }
  {
    // The constant added for the centres is not their squared norms.
    onnx::ModelProto m = load("kmeans_iris");
    set_floats(init_of(m, "Ad_Addcst"), [](std::vector<float>& v) { v[1] += 1.0f; });
    refused(m, "graph node 'Ad_Add1' (Add)", "is not its squared norm");
  }
  {
    onnx::ModelProto m = load("kmeans_iris");
    attr_of(node_of(m, "Gemm"), "alpha")->set_f(2.0f);
    refused(m, "(Gemm)", "expected Gemm(X, centres, alpha = -2, transB = 1)");
  }
  {
    // The normalisation constants no longer match the variances.
    onnx::ModelProto m = load("gnb_wine");
    set_floats(init_of(m, "sigma_sum_log"), [](std::vector<float>& v) { v[2] -= 0.5f; });
    refused(m, "graph node 'Sub1' (Sub)", "is not -0.5 * sum log(2 pi var)");
  }
  {
    onnx::ModelProto m = load("gnb_wine");
    set_floats(init_of(m, "prod_operand"), [](std::vector<float>& v) { v[0] = 0.25f; });
    refused(m, "graph node 'Mul' (Mul)", "expected the multiplication by 0.5");
  }
}

TEST_CASE("onnx families: damaged preprocessing operators are refused naming the node") {
  if (!have_shared(kRoot)) return;
  onnx::ModelProto m = load("pipe_coltrans_impute_onehot_logreg_mixed");
  attr_of(node_of(m, "Imputer"), "imputed_value_floats")->mutable_floats()->RemoveLast();
  refused(m, "graph node 'Imputer' (Imputer)", "imputed values do not match the columns");
}

TEST_CASE("onnx families: a LabelEncoder or CategoryMapper whose keys and values differ in length is refused") {
  // A one-node graph built here: string input X -> op -> int64 output Y.
  for (const std::string op : {"LabelEncoder", "CategoryMapper"}) {
    CAPTURE(op);
    onnx::ModelProto m;
    m.set_ir_version(8);
    auto* os = m.add_opset_import();
    os->set_domain("ai.onnx.ml");
    os->set_version(2);
    auto* g = m.mutable_graph();
    auto* in = g->add_input();
    in->set_name("X");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::STRING);
    tt->mutable_shape()->add_dim();
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    auto* out = g->add_output();
    out->set_name("Y");
    auto* ot = out->mutable_type()->mutable_tensor_type();
    ot->set_elem_type(onnx::TensorProto::INT64);
    auto* n = g->add_node();
    n->set_name("enc");
    n->set_op_type(op);
    n->set_domain("ai.onnx.ml");
    n->add_input("X");
    n->add_output("Y");
    auto* keys = n->add_attribute();
    keys->set_name(op == "LabelEncoder" ? "keys_strings" : "cats_strings");
    keys->set_type(onnx::AttributeProto::STRINGS);
    keys->add_strings("a");
    keys->add_strings("b");
    auto* vals = n->add_attribute();
    vals->set_name(op == "LabelEncoder" ? "values_int64s" : "cats_int64s");
    vals->set_type(onnx::AttributeProto::INTS);
    vals->add_ints(5);
    // The well-formed graph reads as the code of the label, unknown labels as the default.
    vals->add_ints(6);
    {
      const ir::Model ok = onnxfmt::read(m.SerializeAsString(), "encoder.onnx");
      CHECK(ok.schema.inputs.at(0).open);
      CHECK(ok.schema.inputs.at(0).levels.size() == 3);
    }
    vals->mutable_ints()->RemoveLast();
    refused(m, "graph node 'enc' (" + op + ")", "keys and values of equal length");
  }
}

TEST_CASE("onnx families: a numeric OneHotEncoder (cats_int64s) scores as onnxruntime does") {
  require_onnx_tools();
  // X [N,1] float -> OneHotEncoder(cats -2, 0, 1, 3; zeros 1) -> Reshape [N,4] -> MatMul [4,1]:
  // the prediction names the category hit (1, 10, 100, 1000) or 0 for none.
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* core = m.add_opset_import();
  core->set_version(13);
  auto* ml = m.add_opset_import();
  ml->set_domain("ai.onnx.ml");
  ml->set_version(1);
  auto* g = m.mutable_graph();
  g->set_name("ohe");
  for (const char* io : {"X", "Y"}) {
    auto* v = std::string(io) == "X" ? g->add_input() : g->add_output();
    v->set_name(io);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim();
    tt->mutable_shape()->add_dim()->set_dim_value(1);
  }
  auto* shape = g->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(2);
  shape->add_int64_data(-1);
  shape->add_int64_data(4);
  auto* w = g->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->add_dims(1);
  for (float x : {1.0f, 10.0f, 100.0f, 1000.0f}) w->add_float_data(x);
  auto* n = g->add_node();
  n->set_name("ohe");
  n->set_op_type("OneHotEncoder");
  n->set_domain("ai.onnx.ml");
  n->add_input("X");
  n->add_output("oh");
  auto* cats = n->add_attribute();
  cats->set_name("cats_int64s");
  cats->set_type(onnx::AttributeProto::INTS);
  for (int64_t c : {-2, 0, 1, 3}) cats->add_ints(c);
  auto* zeros = n->add_attribute();
  zeros->set_name("zeros");
  zeros->set_type(onnx::AttributeProto::INT);
  zeros->set_i(1);
  auto* rs = g->add_node();
  rs->set_name("rs");
  rs->set_op_type("Reshape");
  rs->add_input("oh");
  rs->add_input("shape");
  rs->add_output("flat");
  auto* mm = g->add_node();
  mm->set_name("mm");
  mm->set_op_type("MatMul");
  mm->add_input("flat");
  mm->add_input("W");
  mm->add_output("Y");
  const fs::path model = scratch_dir() / "ohe_numeric.onnx", data = scratch_dir() / "ohe_numeric.csv";
  write_file(model, m.SerializeAsString());
  write_file(data, "X\n-2.5\n-1.7\n-0.5\n0\n0.9\n1\n1.99\n2\n3.5\n4\n-3\n");
  const Csv ort = ort_score(model, data);
  const ir::Model read = onnxfmt::read(slurp(model), model.string());
  const auto p = score(read, bind_positional(read, parse_csv(slurp(data))));
  REQUIRE(ort.rows.size() == p.rows);
  for (size_t r = 0; r < p.rows; ++r) {
    CAPTURE(r);
    CHECK(p.value[r] == std::stod(ort.rows[r][0]));
  }
}

TEST_CASE(
    "onnx families: skl2onnx's float32 GaussianNB scores as onnxruntime does, each row at its place in the batch") {
  if (!have_shared(kRoot)) return;
  const fs::path dir = kRoot / "gnb_wine";
  const ir::Model m = onnxfmt::read(slurp(dir / "model.onnx"), (dir / "model.onnx").string());
  const auto& nb = std::get<ir::NaiveBayes>(m.estimator);
  CHECK(nb.precision == ir::Precision::Float32);
  CHECK(nb.log_norm.size() == 3);
  const Csv data = parse_csv(slurp(dir / "input.csv"));
  const Csv ort = parse_csv(slurp(dir / "ort.csv"));  // onnxruntime 1.30, all rows in one batch
  eval::Batch b = bind_positional(m, data);
  const size_t K = m.schema.target.classes.size();
  REQUIRE(ort.header.size() == K + 1);
  // Largest distance in float32 ulps from onnxruntime's probabilities, and label mismatches.
  auto against_ort = [&](const eval::Predictions& p, size_t& labels) {
    double worst = 0;
    labels = 0;
    for (size_t r = 0; r < p.rows; ++r) {
      labels += ort.rows[r][0] != m.schema.target.classes[p.label[r]];
      for (size_t k = 0; k < K; ++k) {
        const double a = p.prob[r * K + k], o = number_cell(ort.rows[r][k + 1]);
        const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(o)) - 23);
        worst = std::max(worst, std::fabs(a - o) / ulp);
      }
    }
    return worst;
  };
  size_t labels = 0;
  const double worst = against_ort(score(m, b), labels);
  MESSAGE("gnb_wine: " << worst << " float32 ulp from onnxruntime");
  CHECK(labels == 0);
  CHECK(worst <= 1.0);
  // The runtime's feature sums follow each row's place in the batch: the same rows scored one
  // place later are further away.
  b.first_row = 1;
  const double shifted = against_ort(score(m, b), labels);
  MESSAGE("gnb_wine, rows one place later: " << shifted << " float32 ulp");
  CHECK(shifted > 1.0);
}

// A float32 network read from skl2onnx is written back as float32 layers (Cast, MatMul, Add,
// Relu, Softmax): onnxruntime scores the written file exactly as it scored the source
// (ort.csv), and the file reads back as the same float32 network.
TEST_CASE("onnx families: skl2onnx's float32 MLP written back scores in onnxruntime as the source did") {
  if (!have_shared(kRoot)) return;
  require_onnx_tools();
  const fs::path dir = kRoot / "mlp_clf_iris";
  const ir::Model src = onnxfmt::read(slurp(dir / "model.onnx"), (dir / "model.onnx").string());
  REQUIRE(std::get<ir::Mlp>(src.estimator).precision == ir::Precision::Float32);
  Warnings w;
  const std::string bytes = onnxfmt::write(src, {}, w);
  const fs::path model = scratch_dir() / "mlp_clf_iris.f32.onnx";
  write_file(model, bytes);
  const ir::Model back = onnxfmt::read(bytes, model.string());
  CHECK(std::get<ir::Mlp>(back.estimator) == std::get<ir::Mlp>(src.estimator));
  // The written model's inputs are X_0..X_3, one column each.
  Csv data = parse_csv(slurp(dir / "input.csv"));
  for (size_t j = 0; j < data.header.size(); ++j) data.header[j] = fmt::format("X_{}", j);
  const fs::path csv = scratch_dir() / "mlp_clf_iris.input.csv";
  write_csv(csv, data);
  const Csv ort_written = ort_score(model, csv);
  const Csv ort_source = parse_csv(slurp(dir / "ort.csv"));  // onnxruntime 1.30 on the source
  REQUIRE(ort_written.rows.size() == ort_source.rows.size());
  REQUIRE(ort_written.header.size() == ort_source.header.size());
  for (size_t r = 0; r < ort_source.rows.size(); ++r) {
    CAPTURE(r);
    CHECK(ort_written.rows[r][0] == ort_source.rows[r][0]);
    for (size_t k = 1; k < ort_source.header.size(); ++k)
      CHECK(number_cell(ort_written.rows[r][k]) == number_cell(ort_source.rows[r][k]));
  }
}

// --precision float writes a double nnet (no skip-layer connections) as float32 layers, nnet's
// clamped logistic as Where/Sigmoid in float32; a skip-layer network keeps double weights.
TEST_CASE("onnx families: --precision float writes an nnet as float32 layers, a skip-layer nnet in double") {
  Warnings w;
  const auto import = [](const std::string& name) {
    Warnings iw;
    r::RPtr obj = load_r_testdata(name);
    REQUIRE(obj);
    return r::import_model(*obj, name, iw);
  };
  onnxfmt::WriteOptions opt;
  opt.precision = ir::Precision::Float32;
  const ir::Model plain = import("nnet_class_softmax");
  const ir::Model back = onnxfmt::read(onnxfmt::write(plain, opt, w), "nnet.onnx");
  const auto& net = std::get<ir::Mlp>(back.estimator);
  CHECK(net.precision == ir::Precision::Float32);
  CHECK(net.conn_offset.empty());
  REQUIRE(net.layers.size() == 2);
  CHECK(net.layers[0].activation == ir::Activation::LogisticClamped);
  for (const auto& L : net.layers)
    for (double x : L.weights) CHECK(static_cast<double>(static_cast<float>(x)) == x);
  CHECK(std::any_of(w.begin(), w.end(), [](const Warning& x) {
    return x.code == "float32-narrowing" && x.message.find("network's weights") != std::string::npos;
  }));
  Warnings w2;
  const ir::Model skip = import("nnet_regression_skip");
  const ir::Model skip_back = onnxfmt::read(onnxfmt::write(skip, opt, w2), "skip.onnx");
  CHECK(std::get<ir::Mlp>(skip_back.estimator).precision == ir::Precision::Double);
  CHECK(std::any_of(w2.begin(), w2.end(), [](const Warning& x) { return x.code == "float32-inputs-only"; }));
}
