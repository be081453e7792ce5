#!/usr/bin/env Rscript
# Reference models and R's own predictions for the smooth model families: nnet, multinom,
# e1071 svm and naiveBayes, kmeans, glmnet, pscl zeroinfl and hurdle.
#
# Run from the repository root, after generate.R (this script appends to its MANIFEST.tsv):
#     Rscript testdata/r/generate_more.R [CASE ...]     (no CASE: every case)
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md): model.rds, model.json, model.default.json, model_exact.json, input.csv,
# expected.csv, meta.json per case folder; glmnet cases add s.txt (the lambda R predicted at).
#
# expected.csv columns:
#  - regression: `prediction`
#  - classification: `class`, then `probability(<label>)` in the model's class order
#    (nnet/multinom `$lev` (a multinom count-matrix response: `$lab`), svm `$levels`, naiveBayes `$levels`, glmnet `$classnames`)
#  - kmeans: `cluster` (the nearest centre by squared Euclidean distance; kmeans has no predict())
# nnet with a two-level factor response fits one logistic output with entropy = TRUE itself.
# A row with a missing predictor predicts NA in every column, except naiveBayes, which skips a
# missing predictor (R's predict.naiveBayes).
# naiveBayes cases predict with predict(threshold = 0.001), R's default, unless the case gives
# `nb_threshold` (the hint --nb-threshold of its case.json).  With threshold = 0 a class whose
# table gives a row's level probability 0 has the log score -Inf, and R's raw output writes NaN
# for it (exp(-Inf - -Inf)); expected.csv writes that class's probability as 0, its limit (as
# jpmml-r's naiveBayes.R does), while R's class is unaffected.

suppressPackageStartupMessages({
  library(jsonlite)
  library(stats)
  library(nnet)
  library(e1071)
  library(glmnet)
  library(pscl)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})

source(file.path(out_dir, "common.R"))   # serializer, CSV helpers, seeding

fit_call <- function(code) {
  withCallingHandlers(eval(parse(text = code), envir = globalenv()),
    warning = function(w) stop("fitting '", code, "' warned: ", conditionMessage(w)))
}

# ------------------------------------------------------------------------------------------
# Predictions per class.  `x` is the newdata as R reads input.csv back.
# ------------------------------------------------------------------------------------------
# Rows whose class R draws at random: max.col() (nnet, multinom) treats values within a
# relative 1e-5 of the row maximum as ties and picks one at random.
max_col_ties <- function(prob) {
  apply(prob, 1, function(p) !anyNA(p) && sum(p >= max(p) * (1 - 1e-5)) > 1)
}

