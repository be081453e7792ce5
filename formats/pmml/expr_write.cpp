// ir::Expr -> PMML expressions (Constant, FieldRef, Apply, NormDiscrete, MapValues, Discretize),
// and the document parts the linear and tree writers share.
#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "formats/pmml/common.hpp"
#include "formats/pmml/writer_context.hpp"
#include "lib/util/errors.hpp"

namespace mb::pmml::detail {

using ir::Expr;
using ir::Op;

std::string NameTable::unique(const std::string& base) {
  std::string name = base.empty() ? "field" : base;
  for (int k = 2; used_.count(name); ++k) name = fmt::format("{}_{}", base, k);
  used_.insert(name);
  return name;
}

void ExprWriter::warn(const std::string& code, const std::string& msg) {
  for (const auto& w : warnings_)
    if (w.code == code && w.message == msg) return;
  warnings_.push_back({code, msg});
}

pugi::xml_node ExprWriter::apply(pugi::xml_node parent, const char* fn) {
  auto a = parent.append_child("Apply");
  a.append_attribute("function") = fn;
  return a;
}

void ExprWriter::constant(pugi::xml_node parent, double v) {
  auto c = parent.append_child("Constant");
  c.append_attribute("dataType") = "double";
  if (std::isnan(v)) c.append_attribute("missing") = "true";
  else c.text() = format_double(v).c_str();
}

pugi::xml_node ExprWriter::derived_field(pugi::xml_node parent, const std::string& name, const Expr& e) {
  auto df = parent.append_child("DerivedField");
  df.append_attribute("name") = name.c_str();
  df.append_attribute("optype") = "continuous";
  df.append_attribute("dataType") = "double";
  num(df, e);
  return df;
}

std::string ExprWriter::field_for(const Expr& e, const std::string& hint) {
  if (e.op == Op::Input && !m_.schema.inputs[e.index].is_categorical()) return m_.schema.inputs[e.index].name;
  if (e.op == Op::Derived) return derived_names[e.index];
  const std::string name = names_.unique(hint);
  derived_field(helpers, name, e);
  return name;
}

void ExprWriter::num(pugi::xml_node parent, const Expr& e) {
  const auto& inputs = m_.schema.inputs;
  auto binary = [&](const char* fn) {
    auto a = apply(parent, fn);
    num(a, e.args[0]);
    num(a, e.args[1]);
  };
  auto unary = [&](const char* fn) { num(apply(parent, fn), e.args[0]); };
  auto level_map = [&](int input, const std::vector<double>& table) {
    auto mv = parent.append_child("MapValues");
    mv.append_attribute("outputColumn") = "out";
    mv.append_attribute("dataType") = "double";
    auto pair = mv.append_child("FieldColumnPair");
    pair.append_attribute("field") = inputs[input].name.c_str();
    pair.append_attribute("column") = "in";
    auto table_node = mv.append_child("InlineTable");
    for (size_t k = 0; k < table.size(); ++k) {
      if (std::isnan(table[k])) continue;  // no row: the value maps to missing
      if (inputs[input].open && k + 1 == table.size()) {
        // An open domain's last level stands for every label the model does not name: the
        // value of a label no row lists (a missing label still maps to missing).
        mv.append_attribute("defaultValue") = format_double(table[k]).c_str();
        continue;
      }
      auto row = table_node.append_child("row");
      row.append_child("in").text() = inputs[input].levels[k].c_str();
      row.append_child("out").text() = format_double(table[k]).c_str();
    }
  };
  switch (e.op) {
    case Op::Const: constant(parent, e.value); break;
    case Op::Input: {
      const auto& in = inputs[e.index];
      if (!in.is_categorical()) {
        parent.append_child("FieldRef").append_attribute("field") = in.name.c_str();
      } else {
        std::vector<double> codes(in.levels.size());
        for (size_t k = 0; k < codes.size(); ++k) codes[k] = static_cast<double>(k);
        level_map(e.index, codes);
      }
      break;
    }
    case Op::Derived: parent.append_child("FieldRef").append_attribute("field") = derived_names[e.index].c_str(); break;
    case Op::LevelIs: {
      auto nd = parent.append_child("NormDiscrete");
      nd.append_attribute("field") = inputs[e.index].name.c_str();
      nd.append_attribute("value") = inputs[e.index].levels[e.level].c_str();
      break;
    }
    case Op::LevelMap: level_map(e.index, e.table); break;
    case Op::Add: binary("+"); break;
    case Op::Sub: binary("-"); break;
    case Op::Mul: binary("*"); break;
    case Op::Div: binary("/"); break;
    case Op::Pow: binary("pow"); break;
    case Op::Neg: {
      auto a = apply(parent, "*");
      constant(a, -1.0);
      num(a, e.args[0]);
      break;
    }
    case Op::Min:
    case Op::Max: {
      auto a = apply(parent, e.op == Op::Min ? "min" : "max");
      for (const auto& x : e.args) num(a, x);
      break;
    }
    case Op::Log: unary("ln"); break;
    case Op::Log10: unary("log10"); break;
    case Op::Exp: unary("exp"); break;
    case Op::Sqrt: unary("sqrt"); break;
    case Op::Abs: unary("abs"); break;
    case Op::Float32:
      throw Unsupported("", "", "cannot write PMML: float32 rounding of a derived value (PMML computes in double)");
    case Op::Floor: unary("floor"); break;
    case Op::Ceil: unary("ceil"); break;
    case Op::Round: unary("rint"); break;  // half to even, as the IR rounds
    case Op::Sin: unary("sin"); break;
    case Op::Cos: unary("cos"); break;
    case Op::Tan: unary("tan"); break;
    case Op::Atan: unary("atan"); break;
    case Op::Tanh: unary("tanh"); break;
    case Op::Erf: {
      // erf(x) = 2 * stdNormalCDF(x * sqrt(2)) - 1
      warn("pmml-erf-approximation", "erf(x) is written as 2*stdNormalCDF(x*sqrt(2))-1, equal up to rounding");
      auto sub = apply(parent, "-");
      auto mul = apply(sub, "*");
      constant(mul, 2.0);
      auto cdf = apply(mul, "stdNormalCDF");
      auto scaled = apply(cdf, "*");
      num(scaled, e.args[0]);
      constant(scaled, std::sqrt(2.0));
      constant(sub, 1.0);
      break;
    }
    case Op::Logistic: {
      auto div = apply(parent, "/");
      constant(div, 1.0);
      auto add = apply(div, "+");
      constant(add, 1.0);
      auto ex = apply(add, "exp");
      auto neg = apply(ex, "*");
      constant(neg, -1.0);
      num(neg, e.args[0]);
      break;
    }
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::Eq:
    case Op::Ne:
    case Op::And:
    case Op::Or:
    case Op::Not:
    case Op::IsMissing: {
      auto a = apply(parent, "if");
      boolean(a, e);
      constant(a, 1.0);
      constant(a, 0.0);
      break;
    }
    case Op::IfElse: {
      auto a = apply(parent, "if");
      boolean(a, e.args[0]);
      num(a, e.args[1]);
      num(a, e.args[2]);
      break;
    }
    case Op::Coalesce: {
      pugi::xml_node at = parent;
      for (size_t i = 0; i + 1 < e.args.size(); ++i) {
        auto a = apply(at, "if");
        num(apply(a, "isNotMissing"), e.args[i]);
        num(a, e.args[i]);
        at = a;
      }
      num(at, e.args.back());
      break;
    }
    case Op::Discretize: {
      auto d = parent.append_child("Discretize");
      d.append_attribute("field") = field_for(e.args[0], "discretize_input").c_str();
      const double fallback = e.table.back();
      if (!std::isnan(fallback)) d.append_attribute("defaultValue") = format_double(fallback).c_str();
      d.append_attribute("dataType") = "double";
      const size_t bins = e.bounds.size() + 1;
      for (size_t j = 0; j < bins; ++j) {
        if (std::isnan(e.table[j])) {
          if (!std::isnan(fallback))
            warn("pmml-discretize-missing-bin", "a Discretize bin with a missing value takes the default value");
          continue;
        }
        auto bin = d.append_child("DiscretizeBin");
        bin.append_attribute("binValue") = format_double(e.table[j]).c_str();
        auto iv = bin.append_child("Interval");
        const bool lc = e.flags[j] & 1, rc = e.flags[j] & 2;
        iv.append_attribute("closure") = lc ? (rc ? "closedClosed" : "closedOpen") : (rc ? "openClosed" : "openOpen");
        if (j > 0) iv.append_attribute("leftMargin") = format_double(e.bounds[j - 1]).c_str();
        if (j + 1 < bins) iv.append_attribute("rightMargin") = format_double(e.bounds[j]).c_str();
      }
      break;
    }
  }
}

void ExprWriter::boolean(pugi::xml_node parent, const Expr& e) {
  auto cmp = [&](const char* fn) {
    auto a = apply(parent, fn);
    num(a, e.args[0]);
    num(a, e.args[1]);
  };
  switch (e.op) {
    case Op::Lt: cmp("lessThan"); break;
    case Op::Le: cmp("lessOrEqual"); break;
    case Op::Gt: cmp("greaterThan"); break;
    case Op::Ge: cmp("greaterOrEqual"); break;
    case Op::Eq: cmp("equal"); break;
    case Op::Ne: cmp("notEqual"); break;
    case Op::And:
    case Op::Or: {
      auto a = apply(parent, e.op == Op::And ? "and" : "or");
      boolean(a, e.args[0]);
      boolean(a, e.args[1]);
      break;
    }
    case Op::Not: boolean(apply(parent, "not"), e.args[0]); break;
    case Op::IsMissing: num(apply(parent, "isMissing"), e.args[0]); break;
    default: {
      auto a = apply(parent, "notEqual");
      num(a, e);
      constant(a, 0.0);
      break;
    }
  }
}

void ExprWriter::derived_fields(pugi::xml_node parent) {
  for (const auto& d : m_.derived) derived_names.push_back(names_.unique(d.name));
  for (size_t i = 0; i < m_.derived.size(); ++i) derived_field(parent, derived_names[i], m_.derived[i].expr);
}

void refuse(const std::string& message) { throw Unsupported("", "", "cannot write PMML: " + message); }

const char* normalization_for(ir::Link link) {
  switch (link) {
    case ir::Link::Identity: return "none";
    case ir::Link::Logit: return "logit";
    case ir::Link::Probit: return "probit";
    case ir::Link::Cloglog: return "cloglog";
    case ir::Link::Loglog: return "loglog";
    case ir::Link::Cauchit: return "cauchit";
    case ir::Link::Log: return "exp";
    default: return nullptr;
  }
}

std::string reserve_field_names(NameTable& names, const ir::Model& m) {
  for (const auto& in : m.schema.inputs) names.reserve(in.name);
  return names.unique(m.schema.target.name.empty() ? "_target" : m.schema.target.name);
}

pugi::xml_node begin_document(pugi::xml_document& doc) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("PMML");
  root.append_attribute("xmlns") = "http://www.dmg.org/PMML-4_4";
  root.append_attribute("version") = "4.4";
  root.append_child("Header").append_child("Application").append_attribute("name") = "modelbridge";
  return root;
}

