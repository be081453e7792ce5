#!/usr/bin/env Rscript
# lm with factors made in the formula from data columns: cut() with explicit breaks,
# plyr::mapvalues() relabelling a factor, mapvalues() on numbers, ifelse(); and poly() of several
# variables (polym: products of each variable's polynomials), orthogonal and raw; factor() with
# levels and labels (a permutation of the values: a label that is another value's name),
# factor() with exclude, relevel().
#
# Run from the repository root, after generate.R (this script appends to MANIFEST.tsv):
#     Rscript testdata/r/generate_relabel.R
# Deterministic: every case seeds the RNG from its name.  Same layout and expected.csv columns as
# generate.R (see README.md); lm_cut_breaks also scores values on, inside and outside every break.

suppressPackageStartupMessages({
  library(jsonlite)
  library(plyr)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})
source(file.path(out_dir, "common.R"))

cars <- within(mtcars, {
  cyl_f <- factor(cyl)
  gears <- factor(gear, levels = c(3, 4, 5), labels = c("three", "four", "five"))
})

# Columns for the factor() and relevel() cases (a data frame of their own, so that the other
# cases' objects, which hold their data, stay as they are).
cars2 <- within(mtcars, {
  cyl_chr <- as.character(cyl)
  gear_f <- factor(gear)
})

cases <- list(
  lm_cut_breaks = list(
    code = "lm(mpg ~ wt + cut(hp, breaks = c(50, 100, 150, 200, 350)) + cut(qsec, c(14, 17, 19, 23), right = FALSE, include.lowest = TRUE), data = cars)",
    cols = c("wt", "hp", "qsec")),
  # A relabelling that joins levels (revalue(gears, c(four = "more", five = "more"))) is read and
  # scored right, and onnxruntime reproduces R on its ONNX file in double and float32; but
  # modelbridge's own reading of the float32 ONNX file differs from onnxruntime (the ONNX reader's
  # float32 emulation), so that case waits for the ONNX reader.
  lm_mapvalues_ifelse = list(
    code = "lm(mpg ~ plyr::mapvalues(cyl_f, from = c(4, 6, 8), to = c(-4, -6, -8)) + mapvalues(carb, from = c(1, 2), to = c(10, 20)) + ifelse(hp > 150, yes = 150, no = hp), data = cars)",
    cols = c("cyl_f", "carb", "hp")),
  lm_polym = list(
    code = "lm(mpg ~ poly(wt, hp, degree = 2) + qsec, data = cars)",
    cols = c("wt", "hp", "qsec")),
  glm_polym_raw = list(
    code = "glm(carb ~ poly(wt, qsec, disp, degree = 2, raw = TRUE), family = poisson, data = cars)",
    cols = c("wt", "qsec", "disp")),
  lm_factor_labels = list(
    code = "lm(mpg ~ factor(cyl_chr, levels = c(\"4\", \"6\", \"8\"), labels = c(\"8\", \"4\", \"6\")) + wt, data = cars2)",
    cols = c("cyl_chr", "wt"), data = "cars2"),
  lm_factor_exclude_relevel = list(
    code = "lm(mpg ~ factor(carb, exclude = c(6, 8)) + relevel(gear_f, ref = \"4\") + wt, data = cars2)",
    cols = c("carb", "gear_f", "wt"), data = "cars2")
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

run_case <- function(case) {
  spec <- cases[[case]]
  seed_for(case)
  m <- eval(parse(text = spec$code), envir = globalenv())
  data <- get(if (is.null(spec$data)) "cars" else spec$data)
  input <- make_input(data, spec$cols)
  # factor(carb, exclude = ...) keeps NA as a level of the data it predicts (exclude lacks NA), so
  # R's predict() stops on a missing carb: that input has none.  Excluded values predict NA.
  if (case == "lm_factor_exclude_relevel") {
    input$carb[is.na(input$carb)] <- 2
    input$carb[1:2] <- c(6, 8)
  }
  if (case == "lm_cut_breaks") {
    # On, just inside and outside every break (outside all breaks: cut() gives NA).
    edges <- data.frame(wt = 3, hp = c(49, 50, 50.001, 100, 100.001, 150, 200, 350, 351),
                        qsec = c(13.9, 14, 16.999, 17, 19, 22.999, 23, 23.001, 18))
    input <- rbind(input, edges)
    rownames(input) <- NULL
  }
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  expected <- predict_table(m, nd)
  if (!anyNA(expected[[1]])) stop(case, ": no row with a missing prediction")
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
  features <- c("numeric", "factor", sub("_.*", "", sub("^(lm|glm)_", "", case)), na_features(input))
  write_meta(case_dir, list(case = case, class = I(class(m)), family = family, link = link,
                            features = I(features), n_rows = nrow(input)))
  cat(sprintf("%-24s %-4s %-9s rows=%d\n", case, class(m)[1], family, nrow(input)))
  data.frame(case = case, class = paste(class(m), collapse = ","), family = family, link = link,
             features = paste(features, collapse = ","), stringsAsFactors = FALSE)
}

rows <- do.call(rbind, lapply(names(cases), run_case))

# Refused by name: factor() with labels but no levels (R gives the labels to the sorted values of
# the data it predicts, so the fit does not fix the mapping).
refused_dir <- file.path(out_dir, "..", "r-fixtures", "refused")
dir.create(refused_dir, showWarnings = FALSE, recursive = TRUE)
saveRDS(lm(mpg ~ factor(gear, labels = c("three", "four", "five")) + wt, data = cars2),
        file.path(refused_dir, "lm_factor_labels_no_levels.rds"))

man_file <- file.path(out_dir, "MANIFEST.tsv")
old <- read.delim(man_file, colClasses = "character", quote = "", na.strings = character())
old <- old[!old$case %in% rows$case, , drop = FALSE]
write.table(rbind(old, rows), man_file, sep = "\t", quote = FALSE, row.names = FALSE, fileEncoding = "UTF-8")
