// rpart trees (docs/r-objects.md "rpart") and the helpers the tree importers share.
//
// The frame holds one row per node in depth-first order (children after their parent), the node
// id in @row.names (children of n are 2n and 2n+1).  Split rows come per inner node in frame
// order: the primary split, `ncompete` competitors (not used for prediction), `nsurrogate`
// surrogates.  A continuous split row sends "x < index" to `ncat` (-1 left, +1 right) and
// everything else the other way; a categorical row (ncat = number of levels) looks the level up
// in `$csplit` (1 left, 3 right, 2 "level absent at the node": no direction, like a missing
// value).  With no direction, surrogates are tried in order (usesurrogate > 0); when none gives
// one, usesurrogate 2 sends the row to the child with more training rows (a tie stops), 0 and 1
// stop at the node and predict with its values (rpart's pred_rpart).
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "formats/r/lang/formula.hpp"
#include "formats/r/importers/trees.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {
namespace trees {

const RObject& member(const RObject& obj, const std::string& name, const std::string& file, const std::string& path) {
  const RObject* o = obj.get(name);
  if (!o || o->is_null()) throw Error(file, path_join(path, "$" + name), "expected this component; it is missing");
  return *o;
}

std::vector<double> numbers_of(const RObject& obj, const std::string& file, const std::string& path) {
  if (!obj.is_numeric() && !obj.is_null())
    throw Error(file, path, fmt::format("expected a numeric vector, found {}", rtype_name(obj.type)));
  return obj.numbers();
}

std::vector<std::string> strings_of(const RObject& obj, const std::string& file, const std::string& path) {
  std::vector<std::string> out;
  if (obj.type == RType::Character) {
    for (auto& s : obj.strings) out.push_back(s ? *s : "NA");
    return out;
  }
  if (obj.type == RType::Integer && obj.inherits("factor")) {  // a factor: its labels
    const auto lv = obj.levels();
    for (int32_t c : obj.ints) out.push_back(c >= 1 && static_cast<size_t>(c) <= lv.size() ? lv[c - 1] : "NA");
    return out;
  }
  if (obj.is_null()) return out;
  throw Error(file, path, fmt::format("expected a character vector, found {}", rtype_name(obj.type)));
}

int Predictors::find(const std::string& name) const {
  for (size_t i = 0; i < vars.size(); ++i)
    if (vars[i].name == name) return static_cast<int>(i);
  return -1;
}

Predictors predictors_from_terms(const RObject& root, const std::string& file, const LevelsOf& levels) {
  Predictors p;
  const RObject* terms = root.get("terms");
  if (!terms || terms->type != RType::Language)
    throw Error(file, "$terms", "the model has no terms object ($terms)");
  const RObject* predvars = terms->attr("predvars");
  if (!predvars) predvars = terms->attr("variables");
  if (!predvars || predvars->type != RType::Language || call_name(*predvars) != "list")
    throw Error(file, "$terms@predvars", "expected a call list(...) of the model's variables");
  const size_t nv = predvars->elements.size() - 1;

  std::vector<std::string> names;
  if (const RObject* factors = terms->attr("factors"))
    if (const RObject* dn = factors->attr("dimnames"); dn && dn->elements.size() == 2 && dn->elements[0])
      names = strings_of(*dn->elements[0], file, "$terms@factors@dimnames[0]");
  if (names.size() != nv) {
    names.clear();
    for (size_t i = 0; i < nv; ++i) {
      const RObject& e = *predvars->elements[i + 1];
      if (e.type != RType::Symbol)
        throw Error(file, "$terms@factors", "cannot name the model's variables (no factor matrix)");
      names.push_back(e.text);
    }
  }
  const RObject* resp = terms->attr("response");
  const size_t first = resp && resp->length() == 1 && resp->number(0) == 1 ? 1 : 0;
  if (first) p.response = names[0];
  std::vector<size_t> offsets;
  if (const RObject* off = terms->attr("offset"))
    for (double o : off->numbers()) offsets.push_back(static_cast<size_t>(o) - 1);

  const RObject* dc = terms->attr("dataClasses");
  const std::vector<std::string> dc_names = dc ? dc->names() : std::vector<std::string>{};
  const std::vector<std::string> dc_values = dc ? strings_of(*dc, file, "$terms@dataClasses") : std::vector<std::string>{};
  auto data_class = [&](const std::string& name) -> std::string {
    for (size_t i = 0; i < dc_names.size() && i < dc_values.size(); ++i)
      if (dc_names[i] == name) return dc_values[i];
    return "";
  };

  ExprTranslator tr(file, p.inputs, p.derived);
  for (size_t i = first; i < nv; ++i) {
    bool is_offset = false;
    for (size_t o : offsets) is_offset |= o == i;
    if (is_offset) continue;
    const RObject& node = *predvars->elements[i + 1];
    Predictor v;
    v.name = names[i];
    const std::string cls = data_class(v.name);
    if (cls == "factor" || cls == "ordered" || cls == "character") {
      if (node.type != RType::Symbol)
        throw Error(file, "$terms@predvars",
                    fmt::format("factor variable '{}' is an expression; only plain factor variables are supported",
                                v.name));
      v.ordered = cls == "ordered";
      v.factor = !v.ordered;
      v.input = tr.categorical_input(node.text, levels(v.name, v.ordered), v.ordered, v.name);
      v.expr = ir::Expr::input(v.input);
    } else if (cls == "numeric" || cls.empty()) {
      v.expr = tr.numeric(node, v.name);
      if (node.type == RType::Symbol) v.input = v.expr.index;
    } else {
      throw Error(file, "$terms@dataClasses",
                  fmt::format("variable '{}' of class '{}' is not supported in tree models", v.name, cls));
    }
    p.vars.push_back(std::move(v));
  }
  return p;
}

void warn(ir::Model& m, Warnings& warnings, std::string code, std::string message) {
  Warning w{std::move(code), std::move(message)};
  m.provenance.warnings.push_back(w);
  warnings.push_back(std::move(w));
}

ir::Tree empty_tree(size_t n, size_t K, ir::MissingGo missing) {
  ir::Tree t;
  t.op.assign(n, ir::SplitOp::Leaf);
  t.feature.assign(n, -1);
  t.threshold.assign(n, 0);
  t.left.assign(n, -1);
  t.right.assign(n, -1);
  t.missing.assign(n, missing);
  t.set_offset.assign(n, 0);
  t.set_size.assign(n, 0);
  t.values.assign(n * K, 0.0);
  return t;
}

void finish_sets(ir::Tree& t) {
  if (t.sets.empty()) {
    t.set_offset.clear();
    t.set_size.clear();
  }
}

ir::Model model_of(Predictors&& predictors, bool classification, const std::vector<std::string>& classes) {
  ir::Model m;
  for (auto& v : predictors.vars) m.features.push_back({v.name, v.expr});
  m.schema.inputs = std::move(predictors.inputs);
  m.derived = std::move(predictors.derived);
  m.schema.target.name = predictors.response;
  if (classification) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = classes;
  }
  return m;
}

