#include "tools/options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace mb::cli {

void add_import(CLI::App& c, ImportOptions& o) {
  c.add_option("--levels", o.levels,
               "levels of an R factor the object does not store (randomForest "
               "ordered factors, ranger, svm and ksvm formulas); repeatable")
      ->option_text("VAR=L1,L2,...")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.add_option("--lambda", o.lambda,
               "the penalty s a glmnet model predicts at: a number, or lambda.min / lambda.1se for cv.glmnet "
               "(default: the last lambda of a glmnet path, lambda.1se for cv.glmnet)")
      ->option_text("S");
  c.add_option("--nb-threshold", o.nb_threshold,
               "naiveBayes: the threshold R's predict() puts in place of probabilities and standard deviations <= 0 "
               "(default 0.001, R's default)")
      ->check(nonnegative_number())
      ->option_text("T");
  c.add_option("--n-trees", o.n_trees,
               "gbm: the number of trees to predict with, or all (default: as R's predict() without n.trees, the "
               "best iteration of a fit with validation rows or cross-validation, else all)")
      ->option_text("N|all");
}

void add_tolerance(CLI::App& c, Tolerance& t) {
  c.add_option("--rtol", t.rtol, "relative tolerance of the agreement rule (default 1e-9)")
      ->check(nonnegative_number())
      ->option_text("R");
  c.add_option("--atol", t.atol, "absolute tolerance of the agreement rule (default 1e-12)")
      ->check(nonnegative_number())
      ->option_text("A");
}

void add_delimiter(CLI::App& c, char& delimiter) {
  c.add_option_function<std::string>(
       "--delimiter", [&delimiter](const std::string& s) { delimiter = s == "tab" || s == "\\t" ? '\t' : s[0]; },
       "field separator of the data CSV: one character such as ';', or tab (default ',')")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            if (s == "tab" || s == "\\t") return {};
            if (s.size() != 1) return fmt::format("expects one character or tab, not '{}'", s);
            if (s[0] == '"' || s[0] == '\n' || s[0] == '\r') return "the quote and line ends cannot separate fields";
            return {};
          },
          ""))
      ->option_text("C");
}

namespace {
bool read_double(const std::string& s, double& v) {
  const char* b = s.data();
  const char* e = b + s.size();
  auto r = std::from_chars(b, e, v);
  return r.ec == std::errc() && r.ptr == e;
}
}  // namespace

CLI::Validator nonnegative_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        double v = 0;
        if (!read_double(s, v)) return fmt::format("expects a number, not '{}'", s);
        if (!(v >= 0)) return fmt::format("expects a number >= 0, not {}", s);
        return {};
      },
      "");
}

CLI::Validator integer_in(long lo, long hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        long v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size())
          return fmt::format("expects a whole number, not '{}'", s);
        if (v < lo || v > hi) return fmt::format("expects a whole number from {} to {}, not {}", lo, hi, s);
        return {};
      },
      "");
}

CLI::Validator one_of(std::initializer_list<const char*> values) {
  std::vector<std::string> vs(values.begin(), values.end());
  return CLI::Validator(
      [vs](std::string& s) -> std::string {
        for (const auto& v : vs)
          if (s == v) return {};
        return fmt::format("expects one of {}; not '{}'", fmt::join(vs, ", "), s);
      },
      "");
}

}  // namespace mb::cli
