#!/usr/bin/env Rscript
# Reference models and R's own predictions for modelbridge.
#
# Run from the repository root:   Rscript testdata/r/generate.R
# Deterministic: every case seeds the RNG from its name, so re-running gives the same files
# (see README.md for the layout).  Uses only R's built-in datasets.
#
# Per case, testdata/r/<case>/ holds
#   model.rds          saveRDS(model)  (gzip, serialization version 3)
#   model.json         jsonlite::serializeJSON(model, digits = NA): doubles with 15 significant
#                      digits, language objects deparsed by deparse() defaults (15 digits)
#   model.default.json jsonlite::serializeJSON(model) with no arguments (digits = 8: eight
#                      DECIMAL places, i.e. 0.00001235 for 1.2345678e-05) -- what a user gets
#                      who calls serializeJSON() without arguments
#   model_exact.json   the same schema, every double written with "%.17g" and language objects
#                      deparsed with control "digits17" (exact round trip)
#   input.csv          predictor columns to score (numbers "%.17g", missing = empty field)
#   expected.csv       R's predict() on input.csv with na.action = na.pass ("%.17g", missing NA)
#   meta.json          case, class, family, link, features, n_rows
# plus MANIFEST.tsv, VERSIONS.txt and rds-variants/ (one object saved in every rds encoding).

suppressPackageStartupMessages({
  library(jsonlite)
  library(stats)
})

out_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else normalizePath("testdata/r")
})

source(file.path(out_dir, "common.R"))   # serializer, CSV helpers, seeding

# ------------------------------------------------------------------------------------------
# Response levels of a binomial glm: a factor's levels, "FALSE"/"TRUE" for a logical
# response, "0"/"1" for a numeric 0/1 response.
# ------------------------------------------------------------------------------------------
response_levels <- function(m) {
  y <- model.response(m$model)
  if (is.factor(y)) levels(y) else if (is.logical(y)) c("FALSE", "TRUE") else c("0", "1")
}

predict_table <- function(m, nd) {
  quiet <- function(e) suppressWarnings(e)   # rank-deficient fits warn on every predict
  if (inherits(m, "glm")) {
    link <- quiet(predict(m, newdata = nd, type = "link", na.action = na.pass))
    resp <- quiet(predict(m, newdata = nd, type = "response", na.action = na.pass))
    if (m$family$family == "binomial") {
      lev <- response_levels(m)
      # class rule: the second response level when P(second level) > 0.5, else the first
      # (p == 0.5 gives the first level); missing when p is missing.
      cls <- ifelse(is.na(resp), NA_character_, ifelse(resp > 0.5, lev[2], lev[1]))
      out <- data.frame(class = cls, p1 = 1 - resp, p2 = resp, link = link,
                        stringsAsFactors = FALSE)
      names(out) <- c("class", sprintf("probability(%s)", lev), "link")
      return(out)
    }
    return(data.frame(prediction = unname(resp), link = unname(link)))
  }
  data.frame(prediction = unname(quiet(predict(m, newdata = nd, na.action = na.pass))))
}

# ------------------------------------------------------------------------------------------
# Checks on each written model.
# ------------------------------------------------------------------------------------------
check_json <- function(m, case_dir, case) {
  exact_text <- readLines(file.path(case_dir, "model_exact.json"), warn = FALSE, encoding = "UTF-8")
  m2 <- jsonlite::unserializeJSON(paste(exact_text, collapse = "\n"))
  if (!identical(coef(m2), coef(m)))
    stop(case, ": coefficients from model_exact.json are not identical")
  d1 <- all_doubles(m)
  d2 <- all_doubles(m2)
  if (!identical(d1, d2)) stop(case, ": doubles from model_exact.json are not identical")
  if (!is.null(m$terms)) {
    # a numeric vector inside a call deparses as c(...) and parses back as a call to c(),
    # which breaks lines differently: compare the text without white space
    flat <- function(e) gsub("[[:space:]]", "", paste(deparse(e, control = deparse_exact), collapse = ""))
    pv1 <- flat(attr(m$terms, "predvars"))
    pv2 <- flat(attr(m2$terms, "predvars"))
    if (!identical(pv1, pv2)) stop(case, ": predvars from model_exact.json differ")
  }
  # the same serializer at 15 digits reproduces serializeJSON(digits = NA) exactly
  if (!identical(serialize_json(m, 15, deparse_default),
                 as.character(jsonlite::serializeJSON(m, digits = NA))))
    stop(case, ": serializer does not mirror jsonlite::serializeJSON")
  m2
}