void describe_factor_inputs(ir::Model& m) {
  for (auto& in : m.schema.inputs)
    if (in.is_categorical())
      m.provenance.preprocessing.push_back(fmt::format("{} {}: level codes ({} levels)",
                                                       in.kind == ir::FieldKind::Ordinal ? "ordered factor" : "factor",
                                                       in.name, in.levels.size()));
}

}  // namespace trees

namespace {

using trees::member;
using trees::numbers_of;
using trees::strings_of;

// A column-major numeric matrix read from an R object.
struct Matrix {
  size_t rows = 0, cols = 0;
  std::vector<double> v;
  double at(size_t r, size_t c) const { return v[c * rows + r]; }
};

Matrix matrix_of(const RObject& obj, const std::string& file, const std::string& path) {
  Matrix m;
  auto d = obj.dim();
  if (d.size() != 2) throw Error(file, path, "expected a matrix (a vector with @dim of length 2)");
  m.rows = static_cast<size_t>(d[0]);
  m.cols = static_cast<size_t>(d[1]);
  m.v = numbers_of(obj, file, path);
  if (m.v.size() != m.rows * m.cols) throw Error(file, path, "matrix data do not match its @dim");
  return m;
}

// One split row turned into an IR test: op, threshold or set codes with sides.
struct SplitTest {
  ir::SplitOp op = ir::SplitOp::LessThan;
  double threshold = 0;
  std::vector<int32_t> codes;
  std::vector<uint8_t> sides;
};

class RpartReader {
 public:
  RpartReader(const RObject& root, const std::string& file, Warnings& warnings)
      : root_(root), file_(file), warnings_(warnings) {}

