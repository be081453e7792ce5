// The estimators of the model IR.  Each consumes the model's feature vector (Model::features,
// F columns) and produces raw scores; the estimator's link, transform and output stage
// (lib/ir/output.hpp) say how scores become predictions.
// Parameter blocks record their precision (ONNX float32 attributes versus doubles).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ir/output.hpp"
#include "lib/ir/schema.hpp"

namespace mb::ir {

// GLM link functions; the inverse link maps the linear predictor eta to the response mean.
// Power: mu = eta^(1 / lambda), lambda = Linear::link_power (R's power(lambda) and statmod's
// tweedie(link.power) links, PMML's power link with linkParameter lambda).
enum class Link { Identity, Logit, Probit, Cloglog, Loglog, Cauchit, Log, Inverse, InverseSquare, Sqrt, Power };

// How a vector of scores turns into class probabilities.
enum class ScoreTransform {
  None,        // scores are the outputs (regression, or probabilities already)
  Binary,      // one score s = P(classes[1]); P(classes[0]) = 1 - s (GLM binomial after link)
  Softmax,     // probabilities = softmax(scores) (multinom, MLP softmax)
  Normalize,   // probabilities = scores / sum(scores) (vote shares)
  Cumulative,  // K-1 scores c_k = P(Y <= classes[k]) (cumulative link, ordinal regression: MASS::polr);
               // probabilities = diff(c(0, c, 1)), R's predict.polr
};

// Linear and generalized linear models: eta_t = intercepts[t] + sum_f coefficients[t*F+f]*x_f
// (+ offset); response_t = linkinv(eta_t).  Multinomial logit: T = K-1 rows for classes[1..],
// classes[0] is the reference with eta 0, then Softmax.  Ordinal regression (cumulative link):
// T = K-1 rows, eta_k = zeta_k - x.beta, linkinv(eta_k) = P(Y <= classes[k]), then Cumulative.
struct Linear {
  int32_t n_targets = 1;
  std::vector<double> coefficients;  // n_targets x F, row-major
  std::vector<double> intercepts;    // n_targets
  int32_t offset_feature = -1;       // index of a feature added to eta with coefficient 1, or -1
  Link link = Link::Identity;
  double link_power = 1;         // Link::Power's lambda (finite, not 0); 1 for every other link
  bool reference_class = false;  // multinomial: prepend a zero score for classes[0]
  ScoreTransform transform = ScoreTransform::None;
  Precision precision = Precision::Double;
  // Classifiers read from onnxruntime's ai.onnx.ml LinearClassifier carry the operator's output
  // stage (lib/ir/output.hpp): Operator arithmetic in float32, the post-transform, the Complement
  // layout (binary, one score column) or PerOutput, the RawScores label rule and, with an L1
  // Normalizer after the operator, l1_normalize; `link` and `transform` keep the IR's own meaning
  // of the model (what writers write).  Plain for every other linear model.
  OutputStage output;
  bool operator==(const Linear&) const = default;
};

// Node tests of tree splits.  `true` goes to `left`.
enum class SplitOp : uint8_t { Leaf, LessThan, LessOrEqual, GreaterThan, GreaterOrEqual, Equal, NotEqual, InSet };

// Where a node sends a row whose split feature is missing (or whose category is not in either set).
enum class MissingGo : uint8_t {
  Left,
  Right,
  Node,      // go to `missing_child`
  StopHere,  // predict with this node's value (rpart usesurrogate 0/1, PMML lastPrediction)
  Null,      // the whole prediction is missing (PMML nullPrediction)
  Majority,  // child with more training records (`count`), PMML defaultChild style
};

// One tree as a struct of arrays over its nodes; node 0 is the root.
struct Tree {
  std::vector<SplitOp> op;
  std::vector<int32_t> feature;  // feature index, -1 at leaves
  std::vector<double> threshold;
  std::vector<int32_t> left, right;  // children (true / false), -1 at leaves
  std::vector<MissingGo> missing;
  std::vector<int32_t> missing_child;         // used with MissingGo::Node
  std::vector<int32_t> set_offset, set_size;  // InSet: category codes in `sets`
  std::vector<int32_t> sets;
  // InSet splits that name both sides (rpart csplit, gbm c.splits): when non-empty, parallel to
  // `sets` and applying to every InSet range of this tree (surrogates included): 1 = the code
  // goes to the split's true side, 0 = to its false side; a code listed on neither side counts as
  // missing at that node (surrogates, then `missing`).  Empty: listed codes are the true side and
  // every other code goes to the false side.
  std::vector<uint8_t> set_side;
  // Surrogate splits tried in order when the primary feature is missing (rpart, PMML surrogate):
  // for node n, surrogates [sur_offset[n], sur_offset[n]+sur_size[n]) of the arrays below.
  std::vector<int32_t> sur_offset, sur_size;
  std::vector<int32_t> sur_feature;
  std::vector<SplitOp> sur_op;
  std::vector<double> sur_threshold;
  std::vector<int32_t> sur_set_offset, sur_set_size;
  std::vector<uint8_t> sur_flip;  // 1: the surrogate's true side goes right
  std::vector<double> count;      // training records per node (for Majority), may be empty
  std::vector<double> values;     // n_nodes x n_outputs: leaf (and inner node) values
  // Classification: per node, the class index it predicts where that is not the first most
  // probable class of its values (PMML Node@score, rpart's frame$yval under a loss matrix), else
  // -1; empty when no node has one.  It is the tree's label: its vote in a Vote ensemble, the
  // model's label in a one-tree ensemble (validate refuses it elsewhere); the probabilities stay
  // the node's values.
  std::vector<int32_t> label;