check_rebuilt_predictions <- function(m, m2, nd, case) {
  if (!identical(class(m), "lm")) return(invisible())   # glm family closures do not survive JSON
  m2 <- fix_envs(m2)
  p1 <- suppressWarnings(predict(m, newdata = nd, na.action = na.pass))
  p2 <- suppressWarnings(predict(m2, newdata = nd, na.action = na.pass))
  if (!identical(unname(p1), unname(p2)))
    stop(case, ": predictions of the object rebuilt from model_exact.json differ")
}

# ------------------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------------------
manifest <- list()

meta_list <- function(case, m, family, link, features, n_rows)
  list(case = case, class = I(class(m)), family = family, link = link,
       features = I(features), n_rows = n_rows)

write_case <- function(case, m, input, expected, family, link, features) {
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  saveRDS(m, file.path(case_dir, "model.rds"))
  write_text(as.character(jsonlite::serializeJSON(m, digits = NA)), file.path(case_dir, "model.json"))
  write_text(as.character(jsonlite::serializeJSON(m)), file.path(case_dir, "model.default.json"))
  write_text(serialize_json(m), file.path(case_dir, "model_exact.json"))
  write_csv17(input, file.path(case_dir, "input.csv"))
  write_expected(expected, file.path(case_dir, "expected.csv"))
  write_meta(case_dir, meta_list(case, m, family, link, features, nrow(input)))
  manifest[[length(manifest) + 1L]] <<- data.frame(
    case = case, class = paste(class(m), collapse = ","),
    family = ifelse(is.na(family), "", family), link = ifelse(is.na(link), "", link),
    features = paste(features, collapse = ","), stringsAsFactors = FALSE)
  invisible(case_dir)
}

fit_call <- function(code) {
  withCallingHandlers(eval(parse(text = code), envir = globalenv()),
    warning = function(w) {
      msg <- conditionMessage(w)
      stop("fitting '", code, "' warned: ", msg)
    })
}

# "NA-numeric" / "NA-categorical": the input has missing values in such columns.

input_columns <- function(m) {
  v <- all.vars(delete.response(terms(m)))
  if (!is.null(m$call$offset)) v <- c(v, all.vars(m$call$offset))
  unique(v)
}

run_linear_case <- function(case, code, features, n_max = 50) {
  seed_for(case)
  m <- fit_call(code)
  data <- eval(m$call$data, globalenv())
  cols <- input_columns(m)
  input <- make_input(data, cols, n_max = n_max)
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  expected <- predict_table(m, nd)
  family <- if (inherits(m, "glm")) m$family$family else "gaussian"
  link <- if (inherits(m, "glm")) m$family$link else "identity"
  features <- c(features, na_features(input))
  write_case(case, m, input, expected, family, link, features)
  m2 <- check_json(m, case_dir, case)
  check_rebuilt_predictions(m, m2, nd, case)
  cat(sprintf("%-32s %-10s %-9s %-9s rows=%d\n", case, class(m)[1], family, link, nrow(input)))
  invisible(m)
}

# Derived datasets (built-in data only).  They live in globalenv so that model calls read
# like a user's: lm(formula = ..., data = mtcars_rd).
mtcars_rd <- within(mtcars, wt2 <- 2 * wt)                         # aliased column
mtcars_lc <- data.frame(mpg = mtcars$mpg, wt = mtcars$wt, manual = mtcars$am == 1,
                        cyl_chr = as.character(mtcars$cyl), stringsAsFactors = FALSE)
co2 <- data.frame(uptake = CO2$uptake, conc = CO2$conc, Plant = CO2$Plant)  # ordered, 12 levels
infert_f <- within(infert, status <- factor(case, levels = c(0, 1), labels = c("no case", "case")))
infert_f$case <- NULL
quakes_b <- within(quakes[seq(1, 1000, by = 5), ], big <- mag >= 4.7)   # 200 rows
esoph_t <- within(esoph, ntotal <- ncases + ncontrols)