  ir::Model run() {
    const std::string method = strings_of(member(root_, "method", file_, ""), file_, "$method").at(0);
    const bool classification = method == "class";
    if (!classification && method != "anova" && method != "poisson" && method != "exp")
      throw Error(file_, "$method", fmt::format("unsupported rpart method '{}'", method));

    const RObject* xlevels = root_.attr("xlevels");
    auto levels_of = [&](const std::string& name, bool) -> std::vector<std::string> {
      const RObject* lv = xlevels ? xlevels->get(name) : nullptr;
      if (!lv) throw Error(file_, "@xlevels", fmt::format("no levels stored for factor '{}'", name));
      return strings_of(*lv, file_, "@xlevels$" + name);
    };
    pred_ = trees::predictors_from_terms(root_, file_, levels_of);

    std::vector<std::string> classes;
    if (classification) {
      const RObject* yl = root_.attr("ylevels");
      if (!yl) throw Error(file_, "@ylevels", "a classification tree without class labels (@ylevels)");
      classes = strings_of(*yl, file_, "@ylevels");
    }
    const size_t K = classification ? classes.size() : 1;

    int usesurrogate = 2;
    if (const RObject* control = root_.get("control"))
      if (const RObject* us = control->get("usesurrogate"); us && us->length() == 1)
        usesurrogate = static_cast<int>(us->number(0));

    ir::TreeEnsemble ens;
    ens.n_outputs = static_cast<int32_t>(K);
    ens.aggregate = ir::Aggregate::Sum;
    ens.trees.push_back(build_tree(classification, K, usesurrogate));

    ir::Model m = trees::model_of(std::move(pred_), classification, classes);
    m.estimator = std::move(ens);
    m.provenance.source_class = "rpart";
    m.provenance.family = classification ? "rpart classification" : fmt::format("rpart regression ({})", method);
    trees::describe_factor_inputs(m);
    m.provenance.preprocessing.push_back(
        usesurrogate == 0 ? "missing split variable: stop at the node (usesurrogate = 0)"
        : usesurrogate == 1 ? "missing split variable: surrogate splits, else stop at the node (usesurrogate = 1)"
                            : "missing split variable: surrogate splits, else the larger child (usesurrogate = 2)");
    for (auto& w : notes_) trees::warn(m, warnings_, "rpart", w);
    ir::validate(m, file_);
    return m;
  }

 private:
  SplitTest split_test(size_t row, const std::string& place) {
    const std::string var = split_names_.at(row);
    const int f = pred_.find(var);
    if (f < 0) throw Error(file_, place, fmt::format("split variable '{}' is not among the model's variables", var));
    const double ncat = splits_.at(row, 1), index = splits_.at(row, 3);
    SplitTest t;
    if (std::fabs(ncat) == 1) {
      // "x < index" goes to ncat.  Ordered factors compare their 1-based codes; ours are 0-based.
      t.threshold = pred_.vars[f].ordered ? index - 1 : index;
      t.op = ncat < 0 ? ir::SplitOp::LessThan : ir::SplitOp::GreaterOrEqual;
      return t;
    }
    if (!pred_.vars[f].factor)
      throw Error(file_, place, fmt::format("categorical split on '{}', which is not a factor", var));
    const size_t L = m_levels(f);
    const auto crow = static_cast<size_t>(index) - 1;
    if (!(index >= 1) || crow >= csplit_.rows || static_cast<size_t>(ncat) > csplit_.cols || static_cast<size_t>(ncat) != L)
      throw Error(file_, place, fmt::format("categorical split row {} does not fit $csplit", index));
    t.op = ir::SplitOp::InSet;
    for (size_t c = 0; c < L; ++c) {
      const double d = csplit_.at(crow, c);
      if (d == 1 || d == 3) {
        t.codes.push_back(static_cast<int32_t>(c));
        t.sides.push_back(d == 1 ? 1 : 0);
      }
    }
    return t;
  }

