// PMML TreeModel -> ir::Tree.
//
// PMML evaluates a Node's children in order; the first whose predicate is TRUE is entered.  A
// predicate is three-valued (TRUE, FALSE, UNKNOWN when a value it needs is missing); UNKNOWN
// triggers the missingValueStrategy, and no TRUE child the noTrueChildStrategy.  Here every
// Node's child list becomes a chain of binary IR tests ("exits" say where each outcome leads);
// compound predicates are tested element by element with Kleene logic; `surrogate` compounds of
// simple predicates become IR surrogates.  Facts about which features are known present or
// missing on a path let tests whose outcome is already decided disappear (KNIME's
// or(x <= t, isMissing(x)) is one test with its missing branch on the left).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>

#include "formats/pmml/tree.hpp"
#include "lib/util/limits.hpp"

namespace mb::pmml::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Tri { False, True, Unknown, Dynamic };

// A test of one feature.
struct Atom {
  enum Kind { Test, IsMissing, IsNotMissing, Const } kind = Test;
  int feature = -1;
  ir::SplitOp op = ir::SplitOp::LessThan;
  double threshold = 0;
  std::vector<int32_t> set;   // InSet codes, sorted
  bool negate = false;        // the predicate is TRUE on the test's false side
  bool when_present = false;  // Const: the value for any present input
};

struct Exit;
using ExitP = std::shared_ptr<const Exit>;
struct Exit {
  enum Kind { Sub, Sib, Stop, Null, Pred, Zero, Scaled } kind = Null;
  int pnode = -1;       // Scaled: the leaf whose values (times `weight`) are predicted
  double weight = 1;    // Sub / Stop: the PMML node; Sib / Pred: the node whose chain this is
  int index = 0;        // Sib: child position
  pugi::xml_node elem;  // Pred: a predicate; a CompoundPredicate's elements from `from` when from >= 0
  int from = -1;
  std::shared_ptr<const Atom> atom;  // Pred: a merged test instead of `elem`
  ExitP t, f, u;
};

struct PNode {
  pugi::xml_node xml, pred;
  std::vector<int> kids;
  std::vector<double> values;
  std::vector<double> counts;  // recordCount per class (aggregateNodes)
  bool has_value = false;
  int label = -1;  // the score's class where it is not the first most probable class, else -1
  int default_kid = -1;
};

// Known state of features on a path: 1 present, 2 missing.
struct Facts {
  std::vector<std::pair<int, uint8_t>> v;
  uint8_t of(int f) const {
    for (auto& [g, s] : v)
      if (g == f) return s;
    return 0;
  }
  Facts with(int f, uint8_t s) const {
    Facts r = *this;
    for (auto& [g, st] : r.v)
      if (g == f) {
        st = s;
        return r;
      }
    r.v.emplace_back(f, s);
    return r;
  }
};

bool is_predicate(const pugi::xml_node& n) {
  const auto name = local_name(n);
  return name == "SimplePredicate" || name == "SimpleSetPredicate" || name == "CompoundPredicate" || name == "True" ||
         name == "False";
}

std::vector<pugi::xml_node> predicate_elements(const pugi::xml_node& compound) {
  std::vector<pugi::xml_node> out;
  for (auto c : elements(compound))
    if (is_predicate(c)) out.push_back(c);
  return out;
}

int class_of(ReadContext& ctx, const TreeShape& shape, const std::string& label, const pugi::xml_node& at) {
  for (size_t k = 0; k < shape.classes.size(); ++k)
    if (shape.classes[k] == label) return static_cast<int>(k);
  auto v = parse_double(label);
  for (size_t k = 0; v && k < shape.classes.size(); ++k) {
    auto c = parse_double(shape.classes[k]);
    if (c && *c == *v) return static_cast<int>(k);
  }
  ctx.fail(at, fmt::format("'{}' is not a category of the target field", label));
}

class TreeReader {
 public:
  TreeReader(ReadContext& ctx, const pugi::xml_node& tm, const TreeShape& shape) : ctx_(ctx), tm_(tm), shape_(shape) {
    K_ = shape.n_outputs();
    strategy_ = tm.attribute("missingValueStrategy") ? tm.attribute("missingValueStrategy").value() : "none";
    const std::string ntc = tm.attribute("noTrueChildStrategy").value();
    if (!ntc.empty() && ntc != "returnNullPrediction" && ntc != "returnLastPrediction")
      ctx.unsupported(tm, fmt::format("unsupported noTrueChildStrategy '{}'", ntc));
    return_last_ = ntc == "returnLastPrediction";
    expand_ = strategy_ == "weightedConfidence" || strategy_ == "aggregateNodes";
    if (expand_ && !shape.classification)
      ctx.unsupported(tm, fmt::format("unsupported missingValueStrategy '{}' for regression", strategy_));
    if (!expand_ && strategy_ != "none" && strategy_ != "lastPrediction" && strategy_ != "nullPrediction" &&
        strategy_ != "defaultChild")
      ctx.unsupported(tm, fmt::format("unsupported missingValueStrategy '{}'", strategy_));
    if (std::string(tm.attribute("mathContext").value()) == "float")
      ctx.unsupported(tm, "unsupported mathContext 'float' (float arithmetic of tree scores)");
    if (!shape.classification) target_rescale(ctx, tm, factor_, constant_);
    else if (auto targets = child(tm, "Targets")) {
      double f = 1, c = 0;
      target_rescale(ctx, tm, f, c);
      if (f != 1 || c != 0) ctx.fail(targets, "Target rescaling of a classification tree");
    }
  }

