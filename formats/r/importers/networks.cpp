// Dense feed-forward networks of R packages other than nnet (docs/r-objects.md, "neuralnet" and
// "elm"), both as ir::Mlp dense layers.
//
// neuralnet `nn`: predict.nn(rep = 1) (and compute(), whose default rep is 1 too) takes the
// columns `$model.list$variables` of the new data as they are, and for each matrix W of
// `$weights[[1]]` (inputs + 1 rows, units columns; the first row is the bias) computes
// act.fct(cbind(1, x) %*% W); the last matrix is linear when `$linear.output`.  The activation
// is an R closure: neuralnet marks its own ones by attr(act.fct, "type") ("logistic", "tanh").
//
// elmNNRcpp `elm` (formula interface): the model matrix of `$formula` without its intercept
// column (factor levels of the model frame `$model`), then H = actfun(inpweight %*% t(x) +
// biashid) and the prediction t(H) %*% outweight.
#include <fmt/format.h>

#include <cmath>

#include "formats/r/exporters/rbuild.hpp"
#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

// The model object build_design reads for an elm fit: `$terms` = `$formula`, `$xlevels` from the
// factor columns of the model frame `$model` (elm keeps no $xlevels; predict.elm builds the model
// matrix of the new data, whose levels are the training ones when every level occurs).
RObject elm_design_object(const RObject& root, const std::string& file) {
  RObject o;
  o.type = RType::List;
  std::vector<std::string> names;
  const RPtr* formula = root.get_ptr("formula");
  if (!formula || !*formula || (*formula)->type != RType::Language)
    throw Error(file, "$formula",
                "elm fitted without a formula (elm_train on a matrix) stores no input names; "
                "only the formula interface elm() is supported");
  o.elements.push_back(*formula);
  names.push_back("terms");
  o.elements.push_back(xlevels_from_model_frame(root, file));
  names.push_back("xlevels");
  o.attributes.emplace_back("names", make_strings(names));
  return o;
}

// Layer from a column-major matrix with one row per input (and the bias first when `bias_row`).
ir::Mlp::Layer dense_layer(const Matrix& w, bool bias_row, size_t n_in, ir::Activation act, const Member& where) {
  if (w.rows != n_in + (bias_row ? 1 : 0))
    where.fail(fmt::format("{} rows for {} inputs{}", w.rows, n_in, bias_row ? " and the bias" : ""));
  if (w.cols < 1) where.fail("no units");
  ir::Mlp::Layer L;
  L.n_units = static_cast<int32_t>(w.cols);
  L.activation = act;
  L.biases.assign(w.cols, 0.0);
  L.weights.resize(w.cols * n_in);
  const size_t off = bias_row ? 1 : 0;
  for (size_t u = 0; u < w.cols; ++u) {
    if (bias_row) L.biases[u] = w.at(0, u);
    for (size_t i = 0; i < n_in; ++i) L.weights[u * n_in + i] = w.at(i + off, u);
  }
  for (double v : w.v)
    if (!std::isfinite(v)) where.fail("a weight is not finite (NA: the repetition did not converge?)");
  return L;
}

}  // namespace

ir::Model import_neuralnet(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const Member ml = obj["model.list"];
  const std::vector<std::string> variables = ml["variables"].strings();
  const std::vector<std::string> response = ml["response"].strings();
  if (variables.empty()) ml["variables"].fail("no input variables");
  if (response.size() != 1)
    throw Unsupported(file, "$model.list$response",
                      fmt::format("unsupported: {} responses (a class-indicator or multi-response fit); "
                                  "one numeric response is supported",
                                  response.size()));

  // The activation closure: neuralnet's own ones carry their name in @type.
  const Member act_fct = obj["act.fct"];
  std::string act_name;
  if (const auto t = act_fct.find_attr("type")) act_name = t->string();
  ir::Activation act;
  if (act_name == "logistic") act = ir::Activation::Logistic;
  else if (act_name == "tanh") act = ir::Activation::Tanh;
  else
    throw Unsupported(file, "$act.fct",
                      act_name.empty() || act_name == "function"
                          ? "unsupported: a user-defined activation function (only neuralnet's \"logistic\" and "
                            "\"tanh\" are recognised)"
                          : fmt::format("unsupported: activation '{}'", act_name));
  const bool linear_output = obj["linear.output"].truth();

  const Member reps = obj["weights"];
  if (reps.size() < 1) reps.fail("no fitted repetitions (neuralnet did not converge)");
  const Member w1 = reps.at(0);
  if (w1->is_null() || w1.size() < 1) w1.fail("repetition 1 holds no weights (it did not converge)");

  ir::Mlp mlp;
  size_t n_in = variables.size();
  for (size_t l = 0; l < w1.size(); ++l) {
    const Member wl = w1.at(l);
    const bool last = l + 1 == w1.size();
    const ir::Activation a = last && linear_output ? ir::Activation::Identity : act;
    mlp.layers.push_back(dense_layer(wl.matrix(), true, n_in, a, wl));
    n_in = static_cast<size_t>(mlp.layers.back().n_units);
  }
  if (n_in != 1)
    throw Unsupported(file, w1.path(), fmt::format("unsupported: {} output units (one is supported)", n_in));
  mlp.n_outputs = 1;

  ir::Model m;
  for (auto& v : variables) {
    ir::InputField in;
    in.name = v;
    m.features.push_back({v, ir::Expr::input(static_cast<int32_t>(m.schema.inputs.size()))});
    m.schema.inputs.push_back(std::move(in));
  }
  m.schema.target.name = response[0];
  m.estimator = std::move(mlp);
  if (reps.size() > 1)
    warn(m, "neuralnet-repetitions",
         fmt::format("the fit holds {} repetitions; repetition 1 (predict()'s default rep = 1) is converted",
                     reps.size()));
  m.provenance.source_class = "nn";
  std::string hidden;
  for (size_t l = 0; l + 1 < w1.size(); ++l)
    hidden += fmt::format("{}{}", l ? ", " : "", std::get<ir::Mlp>(m.estimator).layers[l].n_units);
  m.provenance.family = fmt::format("neuralnet regression ({} activation{}); {} inputs, hidden layers ({})", act_name,
                                    linear_output ? ", linear output" : "", variables.size(), hidden);
  ir::validate(m, file);
  return m;
}