  // Appends a node's test, children and missing rule (values and the optional per-node arrays
  // are the caller's); returns its index.
  int32_t push_node(SplitOp o, int32_t feat, double thr, int32_t l, int32_t r, MissingGo miss, int32_t mchild = -1) {
    op.push_back(o);
    feature.push_back(feat);
    threshold.push_back(thr);
    left.push_back(l);
    right.push_back(r);
    missing.push_back(miss);
    missing_child.push_back(mchild);
    return static_cast<int32_t>(op.size() - 1);
  }
  bool operator==(const Tree&) const = default;
};

// Decision trees and ensembles: scores = base + aggregate over trees of each tree's leaf values;
// for classification each tree yields n_outputs class scores (or one vote at its argmax); then
// the output stage, the link and the transform.
struct TreeEnsemble {
  int32_t n_outputs = 1;
  std::vector<Tree> trees;
  std::vector<double> tree_weights;  // empty = all 1
  Aggregate aggregate = Aggregate::Sum;
  std::vector<double> base;    // n_outputs, added after aggregation
  Link link = Link::Identity;  // applied to scores after base (gbm bernoulli: Logit)
  ScoreTransform transform = ScoreTransform::None;
  Precision threshold_precision = Precision::Double;
  Precision value_precision = Precision::Double;
  // How the aggregated scores become the output (lib/ir/output.hpp): plain for models whose
  // meaning the fields above state; trees read from ai.onnx.ml tree operators carry the
  // operator's post-transform, layout, label rule and float32 rounding there, and `link` and
  // `transform` then apply to the stage's output (the graph after the operator), in double.
  OutputStage output;
  // Classification: empty, or one positive cutoff per class (randomForest's `cutoff`): the label
  // is then the first class with the largest probability / cutoff, the probabilities unchanged.
  std::vector<double> class_cutoffs;
  bool operator==(const TreeEnsemble&) const = default;
};

enum class Kernel { Linear, Polynomial, Radial, Sigmoid };

// How a pairwise SVM's Platt probabilities are coupled and its class chosen (ir::Svm with
// prob_a/prob_b).
enum class SvmCoupling : uint8_t {
  // libsvm's svm_predict_probability (e1071, ONNX SVMClassifier, PMML readers): below.
  Libsvm,
  // kernlab's predict.ksvm (kernlab 0.9): r_p = 1/(1+exp(dec*A+B)), not clamped, for the p-th
  // pair (i, j) in row order (the ksvm importer stores kernlab's A and -B: kernlab's decision
  // value is -dec and its pair probability 1 - 1/(1+exp(-dec*A-B)) = r_p), coupled by couple()'s
  // "minpair": M (K x K, zero diagonal) takes r in the column-major order of its upper triangle
  // ((0,1), (0,2), (1,2), (0,3), ...: the pairs' row order for up to three classes only) and
  // 1 - r in that of its lower triangle ((1,0), (2,0), ..., (K-1,0), (2,1), ...); Q has the column
  // sums of M's squares on its diagonal and -r_p (1 - r_p) at both triangles' p-th places; the
  // (K+1) x (K+1) system [Q 1; 1' 0] [p; l] = [0; 1] solved by LU with partial pivoting (R's
  // solve()), p divided by its sum.  Not clamped: a probability may come out below 0.  The class is
  // the most votes (predict(type = "response")), first in class order, as without probabilities.
  Kernlab,
  // caret's probModel and predict over a ksvm with a probability model (svmRadial, svmLinear,
  // svmPoly, ... with classProbs = TRUE): kernlab's probabilities with every negative one set to 0
  // and the row divided by its sum when it had one; the class is the first largest of kernlab's
  // probabilities (caret's which.max).
  KernlabCaret,
};

// Support vector machines, libsvm layout (scored as libsvm 3.x svm_predict_values /
// svm_predict_probability do, lib/eval/eval_svm.cpp):
//  - kernels: linear u.v; polynomial (gamma u.v + coef0)^degree (integer degree by repeated
//    squaring); radial exp(-gamma |u-v|^2); sigmoid tanh(gamma u.v + coef0).
//  - classification: support vectors grouped by libsvm class (sv_per_class); for each pair i < j
//    (p-th pair in row order) dec = sum_{s in i} coef[j-1][s] K(x,s) + sum_{s in j} coef[i][s]
//    K(x,s) - rho[p], a vote for i when dec > 0.  With prob_a/prob_b: r_ij = 1/(1+exp(dec*A+B))
//    clamped to [1e-7, 1-1e-7], two classes (r_01, r_10), more coupled by Wu-Lin-Weng
//    (libsvm multiclass_probability), class = first largest probability in libsvm order
//    (`coupling` Libsvm; kernlab's and caret's rules at SvmCoupling).
//    Without them: class = most votes (first in libsvm order), probabilities = vote shares.
//  - regression: (sum_s coef[s] K(x,s) - rho[0]) * scale + center.
//  - Operator output stage (`output`, read from ai.onnx.ml SVMClassifier / SVMRegressor,
//    parameters in float32; label rule Votes for classifiers, float32 output):
//    scored as onnxruntime 1.30 scores a batch of rows: inputs narrowed to float32; RBF kernels
//    as a float32 sum of squared differences then expf; linear, polynomial and sigmoid kernels
//    from its float32 GEMM (fused multiply-adds from 0 in feature order, times gamma, plus
//    coef0), the polynomial as x*x, x*x*x or powf; pairwise decision values as a double sum of
//    float32 products, minus rho, rounded to float32; the label by votes (first most, also with
//    probabilities); Platt probabilities in float32 (1 - mirrored logistic, clamped) coupled by
//    ml_common.h's float32 multiclass_probability for every number of classes (two included);
//    without Platt parameters the vote shares, or with the Decisions layout the float32 decision
//    values themselves ([-f, f] for two classes, pair order for three; lib/ir/output.hpp), or
//    with the OneVsRest layout scikit-learn's one-vs-rest scores computed from them in float32;
//    regression as rho + the float32 GEMM of kernel values and coefficients.
struct Svm {
  Kernel kernel = Kernel::Radial;
  double gamma = 0, coef0 = 0, degree = 3;
  int32_t n_sv = 0;
  std::vector<double> support_vectors;  // n_sv x F
  std::vector<int32_t> sv_per_class;    // classification, libsvm class order
  std::vector<double> coefficients;     // (K-1) x n_sv (classification) or n_sv (regression)
  std::vector<double> rho;              // K(K-1)/2, subtracted
  std::vector<double> prob_a, prob_b;   // pairwise Platt scaling; empty = no probabilities
  std::vector<int32_t> class_order;     // libsvm label i -> index into Target::classes
  double scale = 1, center = 0;         // regression output unscaling
  Precision precision = Precision::Double;
  OutputStage output;  // plain, or onnxruntime's SVMClassifier/SVMRegressor (above)
  // With prob_a/prob_b: how the pairwise probabilities are coupled and the class chosen.
  SvmCoupling coupling = SvmCoupling::Libsvm;
  // One-against-all (PMML classificationMethod="OneAgainstAll", KNIME's SMO): one machine per
  // entry of class_order, f_k = sum_s coefficients[k * n_sv + s] K(x, s) - rho[k]; the class of
  // the smallest f wins (the largest with max_wins), the first machine on ties; its probability is
  // 1 (PMML defines none).  sv_per_class and the Platt parameters are empty.
  bool one_vs_rest = false;
  bool max_wins = false;
  bool operator==(const Svm&) const = default;
};

enum class Activation { Identity, Logistic, LogisticClamped, Tanh, Relu, Softmax };

// Feed-forward networks: layers of dense units (also nnet's skip-layer connections, expressed as
// a sparse connection list per unit).
struct Mlp {
  struct Layer {
    int32_t n_units = 0;
    std::vector<double> weights;  // n_units x n_inputs_of_layer, row-major
    std::vector<double> biases;   // n_units
    Activation activation = Activation::Identity;
    bool operator==(const Layer&) const = default;
  };
  std::vector<Layer> layers;
  // nnet style: unit j sums weights[k]*value[source[k]] for k in [conn_offset[j], conn_offset[j+1]).
  // When non-empty it replaces `layers`; unit 0 is the bias (1), 1..F the features.
  std::vector<int32_t> conn_offset, conn_source;
  std::vector<double> conn_weights;
  std::vector<Activation> unit_activation;
  int32_t n_outputs = 1;
  ScoreTransform transform = ScoreTransform::None;
  Precision precision = Precision::Double;
  bool operator==(const Mlp&) const = default;
};

// Naive Bayes: log P(c) + sum_f log P(x_f | c); Gaussian for continuous features, tables for
// categorical ones.
//  - A Gaussian feature's density is dnorm(x, mean, sd) with sd <= eps replaced by min_sd; a
//    table feature's value is its 0-based level code, P = table[table_offset[f] + c*L + code]
//    with L = table_levels[f].  A density or probability <= eps is replaced by min_probability
//    (e1071 predict(threshold, eps)); a missing feature is left out of the sum.
//  - Probabilities: P(c) = 1 / sum_k exp(s_k - s_c) of the log-scores s; the class is the first
//    largest score.
struct NaiveBayes {
  std::vector<double> log_prior;      // K (e1071: log of the class counts)
  std::vector<uint8_t> gaussian;      // per feature: 1 Gaussian, 0 table
  std::vector<double> mean, sd;       // K x F (Gaussian features)
  std::vector<int32_t> table_offset;  // per feature: offset into `table` (K x levels, row-major)
  std::vector<double> table;          // P(level | class)
  double min_probability = 0.001;     // replacement for values <= eps (e1071 threshold)
  double min_sd = 0.001;
  std::vector<int32_t> table_levels;  // per feature: levels L of its table (0 for Gaussian)
  double eps = 0;                     // e1071 eps: values at or below it are replaced
  // Float32: skl2onnx's GaussianNB graph (read from ONNX, Gaussian features only, no eps) as
  // onnxruntime 1.30 computes it in float32: per class d = x - mean, d*d / var (var = sd^2 in
  // float32), summed over the features in the order of its ReduceSum over a [rows, K, F]
  // tensor (Eigen's 4-wide SSE sum, whose packets start at the first 16-byte aligned element,
  // so the order depends on (row * K + class) * F mod 4, row = the row's index in the scored
  // input), then log_prior + (log_norm - 0.5 * sum), and the probabilities as
  // exp(s - (log(sum exp(s - max)) + max)), all in float32.
  Precision precision = Precision::Double;
  std::vector<double> log_norm;  // Float32: per class, -0.5 sum log(2 pi var) as stored
  bool operator==(const NaiveBayes&) const = default;
};

// k-means style clustering: nearest centre by squared Euclidean distance, ties to the lowest id.
struct Clustering {
  int32_t k = 0;
  std::vector<double> centers;  // k x F
  bool operator==(const Clustering&) const = default;
};

}  // namespace mb::ir