  size_t m_levels(int f) const { return pred_.inputs[pred_.vars[f].input].levels.size(); }

  ir::Tree build_tree(bool classification, size_t K, int usesurrogate) {
    const RObject& frame = member(root_, "frame", file_, "");
    const std::vector<std::string> var = strings_of(member(frame, "var", file_, "$frame"), file_, "$frame$var");
    const size_t n = var.size();
    if (n == 0) throw Error(file_, "$frame", "an empty tree");
    const std::vector<double> count = numbers_of(member(frame, "n", file_, "$frame"), file_, "$frame$n");
    const std::vector<double> ncompete = numbers_of(member(frame, "ncompete", file_, "$frame"), file_, "$frame$ncompete");
    const std::vector<double> nsurrogate = numbers_of(member(frame, "nsurrogate", file_, "$frame"), file_, "$frame$nsurrogate");
    if (count.size() != n || ncompete.size() != n || nsurrogate.size() != n)
      throw Error(file_, "$frame", "frame columns differ in length");

    // Node ids from the row names.
    std::vector<int64_t> id(n);
    const RObject* rn = frame.attr("row.names");
    if (!rn || rn->length() != n) throw Error(file_, "$frame@row.names", "expected one node id per frame row");
    for (size_t i = 0; i < n; ++i) {
      if (rn->type == RType::Character) {
        const auto v = parse_number(rn->str(i));
        if (!v) throw Error(file_, "$frame@row.names", fmt::format("node id '{}' is not a number", rn->str(i)));
        id[i] = static_cast<int64_t>(*v);
      } else {
        id[i] = static_cast<int64_t>(rn->number(i));
      }
    }
    std::unordered_map<int64_t, int32_t> row_of;
    for (size_t i = 0; i < n; ++i) row_of[id[i]] = static_cast<int32_t>(i);

    // Values per node.
    std::vector<double> values(n * K);
    if (!classification) {
      const auto yval = numbers_of(member(frame, "yval", file_, "$frame"), file_, "$frame$yval");
      if (yval.size() != n) throw Error(file_, "$frame$yval", "expected one value per node");
      values = yval;
    } else {
      const Matrix y2 = matrix_of(member(frame, "yval2", file_, "$frame"), file_, "$frame$yval2");
      if (y2.rows != n || y2.cols != 2 * K + 2)
        throw Error(file_, "$frame$yval2", fmt::format("expected a {} x {} matrix", n, 2 * K + 2));
      for (size_t i = 0; i < n; ++i) {
        size_t best = 0;
        for (size_t k = 0; k < K; ++k) {
          values[i * K + k] = y2.at(i, 1 + K + k);
          if (values[i * K + k] > values[i * K + best]) best = k;
        }
        if (y2.at(i, 0) != static_cast<double>(best + 1))
          throw Error(file_, "$frame$yval2",
                      fmt::format("node {}: the fitted class is not the most probable class (a loss matrix?); "
                                  "such trees are not supported", id[i]));
      }
    }

    bool any_split = false;
    for (auto& v : var) any_split |= v != "<leaf>";
    if (any_split) {
      const RObject& sp = member(root_, "splits", file_, "");
      splits_ = matrix_of(sp, file_, "$splits");
      if (splits_.cols < 5) throw Error(file_, "$splits", "expected columns count, ncat, improve, index, adj");
      const RObject* dn = sp.attr("dimnames");
      if (!dn || dn->elements.size() != 2 || !dn->elements[0])
        throw Error(file_, "$splits@dimnames", "split rows without variable names");
      split_names_ = strings_of(*dn->elements[0], file_, "$splits@dimnames[0]");
      if (split_names_.size() != splits_.rows) throw Error(file_, "$splits@dimnames", "row names do not match rows");
      if (const RObject* cs = root_.get("csplit"); cs && !cs->is_null()) csplit_ = matrix_of(*cs, file_, "$csplit");
    }

    ir::Tree t = trees::empty_tree(n, K, ir::MissingGo::StopHere);
    t.count = count;
    t.values = std::move(values);
    const bool surrogates = usesurrogate > 0;
    if (surrogates) {
      t.sur_offset.assign(n, 0);
      t.sur_size.assign(n, 0);
    }
    auto add_set = [&](const SplitTest& s, int32_t& off, int32_t& size) {
      off = static_cast<int32_t>(t.sets.size());
      size = static_cast<int32_t>(s.codes.size());
      t.sets.insert(t.sets.end(), s.codes.begin(), s.codes.end());
      t.set_side.insert(t.set_side.end(), s.sides.begin(), s.sides.end());
    };

    size_t row = 0;  // first split row of the current inner node
    for (size_t i = 0; i < n; ++i) {
      if (var[i] == "<leaf>") continue;
      const std::string place = fmt::format("$frame[node {}]", id[i]);
      auto l = row_of.find(2 * id[i]), r = row_of.find(2 * id[i] + 1);
      if (l == row_of.end() || r == row_of.end()) throw Error(file_, place, "an inner node without two children");
      t.left[i] = l->second;
      t.right[i] = r->second;
      const size_t nc = static_cast<size_t>(ncompete[i]), ns = static_cast<size_t>(nsurrogate[i]);
      if (row + 1 + nc + ns > splits_.rows) throw Error(file_, place, "split rows run past the end of $splits");
      if (split_names_[row] != var[i])
        throw Error(file_, place, fmt::format("primary split row names '{}', the frame says '{}'", split_names_[row], var[i]));
      const SplitTest primary = split_test(row, fmt::format("$splits[{}]", row + 1));
      t.feature[i] = pred_.find(var[i]);
      t.op[i] = primary.op;
      t.threshold[i] = primary.threshold;
      if (primary.op == ir::SplitOp::InSet) add_set(primary, t.set_offset[i], t.set_size[i]);
      t.missing[i] = usesurrogate == 2 ? ir::MissingGo::Majority : ir::MissingGo::StopHere;
      if (surrogates && ns > 0) {
        t.sur_offset[i] = static_cast<int32_t>(t.sur_feature.size());
        t.sur_size[i] = static_cast<int32_t>(ns);
        for (size_t k = 0; k < ns; ++k) {
          const size_t sr = row + 1 + nc + k;
          const SplitTest s = split_test(sr, fmt::format("$splits[{}]", sr + 1));
          t.sur_feature.push_back(pred_.find(split_names_[sr]));
          t.sur_op.push_back(s.op);
          t.sur_threshold.push_back(s.threshold);
          t.sur_flip.push_back(0);
          int32_t off = 0, size = 0;
          if (s.op == ir::SplitOp::InSet) add_set(s, off, size);
          t.sur_set_offset.push_back(off);
          t.sur_set_size.push_back(size);
        }
      }
      row += 1 + nc + ns;
    }
    trees::finish_sets(t);
    return t;
  }

  const RObject& root_;
  const std::string& file_;
  Warnings& warnings_;
  trees::Predictors pred_;
  Matrix splits_, csplit_;
  std::vector<std::string> split_names_;
  std::vector<std::string> notes_;
};

}  // namespace

ir::Model import_rpart(const RObject& root, const std::string& file, Warnings& warnings) {
  return RpartReader(root, file, warnings).run();
}

}  // namespace mb::r
