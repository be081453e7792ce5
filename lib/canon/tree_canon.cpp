// Canonical form of decision trees: see tree_canon.hpp.
#include "lib/canon/tree_canon.hpp"

#include "lib/ir/split.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <thread>
#include <unordered_map>

namespace mb::canon::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int32_t kNone = -1;   // a missing exit that cannot be taken
constexpr int32_t kNever = -2;  // a level code the path excludes

// What a feature is, for splitting purposes.
struct FeatureAtom {
  enum Kind : uint8_t { Const, Num, Cat } kind = Num;
  double cval = 0;           // Const
  int32_t atom = -1;         // Num: numeric atom id; Cat: model input index
  std::vector<double> vals;  // Cat: feature value per level code
};

// A lowered test with three exits, or a leaf.
struct Prim {
  enum Kind : uint8_t { Leaf, Null, Num, Cat } kind = Leaf;
  int32_t atom = -1;        // Num: atom id; Cat: input index
  double thr = 0;           // Num: x <= thr goes to t
  std::vector<int8_t> out;  // Cat: per code 1 = t, 0 = f, -1 = m
  int32_t t = -1, f = -1, m = -1;
  std::vector<double> vals;  // Leaf
  int32_t label = -1;        // Leaf of a one-tree classifier: its node label (ir::Tree::label), if any
};

struct NumFact {
  double lo = -kInf, hi = kInf;  // a present value lies in (lo, hi]
  uint8_t miss = 1;              // 0 never missing, 1 may be, 2 certainly missing
};
struct CatFact {
  std::vector<uint8_t> codes;  // possible codes
  uint8_t miss = 1;
};
struct Ctx {
  std::map<int32_t, NumFact> num;
  std::map<int32_t, CatFact> cat;
};

// A node of the canonical DAG: its text without children, and its children.
struct CNode {
  std::string head;
  std::vector<int32_t> refs;
  char kind = 'L';           // 'N' region of a numeric atom, 'C' of a factor, 'L' leaf
  int32_t atom = -1;         // N: atom id; C: input index
  std::vector<double> cuts;  // N: interval upper bounds (refs: cuts.size()+1 intervals, then missing)
};

struct TooComplex {};

class TreeCanon {
 public:
  TreeCanon(const ir::Model& m, const ir::TreeEnsemble& te, const TreeCanonHooks& h) : m_(m), te_(te), h_(h) {
    f32_ = te.threshold_precision == ir::Precision::Float32;
    for (const auto& f : m.features) atoms_.push_back(classify(f.expr));
  }

  // The form of tree t (path facts off when they would take too long: still one form per IR).
  std::string form_of(size_t t) {
    const double w = te_.tree_weights.empty() ? 1.0 : te_.tree_weights[t];
    try {
      return tree_form(te_.trees[t], w, true);
    } catch (const TooComplex&) {
      return tree_form(te_.trees[t], w, false);
    }
  }

  // Trees are independent: blocks of them are formed by several workers (each its own copy of
  // this object, whose per-tree state tree_form resets), then appended in tree order, so the text
  // is the same whatever the number of workers.  `drain` runs after each block is appended.
  void write(std::string& out, size_t first, size_t last, std::vector<std::string>* per_tree,
             const std::function<void()>& drain) {
    last = std::min(last, te_.trees.size());
    if (first >= last) return;
    const size_t n = last - first;
    size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
    if (n < 8) workers = 1;
    const size_t block = workers == 1 ? n : std::max<size_t>(workers * 4, 16);
    std::vector<std::string> forms;
    for (size_t b = first; b < last; b += block) {
      const size_t e = std::min(last, b + block);
      forms.assign(e - b, std::string());
      if (workers == 1) {
        for (size_t t = b; t < e; ++t) forms[t - b] = form_of(t);
      } else {
        std::atomic<size_t> next{b};
        std::vector<std::exception_ptr> failed(workers);
        auto work = [&](TreeCanon& tc, size_t id) {
          try {
            for (size_t t; (t = next.fetch_add(1)) < e;) forms[t - b] = tc.form_of(t);
          } catch (...) {
            failed[id] = std::current_exception();
            next = e;
          }
        };
        std::vector<TreeCanon> copies(workers - 1, *this);
        std::vector<std::thread> pool;
        for (size_t i = 0; i < copies.size(); ++i) pool.emplace_back(work, std::ref(copies[i]), i + 1);
        work(*this, 0);
        for (auto& th : pool) th.join();
        for (const auto& f : failed)
          if (f) std::rethrow_exception(f);
      }
      for (auto& f : forms) {
        if (per_tree) per_tree->push_back(std::move(f));
        else out += f;
      }
      if (drain) drain();
    }
  }

