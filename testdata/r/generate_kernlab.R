#!/usr/bin/env Rscript
# kernlab ksvm objects (S4, class "ksvm") and kernlab's own predict(): C-svc and nu-svc
# (one-against-one votes), eps-svr and nu-svr; rbfdot, polydot, vanilladot and tanhdot kernels;
# the formula and the matrix interfaces; scaled = TRUE (every column, some columns, none).
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_kernlab.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R's cases.
#
# expected.csv: `class` (predict(type = "response")) for classification, `prediction` for
# regression.  kernlab gives no class probabilities without prob.model = TRUE, and a model with
# it is refused (see below).  predict.ksvm drops rows with a missing value (the formula
# interface's model.matrix with na.omit) or fails on them (a matrix): such rows are NA here.
#
# Also writes ../r-fixtures/refused/ksvm_{prob_model,laplacedot,spoc_svc,one_svc}.rds, objects
# refused by name (unit.test_import_more).

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
         kpar = list(degree = 3, scale = 0.1, offset = 1), scaled = c(TRUE, FALSE)))
)

predict_table <- function(m, spec, nd) {
  ok <- complete.cases(nd[, spec$cols, drop = FALSE])
  x <- nd[ok, , drop = FALSE]
  if (isTRUE(spec$matrix)) x <- as.matrix(x[, spec$cols, drop = FALSE])
  p <- predict(m, x)
  if (is.factor(p)) {
    out <- rep(NA_character_, nrow(nd))
    out[ok] <- as.character(p)
    return(data.frame(class = out, stringsAsFactors = FALSE))
  }
  out <- rep(NA_real_, nrow(nd))
  out[ok] <- as.vector(p)
  data.frame(prediction = out)
}

run_case <- function(case) {
  seed_for(case)
  spec <- cases[[case]]
  m <- spec$fit(spec$data)
  input <- make_input(spec$data, spec$cols)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), spec$data)
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
  meta <- list(case = case, class = I(class(m)[1]), family = m@type, link = NA_character_,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-34s rows=%d\n", case, nrow(input)))
  data.frame(case = case, class = class(m)[1], family = m@type, link = "",
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(cases), run_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")

# Refused by name: kernlab's probability model (its coupling is not libsvm's), a kernel the
# formats do not hold, and the types spoc-svc and one-svc.
fixtures <- file.path(dirname(out_dir), "r-fixtures", "refused")
refused <- list(
  ksvm_prob_model = function() ksvm(Species ~ ., data = iris, kernel = "rbfdot", kpar = list(sigma = 0.2),
                                    prob.model = TRUE),
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
