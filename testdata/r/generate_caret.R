#!/usr/bin/env Rscript
# Reference caret::train objects and caret's own predictions: methods glm, lm, rpart, rf, nnet,
# ranger, glmnet, earth, lda, polr, multinom, pls, ... and treebag (ipred), with the formula and the x/y interfaces
# and preProcess center, scale, range and medianImpute.  The cases of `held_out_fits` are fitted on
# three rows in four and predicted on the fourth (and perturbed copies of it).
#
# Run from the repository root, after generate.R and generate_more.R (this script appends to
# MANIFEST.tsv):
#     Rscript testdata/r/generate_caret.R [CASE ...]   (no CASE: every case and the fixtures)
# Deterministic: trainControl(method = "none") fits the one tuning value given, and every case
# seeds the RNG from its name.  Same layout as generate.R (see README.md).
#
# expected.csv: predict(model, newdata, na.action = na.pass) as caret gives it:
#  - regression: `prediction`
#  - classification: `class` (predict(type = "raw")), then `probability(<label>)` from
#    predict(type = "prob") in the order of `$levels`.
# A row with a missing predictor predicts NA (glm), goes down rpart's surrogate splits (rpart);
# randomForest refuses missing values, so its cases have no such rows.  With medianImpute a
# missing predictor becomes its (centred and scaled) training median, and the row predicts.