linear_cases <- list(
  list("lm_numeric", "lm(mpg ~ wt + hp + disp, data = mtcars)", c("numeric")),
  list("lm_factor", "lm(Sepal.Length ~ Sepal.Width + Petal.Length + Species, data = iris)",
       c("numeric", "factor", "contr.treatment")),
  list("lm_factor_call", "lm(mpg ~ factor(cyl) + factor(am) + wt, data = mtcars)",
       c("numeric", "factor()", "contr.treatment")),
  list("lm_logical_character", "lm(mpg ~ wt + manual + cyl_chr, data = mtcars_lc)",
       c("numeric", "logical", "character", "contr.treatment")),
  list("lm_contr_sum",
       "lm(Sepal.Width ~ Petal.Width + Species, data = iris, contrasts = list(Species = \"contr.sum\"))",
       c("numeric", "factor", "contr.sum")),
  list("lm_contr_helmert",
       "lm(weight ~ feed, data = chickwts, contrasts = list(feed = \"contr.helmert\"))",
       c("factor", "contr.helmert")),
  list("lm_ordered", "lm(uptake ~ Plant + log(conc), data = co2)",
       c("numeric", "ordered", "contr.poly", "log")),
  list("lm_interaction_num_factor", "lm(Sepal.Length ~ Petal.Length * Species, data = iris)",
       c("numeric", "factor", "contr.treatment", "interaction:numeric:factor")),
  list("lm_interaction_factor_factor", "lm(breaks ~ wool * tension, data = warpbreaks)",
       c("factor", "contr.treatment", "interaction:factor:factor")),
  list("lm_I", "lm(mpg ~ wt + I(wt^2) + I(hp * disp) + I(1/qsec), data = mtcars)",
       c("numeric", "I()")),
  list("lm_math", "lm(mpg ~ log(hp) + exp(drat) + sqrt(disp) + abs(qsec - 18), data = mtcars)",
       c("numeric", "log", "exp", "sqrt", "abs")),
  list("lm_poly2", "lm(Volume ~ poly(Girth, 2) + Height, data = trees)",
       c("numeric", "poly")),
  list("lm_poly3", "lm(dist ~ poly(speed, 3), data = cars)", c("numeric", "poly")),
  list("lm_scale", "lm(mpg ~ scale(hp) + scale(wt, scale = FALSE) + qsec, data = mtcars)",
       c("numeric", "scale")),
  list("lm_offset_term", "lm(log(Volume) ~ log(Girth) + offset(log(Height)), data = trees)",
       c("numeric", "log", "offset()")),
  list("lm_offset_arg", "lm(log(Volume) ~ log(Girth), data = trees, offset = log(Height))",
       c("numeric", "log", "offset=")),
  list("lm_rank_deficient", "lm(mpg ~ wt + hp + wt2 + disp, data = mtcars_rd)",
       c("numeric", "rank-deficient")),
  list("lm_weights", "lm(mpg ~ wt + hp, data = mtcars, weights = carb)",
       c("numeric", "weights")),
  list("lm_no_intercept", "lm(dist ~ 0 + speed + I(speed^2), data = cars)",
       c("numeric", "I()", "no-intercept")),
  list("lm_no_intercept_factor", "lm(Sepal.Length ~ Petal.Length + Species - 1, data = iris)",
       c("numeric", "factor", "contr.treatment", "no-intercept")),
  list("glm_gaussian", "glm(mpg ~ wt + factor(cyl), family = gaussian, data = mtcars)",
       c("numeric", "factor()", "contr.treatment")),
  list("glm_logit_factor",
       "glm(status ~ education + age + parity + induced + spontaneous, family = binomial, data = infert_f)",
       c("numeric", "factor", "contr.treatment", "level-with-space", "factor-response")),
  list("glm_logit_01", "glm(case ~ education + age + spontaneous, family = binomial, data = infert)",
       c("numeric", "factor", "contr.treatment", "level-with-space", "01-response")),
  list("glm_logit_logical", "glm(big ~ depth + lat + long, family = binomial, data = quakes_b)",
       c("numeric", "logical-response")),
  list("glm_probit", "glm(vs ~ mpg + wt, family = binomial(link = \"probit\"), data = mtcars)",
       c("numeric", "01-response")),
  list("glm_cloglog",
       "glm(case ~ age + parity + spontaneous + induced, family = binomial(link = \"cloglog\"), data = infert)",
       c("numeric", "01-response")),
  list("glm_poisson_offset_term",
       "glm(ncases ~ agegp + alcgp + offset(log(ntotal)), family = poisson, data = esoph_t)",
       c("ordered", "contr.poly", "offset()", "log")),
  list("glm_poisson_offset_arg",
       "glm(ncases ~ tobgp + alcgp, family = poisson, data = esoph_t, offset = log(ntotal))",
       c("ordered", "contr.poly", "offset=", "log")),
  list("glm_gamma_inverse", "glm(mpg ~ wt + hp, family = Gamma, data = mtcars)",
       c("numeric")),
  list("glm_gamma_log",
       "glm(Volume ~ log(Girth) + log(Height), family = Gamma(link = \"log\"), data = trees, weights = Height)",
       c("numeric", "log", "weights"))
)