predict_more <- function(m, nd, extra) {
  none <- rep(FALSE, nrow(nd))
  if (inherits(m, "multinom") || inherits(m, "nnet")) {
    lev <- m$lev
    if (is.null(lev) && inherits(m, "multinom")) {
      # A count-matrix response: a softmax over its columns, named by $lab, two included.
      prob <- matrix(predict(m, newdata = nd, type = "probs"), nrow = nrow(nd))
      colnames(prob) <- m$lab
      cls <- predict(m, newdata = nd, type = "class")
      return(list(table = prob_table(cls, prob), ties = max_col_ties(prob)))
    }
    if (is.null(lev)) {
      return(list(table = data.frame(prediction = unname(predict(m, newdata = nd, type = "raw")[, 1])),
                  ties = none))
    }
    raw <- if (inherits(m, "multinom")) predict(m, newdata = nd, type = "probs")
           else predict(m, newdata = nd, type = "raw")
    cls <- predict(m, newdata = nd, type = "class")
    if (length(lev) == 2L) {
      p <- as.vector(raw)
      prob <- cbind(1 - p, p)
      ties <- none
    } else {
      prob <- as.matrix(raw)
      ties <- max_col_ties(prob)
    }
    colnames(prob) <- lev
    return(list(table = prob_table(cls, prob), ties = ties))
  }
  if (inherits(m, "svm")) {
    p <- predict(m, newdata = nd, probability = m$compprob, na.action = na.exclude)
    if (m$type >= 3) return(list(table = data.frame(prediction = unname(as.vector(p))), ties = none))
    prob <- attr(p, "probabilities")[, m$levels, drop = FALSE]
    return(list(table = prob_table(p, prob), ties = none))
  }
  if (inherits(m, "naiveBayes")) {
    threshold <- if (is.null(extra$nb_threshold)) 0.001 else extra$nb_threshold
    prob <- predict(m, newdata = nd, type = "raw", threshold = threshold)
    cls <- predict(m, newdata = nd, type = "class", threshold = threshold)
    if (threshold == 0) prob[is.nan(prob) & rowSums(!is.nan(prob)) > 0] <- 0
    colnames(prob) <- m$levels
    return(list(table = prob_table(cls, prob), ties = none))
  }
  if (inherits(m, "zeroinfl") || inherits(m, "hurdle")) {
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd, type = "response"))),
                ties = none))
  }
  if (inherits(m, "kmeans")) {
    x <- as.matrix(nd[, colnames(m$centers), drop = FALSE])
    cl <- apply(x, 1, function(r) {
      if (anyNA(r)) return(NA_character_)
      d <- colSums((t(m$centers) - r)^2)
      rownames(m$centers)[which.min(d)]   # first minimum: ties to the lowest id
    })
    return(list(table = data.frame(cluster = cl, stringsAsFactors = FALSE), ties = none))
  }
  if (inherits(m, "glmnet")) {
    newx <- as.matrix(nd[, rownames(beta_of(m)), drop = FALSE])
    s <- extra$s
    if (inherits(m, "lognet") && is.null(m$classnames)) {
      # A response matrix without column names: no class labels (predict(type = "class") has
      # none); the probability of column 2 and its complement, by column position.
      p <- as.vector(predict(m, newx = newx, s = s, type = "response"))
      return(list(table = data.frame(`probability(1)` = 1 - p, `probability(2)` = p, check.names = FALSE),
                  ties = none))
    }
    if (inherits(m, "lognet")) {
      p <- as.vector(predict(m, newx = newx, s = s, type = "response"))
      cls <- as.vector(predict(m, newx = newx, s = s, type = "class"))
      prob <- cbind(1 - p, p)
      colnames(prob) <- m$classnames
      return(list(table = prob_table(cls, prob), ties = none))
    }
    if (inherits(m, "multnet")) {
      prob <- predict(m, newx = newx, s = s, type = "response")[, , 1]
      cls <- as.vector(predict(m, newx = newx, s = s, type = "class"))
      colnames(prob) <- m$classnames
      return(list(table = prob_table(cls, prob), ties = max_col_ties(prob)))
    }
    f <- as.vector(predict(m, newx = newx, s = s, type = "response"))
    return(list(table = data.frame(prediction = f), ties = none))
  }
  stop("no predict rule for class ", class(m)[1])
}

beta_of <- function(m) if (is.list(m$beta)) m$beta[[1]] else m$beta

family_of <- function(m) {
  if (inherits(m, "multinom")) return("multinomial")
  if (inherits(m, "nnet")) return(if (is.null(m$lev)) "regression" else if (m$softmax) "softmax" else "logistic")
  if (inherits(m, "svm")) return(c("C-classification", "nu-classification", "one-classification",
                                   "eps-regression", "nu-regression")[m$type + 1])
  if (inherits(m, "naiveBayes")) return("naiveBayes")
  if (inherits(m, "kmeans")) return("kmeans")
  if (inherits(m, "zeroinfl")) return(paste0("zeroinfl ", m$dist))
  if (inherits(m, "hurdle")) return(paste0("hurdle ", m$dist$count))
  if (inherits(m, "glmnet")) return(class(m)[1])
  NA_character_
}

# ------------------------------------------------------------------------------------------
# Writing and checking one case.
# ------------------------------------------------------------------------------------------
manifest <- list()