 private:
  // ---- atoms ----
  const ir::Expr& resolve(const ir::Expr& e) const {
    const ir::Expr* p = &e;
    while (p->op == ir::Op::Derived && p->index >= 0 && static_cast<size_t>(p->index) < m_.derived.size())
      p = &m_.derived[p->index].expr;
    return *p;
  }

  FeatureAtom classify(const ir::Expr& raw) {
    const ir::Expr& e = resolve(raw);
    FeatureAtom a;
    const auto& inputs = m_.schema.inputs;
    if (e.op == ir::Op::Const) {
      a.kind = FeatureAtom::Const;
      a.cval = e.value;
      return a;
    }
    if ((e.op == ir::Op::Input || e.op == ir::Op::LevelIs || e.op == ir::Op::LevelMap) && e.index >= 0 &&
        static_cast<size_t>(e.index) < inputs.size() && inputs[e.index].is_categorical()) {
      const size_t L = inputs[e.index].levels.size();
      if (e.op != ir::Op::LevelMap || e.table.size() == L) {
        a.kind = FeatureAtom::Cat;
        a.atom = e.index;
        a.vals.resize(L);
        for (size_t k = 0; k < L; ++k)
          a.vals[k] = e.op == ir::Op::Input     ? static_cast<double>(k)
                      : e.op == ir::Op::LevelIs ? (static_cast<int32_t>(k) == e.level ? 1.0 : 0.0)
                                                : e.table[k];
        return a;
      }
    }
    a.kind = FeatureAtom::Num;
    const std::string key = h_.expr_text(e);
    auto [it, fresh] = num_ids_.emplace(key, static_cast<int32_t>(num_keys_.size()));
    if (fresh) num_keys_.push_back(key);
    a.atom = it->second;
    return a;
  }

  // ---- lowering ----
  double norm(double t) const { return f32_ ? static_cast<double>(static_cast<float>(t)) : t; }
  double below(double t) const {
    if (f32_)
      return static_cast<double>(std::nextafter(static_cast<float>(t), -std::numeric_limits<float>::infinity()));
    return std::nextafter(t, -kInf);
  }

  int32_t add(Prim p) {
    prims_.push_back(std::move(p));
    return static_cast<int32_t>(prims_.size() - 1);
  }
  int32_t num_test(int32_t atom, double thr, int32_t T, int32_t F, int32_t M) {
    Prim p;
    p.kind = Prim::Num;
    p.atom = atom;
    p.thr = thr;
    p.t = T;
    p.f = F;
    p.m = M;
    return add(std::move(p));
  }

  // The evaluator's test on a known value: 1 true, 0 false, -1 no direction.
  int eval_test(const ir::Tree& tr, ir::SplitOp op, double x, double thr, int32_t off, int32_t size) const {
    return ir::split_direction(tr, op, x, thr, off, size, f32_);
  }