models <- list()
for (cs in linear_cases) models[[cs[[1]]]] <- run_linear_case(cs[[1]], cs[[2]], cs[[3]])

# ------------------------------------------------------------------------------------------
# Tree models: rpart, randomForest, ranger, gbm.
# Columns: regression `prediction`; classification `class` then `probability(<label>)` in the
# model's class order (rpart: attr(, "ylevels"); randomForest: $classes; ranger: $forest$levels;
# gbm bernoulli: "0", "1").
#  - rpart class: predict(type = "class") and predict(type = "prob").
#  - randomForest classification: predict(type = "response") and predict(type = "prob") (vote
#    fractions).  randomForest breaks tied votes at random, so rows with tied top votes are
#    dropped from input.csv.
#  - ranger classification: class = predict()$predictions; probability = fraction of trees
#    voting for the class (from predict(predict.all = TRUE)); tied rows dropped as above.
#  - ranger probability forest: probabilities = predict()$predictions; class = the first class
#    with the largest probability (ranger itself gives no class); tied rows dropped.
#  - gbm: predict(n.trees = all, type = "response"); bernoulli class "1" when p > 0.5, else "0".
# randomForest and ranger refuse missing predictors, so their inputs have no missing values.
# ------------------------------------------------------------------------------------------
suppressPackageStartupMessages({
  library(rpart)
  library(randomForest)
  library(ranger)
  library(gbm)
})

tie_rows <- function(prob) {
  apply(prob, 1, function(p) !anyNA(p) && sum(p == max(p)) > 1)
}

tree_predict <- function(m, nd) {
  if (inherits(m, "rpart")) {
    if (m$method == "class") {
      prob <- predict(m, newdata = nd, type = "prob", na.action = na.pass)
      cls <- predict(m, newdata = nd, type = "class", na.action = na.pass)
      colnames(prob) <- attr(m, "ylevels")
      return(list(table = prob_table(cls, prob), ties = rep(FALSE, nrow(nd))))
    }
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd, na.action = na.pass))),
                ties = rep(FALSE, nrow(nd))))
  }
  if (inherits(m, "randomForest")) {
    if (m$type == "classification") {
      prob <- predict(m, newdata = nd, type = "prob")
      cls <- predict(m, newdata = nd, type = "response")
      return(list(table = prob_table(cls, prob[, m$classes, drop = FALSE]), ties = tie_rows(prob)))
    }
    return(list(table = data.frame(prediction = unname(predict(m, newdata = nd))),
                ties = rep(FALSE, nrow(nd))))
  }
  if (inherits(m, "ranger")) {
    p <- predict(m, data = nd, num.threads = 1)$predictions
    lev <- m$forest$levels
    if (m$treetype == "Regression")
      return(list(table = data.frame(prediction = p), ties = rep(FALSE, nrow(nd))))
    if (m$treetype == "Classification") {
      votes <- predict(m, data = nd, num.threads = 1, predict.all = TRUE)$predictions
      # predict.all gives each tree's vote as an index into m$forest$levels.
      prob <- sapply(seq_along(lev), function(k) rowMeans(votes == k))
      prob <- matrix(prob, nrow = nrow(nd), dimnames = list(NULL, lev))
      return(list(table = prob_table(as.character(p), prob), ties = tie_rows(prob)))
    }
    prob <- p[, lev, drop = FALSE]
    cls <- lev[apply(prob, 1, which.max)]
    return(list(table = prob_table(cls, prob), ties = tie_rows(prob)))
  }
  if (inherits(m, "gbm")) {
    f <- predict(m, newdata = nd, n.trees = m$n.trees, type = "response")
    if (m$distribution$name == "bernoulli") {
      prob <- cbind(`0` = 1 - f, `1` = f)
      return(list(table = prob_table(ifelse(f > 0.5, "1", "0"), prob), ties = rep(FALSE, nrow(nd))))
    }
    return(list(table = data.frame(prediction = f), ties = rep(FALSE, nrow(nd))))
  }
  stop("no predict rule for class ", class(m)[1])
}

