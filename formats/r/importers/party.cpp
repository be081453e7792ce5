// partykit trees (class "constparty": ctree, and CHAID, evtree and other trees partykit holds)
// to the model IR (docs/r-objects.md).
//
// A partynode is list(id, split, kids, surrogates, info); a partysplit list(varid, breaks, index,
// right, prob).  partykit's kidids_split sends a row to a kid so:
//  - with `breaks`: bin = .bincode(as.numeric(x), c(-Inf, breaks, Inf), right), that is
//    x <= b (right = TRUE) or x < b (right = FALSE) for the first break b it does not pass
//    (a factor's value is its 1-based code);
//  - without: the factor's 1-based code;
//  then kid = index[bin] when `index` is given (multiway splits; NA: no kid), else kid = bin.
// A row whose value is missing (or whose level has no kid) goes through the node's surrogates,
// then to a random kid drawn with the split's `prob` (uniform without it); ctree_control(majority
// = TRUE) makes `prob` 1 for one kid.  Here such a row goes to the kid of largest `prob` (the
// first), which is R's answer when that kid is certain; otherwise warning `party-random-child`.
// A node with k kids becomes a chain of k - 1 binary tests.  The fitted values are those of
// predict(type = "response" / "prob"): for each terminal node, from the training rows
// `$fitted` puts there, the weighted mean of a numeric response (weighted.mean) or the
// weighted class proportions of a factor response (tapply(w, y, sum) / sum(w)), summed in long
// double as R's sum() does; the class is the first largest proportion.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"
#include "formats/r/lang/rparse.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

struct Var {
  std::string name;
  int feature = -1;     // -1: a column the model does not read
  bool factor = false;  // split on 1-based level codes (the feature is the 0-based code)
  size_t levels = 0;
};

struct PartyReader {
  const std::string& file;
  std::vector<Var> vars;                      // per $data column
  std::map<int, std::vector<double>> values;  // terminal node id -> leaf values
  size_t K = 1;
  bool random_child = false;
  ir::Tree tree;

  // The kid (0-based) a row goes to when the split cannot place it.
  size_t missing_kid(const Member& split, size_t n_kids) {
    const auto prob = split.get("prob") ? split["prob"].numbers() : std::vector<double>{};
    size_t best = 0;
    for (size_t k = 1; k < prob.size() && k < n_kids; ++k)
      if (prob[k] > prob[best]) best = k;
    if (prob.size() != n_kids || prob[best] != 1.0) random_child = true;
    return best;
  }

  // Emits the subtree of `node` at a new index and returns it; children follow their parent.
  int32_t emit(const Member& node, int depth) {
    if (depth > 4096) node.fail("tree deeper than 4096 levels");
    const auto id = static_cast<int>(node["id"].whole(1, INT32_MAX));
    const auto kids_m = node.get("kids");
    if (!kids_m || kids_m->size() == 0) {
      auto it = values.find(id);
      if (it == values.end())
        node.fail(fmt::format("terminal node {} has no training rows in $fitted (R predicts NA there)", id));
      const int32_t i = tree.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Null);
      tree.values.insert(tree.values.end(), it->second.begin(), it->second.end());
      tree.set_offset.push_back(0);
      tree.set_size.push_back(0);
      return i;
    }
    if (const auto s = node.get("surrogates"); s && s->size() > 0)
      s->fail("surrogate splits are not supported for partykit trees");
    const Member split = node["split"];
    const size_t n_kids = kids_m->size();
    const double varid = split["varid"].number();
    if (!(varid >= 1 && varid <= static_cast<double>(vars.size()))) split["varid"].fail("variable index out of range");
    const Var& v = vars[static_cast<size_t>(varid) - 1];
    if (v.feature < 0) split["varid"].fail(fmt::format("the split variable '{}' is not a predictor", v.name));
    const auto breaks = split.get("breaks") ? split["breaks"].numbers() : std::vector<double>{};
    const auto index = split.get("index") ? split["index"].numbers() : std::vector<double>{};
    const bool right = split.get("right") ? split["right"].truth() : true;
    if (breaks.empty() && !v.factor) split.fail(fmt::format("a split on '{}' without breaks needs a factor", v.name));
    const size_t units = breaks.empty() ? v.levels : breaks.size() + 1;
    if (!index.empty() && index.size() != units)
      split["index"].fail(
          fmt::format("{} entries for {} {}", index.size(), units, breaks.empty() ? "levels" : "intervals"));
    for (size_t b = 1; b < breaks.size(); ++b)
      if (!(breaks[b] > breaks[b - 1])) split["breaks"].fail("breaks are not increasing");
    const size_t mk = missing_kid(split, n_kids);
    // Kid of each unit (bin or level code), 0-based; a unit without a kid is placed like a missing value.
    std::vector<size_t> kid(units);
    for (size_t u = 0; u < units; ++u) {
      double k = index.empty() ? static_cast<double>(u + 1) : index[u];
      if (std::isnan(k)) {  // R: like a missing value (random unless prob is certain: missing_kid)
        kid[u] = mk;
        continue;
      }
      if (!(k >= 1 && k <= static_cast<double>(n_kids))) split.fail(fmt::format("kid {} out of range", k));
      kid[u] = static_cast<size_t>(k) - 1;
    }
    const double shift = v.factor ? 1.0 : 0.0;  // the feature is the 0-based code

