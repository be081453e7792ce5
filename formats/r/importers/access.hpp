// Reading the members of a fitted R object: the one access layer every importer uses.
//
// A Member is an R object together with the file it came from and its R path ("$forest$ncat",
// "$terms@dataClasses", "$trees[[3]]").  Every accessor checks what it reads and throws
// Error(file, path, ...) naming that place, so an importer states what it expects and nothing
// else: `root["forest"]["ncat"].numbers()`.
//
// Warnings: an importer records a conversion loss with warn(model, code, message), in the
// model's provenance only; the dispatcher (import_model) hands them on once.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "formats/r/lang/formula.hpp"
#include "formats/r/lang/robject.hpp"
#include "lib/ir/model.hpp"
#include "lib/util/error.hpp"

namespace mb::r {

// A column-major numeric matrix.
struct Matrix {
  size_t rows = 0, cols = 0;
  std::vector<double> v;
  std::vector<std::string> rownames, colnames;  // empty when the matrix has none
  double at(size_t r, size_t c) const { return v[c * rows + r]; }
};

class Member {
 public:
  Member(const RObject& obj, const std::string& file, std::string path = "")
      : obj_(&obj), file_(&file), path_(std::move(path)) {}

  const RObject& obj() const { return *obj_; }
  const RObject* operator->() const { return obj_; }
  const std::string& file() const { return *file_; }
  const std::string& path() const { return path_; }

  // --- components ---------------------------------------------------------------------------
  // `$name`; throws when absent or NULL.
  Member operator[](const std::string& name) const;
  // `$name`, or nullopt when absent or NULL.
  std::optional<Member> get(const std::string& name) const;
  bool has(const std::string& name) const { return get(name).has_value(); }
  // Attribute `@name`; throws when absent.
  Member attr(const std::string& name) const;
  std::optional<Member> find_attr(const std::string& name) const;
  // Element `[[i + 1]]` of a list; throws when out of range.
  Member at(size_t i) const;
  // Elements of a list (0 for anything else).
  size_t size() const { return obj_->elements.size(); }
  std::vector<std::string> names() const { return obj_->names(); }

  // --- values -------------------------------------------------------------------------------
  // A numeric (double, integer or logical) vector, NA as NaN; NULL reads as empty.
  std::vector<double> numbers() const;
  // Exactly one number.
  double number() const;
  // A character vector, or a factor's labels; NA is an error (labels and names never are NA).
  std::vector<std::string> strings() const;
  // Exactly one string.
  std::string string() const;
  // A factor's levels (@levels); throws when the object is not a factor.
  std::vector<std::string> levels() const;
  // A numeric matrix (@dim of length 2, @dimnames when present); a plain vector is one column.
  Matrix matrix() const;
  // A logical flag: TRUE/1 true, FALSE/0 false; anything else is an error.
  bool truth() const;
  // Whole numbers in [lo, hi] (indices, counts, codes): numbers() with each element checked;
  // NA, fractions and values outside the range are an error naming the element.
  std::vector<int64_t> wholes(int64_t lo, int64_t hi) const;
  // The same checks without a copy: the vector read in place, element i as a double (NA as NaN),
  // for the big matrices of forests (a copy of each would be alive with the object).
  class Numeric {
   public:
    explicit Numeric(const RObject* o) : o_(o) {}
    size_t size() const { return o_ ? o_->length() : 0; }
    double operator[](size_t i) const { return o_->number(i); }

   private:
    const RObject* o_;
  };
  Numeric numbers_in_place() const;                       // numbers(): NULL reads as empty
  Numeric wholes_in_place(int64_t lo, int64_t hi) const;  // wholes(): every element checked
  // Exactly one whole number in [lo, hi].
  int64_t whole(int64_t lo, int64_t hi) const;

  // Optional members with a default: `$name` when present and not NULL, else `fallback`.
  bool flag(const std::string& name, bool fallback) const;

  [[noreturn]] void fail(const std::string& message) const;
  // A valid construct the importer does not handle, at this member (throws Unsupported).
  [[noreturn]] void unsupported(const std::string& message) const;
  Error error(const std::string& message) const { return Error(*file_, path_, message); }

 private:
  const RObject* obj_;
  const std::string* file_;
  std::string path_;
};

// `v` as a whole number in [lo, hi], or Error(file, place, ...) saying what was expected.  Every
// conversion of a number read from a file to an index or a count goes through this (a double
// outside an integer type's range does not convert: casting it is undefined behaviour).
int64_t whole_number(double v, int64_t lo, int64_t hi, const std::string& file, const std::string& place);

// `$xlevels` as predict() would rebuild it for fits that keep none (pls's mvr, elm): a named List
// of the levels of every factor column of the model frame `root$model`, in its column order
// (empty when there is no model frame).  predict() takes the levels of the new data, which are
// these when every level occurs.
RPtr xlevels_from_model_frame(const RObject& root, const std::string& file);

// Appends a warning to the model's provenance (import_model passes them on to the caller).
void warn(ir::Model& m, std::string code, std::string message);

// Moves a formula design's inputs, derived fields, response, preprocessing notes and warnings
// into `m` (features are the caller's: it matches the columns to coefficients).
void adopt_design(ir::Model& m, Design& d);

}  // namespace mb::r
