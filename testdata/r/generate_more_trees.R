#!/usr/bin/env Rscript
# More tree models: randomForest classification with unequal class cutoffs, partykit::ctree
# (class constparty: binary, multiway and categorical splits, missing values) and gbm with
# distribution = "multinomial".
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_more_trees.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md).
#
# expected.csv:
#  - randomForest regression: `prediction` = predict() (`rf_regression_corr_bias`: with the bias
#    correction of corr.bias = TRUE).
#  - randomForest: `class` = predict(type = "response") (the largest vote fraction / cutoff),
#    `probability(<class>)` = predict(type = "prob") (vote fractions, not divided).  Rows whose
#    class R draws at random (tied vote fraction / cutoff) are left out (`dropped_tie_rows`); the
#    script checks that some rows' class is not the largest vote fraction.
#  - ctree: `prediction` (regression: predict(type = "response"), the weighted mean of the
#    node's training responses) or `class` (predict(type = "response")) and
#    `probability(<level>)` (predict(type = "prob")).  partykit sends a row whose split variable
#    is missing down a random child drawn with the split's `prob` unless a surrogate decides;
#    cases with missing inputs are fitted with `majority = TRUE` (prob is 1 for the majority
#    child), so R's answer is deterministic; `ctree_class_factor` (default control) has no
#    missing inputs.
#  - gbm multinomial: `class` (the first largest probability) and `probability(<class>)` =
#    predict(n.trees = <all>, type = "response").
#  - gbm other distributions: `prediction` = predict(n.trees = <all>, type = "response") (f itself
#    for coxph and huberized); gbm_cv_best and gbm_valid_best (fitted with cv.folds or
#    train.fraction < 1): predict(type = "response") without n.trees, which takes the best
#    iteration (gbm.perf), fewer trees than fitted; bernoulli as `class` ("1" when p > 0.5) and
#    `probability(0)`, `probability(1)`; their expected_all_trees.csv is predict(n.trees =
#    $n.trees), what `--n-trees all` must give.
#    `gbm_ordered_unseen` is fitted on the rows without gear 5; gbm drops the unused level from
#    $var.levels, and predict.gbm codes a label not there as NA (the missing branch).
#  - rpart: `prediction` = predict() (anova), or `class` (type = "class") and
#    `probability(<level>)` (type = "prob"); `rpart_class_loss` has a loss matrix, so some rows'
#    class is not their most probable one (the script checks).  `rpart_ordered_esoph` splits ordered factors
#    (rpart keeps them as categorical splits in $csplit, contiguous in code order).