    // Chain of binary tests; `next` links each test's false side to the following one.
    int32_t first = -1, prev = -1;
    auto link = [&](int32_t i) {
      if (prev >= 0) tree.right[prev] = i;
      else first = i;
      prev = i;
    };
    if (!breaks.empty()) {
      // Segments of consecutive bins with the same kid.
      std::vector<std::pair<size_t, size_t>> seg;  // (last bin, kid)
      for (size_t u = 0; u < units; ++u)
        if (!seg.empty() && seg.back().second == kid[u]) seg.back().first = u;
        else seg.push_back({u, kid[u]});
      for (size_t s = 0; s + 1 < seg.size(); ++s) {
        const double b = breaks[seg[s].first] - shift;
        const int32_t i = tree.push_node(right ? ir::SplitOp::LessOrEqual : ir::SplitOp::LessThan, v.feature, b, -1, -1,
                                         seg[s].second == mk ? ir::MissingGo::Left : ir::MissingGo::Right);
        tree.values.insert(tree.values.end(), K, 0.0);
        tree.set_offset.push_back(0);
        tree.set_size.push_back(0);
        link(i);
        tree.left[i] = emit(kids_m->at(seg[s].second), depth + 1);
      }
      const int32_t last = emit(kids_m->at(seg.back().second), depth + 1);
      if (prev >= 0) tree.right[prev] = last;
      else first = last;
    } else {
      std::vector<size_t> used;
      for (size_t k = 0; k < n_kids; ++k)
        for (size_t u = 0; u < units; ++u)
          if (kid[u] == k) {
            used.push_back(k);
            break;
          }
      if (used.empty()) split.fail("no level goes to a kid");
      for (size_t j = 0; j + 1 < used.size(); ++j) {
        std::vector<int32_t> codes;
        for (size_t u = 0; u < units; ++u)
          if (kid[u] == used[j]) codes.push_back(static_cast<int32_t>(u));
        const int32_t i = tree.push_node(ir::SplitOp::InSet, v.feature, 0, -1, -1,
                                         used[j] == mk ? ir::MissingGo::Left : ir::MissingGo::Right);
        tree.values.insert(tree.values.end(), K, 0.0);
        tree.set_offset.push_back(static_cast<int32_t>(tree.sets.size()));
        tree.set_size.push_back(static_cast<int32_t>(codes.size()));
        tree.sets.insert(tree.sets.end(), codes.begin(), codes.end());
        link(i);
        tree.left[i] = emit(kids_m->at(used[j]), depth + 1);
      }
      const int32_t last = emit(kids_m->at(used.back()), depth + 1);
      if (prev >= 0) tree.right[prev] = last;
      else first = last;
    }
    return first;
  }
};

}  // namespace