  bool expands() const { return expand_; }

  ir::Tree read() {
    if (expand_)
      ctx_.unsupported(
          tm_, fmt::format("unsupported missingValueStrategy '{}' here (only for a TreeModel that is the whole model)",
                           strategy_));
    build(root_node());
    ExitP start = sub(0);
    if (pnodes_[0].pred && !is(pnodes_[0].pred, "True"))
      start = pred(-1, pnodes_[0].pred, -1, sub(0), null_exit(), null_exit());
    emit(start, Facts{});
    drop_plain_labels();
    return std::move(tree_);
  }

  // weightedConfidence and aggregateNodes: one tree per leaf L predicting (weight of L) x (its
  // confidences, or its record counts); the trees are summed.  A path's weight is 0 when the
  // row cannot reach L, 1 when it follows the path with known values, and for weightedConfidence
  // the product of recordCount(child) / recordCount(parent) over the nodes where a child's
  // predicate was UNKNOWN (every child that is not FALSE is then scored).  aggregateNodes sums the
  // record counts of every leaf reachable through TRUE or UNKNOWN predicates.
  std::vector<ir::Tree> read_expanded() {
    build(root_node());
    std::vector<std::vector<std::pair<int, int>>> paths;  // (parent, child position) per leaf
    std::vector<int> leaves;
    std::vector<std::pair<int, int>> path;
    std::function<void(int)> walk = [&](int p) {
      if (pnodes_[p].kids.empty()) {
        if (pnodes_[p].has_value) {
          paths.push_back(path);
          leaves.push_back(p);
        }
        return;
      }
      for (size_t j = 0; j < pnodes_[p].kids.size(); ++j) {
        path.emplace_back(p, static_cast<int>(j));
        walk(pnodes_[p].kids[j]);
        path.pop_back();
      }
    };
    walk(0);
    std::vector<ir::Tree> out;
    const bool weighted = strategy_ == "weightedConfidence";
    for (size_t l = 0; l < leaves.size(); ++l) {
      tree_ = ir::Tree{};
      std::function<ExitP(size_t, double)> step = [&](size_t e, double w) -> ExitP {
        if (e == paths[l].size()) {
          auto x = std::make_shared<Exit>();
          x->kind = Exit::Scaled;
          x->pnode = leaves[l];
          x->weight = w;
          return x;
        }
        const auto [parent, j] = paths[l][e];
        const PNode& pn = pnodes_[parent];
        auto pred_of = [&](int i) { return pnodes_[pn.kids[i]].pred; };
        if (!weighted) {
          ExitP next = step(e + 1, w);
          ExitP x = pred(-1, pred_of(j), -1, next, zero(), next);
          for (int i = j - 1; i >= 0; --i) x = pred(-1, pred_of(i), -1, zero(), x, x);
          return x;
        }
        const double n_parent = ctx_.loc.number(pn.xml, "recordCount");
        const double n_child = ctx_.loc.number(pnodes_[pn.kids[j]].xml, "recordCount");
        if (!(n_parent > 0)) ctx_.fail(pn.xml, "expected a positive recordCount for weightedConfidence");
        ExitP scaled = step(e + 1, w * (n_child / n_parent));
        ExitP some_unknown = pred(-1, pred_of(j), -1, scaled, zero(), scaled);
        ExitP first_true = pred(-1, pred_of(j), -1, step(e + 1, w), zero(), zero());
        for (int i = j - 1; i >= 0; --i) first_true = pred(-1, pred_of(i), -1, zero(), first_true, zero());
        ExitP x = first_true;  // no child UNKNOWN: the first TRUE child
        for (int i = static_cast<int>(pn.kids.size()) - 1; i >= 0; --i)
          x = pred(-1, pred_of(i), -1, x, x, some_unknown);
        return x;
      };
      ExitP start = step(0, 1.0);
      if (pnodes_[0].pred && !is(pnodes_[0].pred, "True")) start = pred(-1, pnodes_[0].pred, -1, start, zero(), zero());
      emit(start, Facts{});
      drop_plain_labels();
      out.push_back(std::move(tree_));
    }
    return out;
  }

 private:
  pugi::xml_node root_node() {
    pugi::xml_node root;
    for (auto c : elements(tm_)) {
      const auto name = local_name(c);
      if (name == "Node") {
        if (root) ctx_.fail(c, "expected one root Node");
        root = c;
      } else if (name != "MiningSchema" && name != "Output" && name != "ModelStats" && name != "ModelExplanation" &&
                 name != "Targets" && name != "LocalTransformations" && name != "ModelVerification") {
        ctx_.unsupported(c, fmt::format("unsupported PMML element {} in TreeModel", name));
      }
    }
    if (!root) ctx_.fail(tm_, "expected a root Node");
    return root;
  }

