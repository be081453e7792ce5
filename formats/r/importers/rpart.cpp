// rpart trees (docs/r-objects.md "rpart").
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

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/trees.hpp"
#include "formats/r/lang/formula.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {

namespace {

// rpart numbers node k's children 2k and 2k + 1 (depth at most 30); a larger id would overflow
// the arithmetic on it.
constexpr int64_t kMaxNodeId = int64_t{1} << 52;

// One split row turned into an IR test: op, threshold or set codes with sides.
struct SplitTest {
  ir::SplitOp op = ir::SplitOp::LessThan;
  double threshold = 0;
  std::vector<int32_t> codes;
  std::vector<uint8_t> sides;
};

class RpartReader {
 public:
  RpartReader(const RObject& root, const std::string& file, bool class_votes)
      : root_(root), obj_(root, file), file_(file), class_votes_(class_votes) {}

  ir::Model run() {
    const std::string method = obj_["method"].string();
    const bool classification = method == "class";
    if (!classification && method != "anova" && method != "poisson" && method != "exp")
      throw Unsupported(file_, "$method", fmt::format("unsupported rpart method '{}'", method));

    const RObject* xlevels = root_.attr("xlevels");
    auto levels_of = [&](const std::string& name, bool) -> std::vector<std::string> {
      const RObject* lv = xlevels ? xlevels->get(name) : nullptr;
      if (!lv) throw Error(file_, "@xlevels", fmt::format("no levels stored for factor '{}'", name));
      return Member(*lv, file_, "@xlevels$" + name).strings();
    };
    // With the levels by name, factors the formula derives (factor(x), cut(), plyr::mapvalues) are read too.
    pred_ = trees::predictors_from_terms(root_, file_, levels_of, xlevels);

    std::vector<std::string> classes;
    if (classification) {
      if (!root_.attr("ylevels"))
        throw Error(file_, "@ylevels", "a classification tree without class labels (@ylevels)");
      classes = obj_.attr("ylevels").strings();
    }
    const size_t K = classification ? classes.size() : 1;

    int usesurrogate = 2;
    if (const RObject* control = root_.get("control"))
      if (const RObject* us = control->get("usesurrogate"); us && us->length() == 1)
        usesurrogate = static_cast<int>(Member(*us, file_, "$control$usesurrogate").whole(0, 2));

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
        usesurrogate == 0   ? "missing split variable: stop at the node (usesurrogate = 0)"
        : usesurrogate == 1 ? "missing split variable: surrogate splits, else stop at the node (usesurrogate = 1)"
                            : "missing split variable: surrogate splits, else the larger child (usesurrogate = 2)");
    for (auto& w : notes_) warn(m, "rpart", w);
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
    // rpart splits ordered factors as categories too (ncat = number of levels, a $csplit row
    // with contiguous codes), and pred_rpart looks the level up the same way.
    if (!pred_.vars[f].factor && !pred_.vars[f].ordered)
      throw Error(file_, place, fmt::format("categorical split on '{}', which is not a factor", var));
    const size_t L = m_levels(f);
    if (!(index >= 1 && index <= static_cast<double>(csplit_.rows)) ||
        !(ncat >= 2 && ncat <= static_cast<double>(csplit_.cols)) || static_cast<size_t>(ncat) != L)
      throw Error(file_, place, fmt::format("categorical split row {} does not fit $csplit", index));
    const auto crow = static_cast<size_t>(index) - 1;
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

  size_t m_levels(int f) const { return pred_.vars[f].n_levels; }

