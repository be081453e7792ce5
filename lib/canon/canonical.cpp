#include "lib/canon/canonical.hpp"

#include "lib/canon/tree_canon.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>

namespace mb::canon {
namespace {

// Leading single-leaf trees of a double sum are constants: the evaluator adds them to the base in
// order before any other tree (gbm's initF written as a tree or as a base).  Returns how many.
size_t fold_constant_trees(const ir::TreeEnsemble& e, std::vector<double>& base) {
  base = e.base;
  size_t first = 0;
  if (e.aggregate != ir::Aggregate::Sum || e.value_precision != ir::Precision::Double ||
      e.output.arithmetic == ir::Arithmetic::Operator)
    return 0;
  while (first < e.trees.size() && !e.trees[first].op.empty() && e.trees[first].op[0] == ir::SplitOp::Leaf &&
         e.trees[first].values.size() >= static_cast<size_t>(e.n_outputs)) {
    const double w = e.tree_weights.empty() ? 1.0 : e.tree_weights[first];
    if (base.empty()) base.assign(e.n_outputs, 0.0);
    for (int32_t k = 0; k < e.n_outputs; ++k) base[k] += w * e.trees[first].values[k];
    ++first;
  }
  return first;
}

class Writer {
 public:
  explicit Writer(const ir::Model& m) : m_(m) {
    // Inputs are matched by name, so their order is not semantics: they are written sorted by
    // name and expressions refer to the sorted position.  Positional inputs (bound by column
    // position when the data does not name them) keep the model's order.
    const auto& in = m.schema.inputs;
    order_.resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) order_[i] = static_cast<int32_t>(i);
    bool positional = false;
    for (const auto& f : in) positional |= f.positional;
    if (!positional)
      std::stable_sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) { return in[a].name < in[b].name; });
    rank_.assign(in.size(), 0);
    for (size_t r = 0; r < order_.size(); ++r) rank_[order_[r]] = static_cast<int32_t>(r);
  }
  std::string out;
  // When set, the text is hashed as it is made: `out` is fed to it between blocks of trees (the
  // largest part of a forest's form) and at the end, so the whole text is never held.
  EVP_MD_CTX* sink = nullptr;
  void drain() {
    if (sink && !out.empty()) {
      EVP_DigestUpdate(sink, out.data(), out.size());
      out.clear();
    }
  }

  void tok(const std::string& s) {
    out += s;
    out += ' ';
  }
  void num(double v) {
    if (std::isnan(v)) {
      tok("nan");
      return;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", v);
    tok(buf);
  }
  void nums(const std::vector<double>& v) {
    tok(std::to_string(v.size()));
    for (double d : v) num(d);
  }
  template <class T>
  void ints(const std::vector<T>& v) {
    tok(std::to_string(v.size()));
    for (auto i : v) tok(std::to_string(static_cast<long long>(i)));
  }
  void str(const std::string& s) { tok(std::to_string(s.size()) + ":" + s); }
  void prec(ir::Precision p) { tok(p == ir::Precision::Double ? "f64" : "f32"); }

  void schema() {
    const auto& s = m_.schema;
    tok("inputs");
    tok(std::to_string(s.inputs.size()));
    for (int32_t i : order_) {
      const auto& in = s.inputs[i];
      tok("in");
      str(in.name);
      tok(in.kind == ir::FieldKind::Continuous ? "cont" : in.kind == ir::FieldKind::Categorical ? "cat" : "ord");
      tok(std::to_string(in.levels.size()));
      for (const auto& l : in.levels) str(l);
      if (in.missing_replacement) num(*in.missing_replacement);
      else if (in.missing_replacement_label) str(*in.missing_replacement_label);
      else tok("-");
      prec(in.cast);
      if (in.positional) tok("pos");
      if (in.open) tok("open");
    }
    tok("target");
    tok(s.target.task == ir::Task::Regression       ? "regression"
        : s.target.task == ir::Task::Classification ? "classification"
                                                    : "clustering");
    tok(std::to_string(s.target.classes.size()));
    for (const auto& c : s.target.classes) str(c);
  }

  // Level code k as an indicator: LevelIs(i, k).  Input(i) of a two-level factor (codes 0/1) and
  // LevelMap(i, t) with t the k-th unit vector over all levels compute the same values, so all
  // three are written as level_is.  Returns -1 when `e` is no such indicator.
  int32_t indicator_level(const ir::Expr& e) const {
    const auto& inputs = m_.schema.inputs;
    if (e.index < 0 || static_cast<size_t>(e.index) >= inputs.size()) return -1;
    const auto& in = inputs[e.index];
    if (e.op == ir::Op::LevelIs) return e.level;
    if (e.op == ir::Op::Input && in.is_categorical() && in.levels.size() == 2) return 1;
    if (e.op == ir::Op::LevelMap && in.is_categorical() && e.table.size() == in.levels.size()) {
      int32_t k = -1;
      for (size_t j = 0; j < e.table.size(); ++j) {
        const double v = e.table[j];
        if (v == 1.0 && !std::signbit(v) && k < 0) k = static_cast<int32_t>(j);
        else if (!(v == 0.0 && !std::signbit(v))) return -1;
      }
      return k;
    }
    return -1;
  }

  void expr(const ir::Expr& e) {
    if (e.op == ir::Op::Derived) {  // inline: how a format splits expressions is not semantics
      expr(m_.derived.at(e.index).expr);
      return;
    }
    tok("(");
    if (e.op == ir::Op::Input || e.op == ir::Op::LevelIs || e.op == ir::Op::LevelMap) {
      if (const int32_t k = indicator_level(e); k >= 0) {
        tok(ir::op_name(ir::Op::LevelIs));
        tok(std::to_string(input_rank(e.index)));
        tok(std::to_string(k));
        tok(")");
        return;
      }
    }
    tok(ir::op_name(e.op));
    switch (e.op) {
      case ir::Op::Const: num(e.value); break;
      case ir::Op::Input: tok(std::to_string(input_rank(e.index))); break;
      case ir::Op::LevelIs:
        tok(std::to_string(input_rank(e.index)));
        tok(std::to_string(e.level));
        break;
      case ir::Op::LevelMap:
        tok(std::to_string(input_rank(e.index)));
        nums(e.table);
        break;
      case ir::Op::Discretize:
        nums(e.bounds);
        nums(e.table);
        ints(e.flags);
        break;
      default: break;
    }
    for (const auto& a : e.args) expr(a);
    tok(")");
  }

  // Canonical text of one expression, without touching `out`.
  std::string expr_text(const ir::Expr& e) {
    std::string saved;
    saved.swap(out);
    expr(e);
    std::string text;
    text.swap(out);
    out.swap(saved);
    if (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  }

  void trees(const ir::TreeEnsemble& e, size_t first, std::vector<std::string>* per_tree = nullptr) {
    detail::TreeCanonHooks hooks;
    hooks.expr_text = [this](const ir::Expr& x) { return expr_text(x); };
    hooks.input_rank = [this](int32_t i) { return input_rank(i); };
    hooks.num = [](double v) {
      if (std::isnan(v)) return std::string("nan");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%a", v);
      return std::string(buf);
    };
    if (sink && !per_tree) hooks.drain = [this] { drain(); };
    detail::write_tree_forms(m_, e, first, e.trees.size(), hooks, out, per_tree);
    if (!per_tree) out += ' ';
  }

  void estimator() {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, ir::Linear>) {
            tok("linear");
            tok(std::to_string(e.n_targets));
            nums(e.coefficients);
            nums(e.intercepts);
            tok(std::to_string(e.offset_feature));
            tok(std::to_string(static_cast<int>(e.link)));
            if (e.link == ir::Link::Power) num(e.link_power);  // only then: other hashes stay the same
            tok(e.reference_class ? "ref" : "noref");
            tok(std::to_string(static_cast<int>(e.transform)));
            prec(e.precision);
            // The output stage (tokens older than its name, only when set: other hashes stay the same).
            if (e.output.operator_rules()) {
              tok("ort");
              tok(std::to_string(static_cast<int>(e.output.post)));
              tok(e.output.l1_normalize ? "l1" : "nonorm");
            }
          } else if constexpr (std::is_same_v<T, ir::TreeEnsemble>) {
            tok("trees");
            std::vector<double> base;
            const size_t first = fold_constant_trees(e, base);
            tok(std::to_string(e.n_outputs));
            tok(std::to_string(e.trees.size() - first));
            trees(e, first);
            // Tree weights live in the leaves (see tree_canon.hpp); an average keeps its divisor.
            // A majority vote is the sum of one-hot leaves.
            const auto agg = e.aggregate == ir::Aggregate::Vote ? ir::Aggregate::Sum : e.aggregate;
            tok(std::to_string(static_cast<int>(agg)));
            if (agg == ir::Aggregate::Average) {
              double total = 0;
              for (size_t t = 0; t < e.trees.size(); ++t) total += e.tree_weights.empty() ? 1.0 : e.tree_weights[t];
              num(total);
            }
            nums(base);
            tok(std::to_string(static_cast<int>(e.link)));
            tok(std::to_string(static_cast<int>(e.transform)));
            prec(e.threshold_precision);
            prec(e.value_precision);
            // The output stage (these tokens predate its name; kept so hashes stay the same).
            const ir::OutputStage& o = e.output;
            if (o.arithmetic == ir::Arithmetic::Operator) {
              tok("ort");
              tok(std::to_string(static_cast<int>(o.post)));
              tok(o.output_precision == ir::Precision::Float32 ? "f32out" : "f64out");
              tok(o.label == ir::LabelRule::RawScores ? "ortlabels" : "labels");
              if (o.layout == ir::ScoreLayout::OneScoreClass1) tok("class1");
            } else {
              tok("noort");
            }
            if (!e.class_cutoffs.empty()) {  // only when present, so other hashes stay the same
              tok("cutoffs");
              nums(e.class_cutoffs);
            }
          } else if constexpr (std::is_same_v<T, ir::Svm>) {
            tok("svm");
            tok(std::to_string(static_cast<int>(e.kernel)));
            num(e.gamma);
            num(e.coef0);
            num(e.degree);
            tok(std::to_string(e.n_sv));
            nums(e.support_vectors);
            ints(e.sv_per_class);
            nums(e.coefficients);
            nums(e.rho);
            nums(e.prob_a);
            nums(e.prob_b);
            ints(e.class_order);
            num(e.scale);
            num(e.center);
            prec(e.precision);
            if (e.output.operator_rules()) tok("ort");  // only when set, so other hashes stay the same
            if (e.output.layout == ir::ScoreLayout::Decisions) tok("decisions");      // likewise
            if (e.output.layout == ir::ScoreLayout::OneVsRest) tok("ovr-decisions");  // likewise
            if (e.one_vs_rest) tok(e.max_wins ? "ovr-max" : "ovr-min");  // only then: other hashes stay the same
            if (e.coupling != ir::SvmCoupling::Libsvm)                   // only then: other hashes stay the same
              tok(e.coupling == ir::SvmCoupling::Kernlab ? "coupling-kernlab" : "coupling-kernlab-caret");
          } else if constexpr (std::is_same_v<T, ir::Mlp>) {
            tok("mlp");
            tok(std::to_string(e.layers.size()));
            for (const auto& l : e.layers) {
              tok(std::to_string(l.n_units));
              nums(l.weights);
              nums(l.biases);
              tok(std::to_string(static_cast<int>(l.activation)));
            }
            ints(e.conn_offset);
            ints(e.conn_source);
            nums(e.conn_weights);
            std::vector<int> acts;
            for (auto a : e.unit_activation) acts.push_back(static_cast<int>(a));
            ints(acts);
            tok(std::to_string(e.n_outputs));
            tok(std::to_string(static_cast<int>(e.transform)));
            prec(e.precision);
          } else if constexpr (std::is_same_v<T, ir::NaiveBayes>) {
            tok("nb");
            nums(e.log_prior);
            ints(e.gaussian);
            nums(e.mean);
            nums(e.sd);
            ints(e.table_offset);
            nums(e.table);
            num(e.min_probability);
            num(e.min_sd);
            ints(e.table_levels);
            num(e.eps);
            if (e.precision == ir::Precision::Float32) {  // only then, so other hashes stay the same
              tok("ort-f32");
              nums(e.log_norm);
            }
          } else if constexpr (std::is_same_v<T, ir::Clustering>) {
            tok("kmeans");
            tok(std::to_string(e.k));
            nums(e.centers);
          } else if constexpr (std::is_same_v<T, ir::Ensemble>) {
            tok("ensemble");
            tok(ir::combine_name(e.combine));
            tok(std::to_string(e.members.size()));
            for (size_t i = 0; i < e.members.size(); ++i) {
              tok("member");
              num(e.members[i].weight);
              const ir::Model sub = ir::member_model(m_, i);
              Writer w(sub);
              w.body();
              out += w.out;
            }
          }
        },
        m_.estimator);
  }

  // The features and the estimator.
  void body() {
    tok("features");
    if (std::holds_alternative<ir::TreeEnsemble>(m_.estimator)) {
      tok("inline");  // tree tests name their features' expressions
    } else {
      tok(std::to_string(m_.features.size()));
      for (const auto& f : m_.features) expr(f.expr);
    }
    estimator();
  }

 private:
  int32_t input_rank(int32_t i) const { return i >= 0 && static_cast<size_t>(i) < rank_.size() ? rank_[i] : i; }
  const ir::Model& m_;
  std::vector<int32_t> order_;  // sorted position -> model input index
  std::vector<int32_t> rank_;   // model input index -> sorted position
};

}  // namespace

namespace {
void write_canonical(Writer& w, const ir::Model& m) {
  w.tok("mb-canon/2");
  w.schema();
  w.body();
}

std::string hex_digest(const unsigned char* md, unsigned len) {
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}
}  // namespace

std::string canonical_form(const ir::Model& m) {
  Writer w(m);
  write_canonical(w, m);
  return w.out;
}

std::string model_hash(const ir::Model& m) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
  Writer w(m);
  w.sink = ctx.get();
  write_canonical(w, m);
  w.drain();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return hex_digest(md, len);
}

TreeForms tree_forms(const ir::Model& m) {
  TreeForms f;
  const auto* e = std::get_if<ir::TreeEnsemble>(&m.estimator);
  if (!e) return f;
  f.first = fold_constant_trees(*e, f.base);
  Writer w(m);
  w.trees(*e, f.first, &f.trees);
  return f;
}

std::string schema_form(const ir::Model& m) {
  Writer w(m);
  w.tok("mb-canon-schema/1");
  w.schema();
  return w.out;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return hex_digest(md, len);
}

}  // namespace mb::canon