  // ---- the PMML nodes
  int build(const pugi::xml_node& n) {
    const int id = static_cast<int>(pnodes_.size());
    pnodes_.emplace_back();
    pnodes_[id].xml = n;
    std::vector<int> kids;
    std::map<std::string, int> kid_ids;
    pugi::xml_node pred;
    for (auto c : elements(n)) {
      const auto name = local_name(c);
      if (is_predicate(c)) {
        if (pred) ctx_.fail(c, "expected one predicate per Node");
        pred = c;
      } else if (name == "Node") {
        const int k = build(c);
        kids.push_back(k);
        if (c.attribute("id")) kid_ids[c.attribute("id").value()] = k;
      } else if (name == "Regression" || name == "DecisionTree") {
        ctx_.unsupported(c, fmt::format("unsupported PMML element {} inside a Node (model in a leaf)", name));
      } else if (name != "ScoreDistribution" && name != "Partition" && name != "EmbeddedModel") {
        ctx_.unsupported(c, fmt::format("unsupported PMML element {} in Node", name));
      }
    }
    if (!pred) ctx_.fail(n, "expected a predicate (True, SimplePredicate, ...) in Node");
    PNode& p = pnodes_[id];
    p.pred = pred;
    p.kids = std::move(kids);
    if (auto dc = n.attribute("defaultChild")) {
      auto it = kid_ids.find(dc.value());
      if (it == kid_ids.end()) ctx_.fail(n, fmt::format("defaultChild '{}' is not the id of a child Node", dc.value()));
      p.default_kid = it->second;
    }
    node_values(id);
    return id;
  }

  void node_values(int id) {
    PNode& p = pnodes_[id];
    const auto& n = p.xml;
    const auto score = n.attribute("score");
    if (!shape_.classification) {
      if (!score) return;
      auto v = parse_double(score.value());
      if (!v) ctx_.fail(n, fmt::format("expected a number in attribute 'score', found '{}'", score.value()));
      p.values = {*v * factor_ + constant_};
      p.has_value = true;
      return;
    }
    std::vector<double> probs(K_, 0.0);
    const auto sds = children(n, "ScoreDistribution");
    bool any_prob = false;
    double total = 0;
    for (auto sd : sds) {
      any_prob |= static_cast<bool>(sd.attribute("probability"));
      total += ctx_.loc.number_or(sd, "recordCount", 0.0);
    }
    bool have = false;
    if (!sds.empty() && (any_prob || total > 0)) {
      for (auto sd : sds) {
        const int k = class_of(ctx_, shape_, ctx_.loc.attr(sd, "value"), sd);
        probs[k] =
            any_prob ? ctx_.loc.number_or(sd, "probability", 0.0) : ctx_.loc.number_or(sd, "recordCount", 0.0) / total;
        p.counts.resize(K_, 0.0);
        p.counts[k] = ctx_.loc.number_or(sd, "recordCount", 0.0);
      }
      have = true;
    }
    if (score) {
      const int ks = class_of(ctx_, shape_, score.value(), n);
      if (!have || shape_.votes) {
        std::fill(probs.begin(), probs.end(), 0.0);
        probs[ks] = 1;
      }
      // The IR predicts the most probable class (the first on ties), unless the node has a label.
      bool conflict = false;
      for (int k = 0; k < K_; ++k) conflict |= probs[k] > probs[ks] || (k < ks && probs[k] == probs[ks]);
      if (conflict) p.label = ks;
      have = true;
    } else if (have && shape_.votes) {
      const auto best = std::max_element(probs.begin(), probs.end()) - probs.begin();
      std::fill(probs.begin(), probs.end(), 0.0);
      probs[best] = 1;
    }
    if (!have) return;
    if (p.counts.empty()) p.counts = probs;
    p.values = std::move(probs);
    p.has_value = true;
  }

  // ---- predicates
  std::shared_ptr<const Atom> atom_of(const pugi::xml_node& x) {
    auto it = atoms_.find(x.internal_object());
    if (it != atoms_.end()) return it->second;
    auto a = std::make_shared<Atom>(make_atom(x));
    atoms_[x.internal_object()] = a;
    return a;
  }

