#!/usr/bin/env Rscript
# rms (ols, lrm binary and ordinal, orm with several links), pls (plsr scaled, pcr with a factor
# and a cut() term) and mlr WrappedModel (regr.lm, classif.binomial, classif.gbm with the first
# level positive, classif.rpart) objects with their packages' own predictions.
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_rms_pls_mlr.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md).
#
# expected.csv:
#  - ols, mvr, mlr regression: `prediction` (rms predict(type = "lp"); pls predict() with
#    ncomp = $ncomp; mlr getPredictionResponse()).
#  - lrm with two levels: `class` (level 2 when its probability exceeds 0.5), then
#    `probability(<level>)` from predict(type = "fitted").  lrm with more levels and orm:
#    `probability(<level>)` from predict(type = "fitted.ind") and `class`, the first level of
#    largest probability.
#  - mlr classification (predict.type = "prob"): `class` (getPredictionResponse) and
#    `probability(<level>)` (getPredictionProbabilities) for every class level, in the wrapped
#    model's order (classif.gbm with two classes: negative, then positive).
# A row with a missing predictor predicts NA in every column, except in the gbm and rpart
# learners, which send it down their trees (gbm's missing branch, rpart's surrogates).

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)
  library(rms)
  library(pls)
  library(mlr)
})
configureMlr(show.info = FALSE, on.learner.warning = "quiet")

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

cars <- within(mtcars, {
  cyl_f <- factor(cyl)
  am_f <- factor(am, levels = c(0, 1), labels = c("automatic", "manual"))
  heavy <- wt > 3.2
})
house <- housing[rep(seq_len(nrow(housing)), housing$Freq), c("Sat", "Infl", "Type", "Cont")]
rownames(house) <- NULL
infert_o <- within(infert, status <- factor(case, levels = c(0, 1), labels = c("control", "case")))
iris2 <- within(iris, long <- factor(ifelse(Sepal.Length > 5.8, "long", "short"), levels = c("long", "short")))

mlr_train <- function(learner, task) train(learner, task)

fits <- list(
  rms_ols = list(
    fit = function() ols(mpg ~ wt + ifelse(hp > 200, 200, hp) + cyl_f + heavy, data = cars),
    data = cars, cols = c("wt", "hp", "cyl_f", "heavy")),
  rms_lrm_binary = list(
    fit = function() lrm(case ~ age + parity + education + pmin(spontaneous, 1), data = infert),
    data = infert, cols = c("age", "parity", "education", "spontaneous")),
  rms_lrm_ordinal = list(
    fit = function() lrm(Sat ~ Infl + Type + Cont, data = house),
    data = house, cols = c("Infl", "Type", "Cont")),
  rms_orm_probit = list(
    fit = function() orm(Sat ~ Infl + Type + Cont, data = house, family = "probit"),
    data = house, cols = c("Infl", "Type", "Cont")),
  rms_orm_loglog = list(
    fit = function() orm(education ~ age + parity + spontaneous, data = infert, family = "loglog"),
    data = infert, cols = c("age", "parity", "spontaneous")),
  rms_orm_cloglog = list(
    fit = function() orm(education ~ age + parity + induced, data = infert, family = "cloglog"),
    data = infert, cols = c("age", "parity", "induced")),
  pls_plsr_scaled = list(
    fit = function() plsr(mpg ~ disp + hp + wt + qsec + drat, ncomp = 3, data = cars, scale = TRUE),
    data = cars, cols = c("disp", "hp", "wt", "qsec", "drat")),
  pls_pcr_factor_cut = list(
    fit = function() pcr(mpg ~ wt + cyl_f + cut(hp, breaks = c(0, 100, 150, 200, 400)) + log(disp),
                         ncomp = 4, data = cars),
    data = cars, cols = c("wt", "cyl_f", "hp", "disp")),
  mlr_regr_lm = list(
    fit = function() mlr_train(makeLearner("regr.lm"),
                               makeRegrTask(data = cars[, c("mpg", "wt", "hp", "cyl_f")], target = "mpg")),
    data = cars, cols = c("wt", "hp", "cyl_f")),
  mlr_classif_binomial = list(
    fit = function() mlr_train(makeLearner("classif.binomial", predict.type = "prob"),
                               makeClassifTask(data = infert_o[, c("status", "age", "parity", "spontaneous")],
                                               target = "status")),
    data = infert_o, cols = c("age", "parity", "spontaneous")),
  mlr_classif_gbm = list(
    fit = function() mlr_train(makeLearner("classif.gbm", predict.type = "prob", distribution = "bernoulli",
                                           n.trees = 40, interaction.depth = 2, shrinkage = 0.1),
                               makeClassifTask(data = iris2[, c("long", "Petal.Length", "Petal.Width", "Species")],
                                               target = "long", positive = "long")),
    data = iris2, cols = c("Petal.Length", "Petal.Width", "Species")),
  mlr_classif_rpart = list(
    fit = function() mlr_train(makeLearner("classif.rpart", predict.type = "prob"),
                               makeClassifTask(data = iris, target = "Species")),
    data = iris, cols = names(iris)[1:4])
)