# How many rows the object rebuilt from a JSON file predicts differently (beyond 1e-9 relative
# or another class) from the original; NA when the rebuilt object cannot predict.
rows_changed <- function(json_file, m, nd, reference, extra) {
  m2 <- tryCatch(fix_envs(jsonlite::unserializeJSON(paste(readLines(json_file, warn = FALSE),
                                                          collapse = "\n"))),
                 error = function(e) NULL)
  if (is.null(m2)) return(NA_integer_)
  t2 <- tryCatch(suppressWarnings(predict_more(m2, nd, extra)$table), error = function(e) NULL)
  if (is.null(t2)) return(NA_integer_)
  changed <- rep(FALSE, nrow(nd))
  for (cn in names(reference)) {
    a <- t2[[cn]]
    b <- reference[[cn]]
    if (is.numeric(b)) changed <- changed | xor(is.na(a), is.na(b)) |
      (!is.na(a) & !is.na(b) & abs(a - b) > 1e-9 * abs(b) + 1e-12)
    else changed <- changed | xor(is.na(a), is.na(b)) | (!is.na(a) & !is.na(b) & a != b)
  }
  sum(changed)
}

check_json <- function(m, case_dir, case) {
  exact_text <- readLines(file.path(case_dir, "model_exact.json"), warn = FALSE, encoding = "UTF-8")
  m2 <- jsonlite::unserializeJSON(paste(exact_text, collapse = "\n"))
  if (!identical(all_doubles(m), all_doubles(m2)))
    stop(case, ": doubles from model_exact.json are not identical")
  if (!identical(serialize_json(m, 15, deparse_default),
                 as.character(jsonlite::serializeJSON(m, digits = NA))))
    stop(case, ": serializer does not mirror jsonlite::serializeJSON")
}

