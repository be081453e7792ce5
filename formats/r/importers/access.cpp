#include "formats/r/importers/access.hpp"

#include "formats/r/exporters/rbuild.hpp"

#include <fmt/format.h>
#include "lib/util/errors.hpp"

#include <cmath>

namespace mb::r {

Member Member::operator[](const std::string& name) const {
  if (auto m = get(name)) return *m;
  throw Error(*file_, path_join(path_, name), "expected this component; it is missing");
}

std::optional<Member> Member::get(const std::string& name) const {
  const RObject* o = obj_->get(name);
  if (!o || o->is_null()) return std::nullopt;
  return Member(*o, *file_, path_join(path_, name));
}

Member Member::attr(const std::string& name) const {
  if (auto m = find_attr(name)) return *m;
  throw Error(*file_, path_ + "@" + name, "expected this attribute; it is missing");
}

std::optional<Member> Member::find_attr(const std::string& name) const {
  const RObject* o = obj_->attr(name);
  if (!o) return std::nullopt;
  return Member(*o, *file_, path_ + "@" + name);
}

Member Member::at(size_t i) const {
  const std::string place = fmt::format("{}[[{}]]", path_, i + 1);
  if (i >= obj_->elements.size() || !obj_->elements[i])
    throw Error(*file_, place,
                fmt::format("expected this element; {} has {} elements", path_.empty() ? "the object" : path_,
                            obj_->elements.size()));
  return Member(*obj_->elements[i], *file_, place);
}

std::vector<double> Member::numbers() const {
  if (obj_->is_null()) return {};
  if (!obj_->is_numeric()) fail(fmt::format("expected a numeric vector, found {}", rtype_name(obj_->type)));
  return obj_->numbers();
}

double Member::number() const {
  const std::vector<double> v = numbers();
  if (v.size() != 1) fail(fmt::format("expected one number, found {}", v.size()));
  return v[0];
}

std::vector<std::string> Member::strings() const {
  std::vector<std::string> out;
  if (obj_->type == RType::Character) {
    for (size_t i = 0; i < obj_->strings.size(); ++i) {
      if (!obj_->strings[i]) throw Error(*file_, fmt::format("{}[{}]", path_, i + 1), "unexpected NA");
      out.push_back(*obj_->strings[i]);
    }
    return out;
  }
  if (obj_->type == RType::Integer && obj_->inherits("factor")) {  // a factor: its labels
    const auto lv = obj_->levels();
    for (size_t i = 0; i < obj_->ints.size(); ++i) {
      const int32_t c = obj_->ints[i];
      if (!(c >= 1 && static_cast<size_t>(c) <= lv.size()))
        throw Error(*file_, fmt::format("{}[{}]", path_, i + 1), "unexpected NA");
      out.push_back(lv[c - 1]);
    }
    return out;
  }
  if (obj_->is_null()) return out;
  fail(fmt::format("expected a character vector, found {}", rtype_name(obj_->type)));
}

std::string Member::string() const {
  const std::vector<std::string> v = strings();
  if (v.size() != 1) fail(fmt::format("expected one string, found {}", v.size()));
  return v[0];
}

std::vector<std::string> Member::levels() const {
  if (!obj_->inherits("factor") || !obj_->attr("levels")) fail("expected a factor (with @levels)");
  return attr("levels").strings();
}

namespace {
std::vector<std::string> dimnames_at(const RObject& obj, size_t k) {
  std::vector<std::string> out;
  const RObject* dn = obj.attr("dimnames");
  if (!dn || dn->type != RType::List || dn->elements.size() <= k) return out;
  const RObject* names = dn->elements[k].get();
  if (!names || names->type != RType::Character) return out;
  for (auto& s : names->strings) out.push_back(s ? *s : "NA");
  return out;
}
}  // namespace

Matrix Member::matrix() const {
  if (!obj_->is_numeric()) fail(fmt::format("expected a numeric matrix, found {}", rtype_name(obj_->type)));
  const auto d = obj_->dim();
  Matrix m;
  if (d.size() == 2) {
    if (d[0] < 0 || d[1] < 0) fail("negative matrix dimensions");
    m.rows = static_cast<size_t>(d[0]);
    m.cols = static_cast<size_t>(d[1]);
  } else if (d.empty()) {  // a plain vector: one column
    m.rows = obj_->length();
    m.cols = 1;
  } else {
    fail(fmt::format("expected a matrix, found an array with {} dimensions", d.size()));
  }
  m.v = obj_->numbers();
  if (m.v.size() != m.rows * m.cols) fail(fmt::format("a {} x {} matrix with {} values", m.rows, m.cols, m.v.size()));
  m.rownames = dimnames_at(*obj_, 0);
  m.colnames = dimnames_at(*obj_, 1);
  if (m.rownames.size() != m.rows) m.rownames.clear();
  if (m.colnames.size() != m.cols) m.colnames.clear();
  return m;
}

bool Member::truth() const {
  const double v = number();
  if (v != 0 && v != 1) fail("expected TRUE or FALSE");
  return v != 0;
}

int64_t whole_number(double v, int64_t lo, int64_t hi, const std::string& file, const std::string& place) {
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::floor(v)) {
    if (std::isnan(v)) throw Error(file, place, fmt::format("expected a whole number from {} to {}, found NA", lo, hi));
    throw Error(file, place, fmt::format("expected a whole number from {} to {}, found {}", lo, hi, v));
  }
  return static_cast<int64_t>(v);
}

