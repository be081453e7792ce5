// party's S4 "BinaryTree" objects (ctree() of the old party package) to the model IR.
//
// The tree is the slot @tree: nested lists list(nodeID, weights, criterion, terminal, psplit,
// ssplits, prediction, left, right, sumweights), the tenth element unnamed.  party's C_get_node
// (party/src/Predict.c) sends a row down so:
//  - an "orderedSplit" on a numeric variable: x <= splitpoint goes left, else right;
//  - a "nominalSplit": splitpoint holds one 0/1 flag per level of the factor (its "levels"
//    attribute names them); a level flagged 1 goes left, any other right;
//  - a missing split variable: the surrogate splits (`ssplits`), then the majority: left when
//    the left kid's sumweights exceeds the right kid's, else right.
// The answer is the terminal node's `prediction`: the weighted mean of a numeric response, or
// the class probabilities of a factor response (predict(type = "response") gives the first
// class of largest probability).  The inputs are the input formula's variables, each read by its
// name: split variables as their splits say, the others as the training data frame kept in
// @data@env says (an .rds file keeps it).  A logical variable that party splits as a number
// (an orderedSplit) is read as a number 0/1.  Surrogate splits, ordered factors and censored
// responses are refused with their place.
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

bool plain_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '.')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_')) return false;
  return true;
}

struct BinaryTreeReader {
  const std::string& file;
  ir::Model& m;
  ExprTranslator tr;
  size_t K = 1;
  ir::Tree tree;
  std::map<std::string, int32_t> feature_of;  // variable -> feature
  std::map<std::string, std::vector<std::string>> levels_of;

  BinaryTreeReader(const std::string& f, ir::Model& model)
      : file(f), m(model), tr(f, model.schema.inputs, model.derived) {}

  int32_t feature(const Member& split, const std::string& name, const std::vector<std::string>* levels) {
    if (!plain_name(name))
      split["variableName"].unsupported(
          fmt::format("unsupported: a split on the expression '{}' (only data columns are read)", name));
    auto it = feature_of.find(name);
    if (it != feature_of.end()) {
      const auto lv = levels_of.find(name);
      if ((lv == levels_of.end()) != (levels == nullptr) || (levels && lv->second != *levels))
        split.fail(fmt::format("the variable '{}' is split as a number and as a factor, or with other levels", name));
      return it->second;
    }
    int in;
    if (!levels) {
      in = tr.continuous_input(name, name);
    } else {
      levels_of[name] = *levels;
      in = *levels == std::vector<std::string>{"FALSE", "TRUE"} ? tr.logical_input(name, name)
                                                                : tr.categorical_input(name, *levels, false, name);
    }
    m.features.push_back({name, ir::Expr::input(in)});
    const auto f = static_cast<int32_t>(m.features.size() - 1);
    feature_of[name] = f;
    return f;
  }

  int32_t emit(const Member& node, int depth) {
    if (depth > 4096) node.fail("tree deeper than 4096 levels");
    if (node.size() < 10) node.fail(fmt::format("expected a node of 10 elements, found {}", node.size()));
    if (node["terminal"].truth()) {
      const std::vector<double> p = node["prediction"].numbers();
      if (p.size() != K) node["prediction"].fail(fmt::format("expected {} values, found {}", K, p.size()));
      const int32_t i = tree.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Null);
      tree.values.insert(tree.values.end(), p.begin(), p.end());
      tree.set_offset.push_back(0);
      tree.set_size.push_back(0);
      return i;
    }
    if (const auto s = node.get("ssplits"); s && s->size() > 0)
      throw Unsupported(file, s->path(), "unsupported: surrogate splits (ctree_control(maxsurrogate > 0))");
    const Member split = node["psplit"];
    const Member left = node["left"], right = node["right"];
    const double swl = left.at(9).number(), swr = right.at(9).number();
    const ir::MissingGo miss = swl > swr ? ir::MissingGo::Left : ir::MissingGo::Right;
    const std::string name = split["variableName"].string();
    const Member sp = split["splitpoint"];
    int32_t i;
    if (split->inherits("orderedSplit")) {
      if (sp.find_attr("levels")) sp.unsupported(fmt::format("unsupported: a split on the ordered factor '{}'", name));
      const double cut = sp.number();
      if (std::isnan(cut)) sp.fail("the split point is missing");
      i = tree.push_node(ir::SplitOp::LessOrEqual, feature(split, name, nullptr), cut, -1, -1, miss);
      tree.set_offset.push_back(0);
      tree.set_size.push_back(0);
    } else if (split->inherits("nominalSplit")) {
      const std::vector<std::string> levels = sp.attr("levels").strings();
      const std::vector<double> flags = sp.numbers();
      if (flags.size() != levels.size()) sp.fail(fmt::format("{} flags for {} levels", flags.size(), levels.size()));
      std::vector<int32_t> codes;
      for (size_t l = 0; l < flags.size(); ++l) {
        if (std::isnan(flags[l])) sp.fail(fmt::format("flag {} is missing", l + 1));
        if (flags[l] != 0) codes.push_back(static_cast<int32_t>(l));
      }
      i = tree.push_node(ir::SplitOp::InSet, feature(split, name, &levels), 0, -1, -1, miss);
      tree.set_offset.push_back(static_cast<int32_t>(tree.sets.size()));
      tree.set_size.push_back(static_cast<int32_t>(codes.size()));
      tree.sets.insert(tree.sets.end(), codes.begin(), codes.end());
    } else {
      split.fail("expected an orderedSplit or a nominalSplit");
    }
    tree.values.insert(tree.values.end(), K, 0.0);
    const int32_t l = emit(left, depth + 1);
    tree.left[i] = l;
    const int32_t r = emit(right, depth + 1);
    tree.right[i] = r;
    return i;
  }
};

}  // namespace

