// xgboost boosters kept in R objects ("xgb.Booster", and "xgb3.Booster" as r2pmml decorates
// them): `$raw` holds xgboost's own model bytes, its UBJSON (xgboost >= 2) or JSON model
// (docs/r-objects.md).  The learner's feature_names / feature_types name the features; a "c"
// feature is xgboost's native categorical one, its value the factor's 0-based level code, its
// levels listed by r2pmml's `$fmap` (id, name, type) as indicator columns "Var=Level".  A model
// without feature names takes `$fmap`'s columns as features, type "i" an indicator of one level.
//
// What xgboost computes, and the IR states:
//  - features are float32: a number is rounded to float32 and compared with the float32
//    threshold, `x < split_condition` going left; a missing value takes the node's
//    `default_left` direction.  A categorical split sends its listed categories right and every
//    other level left (xgboost's Decision()).  An indicator column is 1 for its level and absent otherwise (a
//    sparse DMatrix stores no zeros, and xgboost treats an absent entry as missing): a row of
//    another level, or with the factor missing, takes the default direction.  The split on the
//    indicator becomes a split on the factor's level code: the level itself goes where 1 < cond
//    sends it, every other level and a missing factor where default_left sends them;
//  - the margin is summed in float32 starting from the base margin, in tree order (the first,
//    constant tree of the ensemble holds the base margin so the IR's float32 sum from zero is the
//    same sum); leaf values are float32.  base_score is a probability for logistic objectives
//    (margin -log(1/p - 1) in float32), a mean for log-link objectives (margin log(p)) and the
//    margin itself for squared error; multi:softprob's vector of equal base scores cancels in
//    the softmax and is left out;
//  - the link (logistic, exp) or softmax then follows in double on the float32 margin, where
//    xgboost computes it in float32: predictions differ from R's by float32 rounding (about
//    1e-7 relative), which the warning `float32-link` states.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/import.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"
#include "lib/util/limits.hpp"

namespace mb::r {
namespace {

// A JSON/UBJSON value.  Numeric arrays keep their numbers in `nums` (float32 values exactly).
struct UVal {
  enum Kind : uint8_t { Null, Bool, Number, String, Array, Object } kind = Null;
  double num = 0;
  std::string str;
  std::vector<UVal> items;   // Array (non-numeric elements)
  std::vector<double> nums;  // Array of numbers
  // Object: names and values apart (a pair holding the type being defined is not allowed)
  std::vector<std::string> key_names;
  std::vector<UVal> key_values;

  void add(std::string name, UVal value) {
    key_names.push_back(std::move(name));
    key_values.push_back(std::move(value));
  }
  const UVal* get(const std::string& k) const {
    for (size_t i = 0; i < key_names.size(); ++i)
      if (key_names[i] == k) return &key_values[i];
    return nullptr;
  }
};

class UbjParser {
 public:
  UbjParser(const std::vector<uint8_t>& b, const std::string& file) : b_(b), file_(file) {}
  UVal parse() {
    UVal v = value(next(), 0);
    return v;
  }

 private:
  const std::vector<uint8_t>& b_;
  const std::string& file_;
  size_t i_ = 0;