tree_family <- function(m) {
  if (inherits(m, "rpart")) return(m$method)
  if (inherits(m, "randomForest")) return(m$type)
  if (inherits(m, "ranger")) return(m$treetype)
  if (inherits(m, "gbm")) return(m$distribution$name)
  NA_character_
}

tree_inputs <- function(m) {
  if (inherits(m, "ranger")) return(m$forest$independent.variable.names)
  if (inherits(m, "gbm")) return(m$var.names)
  all.vars(delete.response(terms(m)))
}

# How many rows the object rebuilt from a JSON file predicts differently (beyond 1e-9
# relative, or another class) from R's predictions on the original object; NA when the
# rebuilt object cannot predict.
rows_changed <- function(json_file, m, nd, reference) {
  m2 <- tryCatch(fix_envs(jsonlite::unserializeJSON(paste(readLines(json_file, warn = FALSE),
                                                          collapse = "\n"))),
                 error = function(e) NULL)
  if (is.null(m2)) return(NA_integer_)
  t2 <- tryCatch(suppressWarnings(tree_predict(m2, nd)$table), error = function(e) NULL)
  if (is.null(t2)) return(NA_integer_)
  changed <- rep(FALSE, nrow(nd))
  for (cn in names(reference)) {
    a <- t2[[cn]]
    b <- reference[[cn]]
    if (is.numeric(b)) changed <- changed | xor(is.na(a), is.na(b)) |
      (!is.na(a) & !is.na(b) & abs(a - b) > 1e-9 * abs(b) + 1e-12)
    else changed <- changed | xor(is.na(a), is.na(b)) | (!is.na(a) & !is.na(b) & a != b)
  }
  sum(changed)
}

run_tree_case <- function(case, code, features, with_na = TRUE, n_max = 160, seed = NULL) {
  if (is.null(seed)) seed_for(case) else set.seed(seed)
  m <- fit_call(code)
  data <- eval(m$call$data, globalenv())
  cols <- tree_inputs(m)
  input <- make_input(data, cols, n_max = n_max, na_cols = if (with_na) cols else character())
  case_dir <- file.path(out_dir, case)
  dir.create(case_dir, showWarnings = FALSE, recursive = TRUE)
  write_csv17(input, file.path(case_dir, "input.csv"))
  nd <- read_input(file.path(case_dir, "input.csv"), data)
  pr <- tree_predict(m, nd)
  if (any(pr$ties)) {                       # drop rows whose class R would draw at random
    input <- input[!pr$ties, , drop = FALSE]
    write_csv17(input, file.path(case_dir, "input.csv"))
    nd <- read_input(file.path(case_dir, "input.csv"), data)
    pr <- tree_predict(m, nd)
  }
  features <- c(features, na_features(input))
  family <- tree_family(m)
  write_case(case, m, input, pr$table, family, NA_character_, features)
  check_json(m, case_dir, case)
  exact_changed <- rows_changed(file.path(case_dir, "model_exact.json"), m, nd, pr$table)
  if (!is.na(exact_changed) && exact_changed > 0)
    stop(case, ": the object rebuilt from model_exact.json predicts differently")
  json15_changed <- rows_changed(file.path(case_dir, "model.json"), m, nd, pr$table)
  if ("json15-flip" %in% features && !isTRUE(json15_changed > 0))
    stop(case, ": expected the 15-digit JSON to change some predictions")
  meta <- meta_list(case, m, family, NA_character_, features, nrow(input))
  meta$json15_rows_changed <- json15_changed
  meta$dropped_tie_rows <- sum(pr$ties)
  write_meta(case_dir, meta)
  cat(sprintf("%-32s %-12s %-14s rows=%d json15_changed=%s\n", case, class(m)[1], family,
              nrow(input), json15_changed))
  invisible(m)
}

