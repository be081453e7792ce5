// R formula engine: contrast matrices, poly() bases and model-matrix expansion, against values
// printed by R 4.2.2.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "formats/r/importers/import.hpp"
#include "formats/r/lang/formula.hpp"
#include "formats/r/lang/rparse.hpp"
#include "formats/r/lang/splines.hpp"
#include "lib/eval/evaluator.hpp"

using namespace mb;
using namespace mb::r;

namespace {

bool close(double a, double b, double tol = 1e-14) { return std::fabs(a - b) <= tol + 1e-12 * std::fabs(b); }

RPtr chr(std::vector<std::string> v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Character;
  for (auto& s : v) o->strings.push_back(s);
  return o;
}
RPtr ints(std::vector<int32_t> v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Integer;
  o->ints = std::move(v);
  return o;
}
RPtr dbl(std::vector<double> v) {
  auto o = std::make_shared<RObject>();
  o->type = RType::Double;
  o->reals = std::move(v);
  return o;
}
RPtr list(std::vector<std::pair<std::string, RPtr>> items) {
  auto o = std::make_shared<RObject>();
  o->type = RType::List;
  std::vector<std::string> names;
  for (auto& [k, v] : items) {
    names.push_back(k);
    o->elements.push_back(v);
  }
  o->attributes.emplace_back("names", chr(names));
  return o;
}
RPtr with_names(RPtr o, std::vector<std::string> names) {
  o->attributes.emplace_back("names", chr(std::move(names)));
  return o;
}

// A terms object as R builds it.  `pattern` is given row by row (variables x terms).
RPtr make_terms(const std::string& predvars, const std::vector<std::string>& vars,
                const std::vector<std::vector<int32_t>>& pattern, const std::vector<std::string>& labels, int intercept,
                const std::vector<std::string>& data_classes, std::vector<int32_t> offset = {}) {
  RPtr t = parse_r_expression("y ~ x", "test", "");
  t->attributes.emplace_back("variables", parse_r_expression(predvars, "test", ""));
  std::vector<int32_t> cm;  // column-major
  for (size_t j = 0; j < labels.size(); ++j)
    for (size_t i = 0; i < vars.size(); ++i) cm.push_back(pattern[i][j]);
  RPtr f = ints(cm);
  f->attributes.emplace_back("dim", ints({static_cast<int32_t>(vars.size()), static_cast<int32_t>(labels.size())}));
  auto dn = std::make_shared<RObject>();
  dn->type = RType::List;
  dn->elements = {chr(vars), chr(labels)};
  f->attributes.emplace_back("dimnames", dn);
  if (!labels.empty()) t->attributes.emplace_back("factors", f);
  else t->attributes.emplace_back("factors", ints({}));
  t->attributes.emplace_back("term.labels", chr(labels));
  if (!offset.empty()) t->attributes.emplace_back("offset", ints(offset));
  t->attributes.emplace_back("intercept", ints({intercept}));
  t->attributes.emplace_back("response", ints({1}));
  t->attributes.emplace_back("class", chr({"terms", "formula"}));
  t->attributes.emplace_back("predvars", parse_r_expression(predvars, "test", ""));
  t->attributes.emplace_back("dataClasses", with_names(chr(data_classes), vars));
  return t;
}

// Rows of raw data: numbers for continuous inputs, labels for categorical ones.
using Row = std::map<std::string, std::string>;

// Evaluates each design column on `rows` with the evaluator (one single-feature model each).
std::vector<std::vector<double>> evaluate_columns(const Design& d, const std::vector<Row>& rows) {
  eval::Batch batch;
  batch.rows = rows.size();
  for (auto& in : d.inputs) {
    std::vector<double> col;
    for (auto& r : rows) {
      const std::string& s = r.at(in.name);
      if (in.is_categorical()) {
        double code = NAN;
        for (size_t k = 0; k < in.levels.size(); ++k)
          if (in.levels[k] == s) code = static_cast<double>(k);
        col.push_back(code);
      } else {
        col.push_back(std::stod(s));
      }
    }
    batch.columns.push_back(std::move(col));
  }
  std::vector<std::vector<double>> out;
  for (auto& c : d.columns) {
    ir::Model m;
    m.schema.inputs = d.inputs;
    m.derived = d.derived;
    m.features = {{c.name, c.expr}};
    ir::Linear l;
    l.coefficients = {1.0};
    l.intercepts = {0.0};
    m.estimator = l;
    eval::Evaluator ev(m);
    eval::Predictions p;
    ev.score(batch, p);
    out.push_back(p.value);
  }
  return out;
}

std::vector<std::string> names_of(const Design& d) {
  std::vector<std::string> n;
  for (auto& c : d.columns) n.push_back(c.name);
  return n;
}

}  // namespace

