#!/usr/bin/env Rscript
# glm with a power link: statmod's tweedie(var.power, link.power) (link "mu^<link.power>",
# linkinv eta^(1/link.power); link.power 0 is its log link, "mu^0") and stats::power(lambda)
# in a quasi family (link "mu^<round(lambda, 3)>", linkinv pmax(eta^(1/lambda), .Machine$double.eps)).
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_power_link.R
# Deterministic: every case seeds the RNG from its name.  Same layout as generate.R's cases:
# expected.csv holds `prediction` (predict(type = "response")) and `link` (type = "link").

suppressPackageStartupMessages({
  library(jsonlite)
  library(statmod)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

# name -> list(the fit, the family (jsonlite rebuilds a family's closures empty: the JSON check
# predicts with the family rebuilt), data, predictor columns)
cases <- list(
  glm_tweedie_power = list(
    family = function() tweedie(var.power = 1.25, link.power = 1.5), data = mtcars, cols = c("wt", "hp"),
    fit = function(fam) glm(mpg ~ wt + hp, family = fam, data = mtcars)),
  glm_tweedie_log = list(
    family = function() tweedie(var.power = 1.5, link.power = 0), data = mtcars, cols = c("wt", "am"),
    fit = function(fam) glm(carb ~ wt + am, family = fam, data = mtcars)),
  glm_quasi_power = list(
    family = function() quasi(link = power(0.25), variance = "mu"), data = mtcars, cols = c("wt", "qsec"),
    fit = function(fam) glm(mpg ~ wt + qsec, family = fam, data = mtcars))
)

predict_table <- function(m, nd) {
  link <- predict(m, newdata = nd, type = "link", na.action = na.pass)
  resp <- predict(m, newdata = nd, type = "response", na.action = na.pass)
  data.frame(prediction = unname(resp), link = unname(link))
}

run_case <- function(case) {
  seed_for(case)
  spec <- cases[[case]]
  m <- spec$fit(spec$family())
  input <- make_input(spec$data, spec$cols)
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
  back$family <- spec$family()
  if (!identical(predict_table(back, nd), tab))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(tab, file.path(case_dir, "expected.csv"))
  features <- c("numeric", paste0("link=", m$family$link), na_features(input))
  meta <- list(case = case, class = I(class(m)), family = m$family$family, link = m$family$link,
               features = I(features), n_rows = nrow(input))
  write_meta(case_dir, meta)
  cat(sprintf("%-20s %-8s %-8s rows=%d\n", case, m$family$family, m$family$link, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = m$family$family,
             link = m$family$link, features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(cases), run_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
