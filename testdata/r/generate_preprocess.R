#!/usr/bin/env Rscript
# Models fitted on caret-preprocessed data and carrying the caret preProcess object as
# `$preProcess` (as r2pmml decorates fits).  R's answer for new rows is
# predict(model, predict(model$preProcess, newdata)): the rows of input.csv are raw data.
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_preprocess.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R's cases.

suppressPackageStartupMessages({
  library(jsonlite)
  library(caret)
  library(e1071)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

cars <- data.frame(mpg = mtcars$mpg, wt = mtcars$wt, hp = mtcars$hp, qsec = mtcars$qsec,
                   cyl = factor(mtcars$cyl))

# name -> list(data, columns to score, preProcess methods, fit on the preprocessed data)
cases <- list(
  svm_class_preprocessed = list(
    data = iris, cols = names(iris)[1:4], method = c("center", "scale"),
    fit = function(d) svm(Species ~ ., data = d)),
  lm_preprocessed_range = list(
    data = cars, cols = c("wt", "hp", "cyl"), method = "range",
    fit = function(d) lm(mpg ~ wt + hp + cyl, data = d))
)

predict_table <- function(m, nd) {
  x <- predict(m$preProcess, nd)
  if (inherits(m, "svm")) return(data.frame(class = as.character(predict(m, newdata = x, na.action = na.pass))))
  data.frame(prediction = unname(as.vector(predict(m, newdata = x))))
}

run_case <- function(case) {
  seed_for(case)
  spec <- cases[[case]]
  pp <- preProcess(spec$data[, spec$cols, drop = FALSE], method = spec$method)
  m <- spec$fit(predict(pp, spec$data))
  m$preProcess <- pp
  input <- make_input(spec$data, spec$cols, na_cols = character())
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), spec$data)
  tab <- predict_table(m, nd)
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (!identical(predict_table(back, nd), tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  # Rows whose prediction changes when the object is rebuilt from model.json (15 digits).
  back15 <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model.json")),
                                                     collapse = "\n")))
  tab15 <- predict_table(back15, nd)
  json15_changed <- sum(vapply(seq_len(nrow(tab)), function(i) !identical(tab[i, ], tab15[i, ]), TRUE))
  features <- c("numeric", paste0("preProcess-", spec$method), na_features(input))
  if (any(vapply(input, is.factor, TRUE))) features <- c(features, "factor")
  meta <- list(case = case, class = I(class(m)),
               family = if (inherits(m, "lm")) "gaussian" else "C-classification",
               link = NA_character_, features = I(features), n_rows = nrow(input),
               json15_rows_changed = json15_changed)
  write_meta(case_dir, meta)
  cat(sprintf("%-26s rows=%d\n", case, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = meta$family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(cases), run_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