TEST_CASE("contr.poly matches R") {
  // Rscript -e 'print(contr.poly(5), digits=17)'
  const double r5[5][4] = {
      {-6.3245553203367588e-01, 0.53452248382484879, -3.1622776601683777e-01, 0.11952286093343928},
      {-3.1622776601683777e-01, -0.26726124191242440, 6.3245553203367577e-01, -0.47809144373375756},
      {-3.5108334685767005e-17, -0.53452248382484868, 1.7554167342883514e-16, 0.71713716560063634},
      {3.1622776601683783e-01, -0.26726124191242440, -6.3245553203367599e-01, -0.47809144373375728},
      {6.3245553203367588e-01, 0.53452248382484879, 3.1622776601683783e-01, 0.11952286093343928}};
  ContrastMatrix m = contr_poly(5);
  REQUIRE(m.n_levels == 5);
  REQUIRE(m.n_cols == 4);
  CHECK(m.colnames == std::vector<std::string>{".L", ".Q", ".C", "^4"});
  for (size_t i = 0; i < 5; ++i)
    for (size_t j = 0; j < 4; ++j) CHECK_MESSAGE(close(m.at(i, j), r5[i][j]), i << "," << j);

  // Rscript -e 'print(as.vector(contr.poly(7)), digits=17)'  (column-major, 7 x 6)
  const double r7[42] = {
      -5.6694670951384085e-01, -3.7796447300922731e-01, -1.8898223650461357e-01, 2.0981243021257878e-17,
      1.8898223650461357e-01,  3.7796447300922720e-01,  5.6694670951384085e-01,  5.4554472558998079e-01,
      9.6908210450049554e-17,  -3.2732683535398838e-01, -4.3643578047198489e-01, -3.2732683535398865e-01,
      0.0000000000000000e+00,  5.4554472558998102e-01,  -4.0824829046386313e-01, 4.0824829046386313e-01,
      4.0824829046386313e-01,  4.5324665183683945e-17,  -4.0824829046386274e-01, -4.0824829046386296e-01,
      4.0824829046386280e-01,  2.4174688920761400e-01,  -5.6407607481776567e-01, 8.0582296402537293e-02,
      4.8349377841522850e-01,  8.0582296402538001e-02,  -5.6407607481776645e-01, 2.4174688920761422e-01,
      -1.0910894511799639e-01, 4.3643578047198550e-01,  -5.4554472558998179e-01, 5.3420651010589836e-16,
      5.4554472558998013e-01,  -4.3643578047198395e-01, 1.0910894511799592e-01,  3.2897584747988561e-02,
      -1.9738550848793057e-01, 4.9346377121982593e-01,  -6.5795169495976868e-01, 4.9346377121982782e-01,
      -1.9738550848793168e-01, 3.2897584747988616e-02};
  ContrastMatrix m7 = contr_poly(7);
  REQUIRE(m7.values.size() == 42);
  for (size_t i = 0; i < 42; ++i) CHECK_MESSAGE(close(m7.values[i], r7[i], 5e-15), i);
  CHECK(m7.colnames.back() == "^6");
}