  int32_t test(const ir::Tree& tr, ir::SplitOp op, int32_t feat, double thr, int32_t off, int32_t size, int32_t T,
               int32_t F, int32_t M) {
    const FeatureAtom& a = atoms_.at(feat);
    auto pick = [&](int d) { return d > 0 ? T : d == 0 ? F : M; };
    if (a.kind == FeatureAtom::Const) {
      if (std::isnan(a.cval)) return M;
      return pick(eval_test(tr, op, a.cval, thr, off, size));
    }
    if (a.kind == FeatureAtom::Cat) {
      Prim p;
      p.kind = Prim::Cat;
      p.atom = a.atom;
      for (double v : a.vals)
        p.out.push_back(std::isnan(v) ? -1 : static_cast<int8_t>(eval_test(tr, op, v, thr, off, size)));
      p.t = T;
      p.f = F;
      p.m = M;
      return add(std::move(p));
    }
    const int32_t at = a.atom;
    switch (op) {
      case ir::SplitOp::LessOrEqual: return num_test(at, norm(thr), T, F, M);
      case ir::SplitOp::LessThan:
        return thr == -kInf ? num_test(at, kInf, F, F, M) : num_test(at, below(norm(thr)), T, F, M);
      case ir::SplitOp::GreaterThan: return num_test(at, norm(thr), F, T, M);
      case ir::SplitOp::GreaterOrEqual:
        return thr == -kInf ? num_test(at, kInf, T, T, M) : num_test(at, below(norm(thr)), F, T, M);
      case ir::SplitOp::Equal:
      case ir::SplitOp::NotEqual: {
        const int32_t yes = op == ir::SplitOp::Equal ? T : F, no = op == ir::SplitOp::Equal ? F : T;
        const double t = norm(thr);
        if (t == -kInf) return num_test(at, -kInf, yes, no, M);
        return num_test(at, below(t), no, num_test(at, t, yes, no, M), M);
      }
      case ir::SplitOp::InSet: {
        // The evaluator truncates to an integer code: code c covers [c, c+1).
        std::map<int64_t, int32_t> code_to;
        for (int32_t i = 0; i < size; ++i)
          code_to.emplace(tr.sets[off + i], tr.set_side.empty() || tr.set_side[off + i] ? T : F);
        const int32_t other = tr.set_side.empty() ? F : M;
        std::vector<std::pair<double, int32_t>> segs;  // (x < bound) -> target, in order
        int32_t cur = other;
        int64_t prev_end = std::numeric_limits<int64_t>::min();
        for (const auto& [c, tgt] : code_to) {
          if (c != prev_end && cur != other) {
            segs.push_back({static_cast<double>(prev_end), cur});
            cur = other;
          }
          if (cur != tgt) {
            segs.push_back({static_cast<double>(c), cur});
            cur = tgt;
          }
          prev_end = c + 1;
        }
        if (cur != other) segs.push_back({static_cast<double>(prev_end), cur});
        int32_t next = other;
        for (auto it = segs.rbegin(); it != segs.rend(); ++it)
          next = num_test(at, below(it->first), it->second, next, M);
        return next;
      }
      case ir::SplitOp::Leaf: break;
    }
    return M;
  }

  int32_t leaf(const ir::Tree& tr, int32_t n, double w) {
    const int K = te_.n_outputs;
    const double* v = &tr.values[static_cast<size_t>(n) * K];
    Prim p;
    p.kind = Prim::Leaf;
    p.vals.resize(K);
    // A node label that is the first most probable class anyway says nothing.
    int first_best = 0;
    for (int k = 1; k < K; ++k)
      if (v[k] > v[first_best]) first_best = k;
    const int32_t label = tr.label.empty() ? -1 : tr.label[n];
    switch (te_.aggregate) {
      case ir::Aggregate::Vote: {
        p.vals[label >= 0 ? label : first_best] = w;
        break;
      }
      case ir::Aggregate::Sum:
      case ir::Aggregate::Average: {
        bool all_nan = true;
        for (int k = 0; k < K; ++k) {
          p.vals[k] = w * v[k];
          all_nan &= std::isnan(p.vals[k]);
        }
        if (all_nan) return null_leaf();
        break;
      }
      default:
        for (int k = 0; k < K; ++k) p.vals[k] = v[k];
    }
    if (te_.aggregate != ir::Aggregate::Vote && label != first_best) p.label = label;
    return add(std::move(p));
  }
  int32_t null_leaf() {
    Prim p;
    p.kind = Prim::Null;
    return add(std::move(p));
  }