airq <- within(airquality, {
  month_f <- factor(month.abb[Month], levels = month.abb[5:9])
  Month <- NULL
  Day <- NULL
})
airq_o <- airq[!is.na(airq$Ozone), ]                     # gbm needs a known response
iris_na <- local({                                       # missing values in training too
  set.seed(7)
  d <- iris
  d$Petal.Length[sample.int(150, 12)] <- NA
  d$Petal.Width[sample.int(150, 12)] <- NA
  d
})
infert_g <- infert[, c("case", "education", "age", "parity", "induced", "spontaneous")]

tree_cases <- list(
  list("rpart_anova",
       "rpart(Ozone ~ Solar.R + Wind + Temp + month_f, data = airq, control = rpart.control(cp = 0.005, minsplit = 10))",
       c("numeric", "factor", "categorical-split", "surrogates", "NA-training")),
  list("rpart_anova_nosurrogate",
       "rpart(Ozone ~ Solar.R + Wind + Temp + month_f, data = airq, control = rpart.control(cp = 0.005, minsplit = 10, usesurrogate = 0))",
       c("numeric", "factor", "categorical-split", "usesurrogate=0", "NA-training")),
  list("rpart_class",
       "rpart(Species ~ ., data = iris_na, control = rpart.control(cp = 0.001, minsplit = 5))",
       c("numeric", "surrogates", "NA-training", "multiclass")),
  list("rpart_class_factor",
       "rpart(status ~ education + age + parity + induced + spontaneous, data = infert_f, control = rpart.control(cp = 0.003, minsplit = 10))",
       c("numeric", "factor", "categorical-split", "surrogates", "level-with-space", "binary")),
  list("rf_regression", "randomForest(mpg ~ ., data = mtcars, ntree = 30, maxnodes = 12)",
       c("numeric")),
  list("rf_class", "randomForest(Species ~ ., data = iris, ntree = 31, maxnodes = 10)",
       c("numeric", "multiclass")),
  # seed 1 gives a forest whose 15-digit JSON moves vote fractions (thresholds such as
  # 1.6999999999999999 become 1.7, a data value): see json15_rows_changed in meta.json
  list("rf_class_json15_flip", "randomForest(Species ~ ., data = iris, ntree = 31, maxnodes = 10)",
       c("numeric", "multiclass", "json15-flip"), seed = 1),
  list("rf_class_factor",
       "randomForest(status ~ education + age + parity + induced + spontaneous, data = infert_f, ntree = 31, maxnodes = 16)",
       c("numeric", "factor", "categorical-split", "level-with-space", "binary")),
  list("rf_regression_ordered",
       "randomForest(ncases ~ agegp + alcgp + tobgp + ncontrols, data = esoph, ntree = 30, maxnodes = 12)",
       c("numeric", "ordered")),
  list("ranger_regression",
       "ranger(mpg ~ ., data = mtcars, num.trees = 30, max.depth = 6, seed = 1, num.threads = 1)",
       c("numeric")),
  list("ranger_class",
       "ranger(Species ~ ., data = iris, num.trees = 31, max.depth = 6, seed = 1, num.threads = 1)",
       c("numeric", "multiclass")),
  list("ranger_prob_order",
       "ranger(status ~ education + age + parity + induced + spontaneous, data = infert_f, num.trees = 30, max.depth = 6, probability = TRUE, respect.unordered.factors = \"order\", seed = 1, num.threads = 1)",
       c("numeric", "factor", "respect.unordered.factors=order", "level-with-space", "binary")),
  list("ranger_prob_ignore",
       "ranger(Species ~ ., data = iris, num.trees = 30, max.depth = 6, probability = TRUE, seed = 1, num.threads = 1)",
       c("numeric", "multiclass")),
  list("ranger_class_partition",
       "ranger(status ~ education + age + parity + induced + spontaneous, data = infert_f, num.trees = 31, max.depth = 6, respect.unordered.factors = \"partition\", seed = 1, num.threads = 1)",
       c("numeric", "factor", "respect.unordered.factors=partition", "level-with-space", "binary")),
  list("ranger_class_ignore_factor",
       "ranger(status ~ education + age + parity + induced + spontaneous, data = infert_f, num.trees = 31, max.depth = 6, seed = 1, num.threads = 1)",
       c("numeric", "factor", "respect.unordered.factors=ignore", "level-with-space", "binary")),
  list("gbm_gaussian",
       "gbm(Ozone ~ Solar.R + Wind + Temp + month_f, data = airq_o, distribution = \"gaussian\", n.trees = 100, interaction.depth = 3, shrinkage = 0.1, n.minobsinnode = 5, bag.fraction = 0.8, n.cores = 1, verbose = FALSE)",
       c("numeric", "factor", "categorical-split", "NA-training")),
  list("gbm_bernoulli",
       "gbm(case ~ education + age + parity + induced + spontaneous, data = infert_g, distribution = \"bernoulli\", n.trees = 100, interaction.depth = 2, shrinkage = 0.1, n.minobsinnode = 5, bag.fraction = 0.8, n.cores = 1, verbose = FALSE)",
       c("numeric", "factor", "level-with-space", "01-response")),
  list("gbm_poisson",
       "gbm(ncases ~ agegp + alcgp + tobgp + ncontrols, data = esoph, distribution = \"poisson\", n.trees = 100, interaction.depth = 2, shrinkage = 0.05, n.minobsinnode = 5, bag.fraction = 0.8, n.cores = 1, verbose = FALSE)",
       c("numeric", "ordered"))
)