  ir::Tree build_tree(bool classification, size_t K, int usesurrogate) {
    const Member frame = obj_["frame"];
    const std::vector<std::string> var = frame["var"].strings();
    const size_t n = var.size();
    if (n == 0) throw Error(file_, "$frame", "an empty tree");
    const std::vector<double> count = frame["n"].numbers();
    const std::vector<int64_t> ncompete = frame["ncompete"].wholes(0, 1 << 24);
    const std::vector<int64_t> nsurrogate = frame["nsurrogate"].wholes(0, 1 << 24);
    if (count.size() != n || ncompete.size() != n || nsurrogate.size() != n)
      throw Error(file_, "$frame", "frame columns differ in length");

    // Node ids from the row names.
    std::vector<int64_t> id(n);
    const RObject* rn = frame->attr("row.names");
    // R keeps row names 1, ..., n compactly as c(NA, n) (or c(NA, -n)): a tree of one split (nodes
    // 1, 2, 3) is stored so.
    const bool compact = rn && rn->type != RType::Character && rn->length() == 2 && std::isnan(rn->number(0)) &&
                         std::fabs(rn->number(1)) == static_cast<double>(n);
    if (!rn || (rn->length() != n && !compact))
      throw Error(file_, "$frame@row.names", "expected one node id per frame row");
    for (size_t i = 0; i < n; ++i) {
      if (compact) {
        id[i] = static_cast<int64_t>(i) + 1;
        continue;
      }
      if (rn->type == RType::Character) {
        const auto v = parse_number(rn->str(i));
        if (!v) throw Error(file_, "$frame@row.names", fmt::format("node id '{}' is not a number", rn->str(i)));
        id[i] = whole_number(*v, 1, kMaxNodeId, file_, "$frame@row.names");
      } else {
        id[i] = whole_number(rn->number(i), 1, kMaxNodeId, file_, "$frame@row.names");
      }
    }
    std::unordered_map<int64_t, int32_t> row_of;
    for (size_t i = 0; i < n; ++i) row_of[id[i]] = static_cast<int32_t>(i);

    // Values per node.
    std::vector<double> values(n * K);
    std::vector<int32_t> labels;  // ir::Tree::label, when a node's fitted class is not its most probable
    if (!classification) {
      const auto yval = frame["yval"].numbers();
      if (yval.size() != n) throw Error(file_, "$frame$yval", "expected one value per node");
      values = yval;
    } else {
      const Matrix y2 = frame["yval2"].matrix();
      if (y2.rows != n || y2.cols != 2 * K + 2)
        throw Error(file_, "$frame$yval2", fmt::format("expected a {} x {} matrix", n, 2 * K + 2));
      for (size_t i = 0; i < n && class_votes_; ++i) {
        const auto fitted = whole_number(y2.at(i, 0), 1, static_cast<int64_t>(K), file_, "$frame$yval2");
        values[i * K + static_cast<size_t>(fitted - 1)] = 1;
      }
      for (size_t i = 0; i < n && !class_votes_; ++i) {
        size_t best = 0;
        for (size_t k = 0; k < K; ++k) {
          values[i * K + k] = y2.at(i, 1 + K + k);
          if (values[i * K + k] > values[i * K + best]) best = k;
        }
        // predict(type = "class") gives the fitted class (the class of least expected loss, which
        // a loss matrix, $parms$loss, can put elsewhere than the most probable class): the node's
        // label where it is not the first most probable class.
        const auto fitted = whole_number(y2.at(i, 0), 1, static_cast<int64_t>(K), file_, "$frame$yval2");
        if (fitted != static_cast<int64_t>(best + 1)) {
          labels.resize(n, -1);
          labels[i] = static_cast<int32_t>(fitted - 1);
        }
      }
    }

    bool any_split = false;
    for (auto& v : var) any_split |= v != "<leaf>";
    if (any_split) {
      const Member sp = obj_["splits"];
      splits_ = sp.matrix();
      if (splits_.cols < 5) throw Error(file_, "$splits", "expected columns count, ncat, improve, index, adj");
      const RObject* dn = sp->attr("dimnames");
      if (!dn || dn->elements.size() != 2 || !dn->elements[0])
        throw Error(file_, "$splits@dimnames", "split rows without variable names");
      split_names_ = Member(*dn->elements[0], file_, "$splits@dimnames[[1]]").strings();
      if (split_names_.size() != splits_.rows) throw Error(file_, "$splits@dimnames", "row names do not match rows");
      if (const auto cs = obj_.get("csplit")) csplit_ = cs->matrix();
    }

    ir::Tree t = trees::empty_tree(n, K, ir::MissingGo::StopHere);
    t.count = count;
    t.values = std::move(values);
    t.label = std::move(labels);
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
        throw Error(file_, place,
                    fmt::format("primary split row names '{}', the frame says '{}'", split_names_[row], var[i]));
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
  const Member obj_;
  const std::string& file_;
  trees::Predictors pred_;
  Matrix splits_, csplit_;
  std::vector<std::string> split_names_;
  std::vector<std::string> notes_;
  const bool class_votes_;  // classification: one-hot at the fitted class, not probabilities
};

}  // namespace

ir::Model import_rpart(const RObject& root, const std::string& file) { return RpartReader(root, file, false).run(); }

ir::Model import_rpart_classes(const RObject& root, const std::string& file) {
  return RpartReader(root, file, true).run();
}

}  // namespace mb::r
