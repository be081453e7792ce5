// PMML SupportVectorMachineModel, NeuralNetwork, NaiveBayesModel and ClusteringModel: reading into
// ir::Svm, ir::Mlp, ir::NaiveBayes and ir::Clustering, and writing them back (svm.cpp, neural.cpp,
// naive_bayes.cpp, clustering.cpp; the shared writer steps in families_common.cpp).
#pragma once
#include <pugixml.hpp>

#include <string>
#include <vector>

#include "formats/pmml/reader_context.hpp"
#include "formats/pmml/writer_context.hpp"

namespace mb::pmml::detail {

// Model element readers: fill model.features and model.estimator (the schema is read).
void read_svm_model(ReadContext& ctx, const pugi::xml_node& model_node);
void read_neural_network(ReadContext& ctx, const pugi::xml_node& model_node);
void read_naive_bayes_model(ReadContext& ctx, const pugi::xml_node& model_node);
void read_clustering_model(ReadContext& ctx, const pugi::xml_node& model_node);

// Index of `category` among the target classes (a numeric category also matches a class that
// reads as the same number); fails naming `at` when it is none of them.
int target_class(ReadContext& ctx, const pugi::xml_node& at, const std::string& category);
// Values of an Array element (or of REAL-SparseArray / INT-SparseArray with `n` entries).
std::vector<double> real_array(ReadContext& ctx, const pugi::xml_node& array);

// The writer steps every family shares: the document with its DataDictionary (and the global
// TransformationDictionary), then the model element with MiningSchema, Output, optional Targets
// and LocalTransformations holding one field per feature that is not a plain numeric input.
struct FamilyWriter {
  FamilyWriter(const ir::Model& model, Warnings& w);
  const ir::Model& m;
  Warnings& warnings;
  NameTable names;
  std::string target_name;
  ExprWriter ex{m, names, warnings};
  pugi::xml_document doc;
  pugi::xml_node root;
  std::vector<std::string> feature_fields;  // PMML field each feature reads

  // Starts the model element `element` with functionName `function`.  `targets` (may be empty)
  // appends a Targets element; `with_probabilities` writes a probability OutputField per class.
  pugi::xml_node begin_model(const char* element, const char* function, bool with_probabilities = true,
                             double rescale_factor = 1.0, double rescale_constant = 0.0);
  void warn(const std::string& code, const std::string& msg);
  std::string text() const { return document_text(doc); }
};

}  // namespace mb::pmml::detail

namespace mb::pmml {
std::string write_svm(const ir::Model& m, Warnings& warnings);
std::string write_neural_network(const ir::Model& m, Warnings& warnings);
std::string write_naive_bayes(const ir::Model& m, Warnings& warnings);
std::string write_clustering(const ir::Model& m, Warnings& warnings);
}  // namespace mb::pmml