na_ok <- function(code) !grepl("^(randomForest|ranger)\\(", code)
for (cs in tree_cases)
  models[[cs[[1]]]] <- run_tree_case(cs[[1]], cs[[2]], cs[[3]], with_na = na_ok(cs[[2]]),
                                     seed = cs$seed)

# ------------------------------------------------------------------------------------------
# One object per family in every rds encoding.
# ------------------------------------------------------------------------------------------
write_rds_variants <- function(name, m) {
  dir <- file.path(out_dir, "rds-variants")
  dir.create(dir, showWarnings = FALSE)
  p <- function(suffix) file.path(dir, paste0(name, ".", suffix, ".rds"))
  saveRDS(m, p("v3.gz"))
  saveRDS(m, p("v2.gz"), version = 2)
  saveRDS(m, p("bzip2"), compress = "bzip2")
  saveRDS(m, p("xz"), compress = "xz")
  saveRDS(m, p("none"), compress = FALSE)
  # saveRDS has no xdr argument; serialize() to a connection writes the same stream, and
  # xdr = FALSE gives the native little-endian "B" format that readRDS() accepts
  con <- file(p("binary"), "wb"); serialize(m, con, xdr = FALSE); close(con)
  con <- gzfile(p("binary.gz"), "wb"); serialize(m, con, xdr = FALSE); close(con)
  saveRDS(m, p("asciihex"), ascii = NA, compress = FALSE)   # doubles as hex (%a)
  saveRDS(m, p("ascii"), ascii = TRUE, compress = FALSE)
  saveRDS(m, p("ascii.v2"), ascii = TRUE, compress = FALSE, version = 2)
  # ascii = TRUE writes doubles with "%.16g" (R's serialize.c), so those files are not exact:
  # they read back within a relative 1e-15; every other encoding reads back bit for bit.
  d0 <- unlist(all_doubles(m))
  for (f in list.files(dir, pattern = paste0("^", name, "\\..*\\.rds$"), full.names = TRUE)) {
    d1 <- unlist(all_doubles(readRDS(f)))
    if (grepl("\\.ascii(\\.v2)?\\.rds$", f)) {
      ok <- length(d1) == length(d0) && identical(is.na(d0), is.na(d1)) &&
        all(abs(d1 - d0) <= 1e-15 * abs(d0), na.rm = TRUE)
    } else ok <- identical(d1, d0)
    if (!ok) stop(f, " does not read back")
  }
}
write_rds_variants("lm_factor", models[["lm_factor"]])
write_rds_variants("glm_logit_factor", models[["glm_logit_factor"]])

# ------------------------------------------------------------------------------------------
# Manifest and versions.
# ------------------------------------------------------------------------------------------
write_manifest <- function() {
  man <- do.call(rbind, manifest)
  write.table(man, file.path(out_dir, "MANIFEST.tsv"), sep = "\t", quote = FALSE,
              row.names = FALSE, fileEncoding = "UTF-8")
}
write_manifest()

pkgs <- c("jsonlite", "rpart", "randomForest", "gbm", "ranger")
versions <- c(R.version.string,
              sprintf("%s %s", pkgs, vapply(pkgs, function(p)
                tryCatch(as.character(packageVersion(p)), error = function(e) "not installed"), "")),
              "", capture.output(print(sessionInfo())))
write_text(versions, file.path(out_dir, "VERSIONS.txt"))
cat("wrote", length(manifest), "cases to", out_dir, "\n")