std::string document_text(const pugi::xml_document& doc) {
  std::ostringstream os;
  doc.save(os, "  ", pugi::format_default, pugi::encoding_utf8);
  return os.str();
}

void write_mining_schema(pugi::xml_node model, const ir::Model& m, const std::string& target_name, bool top,
                         const std::vector<std::string>& extra) {
  auto ms = model.append_child("MiningSchema");
  for (const auto& in : m.schema.inputs) {
    auto mf = ms.append_child("MiningField");
    mf.append_attribute("name") = in.name.c_str();
    mf.append_attribute("usageType") = "active";
    if (!top) continue;  // the outer model already treats missing and invalid values
    if (in.missing_replacement)
      mf.append_attribute("missingValueReplacement") = format_double(*in.missing_replacement).c_str();
    else if (in.missing_replacement_label)
      mf.append_attribute("missingValueReplacement") = in.missing_replacement_label->c_str();
    else mf.append_attribute("missingValueTreatment") = "asIs";  // missing stays missing
    if (in.is_categorical() && m.unseen == ir::UnseenLevel::Missing)
      mf.append_attribute("invalidValueTreatment") = "asMissing";
  }
  for (const auto& name : extra) {
    auto mf = ms.append_child("MiningField");
    mf.append_attribute("name") = name.c_str();
    mf.append_attribute("usageType") = "active";
  }
  if (top) {
    auto tf = ms.append_child("MiningField");
    tf.append_attribute("name") = target_name.c_str();
    tf.append_attribute("usageType") = "target";
  }
}

