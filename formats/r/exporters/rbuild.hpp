// Small constructors of R objects for the exporters (robject.hpp conventions).
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "formats/r/lang/robject.hpp"

namespace mb::r {

inline RPtr make_node(RType t) {
  auto o = std::make_shared<RObject>();
  o->type = t;
  return o;
}
inline RPtr make_ints(std::vector<int32_t> v) {
  auto o = make_node(RType::Integer);
  o->ints = std::move(v);
  return o;
}
inline RPtr make_doubles(std::vector<double> v) {
  auto o = make_node(RType::Double);
  o->reals = std::move(v);
  return o;
}
inline RPtr make_strings(const std::vector<std::string>& v) {
  auto o = make_node(RType::Character);
  for (const auto& s : v) o->strings.emplace_back(s);
  return o;
}
inline RPtr make_list(std::vector<RPtr> v) {
  auto o = make_node(RType::List);
  o->elements = std::move(v);
  return o;
}
inline void set_attr(RObject& o, const std::string& name, RPtr value) {
  for (auto& [k, v] : o.attributes)
    if (k == name) {
      v = std::move(value);
      return;
    }
  o.attributes.emplace_back(name, std::move(value));
}
// A list with names (an empty one has character(0) names, as R's named list()).
inline RPtr make_named_list(const std::vector<std::pair<std::string, RPtr>>& parts) {
  auto o = make_node(RType::List);
  std::vector<std::string> names;
  for (const auto& [k, v] : parts) {
    o->elements.push_back(v);
    names.push_back(k);
  }
  set_attr(*o, "names", make_strings(names));
  return o;
}
inline RPtr global_env() { return make_node(RType::GlobalEnv); }
// The namespace "stats" (restored by name when R reads the object).
inline RPtr stats_namespace() {
  auto o = make_node(RType::Namespace);
  o->strings = {std::string("stats"), std::string("4.2.2")};
  o->text = "stats";
  return o;
}

}  // namespace mb::r
