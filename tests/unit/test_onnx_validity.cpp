// suite: interop
// The ONNX reader refuses graphs that break the element-type rules of the ai.onnx.ml operators
// (formats/onnx/validity.cpp), as onnxruntime does: each hand-built graph is also given to
// onnxruntime 1.30 (tests/interop/ort_score.js), which must refuse the invalid ones and score the
// valid twin, so the rule is judged by the runtime and not by our reading of the spec alone.
#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include "formats/onnx/onnx.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::testsupport;

namespace {

void add_ints(onnx::NodeProto& n, const char* name, std::initializer_list<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void add_floats(onnx::NodeProto& n, const char* name, std::initializer_list<float> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOATS);
  for (auto x : v) a->add_floats(x);
}
void add_strings(onnx::NodeProto& n, const char* name, std::initializer_list<const char*> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRINGS);
  for (auto x : v) a->add_strings(x);
}
void add_int(onnx::NodeProto& n, const char* name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void tensor_value(onnx::ValueInfoProto* v, const std::string& name, int elem, int cols) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  t->mutable_shape()->add_dim()->set_dim_value(cols);
}

onnx::ModelProto base_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("hand-built");
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(17);
  o = m.add_opset_import();
  o->set_domain("ai.onnx.ml");
  o->set_version(1);
  tensor_value(m.mutable_graph()->add_input(), "X", onnx::TensorProto::DOUBLE, 1);
  m.mutable_graph()->set_name("g");
  return m;
}

// One stump (x <= 0.5 -> 1, else 10) read from a double input, as skl2onnx writes it, with the
// output declared `out_elem`: tensor(float) is what the operator produces.
onnx::ModelProto stump(int out_elem) {
  onnx::ModelProto m = base_model();
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type("TreeEnsembleRegressor");
  n->set_domain("ai.onnx.ml");
  n->set_name("TreeEnsembleRegressor");
  n->add_input("X");
  n->add_output("variable");
  add_int(*n, "n_targets", 1);
  add_ints(*n, "nodes_featureids", {0, 0, 0});
  add_strings(*n, "nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF"});
  add_ints(*n, "nodes_nodeids", {0, 1, 2});
  add_ints(*n, "nodes_treeids", {0, 0, 0});
  add_ints(*n, "nodes_truenodeids", {1, 0, 0});
  add_ints(*n, "nodes_falsenodeids", {2, 0, 0});
  add_floats(*n, "nodes_values", {0.5f, 0, 0});
  add_ints(*n, "target_ids", {0, 0});
  add_ints(*n, "target_nodeids", {1, 2});
  add_ints(*n, "target_treeids", {0, 0});
  add_floats(*n, "target_weights", {1, 10});
  tensor_value(m.mutable_graph()->add_output(), "variable", out_elem, 1);
  return m;
}

// ZipMap fed with `elem` probabilities: x -> Cast(to=elem) -> ZipMap (defined for float only).
onnx::ModelProto zipmap(int elem) {
  onnx::ModelProto m = base_model();
  auto* c = m.mutable_graph()->add_node();
  c->set_op_type("Cast");
  c->set_name("Cast");
  c->add_input("X");
  c->add_output("probabilities");
  add_int(*c, "to", elem);
  auto* z = m.mutable_graph()->add_node();
  z->set_op_type("ZipMap");
  z->set_domain("ai.onnx.ml");
  z->set_name("ZipMap");
  z->add_input("probabilities");
  z->add_output("output_probability");
  add_ints(*z, "classlabels_int64s", {0});
  auto* out = m.mutable_graph()->add_output();
  out->set_name("output_probability");
  auto* mt = out->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_map_type();
  mt->set_key_type(onnx::TensorProto::INT64);
  mt->mutable_value_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return m;
}

std::string read_error(const onnx::ModelProto& m) {
  try {
    onnxfmt::read(m.SerializeAsString(), "hand.onnx");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// onnxruntime's verdict on the model: its exit status through tests/interop/ort_score.js.
int ort_status(const onnx::ModelProto& m, const std::string& name) {
  const fs::path model = scratch_dir() / (name + ".onnx");
  const fs::path csv = scratch_dir() / "x.csv";
  write_file(model, m.SerializeAsString());
  write_file(csv, "X\n0.25\n0.75\n");
  int st = 0;
  const std::string out = run_command(
      fmt::format("NODE_PATH='{}/build/node/node_modules' node '{}/tests/interop/ort_score.js' '{}' '{}' 2>&1",
                  MB_SOURCE_DIR, MB_SOURCE_DIR, model.string(), csv.string()),
      st);
  MESSAGE("onnxruntime on " << name << ": " << out.substr(0, 300));
  return st;
}

}  // namespace

TEST_CASE("onnx validity: a TreeEnsembleRegressor declared tensor(double) is refused, as onnxruntime refuses it") {
  require_onnx_tools();
  const std::string bad = read_error(stump(onnx::TensorProto::DOUBLE));
  CHECK(bad.find("hand.onnx:graph node 'TreeEnsembleRegressor' (TreeEnsembleRegressor): invalid model") == 0);
  CHECK(bad.find("declared tensor(double)") != std::string::npos);
  CHECK(bad.find("produces tensor(float)") != std::string::npos);
  CHECK(ort_status(stump(onnx::TensorProto::DOUBLE), "stump_double") != 0);

  // The valid twin reads, and onnxruntime loads it.
  CHECK(read_error(stump(onnx::TensorProto::FLOAT)).find("invalid model") == std::string::npos);
  CHECK(ort_status(stump(onnx::TensorProto::FLOAT), "stump_float") == 0);
}

TEST_CASE("onnx validity: ZipMap reads tensor(float) only") {
  require_onnx_tools();
  const std::string bad = read_error(zipmap(onnx::TensorProto::DOUBLE));
  CHECK(bad.find("hand.onnx:graph node 'ZipMap' (ZipMap): invalid model: input 'probabilities' is tensor(double)") ==
        0);
  CHECK(ort_status(zipmap(onnx::TensorProto::DOUBLE), "zipmap_double") != 0);
  // Float is accepted by the rule (the reader may still refuse the graph for other reasons: it
  // has no estimator), and onnxruntime creates a session for it.
  CHECK(read_error(zipmap(onnx::TensorProto::FLOAT)).find("invalid model") == std::string::npos);
}
