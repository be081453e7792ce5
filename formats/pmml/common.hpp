// Shared helpers of the PMML reader and writer: namespace-agnostic element access, positions
// for error messages, and number text in both directions.
#pragma once
#include <pugixml.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/util/error.hpp"

namespace mb::pmml::detail {

// Element name without a namespace prefix ("pmml:DataField" -> "DataField").
std::string_view local_name(const pugi::xml_node& n);
bool is(const pugi::xml_node& n, std::string_view name);
// First child element / all child elements with the given local name.
pugi::xml_node child(const pugi::xml_node& n, std::string_view name);
std::vector<pugi::xml_node> children(const pugi::xml_node& n, std::string_view name);
// Child elements, skipping Extension elements.
std::vector<pugi::xml_node> elements(const pugi::xml_node& n);

// Shortest text that reads back to the same double ("INF", "-INF", "NaN" for the specials).
std::string format_double(double v);
// Parses a PMML / xs:double number (leading and trailing blanks allowed).
std::optional<double> parse_double(std::string_view s);

// Values of a PMML Array: blank-separated; a value in double quotes may hold blanks, and a
// backslash inside the quotes takes the next character as it is.
std::vector<std::string> array_values(std::string_view s);

// Positions inside the document being read.
class Locator {
 public:
  Locator(std::string_view text, std::string file);
  const std::string& file() const { return file_; }
  // "line 12: /PMML/RegressionModel/RegressionTable[2]"
  std::string place(const pugi::xml_node& n) const;
  int line_of(ptrdiff_t offset) const;
  [[noreturn]] void fail(const pugi::xml_node& n, const std::string& message) const;
  // The same place for a valid construct this reader does not handle (throws Unsupported).
  [[noreturn]] void unsupported(const pugi::xml_node& n, const std::string& message) const;

  // Required attribute (fails naming it when absent or empty).
  std::string attr(const pugi::xml_node& n, const char* name) const;
  std::optional<std::string> opt_attr(const pugi::xml_node& n, const char* name) const;
  double number(const pugi::xml_node& n, const char* name) const;
  double number_or(const pugi::xml_node& n, const char* name, double fallback) const;
  double text_number(const pugi::xml_node& n) const;
  // The values of an Array element; its n attribute, when given, must be their count.
  std::vector<std::string> array(const pugi::xml_node& arr) const;

 private:
  std::string file_;
  std::vector<size_t> line_starts_;
};

}  // namespace mb::pmml::detail