TEST_CASE("treatment, sum, Helmert and SAS contrasts match R") {
  const std::vector<std::string> lv = {"a", "b", "c", "d"};
  // Rscript -e 'contr.treatment(c("a","b","c","d"))': identity without column a, names b c d
  auto t = contrast_matrix("contr.treatment", lv, false, "f", "p");
  CHECK(t.colnames == std::vector<std::string>{"b", "c", "d"});
  CHECK(t.values == std::vector<double>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  // Rscript -e 'contr.sum(4)': rows (1,0,0) (0,1,0) (0,0,1) (-1,-1,-1), no column names
  auto s = contrast_matrix("contr.sum", lv, false, "f", "p");
  CHECK(s.colnames.empty());
  CHECK(s.values == std::vector<double>{1, 0, 0, -1, 0, 1, 0, -1, 0, 0, 1, -1});
  // Rscript -e 'contr.helmert(4)': rows (-1,-1,-1) (1,-1,-1) (0,2,-1) (0,0,3)
  auto h = contrast_matrix("contr.helmert", lv, false, "f", "p");
  CHECK(h.colnames.empty());
  CHECK(h.values == std::vector<double>{-1, 1, 0, 0, -1, -1, 2, 0, -1, -1, -1, 3});
  // Rscript -e 'contr.SAS(c("a","b","c","d"))': identity without column d
  auto sas = contrast_matrix("contr.SAS", lv, false, "f", "p");
  CHECK(sas.colnames == std::vector<std::string>{"a", "b", "c"});
  auto full = contrast_matrix("contr.poly", lv, true, "f", "p");
  CHECK(full.colnames == lv);
  CHECK(full.n_cols == 4);
  CHECK_THROWS_WITH_AS(contrast_matrix("contr.foo", lv, false, "m.rds", "$contrasts$g"),
                       "m.rds:$contrasts$g: unsupported contrast function 'contr.foo'", Error);
}

TEST_CASE("poly() three-term recurrence matches predict.poly") {
  // x <- c(1.5, 2.25, 3, 4.75, 6, 10); p <- poly(x, 3); attr(p, "coefs");
  // predict(p, c(0.5, 3.3, 12)), printed with digits = 17
  const std::vector<double> alpha = {4.5833333333333330, 6.9544226393629121, 5.4023692617506605};
  const std::vector<double> norm2 = {1, 6, 48.833333333333329, 319.196012425341507, 700.648862080680942};
  const double expected[3][3] = {{-0.58432793479442258, 1.01962451254651087, -2.36550549625609374},
                                 {-0.18364592236396138, -0.19305022900595328, 0.59084742463175421},
                                 {1.06133033054497172, 1.63900045949154394, 5.46723215742780155}};
  const double xs[3] = {0.5, 3.3, 12};
  for (int r = 0; r < 3; ++r) {
    auto z = poly_basis(xs[r], alpha, norm2, 3);
    for (int k = 0; k < 3; ++k) CHECK_MESSAGE(close(z[k], expected[r][k], 1e-15), r << "," << k);
  }
}

// Data of the expansion tests (R):
// d <- data.frame(x = c(1.5, 2, 3.25, 4, 5.5, 6.1, 7, 8.2, 9, 10.3, 11, 12.4),
//   f = factor(rep(c("a","b","c"), 4)),
//   o = factor(c("lo","mid","hi","hi","lo","mid","mid","hi","lo","lo","hi","mid"),
//              levels = c("lo","mid","hi"), ordered = TRUE),
//   z = c(0.5, 1.2, 2.2, 3.1, 0.7, 1.9, 2.8, 3.3, 4.1, 0.9, 1.1, 2.6))
// nd <- d[c(1, 5, 9), ]
static const std::vector<Row> kRows = {{{"x", "1.5"}, {"f", "a"}, {"o", "lo"}, {"z", "0.5"}},
                                       {{"x", "5.5"}, {"f", "b"}, {"o", "lo"}, {"z", "0.7"}},
                                       {{"x", "9"}, {"f", "c"}, {"o", "lo"}, {"z", "4.1"}}};

TEST_CASE("model matrix: contr.sum, numeric x factor, factor without its margin") {
  // mA <- lm(y ~ f + x:f + f:o + log(z), data = d, contrasts = list(f = "contr.sum"))
  // model.matrix(terms(mA), model.frame(terms(mA), nd, xlev = mA$xlevels), contrasts.arg = mA$contrasts)
  RPtr terms = make_terms("list(y, f, x, o, log(z))", {"y", "f", "x", "o", "log(z)"},
                          {{0, 0, 0, 0}, {1, 0, 2, 2}, {0, 0, 1, 0}, {0, 0, 0, 1}, {0, 1, 0, 0}},
                          {"f", "log(z)", "f:x", "f:o"}, 1, {"numeric", "factor", "numeric", "ordered", "numeric"});
  RPtr model = list({{"terms", terms},
                     {"xlevels", list({{"f", chr({"a", "b", "c"})}, {"o", chr({"lo", "mid", "hi"})}})},
                     {"contrasts", list({{"f", chr({"contr.sum"})}, {"o", chr({"contr.poly"})}})}});
  Design d = build_design(*model, "m.rds");
  CHECK(d.intercept);
  CHECK(d.response == "y");
  CHECK(names_of(d) == std::vector<std::string>{"f1", "f2", "log(z)", "fa:x", "fb:x", "fc:x", "fa:o.L", "fb:o.L",
                                                "fc:o.L", "fa:o.Q", "fb:o.Q", "fc:o.Q"});
  REQUIRE(d.inputs.size() == 4);
  CHECK(d.inputs[0].name == "f");
  CHECK(d.inputs[0].kind == ir::FieldKind::Categorical);
  CHECK(d.inputs[2].name == "o");
  CHECK(d.inputs[2].kind == ir::FieldKind::Ordinal);
  CHECK(d.inputs[2].levels == std::vector<std::string>{"lo", "mid", "hi"});
  const double R[3][12] = {
      {1, 0, -0.69314718055994529, 1.5, 0, 0, -0.70710678118654757, 0, 0, 0.40824829046386307, 0, 0},
      {0, 1, -0.35667494393873245, 0, 5.5, 0, 0, -0.70710678118654757, 0, 0, 0.40824829046386307, 0},
      {-1, -1, 1.41098697371026205, 0, 0, 9, 0, 0, -0.70710678118654757, 0, 0, 0.40824829046386307}};
  auto cols = evaluate_columns(d, kRows);
  for (size_t r = 0; r < 3; ++r)
    for (size_t c = 0; c < 12; ++c) CHECK_MESSAGE(close(cols[c][r], R[r][c]), d.columns[c].name << " row " << r);
}

TEST_CASE("model matrix: no intercept gives the first factor indicator columns") {
  // mB <- lm(y ~ 0 + x + f + z:o, data = d); model.matrix as above
  RPtr terms = make_terms("list(y, x, f, z, o)", {"y", "x", "f", "z", "o"},
                          {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 2}, {0, 0, 2}}, {"x", "f", "z:o"}, 0,
                          {"numeric", "numeric", "factor", "numeric", "ordered"});
  RPtr model = list({{"terms", terms},
                     {"xlevels", list({{"f", chr({"a", "b", "c"})}, {"o", chr({"lo", "mid", "hi"})}})},
                     {"contrasts", list({{"f", chr({"contr.treatment"})}, {"o", chr({"contr.poly"})}})}});
  // terms() itself writes 1 for f in its own term; model.matrix switches it to indicators.
  Design d = build_design(*model, "m.rds");
  CHECK_FALSE(d.intercept);
  CHECK(names_of(d) == std::vector<std::string>{"x", "fa", "fb", "fc", "z:olo", "z:omid", "z:ohi"});
  const double R[3][7] = {
      {1.5, 1, 0, 0, 0.5, 0, 0}, {5.5, 0, 1, 0, 0.69999999999999996, 0, 0}, {9, 0, 0, 1, 4.1, 0, 0}};
  auto cols = evaluate_columns(d, kRows);
  for (size_t r = 0; r < 3; ++r)
    for (size_t c = 0; c < 7; ++c) CHECK_MESSAGE(close(cols[c][r], R[r][c]), d.columns[c].name << " row " << r);
}

