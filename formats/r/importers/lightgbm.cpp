// LightGBM boosters kept in R (docs/r-objects.md "lightgbm"): the R6 object `lgb.Booster` holds
// LightGBM's own text model (what $save_model_to_string() gives) as bytes in `$raw`.
//
// The text model: header lines `key=value` (num_class, num_tree_per_iteration, max_feature_idx,
// objective, feature_names, average_output), then one block per tree from `Tree=<i>`:
// num_leaves L, num_cat, and per inner node (L - 1 of them) split_feature, threshold,
// decision_type, left_child and right_child (a negative child c is leaf ~c), then leaf_value (L
// values, learning rate included; the first trees hold the initial score).  Tree t adds its leaf
// value to the score of class t % num_tree_per_iteration; scores are summed in double in tree
// order, as LightGBM's Predict does.
//
// A numerical split (LightGBM's Tree::NumericalDecision) sends x <= threshold (double) left.
// decision_type bit 0 marks a categorical split (refused), bit 1 default-left, bits 2-3 the
// missing type: None (0) reads a missing value as 0, so it goes where 0 <= threshold sends it;
// NaN (2) sends a missing value the default direction; Zero (1) sends missing and x in
// (-1e-35, 1e-35] (kZeroThreshold) the default direction, which is read when the threshold sends
// all those values that way too (else refused).
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/trees.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"
#include "lib/util/limits.hpp"

namespace mb::r {
namespace {

// LightGBM's kZeroThreshold (a float literal, 1e-35f).
const double kZeroThreshold = static_cast<double>(1e-35f);

// A member of an R6 object (an environment) or of a list.
const RObject* member_of(const RObject& o, const std::string& name) {
  if (o.type != RType::Environment) return o.get(name);
  for (size_t i = 0; i < o.elements.size() && i < o.tags.size(); ++i)
    if (o.tags[i] == name) return o.elements[i].get();
  return nullptr;
}

class LgbReader {
 public:
  LgbReader(const std::string& text, const std::string& file) : file_(file) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines_.push_back(std::move(line));
    }
  }

