#!/usr/bin/env Rscript
# kernlab ksvm objects (S4, class "ksvm") and kernlab's own predict(): C-svc and nu-svc
# (one-against-one votes), eps-svr and nu-svr; rbfdot, polydot, vanilladot and tanhdot kernels;
# the formula and the matrix interfaces; scaled = TRUE (every column, some columns, none); the
# probability model (prob.model = TRUE: pairwise Platt sigmoids coupled by couple()'s "minpair").
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_kernlab.R [CASE ...]   (no CASE: every case and the fixtures)
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R's cases.
# The cases with `held_out = TRUE` are fitted on three rows in four and predicted on the fourth
# (and perturbed copies of it).
#
# expected.csv: `class` (predict(type = "response"), the one-against-one vote also with a
# probability model) for classification, `prediction` for regression; with prob.model = TRUE
# also `probability(<level>)` from predict(type = "probabilities") in the order of @lev (kernlab
# gives no class probabilities without it).  predict.ksvm drops rows with a missing value (the
# formula interface's model.matrix with na.omit) or fails on them (a matrix): such rows are NA here.
#
# Also writes ../r-fixtures/refused/ksvm_{laplacedot,spoc_svc,one_svc}.rds, objects refused by
# name (unit.test_import_more).

suppressPackageStartupMessages({
  library(jsonlite)
  library(kernlab)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

infert_2 <- within(infert[, c("case", "age", "parity", "induced", "spontaneous")],
                   status <- factor(case, levels = c(0, 1), labels = c("control", "case")))
infert_2$case <- NULL
aq <- na.omit(airquality)
aq$Month <- factor(month.abb[aq$Month], levels = month.abb[5:9])
mt <- data.frame(am = factor(mtcars$am, labels = c("automatic", "manual")), wt = mtcars$wt, hp = mtcars$hp,
                 qsec = mtcars$qsec, cyl = factor(mtcars$cyl), mpg = mtcars$mpg)

# name -> list(data, predictor columns, fit, matrix = TRUE for the x/y interface)
cases <- list(
  ksvm_csvc_rbf = list(data = iris, cols = names(iris)[1:4], fit = function(d)
    ksvm(Species ~ ., data = d, kernel = "rbfdot", kpar = list(sigma = 0.2), C = 1)),
  ksvm_csvc_five_classes = list(data = aq, cols = c("Ozone", "Solar.R", "Wind", "Temp"), fit = function(d)
    ksvm(Month ~ Ozone + Solar.R + Wind + Temp, data = d, kernel = "rbfdot", kpar = list(sigma = 0.3), C = 5)),
  ksvm_csvc_vanilla_factor = list(data = mt, cols = c("wt", "hp", "cyl"), fit = function(d)
    ksvm(am ~ wt + hp + cyl, data = d, kernel = "vanilladot", C = 1)),
  ksvm_csvc_tanh_unscaled = list(data = iris, cols = names(iris)[1:4], fit = function(d)
    ksvm(Species ~ ., data = d, kernel = "tanhdot", kpar = list(scale = 0.02, offset = 0.1), scaled = FALSE)),
  ksvm_nusvc_poly_xy = list(data = infert_2, cols = c("age", "parity", "induced", "spontaneous"), matrix = TRUE,
    fit = function(d) ksvm(x = as.matrix(d[, c("age", "parity", "induced", "spontaneous")]), y = d$status,
                           type = "nu-svc", nu = 0.4, kernel = "polydot",
                           kpar = list(degree = 2, scale = 0.5, offset = 1))),
  ksvm_epssvr_rbf = list(data = mt, cols = c("wt", "hp", "qsec"), fit = function(d)
    ksvm(mpg ~ wt + hp + qsec, data = d, kernel = "rbfdot", kpar = list(sigma = 0.1), epsilon = 0.1)),
  ksvm_epssvr_vanilla = list(data = cars, cols = "speed", fit = function(d)
    ksvm(dist ~ speed, data = d, kernel = "vanilladot", C = 10)),
  ksvm_nusvr_poly_xy_partly_scaled = list(data = mt, cols = c("wt", "qsec"), matrix = TRUE, fit = function(d)
    ksvm(x = as.matrix(d[, c("wt", "qsec")]), y = d$mpg, type = "nu-svr", nu = 0.5, kernel = "polydot",
         kpar = list(degree = 3, scale = 0.1, offset = 1), scaled = c(TRUE, FALSE))),
  # prob.model = TRUE: kernlab's Platt sigmoids per pair (fitted on an internal cross-validation,
  # hence the seed) coupled by couple(coupler = "minpair").
  ksvm_csvc_rbf_probs = list(data = iris, cols = names(iris)[1:4], held_out = TRUE, fit = function(d)
    ksvm(Species ~ ., data = d, kernel = "rbfdot", kpar = list(sigma = 0.3), C = 2, prob.model = TRUE)),
  ksvm_csvc_poly_binary_probs = list(data = infert_2, cols = c("age", "parity", "induced", "spontaneous"),
    held_out = TRUE, fit = function(d)
      ksvm(status ~ age + parity + induced + spontaneous, data = d, kernel = "polydot",
           kpar = list(degree = 2, scale = 0.2, offset = 1), C = 1, prob.model = TRUE)),
  ksvm_csvc_vanilla_binary_probs_xy = list(data = mt, cols = c("wt", "hp", "qsec"), matrix = TRUE, held_out = TRUE,
    fit = function(d) ksvm(x = as.matrix(d[, c("wt", "hp", "qsec")]), y = d$am, kernel = "vanilladot", C = 1,
                           prob.model = TRUE)),
  # Five classes: couple()'s minpair fills its pairwise matrix column-wise (upper.tri), which is
  # not the pairs' row order from four classes on.
  ksvm_csvc_five_classes_probs = list(data = aq, cols = c("Ozone", "Solar.R", "Wind", "Temp"), held_out = TRUE,
    fit = function(d) ksvm(Month ~ Ozone + Solar.R + Wind + Temp, data = d, kernel = "rbfdot",
                           kpar = list(sigma = 0.3), C = 5, prob.model = TRUE)),
  ksvm_nusvc_tanh_probs_xy = list(data = iris, cols = names(iris)[1:4], matrix = TRUE, held_out = TRUE,
    fit = function(d) ksvm(x = as.matrix(d[, 1:4]), y = d$Species, type = "nu-svc", nu = 0.2, kernel = "tanhdot",
                           kpar = list(scale = 0.05, offset = 0.5), prob.model = TRUE))
)
fit_rows <- function(d) seq_len(nrow(d)) %% 4 != 0

predict_table <- function(m, spec, nd) {
  ok <- complete.cases(nd[, spec$cols, drop = FALSE])
  x <- nd[ok, , drop = FALSE]
  if (isTRUE(spec$matrix)) x <- as.matrix(x[, spec$cols, drop = FALSE])
  p <- predict(m, x)
  if (is.factor(p)) {
    out <- rep(NA_character_, nrow(nd))
    out[ok] <- as.character(p)
    tab <- data.frame(class = out, stringsAsFactors = FALSE)
    if (!is.null(m@prob.model[[1]])) {
      prob <- predict(m, x, type = "probabilities")
      for (l in m@lev) {
        v <- rep(NA_real_, nrow(nd))
        v[ok] <- unname(prob[, l])
        tab[[sprintf("probability(%s)", l)]] <- v
      }
    }
    return(tab)
  }
  out <- rep(NA_real_, nrow(nd))
  out[ok] <- as.vector(p)
  data.frame(prediction = out)
}

run_case <- function(case) {
  seed_for(case)
  spec <- cases[[case]]
  data <- spec$data
  m <- if (isTRUE(spec$held_out)) spec$fit(data[fit_rows(data), , drop = FALSE]) else spec$fit(data)
  if (isTRUE(spec$held_out)) data <- data[!fit_rows(data), , drop = FALSE]
  input <- make_input(data, spec$cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  tab <- predict_table(m, spec, nd)
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  # jsonlite does not rebuild a ksvm from its JSON (unserializeJSON evaluates the S4 object's
  # @kcall, a call of kernlab's internal .local): that JSON is not predicted by R; modelbridge
  # reads it, and the crosscheck compares what it predicts with R's predict() of the object.
  write_expected(tab, file.path(case_dir, "expected.csv"))
  features <- c(m@type, class(m@kernelf)[1], if (isTRUE(spec$matrix)) "x/y" else "formula",
                if (is.null(m@scaling)) "unscaled" else if (all(m@scaling$scaled)) "scaled" else "partly-scaled",
                if (any(vapply(input, is.factor, TRUE))) "factor", na_features(input))
  if (m@type %in% c("C-svc", "nu-svc")) features <- c(features, if (m@nclass > 2) "multiclass" else "binary")
  if (!is.null(m@prob.model[[1]])) features <- c(features, "prob.model")
  if (isTRUE(spec$held_out)) features <- c(features, "held-out")
  meta <- list(case = case, class = I(class(m)[1]), family = m@type, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-34s rows=%d\n", case, nrow(input)))
  data.frame(case = case, class = class(m)[1], family = m@type, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

only <- commandArgs(trailingOnly = TRUE)
rows <- do.call(rbind, lapply(if (length(only)) only else names(cases), run_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
if (length(only)) quit(save = "no")

# Refused by name: a kernel the formats do not hold, and the types spoc-svc and one-svc.
fixtures <- file.path(dirname(out_dir), "r-fixtures", "refused")
refused <- list(
  ksvm_laplacedot = function() ksvm(Species ~ ., data = iris, kernel = "laplacedot", kpar = list(sigma = 0.2)),
  ksvm_spoc_svc = function() ksvm(Species ~ ., data = iris, type = "spoc-svc", kernel = "rbfdot",
                                  kpar = list(sigma = 0.2)),
  ksvm_one_svc = function() ksvm(x = as.matrix(iris[, 1:4]), type = "one-svc", kernel = "rbfdot",
                                 kpar = list(sigma = 0.2))
)
for (name in names(refused)) {
  seed_for(name)
  saveRDS(refused[[name]](), file.path(fixtures, paste0(name, ".rds")))
}