suppressPackageStartupMessages({
  library(jsonlite)
  library(randomForest)
  library(partykit)
  library(gbm)
  library(rpart)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

airq <- within(airquality, {
  month_f <- factor(month.abb[Month], levels = month.abb[5:9])
  Month <- NULL
  Day <- NULL
})
airq_o <- airq[!is.na(airq$Ozone), ]
# Numeric columns as doubles: predict.party looks the rows up directly (missing values included)
# only when newdata's column classes equal the training data's; otherwise it goes through
# model.frame(), which drops rows with missing values.
airq_d <- within(airq_o, { Solar.R <- as.double(Solar.R); Temp <- as.double(Temp) })
airq_rf <- airq_o[, c("Ozone", "Wind", "Temp", "month_f")]
infert_f <- within(infert, status <- factor(case, levels = c(0, 1), labels = c("control", "case")))
mt_o <- within(mtcars, { gear <- factor(gear, ordered = TRUE); cyl <- factor(cyl) })
mt_o_no5 <- mt_o[mt_o$gear != "5", ]
wb_chr <- within(warpbreaks, tension <- as.character(tension))
lung_g <- survival::lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")]

fits <- list(
  rf_class_cutoff = list(
    fit = "randomForest(Species ~ ., data = iris, ntree = 31, maxnodes = 10, cutoff = c(0.2, 0.5, 0.3))",
    data = iris, cols = names(iris)[1:4], na = FALSE,
    features = c("numeric", "multiclass", "cutoff")),
  # Factors the formula derives: an interval factor and a relabelled one (three month labels
  # map to "mid"), which the forest splits on as level sets.  randomForest evaluates the terms
  # again on its first model frame, so the raw columns enter through `.` and leave as terms.
  rf_regression_derived = list(
    fit = paste("randomForest(Ozone ~ . - Temp - month_f + cut(Temp, breaks = c(50, 70, 80, 90, 100)) +",
                "plyr::mapvalues(month_f, from = c(\"May\", \"Jun\", \"Jul\", \"Aug\", \"Sep\"),",
                "to = c(\"early\", \"mid\", \"mid\", \"mid\", \"late\")), data = airq_rf, ntree = 25)"),
    data = airq_rf, cols = c("Wind", "Temp", "month_f"), na = FALSE,
    features = c("numeric", "factor", "cut", "mapvalues")),
  ctree_class = list(
    fit = "ctree(Species ~ ., data = iris, control = ctree_control(majority = TRUE))",
    data = iris, cols = names(iris)[1:4], na = TRUE,
    features = c("numeric", "multiclass", "majority")),
  ctree_class_factor = list(
    fit = paste("ctree(status ~ education + age + parity + induced + spontaneous, data = infert_f,",
                "control = ctree_control(mincriterion = 0.5))"),
    data = infert_f, cols = c("education", "age", "parity", "induced", "spontaneous"), na = FALSE,
    features = c("numeric", "factor", "level-with-space", "binary")),
  ctree_regression_multiway = list(
    fit = paste("ctree(Ozone ~ month_f + Solar.R, data = airq_d,",
                "control = ctree_control(majority = TRUE, multiway = TRUE, mincriterion = 0.5))"),
    data = airq_d, cols = c("month_f", "Solar.R"), na = TRUE,
    features = c("numeric", "factor", "categorical-split", "multiway", "majority", "NA-training")),
  gbm_multinomial = list(
    fit = paste("suppressWarnings(gbm(Species ~ ., data = iris, distribution = \"multinomial\", n.trees = 40,",
                "interaction.depth = 2, shrinkage = 0.1, bag.fraction = 1, n.minobsinnode = 5))"),
    data = iris, cols = names(iris)[1:4], na = TRUE,
    features = c("numeric", "multiclass")),
  # Case weights: ctree keeps them as a `(weights)` column of $data and $fitted.
  ctree_weights = list(
    fit = paste("ctree(Ozone ~ month_f + Solar.R + Wind, data = airq_d, weights = rep(c(1L, 3L, 2L), length.out = nrow(airq_d)),",
                "control = ctree_control(majority = TRUE, mincriterion = 0.5))"),
    data = airq_d, cols = c("month_f", "Solar.R", "Wind"), na = TRUE,
    features = c("numeric", "factor", "weights", "majority")),
  gbm_ordered_unseen = list(
    fit = paste("gbm(mpg ~ gear + wt + cyl, data = mt_o_no5, distribution = \"gaussian\", n.trees = 40,",
                "interaction.depth = 2, shrinkage = 0.1, bag.fraction = 1, n.minobsinnode = 3)"),
    data = mt_o, cols = c("gear", "wt", "cyl"), na = TRUE,
    features = c("numeric", "factor", "ordered", "unseen-level")),
  # predict.gbm gives f itself for coxph (the log relative hazard) and huberized (the margin).
  gbm_coxph = list(
    fit = paste("gbm(survival::Surv(time, status) ~ age + sex + ph.ecog + wt.loss, data = lung_g, distribution = \"coxph\",",
                "n.trees = 40, interaction.depth = 2, shrinkage = 0.05, bag.fraction = 1, n.minobsinnode = 5)"),
    data = lung_g, cols = c("age", "sex", "ph.ecog", "wt.loss"), na = TRUE,
    features = c("numeric", "coxph")),
  gbm_huberized = list(
    fit = paste("gbm(case ~ education + age + parity + induced + spontaneous, data = infert, distribution = \"huberized\",",
                "n.trees = 40, interaction.depth = 2, shrinkage = 0.1, bag.fraction = 1, n.minobsinnode = 5)"),
    data = infert, cols = c("education", "age", "parity", "induced", "spontaneous"), na = TRUE,
    features = c("numeric", "factor", "huberized")),
  # Factors the formula makes of data columns: factor() of a character and as.factor() of a
  # factor (model.frame(xlev =) matches the labels to the fit's levels), and of numbers.
  rpart_factor_call = list(
    fit = "rpart(breaks ~ factor(tension) + as.factor(wool), data = wb_chr, control = rpart.control(minsplit = 4, cp = 0.001))",
    data = wb_chr, cols = c("wool", "tension"), na = TRUE,
    features = c("factor", "character", "factor-call", "categorical-split")),
  rpart_factor_numeric = list(
    fit = "rpart(mpg ~ wt + factor(cyl) + as.factor(carb), data = mtcars, control = rpart.control(minsplit = 4, cp = 0.001))",
    data = mtcars, cols = c("wt", "cyl", "carb"), na = TRUE,
    features = c("numeric", "factor-call", "categorical-split")),
  # factor(cyl) in a gbm formula: predict.gbm makes it again and matches the labels to $var.levels.
  gbm_factor_call = list(
    fit = paste("gbm(mpg ~ wt + factor(cyl) + hp, data = mtcars, distribution = \"gaussian\", n.trees = 40,",
                "interaction.depth = 2, shrinkage = 0.1, bag.fraction = 1, n.minobsinnode = 3)"),
    data = mtcars, cols = c("wt", "cyl", "hp"), na = TRUE,
    features = c("numeric", "factor-call")),
  # A loss matrix (rows: true class, columns: predicted class): predict(type = "class") gives
  # the class of least expected loss ($frame$yval), which is not the most probable class at
  # some nodes.
  rpart_class_loss = list(
    fit = paste("rpart(Species ~ ., data = iris, parms = list(loss = matrix(c(0, 2, 1, 2, 0, 8, 3, 5, 0), 3)),",
                "control = rpart.control(cp = 0.001, minsplit = 5))"),
    data = iris, cols = names(iris)[1:4], na = TRUE,
    features = c("numeric", "multiclass", "surrogates", "loss-matrix")),
  rpart_ordered_esoph = list(
    fit = "rpart(ncases ~ agegp + alcgp + tobgp, data = esoph, control = rpart.control(minsplit = 5, cp = 0.001))",
    data = esoph, cols = c("agegp", "alcgp", "tobgp"), na = TRUE,
    features = c("ordered", "categorical-split", "surrogate")),
  # Fits that keep validation rows or cross-validation errors: predict() without n.trees takes
  # the best iteration (gbm.perf), not every tree.
  gbm_cv_best = list(
    fit = paste("gbm(mpg ~ wt + hp + qsec + cyl, data = mtcars, distribution = \"gaussian\", n.trees = 80,",
                "interaction.depth = 2, shrinkage = 0.2, bag.fraction = 1, n.minobsinnode = 3, cv.folds = 4, n.cores = 1)"),
    data = mtcars, cols = c("wt", "hp", "qsec", "cyl"), na = TRUE,
    features = c("numeric", "cv-best-iteration")),
  gbm_valid_best = list(
    fit = paste("gbm(case ~ education + age + parity + induced + spontaneous, data = infert, distribution = \"bernoulli\",",
                "n.trees = 120, interaction.depth = 2, shrinkage = 0.3, bag.fraction = 1, n.minobsinnode = 5,",
                "train.fraction = 0.7)"),
    data = infert, cols = c("education", "age", "parity", "induced", "spontaneous"), na = TRUE,
    features = c("numeric", "factor", "valid-best-iteration")),
  # corr.bias = TRUE: predict() returns $coefs[1] + $coefs[2] * the trees' mean.
  rf_regression_corr_bias = list(
    fit = "randomForest(Ozone ~ ., data = airq_rf, ntree = 25, corr.bias = TRUE)",
    data = airq_rf, cols = c("Wind", "Temp", "month_f"), na = FALSE,
    features = c("numeric", "factor", "corr-bias"))
)

predict_case <- function(m, nd) {
  if (inherits(m, "randomForest") && m$type == "regression")
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd))), ties = rep(FALSE, nrow(nd))))
  if (inherits(m, "randomForest")) {
    prob <- predict(m, newdata = nd, type = "prob")[, m$classes, drop = FALSE]
    crit <- sweep(prob, 2, m$forest$cutoff, "/")
    ties <- apply(crit, 1, function(p) sum(p == max(p)) > 1)
    return(list(table = prob_table(predict(m, newdata = nd, type = "response"), prob), ties = ties))
  }
  if (inherits(m, "constparty")) {
    y <- m$fitted[["(response)"]]
    if (is.factor(y)) {
      prob <- predict(m, newdata = nd, type = "prob")
      return(list(table = prob_table(predict(m, newdata = nd, type = "response"), prob),
                  ties = rep(FALSE, nrow(nd))))
    }
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd, type = "response"))),
                ties = rep(FALSE, nrow(nd))))
  }
  if (inherits(m, "gbm") && (m$train.fraction < 1 || !is.null(m$cv.error))) {  # predict()'s own n.trees
    p <- unname(suppressMessages(predict(m, newdata = nd, type = "response")))
    if (m$distribution$name != "bernoulli")
      return(list(table = data.frame(prediction = p), ties = rep(FALSE, nrow(nd))))
    cls <- ifelse(is.na(p), NA_character_, ifelse(p > 0.5, "1", "0"))
    return(list(table = prob_table(cls, cbind(`0` = 1 - p, `1` = p)), ties = rep(FALSE, nrow(nd))))
  }
  if (inherits(m, "gbm") && m$distribution$name != "multinomial")
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd, n.trees = m$n.trees,
                                                               type = "response"))),
                ties = rep(FALSE, nrow(nd))))
  if (inherits(m, "rpart")) {
    if (m$method == "class") {
      prob <- predict(m, newdata = nd, type = "prob")
      return(list(table = prob_table(predict(m, newdata = nd, type = "class"), prob), ties = rep(FALSE, nrow(nd))))
    }
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd))), ties = rep(FALSE, nrow(nd))))
  }
  if (inherits(m, "gbm")) {
    p <- predict(m, newdata = nd, n.trees = m$n.trees, type = "response")
    prob <- matrix(p[, , 1], nrow = nrow(nd), dimnames = list(NULL, dimnames(p)[[2]]))
    cls <- colnames(prob)[max.col(prob, ties.method = "first")]
    ties <- apply(prob, 1, function(q) !anyNA(q) && sum(q == max(q)) > 1)
    return(list(table = prob_table(cls, prob), ties = ties))
  }
  stop("no predict rule for class ", class(m)[1])
}

