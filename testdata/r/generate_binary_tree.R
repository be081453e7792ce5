#!/usr/bin/env Rscript
# party's S4 BinaryTree objects (ctree() of the old party package): classification with numeric
# splits, regression with numeric and factor splits; rows
# with missing split variables (party sends them to the kid with the larger sum of weights).
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_binary_tree.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md).
#
# expected.csv: regression `prediction` = predict(type = "response"); classification `class` =
# predict(type = "response") and `probability(<level>)` = predict(type = "prob") in the
# response's level order.

suppressPackageStartupMessages({
  library(jsonlite)
  library(party)
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

fits <- list(
  binarytree_class = list(
    fit = function() ctree(Species ~ ., data = iris),
    data = iris, cols = names(iris)[1:4]),
  binarytree_regression = list(
    fit = function() ctree(Sepal.Length ~ Species + Sepal.Width + Petal.Width, data = iris,
                           controls = ctree_control(mincriterion = 0.5)),
    data = iris, cols = c("Species", "Sepal.Width", "Petal.Width"))
)

predict_tree <- function(m, nd) {
  if (!m@responses@is_nominal[1]) return(data.frame(prediction = as.double(predict(m, newdata = nd))))
  cls <- predict(m, newdata = nd, type = "response")
  prob <- do.call(rbind, predict(m, newdata = nd, type = "prob"))
  colnames(prob) <- levels(cls)
  prob_table(cls, prob)
}

kinds <- function(m) {
  out <- character()
  walk <- function(n) {
    if (n$terminal) return()
    out <<- c(out, class(n$psplit))
    walk(n$left)
    walk(n$right)
  }
  walk(m@tree)
  unique(out)
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
  tab <- predict_tree(m, nd)
  if (nrow(tab) != nrow(input)) stop(case, ": predict() dropped rows")
  if (case != "binarytree_class" && !"nominalSplit" %in% kinds(m)) stop(case, ": no split on a factor")
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  write_expected(tab, file.path(case_dir, "expected.csv"))
  num <- vapply(input, is.numeric, TRUE)
  features <- c(if (any(num)) "numeric", if (any(!num)) "factor",
                if (any(vapply(input, is.logical, TRUE))) "logical",
                if (ncol(tab) > 3) "multiclass", kinds(m), na_features(input))
  family <- if (m@responses@is_nominal[1]) "classification" else "regression"
  meta <- list(case = case, class = I(class(m)[1]), family = family, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-28s %-14s rows=%d\n", case, family, nrow(input)))
  data.frame(case = case, class = "BinaryTree", family = family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(fits), run_case))

# Refused by name: surrogate splits.
ref_dir <- file.path(dirname(out_dir), "r-fixtures", "refused")
dir.create(ref_dir, showWarnings = FALSE, recursive = TRUE)
saveRDS(ctree(Ozone ~ Solar.R + Wind + Temp, data = airq, controls = ctree_control(maxsurrogate = 2)),
        file.path(ref_dir, "binarytree_surrogates.rds"))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
