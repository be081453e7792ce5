#!/usr/bin/env Rscript
# Tree models with a logical predictor, which rpart and randomForest split on as.numeric(x).
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_logical.R
# Deterministic: every case seeds the RNG from its name.  Same layout and expected.csv columns
# as generate.R's tree cases (see README.md); the logical column of input.csv is written
# TRUE/FALSE, a missing value as an empty field.

suppressPackageStartupMessages({
  library(jsonlite)
  library(rpart)
  library(randomForest)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

cars <- data.frame(mpg = mtcars$mpg, wt = mtcars$wt, hp = mtcars$hp, manual = mtcars$am == 1,
                   straight = factor(mtcars$vs, levels = c(0, 1), labels = c("V", "straight")))

fits <- list(
  rpart_logical = function()
    rpart(mpg ~ wt + hp + manual, data = cars, control = rpart.control(minsplit = 4, cp = 0.001)),
  rf_class_logical = function()
    randomForest(straight ~ wt + hp + manual, data = cars, ntree = 25)
)
cols <- c("wt", "hp", "manual")

predict_tree <- function(m, nd) {
  if (inherits(m, "rpart") || m$type == "regression")
    return(data.frame(prediction = unname(as.vector(predict(m, newdata = nd)))))
  prob <- predict(m, newdata = nd, type = "prob")
  prob_table(predict(m, newdata = nd), prob[, m$classes, drop = FALSE])
}

run_logical_case <- function(case) {
  seed_for(case)
  m <- fits[[case]]()
  if (!any(rownames(m$splits) == "manual") && is.null(m$forest)) stop(case, ": no split on the logical")
  input <- make_input(cars, cols, na_cols = if (inherits(m, "rpart")) cols else character())
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), cars)
  tab <- predict_tree(m, nd)
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (!identical(predict_tree(back, nd), tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  features <- c("numeric", "logical", na_features(input))
  cls <- if (inherits(m, "randomForest.formula")) "randomForest.formula" else class(m)[1]
  meta <- list(case = case, class = I(c(cls, setdiff(class(m), cls))),
               family = if (inherits(m, "rpart")) m$method else m$type, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-20s rows=%d\n", case, nrow(input)))
  data.frame(case = case, class = paste(meta$class, collapse = ","), family = meta$family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(fits), run_logical_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