TEST_CASE("model matrix: poly, scale, log base, logical expression, factor() of a number, offsets") {
  // lm(y ~ poly(z, 2) + scale(x) + log(x, 2) + I(x > 5) + factor(k) + offset(log(z)), offset = x / 2)
  // with coefs and centre/scale frozen as makepredictcall writes them.
  RPtr terms = make_terms(
      "list(y, poly(z, 2, coefs = list(alpha = c(2.1, 1.9), norm2 = c(1, 12, 17.5, 30.25))), "
      "scale(x, center = 6.6, scale = 3.5), log(x, 2), I(x > 5), factor(k), offset(log(z)))",
      {"y", "poly(z, 2)", "scale(x)", "log(x, 2)", "I(x > 5)", "factor(k)", "offset(log(z))"},
      {{0, 0, 0, 0, 0},
       {1, 0, 0, 0, 0},
       {0, 1, 0, 0, 0},
       {0, 0, 1, 0, 0},
       {0, 0, 0, 1, 0},
       {0, 0, 0, 0, 1},
       {0, 0, 0, 0, 0}},
      {"poly(z, 2)", "scale(x)", "log(x, 2)", "I(x > 5)", "factor(k)"}, 1,
      {"numeric", "nmatrix.2", "nmatrix.1", "numeric", "logical", "factor", "numeric"}, {7});
  RPtr call = parse_r_expression("lm(formula = y ~ x, data = d, offset = x/2)", "t", "");
  RPtr model =
      list({{"terms", terms},
            {"xlevels", list({{"factor(k)", chr({"1", "2", "4"})}})},
            {"contrasts", list({{"I(x > 5)", chr({"contr.treatment"})}, {"factor(k)", chr({"contr.helmert"})}})},
            {"call", call}});
  Design d = build_design(*model, "m.rds");
  CHECK(names_of(d) == std::vector<std::string>{"poly(z, 2)1", "poly(z, 2)2", "scale(x)", "log(x, 2)", "I(x > 5)TRUE",
                                                "factor(k)1", "factor(k)2"});
  REQUIRE(d.inputs.size() == 3);
  CHECK(d.inputs[2].name == "k");
  CHECK(d.inputs[2].levels == std::vector<std::string>{"1", "2", "4"});
  REQUIRE(d.offset.has_value());
  std::vector<Row> rows = {{{"x", "8"}, {"z", "3"}, {"k", "4"}}, {{"x", "2"}, {"z", "0.5"}, {"k", "1"}}};
  auto cols = evaluate_columns(d, rows);
  for (size_t r = 0; r < rows.size(); ++r) {
    const double x = std::stod(rows[r].at("x")), z = std::stod(rows[r].at("z"));
    auto p = poly_basis(z, {2.1, 1.9}, {1, 12, 17.5, 30.25}, 2);
    CHECK(cols[0][r] == p[0]);
    CHECK(cols[1][r] == p[1]);
    CHECK(close(cols[2][r], (x - 6.6) / 3.5));
    CHECK(close(cols[3][r], std::log2(x)));
    CHECK(cols[4][r] == (x > 5 ? 1.0 : 0.0));
  }
  // contr.helmert(3) rows: (-1,-1) (1,-1) (0,2); level "4" is the third, "1" the first
  CHECK(cols[5][0] == 0);
  CHECK(cols[6][0] == 2);
  CHECK(cols[5][1] == -1);
  CHECK(cols[6][1] == -1);
}

