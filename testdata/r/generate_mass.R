#!/usr/bin/env Rscript
# Reference MASS::polr (ordinal regression, every link) and MASS::lda (linear discriminants;
# formula and x/grouping interfaces, a factor predictor, a prior) objects with MASS's own
# predictions.
#
# Run from the repository root, after generate.R and generate_more.R (this script appends to
# MANIFEST.tsv):
#     Rscript testdata/r/generate_mass.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R (see
# README.md).
#
# expected.csv: `class`, then `probability(<level>)`:
#  - polr: predict(type = "class") and predict(type = "probs"), columns in `$lev` order;
#  - lda: predict()$class and predict()$posterior, columns in `names($prior)` order.
# A row with a missing predictor predicts NA in every column (both classes keep such rows:
# polr's model.frame(na.action = function(x) x), lda's na.pass).

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

infert_o <- within(infert, status <- factor(case, levels = c(0, 1), labels = c("control", "case")))
cars_o <- within(mtcars, {
  gears <- factor(gear, levels = c(3, 4, 5), labels = c("three", "four", "five"))
  cyl_o <- ordered(cyl)
})
# housing (MASS): Sat is an ordered factor, Infl/Type/Cont factors (Infl, Cont ordered).
house <- housing[rep(seq_len(nrow(housing)), housing$Freq), c("Sat", "Infl", "Type", "Cont")]
rownames(house) <- NULL

fits <- list(
  polr_logistic = function()
    polr(Sat ~ Infl + Type + Cont, data = housing, weights = Freq, method = "logistic"),
  polr_probit = function()
    polr(education ~ age + parity + induced + spontaneous, data = infert_o, method = "probit"),
  polr_cloglog = function()
    polr(education ~ age + parity + spontaneous, data = infert_o, method = "cloglog"),
  polr_loglog = function()
    polr(gears ~ wt + cyl_o + qsec, data = cars_o, method = "loglog"),
  polr_cauchit = function()
    polr(gears ~ mpg + wt + qsec, data = cars_o, method = "cauchit"),
  lda_iris = function()
    lda(Species ~ ., data = iris),
  lda_factor_prior = function()
    lda(education ~ age + parity + induced + status, data = infert_o, prior = c(0.2, 0.5, 0.3)),
  lda_xy = function()
    lda(x = as.matrix(mtcars[, c("mpg", "hp", "wt", "qsec")]), grouping = cars_o$gears)
)
data_of <- list(polr_logistic = house, polr_probit = infert_o, polr_cloglog = infert_o,
                polr_loglog = cars_o, polr_cauchit = cars_o, lda_iris = iris,
                lda_factor_prior = infert_o, lda_xy = mtcars)
cols_of <- list(polr_logistic = c("Infl", "Type", "Cont"),
                polr_probit = c("age", "parity", "induced", "spontaneous"),
                polr_cloglog = c("age", "parity", "spontaneous"),
                polr_loglog = c("wt", "cyl_o", "qsec"), polr_cauchit = c("mpg", "wt", "qsec"),
                lda_iris = names(iris)[1:4], lda_factor_prior = c("age", "parity", "induced", "status"),
                lda_xy = c("mpg", "hp", "wt", "qsec"))

predict_mass <- function(m, nd) {
  if (inherits(m, "polr")) {
    cls <- predict(m, newdata = nd, type = "class")
    prob <- predict(m, newdata = nd, type = "probs")
    if (is.null(dim(prob))) prob <- matrix(prob, nrow = 1, dimnames = list(NULL, names(prob)))
    return(prob_table(cls, prob[, m$lev, drop = FALSE]))
  }
  p <- if (is.null(m$terms)) predict(m, newdata = as.matrix(nd)) else predict(m, newdata = nd)
  prob_table(p$class, p$posterior[, names(m$prior), drop = FALSE])
}

run_mass_case <- function(case) {
  seed_for(case)
  m <- fits[[case]]()
  data <- data_of[[case]]
  cols <- cols_of[[case]]
  input <- make_input(data, cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  tab <- predict_mass(m, nd)
  if (nrow(tab) != nrow(input)) stop(case, ": predict() dropped rows")
  if (!anyNA(tab[[2]])) stop(case, ": no row with a missing prediction")
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (!identical(predict_mass(back, nd), tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  cls <- class(m)[1]
  family <- if (inherits(m, "polr")) m$method else "lda"
  num <- vapply(input, is.numeric, TRUE)
  features <- c(if (any(num)) "numeric", if (any(!num)) "factor",
                if (any(vapply(input, is.ordered, TRUE))) "ordered",
                if (is.null(m$terms)) "x/y" else "formula",
                if (inherits(m, "lda") && !isTRUE(all.equal(unname(m$prior), unname(m$counts / sum(m$counts)))))
                  "prior",
                if (length(levels(tab$class)) > 2 || ncol(tab) > 3) "multiclass",
                na_features(input))
  meta <- list(case = case, class = I(class(m)), family = family, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-24s %-8s rows=%d\n", case, family, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = family, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(fits), run_mass_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