  [[noreturn]] void fail(const std::string& msg) const {
    throw Error(file_, fmt::format("$raw (byte {})", i_), "xgboost UBJSON model: " + msg);
  }
  char next() {
    if (i_ >= b_.size()) fail("unexpected end of the model bytes");
    return static_cast<char>(b_[i_++]);
  }
  uint64_t be(size_t n) {
    if (b_.size() - i_ < n) fail("unexpected end of the model bytes");
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v = (v << 8) | b_[i_++];
    return v;
  }
  double number(char t) {
    switch (t) {
      case 'i': return static_cast<int8_t>(be(1));
      case 'U': return static_cast<uint8_t>(be(1));
      case 'I': return static_cast<int16_t>(be(2));
      case 'l': return static_cast<int32_t>(be(4));
      case 'L': return static_cast<double>(static_cast<int64_t>(be(8)));
      case 'd': {
        const auto u = static_cast<uint32_t>(be(4));
        float f;
        std::memcpy(&f, &u, 4);
        return f;
      }
      case 'D': {
        const uint64_t u = be(8);
        double d;
        std::memcpy(&d, &u, 8);
        return d;
      }
      default: fail(fmt::format("expected a number, found type '{}'", t));
    }
  }
  size_t length() {
    const double n = number(next());
    if (!(n >= 0) || n > static_cast<double>(b_.size() - i_) + 1) fail("a length beyond the model bytes");
    return static_cast<size_t>(n);
  }
  std::string string() {
    const size_t n = length();
    if (b_.size() - i_ < n) fail("unexpected end of the model bytes");
    std::string s(reinterpret_cast<const char*>(b_.data() + i_), n);
    i_ += n;
    return s;
  }
  static size_t width(char t) {
    switch (t) {
      case 'i':
      case 'U': return 1;
      case 'I': return 2;
      case 'l':
      case 'd': return 4;
      case 'L':
      case 'D': return 8;
      default: return 1;
    }
  }
  UVal value(char t, int depth) {
    if (depth > static_cast<int>(limits::get(limits::Id::JsonDepth)))
      limits::exceeded(limits::Id::JsonDepth, file_, "$raw",
                       fmt::format("the nesting of the xgboost model ({} levels)", depth));
    UVal v;
    switch (t) {
      case 'Z': return v;
      case 'T':
        v.kind = UVal::Bool;
        v.num = 1;
        return v;
      case 'F':
        v.kind = UVal::Bool;
        v.num = 0;
        return v;
      case 'S':
        v.kind = UVal::String;
        v.str = string();
        return v;
      case 'i':
      case 'U':
      case 'I':
      case 'l':
      case 'L':
      case 'd':
      case 'D':
        v.kind = UVal::Number;
        v.num = number(t);
        return v;
      case '{': {
        v.kind = UVal::Object;
        char type = 0;
        long count = -1;
        if (peek() == '$') {
          ++i_;
          type = next();
        }
        if (peek() == '#') {
          ++i_;
          count = static_cast<long>(length());
        }
        for (long k = 0; count < 0 ? peek() != '}' : k < count; ++k) {
          std::string key = string();
          v.add(std::move(key), value(type ? type : next(), depth + 1));
        }
        if (count < 0) ++i_;
        return v;
      }
      case '[': {
        v.kind = UVal::Array;
        char type = 0;
        long count = -1;
        if (peek() == '$') {
          ++i_;
          type = next();
        }
        if (peek() == '#') {
          ++i_;
          count = static_cast<long>(length());
        }
        if (type && count >= 0 && static_cast<size_t>(count) * width(type) > b_.size() - i_)
          fail("an array beyond the model bytes");
        for (long k = 0; count < 0 ? peek() != ']' : k < count; ++k) {
          const char et = type ? type : next();
          if (std::strchr("iUIlLdD", et)) v.nums.push_back(number(et));
          else v.items.push_back(value(et, depth + 1));
        }
        if (count < 0) ++i_;
        if (!v.nums.empty() && !v.items.empty()) fail("an array mixing numbers and other values");
        return v;
      }
      default: fail(fmt::format("unknown UBJSON type '{}'", t));
    }
  }
  char peek() {
    if (i_ >= b_.size()) fail("unexpected end of the model bytes");
    return static_cast<char>(b_[i_]);
  }
};

UVal from_json(const rapidjson::Value& j, int depth, const std::string& file) {
  if (depth > static_cast<int>(limits::get(limits::Id::JsonDepth)))
    limits::exceeded(limits::Id::JsonDepth, file, "$raw",
                     fmt::format("the nesting of the xgboost model ({} levels)", depth));
  UVal v;
  if (j.IsNumber()) {
    v.kind = UVal::Number;
    v.num = j.GetDouble();
  } else if (j.IsBool()) {
    v.kind = UVal::Bool;
    v.num = j.GetBool();
  } else if (j.IsString()) {
    v.kind = UVal::String;
    v.str.assign(j.GetString(), j.GetStringLength());
  } else if (j.IsArray()) {
    v.kind = UVal::Array;
    for (const auto& e : j.GetArray()) {
      if (e.IsNumber()) v.nums.push_back(e.GetDouble());
      else v.items.push_back(from_json(e, depth + 1, file));
    }
  } else if (j.IsObject()) {
    v.kind = UVal::Object;
    for (const auto& m : j.GetObject())
      v.add(std::string(m.name.GetString(), m.name.GetStringLength()), from_json(m.value, depth + 1, file));
  }
  return v;
}

struct Doc {
  const std::string& file;
  const UVal& at(const UVal& v, const std::string& key, const std::string& where) const {
    const UVal* r = v.get(key);
    if (!r) throw Error(file, "$raw", fmt::format("xgboost model: no '{}' in {}", key, where));
    return *r;
  }
  std::string str(const UVal& v, const std::string& key, const std::string& where) const {
    const UVal& r = at(v, key, where);
    if (r.kind != UVal::String)
      throw Error(file, "$raw", fmt::format("xgboost model: '{}' in {} is not a string", key, where));
    return r.str;
  }
  // A numeric array (an empty array reads as empty).
  const std::vector<double>& nums(const UVal& v, const std::string& key, const std::string& where) const {
    const UVal& r = at(v, key, where);
    if (r.kind != UVal::Array || !r.items.empty())
      throw Error(file, "$raw", fmt::format("xgboost model: '{}' in {} is not an array of numbers", key, where));
    return r.nums;
  }
};

// "[3.3333334E-1,3.3333334E-1]" or "5E-1": xgboost's base_score text.
// Node i sends the level codes in `codes` left (of L levels): a set test, or, when every level goes
// one way, a test on the code that always holds or always fails.
void split_left_codes(ir::Tree& tree, size_t i, const std::vector<int32_t>& codes, size_t L) {
  if (codes.empty() || codes.size() == L) {
    tree.op[i] = ir::SplitOp::LessThan;
    tree.threshold[i] = codes.empty() ? -1.0 : static_cast<double>(L);
    return;
  }
  tree.op[i] = ir::SplitOp::InSet;
  tree.set_offset[i] = static_cast<int32_t>(tree.sets.size());
  tree.set_size[i] = static_cast<int32_t>(codes.size());
  tree.sets.insert(tree.sets.end(), codes.begin(), codes.end());
}

std::vector<double> parse_base_score(std::string s, const std::string& file) {
  std::vector<double> out;
  for (char& c : s)
    if (c == '[' || c == ']' || c == ',') c = ' ';
  const char* p = s.c_str();
  while (*p) {
    while (*p == ' ') ++p;
    if (!*p) break;
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) throw Error(file, "$raw", "xgboost model: unreadable base_score '" + s + "'");
    out.push_back(static_cast<double>(static_cast<float>(v)));
    p = end;
  }
  if (out.empty()) throw Error(file, "$raw", "xgboost model: empty base_score");
  return out;
}

}  // namespace

