#include "formats/pmml/common.hpp"

#include <fmt/format.h>
#include "lib/util/errors.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace mb::pmml::detail {

std::string_view local_name(const pugi::xml_node& n) {
  std::string_view s = n.name();
  const auto colon = s.find(':');
  return colon == std::string_view::npos ? s : s.substr(colon + 1);
}

bool is(const pugi::xml_node& n, std::string_view name) {
  return n.type() == pugi::node_element && local_name(n) == name;
}

pugi::xml_node child(const pugi::xml_node& n, std::string_view name) {
  for (auto c : n.children())
    if (is(c, name)) return c;
  return {};
}

std::vector<pugi::xml_node> children(const pugi::xml_node& n, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (auto c : n.children())
    if (is(c, name)) out.push_back(c);
  return out;
}

std::vector<pugi::xml_node> elements(const pugi::xml_node& n) {
  std::vector<pugi::xml_node> out;
  for (auto c : n.children())
    if (c.type() == pugi::node_element && local_name(c) != "Extension") out.push_back(c);
  return out;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
  return std::string(buf, res.ptr);
}

std::optional<double> parse_double(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  if (s == "INF" || s == "Infinity" || s == "+INF" || s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-INF" || s == "-Infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> array_values(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    std::string tok;
    if (s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        tok += s[i];
      }
      ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) tok += s[i++];
    }
    out.push_back(std::move(tok));
  }
  return out;
}

Locator::Locator(std::string_view text, std::string file) : file_(std::move(file)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts_.push_back(i + 1);
}

int Locator::line_of(ptrdiff_t offset) const {
  if (offset < 0) return 0;
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), static_cast<size_t>(offset));
  return static_cast<int>(it - line_starts_.begin());
}

std::string Locator::place(const pugi::xml_node& n) const {
  if (!n) return "";
  std::vector<std::string> parts;
  for (pugi::xml_node x = n; x && x.type() == pugi::node_element; x = x.parent()) {
    const std::string_view name = local_name(x);
    int index = 0, count = 0;
    for (auto s : x.parent().children()) {
      if (s.type() != pugi::node_element || local_name(s) != name) continue;
      ++count;
      if (s == x) index = count;
    }
    parts.push_back(count > 1 ? fmt::format("{}[{}]", name, index) : std::string(name));
  }
  std::string path;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) path += "/" + *it;
  return fmt::format("line {}: {}", line_of(n.offset_debug()), path);
}

void Locator::fail(const pugi::xml_node& n, const std::string& message) const { throw Error(file_, place(n), message); }
void Locator::unsupported(const pugi::xml_node& n, const std::string& message) const {
  throw Unsupported(file_, place(n), message);
}

std::optional<std::string> Locator::opt_attr(const pugi::xml_node& n, const char* name) const {
  auto a = n.attribute(name);
  if (!a) return std::nullopt;
  return std::string(a.value());
}

std::string Locator::attr(const pugi::xml_node& n, const char* name) const {
  auto a = n.attribute(name);
  if (!a || !*a.value()) fail(n, fmt::format("expected attribute '{}' on {}", name, local_name(n)));
  return a.value();
}

double Locator::number(const pugi::xml_node& n, const char* name) const {
  const std::string s = attr(n, name);
  auto v = parse_double(s);
  if (!v) fail(n, fmt::format("expected a number in attribute '{}', found '{}'", name, s));
  return *v;
}

double Locator::number_or(const pugi::xml_node& n, const char* name, double fallback) const {
  auto a = n.attribute(name);
  if (!a) return fallback;
  auto v = parse_double(a.value());
  if (!v) fail(n, fmt::format("expected a number in attribute '{}', found '{}'", name, a.value()));
  return *v;
}

double Locator::text_number(const pugi::xml_node& n) const {
  const std::string s = n.text().get();
  auto v = parse_double(s);
  if (!v) fail(n, fmt::format("expected a number in {}, found '{}'", local_name(n), s));
  return *v;
}

std::vector<std::string> Locator::array(const pugi::xml_node& arr) const {
  auto values = array_values(arr.text().get());
  if (auto n = arr.attribute("n")) {
    const std::string_view s = n.value();
    size_t count = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), count);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
      fail(arr, fmt::format("expected a non-negative integer in attribute 'n', found '{}'", s.substr(0, 40)));
    if (count != values.size())
      fail(arr, fmt::format("attribute n=\"{}\" but the Array holds {} values", count, values.size()));
  }
  return values;
}

}  // namespace mb::pmml::detail