predict_case <- function(m, nd) {
  if (inherits(m, "WrappedModel")) {
    p <- predict(m, newdata = nd)
    if (m$task.desc$type == "regr") return(data.frame(prediction = getPredictionResponse(p)))
    # Columns in the class order of the model mlr wraps (the tests read ONNX probability
    # tensors by position): gbm with two classes is fitted on y == positive, so (negative, positive).
    td <- m$task.desc
    lev <- if (inherits(m$learner, "classif.gbm") && length(td$class.levels) == 2) c(td$negative, td$positive)
           else td$class.levels
    prob <- as.matrix(getPredictionProbabilities(p, cl = lev))
    colnames(prob) <- lev
    return(prob_table(getPredictionResponse(p), prob))
  }
  if (inherits(m, "mvr")) return(data.frame(prediction = drop(predict(m, newdata = nd, ncomp = m$ncomp))))
  if (inherits(m, "ols")) return(data.frame(prediction = unname(predict(m, newdata = nd, type = "lp"))))
  if (m$non.slopes == 1) {
    lev <- if (is.null(m$yunique)) names(m$freq) else m$yunique
    p2 <- unname(predict(m, newdata = nd, type = "fitted"))
    prob <- cbind(1 - p2, p2)
    colnames(prob) <- lev
    cls <- ifelse(is.na(p2), NA, ifelse(p2 > 0.5, lev[2], lev[1]))
    return(prob_table(cls, prob))
  }
  prob <- predict(m, newdata = nd, type = "fitted.ind")
  if (is.null(dim(prob))) prob <- matrix(prob, nrow = 1)
  lev <- if (is.null(m$yunique)) names(m$freq) else m$yunique
  colnames(prob) <- lev
  cls <- ifelse(apply(prob, 1, anyNA), NA, lev[max.col(ifelse(is.na(prob), 0, prob), ties.method = "first")])
  prob_table(cls, prob)
}

run_case <- function(case) {
  seed_for(case)
  spec <- fits[[case]]
  m <- spec$fit()
  input <- make_input(spec$data, spec$cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), spec$data)
  tab <- predict_case(m, nd)
  if (nrow(tab) != nrow(input)) stop(case, ": predict() dropped rows")
  if (!case %in% c("mlr_classif_gbm", "mlr_classif_rpart") && !anyNA(tab[[ncol(tab)]])) stop(case, ": no row with a missing prediction")
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (inherits(back, "WrappedModel")) back$learner.model <- fix_envs(back$learner.model)
  # jsonlite restores closures in the global environment: an orm object's link functions call
  # stats' C routines, which predict() on the restored object then cannot find; an mlr learner
  # holds closures of its own (the comparison is skipped when predict() fails on them).
  again <- tryCatch(predict_case(back, nd), error = function(e) NULL)
  if (is.null(again) && !inherits(m, c("orm", "WrappedModel"))) stop(case, ": the object rebuilt from model_exact.json fails")
  if (!is.null(again) && !isTRUE(all.equal(again, tab, tolerance = 0)))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  cls <- class(m)[1]
  family <- if (inherits(m, "WrappedModel")) class(m$learner)[1]
            else if (inherits(m, "mvr")) m$method
            else if (inherits(m, "orm")) m$family
            else if (inherits(m, "lrm")) "logistic" else "gaussian"
  num <- vapply(input, is.numeric, TRUE)
  features <- c(if (any(num)) "numeric", if (any(!num)) "factor",
                if (any(vapply(input, is.logical, TRUE))) "logical",
                if (ncol(tab) > 3) "multiclass", na_features(input))
  meta <- list(case = case, class = I(class(m)), family = family, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-24s %-18s rows=%d\n", case, family, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(fits), run_case))

# Objects refused by name (exit 2 naming the R path): rms splines, a pls fit with two responses,
# an mlr learner not read.
ref_dir <- file.path(dirname(out_dir), "r-fixtures", "refused")
dir.create(ref_dir, showWarnings = FALSE, recursive = TRUE)
saveRDS(ols(mpg ~ rcs(wt, 3) + hp, data = cars), file.path(ref_dir, "rms_ols_rcs.rds"))
saveRDS(plsr(cbind(mpg, qsec) ~ wt + hp, ncomp = 2, data = cars), file.path(ref_dir, "pls_two_responses.rds"))
saveRDS(train(makeLearner("regr.svm"), makeRegrTask(data = cars[, c("mpg", "wt")], target = "mpg")),
        file.path(ref_dir, "mlr_regr_svm.rds"))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
