// Helpers the tree importers share (trees.hpp): the predictors of a formula model, empty trees
// and the model around a tree ensemble.
#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"

namespace mb::r {
namespace trees {

int Predictors::find(const std::string& name) const {
  for (size_t i = 0; i < vars.size(); ++i)
    if (vars[i].name == name) return static_cast<int>(i);
  return -1;
}

Predictors predictors_from_terms(const RObject& root, const std::string& file, const LevelsOf& levels,
                                 const RObject* xlevels) {
  Predictors p;
  const RObject* terms = root.get("terms");
  if (!terms || terms->type != RType::Language) throw Error(file, "$terms", "the model has no terms object ($terms)");
  const RObject* predvars = terms->attr("predvars");
  if (!predvars) predvars = terms->attr("variables");
  if (!predvars || predvars->type != RType::Language || call_name(*predvars) != "list")
    throw Error(file, "$terms@predvars", "expected a call list(...) of the model's variables");
  const size_t nv = predvars->elements.size() - 1;

  std::vector<std::string> names;
  std::vector<bool> in_a_term;  // per variable, from the factor matrix (variables x terms)
  if (const RObject* factors = terms->attr("factors"))
    if (const RObject* dn = factors->attr("dimnames"); dn && dn->elements.size() == 2 && dn->elements[0]) {
      names = Member(*dn->elements[0], file, "$terms@factors@dimnames[[1]]").strings();
      const auto dim = factors->dim();
      if (dim.size() == 2 && static_cast<size_t>(dim[0]) == names.size() &&
          factors->length() == names.size() * static_cast<size_t>(dim[1])) {
        in_a_term.assign(names.size(), false);
        for (size_t k = 0; k < factors->length(); ++k)
          if (factors->number(k) != 0) in_a_term[k % names.size()] = true;
      }
    }
  // R's term expansion of `y ~ .` may keep a non-syntactic name backquoted there ("`factor(cyl)8`"),
  // while the model frame, @dataClasses and rpart's splits name the variable without quotes.
  if (names.size() == nv)
    for (size_t i = 0; i < nv; ++i) {
      const RObject* e = predvars->elements[i + 1].get();
      std::string& n = names[i];
      if (e && e->type == RType::Symbol && n.size() > 2 && n.front() == '`' && n.back() == '`' &&
          n.compare(1, n.size() - 2, e->text) == 0)
        n = e->text;
    }
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
    for (int64_t o : Member(*off, file, "$terms@offset").wholes(1, static_cast<int64_t>(nv)))
      offsets.push_back(static_cast<size_t>(o) - 1);

  const RObject* dc = terms->attr("dataClasses");
  const std::vector<std::string> dc_names = dc ? dc->names() : std::vector<std::string>{};
  const std::vector<std::string> dc_values =
      dc ? Member(*dc, file, "$terms@dataClasses").strings() : std::vector<std::string>{};
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
    if (!in_a_term.empty() && !in_a_term[i]) continue;  // `- x`: read only inside other terms
    const RObject& node = *predvars->elements[i + 1];
    Predictor v;
    v.name = names[i];
    const std::string cls = data_class(v.name);
    std::optional<DerivedFactor> derived;
    if (xlevels && node.type == RType::Language && (cls == "factor" || cls == "character"))
      derived = derived_factor(node, v.name, cls, xlevels, tr, file);
    if (derived) {
      v.factor = true;
      v.n_levels = derived->levels.size();
      v.expr = std::move(derived->code);
      p.preprocessing.insert(p.preprocessing.end(), derived->preprocessing.begin(), derived->preprocessing.end());
      p.warnings.insert(p.warnings.end(), derived->warnings.begin(), derived->warnings.end());
    } else if (cls == "factor" || cls == "ordered" || cls == "character") {
      if (node.type != RType::Symbol)
        throw Error(
            file, "$terms@predvars",
            fmt::format("factor variable '{}' is an expression; only plain factor variables are supported", v.name));
      v.ordered = cls == "ordered";
      v.factor = !v.ordered;
      v.input = tr.categorical_input(node.text, levels(v.name, v.ordered), v.ordered, v.name);
      v.n_levels = p.inputs[static_cast<size_t>(v.input)].levels.size();
      v.expr = ir::Expr::input(v.input);
    } else if (cls == "logical" && node.type == RType::Symbol) {
      // Trees split on as.numeric(x): FALSE 0, TRUE 1.
      v.input = tr.logical_input(node.text, v.name);
      v.expr = ir::Expr::level_map(v.input, {0.0, 1.0});
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

ir::Tree empty_tree(size_t n, size_t K, ir::MissingGo missing, bool sets) {
  ir::Tree t;
  t.op.assign(n, ir::SplitOp::Leaf);
  t.feature.assign(n, -1);
  t.threshold.assign(n, 0);
  t.left.assign(n, -1);
  t.right.assign(n, -1);
  t.missing.assign(n, missing);
  if (sets) {
    t.set_offset.assign(n, 0);
    t.set_size.assign(n, 0);
  }
  t.values.assign(n * K, 0.0);
  return t;
}

void finish_sets(ir::Tree& t) {
  if (t.sets.empty()) {  // freed, not only cleared: forests hold millions of nodes
    std::vector<int32_t>().swap(t.set_offset);
    std::vector<int32_t>().swap(t.set_size);
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

void adopt_single_tree(ir::Model& m, ir::Tree&& tree, size_t K, const std::string& response,
                       const std::vector<std::string>* classes, std::string source_class, std::string family) {
  finish_sets(tree);
  tree.missing_child.clear();
  ir::TreeEnsemble ens;
  ens.n_outputs = static_cast<int32_t>(K);
  ens.aggregate = ir::Aggregate::Sum;
  ens.trees.push_back(std::move(tree));
  m.estimator = std::move(ens);
  m.schema.target.name = response;
  if (classes) {
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = *classes;
  }
  m.provenance.source_class = std::move(source_class);
  m.provenance.family = std::move(family);
  describe_factor_inputs(m);
}

void describe_factor_inputs(ir::Model& m) {
  for (auto& in : m.schema.inputs)
    if (in.is_categorical())
      m.provenance.preprocessing.push_back(fmt::format("{} {}: level codes ({} levels)",
                                                       in.kind == ir::FieldKind::Ordinal ? "ordered factor" : "factor",
                                                       in.name, in.levels.size()));
}

}  // namespace trees
}  // namespace mb::r
