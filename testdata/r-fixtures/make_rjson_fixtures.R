# Regenerates testdata/r-fixtures/rjson/: jsonlite::serializeJSON output of R objects plus what R
# itself reports about the original objects (<name>.truth), and rparse_cases.tsv (deparsed R code
# with R's own parse tree).  The unit tests compare the readers against these truths.
#   Rscript testdata/r-fixtures/make_rjson_fixtures.R   (from the repository root)
# Written with R 4.2.2 and jsonlite 1.8.4 (whose serializeJSON writes at most 15 significant
# digits); the *_exact.json files are written with 17 digits by exact_json() below, the same
# JSON layout with doubles printed by sprintf("%.17g").
suppressPackageStartupMessages(library(jsonlite))
set.seed(1)
out <- file.path("testdata", "r-fixtures", "rjson")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

# ---- s-expression form of a parse tree (same format as mb::r::to_sexpr) ---------------------
esc <- function(s, q = "\"") {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  s <- gsub("\r", "\\r", s, fixed = TRUE)
  s <- gsub(q, paste0("\\", q), s, fixed = TRUE)
  paste0(q, s, q)
}
num17 <- function(v) {
  ifelse(is.na(v) & !is.nan(v), "NA_real_", ifelse(is.nan(v), "NaN",
    ifelse(is.infinite(v), ifelse(v > 0, "Inf", "-Inf"), sprintf("%.17g", v))))
}
atom <- function(e) {
  one <- switch(typeof(e),
    double = num17(e),
    integer = ifelse(is.na(e), "NA_integer_", paste0(e, "L")),
    logical = ifelse(is.na(e), "NA", ifelse(e, "TRUE", "FALSE")),
    character = ifelse(is.na(e), "NA_character_", vapply(e, esc, "")),
    complex = sprintf("%.17g%+.17gi", Re(e), Im(e)),
    stop("atom: ", typeof(e)))
  if (length(one) == 1) one else paste0("[", paste(one, collapse = " "), "]")
}
is_missing_arg <- function(x) identical(x, quote(expr = ))
sx_list <- function(l, head) {
  nm <- names(l)
  parts <- character(0)
  for (i in seq_along(l)) {
    tag <- if (!is.null(nm) && nzchar(nm[i])) paste0(nm[i], "=") else ""
    v <- if (is_missing_arg(l[[i]])) "<missing>" else sx(l[[i]])
    parts <- c(parts, paste0(tag, v))
  }
  paste0(head, paste(parts, collapse = " "), ")")
}
sx <- function(e) {
  if (is.null(e)) return("NULL")
  if (is.symbol(e)) { s <- as.character(e); return(if (nzchar(s)) s else "<missing>") }
  if (is.pairlist(e)) return(sx_list(as.list(e), "(pairlist "))
  if (is.call(e)) return(sx_list(as.list(e), "("))
  atom(e)
}