ir::Model import_elm(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  if (!obj["is_regression"].truth())
    throw Unsupported(file, "$is_regression", "unsupported: elm classification (one-hot outputs); regression only");
  const std::string actfun = obj["actfun"].string();
  ir::Activation act;
  if (actfun == "purelin") act = ir::Activation::Identity;
  else if (actfun == "sig") act = ir::Activation::Logistic;
  else if (actfun == "tansig") act = ir::Activation::Tanh;  // 2 / (1 + exp(-2x)) - 1
  else if (actfun == "relu") act = ir::Activation::Relu;
  else throw Unsupported(file, "$actfun", fmt::format("unsupported: elm activation '{}'", actfun));

  const RObject design_obj = elm_design_object(root, file);
  Design d = build_design(design_obj, file);
  if (d.offset) throw Unsupported(file, "$formula@offset", "unsupported: offset terms in an elm formula");
  if (!d.intercept)
    throw Unsupported(file, "$formula@intercept",
                      "unsupported: a formula without intercept (elm drops the first model-matrix column)");

  const Member iw = obj["inpweight"];
  const Matrix inp = iw.matrix();
  const size_t nhid = inp.rows, P = inp.cols;
  if (nhid < 1) iw.fail("no hidden units");
  if (P != d.columns.size())
    iw.fail(fmt::format("{} input columns, but $formula builds {} model-matrix columns", P, d.columns.size()));
  for (size_t j = 0; j < P && j < inp.colnames.size(); ++j)
    if (inp.colnames[j] != d.columns[j].name)
      throw Error(file, fmt::format("$inpweight@dimnames[[2]][{}]", j + 1),
                  fmt::format("column '{}' where $formula builds '{}'", inp.colnames[j], d.columns[j].name));

  // inpweight is hidden x inputs: as a layer matrix (inputs x units) it is its transpose.
  ir::Mlp::Layer hidden;
  hidden.n_units = static_cast<int32_t>(nhid);
  hidden.activation = act;
  hidden.weights.resize(nhid * P);
  for (size_t u = 0; u < nhid; ++u)
    for (size_t i = 0; i < P; ++i) hidden.weights[u * P + i] = inp.at(u, i);
  for (double v : inp.v)
    if (!std::isfinite(v)) iw.fail("a weight is not finite");
  const Member bh = obj["biashid"];
  const std::vector<double> bias = bh.numbers();
  if (bias.empty()) hidden.biases.assign(nhid, 0.0);  // bias = FALSE
  else if (bias.size() == nhid) hidden.biases = bias;
  else bh.fail(fmt::format("{} biases for {} hidden units", bias.size(), nhid));
  for (double v : hidden.biases)
    if (!std::isfinite(v)) bh.fail("a bias is not finite");

  const Member ow = obj["outweight"];
  const Matrix out = ow.matrix();
  if (out.cols != 1) throw Unsupported(file, ow.path(), fmt::format("unsupported: {} outputs", out.cols));
  ir::Mlp mlp;
  mlp.layers.push_back(std::move(hidden));
  mlp.layers.push_back(dense_layer(out, false, nhid, ir::Activation::Identity, ow));
  mlp.n_outputs = 1;

  ir::Model m;
  for (auto& c : d.columns) m.features.push_back({c.name, std::move(c.expr)});
  adopt_design(m, d);
  m.estimator = std::move(mlp);
  m.provenance.source_class = "elm";
  m.provenance.family = fmt::format("elm regression ({} activation{}); {} inputs, {} hidden units", actfun,
                                    bias.empty() ? ", no hidden bias" : "", P, nhid);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