  ir::Model run(int64_t best_iter) {
    // Header.
    size_t i = 0;
    std::map<std::string, std::string> header;
    std::map<std::string, size_t> header_line;
    for (; i < lines_.size() && lines_[i].rfind("Tree=", 0) != 0 && lines_[i] != "end of trees"; ++i) {
      const auto eq = lines_[i].find('=');
      if (eq == std::string::npos) {
        if (lines_[i] == "average_output")
          throw Unsupported(file_, place(i), "unsupported LightGBM model: averaged output (random forest mode)");
        continue;
      }
      header[lines_[i].substr(0, eq)] = lines_[i].substr(eq + 1);
      header_line[lines_[i].substr(0, eq)] = i;
    }
    if (lines_.empty() || lines_[0] != "tree")
      throw Error(file_, place(0), "not a LightGBM text model (its first line is not 'tree')");
    auto need = [&](const std::string& key) -> const std::string& {
      auto it = header.find(key);
      if (it == header.end()) throw Error(file_, "$raw", fmt::format("the LightGBM model has no '{}' line", key));
      return it->second;
    };
    auto whole = [&](const std::string& key, int64_t lo, int64_t hi) {
      const std::string& s = need(key);
      int64_t v = 0;
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
        throw Error(file_, place(header_line[key]),
                    fmt::format("{} '{}' is not a whole number in [{}, {}]", key, s, lo, hi));
      return v;
    };
    const int64_t num_class = whole("num_class", 1, 1 << 16);
    const int64_t per_iter = whole("num_tree_per_iteration", 1, 1 << 16);
    const int64_t n_features = whole("max_feature_idx", 0, static_cast<int64_t>(limits::get(limits::Id::Columns))) + 1;
    const std::vector<std::string> objective = split(need("objective"), ' ');
    if (objective.empty()) throw Error(file_, place(header_line["objective"]), "an empty objective");
    const std::string& obj = objective[0];

    // Objective: the link and the task.
    bool classification = false, multiclass = false;
    ir::Link link = ir::Link::Identity;
    static const std::set<std::string> kIdentity = {"regression", "regression_l2",
                                                    "l2",         "mean_squared_error",
                                                    "mse",        "regression_l1",
                                                    "l1",         "mean_absolute_error",
                                                    "mae",        "huber",
                                                    "fair",       "quantile",
                                                    "mape",       "mean_absolute_percentage_error"};
    if (kIdentity.count(obj)) {
      for (const auto& o : objective)
        if (o == "sqrt")
          throw Unsupported(file_, place(header_line["objective"]),
                            "unsupported LightGBM objective option 'sqrt' (a model of the square root of the label)");
    } else if (obj == "poisson" || obj == "gamma" || obj == "tweedie") {
      link = ir::Link::Log;
    } else if (obj == "binary") {
      classification = true;
      link = ir::Link::Logit;
      for (const auto& o : objective)
        if (o.rfind("sigmoid:", 0) == 0 && o != "sigmoid:1")
          throw Unsupported(file_, place(header_line["objective"]),
                            fmt::format("unsupported LightGBM binary objective with {} (only sigmoid:1)", o));
    } else if (obj == "multiclass" || obj == "softmax") {
      classification = multiclass = true;
    } else {
      throw Unsupported(file_, place(header_line["objective"]),
                        fmt::format("unsupported LightGBM objective '{}' (supported: regression objectives, poisson, "
                                    "gamma, tweedie, binary, multiclass)",
                                    obj));
    }
    const size_t K = multiclass ? static_cast<size_t>(num_class) : 1;
    if (static_cast<int64_t>(K) != per_iter || (!multiclass && num_class != 1))
      throw Error(
          file_, place(header_line["num_tree_per_iteration"]),
          fmt::format("{} trees per iteration and {} classes do not fit objective '{}'", per_iter, num_class, obj));

    // Features: one continuous input per LightGBM feature, by name.
    ir::Model m;
    std::vector<std::string> names = split(need("feature_names"), ' ');
    if (names.size() != static_cast<size_t>(n_features))
      throw Error(file_, place(header_line["feature_names"]),
                  fmt::format("{} feature names for {} features (max_feature_idx)", names.size(), n_features));
    for (size_t f = 0; f < names.size(); ++f) {
      if (m.schema.find_input(names[f]) >= 0)
        throw Error(file_, place(header_line["feature_names"]), fmt::format("feature '{}' named twice", names[f]));
      ir::InputField in;
      in.name = names[f];
      m.schema.inputs.push_back(in);
      m.features.push_back({names[f], ir::Expr::input(static_cast<int32_t>(f))});
    }

    // Trees.
    ir::TreeEnsemble ens;
    ens.n_outputs = static_cast<int32_t>(K);
    ens.aggregate = ir::Aggregate::Sum;
    ens.link = link;
    ens.transform = multiclass       ? ir::ScoreTransform::Softmax
                    : classification ? ir::ScoreTransform::Binary
                                     : ir::ScoreTransform::None;
    size_t total_nodes = 0;
    while (i < lines_.size() && lines_[i] != "end of trees") {
      if (lines_[i].rfind("Tree=", 0) != 0) {
        ++i;
        continue;
      }
      const size_t start = i++;
      std::map<std::string, std::string> kv;
      std::map<std::string, size_t> at;
      for (; i < lines_.size() && !lines_[i].empty() && lines_[i].rfind("Tree=", 0) != 0 && lines_[i] != "end of trees";
           ++i) {
        const auto eq = lines_[i].find('=');
        if (eq == std::string::npos) continue;
        kv[lines_[i].substr(0, eq)] = lines_[i].substr(eq + 1);
        at[lines_[i].substr(0, eq)] = i;
      }
      const size_t t = ens.trees.size();
      ens.trees.push_back(read_tree(kv, at, start, t % K, K, static_cast<size_t>(n_features)));
      total_nodes += ens.trees.back().op.size();
      if (total_nodes > limits::get(limits::Id::TreeNodes))
        limits::exceeded(limits::Id::TreeNodes, file_, "$raw", fmt::format("the trees' nodes ({})", total_nodes));
    }
    if (ens.trees.empty()) throw Error(file_, "$raw", "the LightGBM model has no trees");
    if (i >= lines_.size()) throw Error(file_, "$raw", "the LightGBM model is cut short (no 'end of trees' line)");
    if (header.count("tree_sizes") && split(header["tree_sizes"], ' ').size() != ens.trees.size())
      throw Error(file_, place(header_line["tree_sizes"]),
                  fmt::format("tree_sizes lists {} trees; the model holds {}", split(header["tree_sizes"], ' ').size(),
                              ens.trees.size()));
    if (ens.trees.size() % K != 0)
      throw Error(file_, "$raw", fmt::format("{} trees are not whole iterations of {} trees", ens.trees.size(), K));
    const size_t all_trees = ens.trees.size();
    // R's predict() stops at the best iteration when the booster records one.
    if (best_iter > 0 && static_cast<size_t>(best_iter) * K < all_trees)
      ens.trees.resize(static_cast<size_t>(best_iter) * K);

    m.estimator = std::move(ens);
    if (classification) {
      m.schema.target.task = ir::Task::Classification;
      for (size_t k = 0; k < (multiclass ? K : 2); ++k) m.schema.target.classes.push_back(std::to_string(k));
    }
    m.provenance.source_class = "lgb.Booster";
    m.provenance.family =
        fmt::format("LightGBM {} ({} trees)", obj, std::get<ir::TreeEnsemble>(m.estimator).trees.size());
    if (all_trees != std::get<ir::TreeEnsemble>(m.estimator).trees.size())
      m.provenance.preprocessing.push_back(fmt::format(
          "the first {} iterations (the booster's best_iter, as R's predict() uses) of {}", best_iter, all_trees / K));
    m.provenance.preprocessing.push_back(
        "LightGBM arithmetic: x <= threshold goes left (double); a missing value goes the node's default direction, "
        "or where 0 goes when the split has no missing-value handling; scores summed in double in tree order");
    ir::validate(m, file_);
    return m;
  }