ir::Model import_xgboost(const RObject& root, const std::string& file) {
  const Member obj(root, file);
  const Member raw = obj["raw"];
  if (raw->type != RType::Raw) raw.fail("expected the model bytes (a raw vector)");
  const std::vector<uint8_t>& bytes = raw->bytes;
  UVal doc;
  if (bytes.size() >= 2 && bytes[0] == '{' && bytes[1] == '"') {
    rapidjson::Document j;
    j.Parse(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (j.HasParseError()) raw.fail("the model bytes are not valid JSON");
    doc = from_json(j, 0, file);
  } else if (bytes.size() >= 2 && bytes[0] == '{') {
    doc = UbjParser(bytes, file).parse();
  } else {
    raw.unsupported(
        "unsupported: xgboost's old binary model format (save the booster with xgboost >= 1.6, which keeps "
        "UBJSON or JSON)");
  }
  const Doc d{file};
  const UVal& learner = d.at(doc, "learner", "the model");
  const std::string objective = d.str(d.at(learner, "objective", "learner"), "name", "learner.objective");
  const UVal& lmp = d.at(learner, "learner_model_param", "learner");
  const std::vector<double> base_score = parse_base_score(d.str(lmp, "base_score", "learner_model_param"), file);
  const UVal& gb = d.at(learner, "gradient_booster", "learner");
  const std::string booster = d.str(gb, "name", "gradient_booster");
  if (booster != "gbtree")
    throw Unsupported(file, "$raw", fmt::format("unsupported xgboost booster '{}' (only gbtree)", booster));
  const UVal& model = d.at(gb, "model", "gradient_booster");
  const UVal& trees = d.at(model, "trees", "the model");
  const std::vector<double>& tree_info = d.nums(model, "tree_info", "the model");
  if (trees.kind != UVal::Array || trees.items.size() != tree_info.size())
    throw Error(file, "$raw", "xgboost model: 'trees' and 'tree_info' differ in length");

  // Objective -> task, link, base margin.
  bool classification = false, multiclass = false;
  ir::Link link = ir::Link::Identity;
  size_t K = 1;
  if (objective == "reg:squarederror" || objective == "reg:linear" || objective == "reg:absoluteerror" ||
      objective == "reg:pseudohubererror") {
  } else if (objective == "binary:logistic") {
    classification = true;
    link = ir::Link::Logit;
  } else if (objective == "reg:logistic") {
    link = ir::Link::Logit;
  } else if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie") {
    link = ir::Link::Log;
  } else if (objective == "multi:softprob") {
    classification = multiclass = true;
    K = static_cast<size_t>(std::strtol(d.str(lmp, "num_class", "learner_model_param").c_str(), nullptr, 10));
    if (K < 2 || K > 100000) throw Error(file, "$raw", "xgboost model: num_class out of range");
  } else {
    throw Unsupported(file, "$raw", fmt::format("unsupported xgboost objective '{}'", objective));
  }
  std::vector<double> margin(K, 0.0);
  if (multiclass) {
    for (double b : base_score)
      if (b != base_score[0])
        throw Unsupported(file, "$raw", "unsupported: unequal base scores of a multi:softprob model");
  } else {
    const float b = static_cast<float>(base_score[0]);
    float m = b;
    if (link == ir::Link::Logit) m = -std::log(1.0f / b - 1.0f);
    else if (link == ir::Link::Log) m = std::log(b);
    margin[0] = m;
  }

  // Features: the learner's feature_names and feature_types (xgboost >= 1.6 keeps them); "c"
  // marks xgboost's native categorical features, whose levels r2pmml's `$fmap` lists as indicator
  // columns "Var=Level" (the level code is the category).  Without names in the model, `$fmap`'s
  // columns are the features, an "i" column an indicator of one level of a one-hot factor.
  ir::Model m;
  ExprTranslator tr(file, m.schema.inputs, m.derived);
  struct Col {
    int feature = -1;
    int level = -1;
    bool categorical = false;
  };
  std::vector<Col> cols;
  std::vector<std::string> fm_names, fm_types;  // $fmap
  if (const auto fmap = obj.get("fmap")) {
    const auto ids = (*fmap)["id"].numbers();
    fm_names = (*fmap)["name"].strings();
    fm_types = (*fmap)["type"].strings();
    if (ids.size() != fm_names.size() || fm_types.size() != fm_names.size())
      fmap->fail("expected columns id, name, type of one length");
  }
  // Indicator columns "Var=Level" grouped by variable, levels in column order.
  std::map<std::string, std::vector<std::string>> fm_levels;
  for (size_t j = 0; j < fm_names.size(); ++j) {
    if (fm_types[j] != "i") continue;
    const auto eq = fm_names[j].find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(file, "$fmap", fmt::format("indicator feature '{}' is not of the form Var=Level", fm_names[j]));
    fm_levels[fm_names[j].substr(0, eq)].push_back(fm_names[j].substr(eq + 1));
  }
  std::vector<std::string> names, types;
  if (const UVal* fn = learner.get("feature_names"); fn && fn->kind == UVal::Array && !fn->items.empty()) {
    for (const auto& v : fn->items) names.push_back(v.str);
    if (const UVal* ft = learner.get("feature_types"); ft && ft->items.size() == names.size())
      for (const auto& v : ft->items) types.push_back(v.str);
    types.resize(names.size(), "float");
    for (size_t j = 0; j < names.size(); ++j) {
      Col c;
      if (types[j] == "c") {
        auto it = fm_levels.find(names[j]);
        if (it == fm_levels.end())
          throw Error(file, "$fmap",
                      fmt::format("no levels for the categorical feature '{}' (r2pmml's $fmap lists "
                                  "them as '{}=<level>' columns)",
                                  names[j], names[j]));
        c.categorical = true;
        m.features.push_back({names[j], ir::Expr::input(tr.categorical_input(names[j], it->second, false, names[j]))});
      } else if (types[j] == "i") {
        throw Unsupported(file, "$raw",
                          fmt::format("unsupported: indicator feature '{}' in the model itself", names[j]));
      } else {
        m.features.push_back({names[j], ir::Expr::input(tr.continuous_input(names[j], names[j]))});
      }
      c.feature = static_cast<int>(m.features.size()) - 1;
      cols.push_back(c);
    }
  } else if (!fm_names.empty()) {
    std::map<std::string, int> feature_of;
    for (size_t j = 0; j < fm_names.size(); ++j) {
      Col c;
      if (fm_types[j] == "i") {
        const auto eq = fm_names[j].find('=');
        const std::string var = fm_names[j].substr(0, eq), level = fm_names[j].substr(eq + 1);
        if (!feature_of.count(var)) {
          m.features.push_back({var, ir::Expr::input(tr.categorical_input(var, fm_levels[var], false, var))});
          feature_of[var] = static_cast<int>(m.features.size()) - 1;
        }
        c.feature = feature_of[var];
        const auto& lv = fm_levels[var];
        c.level = static_cast<int>(std::find(lv.begin(), lv.end(), level) - lv.begin());
      } else if (fm_types[j] == "c") {
        throw Unsupported(file, "$fmap",
                          fmt::format("unsupported: categorical feature '{}' without levels", fm_names[j]));
      } else {
        if (feature_of.count(fm_names[j]))
          throw Error(file, "$fmap", fmt::format("feature '{}' named twice", fm_names[j]));
        m.features.push_back({fm_names[j], ir::Expr::input(tr.continuous_input(fm_names[j], fm_names[j]))});
        feature_of[fm_names[j]] = c.feature = static_cast<int>(m.features.size()) - 1;
      }
      cols.push_back(c);
    }
  } else {
    obj.fail("the booster names no features (no feature_names in the model, no $fmap)");
  }

  // Trees: the base margin first, as a one-leaf tree.
  ir::TreeEnsemble ens;
  ens.n_outputs = static_cast<int32_t>(K);
  ens.aggregate = ir::Aggregate::Sum;
  ens.threshold_precision = ir::Precision::Float32;
  ens.value_precision = ir::Precision::Float32;
  ens.link = link;
  ens.transform = multiclass       ? ir::ScoreTransform::Softmax
                  : classification ? ir::ScoreTransform::Binary
                                   : ir::ScoreTransform::None;
  bool any_margin = false;
  for (double v : margin) any_margin |= v != 0;
  if (any_margin) {
    ir::Tree base = trees::empty_tree(1, K, ir::MissingGo::Right);
    base.values = margin;
    trees::finish_sets(base);
    ens.trees.push_back(std::move(base));
  }
  size_t total_nodes = 0;
  for (size_t t = 0; t < trees.items.size(); ++t) {
    const UVal& tv = trees.items[t];
    const std::string where = fmt::format("tree {}", t);
    const auto& left = d.nums(tv, "left_children", where);
    const auto& right = d.nums(tv, "right_children", where);
    const auto& index = d.nums(tv, "split_indices", where);
    const auto& cond = d.nums(tv, "split_conditions", where);
    const auto& dleft = d.nums(tv, "default_left", where);
    const size_t n = left.size();
    if (right.size() != n || index.size() != n || cond.size() != n || dleft.size() != n || n == 0)
      throw Error(file, "$raw", fmt::format("xgboost model: {}: node arrays differ in length", where));
    // Categorical splits: the categories of node categories_nodes[k] are
    // categories[categories_segments[k] ...][categories_sizes[k]]; they go right.
    std::vector<double> split_type(n, 0.0);
    std::map<size_t, std::vector<double>> node_cats;
    if (const UVal* st = tv.get("split_type"); st && !st->nums.empty()) {
      split_type = st->nums;
      if (split_type.size() != n) throw Error(file, "$raw", fmt::format("xgboost model: {}: split_type length", where));
      const auto& cats = d.nums(tv, "categories", where);
      const auto& cnodes = d.nums(tv, "categories_nodes", where);
      const auto& cseg = d.nums(tv, "categories_segments", where);
      const auto& csize = d.nums(tv, "categories_sizes", where);
      if (cseg.size() != cnodes.size() || csize.size() != cnodes.size())
        throw Error(file, "$raw", fmt::format("xgboost model: {}: category arrays differ in length", where));
      for (size_t k = 0; k < cnodes.size(); ++k) {
        if (!(cseg[k] >= 0 && csize[k] >= 0 && cseg[k] + csize[k] <= static_cast<double>(cats.size())) ||
            !(cnodes[k] >= 0 && cnodes[k] < static_cast<double>(n)))
          throw Error(file, "$raw", fmt::format("xgboost model: {}: category segment out of range", where));
        node_cats[static_cast<size_t>(cnodes[k])] = std::vector<double>(
            cats.begin() + static_cast<long>(cseg[k]), cats.begin() + static_cast<long>(cseg[k] + csize[k]));
      }
    }
    if (const UVal* tp = tv.get("tree_param")) {
      if (const UVal* nd = tp->get("num_deleted"); nd && nd->str != "0")
        throw Unsupported(file, "$raw", fmt::format("unsupported: {} has deleted nodes", where));
      if (const UVal* sl = tp->get("size_leaf_vector"); sl && sl->str != "1" && sl->str != "0")
        throw Unsupported(file, "$raw", fmt::format("unsupported: {} has vector leaves", where));
    }
    total_nodes += n;
    if (total_nodes > limits::get(limits::Id::TreeNodes))
      limits::exceeded(limits::Id::TreeNodes, file, "$raw", fmt::format("the trees' nodes ({})", total_nodes));
    const double cls = tree_info[t];
    if (!(cls >= 0 && cls < static_cast<double>(K)))
      throw Error(file, "$raw", fmt::format("{}: class out of range", where));
    ir::Tree tree = trees::empty_tree(n, K, ir::MissingGo::Right);
    for (size_t i = 0; i < n; ++i) {
      if (left[i] < 0) {
        tree.values[i * K + static_cast<size_t>(cls)] = cond[i];
        continue;
      }
      const double l = left[i], r = right[i];
      if (!(l > static_cast<double>(i) && l < static_cast<double>(n) && r > static_cast<double>(i) &&
            r < static_cast<double>(n)))
        throw Error(file, "$raw", fmt::format("xgboost model: {} node {}: child out of range", where, i));
      if (!(index[i] >= 0 && index[i] < static_cast<double>(cols.size())))
        throw Error(file, "$raw",
                    fmt::format("xgboost model: {} node {}: feature {} out of range", where, i, index[i]));
      const Col& c = cols[static_cast<size_t>(index[i])];
      const bool def_left = dleft[i] != 0;
      tree.left[i] = static_cast<int32_t>(l);
      tree.right[i] = static_cast<int32_t>(r);
      tree.feature[i] = c.feature;
      tree.missing[i] = def_left ? ir::MissingGo::Left : ir::MissingGo::Right;
      if (split_type[i] != 0) {
        // xgboost's Decision(): a listed category goes right, any other code left.
        if (!c.categorical)
          throw Error(file, "$raw", fmt::format("{} node {}: a categorical split on a numeric feature", where, i));
        const auto it = node_cats.find(i);
        if (it == node_cats.end()) throw Error(file, "$raw", fmt::format("{} node {}: no categories", where, i));
        const size_t L = m.schema.inputs[m.features[c.feature].expr.index].levels.size();
        std::vector<int32_t> codes;
        for (size_t k = 0; k < L; ++k)
          if (std::find(it->second.begin(), it->second.end(), static_cast<double>(k)) == it->second.end())
            codes.push_back(static_cast<int32_t>(k));
        split_left_codes(tree, i, codes, L);
        continue;
      }
      if (c.categorical)
        throw Error(file, "$raw", fmt::format("{} node {}: a numeric split on a categorical feature", where, i));
      if (c.level < 0) {
        tree.op[i] = ir::SplitOp::LessThan;
        tree.threshold[i] = cond[i];
        continue;
      }
      // An indicator: its level goes where 1 < cond sends it; other levels take the default.
      const bool level_left = 1.0f < static_cast<float>(cond[i]);
      const size_t L = m.schema.inputs[m.features[c.feature].expr.index].levels.size();
      std::vector<int32_t> codes;
      for (size_t k = 0; k < L; ++k)
        if (static_cast<int>(k) == c.level ? level_left : def_left) codes.push_back(static_cast<int32_t>(k));
      split_left_codes(tree, i, codes, L);
    }
    trees::finish_sets(tree);
    ens.trees.push_back(std::move(tree));
  }
  m.estimator = std::move(ens);

  // Target.
  const RObject* schema = root.get("schema");
  if (schema)
    if (const RObject* rn = schema->get("response_name"); rn && rn->type == RType::Character && rn->length() == 1)
      m.schema.target.name = rn->str(0);
  if (classification) {
    m.schema.target.task = ir::Task::Classification;
    std::vector<std::string> classes;
    if (schema)
      if (const RObject* rl = schema->get("response_levels"); rl && rl->type == RType::Character)
        classes = Member(*rl, file, "$schema$response_levels").strings();
    if (!multiclass) {
      // xgboost predicts P(label = 1): response_levels name labels 0 and 1 in that order.
      if (classes.empty()) classes = {"0", "1"};
    } else if (classes.empty()) {
      for (size_t k = 0; k < K; ++k) classes.push_back(std::to_string(k));
    }
    if (classes.size() != (multiclass ? K : 2))
      throw Error(file, "$schema$response_levels",
                  fmt::format("{} levels for {} classes", classes.size(), multiclass ? K : 2));
    m.schema.target.classes = classes;
  }
  m.provenance.source_class = "xgb.Booster";
  m.provenance.family = fmt::format("xgboost {} ({} trees)", objective, trees.items.size());
  m.provenance.preprocessing.push_back(
      "xgboost arithmetic: inputs and thresholds in float32 (x < threshold goes left), a missing value or an absent "
      "indicator (another level) takes the node's default direction, the margin summed in float32 from the base "
      "margin");
  if (link != ir::Link::Identity || multiclass)
    warn(m, "float32-link",
         "xgboost applies its link (or softmax) in float32; here it is computed in double on the same float32 margin, "
         "so predictions differ from xgboost's by float32 rounding (about 1e-7 relative)");
  trees::describe_factor_inputs(m);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