ir::Model import_binary_tree(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const Member responses = obj.attr("responses");
  const std::vector<std::string> response_names = responses.attr("variables").names();
  if (response_names.size() != 1)
    responses.attr("variables")
        .unsupported(fmt::format("unsupported: {} responses (one is read)", response_names.size()));
  const std::string response = response_names[0];
  if (const auto cens = responses.find_attr("is_censored"); cens && !cens->numbers().empty() && cens->numbers()[0] != 0)
    cens->unsupported("unsupported: a censored (survival) response");
  if (const auto ord = responses.find_attr("is_ordinal"); ord && !ord->numbers().empty() && ord->numbers()[0] != 0)
    ord->unsupported("unsupported: an ordered factor response");
  const bool nominal = responses.attr("is_nominal").numbers().at(0) != 0;
  std::vector<std::string> classes;
  if (nominal) classes = responses.attr("levels")[response].strings();

  ir::Model m;
  BinaryTreeReader br(file, m);
  br.K = nominal ? classes.size() : 1;
  if (nominal && br.K < 2) responses.attr("levels").fail("expected at least two response levels");
  br.emit(obj.attr("tree"), 0);
  // The other variables of the input formula (@data@formula$input) are inputs too, as R's
  // predict() reads them, typed by the training data frame kept in @data@env$input (an .rds keeps
  // it; jsonlite keeps no environment, and a variable not found there is read as a number).
  const Member data = obj.attr("data");
  std::vector<std::string> symbols;
  if (const auto formula = data.find_attr("formula"))
    if (const auto input = formula->get("input")) ExprTranslator::collect_symbols(input->obj(), symbols);
  const RObject* frame = nullptr;
  if (const auto env = data.find_attr("env"); env && env->obj().type == RType::Environment)
    for (size_t i = 0; i < env->obj().elements.size() && i < env->obj().tags.size(); ++i)
      if (env->obj().tags[i] == "input" && env->obj().elements[i] && env->obj().elements[i]->type == RType::List)
        frame = env->obj().elements[i].get();
  for (const auto& name : symbols) {
    if (br.feature_of.count(name)) continue;
    const RObject* col = frame ? frame->get(name) : nullptr;
    int in;
    if (col && col->inherits("factor") && !col->inherits("ordered")) {
      const auto levels = Member(*col, file, "@data@env$input$" + name).levels();
      in = br.tr.categorical_input(name, levels, false, name);
    } else if (col && col->type == RType::Logical) {
      in = br.tr.logical_input(name, name);
    } else {
      in = br.tr.continuous_input(name, name);
    }
    m.features.push_back({name, ir::Expr::input(in)});
    br.feature_of[name] = static_cast<int32_t>(m.features.size() - 1);
  }
  trees::adopt_single_tree(m, std::move(br.tree), br.K, response, nominal ? &classes : nullptr, "BinaryTree",
                           nominal ? "party ctree (BinaryTree) classification" : "party ctree (BinaryTree) regression");
  m.provenance.preprocessing.push_back(
      "a row whose split variable is missing goes to the kid with the larger sum of training weights, as party does");
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
