// e1071::svm objects (docs/r-objects.md, "e1071 svm").
//
// predict.svm builds the model matrix (formula interface: `$terms` with intercept 0, so a factor
// gets one indicator column per level; x/y interface: the columns of `$SV`), scales the columns
// flagged in `$scaled` by `$x.scale` ((x - center) / scale), and calls libsvm with `$SV` (already
// scaled), `$coefs`, `$rho`, `$nSV`, `$labels` and the kernel parameters.  Regression output is
// unscaled by `$y.scale` when any input column was scaled.  The scaling becomes feature
// expressions; everything libsvm reads goes into ir::Svm unchanged.
#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace {

// A named numeric element of `$x.scale` / `$y.scale` ("scaled:center", "scaled:scale").
std::vector<double> scale_part(const RObject& list, const char* name, const std::string& file,
                               const std::string& path) {
  const RObject* o = list.get(name);
  if (!o || !o->is_numeric()) throw Error(file, path + "$`" + name + "`", "expected the scaling values");
  return o->numbers();
}

// R's make.names() for the characters model.matrix column names carry: invalid ones become '.'.
std::string make_names(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
          (static_cast<unsigned char>(c) & 0x80)))
      c = '.';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) || out[0] == '_' ||
      (out[0] == '.' && out.size() > 1 && std::isdigit(static_cast<unsigned char>(out[1]))))
    out = "X" + out;
  return out;
}

// svm.formula keeps no `$xlevels`: predict() codes the factors by the levels of the new data.
// The training levels survive only in the support-vector column names, passed through
// make.names().  Levels come from `hints` when given, else from those names when a factor was
// coded with one column per level and the names are unambiguous (no '.' in a level).  Returns
// a copy of `root` with `$xlevels` added, or nullptr when nothing is needed; `inferred` gets the
// variables whose levels were read from the names.  Those names cannot tell a factor coded by
// contrasts (its first level has no column) nor a column of another variable whose name begins
// with the factor's: import_svm checks that the levels rebuild the support-vector columns.
RPtr with_levels(const RObject& root, const std::vector<std::string>& sv_names, const SvmLevelHints& hints,
                 const std::string& file, const std::string& source, std::vector<std::string>& inferred) {
  if (root.get("xlevels")) return nullptr;
  const RObject* terms = root.get("terms");
  const RObject* classes = terms ? terms->attr("dataClasses") : nullptr;
  if (!classes || classes->type != RType::Character) return nullptr;
  const std::vector<std::string> vars = classes->names();
  const RObject* response = terms->attr("response");
  const RObject* variables = terms->attr("variables");
  std::string response_name;
  if (response && response->is_numeric() && response->length() == 1 && response->number(0) == 1 && variables &&
      variables->type == RType::Language && variables->elements.size() > 1 &&
      variables->elements[1]->type == RType::Symbol)
    response_name = variables->elements[1]->text;
  auto list = std::make_shared<RObject>();
  list->type = RType::List;
  auto names = std::make_shared<RObject>();
  names->type = RType::Character;
  for (size_t v = 0; v < vars.size() && v < classes->length(); ++v) {
    const std::string kind = classes->strings[v] ? *classes->strings[v] : "";
    if (kind != "factor" && kind != "ordered" && kind != "character") continue;
    if (vars[v] == response_name) continue;
    std::vector<std::string> levels;
    if (auto it = hints.find(vars[v]); it != hints.end()) {
      levels = it->second;
    } else {
      const std::string prefix = make_names(vars[v]);
      auto other_variable = [&](const std::string& c) {  // "gz" is variable gz's column, not g's level z
        for (const auto& w : vars)
          if (w != vars[v] && make_names(w) == c) return true;
        return false;
      };
      for (const auto& c : sv_names)
        if (c.size() > prefix.size() && c.compare(0, prefix.size(), prefix) == 0 && !other_variable(c) &&
            c.find('.', prefix.size()) == std::string::npos)  // "cylf6.wt" is an interaction column
          levels.push_back(c.substr(prefix.size()));
      bool clear = levels.size() >= 2;
      for (const auto& l : levels) clear &= l.find('.') == std::string::npos && make_names(prefix + l) == prefix + l;
      if (!clear)
        throw Error(file, "$xlevels",
                    fmt::format("{} stores no factor levels; those of '{}' cannot be read back from the "
                                "support-vector column names (make.names() changed them or a level has no column); "
                                "give the training levels",
                                source, vars[v]));
      inferred.push_back(vars[v]);
    }
    auto lv = std::make_shared<RObject>();
    lv->type = RType::Character;
    for (auto& l : levels) lv->strings.emplace_back(l);
    list->elements.push_back(lv);
    names->strings.emplace_back(vars[v]);
  }
  if (list->elements.empty()) return nullptr;
  list->attributes.emplace_back("names", names);
  auto copy = std::make_shared<RObject>(root);
  auto root_names = std::make_shared<RObject>();
  root_names->type = RType::Character;
  for (auto& n : root.names()) root_names->strings.emplace_back(n);
  root_names->strings.emplace_back("xlevels");
  for (auto& [k, a] : copy->attributes)
    if (k == "names") a = root_names;
  copy->elements.push_back(list);
  return copy;
}

}  // namespace

