#!/usr/bin/env Rscript
# Reference cv.glmnet models and R's own predictions at each way predict.cv.glmnet(s = ...) is
# asked: the default ("lambda.1se"), "lambda.min" and a number between two path values.
#
# Run from the repository root:
#     Rscript testdata/r/generate_cv_glmnet.R
# Deterministic: folds are fixed (foldid) and every case seeds the RNG from its name.  Same
# layout as generate.R (see README.md): model.rds, model.json, model_exact.json, input.csv,
# expected.csv, meta.json per case folder; s.txt holds what the case passes as --lambda (absent
# for the default).  Appends its rows to MANIFEST.tsv.

suppressPackageStartupMessages({
  library(jsonlite)
  library(glmnet)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

x_mtcars <- as.matrix(mtcars[, c("wt", "hp", "disp", "drat", "qsec")])
x_infert <- as.matrix(infert[, c("age", "parity", "induced", "spontaneous")])
y_infert <- factor(infert$case, levels = c(0, 1), labels = c("control", "case"))

fits <- list(
  elnet = function() cv.glmnet(x_mtcars, mtcars$mpg, foldid = rep_len(1:4, nrow(x_mtcars))),
  lognet = function() cv.glmnet(x_infert, y_infert, family = "binomial",
                                foldid = rep_len(1:5, nrow(x_infert)))
)
data_of <- list(elnet = mtcars, lognet = infert)

# `s`: NULL for predict()'s default, "lambda.min", or "between" (a number between two path
# values, which predict.glmnet interpolates).
run_cv_case <- function(case, fit, s) {
  seed_for(case)
  m <- fits[[fit]]()
  if (m$lambda.min == m$lambda.1se) stop(case, ": lambda.min equals lambda.1se; the case would test nothing")
  path <- m$glmnet.fit$lambda
  s_value <- if (is.null(s)) "lambda.1se" else if (identical(s, "between")) {
    k <- which(path < m$lambda.min)[1]
    sqrt(path[k] * path[k - 1L])
  } else s
  cols <- rownames(m$glmnet.fit$beta)
  data <- data_of[[fit]]
  input <- make_input(data, cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  newx <- as.matrix(nd[, cols, drop = FALSE])
  tab <- if (fit == "lognet") {
    p <- as.vector(predict(m, newx = newx, s = s_value, type = "response"))
    cls <- as.vector(predict(m, newx = newx, s = s_value, type = "class"))
    prob <- cbind(1 - p, p)
    colnames(prob) <- m$glmnet.fit$classnames
    prob_table(cls, prob)
  } else {
    data.frame(prediction = as.vector(predict(m, newx = newx, s = s_value)))
  }
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  write_expected(tab, file.path(case_dir, "expected.csv"))
  s_text <- if (is.null(s)) NULL else if (is.numeric(s_value)) sprintf("%.17g", s_value) else s_value
  if (!is.null(s_text)) write_text(s_text, file.path(case_dir, "s.txt"))
  features <- c("numeric", if (fit == "lognet") "binary", paste0("s=", if (is.null(s)) "default" else s),
                na_features(input))
  meta <- list(case = case, class = I(class(m)), family = class(m$glmnet.fit)[1], link = NA_character_,
               features = I(features), n_rows = nrow(input), lambda.min = sprintf("%.17g", m$lambda.min),
               lambda.1se = sprintf("%.17g", m$lambda.1se))
  if (!is.null(s_text)) meta$s <- s_text
  write_meta(case_dir, meta)
  cat(sprintf("%-24s s=%s rows=%d\n", case, if (is.null(s_text)) "default" else s_text, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = meta$family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- rbind(
  run_cv_case("cv_glmnet_elnet_1se", "elnet", NULL),
  run_cv_case("cv_glmnet_elnet_min", "elnet", "lambda.min"),
  run_cv_case("cv_glmnet_lognet_min", "lognet", "lambda.min"),
  run_cv_case("cv_glmnet_lognet_s", "lognet", "between")
)

# Refused by name (exit 2 naming $relaxed): cv.glmnet(relax = TRUE), whose predict() blends the
# unpenalized refits at gamma.1se and $relaxed$lambda.1se.
ref_dir <- file.path(dirname(out_dir), "r-fixtures", "refused")
dir.create(ref_dir, showWarnings = FALSE, recursive = TRUE)
seed_for("cv_glmnet_relaxed")
saveRDS(cv.glmnet(x_mtcars, mtcars$mpg, relax = TRUE, foldid = rep_len(1:4, nrow(x_mtcars))),
        file.path(ref_dir, "cv_glmnet_relaxed.rds"))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