  Atom make_atom(const pugi::xml_node& x) {
    Atom a;
    auto& m = ctx_.model;
    const std::string field = ctx_.loc.attr(x, "field");
    FieldInfo& fi = ctx_.field(field, x);
    if (fi.kind == FieldInfo::Target) ctx_.fail(x, fmt::format("the target field '{}' cannot be tested", field));
    const bool categorical = fi.kind == FieldInfo::Input && m.schema.inputs[fi.input].is_categorical();
    if (is(x, "SimpleSetPredicate")) {
      const std::string op = ctx_.loc.attr(x, "booleanOperator");
      if (op != "isIn" && op != "isNotIn") ctx_.fail(x, fmt::format("unknown booleanOperator '{}'", op));
      if (!categorical)
        ctx_.unsupported(x, fmt::format("unsupported SimpleSetPredicate on the non-categorical field '{}'", field));
      auto arr = child(x, "Array");
      if (!arr) ctx_.fail(x, "expected an Array");
      for (const auto& tok : ctx_.loc.array(arr)) {
        const int code = ctx_.find_level(fi.input, tok);
        if (code < 0) {
          ctx_.warn("pmml-unknown-category",
                    fmt::format("value '{}' of a SimpleSetPredicate is not a value of field '{}'; "
                                "it can never match",
                                tok, field));
          continue;
        }
        a.set.push_back(code);
      }
      std::sort(a.set.begin(), a.set.end());
      a.set.erase(std::unique(a.set.begin(), a.set.end()), a.set.end());
      a.feature = add_feature(m, field, ir::Expr::input(fi.input));
      a.op = ir::SplitOp::InSet;
      a.negate = op == "isNotIn";
      return a;
    }
    const std::string op = ctx_.loc.attr(x, "operator");
    if (op == "isMissing" || op == "isNotMissing") {
      a.kind = op == "isMissing" ? Atom::IsMissing : Atom::IsNotMissing;
      a.feature = categorical ? add_feature(m, field, ir::Expr::input(fi.input))
                              : add_feature(m, field, ctx_.predictor_ref(field, x));
      return a;
    }
    const std::string value = ctx_.loc.attr(x, "value");
    if (categorical && (op == "equal" || op == "notEqual")) {
      a.feature = add_feature(m, field, ir::Expr::input(fi.input));
      const int code = ctx_.find_level(fi.input, value);
      if (code < 0) {
        ctx_.warn("pmml-unknown-category",
                  fmt::format("value '{}' compared with field '{}' is not one of its values", value, field));
        a.kind = Atom::Const;
        a.when_present = op == "notEqual";
        return a;
      }
      a.op = ir::SplitOp::InSet;
      a.set = {code};
      a.negate = op == "notEqual";
      return a;
    }
    static const std::map<std::string, ir::SplitOp> kOps = {{"lessThan", ir::SplitOp::LessThan},
                                                            {"lessOrEqual", ir::SplitOp::LessOrEqual},
                                                            {"greaterThan", ir::SplitOp::GreaterThan},
                                                            {"greaterOrEqual", ir::SplitOp::GreaterOrEqual},
                                                            {"equal", ir::SplitOp::Equal},
                                                            {"notEqual", ir::SplitOp::NotEqual}};
    auto it = kOps.find(op);
    if (it == kOps.end()) ctx_.fail(x, fmt::format("unknown operator '{}'", op));
    a.op = it->second;
    if (categorical && m.schema.inputs[fi.input].kind == ir::FieldKind::Ordinal) {
      // Ordinal values compare by their order in the DataDictionary.
      a.feature = add_feature(m, field, ir::Expr::input(fi.input));
      const int code = ctx_.find_level(fi.input, value);
      if (code < 0) ctx_.fail(x, fmt::format("value '{}' is not a value of the ordinal field '{}'", value, field));
      a.threshold = code;
      return a;
    }
    auto v = parse_double(value);
    if (!v)
      ctx_.fail(x, fmt::format("expected a number in attribute 'value' for field '{}', found '{}'", field, value));
    a.threshold = *v;
    a.feature = add_feature(m, field, ctx_.predictor_ref(field, x));  // numeric levels of a categorical field too
    return a;
  }

  Tri eval_atom(const Atom& a, const Facts& facts) const {
    const uint8_t s = facts.of(a.feature);
    if (s == 2) return a.kind == Atom::IsMissing ? Tri::True : a.kind == Atom::IsNotMissing ? Tri::False : Tri::Unknown;
    if (s == 1) {
      if (a.kind == Atom::IsMissing) return Tri::False;
      if (a.kind == Atom::IsNotMissing) return Tri::True;
      if (a.kind == Atom::Const) return a.when_present ? Tri::True : Tri::False;
    }
    return Tri::Dynamic;
  }

  Tri eval_elem(const pugi::xml_node& x, const Facts& facts) {
    const auto name = local_name(x);
    if (name == "True") return Tri::True;
    if (name == "False") return Tri::False;
    if (name == "CompoundPredicate") return eval_list(x, 0, facts);
    return eval_atom(*atom_of(x), facts);
  }

  Tri eval_list(const pugi::xml_node& c, int from, const Facts& facts) {
    const std::string op = ctx_.loc.attr(c, "booleanOperator");
    const auto els = predicate_elements(c);
    if (els.size() < 1) ctx_.fail(c, "expected predicates in CompoundPredicate");
    bool any_dyn = false, any_unknown = false, any_true = false, any_false = false, parity = false;
    for (size_t i = from; i < els.size(); ++i) {
      const Tri v = eval_elem(els[i], facts);
      if (op == "surrogate") {
        if (v == Tri::Unknown) continue;
        return v;
      }
      any_dyn |= v == Tri::Dynamic;
      any_unknown |= v == Tri::Unknown;
      any_true |= v == Tri::True;
      any_false |= v == Tri::False;
      if (v == Tri::True) parity = !parity;
    }
    if (op == "surrogate") return Tri::Unknown;
    if (op == "and") return any_false ? Tri::False : any_dyn ? Tri::Dynamic : any_unknown ? Tri::Unknown : Tri::True;
    if (op == "or") return any_true ? Tri::True : any_dyn ? Tri::Dynamic : any_unknown ? Tri::Unknown : Tri::False;
    if (op == "xor") return any_dyn ? Tri::Dynamic : any_unknown ? Tri::Unknown : parity ? Tri::True : Tri::False;
    ctx_.fail(c, fmt::format("unknown booleanOperator '{}'", op));
  }