# ---- parser cases: R code -> R's parse tree ----------------------------------------------
codes <- c(
  "-2^2", "2^-1", "a^b^c", "-a:b", "a:b:c", "-a*b", "!a & b", "!a == b", "a + !b == c",
  "a - b - c", "a / b * c", "a %in% b + c", "a %% b * c", "a + b %o% c", "a <- b = c",
  "a = b <- c", "a <- b <- c", "a -> b", "a ->> b", "a <<- 1", "~a + b", "y ~ x - 1",
  "y ~ 0 + x", "y ~ -1 + x", "y ~ a*b + a:b", "y ~ (a + b)^2", "y ~ . - x",
  "y ~ offset(log(n)) + x", "log(y) ~ I(x^2) + factor(cyl)",
  "y ~ scale(x, center = 1.5, scale = 2.25)", "x[, 1]", "x[]", "x[i, , drop = FALSE]",
  "x[[\"a\"]]", "x[[i]][j]", "x[a[1]]", "x$a$b", "x$`a b`", "x$\"s\"", "x@slot", "stats::poly(x, 2)",
  "base:::f(1)", "f()", "f(a, )", "f(, )", "f(a = , b = 2)", "f(\"a b\" = 1, `c d` = 2, NULL = 3)",
  "f(g)(h)", "function(x, y = 2) x + y", "function() NULL", "\\(x) x + 1",
  "if (a) b else c + d", "if (a) b", "x <- if (a) 1 else 2", "{\n    a <- 1\n    b\n}", "{a; b}", "{}",
  "for (i in 1:10) x[i] <- i", "while (TRUE) break", "repeat next", "(a + b) * c",
  "1L", "0x10", "0x10L", "0xFFp-4", "1e-05", "1e+05", "1.5e300", ".5", "100000L", "1.5L", "2i",
  "Inf", "-Inf", "NaN", "NA", "NA_real_", "NA_integer_", "NA_character_", "TRUE", "FALSE", "T",
  "NULL", "'a\\'b'", "\"tab\\there\\n\"", "\"\\u00e9\"", "\"\\x41\\101\"", "`a b` + 1", "c(1, 2)",
  "x |> f(y)", "a < b", "a >= b & c != d", "a && b || c", "!!a", "-(-1)", "- - 1", "a ? b",
  "...", "..1", "f(...)", "a$b(c)", "a[b](c)", "-a$b", "-a[1]^2", "a^b[1]", "x[-1]",
  "f(x = y ~ z)", "y ~ x | g", "a:b^2", "a ^ -1:2"
)
real <- list(
  glm_call = quote(glm(formula = y ~ x, family = binomial(link = "logit"), data = d, offset = log(n))),
  poly_predvars = attr(terms(model.frame(lm(mpg ~ poly(hp, 2) + factor(cyl) + wt:qsec, mtcars))), "predvars"),
  poly_predvars3 = attr(terms(model.frame(lm(Volume ~ poly(Girth, 3) + log(Height), trees))), "predvars"),
  scale_predvars = quote(list(y, scale(x, center = 1.23456789012346, scale = 0.000123456789012346))),
  binomial_initialize = binomial()$initialize,
  poisson_initialize = poisson()$initialize[[1]],
  lm_fn = body(function(x) { z <- x[, 1L] * 2; if (is.null(z)) stop("no") else z })
)
lines <- character(0)
for (code in codes) lines <- c(lines, paste(esc(code), sx(str2lang(code)), sep = "\t"))
for (nm in names(real)) {
  text <- paste(deparse(real[[nm]]), collapse = "\n")
  # R's parser re-reading the deparsed text is the reference (what unserializeJSON does)
  lines <- c(lines, paste(esc(text), sx(str2lang(text)), sep = "\t"))
}
writeLines(lines, file.path(out, "rparse_cases.tsv"), useBytes = TRUE)

# deparse(): R's text for expressions our deparse() must reproduce (term labels, messages)
dcodes <- c("I(x^2)", "factor(cyl)", "a:b", "log(disp)", "poly(hp, 2)", "offset(log(n))",
  "scale(x, center = 1.5, scale = 2.25)", "y ~ x + z", "-1", "x - 1", "a * b", "a/b", "x$y",
  "x[1, ]", "f(a = , b)", "`a b` + 1", "\"s\"", "1e-05", "123456", "1e+05", "0.1 + 1/3", "2L",
  "TRUE", "NA", "NA_real_", "c(1.5, 2)", "!a", "a %in% b", "(a + b)^2", "pkg::f(x)",
  "x[[\"a\"]]", "~x", "log(y) ~ sqrt(x)", "f(`a b` = 1)", "ns(x, df = 3)", "NULL")
dlines <- character(0)
for (code in dcodes) dlines <- c(dlines, paste(esc(code), esc(paste(deparse(str2lang(code)), collapse = "\n")), sep = "\t"))
nums <- as.call(list(as.name("f"), 1 / 3, pi * 1e6, 1e-20 / 3, 123456789.123, 1e5, 123456, 1e-4,
                     1e15, 7e-15, 2.5, 1 / 7 * 1e-300, 0.1 + 0.2, 1e300 * 1.5, 1234567.1))