TEST_CASE("unsupported formula functions are named") {
  RPtr terms = make_terms("list(y, lo(x, span = 0.5))", {"y", "lo(x, span = 0.5)"}, {{0}, {1}}, {"lo(x, span = 0.5)"},
                          1, {"numeric", "numeric"});
  RPtr model = list({{"terms", terms}});
  CHECK_THROWS_WITH_AS(build_design(*model, "m.json"),
                       "m.json:$terms@predvars: unsupported formula function 'lo' in term 'lo(x, span = 0.5)'", Error);
}

TEST_CASE("a spline term whose knots predvars did not freeze is refused, naming it") {
  // predict() would place the knots by the quantiles of the new data: not a fixed model.
  RPtr terms = make_terms("list(y, splines::ns(x, df = 3))", {"y", "ns(x, df = 3)"}, {{0}, {1}}, {"ns(x, df = 3)"}, 1,
                          {"numeric", "nmatrix.3"});
  RPtr model = list({{"terms", terms}});
  CHECK_THROWS_WITH_AS(build_design(*model, "m.json"),
                       "m.json:$terms@predvars: ns() in term 'ns(x, df = 3)' has df but no frozen knots", Error);
}

TEST_CASE("lm import: coefficients by name, aliased columns dropped with a warning") {
  RPtr terms =
      make_terms("list(y, x, f, I(2 * x))", {"y", "x", "f", "I(2 * x)"}, {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
                 {"x", "f", "I(2 * x)"}, 1, {"numeric", "numeric", "factor", "numeric"});
  RPtr coef = with_names(dbl({0.5, 2.0, -1.0, 3.0, na_real()}), {"(Intercept)", "x", "fb", "fc", "I(2 * x)"});
  RPtr model = list({{"coefficients", coef},
                     {"terms", terms},
                     {"xlevels", list({{"f", chr({"a", "b", "c"})}})},
                     {"contrasts", list({{"f", chr({"contr.treatment"})}})}});
  model->attributes.emplace_back("class", chr({"lm"}));
  Warnings w;
  ir::Model m = import_model(*model, "m.rds", w);
  REQUIRE(w.size() == 1);
  CHECK(w[0].code == "aliased-coefficients");
  CHECK(w[0].message.find("I(2 * x)") != std::string::npos);
  REQUIRE(m.features.size() == 3);
  CHECK(m.features[2].name == "fc");
  auto& lin = std::get<ir::Linear>(m.estimator);
  CHECK(lin.intercepts[0] == 0.5);
  CHECK(lin.coefficients == std::vector<double>{2.0, -1.0, 3.0});
  CHECK(m.provenance.source_class == "lm");
  CHECK(m.schema.target.name == "y");

  // A coefficient the formula does not produce is an error, not a silent drop.
  RPtr bad = with_names(dbl({0.5, 2.0, -1.0, 3.0, 1.0}), {"(Intercept)", "x", "fb", "fz", "I(2 * x)"});
  model->elements[0] = bad;
  CHECK_THROWS_AS(import_model(*model, "m.rds", w), Error);
}

TEST_CASE("dispatcher refuses other classes, naming the class vector") {
  RPtr obj = list({{"a", dbl({1})}});
  obj->attributes.emplace_back("class", chr({"foo", "bar"}));
  Warnings w;
  CHECK_THROWS_WITH_AS(import_model(*obj, "x.rds", w),
                       "x.rds: unsupported R class 'foo' (class vector c(\"foo\", \"bar\"))", Error);
}

TEST_CASE("log1p and expm1 are approximated loudly") {
  RPtr terms = make_terms("list(y, log1p(x), expm1(z))", {"y", "log1p(x)", "expm1(z)"}, {{0, 0}, {1, 0}, {0, 1}},
                          {"log1p(x)", "expm1(z)"}, 1, {"numeric", "numeric", "numeric"});
  RPtr model = list({{"terms", terms}});
  Design d = build_design(*model, "m.rds");
  REQUIRE(d.warnings.size() == 2);
  CHECK(d.warnings[0].code == "approximate-function");
  CHECK(d.warnings[0].message.find("log1p(x)") != std::string::npos);
  std::vector<Row> rows = {{{"x", "0.25"}, {"z", "-0.5"}}};
  auto cols = evaluate_columns(d, rows);
  CHECK(close(cols[0][0], std::log1p(0.25)));
  CHECK(close(cols[1][0], std::expm1(-0.5)));
}

TEST_CASE("as.numeric() of a variable reads its numbers and says what R does with a factor") {
  RPtr terms = make_terms("list(y, as.numeric(x), I(as.numeric(2) * z))",
                          {"y", "as.numeric(x)", "I(as.numeric(2) * z)"}, {{0, 0}, {1, 0}, {0, 1}},
                          {"as.numeric(x)", "I(as.numeric(2) * z)"}, 1, {"numeric", "numeric", "numeric"});
  RPtr model = list({{"terms", terms}});
  Design d = build_design(*model, "m.rds");
  REQUIRE(d.warnings.size() == 1);  // the constant's as.numeric() is exact
  CHECK(d.warnings[0].code == "as-numeric-variable");
  CHECK(d.warnings[0].message.find("level codes") != std::string::npos);
  std::vector<Row> rows = {{{"x", "6"}, {"z", "-0.5"}}};
  auto cols = evaluate_columns(d, rows);
  CHECK(cols[0][0] == 6.0);
  CHECK(cols[1][0] == -1.0);
}

// splines::splineDesign(c(0,0,0,0,1,2.5,4,4,4,4), x, 4, derivs) printed by R 4.2.2 with %.17g:
// the port of splines.c (formats/r/lang/splines.cpp) must give R's values bit for bit,
// including the right boundary knot (x = 4) and the derivatives ns() and bs() use.
TEST_CASE("the B-spline basis is splines::splineDesign's, values and derivatives") {
  const std::vector<double> k = {0, 0, 0, 0, 1, 2.5, 4, 4, 4, 4};
  const std::vector<double> xs = {0, 0.3, 1, 2.2, 3.9999, 4};
  const std::vector<std::vector<double>> d0 = {
      {1, 0, 0, 0, 0, 0},
      {0.34299999999999992, 0.56411999999999995, 0.090179999999999982, 0.0026999999999999997, 0, 0},
      {0, 0.3600000000000001, 0.54000000000000004, 0.10000000000000001, 0, 0},
      {0, 0.0028799999999999945, 0.31631999999999988, 0.55279999999999996, 0.12800000000000003, 0},
      {0, 0, 5.5555555555907267e-14, 6.6663888889170237e-09, 0.00019998000051894049, 0.9998000133330367},
      {0, 0, 0, 0, 0, 1}};
  const std::vector<std::vector<double>> d1 = {
      {-3, 3, 0, 0, 0, 0},
      {-1.4699999999999998, 0.90119999999999978, 0.54180000000000006, 0.027, 0, 0},
      {0, -0.72000000000000008, 0.41999999999999993, 0.29999999999999999, 0, 0},
      {0, -0.028799999999999965, -0.4632, 0.17199999999999985, 0.32000000000000012, 0},
      {0, 0, -1.666666666673701e-09, -0.00013332500000028135, -1.9996000155555544, 1.9997333422222219},
      {0, 0, 0, 0, -2, 2}};
  const std::vector<std::vector<double>> d2 = {
      {6, -8.4000000000000004, 2.3999999999999999, 0, 0, 0},
      {4.1999999999999993, -5.5919999999999996, 1.212, 0.17999999999999999, 0, 0},
      {0, 0.95999999999999996, -1.5599999999999998, 0.59999999999999998, 0, 0},
      {0, 0.19199999999999987, 0.088000000000000231, -0.81333333333333357, 0.53333333333333333, 0},
      {0, 0, 3.3333333333403679e-05, 1.3331666666666662, -3.9996888888888882, 2.6664888888888885},
      {0, 0, 0, 1.3333333333333333, -4, 2.6666666666666665}};
  for (size_t i = 0; i < xs.size(); ++i) {
    CHECK(mb::r::splines::design_row(k, 4, xs[i], 0) == d0[i]);
    CHECK(mb::r::splines::design_row(k, 4, xs[i], 1) == d1[i]);
    CHECK(mb::r::splines::design_row(k, 4, xs[i], 2) == d2[i]);
  }
  CHECK_THROWS(mb::r::splines::design_row(k, 4, 4.5, 0));
}