  Tri eval_exit(const Exit& e, const Facts& facts) {
    if (e.atom) return eval_atom(*e.atom, facts);
    if (e.from >= 0) return eval_list(e.elem, e.from, facts);
    return eval_elem(e.elem, facts);
  }

  // Complementary simple predicates: when the first is FALSE the second is TRUE.
  bool complement_atoms(const Atom& a, const Atom& b) const {
    if (a.kind != Atom::Test || b.kind != Atom::Test || a.feature != b.feature) return false;
    if (a.op == ir::SplitOp::InSet && b.op == ir::SplitOp::InSet) {
      if (a.negate != b.negate) return a.set == b.set;
      const auto& e = ctx_.model.features[a.feature].expr;
      if (e.op != ir::Op::Input) return false;
      const size_t levels = ctx_.model.schema.inputs[e.index].levels.size();
      if (a.set.size() + b.set.size() != levels) return false;
      std::vector<int32_t> all = a.set;
      all.insert(all.end(), b.set.begin(), b.set.end());
      std::sort(all.begin(), all.end());
      for (size_t k = 0; k < all.size(); ++k)
        if (all[k] != static_cast<int32_t>(k)) return false;
      return true;
    }
    if (a.threshold != b.threshold) return false;
    if (a.op == b.op) return a.negate != b.negate;
    if (a.negate != b.negate) return false;
    using S = ir::SplitOp;
    auto pair = [&](S x, S y) { return (a.op == x && b.op == y) || (a.op == y && b.op == x); };
    return pair(S::LessThan, S::GreaterOrEqual) || pair(S::LessOrEqual, S::GreaterThan) || pair(S::Equal, S::NotEqual);
  }

  bool complement(const pugi::xml_node& x, const pugi::xml_node& y) {
    const auto nx = local_name(x), ny = local_name(y);
    if ((nx == "True" && ny == "False") || (nx == "False" && ny == "True")) return true;
    if ((nx == "SimplePredicate" || nx == "SimpleSetPredicate") &&
        (ny == "SimplePredicate" || ny == "SimpleSetPredicate"))
      return complement_atoms(*atom_of(x), *atom_of(y));
    if (nx == "CompoundPredicate" && ny == "CompoundPredicate" &&
        std::string(x.attribute("booleanOperator").value()) == "surrogate" &&
        std::string(y.attribute("booleanOperator").value()) == "surrogate") {
      const auto ex = predicate_elements(x), ey = predicate_elements(y);
      if (ex.size() != ey.size()) return false;
      for (size_t i = 0; i < ex.size(); ++i)
        if (!complement(ex[i], ey[i])) return false;
      return true;
    }
    return false;
  }

  // ---- exits
  ExitP make(Exit::Kind kind, int pnode) {
    auto e = std::make_shared<Exit>();
    e->kind = kind;
    e->pnode = pnode;
    return e;
  }
  ExitP zero() {
    if (!zero_) zero_ = make(Exit::Zero, -1);
    return zero_;
  }
  ExitP null_exit() {
    if (!null_) null_ = make(Exit::Null, -1);
    return null_;
  }
  ExitP sub(int p) {
    auto& e = subs_[p];
    if (!e) e = make(Exit::Sub, p);
    return e;
  }
  ExitP stop(int p) {
    auto& e = stops_[p];
    if (!e) e = make(Exit::Stop, p);
    return e;
  }
  ExitP sib(int p, int j) {
    auto& e = sibs_[{p, j}];
    if (e) return e;
    const PNode& pn = pnodes_[p];
    if (j >= static_cast<int>(pn.kids.size())) {
      e = return_last_ ? stop(p) : null_exit();
      return e;
    }
    auto x = std::make_shared<Exit>();
    x->kind = Exit::Pred;
    x->pnode = p;
    x->elem = pnodes_[pn.kids[j]].pred;
    x->t = sub(pn.kids[j]);
    const bool last = j + 1 == static_cast<int>(pn.kids.size());
    x->f = !last && complement(x->elem, pnodes_[pn.kids[j + 1]].pred) ? sub(pn.kids[j + 1]) : sib(p, j + 1);
    if (strategy_ == "lastPrediction") x->u = stop(p);
    else if (strategy_ == "nullPrediction") x->u = null_exit();
    else if (strategy_ == "defaultChild") {
      if (pn.default_kid < 0) {
        ctx_.warn("pmml-no-default-child",
                  "a Node without a defaultChild under missingValueStrategy 'defaultChild' gives "
                  "no prediction when a value is missing");
        x->u = null_exit();
      } else {
        x->u = sub(pn.default_kid);
      }
    } else {
      x->u = sib(p, j + 1);  // none: UNKNOWN counts as FALSE
    }
    e = x;
    return e;
  }
  ExitP pred(int owner, const pugi::xml_node& elem, int from, ExitP t, ExitP f, ExitP u,
             std::shared_ptr<const Atom> atom = nullptr) {
    auto e = std::make_shared<Exit>();
    e->kind = Exit::Pred;
    e->pnode = owner;
    e->elem = elem;
    e->from = from;
    e->atom = std::move(atom);
    e->t = std::move(t);
    e->f = std::move(f);
    e->u = std::move(u);
    return e;
  }

