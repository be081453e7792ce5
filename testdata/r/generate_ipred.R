#!/usr/bin/env Rscript
# ipred's bagging of rpart trees (bagging(), ipredbagg(); caret's "treebag" is in
# generate_caret.R): a classification ensemble (class "classbagg", majority vote) and a
# regression ensemble (class "regbagg", mean of the trees) with a factor predictor and missing
# values in training and scoring (rpart's surrogate splits).  Fitted on three rows in four and
# predicted on the fourth, perturbed copies of it and rows with one predictor missing.
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_ipred.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md).
#
# expected.csv: regression `prediction` = predict(); classification `class` = predict(type =
# "class") and `probability(<level>)` = predict(type = "prob") (the vote shares) in the
# response's level order.  predict.classbagg draws the class of a tied vote at random: the script
# stops when a scored row ties.  Also writes ../r-fixtures/refused/ipred_double_bagging.rds
# (bagging with `comb`: trees on the data and an lda's discriminants, refused by name).

suppressPackageStartupMessages({
  library(jsonlite)
  library(ipred)
  library(rpart)
  library(MASS)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

airq <- within(airquality[!is.na(airquality$Ozone), ], {
  month_f <- factor(month.abb[Month], levels = month.abb[5:9])
  Solar.R <- as.double(Solar.R)
  Temp <- as.double(Temp)
})
fit_rows <- function(d) seq_len(nrow(d)) %% 4 != 0

fits <- list(
  ipred_bagging_class = list(
    fit = function(d) bagging(Species ~ ., data = d, nbagg = 9),
    data = iris, cols = names(iris)[1:4]),
  ipred_bagging_regression = list(
    fit = function(d) bagging(Ozone ~ Solar.R + Wind + Temp + month_f, data = d, nbagg = 8),
    data = airq, cols = c("Solar.R", "Wind", "Temp", "month_f"))
)

predict_bag <- function(m, nd) {
  if (!inherits(m, "classbagg")) return(data.frame(prediction = as.double(predict(m, newdata = nd))))
  cls <- predict(m, newdata = nd, type = "class")
  prob <- predict(m, newdata = nd, type = "prob")
  if (any(rowSums(abs(prob - apply(prob, 1, max)) < 1e-12) > 1)) stop("a row's votes tie")
  prob_table(cls, prob)
}

run_case <- function(case) {
  seed_for(case)
  spec <- fits[[case]]
  m <- spec$fit(spec$data[fit_rows(spec$data), , drop = FALSE])
  data <- spec$data[!fit_rows(spec$data), , drop = FALSE]
  input <- make_input(data, spec$cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), spec$data)
  tab <- predict_bag(m, nd)
  if (nrow(tab) != nrow(input)) stop(case, ": predict() dropped rows")
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (!identical(predict_bag(back, nd), tab)) stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  num <- vapply(input, is.numeric, TRUE)
  features <- c(if (any(num)) "numeric", if (any(!num)) "factor", if (ncol(tab) > 3) "multiclass",
                na_features(input))
  family <- if (inherits(m, "classbagg")) "classification" else "regression"
  meta <- list(case = case, class = I(class(m)), family = family, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-28s %-14s rows=%d\n", case, family, nrow(input)))
  data.frame(case = case, class = class(m)[1], family = family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(fits), run_case))

# Refused by name: double-bagging (comb = an lda whose discriminants the trees also read).
seed_for("ipred_double_bagging")
comb_lda <- list(list(model = lda, predict = function(obj, newdata) predict(obj, newdata)$x))
saveRDS(bagging(Species ~ ., data = iris, comb = comb_lda, nbagg = 3),
        file.path(dirname(out_dir), "r-fixtures", "refused", "ipred_double_bagging.rds"))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