  int32_t lower(const ir::Tree& tr, int32_t n, double w, std::vector<int32_t>& memo) {
    if (memo[n] >= 0) return memo[n];
    if (tr.op[n] == ir::SplitOp::Leaf) return memo[n] = leaf(tr, n, w);
    const int32_t L = lower(tr, tr.left[n], w, memo), R = lower(tr, tr.right[n], w, memo);
    int32_t rule = -1;
    switch (tr.missing[n]) {
      case ir::MissingGo::Left: rule = L; break;
      case ir::MissingGo::Right: rule = R; break;
      case ir::MissingGo::Node: rule = lower(tr, tr.missing_child[n], w, memo); break;
      case ir::MissingGo::StopHere: rule = leaf(tr, n, w); break;
      case ir::MissingGo::Null: rule = null_leaf(); break;
      case ir::MissingGo::Majority: {
        if (tr.count.empty()) {
          rule = leaf(tr, n, w);
          break;
        }
        const double cl = tr.count[tr.left[n]], cr = tr.count[tr.right[n]];
        rule = cl == cr ? leaf(tr, n, w) : cl > cr ? L : R;
        break;
      }
    }
    int32_t next = rule;
    if (!tr.sur_size.empty())
      for (int32_t s = tr.sur_offset[n] + tr.sur_size[n] - 1; s >= tr.sur_offset[n]; --s) {
        const bool flip = tr.sur_flip[s] != 0;
        const bool set = tr.sur_op[s] == ir::SplitOp::InSet;
        next = test(tr, tr.sur_op[s], tr.sur_feature[s], tr.sur_threshold[s], set ? tr.sur_set_offset[s] : 0,
                    set ? tr.sur_set_size[s] : 0, flip ? R : L, flip ? L : R, next);
      }
    const bool set = tr.op[n] == ir::SplitOp::InSet && !tr.set_offset.empty();
    return memo[n] = test(tr, tr.op[n], tr.feature[n], tr.threshold[n], set ? tr.set_offset[n] : 0,
                          set ? tr.set_size[n] : 0, L, R, next);
  }

  // ---- canonical DAG ----
  int32_t cons(std::string head, std::vector<int32_t> refs, char kind = 'L', int32_t atom = -1,
               std::vector<double> cuts = {}) {
    std::string key = head;
    key += '\0';
    for (int32_t r : refs) put(key, r);
    auto [it, fresh] = cons_ids_.emplace(std::move(key), static_cast<int32_t>(cnodes_.size()));
    if (fresh) cnodes_.push_back({std::move(head), std::move(refs), kind, atom, std::move(cuts)});
    return it->second;
  }
  bool is_region(int32_t id, char kind, int32_t atom) const {
    return id >= 0 && cnodes_[id].kind == kind && cnodes_[id].atom == atom;
  }