  ExitP resolve(ExitP e, const Facts& facts) {
    for (;;) {
      if (e->kind == Exit::Sib) {
        e = sib(e->pnode, e->index);
        continue;
      }
      if (e->kind == Exit::Sub && !pnodes_[e->pnode].kids.empty()) {
        e = sib(e->pnode, 0);
        continue;
      }
      if (e->kind != Exit::Pred) return e;
      switch (eval_exit(*e, facts)) {
        case Tri::True: e = e->t; break;
        case Tri::False: e = e->f; break;
        case Tri::Unknown: e = e->u; break;
        case Tri::Dynamic: return e;
      }
    }
  }

  // ---- IR nodes
  int new_node(int owner) {
    // A multiway Node becomes a chain of binary ones and a compound predicate several: the
    // binary tree can outgrow the file, so its size is budgeted as it grows.
    if (const uint64_t limit = limits::get(limits::Id::PmmlTreeNodes); tree_.op.size() >= limit)
      limits::exceeded(limits::Id::PmmlTreeNodes, ctx_.loc.file(), ctx_.loc.place(tm_),
                       fmt::format("the tree needs more than {} binary nodes, which", limit));
    const int id = tree_.push_node(ir::SplitOp::Leaf, -1, 0, -1, -1, ir::MissingGo::Right);
    tree_.set_offset.push_back(0);
    tree_.set_size.push_back(0);
    tree_.sur_offset.push_back(0);
    tree_.sur_size.push_back(0);
    if (owner >= 0 && pnodes_[owner].has_value)
      tree_.values.insert(tree_.values.end(), pnodes_[owner].values.begin(), pnodes_[owner].values.end());
    else tree_.values.insert(tree_.values.end(), K_, kNaN);
    tree_.label.push_back(owner >= 0 && pnodes_[owner].has_value && shape_.node_labels ? pnodes_[owner].label : -1);
    return id;
  }

  // ir::Tree::label stays empty when no node has a label of its own.
  void drop_plain_labels() {
    if (std::all_of(tree_.label.begin(), tree_.label.end(), [](int32_t l) { return l < 0; })) tree_.label.clear();
  }

  int null_node() {
    const int id = new_node(-1);
    const int leaf = new_node(-1);
    tree_.op[id] = ir::SplitOp::LessThan;
    tree_.feature[id] = null_feature(ctx_.model);
    tree_.missing[id] = ir::MissingGo::Null;
    tree_.left[id] = tree_.right[id] = leaf;
    return id;
  }

  int emit(ExitP e, const Facts& facts) {
    e = resolve(std::move(e), facts);
    switch (e->kind) {
      case Exit::Sub:
      case Exit::Stop:
        if (!pnodes_[e->pnode].has_value) return null_node();
        return new_node(e->pnode);
      case Exit::Null: return null_node();
      case Exit::Zero:
      case Exit::Scaled: {
        const int id = new_node(-1);
        const PNode* p = e->kind == Exit::Scaled ? &pnodes_[e->pnode] : nullptr;
        const bool counts = strategy_ == "aggregateNodes";
        for (int k = 0; k < K_; ++k)
          tree_.values[static_cast<size_t>(id) * K_ + k] = p ? e->weight * (counts ? p->counts[k] : p->values[k]) : 0.0;
        return id;
      }
      case Exit::Pred: return emit_pred(*e, facts);
      case Exit::Sib: break;
    }
    return null_node();
  }

