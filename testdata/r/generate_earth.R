#!/usr/bin/env Rscript
# earth::earth (MARS) objects with earth's own predictions: formula and x/y interfaces, a factor
# predictor, degree-2 terms, and earth's glm = list(family = binomial / poisson).
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_earth.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md).
#
# expected.csv, from predict(model, newdata) (earth keeps rows with missing predictors and
# predicts NA there):
#  - least squares: `prediction`;
#  - glm other than binomial: `prediction` (type = "response") and `link` (type = "link");
#  - binomial: `class` (predict(type = "class"): the second level when its probability > 0.5),
#    `probability(<level>)` for both levels, `link`; the levels are the response's as R prints
#    them ("0"/"1" for numbers, "FALSE"/"TRUE" for a logical response: earth_glm_logical).

suppressPackageStartupMessages({
  library(jsonlite)
  library(earth)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

cars_x <- mtcars[, c("disp", "hp", "wt", "drat")]
infert_l <- within(infert, case_l <- case == 1)
fits <- list(
  earth_regression = function() earth(mpg ~ hp + wt + factor(cyl) + qsec, data = mtcars, degree = 2),
  earth_xy = function() earth(x = cars_x, y = mtcars$mpg, degree = 1),
  earth_glm_binomial = function()
    earth(case ~ age + parity + spontaneous + induced, data = infert, degree = 2, glm = list(family = binomial)),
  earth_glm_poisson = function() earth(carb ~ disp + hp + wt, data = mtcars, glm = list(family = poisson)),
  earth_glm_logical = function()
    earth(case_l ~ age + parity + spontaneous + induced, data = infert_l, glm = list(family = binomial))
)
data_of <- list(earth_regression = mtcars, earth_xy = cars_x, earth_glm_binomial = infert,
                earth_glm_poisson = mtcars, earth_glm_logical = infert_l)
cols_of <- list(earth_regression = c("hp", "wt", "cyl", "qsec"), earth_xy = names(cars_x),
                earth_glm_binomial = c("age", "parity", "spontaneous", "induced"),
                earth_glm_poisson = c("disp", "hp", "wt"),
                earth_glm_logical = c("age", "parity", "spontaneous", "induced"))

predict_earth <- function(m, nd) {
  if (is.null(m$glm.list))
    return(data.frame(prediction = unname(as.vector(predict(m, newdata = nd)))))
  link <- unname(as.vector(predict(m, newdata = nd, type = "link")))
  resp <- unname(as.vector(predict(m, newdata = nd, type = "response")))
  if (m$glm.list[[1]]$family$family == "binomial") {
    lev <- if (is.null(m$levels)) c("0", "1") else as.character(m$levels)
    cls <- rep(NA_character_, nrow(nd))  # type = "class" stops at a missing prediction
    ok <- !is.na(resp)
    cls[ok] <- as.character(predict(m, newdata = nd[ok, , drop = FALSE], type = "class"))
    if (!identical(cls, ifelse(is.na(resp), NA_character_, ifelse(resp > 0.5, lev[2], lev[1]))))
      stop("predict(type = \"class\") is not the level of P > 0.5")
    out <- data.frame(class = cls, p0 = 1 - resp, p1 = resp, link = link, stringsAsFactors = FALSE)
    names(out) <- c("class", sprintf("probability(%s)", lev), "link")
    return(out)
  }
  data.frame(prediction = resp, link = link)
}

run_earth_case <- function(case) {
  seed_for(case)
  m <- fits[[case]]()
  data <- data_of[[case]]
  cols <- cols_of[[case]]
  input <- make_input(data, cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  tab <- predict_earth(m, nd)
  if (!anyNA(tab[[1]])) stop(case, ": no row with a missing prediction")
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (!is.null(back$glm.list)) {
    fam <- back$glm.list[[1]]$family
    back$glm.list[[1]]$family <- do.call(fam$family, list(link = fam$link))
  }
  if (!identical(predict_earth(back, nd), tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  family <- if (is.null(m$glm.list)) "gaussian" else m$glm.list[[1]]$family$family
  link <- if (is.null(m$glm.list)) "identity" else m$glm.list[[1]]$family$link
  features <- c("numeric", if (grepl("factor\\(", deparse(m$call)[1])) "factor()",
                if (is.null(m$terms)) "x/y" else "formula",
                if (any(rowSums(m$dirs[m$selected.terms, , drop = FALSE] != 0) > 1)) "degree-2",
                na_features(input))
  write_meta(case_dir, list(case = case, class = I(class(m)), family = family, link = link,
                            features = I(features), n_rows = nrow(input)))
  cat(sprintf("%-24s %-9s terms=%d rows=%d\n", case, family, length(m$selected.terms), nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = family, link = link,
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(fits), run_earth_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