  // The facts of `c` about the atoms that prim p's sub-DAG tests (the others cannot change its
  // form; leaving them out of the memo key keeps a chain of tests of distinct features linear).
  // The key is binary (fixed-width fields, so distinct facts give distinct keys); it never leaves
  // this object.
  template <class T>
  static void put(std::string& k, const T& v) {
    k.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void ctx_key(std::string& k, const Ctx& c, int32_t p) const {
    const std::vector<int32_t>* rel = relevant_.empty() ? nullptr : &relevant_[p];
    auto wanted = [&](int32_t key) { return !rel || std::binary_search(rel->begin(), rel->end(), key); };
    for (const auto& [a, f] : c.num)
      if (wanted(2 * a)) {
        k += 'n';
        put(k, a);
        put(k, f.lo);
        put(k, f.hi);
        put(k, f.miss);
      }
    for (const auto& [a, f] : c.cat) {
      if (!wanted(2 * a + 1)) continue;
      k += 'c';
      put(k, a);
      put(k, f.miss);
      put(k, static_cast<uint32_t>(f.codes.size()));
      for (auto b : f.codes) k += b ? '1' : '0';
    }
  }

  int32_t canon(int32_t p, const Ctx& ctx) {
    if (++calls_ > kMaxCalls) throw TooComplex{};
    std::string key;
    put(key, p);
    if (facts_) ctx_key(key, ctx, p);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    const Prim& P = prims_[p];
    int32_t id = -1;
    switch (P.kind) {
      case Prim::Leaf: {
        std::string head = "L";
        for (double v : P.vals) head += " " + h_.num(v);
        if (P.label >= 0) head += fmt::format(" @{}", P.label);
        id = cons(std::move(head), {});
        break;
      }
      case Prim::Null: id = cons("null", {}); break;
      case Prim::Num: id = canon_num(p, ctx); break;
      case Prim::Cat: id = canon_cat(p, ctx); break;
    }
    memo_.emplace(std::move(key), id);
    return id;
  }

  int32_t canon_num(int32_t p, const Ctx& ctx) {
    const int32_t atom = prims_[p].atom;
    NumFact nf;
    if (auto it = ctx.num.find(atom); facts_ && it != ctx.num.end()) nf = it->second;
    if (nf.miss == 2) return canon(prims_[p].m, ctx);
    auto in_region = [&](int32_t q) { return prims_[q].kind == Prim::Num && prims_[q].atom == atom; };
    // Boundaries of the region inside the known interval.
    std::vector<double> bounds;
    std::vector<int32_t> stack{p};
    std::vector<int32_t> seen;
    while (!stack.empty()) {
      const int32_t q = stack.back();
      stack.pop_back();
      if (std::find(seen.begin(), seen.end(), q) != seen.end()) continue;
      seen.push_back(q);
      const double t = prims_[q].thr;
      if (t > nf.lo && t < nf.hi) bounds.push_back(t);
      for (int32_t c : {prims_[q].t, prims_[q].f})
        if (in_region(c)) stack.push_back(c);
    }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    // Interval j is (lower_j, upper_j]; its representative is upper_j.
    const size_t n = bounds.size() + 1;
    std::vector<double> lower(n), upper(n);
    for (size_t j = 0; j < n; ++j) {
      lower[j] = j == 0 ? nf.lo : bounds[j - 1];
      upper[j] = j + 1 == n ? nf.hi : bounds[j];
    }
    std::vector<int32_t> target(n);
    for (size_t j = 0; j < n; ++j) {
      int32_t q = p;
      const double x = upper[j];
      while (in_region(q)) q = x <= prims_[q].thr ? prims_[q].t : prims_[q].f;
      target[j] = q;
    }
    // Each target under the facts of the intervals that reach it.
    std::map<int32_t, std::pair<double, double>> hull;
    for (size_t j = 0; j < n; ++j) {
      auto [it, fresh] = hull.emplace(target[j], std::make_pair(lower[j], upper[j]));
      if (!fresh) {
        it->second.first = std::min(it->second.first, lower[j]);
        it->second.second = std::max(it->second.second, upper[j]);
      }
    }
    std::map<int32_t, int32_t> ids;
    for (size_t j = 0; j < n; ++j) {
      if (ids.count(target[j])) continue;
      Ctx c = ctx;
      if (facts_) c.num[atom] = NumFact{hull[target[j]].first, hull[target[j]].second, 0};
      ids[target[j]] = canon(target[j], c);
    }
    // Pieces (upper bound, subtree); a subtree that is itself a region of this atom (tests that
    // path facts brought next to this one) is opened into its intervals.
    std::vector<double> cuts;
    std::vector<int32_t> refs;
    auto piece = [&](double up, int32_t id) {
      if (!refs.empty() && refs.back() == id) {
        cuts.back() = up;
        return;
      }
      refs.push_back(id);
      cuts.push_back(up);
    };
    for (size_t j = 0; j < n; ++j) {
      const int32_t id = ids[target[j]];
      if (!is_region(id, 'N', atom) || !(lower[j] < upper[j])) {
        piece(upper[j], id);
        continue;
      }
      const CNode inner = cnodes_[id];
      const size_t m = inner.cuts.size();
      for (size_t i = 0; i <= m; ++i) {
        const double lo = i == 0 ? -kInf : inner.cuts[i - 1], hi = i == m ? kInf : inner.cuts[i];
        if (std::max(lo, lower[j]) < std::min(hi, upper[j])) piece(std::min(hi, upper[j]), inner.refs[i]);
      }
    }
    cuts.pop_back();  // the last interval ends at the known upper bound
    int32_t miss = kNone;
    if (nf.miss == 1) {
      Ctx c = ctx;
      if (facts_) c.num[atom] = NumFact{nf.lo, nf.hi, 2};
      int32_t q = prims_[p].m;
      while (in_region(q)) q = prims_[q].m;  // tests of a missing value on the same atom
      miss = canon(q, c);
    }
    if (is_region(miss, 'N', atom)) miss = cnodes_[miss].refs.back();
    if (refs.size() == 1 && (miss == kNone || miss == refs[0])) return refs[0];
    std::string head = "N " + num_keys_[atom] + (f32_ ? " f32 " : " f64 ") + std::to_string(cuts.size());
    for (double b : cuts) head += " " + h_.num(b);
    refs.push_back(miss);
    return cons(std::move(head), std::move(refs), 'N', atom, std::move(cuts));
  }

  int32_t canon_cat(int32_t p, const Ctx& ctx) {
    const int32_t input = prims_[p].atom;
    const size_t L = prims_[p].out.size();
    CatFact cf;
    cf.codes.assign(L, 1);
    if (auto it = ctx.cat.find(input); facts_ && it != ctx.cat.end()) cf = it->second;
    auto in_region = [&](int32_t q) { return prims_[q].kind == Prim::Cat && prims_[q].atom == input; };
    // Target of each possible code; codes sent to a missing exit keep "present" facts.
    std::vector<int32_t> target(L, kNever);
    for (size_t k = 0; k < L; ++k) {
      if (!cf.codes[k]) continue;
      int32_t q = p;
      while (in_region(q)) {
        // A code with no direction takes the missing exit; a test there on the same factor still
        // knows the code.
        const int8_t o = k < prims_[q].out.size() ? prims_[q].out[k] : -1;
        q = o > 0 ? prims_[q].t : o == 0 ? prims_[q].f : prims_[q].m;
      }
      target[k] = q;
    }
    int32_t miss_target = kNever;
    if (cf.miss) {
      miss_target = prims_[p].m;
      while (in_region(miss_target)) miss_target = prims_[miss_target].m;
    }
    std::map<int32_t, CatFact> groups;
    auto group = [&](int32_t t) -> CatFact& {
      auto [it, fresh] = groups.emplace(t, CatFact{});
      if (fresh) {
        it->second.codes.assign(L, 0);
        it->second.miss = 0;
      }
      return it->second;
    };
    for (size_t k = 0; k < L; ++k)
      if (target[k] != kNever) group(target[k]).codes[k] = 1;
    if (miss_target != kNever) {
      CatFact& g = group(miss_target);
      bool any = false;
      for (auto b : g.codes) any |= b != 0;
      g.miss = any ? 1 : 2;
    }
    std::map<int32_t, int32_t> ids;
    for (auto& [t, g] : groups) {
      Ctx c = ctx;
      if (facts_) c.cat[input] = g;
      ids[t] = canon(t, c);
    }
    std::vector<int32_t> refs;
    int32_t only = kNever;
    bool same = true;
    for (size_t k = 0; k < L; ++k) {
      int32_t id = target[k] == kNever ? kNever : ids[target[k]];
      if (is_region(id, 'C', input) && k < cnodes_[id].refs.size() - 1) id = cnodes_[id].refs[k];
      refs.push_back(id);
      if (id == kNever) continue;
      if (only == kNever) only = id;
      same &= id == only;
    }
    int32_t miss = miss_target == kNever ? kNone : ids[miss_target];
    if (is_region(miss, 'C', input)) miss = cnodes_[miss].refs.back();
    if (same && only != kNever && (miss == kNone || miss == only)) return only;
    if (only == kNever && miss != kNone) return miss;
    refs.push_back(miss);
    return cons(fmt::format("C {} {}", h_.input_rank(input), L), std::move(refs), 'C', input);
  }

  std::string tree_form(const ir::Tree& tr, double w, bool facts) {
    prims_.clear();
    memo_.clear();
    cons_ids_.clear();
    cnodes_.clear();
    calls_ = 0;
    facts_ = facts;
    std::vector<int32_t> lower_memo(tr.op.size(), -1);
    const int32_t root = lower(tr, 0, w, lower_memo);
    relevant_atoms();
    const int32_t croot = canon(root, Ctx{});
    // Post-order numbering from the root.
    std::vector<int32_t> number(cnodes_.size(), -1);
    std::string body;
    int32_t next = 0;
    std::vector<std::pair<int32_t, size_t>> stack{{croot, 0}};
    while (!stack.empty()) {
      auto& [id, child] = stack.back();
      const CNode& c = cnodes_[id];
      if (child < c.refs.size()) {
        const int32_t r = c.refs[child++];
        if (r >= 0 && number[r] < 0) stack.push_back({r, 0});
        continue;
      }
      if (number[id] < 0) {
        number[id] = next++;
        body += c.head;
        for (int32_t r : c.refs) body += r == kNone ? " -" : r == kNever ? " x" : " " + std::to_string(number[r]);
        body += " ; ";
      }
      stack.pop_back();
    }
    return fmt::format("tree {} {}", next, body);
  }

  // relevant_[p]: the atoms prim p's sub-DAG tests, sorted (2a: numeric atom a, 2a+1: factor a);
  // children are made before their parents, so one pass in index order.  Left empty (every fact
  // in the key) when the sets would exceed a budget.
  void relevant_atoms() {
    relevant_.clear();
    if (!facts_) return;
    std::vector<std::vector<int32_t>> rel(prims_.size());
    size_t total = 0;
    for (size_t p = 0; p < prims_.size(); ++p) {
      const Prim& P = prims_[p];
      if (P.kind != Prim::Num && P.kind != Prim::Cat) continue;
      auto& r = rel[p];
      r.push_back(P.kind == Prim::Num ? 2 * P.atom : 2 * P.atom + 1);
      for (int32_t c : {P.t, P.f, P.m}) {
        if (c < 0) continue;
        if (static_cast<size_t>(c) >= p) return;  // not children-first: keep every fact in the key
        r.insert(r.end(), rel[c].begin(), rel[c].end());
      }
      std::sort(r.begin(), r.end());
      r.erase(std::unique(r.begin(), r.end()), r.end());
      if ((total += r.size()) > kMaxRelevant) return;
    }
    relevant_ = std::move(rel);
  }

  static constexpr int64_t kMaxCalls = 2'000'000;
  static constexpr size_t kMaxRelevant = 16'000'000;
  std::vector<std::vector<int32_t>> relevant_;
  const ir::Model& m_;
  const ir::TreeEnsemble& te_;
  const TreeCanonHooks& h_;
  bool f32_ = false, facts_ = true;
  std::vector<FeatureAtom> atoms_;
  std::map<std::string, int32_t> num_ids_;
  std::vector<std::string> num_keys_;
  std::vector<Prim> prims_;
  std::unordered_map<std::string, int32_t> memo_;
  std::unordered_map<std::string, int32_t> cons_ids_;
  std::vector<CNode> cnodes_;
  int64_t calls_ = 0;
};

}  // namespace

void write_tree_forms(const ir::Model& m, const ir::TreeEnsemble& te, size_t first_tree, size_t last_tree,
                      const TreeCanonHooks& hooks, std::string& out, std::vector<std::string>* per_tree) {
  TreeCanon(m, te, hooks).write(out, first_tree, last_tree, per_tree, hooks.drain);
}

}  // namespace mb::canon::detail