  int emit_pred(const Exit& e, const Facts& facts) {
    if (e.atom) return emit_test({e.atom.get()}, e.pnode, e.t, e.f, e.u, facts);
    if (e.from < 0 && !is(e.elem, "CompoundPredicate"))
      return emit_test({atom_of(e.elem).get()}, e.pnode, e.t, e.f, e.u, facts);
    const pugi::xml_node c = e.elem;
    const int from = std::max(e.from, 0);
    const std::string op = c.attribute("booleanOperator").value();
    const auto els = predicate_elements(c);
    const int n = static_cast<int>(els.size());
    auto simple = [&](int i) { return is(els[i], "SimplePredicate") || is(els[i], "SimpleSetPredicate"); };
    if (op == "surrogate") {
      std::vector<const Atom*> atoms;
      ExitP u = e.u;
      int i = from;
      for (; i < n; ++i) {
        const Tri v = eval_elem(els[i], facts);
        if (v == Tri::Unknown) continue;
        if (v == Tri::True) {
          u = e.t;
          break;
        }
        if (v == Tri::False) {
          u = e.f;
          break;
        }
        if (!simple(i) || atom_of(els[i])->kind != Atom::Test) {
          if (atoms.empty()) {  // a compound (or isMissing) first: test it, then the rest
            ExitP rest = i + 1 < n ? pred(e.pnode, c, i + 1, e.t, e.f, e.u) : e.u;
            return emit(pred(e.pnode, els[i], -1, e.t, e.f, rest), facts);
          }
          u = pred(e.pnode, c, i, e.t, e.f, e.u);
          break;
        }
        atoms.push_back(atom_of(els[i]).get());
      }
      return emit_test(atoms, e.pnode, e.t, e.f, u, facts);
    }
    if (op != "and" && op != "or" && op != "xor") ctx_.fail(c, fmt::format("unknown booleanOperator '{}'", op));
    // The first element (merged with the following ones when they test one category set).
    int r = from + 1;
    std::shared_ptr<const Atom> merged;
    if (op != "xor" && simple(from)) {
      const Atom& a = *atom_of(els[from]);
      const bool want_negate = op == "and";
      if (a.kind == Atom::Test && a.op == ir::SplitOp::InSet && a.negate == want_negate) {
        auto m = std::make_shared<Atom>(a);
        while (r < n && simple(r)) {
          const Atom& b = *atom_of(els[r]);
          if (b.kind != Atom::Test || b.op != ir::SplitOp::InSet || b.negate != want_negate || b.feature != a.feature)
            break;
          m->set.insert(m->set.end(), b.set.begin(), b.set.end());
          ++r;
        }
        if (r > from + 1) {
          std::sort(m->set.begin(), m->set.end());
          m->set.erase(std::unique(m->set.begin(), m->set.end()), m->set.end());
          merged = m;
        }
      }
    }
    ExitP t = e.t, f = e.f, u = e.u;
    if (r < n) {
      auto rest = [&](ExitP a, ExitP b, ExitP c2) {
        return pred(e.pnode, c, r, std::move(a), std::move(b), std::move(c2));
      };
      if (op == "and") {
        t = rest(e.t, e.f, e.u);
        f = e.f;
        u = rest(e.u, e.f, e.u);
      } else if (op == "or") {
        t = e.t;
        f = rest(e.t, e.f, e.u);
        u = rest(e.t, e.u, e.u);
      } else {
        t = rest(e.f, e.t, e.u);
        f = rest(e.t, e.f, e.u);
        u = e.u;
      }
    }
    if (merged) return emit(pred(e.pnode, {}, -1, t, f, u, merged), facts);
    return emit(pred(e.pnode, els[from], -1, t, f, u), facts);
  }

  // A node testing atoms[0] with atoms[1..] as surrogates.
  int emit_test(const std::vector<const Atom*>& atoms, int owner, ExitP t, ExitP f, ExitP u, const Facts& facts) {
    const int id = new_node(owner);
    const Atom& a = *atoms[0];
    Facts missing_all = facts;
    for (const Atom* s : atoms) missing_all = missing_all.with(s->feature, 2);
    const Facts present = facts.with(a.feature, 1);
    tree_.feature[id] = a.feature;
    if (a.kind != Atom::Test) {
      // isMissing / isNotMissing / a constant for present values: present rows always go one way.
      tree_.op[id] = ir::SplitOp::GreaterOrEqual;
      tree_.threshold[id] = -kInf;  // true for every present value
      ExitP on_present = a.kind == Atom::IsMissing ? f : a.kind == Atom::IsNotMissing ? t : (a.when_present ? t : f);
      ExitP on_missing = a.kind == Atom::IsMissing ? t : a.kind == Atom::IsNotMissing ? f : u;
      const int l = emit(on_present, present);
      tree_.left[id] = l;
      const int r = emit(on_missing, missing_all);
      tree_.right[id] = r;
      tree_.missing[id] = ir::MissingGo::Right;
      return id;
    }
    tree_.op[id] = a.op;
    tree_.threshold[id] = a.threshold;
    if (a.op == ir::SplitOp::InSet) {
      tree_.set_offset[id] = static_cast<int32_t>(tree_.sets.size());
      tree_.set_size[id] = static_cast<int32_t>(a.set.size());
      tree_.sets.insert(tree_.sets.end(), a.set.begin(), a.set.end());
    }
    if (atoms.size() > 1) {
      tree_.sur_offset[id] = static_cast<int32_t>(tree_.sur_feature.size());
      tree_.sur_size[id] = static_cast<int32_t>(atoms.size() - 1);
      for (size_t s = 1; s < atoms.size(); ++s) {
        const Atom& b = *atoms[s];
        tree_.sur_feature.push_back(b.feature);
        tree_.sur_op.push_back(b.op);
        tree_.sur_threshold.push_back(b.threshold);
        tree_.sur_flip.push_back(b.negate != a.negate);
        tree_.sur_set_offset.push_back(static_cast<int32_t>(tree_.sets.size()));
        tree_.sur_set_size.push_back(b.op == ir::SplitOp::InSet ? static_cast<int32_t>(b.set.size()) : 0);
        if (b.op == ir::SplitOp::InSet) tree_.sets.insert(tree_.sets.end(), b.set.begin(), b.set.end());
      }
    }
    if (a.negate) std::swap(t, f);
    const Facts& child_facts = atoms.size() > 1 ? facts : present;
    ExitP tr = resolve(t, child_facts), fr = resolve(f, child_facts), ur = resolve(u, missing_all);
    if (tr == fr) {
      // Only "is any value present" matters: every test becomes always true for a present value.
      tree_.op[id] = ir::SplitOp::GreaterOrEqual;
      tree_.threshold[id] = -kInf;
      tree_.set_size[id] = 0;
      for (int32_t s = tree_.sur_offset[id]; s < tree_.sur_offset[id] + tree_.sur_size[id]; ++s) {
        tree_.sur_op[s] = ir::SplitOp::GreaterOrEqual;
        tree_.sur_threshold[s] = -kInf;
        tree_.sur_set_size[s] = 0;
        tree_.sur_flip[s] = 0;
      }
      fr = resolve(f, facts);
      tr = fr;
      t = f;
    }
    ir::MissingGo go = ir::MissingGo::Node;
    if (ur == tr) go = ir::MissingGo::Left;
    else if (ur == fr) go = ir::MissingGo::Right;
    else if (ur->kind == Exit::Null) go = ir::MissingGo::Null;
    else if (ur->kind == Exit::Stop && ur->pnode == owner)
      go = pnodes_[owner].has_value ? ir::MissingGo::StopHere : ir::MissingGo::Null;
    tree_.missing[id] = go;
    const int l = emit(tr, go == ir::MissingGo::Left ? facts : child_facts);
    tree_.left[id] = l;
    const int r = emit(fr, go == ir::MissingGo::Right ? facts : child_facts);
    tree_.right[id] = r;
    if (go == ir::MissingGo::Node) {
      const int mc = emit(ur, missing_all);
      tree_.missing_child[id] = mc;
    }
    return id;
  }