text <- paste(deparse(nums), collapse = "\n")
dlines <- c(dlines, paste(esc(text), esc(text), sep = "\t"))
writeLines(dlines, file.path(out, "rdeparse_cases.tsv"), useBytes = TRUE)

# ---- object truths -------------------------------------------------------------------------
val <- function(x) {
  switch(typeof(x),
    double = ifelse(is.na(x) & !is.nan(x), "NA", ifelse(is.nan(x), "NaN",
      ifelse(is.infinite(x), ifelse(x > 0, "Inf", "-Inf"), sprintf("%a", x)))),
    integer = , logical = ifelse(is.na(x), "NA", as.character(as.integer(x))),
    character = ifelse(is.na(x), "NA", vapply(x, esc, "")),
    complex = ifelse(is.na(x), "NA", paste(sprintf("%a", Re(x)), sprintf("%a", Im(x)), sep = ",")),
    raw = sprintf("%02x", as.integer(x)))
}
truth <- character(0)
emit <- function(...) truth <<- c(truth, paste(..., sep = "\t"))
walk <- function(x, path) {
  if (is_missing_arg(x)) return(emit(path, "sexpr", "<missing>"))
  t <- typeof(x)
  if (t == "environment" && isNamespace(x)) t <- "namespace"
  if (t %in% c("symbol", "language")) {
    # the JSON holds deparse() text; R's own parse of that text is the reference
    text <- paste(deparse(unclass(x)), collapse = "\n")
    emit(path, "sexpr", if (t == "symbol") sx(x) else sx(str2lang(text)))
  } else if (t %in% c("double", "integer", "logical", "character", "complex", "raw")) {
    do.call(emit, as.list(c(path, "vector", t, length(x), val(unclass(x)))))
  } else if (t == "closure") {
    emit(path, "node", t, 2)
    emit(paste0(path, "[0]"), "sexpr", if (is.null(formals(x))) "NULL" else sx(as.pairlist(formals(x))))
    emit(paste0(path, "[1]"), "sexpr", sx(str2lang(paste(deparse(body(x)), collapse = "\n"))))
    return(invisible())
  } else if (t == "expression") {
    emit(path, "node", t, 1)  # jsonlite keeps the first expression only
    emit(paste0(path, "[0]"), "sexpr", sx(str2lang(paste(deparse(x[[1]]), collapse = "\n"))))
  } else if (t %in% c("list", "pairlist")) {
    emit(path, "node", t, length(x))
    if (t == "pairlist") do.call(emit, as.list(c(path, "tags", names(x))))
    for (i in seq_along(x)) walk(x[[i]], paste0(path, "[", i - 1, "]"))
  } else {
    emit(path, "node", t, if (t %in% c("NULL", "environment", "namespace", "externalptr")) 0 else 1)
  }
  a <- attributes(x)
  if (t == "pairlist") a$names <- NULL
  if (length(a)) {
    do.call(emit, as.list(c(path, "attrs", names(a))))
    for (n in names(a)) walk(a[[n]], paste0(path, "@", n))
  }
}

exact_json <- function(x) {
  fix <- function(node) {
    if (!is.list(node) || is.null(node$type)) return(node)
    ty <- as.character(node$type)
    if (ty == "double" && length(node$value)) {
      v <- node$value
      s <- ifelse(is.na(v) & !is.nan(v), "\"NA\"", ifelse(is.nan(v), "\"NaN\"",
        ifelse(is.infinite(v), ifelse(v > 0, "\"Inf\"", "\"-Inf\""), sprintf("%.17g", v))))
      node$value <- structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
    }
    if (length(node$attributes)) node$attributes[] <- lapply(node$attributes, fix)
    if (ty %in% c("list", "pairlist", "closure") && length(node$value)) node$value <- lapply(node$value, fix)
    node
  }
  jsonlite:::asJSON(fix(jsonlite:::pack(x)), digits = NA, indent = NA_integer_, json_verbatim = TRUE)
}