std::string svm_make_names(const std::string& s) { return make_names(s); }

ir::Model import_svm(const RObject& root, const std::string& file) { return import_svm(root, file, SvmLevelHints{}); }

ir::Model import_svm(const RObject& root, const std::string& file, const SvmLevelHints& hints) {
  return import_svm_layout(root, file, hints, "svm.formula");
}

ir::Model import_svm_layout(const RObject& root_in, const std::string& file, const SvmLevelHints& hints,
                            const std::string& source) {
  const Member input(root_in, file);
  ir::Model m;
  const double type = input["type"].number();
  const double kernel = input["kernel"].number();
  if (!(type >= 0 && type <= 4 && type == std::floor(type)))
    throw Error(file, "$type", fmt::format("unknown svm type {}", type));
  if (input.flag("sparse", false))
    throw Error(file, "$sparse", "svm fitted on a sparse matrix (SparseM support vectors) is not supported");
  const bool classification = type < 2;
  const bool one_class = type == 2;

  ir::Svm svm;
  static const ir::Kernel kKernels[] = {ir::Kernel::Linear, ir::Kernel::Polynomial, ir::Kernel::Radial,
                                        ir::Kernel::Sigmoid};
  if (!(kernel >= 0 && kernel <= 3 && kernel == std::floor(kernel)))
    throw Unsupported(file, "$kernel",
                      fmt::format("unsupported kernel {} (0 linear, 1 polynomial, 2 radial, 3 sigmoid)", kernel));
  svm.kernel = kKernels[static_cast<int>(kernel)];
  svm.gamma = input["gamma"].number();
  svm.coef0 = input["coef0"].number();
  svm.degree = input["degree"].number();
  if (svm.kernel == ir::Kernel::Polynomial && !(svm.degree >= 0 && svm.degree <= 1e6))
    throw Error(file, "$degree", "expected a non-negative polynomial degree");
  // predict.svm passes the degree to libsvm as an integer.
  svm.degree = std::trunc(svm.degree);

  const Matrix sv = input["SV"].matrix();
  const size_t n_sv = sv.rows, F = sv.cols;
  if (n_sv == 0) throw Error(file, "$SV", "the model has no support vectors (R: \"Model is empty!\")");
  svm.n_sv = static_cast<int32_t>(n_sv);
  svm.support_vectors.resize(n_sv * F);
  for (size_t s = 0; s < n_sv; ++s)
    for (size_t f = 0; f < F; ++f) svm.support_vectors[s * F + f] = sv.at(s, f);

  // Model-matrix columns, before scaling.
  std::vector<ir::Feature> columns;
  Design d;
  const bool formula = root_in.get("terms") != nullptr && !root_in.get("terms")->is_null();
  RPtr patched;
  std::vector<std::string> inferred;  // factors whose levels were read from the column names
  if (formula) patched = with_levels(root_in, sv.colnames, hints, file, source, inferred);
  const RObject& root = patched ? *patched : root_in;
  const Member obj(root, file);
  if (formula) {
    d = build_design(root, file);
    if (d.offset) throw Error(file, "$terms@offset", "offsets in svm models are not supported");
    if (d.intercept) throw Error(file, "$terms@intercept", "expected the intercept-free terms svm.formula stores");
    if (!inferred.empty() && sv.colnames.size() == F) {
      // Every column naming an inferred factor must come back under its support-vector name:
      // levels {b, c} read from "gb", "gc" of a factor coded by contrasts (levels a, b, c) would
      // code b as the baseline and score every row wrong.
      auto names_inferred = [&](const std::string& col) {
        for (const auto& v : inferred)
          if (col.find(make_names(v)) != std::string::npos) return true;
        return false;
      };
      std::string mismatch;
      for (size_t c = 0; c < std::max(F, d.columns.size()) && mismatch.empty(); ++c) {
        const std::string ours = c < d.columns.size() ? make_names(d.columns[c].name) : "(none)";
        const std::string theirs = c < F ? sv.colnames[c] : "(none)";
        if (ours != theirs && (names_inferred(ours) || names_inferred(theirs) || d.columns.size() != F))
          mismatch = fmt::format("column {} is '{}', the levels read back give '{}'", c + 1, theirs, ours);
      }
      if (!mismatch.empty()) {
        std::string vars;  // the inferred factors the mismatching column names (all when none does)
        for (const auto& v : inferred)
          if (mismatch.find(make_names(v)) != std::string::npos) vars += (vars.empty() ? "'" : ", '") + v + "'";
        if (vars.empty())
          for (const auto& v : inferred) vars += (vars.empty() ? "'" : ", '") + v + "'";
        throw Error(file, "$xlevels",
                    fmt::format("{} stores no factor levels, and those of {} read back from the "
                                "support-vector column names do not rebuild them ({}): a factor coded by "
                                "contrasts has no column for its first level, or another column's name begins "
                                "with the factor's; give the training levels (--levels VAR=L1,L2,...)",
                                source, vars, mismatch));
      }
    }
    if (d.columns.size() != F)
      throw Error(
          file, "$SV",
          fmt::format("{} support-vector columns for {} model-matrix columns built from $terms", F, d.columns.size()));
    for (auto& c : d.columns) columns.push_back({c.name, std::move(c.expr)});
  } else {
    if (sv.colnames.size() != F)
      throw Error(file, "$SV@dimnames", "svm fitted on a matrix without column names: the inputs have no names");
    for (size_t f = 0; f < F; ++f) {
      ir::InputField in;
      in.name = sv.colnames[f];
      d.inputs.push_back(in);
      columns.push_back({sv.colnames[f], ir::Expr::input(static_cast<int32_t>(f))});
    }
  }

  // Scaling of the flagged columns.
  std::vector<double> scaled_flags;
  if (const RObject* sc = root.get("scaled"); sc && sc->is_numeric()) scaled_flags = sc->numbers();
  if (scaled_flags.size() == 1) scaled_flags.assign(F, scaled_flags[0]);
  if (!scaled_flags.empty() && scaled_flags.size() != F)
    throw Error(file, "$scaled", fmt::format("{} scaling flags for {} columns", scaled_flags.size(), F));
  size_t n_scaled = 0;
  for (double v : scaled_flags) n_scaled += (v != 0 && !std::isnan(v));
  std::vector<double> center, scale;
  if (n_scaled > 0) {
    const RObject* xs = root.get("x.scale");
    if (!xs || xs->type != RType::List)
      throw Error(file, "$x.scale", "expected the input scaling of the scaled columns");
    center = scale_part(*xs, "scaled:center", file, "$x.scale");
    scale = scale_part(*xs, "scaled:scale", file, "$x.scale");
    if (center.size() != n_scaled || scale.size() != n_scaled)
      throw Error(file, "$x.scale",
                  fmt::format("{} centres and {} scales for {} scaled columns", center.size(), scale.size(), n_scaled));
  }
  size_t k = 0;
  for (size_t f = 0; f < F; ++f) {
    ir::Feature feat = std::move(columns[f]);
    if (!scaled_flags.empty() && scaled_flags[f] != 0 && !std::isnan(scaled_flags[f])) {
      feat.expr = ir::Expr::binary(ir::Op::Div,
                                   ir::Expr::binary(ir::Op::Sub, std::move(feat.expr), ir::Expr::constant(center[k])),
                                   ir::Expr::constant(scale[k]));
      ++k;
    }
    m.features.push_back(std::move(feat));
  }

  const std::vector<double> coefs = obj["coefs"].numbers();
  svm.rho = obj["rho"].numbers();
  std::string family;
  if (classification) {
    const std::vector<std::string> levels = obj["levels"].strings();
    const std::vector<double> labels = obj["labels"].numbers();
    const std::vector<double> nsv = obj["nSV"].numbers();
    const size_t K = labels.size();
    if (K < 2) throw Error(file, "$labels", "a classifier needs at least two classes");
    if (nsv.size() != K)
      throw Error(file, "$nSV", fmt::format("{} support-vector counts for {} classes", nsv.size(), K));
    double total = 0;
    for (size_t i = 0; i < K; ++i) {
      if (!(labels[i] >= 1 && labels[i] <= static_cast<double>(levels.size())))
        throw Error(file, fmt::format("$labels[{}]", i), "class code out of range of $levels");
      if (!(nsv[i] >= 0 && nsv[i] <= static_cast<double>(n_sv)))
        throw Error(file, fmt::format("$nSV[{}]", i),
                    fmt::format("expected a count from 0 to {}, found {}", n_sv, nsv[i]));
      svm.class_order.push_back(static_cast<int32_t>(labels[i]) - 1);
      svm.sv_per_class.push_back(static_cast<int32_t>(nsv[i]));
      total += nsv[i];
    }
    if (total != static_cast<double>(n_sv))
      throw Error(file, "$nSV", fmt::format("counts add up to {}, but $SV has {} rows", total, n_sv));
    if (coefs.size() != (K - 1) * n_sv)
      throw Error(file, "$coefs", fmt::format("expected {} x {} coefficients", n_sv, K - 1));
    if (svm.rho.size() != K * (K - 1) / 2)
      throw Error(file, "$rho", fmt::format("expected {} values for {} classes", K * (K - 1) / 2, K));
    if (obj.flag("compprob", false)) {
      svm.prob_a = obj["probA"].numbers();
      svm.prob_b = obj["probB"].numbers();
      if (svm.prob_a.size() != svm.rho.size() || svm.prob_b.size() != svm.rho.size())
        throw Error(file, "$probA", "expected one Platt pair per pair of classes");
    }
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = levels;
    if (svm.prob_a.empty())
      warn(m, "svm-no-probabilities",
           "the svm was fitted without probability = TRUE: class probabilities are the pairwise vote "
           "shares, the class is the vote winner");
    family = fmt::format("svm {}-classification ({} classes{})", type == 0 ? "C" : "nu", K,
                         svm.prob_a.empty() ? "" : ", probabilities");
  } else if (one_class) {
    // predict.svm answers TRUE where the decision value sum_s coef_s K(x, s) - rho is > 0.  That
    // is libsvm's two-class rule with every support vector in the first class and that class
    // TRUE, so the machine is held as a two-class classifier of the levels FALSE and TRUE.
    if (coefs.size() != n_sv) throw Error(file, "$coefs", fmt::format("expected {} coefficients", n_sv));
    if (svm.rho.size() != 1) throw Error(file, "$rho", "expected one value");
    svm.sv_per_class = {static_cast<int32_t>(n_sv), 0};
    svm.class_order = {1, 0};
    m.schema.target.task = ir::Task::Classification;
    m.schema.target.classes = {"FALSE", "TRUE"};
    warn(m, "svm-one-class",
         "one-class svm: the class is predict()'s TRUE (decision value > 0, inside the support) or FALSE; "
         "the probabilities are 0/1 indicators of that class, and the decision value itself is not output");
    family = "svm one-classification";
  } else {
    if (coefs.size() != n_sv) throw Error(file, "$coefs", fmt::format("expected {} coefficients", n_sv));
    if (svm.rho.size() != 1) throw Error(file, "$rho", "expected one value");
    const RObject* ys = root.get("y.scale");
    if (n_scaled > 0 && ys && ys->type == RType::List) {
      const std::vector<double> c = scale_part(*ys, "scaled:center", file, "$y.scale");
      const std::vector<double> s = scale_part(*ys, "scaled:scale", file, "$y.scale");
      if (c.size() != 1 || s.size() != 1) throw Error(file, "$y.scale", "expected one centre and one scale");
      svm.center = c[0];
      svm.scale = s[0];
    }
    family = fmt::format("svm {}-regression", type == 3 ? "eps" : "nu");
  }
  svm.coefficients = coefs;
  static const char* kKernelNames[] = {"linear", "polynomial", "radial", "sigmoid"};
  family += fmt::format(", {} kernel, {} support vectors", kKernelNames[static_cast<int>(kernel)], n_sv);
  m.estimator = std::move(svm);
  adopt_design(m, d);
  if (n_scaled > 0)
    m.provenance.preprocessing.push_back(fmt::format("{} of {} columns centred and scaled ($x.scale)", n_scaled, F));
  m.provenance.source_class = formula ? "svm.formula" : "svm";
  m.provenance.family = family;
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
