// Model interface: the input fields a model reads and the target it predicts.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace mb::ir {

// Precision is part of a model's meaning: it says in which arithmetic a block of parameters
// (or an input cast) is held, so the evaluator reproduces what a runtime will compute.
enum class Precision { Double, Float32 };

enum class FieldKind {
  Continuous,   // a number
  Categorical,  // unordered labels; `levels` in the model's order
  Ordinal,      // ordered labels (R ordered factor); `levels` in order
};

struct InputField {
  std::string name;
  FieldKind kind = FieldKind::Continuous;
  std::vector<std::string> levels;  // Categorical / Ordinal only, in model order
  // Values taken for a missing input before the model sees it (PMML missingValueReplacement,
  // caret medianImpute).  Unset: missing stays missing and propagates.
  std::optional<double> missing_replacement;
  std::optional<std::string> missing_replacement_label;  // categorical replacement
  // Where a runtime narrows this input to float32 before use (ONNX float graphs, Cast nodes).
  Precision cast = Precision::Double;
  // A column of an unnamed matrix input (ONNX `X[N,k]` read as X_0..X_{k-1}): when the data has
  // no column of this name, it is bound by position to the data columns that no input names.
  bool positional = false;
  // An R logical: a categorical field with levels FALSE and TRUE (codes as the levels say) whose
  // data may also be written as R's as.logical() reads it: T/F, true/false, True/False, and
  // numbers (0 is FALSE, any other number TRUE), as CSV files and other tools write logicals.
  // On a continuous field: a number that R takes from a logical column as 0/1 (randomForest's
  // x/y interface turns newdata into data.matrix()), so TRUE/FALSE and R's other spellings read
  // as 1 and 0.  Only how data text is read; not part of the model's hash.
  bool logical = false;
  // An open domain (a PMML categorical field that lists no values): every label is valid.  The
  // levels are those the model refers to, then one more, the last, that none of its expressions
  // names; a label outside the list is coded as that last level (a valid value the model treats
  // as "none of the above", never a missing one).
  bool open = false;

  bool is_categorical() const { return kind != FieldKind::Continuous; }
};

enum class Task { Regression, Classification, Clustering };

struct Target {
  std::string name;  // response name in the source model, informative ("" when unknown)
  Task task = Task::Regression;
  std::vector<std::string> classes;  // Classification: labels in the model's class order;
                                     // Clustering: cluster ids
};

struct Schema {
  std::vector<InputField> inputs;
  Target target;

  // Index of the input named `name`, or -1.
  int find_input(const std::string& name) const {
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].name == name) return static_cast<int>(i);
    return -1;
  }
};

}  // namespace mb::ir