ir::Model import_party(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const Member data = obj["data"];
  const Member fitted = obj["fitted"];
  const std::vector<std::string> data_names = data.names();
  const std::vector<std::string> fitted_names = fitted.names();
  auto fitted_col = [&](const std::string& n) -> std::optional<Member> {
    for (size_t i = 0; i < fitted_names.size(); ++i)
      if (fitted_names[i] == n) return fitted.at(i);
    return std::nullopt;
  };
  const auto node_col = fitted_col("(fitted)");
  const auto resp_col = fitted_col("(response)");
  if (!node_col || !resp_col) fitted.fail("expected the columns (fitted) and (response)");
  if (resp_col->obj().type == RType::List) resp_col->fail("several responses are not supported");
  const auto weights_col = fitted_col("(weights)");

  // The response: its name from $terms, its values from $fitted.
  std::string response;
  const RObject* terms = root.get("terms");
  if (!terms || terms->type != RType::Language) throw Error(file, "$terms", "the model has no terms object ($terms)");
  const RObject* variables = terms->attr("variables");
  const RObject* resp_attr = terms->attr("response");
  if (!variables || variables->type != RType::Language || variables->elements.size() < 2)
    throw Error(file, "$terms@variables", "expected a call list(...) of the model's variables");
  const bool has_response = resp_attr && resp_attr->length() == 1 && resp_attr->number(0) == 1;
  if (!has_response) throw Error(file, "$terms@response", "the model has no response");
  {
    const RObject& r = *variables->elements[1];
    response = r.type == RType::Symbol ? r.text : "";
  }

  PartyReader pr{file, {}, {}, 1, false, {}};
  ir::Model m;
  ExprTranslator tr(file, m.schema.inputs, m.derived);
  // Predictors: the columns of $data other than the response, by their R class.
  for (size_t j = 0; j < data_names.size(); ++j) {
    Var v;
    v.name = data_names[j];
    pr.vars.push_back(v);
  }
  // The split variables (a response column is never one).
  std::vector<bool> used(data_names.size(), false);
  std::function<void(const RObject&, int)> mark = [&](const RObject& n, int depth) {
    if (depth > 4096) throw Error(file, "$node", "tree deeper than 4096 levels");
    const RObject* split = n.get("split");
    if (split && !split->is_null())
      if (const RObject* vid = split->get("varid"); vid && vid->length() == 1) {
        const double id = vid->number(0);
        if (id >= 1 && id <= static_cast<double>(used.size())) used[static_cast<size_t>(id) - 1] = true;
      }
    if (const RObject* kids = n.get("kids"))
      for (const auto& k : kids->elements)
        if (k) mark(*k, depth + 1);
  };
  mark(obj["node"].obj(), 0);
  for (size_t j = 0; j < data_names.size(); ++j) {
    // Every predictor of the formula is an input (R's predict() looks up the split variables,
    // and all of them when it goes through model.frame()); the response is not.
    if (data_names[j] == response && !used[j]) continue;
    // ctree(weights = w) keeps the case weights as a column of $data (and of $fitted, where the
    // leaf values take them from); predict() never looks them up.
    if (data_names[j] == "(weights)" && !used[j]) continue;
    Var& v = pr.vars[j];
    const Member col = data.at(j);
    const std::string place = "$data$" + v.name;
    if (col->inherits("factor")) {
      bool plain = false;
      for (size_t i = 1; i < variables->elements.size(); ++i)
        plain |= variables->elements[i]->type == RType::Symbol && variables->elements[i]->text == v.name;
      if (!plain)
        throw Unsupported(
            file, place,
            fmt::format("unsupported: the factor '{}' is an expression of the data (R recomputes it from the "
                        "rows it predicts, e.g. cut() with a number of breaks); only factor variables are "
                        "supported",
                        v.name));
      const bool ordered = col->inherits("ordered");
      const auto levels = col.levels();
      v.factor = true;
      v.levels = levels.size();
      const int in = tr.categorical_input(v.name, levels, ordered, v.name);
      m.features.push_back({v.name, ir::Expr::input(in)});
    } else if (col->type == RType::Logical) {
      const int in = tr.logical_input(v.name, v.name);
      m.features.push_back({v.name, ir::Expr::level_map(in, {0.0, 1.0})});
    } else if (col->type == RType::Double || col->type == RType::Integer) {
      // The column is the value of a formula variable: a name, or an expression of one.
      const RObject* expr = nullptr;
      for (size_t i = 1; i < variables->elements.size(); ++i) {
        const RObject& e = *variables->elements[i];
        if (e.type == RType::Symbol ? e.text == v.name : false) expr = &e;
      }
      if (!expr) {
        for (size_t i = 1; i < variables->elements.size(); ++i) {
          const RObject& e = *variables->elements[i];
          if (e.type != RType::Symbol && deparse(e) == v.name) expr = &e;
        }
      }
      if (!expr) throw Error(file, place, fmt::format("the column '{}' is not one of the formula's variables", v.name));
      m.features.push_back({v.name, tr.numeric(*expr, v.name)});
    } else {
      throw Error(
          file, place,
          fmt::format("variable '{}' of type {} is not supported in partykit trees", v.name, rtype_name(col->type)));
    }
    v.feature = static_cast<int>(m.features.size()) - 1;
  }

  // Leaf values from the training rows in each terminal node.
  const auto node_ids = node_col->numbers();  // NA is refused below; the rest must be node ids
  const size_t n = node_ids.size();
  std::vector<double> w = weights_col ? weights_col->numbers() : std::vector<double>(n, 1.0);
  if (w.size() != n) weights_col->fail("expected one weight per row of $fitted");
  const bool classification = resp_col->obj().inherits("factor");
  std::vector<std::string> classes;
  std::map<int, std::vector<size_t>> rows;
  for (size_t r = 0; r < n; ++r) {
    if (std::isnan(node_ids[r])) node_col->fail("missing node id");
    rows[static_cast<int>(
             whole_number(node_ids[r], 1, INT32_MAX, node_col->file(), fmt::format("{}[{}]", node_col->path(), r + 1)))]
        .push_back(r);
  }
  if (classification) {
    classes = resp_col->levels();
    pr.K = classes.size();
    const auto y = resp_col->numbers();  // 1-based codes
    if (y.size() != n) resp_col->fail("expected one value per row");
    for (const auto& [id, rs] : rows) {
      std::vector<long double> sumw(pr.K, 0.0L);
      long double total = 0;
      for (size_t r : rs) {
        total += w[r];
        if (std::isnan(y[r])) continue;
        if (!(y[r] >= 1 && y[r] <= static_cast<double>(pr.K))) resp_col->fail("response code out of range");
        const size_t c = static_cast<size_t>(y[r]) - 1;
        sumw[c] += w[r];
      }
      std::vector<double> p(pr.K);
      const double tot = static_cast<double>(total);
      for (size_t k = 0; k < pr.K; ++k) p[k] = static_cast<double>(sumw[k]) / tot;
      pr.values[id] = std::move(p);
    }
  } else {
    if (!resp_col->obj().is_numeric() || resp_col->obj().type == RType::Logical)
      resp_col->fail("expected a numeric or factor response");
    const auto y = resp_col->numbers();
    if (y.size() != n) resp_col->fail("expected one value per row");
    for (const auto& [id, rs] : rows) {
      // weighted.mean(y, w, na.rm = TRUE): sum((y * w)[w != 0]) / sum(w), rows with missing y left out.
      long double s = 0, sw = 0;
      for (size_t r : rs) {
        if (std::isnan(y[r])) continue;
        const double yw = y[r] * w[r];
        if (w[r] != 0) s += yw;
        sw += w[r];
      }
      pr.values[id] = {static_cast<double>(s) / static_cast<double>(sw)};
    }
  }

  pr.emit(obj["node"], 0);
  trees::adopt_single_tree(m, std::move(pr.tree), pr.K, response, classification ? &classes : nullptr, "constparty",
                           classification ? "partykit tree classification" : "partykit tree regression");
  m.provenance.preprocessing.push_back(classification
                                           ? "leaf probabilities: weighted class proportions of the training rows"
                                           : "leaf values: weighted mean of the training responses");
  if (pr.random_child)
    warn(m, "party-random-child",
         "partykit sends a row whose split variable is missing (or whose level has no kid) to a random kid drawn "
         "with the split's probabilities; here it goes to the most probable kid, so such rows may differ from R");
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