# `data`: the data frame the input columns come from; `cols`: the input columns.
run_case <- function(case, code, features, data, cols, with_na = TRUE, extra = list(),
                     s_index = NULL, s_between = NULL) {
  seed_for(case)
  m <- fit_call(code)
  if (!is.null(s_index)) extra$s <- m$lambda[s_index]
  if (!is.null(s_between))   # a lambda between two path values: R interpolates
    extra$s <- sqrt(m$lambda[s_between] * m$lambda[s_between + 1L])
  input <- make_input(data, cols, na_cols = if (with_na) cols else character())
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  pr <- predict_more(m, nd, extra)
  if (any(pr$ties)) {
    input <- input[!pr$ties, , drop = FALSE]
    write_csv17(input, file.path(case_dir, "input.csv"))
    nd <- read_input(file.path(case_dir, "input.csv"), data)
    pr <- predict_more(m, nd, extra)
  }
  features <- c(features, na_features(input))
  family <- family_of(m)
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(as.character(jsonlite::serializeJSON(m)), file.path(case_dir, "model.default.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  write_expected(pr$table, file.path(case_dir, "expected.csv"))
  if (!is.null(extra$s)) write_text(sprintf("%.17g", extra$s), file.path(case_dir, "s.txt"))
  check_json(m, case_dir, case)
  exact_changed <- rows_changed(file.path(case_dir, "model_exact.json"), m, nd, pr$table, extra)
  if (!is.na(exact_changed) && exact_changed > 0)
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  json15_changed <- rows_changed(file.path(case_dir, "model.json"), m, nd, pr$table, extra)
  meta <- list(case = case, class = I(class(m)), family = family, link = NA_character_,
               features = I(features), n_rows = nrow(input),
               json15_rows_changed = json15_changed, dropped_tie_rows = sum(pr$ties))
  if (!is.null(extra$s)) meta$s <- sprintf("%.17g", extra$s)
  if (!is.null(extra$nb_threshold)) meta$nb_threshold <- extra$nb_threshold
  if (inherits(m, "svm") && m$type < 2) {
    # predict(probability = TRUE) takes the class with the largest coupled probability (libsvm
    # svm_predict_probability); without it the class is the pairwise vote winner.
    votes <- as.character(predict(m, newdata = nd, na.action = na.exclude))
    meta$vote_class_differs <- sum(votes != pr$table$class, na.rm = TRUE)
  }
  write_meta(case_dir, meta)
  manifest[[length(manifest) + 1L]] <<- data.frame(
    case = case, class = paste(class(m), collapse = ","), family = family, link = "",
    features = paste(features, collapse = ","), stringsAsFactors = FALSE)
  cat(sprintf("%-28s %-14s %-18s rows=%d json15_changed=%s\n", case, class(m)[1], family,
              nrow(input), json15_changed))
  invisible(m)
}

# ------------------------------------------------------------------------------------------
# Data (built-in datasets only) and cases.
# ------------------------------------------------------------------------------------------
infert_f <- within(infert, status <- factor(case, levels = c(0, 1), labels = c("no case", "case")))
infert_f$case <- NULL
mtcars_nb <- data.frame(am = factor(mtcars$am, labels = c("automatic", "manual")),
                        cyl = factor(mtcars$cyl), gear = factor(mtcars$gear), mpg = mtcars$mpg)
titanic_d <- local({
  d <- as.data.frame(Titanic)
  d <- d[rep(seq_len(nrow(d)), d$Freq), c("Class", "Sex", "Age", "Survived")]
  rownames(d) <- NULL
  d
})
# svm.formula keeps no levels: `trans` (the first factor, one column per level) reads back from
# the support-vector column names, `gear` (coded by contrasts: no column for "three") does not,
# and `gear_ratio`'s column begins with "gear".
mtcars_svm <- data.frame(mpg = mtcars$mpg, wt = mtcars$wt, gear_ratio = mtcars$drat,
                         trans = factor(mtcars$am, labels = c("auto", "manual")),
                         gear = factor(c("three", "four", "five")[mtcars$gear - 2],
                                       levels = c("three", "four", "five")))
# carb 6 and 8 have one row each: their numeric predictors have no standard deviation (NA).
mtcars_carb <- data.frame(carb = factor(mtcars$carb), mpg = mtcars$mpg, wt = mtcars$wt)
# Breaks beyond 25, zero in almost half the rows: a zero-inflated count.
warpbreaks_z <- within(warpbreaks, excess <- pmax(0, breaks - 25))
esoph_num <- data.frame(agegp = as.numeric(esoph$agegp), alcgp = as.numeric(esoph$alcgp),
                        tobgp = as.numeric(esoph$tobgp))
x_mtcars <- as.matrix(mtcars[, c("wt", "hp", "disp", "drat", "qsec")])
x_infert <- as.matrix(infert[, c("age", "parity", "induced", "spontaneous")])
y_infert <- factor(infert$case, levels = c(0, 1), labels = c("control", "case"))
x_iris <- as.matrix(iris[, 1:4])

iris_cols <- names(iris)[1:4]
infert_cols <- c("education", "age", "parity", "induced", "spontaneous")

cases <- list(
  list("nnet_regression_skip",
       "nnet(mpg ~ wt + hp + factor(cyl), data = mtcars, size = 3, linout = TRUE, skip = TRUE, decay = 0.01, maxit = 300, trace = FALSE)",
       c("numeric", "factor()", "linout", "skip-layer"), mtcars, c("wt", "hp", "cyl")),
  list("nnet_regression",
       "nnet(Volume ~ Girth + Height, data = trees, size = 2, linout = TRUE, decay = 0.001, maxit = 300, trace = FALSE)",
       c("numeric", "linout"), trees, c("Girth", "Height")),
  list("nnet_class_softmax",
       "nnet(Species ~ ., data = iris, size = 3, decay = 5e-4, maxit = 200, trace = FALSE)",
       c("numeric", "softmax", "multiclass"), iris, iris_cols),
  list("nnet_binary_entropy",
       "nnet(status ~ education + age + parity + induced + spontaneous, data = infert_f, size = 2, decay = 0.01, maxit = 300, trace = FALSE)",
       c("numeric", "factor", "entropy", "binary", "level-with-space"), infert_f, infert_cols),
  list("multinom_k2",
       "multinom(status ~ education + age + parity + spontaneous, data = infert_f, trace = FALSE)",
       c("numeric", "factor", "binary", "level-with-space"), infert_f,
       c("education", "age", "parity", "spontaneous")),
  list("multinom_k3",
       "multinom(Species ~ Sepal.Length + Sepal.Width, data = iris, trace = FALSE)",
       c("numeric", "multiclass"), iris, c("Sepal.Length", "Sepal.Width")),
  list("multinom_counts",
       "multinom(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph, trace = FALSE)",
       c("ordered", "count-matrix-response", "binary"), esoph, c("agegp", "alcgp")),
  list("svm_class_linear",
       "svm(Species ~ ., data = iris, kernel = \"linear\", probability = TRUE)",
       c("numeric", "multiclass", "linear", "probability"), iris, iris_cols),
  list("svm_class_polynomial",
       "svm(Species ~ ., data = iris, kernel = \"polynomial\", degree = 3, coef0 = 1, probability = TRUE)",
       c("numeric", "multiclass", "polynomial", "probability"), iris, iris_cols),
  list("svm_class_radial",
       "svm(Species ~ ., data = iris, kernel = \"radial\", probability = TRUE)",
       c("numeric", "multiclass", "radial", "probability"), iris, iris_cols),
  list("svm_class_sigmoid",
       "svm(Species ~ ., data = iris, kernel = \"sigmoid\", gamma = 0.05, probability = TRUE)",
       c("numeric", "multiclass", "sigmoid", "probability"), iris, iris_cols),
  list("svm_class_binary_factor",
       "svm(status ~ education + age + parity + induced + spontaneous, data = infert_f, probability = TRUE)",
       c("numeric", "factor", "binary", "radial", "probability", "level-with-space"), infert_f, infert_cols),
  list("svm_eps_regression",
       "svm(mpg ~ wt + hp + factor(cyl), data = mtcars)",
       c("numeric", "factor()", "radial", "eps-regression"), mtcars, c("wt", "hp", "cyl")),
  list("svm_eps_regression_poly",
       "svm(dist ~ speed, data = cars, kernel = \"polynomial\", degree = 2, coef0 = 1)",
       c("numeric", "polynomial", "eps-regression"), cars, "speed"),
  list("svm_eps_regression_contrast_factor",
       "svm(mpg ~ trans + gear + gear_ratio + wt, data = mtcars_svm)",
       c("numeric", "factor", "contrasts-factor", "radial", "eps-regression"), mtcars_svm,
       c("trans", "gear", "gear_ratio", "wt")),
  list("svm_eps_regression_interaction",
       "svm(mpg ~ trans * wt, data = mtcars_svm)",
       c("numeric", "factor", "interaction", "radial", "eps-regression"), mtcars_svm, c("trans", "wt")),
  list("svm_class_prefix_variable",
       "svm(trans ~ gear + gear_ratio, data = mtcars_svm, probability = TRUE)",
       c("numeric", "factor", "binary", "radial", "probability", "name-prefix"), mtcars_svm,
       c("gear", "gear_ratio")),
  list("zeroinfl_negbin_zero_regressors",
       "zeroinfl(excess ~ tension | wool, data = warpbreaks_z, dist = \"negbin\")",
       c("factor", "negbin", "zero-part-regressors"), warpbreaks_z, c("tension", "wool")),
  list("hurdle_zero_regressors",
       "hurdle(ncases ~ agegp + alcgp | tobgp + ncontrols, data = esoph)",
       c("ordered", "numeric", "zero-part-regressors"), esoph, c("agegp", "alcgp", "tobgp", "ncontrols")),
  list("hurdle_negbin",
       "hurdle(excess ~ tension + wool, data = warpbreaks_z, dist = \"negbin\")",
       c("factor", "negbin"), warpbreaks_z, c("tension", "wool")),
  list("hurdle_geometric_zero_regressors",
       "hurdle(excess ~ tension | wool, data = warpbreaks_z, dist = \"geometric\")",
       c("factor", "geometric", "zero-part-regressors"), warpbreaks_z, c("tension", "wool")),
  list("zeroinfl_probit",
       "zeroinfl(excess ~ tension | wool, data = warpbreaks_z, dist = \"negbin\", link = \"probit\")",
       c("factor", "negbin", "probit", "zero-part-regressors"), warpbreaks_z, c("tension", "wool")),
  list("hurdle_cloglog",
       "hurdle(excess ~ tension | wool, data = warpbreaks_z, link = \"cloglog\")",
       c("factor", "cloglog", "zero-part-regressors"), warpbreaks_z, c("tension", "wool")),
  list("naivebayes_numeric", "naiveBayes(Species ~ ., data = iris)",
       c("numeric", "multiclass"), iris, iris_cols),
  list("naivebayes_mixed",
       "naiveBayes(status ~ education + age + parity + induced + spontaneous, data = infert_f)",
       c("numeric", "factor", "binary", "level-with-space"), infert_f, infert_cols),
  list("naivebayes_zero_prob", "naiveBayes(am ~ cyl + gear + mpg, data = mtcars_nb)",
       c("numeric", "factor", "binary", "zero-probability"), mtcars_nb, c("cyl", "gear", "mpg")),
  list("naivebayes_threshold0", "naiveBayes(am ~ cyl + gear + mpg, data = mtcars_nb)",
       c("numeric", "factor", "binary", "zero-probability", "threshold-0"), mtcars_nb, c("cyl", "gear", "mpg"),
       extra = list(nb_threshold = 0)),
  list("naivebayes_laplace", "naiveBayes(Survived ~ Class + Sex + Age, data = titanic_d, laplace = 1)",
       c("factor", "binary", "laplace"), titanic_d, c("Class", "Sex", "Age")),
  list("naivebayes_one_row_class", "naiveBayes(carb ~ mpg + wt, data = mtcars_carb)",
       c("numeric", "multiclass", "sd-NA"), mtcars_carb, c("mpg", "wt")),
  list("kmeans_iris", "kmeans(iris[, 1:4], centers = 3, nstart = 5)",
       c("numeric"), iris, iris_cols),
  list("kmeans_mtcars", "kmeans(mtcars[, c(\"mpg\", \"hp\", \"wt\")], centers = 4, nstart = 5)",
       c("numeric"), mtcars, c("mpg", "hp", "wt")),
  list("glmnet_elnet", "glmnet(x_mtcars, mtcars$mpg)",
       c("numeric", "lambda-on-path"), mtcars, colnames(x_mtcars), s_index = 15L),
  list("glmnet_elnet_interp", "glmnet(x_mtcars, mtcars$mpg, alpha = 0.5)",
       c("numeric", "lambda-interpolated"), mtcars, colnames(x_mtcars), s_between = 20L),
  list("glmnet_lognet", "glmnet(x_infert, y_infert, family = \"binomial\")",
       c("numeric", "binary", "lambda-on-path"), infert, colnames(x_infert), s_index = 10L),
  list("glmnet_fishnet", "glmnet(x_mtcars[, 1:3], mtcars$carb, family = \"poisson\")",
       c("numeric", "poisson", "lambda-on-path"), mtcars, colnames(x_mtcars)[1:3], s_index = 12L),
  list("glmnet_lognet_count_matrix",
       "glmnet(as.matrix(esoph_num), cbind(esoph$ncontrols, esoph$ncases), family = \"binomial\")",
       c("numeric", "binary", "count-matrix-response", "lambda-on-path"), esoph_num, colnames(esoph_num),
       s_index = 15L),
  list("glmnet_multnet", "glmnet(x_iris, iris$Species, family = \"multinomial\")",
       c("numeric", "multiclass", "lambda-on-path"), iris, iris_cols, s_index = 20L)
)

only <- commandArgs(trailingOnly = TRUE)
for (cs in cases)
  if (length(only) == 0L || cs[[1]] %in% only)
    run_case(cs[[1]], cs[[2]], cs[[3]], cs[[4]], cs[[5]], extra = if (is.null(cs$extra)) list() else cs$extra,
             s_index = cs$s_index, s_between = cs$s_between)

# ------------------------------------------------------------------------------------------
# MANIFEST.tsv: replace this script's rows, keep generate.R's.
# ------------------------------------------------------------------------------------------
man_file <- file.path(out_dir, "MANIFEST.tsv")
mine <- do.call(rbind, manifest)
old <- if (file.exists(man_file)) {
  read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
} else mine[0, ]
old <- old[!old$case %in% mine$case, , drop = FALSE]
write.table(rbind(old, mine), man_file, sep = "\t", quote = FALSE, row.names = FALSE,
            fileEncoding = "UTF-8")
cat("wrote", nrow(mine), "cases to", out_dir, "\n")
