#!/usr/bin/env Rscript
# lm and glm fits with splines::ns() and splines::bs() terms (knots frozen in predvars by
# makepredictcall), and R's own predictions, including rows beyond the boundary knots: ns()
# extrapolates linearly there, bs() by its Taylor polynomial (R warns "some 'x' values beyond
# boundary knots may cause ill-conditioned bases"; the warning is expected and silenced here).
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_splines.R
# Deterministic: every case seeds the RNG from its name.  Same layout and expected.csv columns
# as generate.R's lm and glm cases (see README.md); input.csv adds, after the usual rows, rows
# with the spline variable below and above its boundary knots and exactly at them.

suppressPackageStartupMessages({
  library(jsonlite)
  library(splines)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

cases <- list(
  lm_ns = list(code = "lm(mpg ~ ns(hp, df = 3) + wt, data = mtcars)", var = "hp"),
  lm_ns_knots = list(
    code = "lm(mpg ~ ns(disp, knots = c(120, 200, 300), Boundary.knots = c(80, 460), intercept = TRUE) + wt - 1, data = mtcars)",
    var = "disp"),
  lm_bs = list(code = "lm(mpg ~ bs(hp, df = 5) + wt, data = mtcars)", var = "hp"),
  lm_bs_degree2 = list(code = "lm(mpg ~ bs(wt, knots = c(2.5, 3.2, 3.6), degree = 2) + qsec, data = mtcars)",
                       var = "wt"),
  glm_ns_logit = list(code = "glm(case ~ ns(age, df = 4) + parity + spontaneous, family = binomial, data = infert)",
                      var = "age"),
  glm_bs_poisson = list(code = "glm(carb ~ bs(disp, degree = 1, knots = c(150, 300)) + am, family = poisson, data = mtcars)",
                        var = "disp")
)

response_levels <- function(m) {
  y <- model.response(m$model)
  if (is.factor(y)) levels(y) else if (is.logical(y)) c("FALSE", "TRUE") else c("0", "1")
}

# As generate.R's predict_table; bs() beyond its boundary knots warns on every call.
predict_table <- function(m, nd) {
  quiet <- function(e) suppressWarnings(e)
  if (inherits(m, "glm")) {
    link <- quiet(predict(m, newdata = nd, type = "link", na.action = na.pass))
    resp <- quiet(predict(m, newdata = nd, type = "response", na.action = na.pass))
    if (m$family$family == "binomial") {
      lev <- response_levels(m)
      cls <- ifelse(is.na(resp), NA_character_, ifelse(resp > 0.5, lev[2], lev[1]))
      out <- data.frame(class = cls, p1 = 1 - resp, p2 = resp, link = link, stringsAsFactors = FALSE)
      names(out) <- c("class", sprintf("probability(%s)", lev), "link")
      return(out)
    }
    return(data.frame(prediction = unname(resp), link = unname(link)))
  }
  data.frame(prediction = unname(quiet(predict(m, newdata = nd, na.action = na.pass))))
}

boundary_of <- function(m, var) {
  pv <- attr(terms(m), "predvars")
  for (i in seq_along(pv)[-1]) {
    e <- pv[[i]]
    if (is.call(e) && as.character(e[[1]]) %in% c("ns", "bs")) return(eval(e$Boundary.knots))
  }
  stop("no spline term")
}

run_spline_case <- function(case) {
  spec <- cases[[case]]
  seed_for(case)
  m <- eval(parse(text = spec$code), envir = globalenv())
  data <- eval(m$call$data, globalenv())
  cols <- unique(all.vars(delete.response(terms(m))))
  input <- make_input(data, cols)
  # The spline variable below, at and beyond its boundary knots.
  bk <- boundary_of(m, spec$var)
  span <- diff(bk)
  extra <- input[rep(1L, 6L), , drop = FALSE]
  for (cn in cols) if (!anyNA(input[[cn]][1])) extra[[cn]] <- input[[cn]][1]
  extra[[spec$var]] <- c(bk[1] - 0.3 * span, bk[1] - 0.01 * span, bk[1], bk[2], bk[2] + 0.01 * span,
                         bk[2] + 0.3 * span)
  input <- rbind(input, extra)
  rownames(input) <- NULL
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  expected <- predict_table(m, nd)
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  back <- fix_envs(jsonlite::unserializeJSON(paste(readLines(file.path(case_dir, "model_exact.json")),
                                                   collapse = "\n")))
  if (inherits(back, "glm")) back$family <- do.call(back$family$family, list(link = back$family$link))
  if (!identical(predict_table(back, nd), expected))
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  write_expected(expected, file.path(case_dir, "expected.csv"))
  family <- if (inherits(m, "glm")) m$family$family else "gaussian"
  link <- if (inherits(m, "glm")) m$family$link else "identity"
  fn <- if (grepl("ns\\(", spec$code)) "ns" else "bs"
  features <- c("numeric", fn, "beyond-boundary-knots", if (grepl("- 1", spec$code)) "no-intercept",
                na_features(input))
  write_meta(case_dir, list(case = case, class = I(class(m)), family = family, link = link,
                            features = I(features), n_rows = nrow(input)))
  cat(sprintf("%-24s %-4s %-9s rows=%d\n", case, class(m)[1], family, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = family, link = link,
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(cases), run_spline_case))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