  ReadContext& ctx_;
  pugi::xml_node tm_;
  const TreeShape& shape_;
  int K_ = 1;
  std::string strategy_;
  bool return_last_ = false;
  double factor_ = 1, constant_ = 0;
  std::vector<PNode> pnodes_;
  std::map<const void*, std::shared_ptr<const Atom>> atoms_;
  std::map<int, ExitP> subs_, stops_;
  std::map<std::pair<int, int>, ExitP> sibs_;
  ExitP null_, zero_;
  bool expand_ = false;
  ir::Tree tree_;
};

}  // namespace

int null_feature(ir::Model& m) {
  for (size_t i = 0; i < m.features.size(); ++i) {
    const auto& e = m.features[i].expr;
    if (e.op == ir::Op::Const && std::isnan(e.value)) return static_cast<int>(i);
  }
  std::string name = "_missing";
  for (int k = 2;; ++k) {
    bool taken = false;
    for (const auto& f : m.features) taken |= f.name == name;
    if (!taken) break;
    name = fmt::format("_missing_{}", k);
  }
  m.features.push_back({name, ir::Expr::constant(kNaN)});
  return static_cast<int>(m.features.size()) - 1;
}

void target_rescale(ReadContext& ctx, const pugi::xml_node& model_node, double& factor, double& constant) {
  factor = 1;
  constant = 0;
  auto targets = child(model_node, "Targets");
  if (!targets) return;
  const auto ts = children(targets, "Target");
  if (ts.size() > 1) ctx.unsupported(targets, "unsupported: more than one Target");
  for (auto t : ts) {
    if (t.attribute("castInteger") || t.attribute("min") || t.attribute("max"))
      ctx.unsupported(t, "unsupported Target clamping or integer cast");
    factor = ctx.loc.number_or(t, "rescaleFactor", 1.0);
    constant = ctx.loc.number_or(t, "rescaleConstant", 0.0);
    if (!children(t, "TargetValue").empty())
      ctx.warn("pmml-target-values-ignored", "Targets/TargetValue (prior probabilities, defaults) are not used");
  }
}

TreeShape target_shape(ReadContext& ctx, const pugi::xml_node&) {
  TreeShape s;
  s.classification = ctx.model.schema.target.task == ir::Task::Classification;
  if (s.classification) s.classes = ctx.model.schema.target.classes;
  return s;
}

ir::Tree read_tree(ReadContext& ctx, const pugi::xml_node& tree_model, const TreeShape& shape) {
  const std::string fn = ctx.loc.attr(tree_model, "functionName");
  if (fn != (shape.classification ? "classification" : "regression"))
    ctx.unsupported(tree_model, fmt::format("unsupported: a {} TreeModel where {} scores are needed", fn,
                                            shape.classification ? "class" : "numeric"));
  TreeReader r(ctx, tree_model, shape);
  return r.read();
}

}  // namespace mb::pmml::detail

namespace mb::pmml::detail {
std::vector<ir::Tree> read_expanded_tree(ReadContext& ctx, const pugi::xml_node& tree_model, const TreeShape& shape) {
  TreeReader r(ctx, tree_model, shape);
  return r.read_expanded();
}
}  // namespace mb::pmml::detail