void write_data_dictionary(pugi::xml_node root, const ir::Model& m, const std::string& target_name) {
  auto dd = root.append_child("DataDictionary");
  dd.append_attribute("numberOfFields") = static_cast<unsigned>(m.schema.inputs.size() + 1);
  for (const auto& in : m.schema.inputs) {
    auto df = dd.append_child("DataField");
    df.append_attribute("name") = in.name.c_str();
    if (in.is_categorical()) {
      df.append_attribute("optype") = in.kind == ir::FieldKind::Ordinal ? "ordinal" : "categorical";
      df.append_attribute("dataType") = "string";
      if (!in.open)  // an open domain lists no values (its last level stands for all others)
        for (const auto& level : in.levels) df.append_child("Value").append_attribute("value") = level.c_str();
    } else {
      df.append_attribute("optype") = "continuous";
      df.append_attribute("dataType") = in.cast == ir::Precision::Float32 ? "float" : "double";
    }
  }
  auto tf = dd.append_child("DataField");
  tf.append_attribute("name") = target_name.c_str();
  if (m.schema.target.task == ir::Task::Classification) {
    const auto* lin = std::get_if<ir::Linear>(&m.estimator);
    const bool ordinal = lin && lin->transform == ir::ScoreTransform::Cumulative;
    tf.append_attribute("optype") = ordinal ? "ordinal" : "categorical";
    tf.append_attribute("dataType") = "string";
    for (const auto& c : m.schema.target.classes) tf.append_child("Value").append_attribute("value") = c.c_str();
  } else {
    tf.append_attribute("optype") = "continuous";
    tf.append_attribute("dataType") = "double";
  }
}

void write_output(pugi::xml_node model, const ir::Model& m, NameTable& names) {
  auto out = model.append_child("Output");
  const bool cls = m.schema.target.task == ir::Task::Classification;
  auto pv = out.append_child("OutputField");
  pv.append_attribute("name") = names.unique(cls ? "class" : "prediction").c_str();
  pv.append_attribute("optype") = cls ? "categorical" : "continuous";
  pv.append_attribute("dataType") = cls ? "string" : "double";
  pv.append_attribute("feature") = "predictedValue";
  if (!cls) return;
  for (const auto& c : m.schema.target.classes) {
    auto of = out.append_child("OutputField");
    of.append_attribute("name") = names.unique("probability(" + c + ")").c_str();
    of.append_attribute("optype") = "continuous";
    of.append_attribute("dataType") = "double";
    of.append_attribute("feature") = "probability";
    of.append_attribute("value") = c.c_str();
  }
}

}  // namespace mb::pmml::detail