std::vector<int64_t> Member::wholes(int64_t lo, int64_t hi) const {
  // Element by element (no copy of the vector as doubles first: forests hold millions).
  if (obj_->is_null()) return {};
  if (!obj_->is_numeric()) fail(fmt::format("expected a numeric vector, found {}", rtype_name(obj_->type)));
  std::vector<int64_t> out(obj_->length());
  for (size_t i = 0; i < out.size(); ++i) {
    const double v = obj_->number(i);
    if (v >= static_cast<double>(lo) && v <= static_cast<double>(hi) && v == std::floor(v)) {
      out[i] = static_cast<int64_t>(v);
    } else {
      out[i] = whole_number(v, lo, hi, *file_, fmt::format("{}[{}]", path_, i + 1));
    }
  }
  return out;
}

Member::Numeric Member::numbers_in_place() const {
  if (obj_->is_null()) return Numeric(nullptr);
  if (!obj_->is_numeric()) fail(fmt::format("expected a numeric vector, found {}", rtype_name(obj_->type)));
  return Numeric(obj_);
}

Member::Numeric Member::wholes_in_place(int64_t lo, int64_t hi) const {
  if (obj_->is_null()) return Numeric(nullptr);
  if (!obj_->is_numeric()) fail(fmt::format("expected a numeric vector, found {}", rtype_name(obj_->type)));
  const size_t n = obj_->length();
  for (size_t i = 0; i < n; ++i) {
    const double v = obj_->number(i);
    if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi) && v == std::floor(v)))
      whole_number(v, lo, hi, *file_, fmt::format("{}[{}]", path_, i + 1));  // throws
  }
  return Numeric(obj_);
}

int64_t Member::whole(int64_t lo, int64_t hi) const { return whole_number(number(), lo, hi, *file_, path_); }

bool Member::flag(const std::string& name, bool fallback) const {
  const auto m = get(name);
  if (!m || !m->obj().is_numeric() || m->obj().length() == 0) return fallback;
  const double v = m->obj().number(0);
  return std::isnan(v) ? fallback : v != 0;
}

void Member::fail(const std::string& message) const { throw Error(*file_, path_, message); }
void Member::unsupported(const std::string& message) const { throw Unsupported(*file_, path_, message); }

RPtr xlevels_from_model_frame(const RObject& root, const std::string& file) {
  auto xlevels = std::make_shared<RObject>();
  xlevels->type = RType::List;
  std::vector<std::string> names;
  if (const RObject* mf = root.get("model"); mf && mf->type == RType::List) {
    const std::vector<std::string> columns = mf->names();
    for (size_t i = 0; i < mf->elements.size() && i < columns.size(); ++i) {
      const RObject* col = mf->elements[i].get();
      if (!col || !col->attr("levels")) continue;
      names.push_back(columns[i]);
      xlevels->elements.push_back(
          make_strings(Member(*col->attr("levels"), file, fmt::format("$model[[{}]]@levels", i + 1)).strings()));
    }
  }
  xlevels->attributes.emplace_back("names", make_strings(names));
  return xlevels;
}

void warn(ir::Model& m, std::string code, std::string message) {
  m.provenance.warnings.push_back(Warning{std::move(code), std::move(message)});
}

void adopt_design(ir::Model& m, Design& d) {
  m.schema.inputs = std::move(d.inputs);
  m.schema.target.name = d.response;
  m.derived = std::move(d.derived);
  m.provenance.preprocessing = std::move(d.preprocessing);
  for (auto& w : d.warnings) m.provenance.warnings.push_back(std::move(w));
}

}  // namespace mb::r
