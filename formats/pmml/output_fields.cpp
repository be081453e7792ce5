// PMML OutputFields evaluated from a model's results (output_fields.hpp).
#include "formats/pmml/output_fields.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "formats/pmml/common.hpp"
#include "lib/util/error.hpp"
#include "lib/util/errors.hpp"

namespace mb::pmml {

using namespace detail;

struct OutputFields::Node {
  enum Kind { Const, Ref, Apply } kind = Const;
  double value = 0;
  std::string name;  // Ref: the OutputField; Apply: the function
  std::vector<std::shared_ptr<const Node>> args;
};

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::set<std::string> kFunctions = {"+",  "-",     "*",    "/",   "min", "max",   "sum",  "avg",   "exp",
                                          "ln", "log10", "sqrt", "abs", "pow", "floor", "ceil", "round", "threshold"};

std::shared_ptr<const OutputFields::Node> parse(const Locator& loc, const pugi::xml_node& n,
                                                const std::set<std::string>& earlier) {
  auto out = std::make_shared<OutputFields::Node>();
  if (is(n, "Constant")) {
    out->kind = OutputFields::Node::Const;
    out->value = loc.text_number(n);
  } else if (is(n, "FieldRef")) {
    out->kind = OutputFields::Node::Ref;
    out->name = loc.attr(n, "field");
    if (!earlier.count(out->name))
      loc.unsupported(n, fmt::format("unsupported: FieldRef to '{}', which is not an earlier OutputField", out->name));
  } else if (is(n, "Apply")) {
    out->kind = OutputFields::Node::Apply;
    out->name = loc.attr(n, "function");
    if (!kFunctions.count(out->name))
      loc.unsupported(n, fmt::format("unsupported: function '{}' in an OutputField", out->name));
    for (auto a : elements(n)) out->args.push_back(parse(loc, a, earlier));
    const size_t k = out->args.size();
    const bool unary = out->name == "exp" || out->name == "ln" || out->name == "log10" || out->name == "sqrt" ||
                       out->name == "abs" || out->name == "floor" || out->name == "ceil" || out->name == "round";
    const bool binary = out->name == "-" || out->name == "/" || out->name == "pow" || out->name == "threshold";
    if ((unary && k != 1) || (binary && k != 2) || k == 0)
      loc.fail(n, fmt::format("function '{}' with {} argument{}", out->name, k, k == 1 ? "" : "s"));
  } else {
    loc.unsupported(n, fmt::format("unsupported: {} in an OutputField", std::string(local_name(n))));
  }
  return out;
}

}  // namespace

OutputFields OutputFields::read(std::string_view text, const std::string& file) {
  OutputFields out;
  out.file_ = file;
  pugi::xml_document doc;
  if (!doc.load_buffer(text.data(), text.size())) throw Error(file, "", "not a well-formed XML document");
  const Locator loc(text, file);
  pugi::xml_node model;
  for (auto c : elements(doc.document_element())) {
    const std::string_view n = local_name(c);
    if (n.size() > 5 && n.substr(n.size() - 5) == "Model" && n != "MiningBuildTask") {
      model = c;
      break;
    }
    if (n == "NeuralNetwork" || n == "Scorecard") {
      model = c;
      break;
    }
  }
  if (!model) return out;
  std::set<std::string> earlier;
  for (auto of : children(child(model, "Output"), "OutputField")) {
    Field f;
    f.name = loc.attr(of, "name");
    f.feature = of.attribute("feature") ? of.attribute("feature").value() : "predictedValue";
    f.value = of.attribute("value").value();
    if (f.feature == "transformedValue") {
      std::vector<pugi::xml_node> e = elements(of);
      e.erase(std::remove_if(e.begin(), e.end(), [](const pugi::xml_node& x) { return is(x, "Decisions"); }), e.end());
      if (e.size() != 1) loc.fail(of, "a transformedValue OutputField needs one expression");
      f.expr = parse(loc, e[0], earlier);
    } else if (f.feature == "probability") {
      if (f.value.empty()) loc.unsupported(of, "unsupported: a probability OutputField without 'value'");
    } else if (f.feature != "predictedValue" && f.feature != "predictedDisplayValue") {
      // Read for the record, refused only when evaluated.
    }
    earlier.insert(f.name);
    out.fields_.push_back(std::move(f));
  }
  return out;
}

bool OutputFields::has(const std::string& name) const {
  return std::any_of(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == name; });
}

double OutputFields::value(const std::string& name, double predicted,
                           const std::map<std::string, double>& probability) const {
  auto field = std::find_if(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == name; });
  if (field == fields_.end()) throw Error(file_, "Output", fmt::format("no OutputField '{}'", name));
  const Field& f = *field;
  if (f.feature == "predictedValue" || f.feature == "predictedDisplayValue") return predicted;
  if (f.feature == "probability") {
    auto it = probability.find(f.value);
    return it == probability.end() ? kNaN : it->second;
  }
  if (f.feature != "transformedValue")
    throw Unsupported(file_, "OutputField '" + name + "'", "unsupported: OutputField feature '" + f.feature + "'");
  std::function<double(const Node&)> ev = [&](const Node& n) -> double {
    switch (n.kind) {
      case Node::Const: return n.value;
      case Node::Ref: return value(n.name, predicted, probability);
      case Node::Apply: break;
    }
    std::vector<double> a;
    for (const auto& x : n.args) a.push_back(ev(*x));
    for (double x : a)
      if (std::isnan(x)) return kNaN;
    const std::string& fn = n.name;
    if (fn == "+" || fn == "sum") {
      double s = 0;
      for (double x : a) s += x;
      return s;
    }
    if (fn == "*") {
      double s = 1;
      for (double x : a) s *= x;
      return s;
    }
    if (fn == "-") return a[0] - a[1];
    if (fn == "/") return a[0] / a[1];
    if (fn == "min") return *std::min_element(a.begin(), a.end());
    if (fn == "max") return *std::max_element(a.begin(), a.end());
    if (fn == "avg") {
      double s = 0;
      for (double x : a) s += x;
      return s / static_cast<double>(a.size());
    }
    if (fn == "exp") return std::exp(a[0]);
    if (fn == "ln") return std::log(a[0]);
    if (fn == "log10") return std::log10(a[0]);
    if (fn == "sqrt") return std::sqrt(a[0]);
    if (fn == "abs") return std::fabs(a[0]);
    if (fn == "pow") return std::pow(a[0], a[1]);
    if (fn == "floor") return std::floor(a[0]);
    if (fn == "ceil") return std::ceil(a[0]);
    if (fn == "round") return std::round(a[0]);
    if (fn == "threshold") return a[0] > a[1] ? 1.0 : 0.0;
    return kNaN;
  };
  return ev(*f.expr);
}

}  // namespace mb::pmml