suppressPackageStartupMessages({
  library(jsonlite)
  library(caret)
  library(rpart)
  library(randomForest)
  library(nnet)
  library(ranger)
  library(glmnet)
  library(earth)
  library(MASS)
  library(pls)
  library(kernlab)
  library(ipred)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

none <- trainControl(method = "none", classProbs = TRUE)
none_reg <- trainControl(method = "none")
# kernlab methods without class probabilities: caret's class is then predict()'s one-against-one
# vote (with classProbs = TRUE, `none`, the final ksvm has a probability model and caret's class is
# the largest of kernlab's coupled probabilities).
none_votes <- trainControl(method = "none", classProbs = FALSE)
infert_f <- within(infert, status <- factor(case, levels = c(0, 1), labels = c("control", "case")))
airq <- airquality[, c("Ozone", "Solar.R", "Wind", "Temp")]

fits <- list(
  caret_glm_binomial = function()
    train(status ~ age + parity + education + spontaneous + induced, data = infert_f, method = "glm",
          family = binomial, preProcess = c("center", "scale"), trControl = none),
  caret_glm_gaussian = function()
    train(mpg ~ wt + hp + factor(cyl), data = mtcars, method = "glm", preProcess = "range",
          trControl = none_reg),
  caret_rpart_class = function()
    train(Species ~ ., data = iris, method = "rpart", tuneGrid = data.frame(cp = 0.01),
          preProcess = c("center", "scale"), trControl = none),
  caret_rf_class_xy = function()
    train(x = iris[, 1:4], y = iris$Species, method = "rf", ntree = 25,
          tuneGrid = data.frame(mtry = 2), preProcess = c("center", "scale"), trControl = none),
  caret_rf_regression = function()
    train(mpg ~ wt + hp + disp + qsec, data = mtcars, method = "rf", ntree = 25,
          tuneGrid = data.frame(mtry = 2), preProcess = "range", trControl = none_reg),
  caret_lm_median_impute = function()
    train(Ozone ~ ., data = airq[!is.na(airq$Ozone), ], method = "lm",
          preProcess = c("center", "scale", "medianImpute"), trControl = none_reg, na.action = na.pass)
)
# Fitted on the rows `fit_rows` keeps; the other rows are the input.
iris_size <- within(iris, size <- cut(Sepal.Length, c(0, 5.4, 6.3, 8), labels = c("small", "medium", "large"),
                                      ordered_result = TRUE))
infert_2 <- infert_f[, c("status", "age", "parity", "induced", "spontaneous")]
fit_rows <- function(d) seq_len(nrow(d)) %% 4 != 0
held_out_fits <- list(
  caret_nnet_class = function(d)
    train(Species ~ ., data = d, method = "nnet", tuneGrid = data.frame(size = 3, decay = 0.1),
          preProcess = c("center", "scale"), trControl = none, trace = FALSE, maxit = 300),
  caret_nnet_binary_xy = function(d)
    train(x = d[, -1], y = d$status, method = "nnet", tuneGrid = data.frame(size = 2, decay = 0.01),
          preProcess = "range", trControl = none, trace = FALSE, maxit = 300),
  caret_nnet_regression = function(d)
    train(mpg ~ wt + hp + qsec, data = d, method = "nnet", tuneGrid = data.frame(size = 2, decay = 0.1),
          preProcess = c("center", "scale"), linout = TRUE, trControl = none_reg, trace = FALSE, maxit = 300),
  caret_ranger_class = function(d)
    train(Species ~ ., data = d, method = "ranger", num.trees = 25,
          tuneGrid = data.frame(mtry = 2, splitrule = "gini", min.node.size = 5),
          preProcess = c("center", "scale"), trControl = none),
  caret_ranger_regression_xy = function(d)
    train(x = d[, c("wt", "hp", "disp", "qsec")], y = d$mpg, method = "ranger", num.trees = 25,
          tuneGrid = data.frame(mtry = 2, splitrule = "variance", min.node.size = 3),
          preProcess = "range", trControl = none_reg),
  # lambda off glmnet's path: predict(s = lambdaOpt) interpolates between its neighbours.
  caret_glmnet_binomial = function(d)
    train(status ~ ., data = d, method = "glmnet", tuneGrid = data.frame(alpha = 0.5, lambda = 0.013),
          preProcess = c("center", "scale"), trControl = none),
  caret_glmnet_multinomial = function(d)
    train(Species ~ ., data = d, method = "glmnet", tuneGrid = data.frame(alpha = 1, lambda = 0.004),
          trControl = none),
  caret_glmnet_gaussian = function(d)
    train(mpg ~ wt + hp + factor(cyl), data = d, method = "glmnet",
          tuneGrid = data.frame(alpha = 0.3, lambda = 0.2), preProcess = "range", trControl = none_reg),
  caret_earth_regression = function(d)
    train(mpg ~ wt + hp + disp + qsec, data = d, method = "earth",
          tuneGrid = data.frame(degree = 1, nprune = 5), trControl = none_reg),
  caret_earth_binary = function(d)
    train(status ~ ., data = d, method = "earth", tuneGrid = data.frame(degree = 1, nprune = 5),
          preProcess = c("center", "scale"), trControl = none),
  caret_lda_xy = function(d)
    train(x = d[, 1:4], y = d$Species, method = "lda", preProcess = c("center", "scale"), trControl = none),
  caret_polr = function(d)
    train(size ~ Sepal.Width + Petal.Length + Petal.Width, data = d, method = "polr",
          tuneGrid = data.frame(method = "logistic"), preProcess = "range", trControl = none),
  caret_multinom_class = function(d)
    train(Species ~ ., data = d, method = "multinom", tuneGrid = data.frame(decay = 0.01),
          preProcess = c("center", "scale"), trControl = none, trace = FALSE),
  caret_multinom_binary = function(d)
    train(status ~ ., data = d, method = "multinom", tuneGrid = data.frame(decay = 0),
          trControl = none, trace = FALSE),
  # A factor in the formula: the final model reads model-matrix columns such as `factor(cyl)6`.
  caret_nnet_factor_formula = function(d)
    train(mpg ~ wt + hp + factor(cyl), data = d, method = "nnet", tuneGrid = data.frame(size = 2, decay = 0.1),
          preProcess = c("center", "scale"), linout = TRUE, trControl = none_reg, trace = FALSE, maxit = 300),
  # A factor among x: the final model reads it as a factor (its own model matrix).
  caret_multinom_factor_xy = function(d)
    train(x = d[, c("age", "parity", "education")], y = d$status, method = "multinom",
          tuneGrid = data.frame(decay = 0.001), preProcess = c("center", "scale"), trControl = none,
          trace = FALSE),
  caret_pls_regression = function(d)
    train(mpg ~ wt + hp + disp + qsec + drat, data = d, method = "pls", tuneGrid = data.frame(ncomp = 3),
          preProcess = c("center", "scale"), trControl = none_reg),
  # party's S4 BinaryTree as the final model.
  caret_ctree_class = function(d)
    train(Species ~ ., data = d, method = "ctree", tuneGrid = data.frame(mincriterion = 0.95),
          preProcess = c("center", "scale"), trControl = none),
  # Two classes: caret fits gbm's bernoulli on y == first level.
  caret_gbm_binary = function(d)
    train(status ~ ., data = d, method = "gbm", distribution = "bernoulli",
          tuneGrid = data.frame(n.trees = 60, interaction.depth = 2, shrinkage = 0.1, n.minobsinnode = 5),
          preProcess = c("center", "scale"), trControl = none, verbose = FALSE),
  # Methods whose final model is a class read above: a stepwise glm/lm, rpart's 1-SE tree,
  # earth by GCV, pls's other algorithms, ctree2, e1071's linear svm.
  caret_glm_stepaic = function(d)
    train(status ~ ., data = d, method = "glmStepAIC", trControl = none, trace = 0),
  caret_lm_stepaic = function(d)
    train(mpg ~ wt + hp + qsec + drat, data = d, method = "lmStepAIC", preProcess = "range", trControl = none_reg,
          trace = 0),
  caret_rpart1se_class = function(d) train(Species ~ ., data = d, method = "rpart1SE", trControl = none),
  caret_gcvearth_regression = function(d)
    train(mpg ~ wt + hp + qsec, data = d, method = "gcvEarth", tuneGrid = data.frame(degree = 1),
          trControl = none_reg),
  caret_simpls_regression = function(d)
    train(mpg ~ wt + hp + qsec + drat, data = d, method = "simpls", tuneGrid = data.frame(ncomp = 2),
          preProcess = c("center", "scale"), trControl = none_reg),
  caret_kernelpls_regression = function(d)
    train(mpg ~ wt + hp + qsec + drat, data = d, method = "kernelpls", tuneGrid = data.frame(ncomp = 2),
          trControl = none_reg),
  caret_ctree2_class = function(d)
    train(Species ~ ., data = d, method = "ctree2", tuneGrid = data.frame(maxdepth = 3, mincriterion = 0.95),
          trControl = none),
  caret_svmlinear2_class = function(d)
    train(Species ~ ., data = d, method = "svmLinear2", tuneGrid = data.frame(cost = 1),
          preProcess = c("center", "scale"), trControl = none),
  caret_svmlinear2_regression = function(d)
    train(x = d[, c("wt", "hp", "qsec")], y = d$mpg, method = "svmLinear2", tuneGrid = data.frame(cost = 1),
          trControl = none_reg),
  caret_svmradial_class = function(d)
    train(Species ~ ., data = d, method = "svmRadial", tuneGrid = data.frame(sigma = 0.2, C = 1),
          preProcess = c("center", "scale"), trControl = none_votes),
  caret_svmlinear_regression_xy = function(d)
    train(x = d[, c("wt", "hp", "qsec")], y = d$mpg, method = "svmLinear", tuneGrid = data.frame(C = 1),
          trControl = none_reg),
  caret_svmpoly_binary = function(d)
    train(status ~ ., data = d, method = "svmPoly", tuneGrid = data.frame(degree = 2, scale = 0.1, C = 1),
          trControl = none_votes),
  caret_ctree_regression = function(d)
    train(x = d[, c("wt", "hp", "disp", "qsec")], y = d$mpg, method = "ctree",
          tuneGrid = data.frame(mincriterion = 0.5), trControl = none_reg),
  # ipred's bagged rpart trees: the majority vote (a tie is drawn at random by predict.classbagg:
  # run_caret_case stops when a row ties) or the mean of the trees.
  caret_treebag_class = function(d)
    train(Species ~ ., data = d, method = "treebag", nbagg = 9, preProcess = c("center", "scale"),
          trControl = none),
  caret_treebag_binary_xy = function(d)
    train(x = d[, -1], y = d$status, method = "treebag", nbagg = 7, trControl = none),
  caret_treebag_regression = function(d)
    train(mpg ~ wt + hp + disp + qsec + factor(cyl), data = d, method = "treebag", nbagg = 10,
          preProcess = "range", trControl = none_reg),
  # Methods whose final model is a class read above, predicted its own way: lda with fewer
  # discriminants (predict(dimen = $tuneValue$dimen)), MASS's glm.nb and rlm, rpart with a loss
  # matrix (caret gives no probabilities for rpartCost).
  caret_lda2_xy = function(d)
    train(x = d[, 1:4], y = d$Species, method = "lda2", tuneGrid = data.frame(dimen = 1),
          preProcess = c("center", "scale"), trControl = none),
  caret_glmnb_regression = function(d)
    train(Days ~ Eth + Sex + Age + Lrn, data = d, method = "glm.nb", tuneGrid = data.frame(link = "log"),
          trControl = none_reg),
  caret_rlm_regression = function(d)
    train(mpg ~ wt + hp + qsec, data = d, method = "rlm", tuneGrid = data.frame(intercept = TRUE, psi = "psi.huber"),
          preProcess = c("center", "scale"), trControl = none_reg),
  caret_rpartcost_binary = function(d)
    train(status ~ ., data = d, method = "rpartCost", tuneGrid = data.frame(cp = 0.01, Cost = 2),
          trControl = none_votes),
  caret_svmradial_probs_class = function(d)
    train(Species ~ ., data = d, method = "svmRadial", tuneGrid = data.frame(sigma = 0.3, C = 2),
          preProcess = c("center", "scale"), trControl = none),
  caret_svmlinear_probs_binary_xy = function(d)
    train(x = d[, -1], y = d$status, method = "svmLinear", tuneGrid = data.frame(C = 0.5), trControl = none)
)
for (case in names(held_out_fits)) fits[[case]] <- held_out_fits[[case]]

data_of <- list(caret_glm_binomial = infert_f, caret_glm_gaussian = mtcars, caret_rpart_class = iris,
                caret_rf_class_xy = iris, caret_rf_regression = mtcars,
                caret_lm_median_impute = airq[!is.na(airq$Ozone), ],
                caret_nnet_class = iris, caret_nnet_binary_xy = infert_2, caret_nnet_regression = mtcars,
                caret_ranger_class = iris, caret_ranger_regression_xy = mtcars,
                caret_glmnet_binomial = infert_2, caret_glmnet_multinomial = iris,
                caret_glmnet_gaussian = mtcars, caret_earth_regression = mtcars,
                caret_earth_binary = infert_2, caret_lda_xy = iris, caret_polr = iris_size,
                caret_multinom_class = iris, caret_multinom_binary = infert_2, caret_pls_regression = mtcars,
                caret_nnet_factor_formula = mtcars, caret_multinom_factor_xy = infert_f,
                caret_ctree_class = iris, caret_ctree_regression = mtcars, caret_gbm_binary = infert_2,
                caret_glm_stepaic = infert_2, caret_lm_stepaic = mtcars, caret_rpart1se_class = iris,
                caret_gcvearth_regression = mtcars, caret_simpls_regression = mtcars,
                caret_kernelpls_regression = mtcars, caret_ctree2_class = iris, caret_svmlinear2_class = iris,
                caret_svmlinear2_regression = mtcars, caret_svmradial_class = iris,
                caret_svmlinear_regression_xy = mtcars, caret_svmpoly_binary = infert_2,
                caret_treebag_class = iris, caret_treebag_binary_xy = infert_2, caret_treebag_regression = mtcars,
                caret_lda2_xy = iris, caret_glmnb_regression = MASS::quine, caret_rlm_regression = mtcars,
                caret_rpartcost_binary = infert_2,
                caret_svmradial_probs_class = iris, caret_svmlinear_probs_binary_xy = infert_2)
cols_of <- list(caret_glm_binomial = c("age", "parity", "education", "spontaneous", "induced"),
                caret_glm_gaussian = c("wt", "hp", "cyl"), caret_rpart_class = names(iris)[1:4],
                caret_rf_class_xy = names(iris)[1:4], caret_rf_regression = c("wt", "hp", "disp", "qsec"),
                caret_lm_median_impute = c("Solar.R", "Wind", "Temp"),
                caret_nnet_class = names(iris)[1:4], caret_nnet_binary_xy = names(infert_2)[-1],
                caret_nnet_regression = c("wt", "hp", "qsec"), caret_ranger_class = names(iris)[1:4],
                caret_ranger_regression_xy = c("wt", "hp", "disp", "qsec"),
                caret_glmnet_binomial = names(infert_2)[-1], caret_glmnet_multinomial = names(iris)[1:4],
                caret_glmnet_gaussian = c("wt", "hp", "cyl"), caret_earth_regression = c("wt", "hp", "disp", "qsec"),
                caret_earth_binary = names(infert_2)[-1], caret_lda_xy = names(iris)[1:4],
                caret_polr = c("Sepal.Width", "Petal.Length", "Petal.Width"),
                caret_multinom_class = names(iris)[1:4], caret_multinom_binary = names(infert_2)[-1],
                caret_pls_regression = c("wt", "hp", "disp", "qsec", "drat"),
                caret_nnet_factor_formula = c("wt", "hp", "cyl"),
                caret_multinom_factor_xy = c("age", "parity", "education"),
                caret_ctree_class = names(iris)[1:4], caret_ctree_regression = c("wt", "hp", "disp", "qsec"),
                caret_gbm_binary = names(infert_2)[-1], caret_glm_stepaic = names(infert_2)[-1],
                caret_lm_stepaic = c("wt", "hp", "qsec", "drat"), caret_rpart1se_class = names(iris)[1:4],
                caret_gcvearth_regression = c("wt", "hp", "qsec"),
                caret_simpls_regression = c("wt", "hp", "qsec", "drat"),
                caret_kernelpls_regression = c("wt", "hp", "qsec", "drat"), caret_ctree2_class = names(iris)[1:4],
                caret_svmlinear2_class = names(iris)[1:4], caret_svmlinear2_regression = c("wt", "hp", "qsec"),
                caret_svmradial_class = names(iris)[1:4], caret_svmlinear_regression_xy = c("wt", "hp", "qsec"),
                caret_svmpoly_binary = names(infert_2)[-1], caret_treebag_class = names(iris)[1:4],
                caret_treebag_binary_xy = names(infert_2)[-1],
                caret_treebag_regression = c("wt", "hp", "disp", "qsec", "cyl"), caret_lda2_xy = names(iris)[1:4],
                caret_glmnb_regression = c("Eth", "Sex", "Age", "Lrn"), caret_rlm_regression = c("wt", "hp", "qsec"),
                caret_rpartcost_binary = names(infert_2)[-1],
                caret_svmradial_probs_class = names(iris)[1:4],
                caret_svmlinear_probs_binary_xy = names(infert_2)[-1])
# Methods whose final model refuses missing predictors (randomForest, ranger) or that are
# tested without them.
no_na_methods <- c("rf", "ranger", "earth", "gcvEarth", "svmLinear2", "svmRadial", "svmLinear", "svmPoly")

predict_train <- function(m, nd) {
  if (m$modelType == "Regression")
    return(data.frame(prediction = unname(as.vector(predict(m, newdata = nd, na.action = na.pass)))))
  cls <- predict(m, newdata = nd, na.action = na.pass)
  if (!isTRUE(m$control$classProbs)) return(data.frame(class = as.character(cls), stringsAsFactors = FALSE))
  prob <- as.matrix(predict(m, newdata = nd, type = "prob", na.action = na.pass))[, m$levels, drop = FALSE]
  prob_table(cls, prob)
}

run_caret_case <- function(case) {
  seed_for(case)
  data <- data_of[[case]]
  held_out <- case %in% names(held_out_fits)
  m <- if (held_out) fits[[case]](data[fit_rows(data), , drop = FALSE]) else fits[[case]]()
  if (held_out) data <- data[!fit_rows(data), , drop = FALSE]
  cols <- cols_of[[case]]
  with_na <- !m$method %in% no_na_methods
  input <- make_input(data, cols, na_cols = if (with_na) cols else character())
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  tab <- predict_train(m, nd)
  # predict.classbagg draws the class of a tied vote at random: such a row has no one answer.
  if (m$method == "treebag" && m$modelType == "Classification") {
    prob <- as.matrix(tab[, -1])
    if (any(rowSums(abs(prob - apply(prob, 1, max)) < 1e-12) > 1)) stop(case, ": a row's votes tie")
  }
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  # party's S4 BinaryTree does not rebuild from jsonlite's JSON (its initialize method needs the
  # data): that JSON is not predicted by R; modelbridge reads it as it reads the binarytree_*
  # cases' JSON, and the crosscheck compares what it predicts with R's predict() of the object.
  # Nor does kernlab's S4 ksvm (unserializeJSON evaluates its @kcall, a call of kernlab's .local;
  # its kernel function also loses its class and parameters in JSON, which modelbridge refuses).
  back <- if (m$method %in% c("ctree", "ctree2", "svmRadial", "svmLinear", "svmPoly")) m else
    fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                             collapse = "\n")))
  # jsonlite rebuilds closures with empty environments: a glm family's functions are rebuilt
  # from the family and link names the JSON holds.
  if (inherits(back$finalModel, "negbin"))
    back$finalModel$family <- MASS::negative.binomial(back$finalModel$theta, link = back$finalModel$family$link)
  else if (inherits(back$finalModel, "glm"))
    back$finalModel$family <- do.call(back$finalModel$family$family, list(link = back$finalModel$family$link))
  if (!isS4(back$finalModel) && !is.null(back$finalModel$glm.list))
    for (i in seq_along(back$finalModel$glm.list)) {
      fam <- back$finalModel$glm.list[[i]]$family
      back$finalModel$glm.list[[i]]$family <- do.call(fam$family, list(link = fam$link))
    }
  if (!identical(predict_train(back, nd), tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  pp <- if (is.null(m$preProcess)) "none" else paste(names(m$preProcess$method), collapse = "+")
  features <- c(paste0("method=", m$method), if (is.null(m$terms)) "x/y" else "formula",
                paste0("preProcess=", pp), na_features(input))
  meta <- list(case = case, class = I(class(m)), family = m$method, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-24s %-6s rows=%d\n", case, m$method, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = m$method, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

only <- commandArgs(trailingOnly = TRUE)
rows <- do.call(rbind, lapply(if (length(only)) only else names(fits), run_caret_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")

# Objects whose preprocessing is refused by name (unit.test_import_more): knnImpute and
# bagImpute are not fixed per-column maps (they read the row's other columns), nor is pca (a
# rotation onto fewer columns).  ica needs the fastICA package, which Debian does not package;
# the importer refuses it by the same rule.
if (length(only)) quit(save = "no")
fixtures <- file.path(dirname(out_dir), "r-fixtures", "refused")
for (how in c("knnImpute", "bagImpute", "pca")) {
  seed_for(how)
  m <- train(Ozone ~ ., data = airq[!is.na(airq$Ozone), ], method = "lm", preProcess = how,
             trControl = none_reg, na.action = na.pass)
  saveRDS(m, file.path(fixtures, sprintf("caret_%s.rds", how)))
}
# Methods refused by name: knn (caret's knn3, a family the tool does not read) and pls for
# classification (caret's plsda).
seed_for("caret_knn")
saveRDS(train(Species ~ ., data = iris, method = "knn", tuneGrid = data.frame(k = 5), trControl = none),
        file.path(fixtures, "caret_method_knn.rds"))
# A glmnet final model without the lambdaOpt train sets (as an object edited by hand, or saved
# by another caret version, may be): refused, as glmnet's own default would be another penalty.
seed_for("caret_glmnet")
m <- train(Species ~ ., data = iris, method = "glmnet", tuneGrid = data.frame(alpha = 1, lambda = 0.004),
           trControl = none)
m$finalModel$lambdaOpt <- NULL
saveRDS(m, file.path(fixtures, "caret_glmnet_no_lambdaopt.rds"))
m$finalModel$lambdaOpt <- 0.01
saveRDS(m, file.path(fixtures, "caret_glmnet_other_lambdaopt.rds"))
seed_for("caret_plsda")
saveRDS(train(Species ~ ., data = iris, method = "pls", tuneGrid = data.frame(ncomp = 2), trControl = none),
        file.path(fixtures, "caret_method_plsda.rds"))