family_of <- function(m) {
  if (inherits(m, "randomForest")) return(m$type)
  if (inherits(m, "constparty")) return(if (is.factor(m$fitted[["(response)"]])) "classification" else "regression")
  if (inherits(m, "gbm")) return(m$distribution$name)
  if (inherits(m, "rpart")) return(m$method)
  NA_character_
}

read_back <- function(json_file) {
  back <- jsonlite::unserializeJSON(paste(readLines(json_file, warn = FALSE), collapse = "\n"))
  # fix_envs walks lists with `[[`, which a partynode overloads: reset the formulas by hand.
  if (inherits(back, "constparty")) {
    environment(back$terms) <- globalenv()
    environment(attr(back$data, "terms")) <- globalenv()
    back
  } else {
    fix_envs(back)
  }
}

# Rows the object rebuilt from a JSON file predicts differently from `reference` (beyond 1e-9
# relative, or another class); NA when it cannot predict.
rows_changed <- function(json_file, nd, reference) {
  t2 <- tryCatch(suppressWarnings(predict_case(read_back(json_file), nd)$table), error = function(e) NULL)
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

run_case <- function(case) {
  seed_for(case)
  spec <- fits[[case]]
  # Fitted at the top level, as a user would: the closures a model keeps (ctree's update and
  # trafo) then hold the global environment, not this script's frames.
  m <- eval(parse(text = spec$fit), envir = globalenv())
  input <- make_input(spec$data, spec$cols, n_max = 160, na_cols = if (spec$na) spec$cols else character())
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), spec$data)
  pr <- predict_case(m, nd)
  if (nrow(pr$table) != nrow(nd)) stop(case, ": R's predict() dropped rows")
  if (any(pr$ties)) {                       # drop rows whose class R would draw at random
    input <- input[!pr$ties, , drop = FALSE]
    write_csv17(input, file.path(case_dir, "input.csv"))
    nd <- read_input(file.path(case_dir, "input.csv"), spec$data)
    pr <- predict_case(m, nd)
  }
  tab <- pr$table
  if (inherits(m, "randomForest") && m$type == "classification") {
    prob <- as.matrix(tab[, -1])
    if (!any(tab$class != m$classes[max.col(prob, ties.method = "first")]))
      stop(case, ": no row whose class differs from the largest vote fraction")
  }
  if (inherits(m, "constparty")) {
    if (case == "ctree_regression_multiway" &&
        !any(vapply(nodeapply(m, nodeids(m)), function(n) length(kids_node(n)) > 2, TRUE)))
      stop(case, ": no multiway split")
  }
  if (case == "gbm_ordered_unseen" && (!anyNA(match(as.character(nd$gear), m$var.levels[[1]])) ||
                                       !any(nd$gear == "5", na.rm = TRUE)))
    stop(case, ": no input row with a gear level outside $var.levels")
  if (case == "rpart_class_loss") {
    prob <- as.matrix(tab[, -1])
    lev <- sub("^probability\\((.*)\\)$", "\\1", names(tab)[-1])
    if (!any(tab$class != lev[max.col(prob, ties.method = "first")], na.rm = TRUE))
      stop(case, ": no row whose class is not the most probable one")
  }
  if (case %in% c("gbm_cv_best", "gbm_valid_best")) {
    if (suppressWarnings(gbm.perf(m, plot.it = FALSE)) >= m$n.trees) stop(case, ": the best iteration is the last one")
    # What --n-trees all must give: predict(n.trees = $n.trees), every tree.
    p <- unname(predict(m, newdata = nd, n.trees = m$n.trees, type = "response"))
    all_tab <- if (m$distribution$name == "bernoulli")
      prob_table(ifelse(is.na(p), NA_character_, ifelse(p > 0.5, "1", "0")), cbind(`0` = 1 - p, `1` = p))
    else data.frame(prediction = p)
    write_expected(all_tab, file.path(case_dir, "expected_all_trees.csv"))
  }
  if (case == "rf_regression_corr_bias" && (is.null(m$coefs) || abs(m$coefs[2] - 1) < 0.01))
    stop(case, ": no bias correction to apply")
  if (case == "rpart_ordered_esoph" && !any(m$splits[, "ncat"] > 1 & rownames(m$splits) %in% c("agegp", "alcgp", "tobgp")))
    stop(case, ": no categorical split on an ordered factor")
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- read_back(file.path(case_dir, "model_exact.json"))
  if (!identical(predict_case(back, nd)$table, tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  features <- c(spec$features, na_features(input))
  family <- family_of(m)
  meta <- list(case = case, class = I(class(m)), family = family, link = NA_character_,
               features = I(features), n_rows = nrow(input), dropped_tie_rows = sum(pr$ties),
               json15_rows_changed = rows_changed(file.path(case_dir, "model.json"), nd, tab))
  write_meta(case_dir, meta)
  cat(sprintf("%-28s %-12s %-14s rows=%d ties=%d\n", case, class(m)[1], family, nrow(input), sum(pr$ties)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

cases <- commandArgs(trailingOnly = TRUE)
if (length(cases) == 0) cases <- names(fits)
rows <- do.call(rbind, lapply(cases, run_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