 private:
  std::string place(size_t line) const { return fmt::format("$raw:line {}", line + 1); }

  static std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
      if (c == sep) {
        if (!cur.empty()) out.push_back(std::move(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
  }

  std::vector<double> numbers(const std::map<std::string, std::string>& kv, const std::map<std::string, size_t>& at,
                              const std::string& key, size_t n, size_t tree_line) const {
    auto it = kv.find(key);
    if (it == kv.end()) throw Error(file_, place(tree_line), fmt::format("tree without '{}'", key));
    std::vector<double> out;
    for (const auto& tok : split(it->second, ' ')) {
      double v = 0;
      const auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
      if (ec != std::errc() || p != tok.data() + tok.size())
        throw Error(file_, place(at.at(key)), fmt::format("{}: '{}' is not a number", key, tok));
      out.push_back(v);
    }
    if (out.size() != n)
      throw Error(file_, place(at.at(key)), fmt::format("{}: expected {} values, found {}", key, n, out.size()));
    return out;
  }

  ir::Tree read_tree(const std::map<std::string, std::string>& kv, const std::map<std::string, size_t>& at, size_t line,
                     size_t cls, size_t K, size_t F) const {
    const std::string where = lines_[line];
    auto one = [&](const std::string& key, double fallback) {
      if (!kv.count(key)) return fallback;
      return numbers(kv, at, key, 1, line)[0];
    };
    const double num_leaves = one("num_leaves", -1);
    if (!(num_leaves >= 1 && num_leaves <= static_cast<double>(limits::get(limits::Id::TreeNodes))) ||
        num_leaves != std::floor(num_leaves))
      throw Error(file_, place(kv.count("num_leaves") ? at.at("num_leaves") : line),
                  fmt::format("{}: num_leaves must be a whole number of at least 1", where));
    if (one("is_linear", 0) != 0)
      throw Unsupported(file_, place(at.at("is_linear")), fmt::format("unsupported LightGBM linear tree ({})", where));
    const auto L = static_cast<size_t>(num_leaves);
    const std::vector<double> leaf = numbers(kv, at, "leaf_value", L, line);
    const size_t n = 2 * L - 1, inner = L - 1;
    ir::Tree tree = trees::empty_tree(n, K, ir::MissingGo::Left);
    for (size_t j = 0; j < L; ++j) tree.values[(inner + j) * K + cls] = leaf[j];
    if (L > 1) {
      const auto feat = numbers(kv, at, "split_feature", inner, line);
      const auto thr = numbers(kv, at, "threshold", inner, line);
      const auto dt = numbers(kv, at, "decision_type", inner, line);
      const auto lc = numbers(kv, at, "left_child", inner, line);
      const auto rc = numbers(kv, at, "right_child", inner, line);
      auto child = [&](double c, size_t parent, const char* key) -> int32_t {
        if (c >= 0 && c < static_cast<double>(inner) && c > static_cast<double>(parent) && c == std::floor(c))
          return static_cast<int32_t>(c);
        if (c < 0 && -c <= static_cast<double>(L) && c == std::floor(c))
          return static_cast<int32_t>(inner + static_cast<size_t>(-c - 1));
        throw Error(file_, place(at.at(key)), fmt::format("{}: node {} has child {}, out of range", where, parent, c));
      };
      for (size_t i = 0; i < inner; ++i) {
        if (!(feat[i] >= 0 && feat[i] < static_cast<double>(F) && feat[i] == std::floor(feat[i])))
          throw Error(file_, place(at.at("split_feature")),
                      fmt::format("{}: node {} splits on feature {} of {}", where, i, feat[i], F));
        if (!(dt[i] >= 0 && dt[i] <= 15 && dt[i] == std::floor(dt[i])))
          throw Error(file_, place(at.at("decision_type")),
                      fmt::format("{}: node {} has decision type {}", where, i, dt[i]));
        const int d = static_cast<int>(dt[i]);
        if (d & 1)
          throw Unsupported(file_, place(at.at("decision_type")),
                            fmt::format("unsupported LightGBM categorical split ({} node {})", where, i));
        const bool default_left = (d & 2) != 0;
        const int missing_type = (d >> 2) & 3;
        if (std::isnan(thr[i]))
          throw Error(file_, place(at.at("threshold")), fmt::format("{}: node {}: NaN threshold", where, i));
        tree.op[i] = ir::SplitOp::LessOrEqual;
        tree.feature[i] = static_cast<int32_t>(feat[i]);
        tree.threshold[i] = thr[i];
        tree.left[i] = child(lc[i], i, "left_child");
        tree.right[i] = child(rc[i], i, "right_child");
        switch (missing_type) {
          case 0:  // None: a missing value is read as 0
            tree.missing[i] = 0.0 <= thr[i] ? ir::MissingGo::Left : ir::MissingGo::Right;
            break;
          case 2:  // NaN
            tree.missing[i] = default_left ? ir::MissingGo::Left : ir::MissingGo::Right;
            break;
          case 1:  // Zero: missing and (near) zero go the default direction
            if (default_left ? !(thr[i] >= kZeroThreshold) : !(thr[i] <= -kZeroThreshold))
              throw Unsupported(file_, place(at.at("decision_type")),
                                fmt::format("unsupported LightGBM zero-as-missing split whose default direction is not "
                                            "where the threshold sends zero ({} node {})",
                                            where, i));
            tree.missing[i] = default_left ? ir::MissingGo::Left : ir::MissingGo::Right;
            break;
          default:
            throw Error(file_, place(at.at("decision_type")), fmt::format("{}: node {}: missing type 3", where, i));
        }
      }
    }
    trees::finish_sets(tree);
    tree.missing_child.clear();
    return tree;
  }

  const std::string& file_;
  std::vector<std::string> lines_;
};

}  // namespace

ir::Model import_lgb_booster(const RObject& root, const std::string& file) {
  const RObject* raw = member_of(root, "raw");
  if (!raw || raw->type == RType::Null)
    throw Error(file, "$raw",
                "the lgb.Booster holds no model (R's lightgbm keeps LightGBM's text model in $raw: call "
                "$save_raw() before saveRDS(), or use saveRDS.lgb.Booster)");
  std::string text;
  if (raw->type == RType::Raw) text.assign(raw->bytes.begin(), raw->bytes.end());
  else if (raw->type == RType::Character && raw->length() == 1) text = raw->str(0);
  else throw Error(file, "$raw", "expected LightGBM's text model as raw bytes");
  int64_t best_iter = -1;
  if (const RObject* bi = member_of(root, "best_iter"); bi && bi->length() == 1 && !std::isnan(bi->number(0)))
    best_iter = whole_number(bi->number(0), -1, int64_t{1} << 40, file, "$best_iter");
  return LgbReader(text, file).run(best_iter);
}

}  // namespace mb::r
