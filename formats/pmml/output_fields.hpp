// PMML OutputFields of a document's top model, evaluated from the model's results.
//
// The score output of the product contract holds the model's predicted value, class and class
// probabilities; a producer may publish other columns through its Output element, such as
// rattle's gbm `GaussianPrediction` (`feature="transformedValue"`: the predicted value plus the
// initial score, an Apply of "+" to a FieldRef and a Constant).  OutputFields reads those
// definitions so that such a column can be computed from our results and compared with the
// producer's, instead of being re-typed by hand.
//
// Supported features: predictedValue, predictedDisplayValue (as the predicted value),
// probability (with `value`), transformedValue (Constant, FieldRef to an earlier OutputField,
// Apply of + - * / min max sum avg exp ln log10 sqrt abs pow floor ceil round threshold).
// Anything else is an Error naming the line and element.  Missing operands give missing (NaN).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mb::pmml {

class OutputFields {
 public:
  struct Node;  // an expression of a transformedValue
  struct Field {
    std::string name;
    std::string feature;               // predictedValue, probability, transformedValue, ...
    std::string value;                 // probability: the class label
    std::shared_ptr<const Node> expr;  // transformedValue
  };

  // The Output element of the document's first model element (none: no fields).
  static OutputFields read(std::string_view text, const std::string& file);

  const std::vector<Field>& fields() const { return fields_; }
  bool has(const std::string& name) const;

  // The value of field `name` for one row: `predicted` is the model's predicted value (a
  // regression prediction), `probability` the class probabilities by label.
  double value(const std::string& name, double predicted, const std::map<std::string, double>& probability = {}) const;

 private:
  std::vector<Field> fields_;
  std::string file_;
};

}  // namespace mb::pmml