save_fixture <- function(name, x, json) {
  writeLines(json, file.path(out, paste0(name, ".json")), useBytes = TRUE)
  truth <<- character(0)
  walk(x, "")
  writeLines(truth, file.path(out, paste0(name, ".truth")), useBytes = TRUE)
}

vectors <- list(
  d = c(a = 1.5, b = NA, c = NaN, d = Inf, e = -Inf, f = -0.25, g = 1 / 3, h = pi * 1e10,
        i = 5e-324, j = .Machine$double.xmax, k = 2.5999999999999996, l = 1e-300 / 7),
  i = c(1L, NA, -2147483647L, 2147483647L), l = c(TRUE, NA, FALSE),
  s = c("a", NA, "tab\there", "quote\" back\\slash", "\u00fc\u00f1\u00ee", ""),
  r = as.raw(c(0, 1, 255, 128)), n = NULL, e = character(0), z = double(0),
  nested = list(list(1L), list()))
save_fixture("vectors", vectors, serializeJSON(vectors, digits = NA))
save_fixture("vectors_exact", vectors, exact_json(vectors))

cplx <- list(z = c(1 + 2i, NA, complex(real = -1.5, imaginary = -0.25), complex(real = 1e-5, imaginary = 3)))
save_fixture("complex", cplx, serializeJSON(cplx, digits = 15))

frames <- list(
  f = factor(c("lo", "hi", "lo"), levels = c("lo", "hi")),
  o = factor(c("a", "c"), levels = c("a", "b", "c"), ordered = TRUE),
  df = data.frame(x = c(1.5, 2.5, NA), g = factor(c("u", "v", "u")), row.names = c("r1", "r2", "r3")),
  df2 = data.frame(x = 1:3),
  m = matrix(c(1.5, 2, 3, 4, 5, 6), 2, dimnames = list(c("a", "b"), NULL)),
  arr = array(1:24, c(2, 3, 4)))
save_fixture("frames", frames, serializeJSON(frames, digits = NA))

lang <- list(
  f = y ~ x + offset(log(n)),
  call = quote(glm(formula = y ~ x, family = binomial(link = "logit"), data = d, offset = log(n))),
  sym = as.name("a b"), sym2 = quote(x), missing = quote(expr = ),
  terms = terms(y ~ a * b + I(x^2) + factor(cyl)),
  init = poisson()$initialize,
  fn = function(x, y = 2) { z <- x + y; z^2 },
  env = new.env(), ns = asNamespace("stats"), ptr = new("externalptr"),
  bi = sum, sp = `if`, pl = pairlist(a = 1, b = "x"),
  pv = attr(terms(model.frame(lm(mpg ~ poly(hp, 2) + factor(cyl) + wt:qsec, mtcars))), "predvars"))
save_fixture("language", lang, serializeJSON(lang, digits = NA))

if (requireNamespace("Matrix", quietly = TRUE)) {
  sp <- list(beta = Matrix::sparseMatrix(i = c(1, 3, 2), j = c(1, 2, 2), x = c(0.5, 1 / 3, -2),
                                         dims = c(3, 2), dimnames = list(c("a", "b", "c"), c("s0", "s1"))))
  save_fixture("s4", sp, serializeJSON(sp, digits = NA))
}

fit_lm <- lm(mpg ~ poly(hp, 2) + factor(cyl) + wt:qsec, data = mtcars)
save_fixture("lm", fit_lm, serializeJSON(fit_lm, digits = NA))
save_fixture("lm_exact", fit_lm, exact_json(fit_lm))
save_fixture("lm_digits8", fit_lm, serializeJSON(fit_lm))
fit_glm <- glm(cbind(ncases, ncontrols) ~ agegp + tobgp, family = binomial, data = esoph)
save_fixture("glm_exact", fit_glm, exact_json(fit_glm))

nice <- list(a = c(0.5, 2.25, 0.001, 100, -3, 1e10), b = 1:3, s = "x")
save_fixture("nice", nice, serializeJSON(nice, digits = NA))
