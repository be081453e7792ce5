# Helpers shared by generate.R and generate_more.R: the exact JSON serializer, the CSV
# writers and readers, input construction and per-case seeding.  Sourced, never run alone.

# ------------------------------------------------------------------------------------------
# Exact serializer: mirrors jsonlite:::pack() (jsonlite 1.8.x serializeJSON schema
# {"type","attributes","value"}) but lets the caller choose how doubles are printed and how
# language objects are deparsed.  With digits = 15 and the default deparse control it
# reproduces serializeJSON(x, digits = NA) byte for byte (checked below on every model).
# ------------------------------------------------------------------------------------------
deparse_default <- c("keepNA", "keepInteger", "niceNames", "showAttributes")
deparse_exact <- c(deparse_default, "digits17")

json_doubles <- function(x, digits) {
  x <- as.vector(unclass(x), mode = "double")
  out <- sprintf(paste0("%.", digits, "g"), x)
  out[is.na(x)] <- "\"NA\""
  out[is.nan(x)] <- "\"NaN\""
  out[!is.na(x) & x == Inf] <- "\"Inf\""
  out[!is.na(x) & x == -Inf] <- "\"-Inf\""
  structure(paste0("[", paste(out, collapse = ","), "]"), class = "json")
}

pack_exact <- function(obj, digits, control) {
  as_scalar <- jsonlite:::as.scalar
  mode <- typeof(obj)
  if (mode == "NULL" || identical(obj, as.name("\001NULL\001")))
    return(list(type = as_scalar("NULL")))
  if (mode == "closure") obj <- as.list(obj)
  if (mode == "environment" && isNamespace(obj)) mode <- "namespace"
  attrib <- attributes(obj)
  if (isS4(obj)) {
    mode <- "S4"
    if (".Data" %in% methods::slotNames(obj)) attrib[[".Data"]] <- obj@.Data
    attrib <- attrib[methods::slotNames(obj)]
    names(attrib) <- methods::slotNames(obj)
  }
  rec <- function(o) pack_exact(o, digits, control)
  value <- switch(mode,
    environment = NULL,
    externalptr = NULL,
    namespace = lapply(as.list(getNamespaceInfo(obj, "spec")), as_scalar),
    S4 = list(class = as_scalar(class(obj)), package = as_scalar(attr(class(obj), "package"))),
    raw = as_scalar(jsonlite::base64_enc(unclass(obj))),
    logical = as.vector(unclass(obj), mode = "logical"),
    integer = as.vector(unclass(obj), mode = "integer"),
    double = json_doubles(obj, digits),
    character = as.vector(unclass(obj), mode = "character"),
    complex = as.vector(unclass(obj), mode = "complex"),
    list = unname(lapply(unclass(obj), rec)),
    pairlist = unname(lapply(as.vector(obj, mode = "list"), rec)),
    closure = unname(lapply(obj, rec)),
    builtin = as_scalar(jsonlite::base64_enc(serialize(unclass(obj), NULL))),
    special = as_scalar(jsonlite::base64_enc(serialize(unclass(obj), NULL))),
    language = deparse(unclass(obj), control = control),
    name = deparse(unclass(obj), control = control),
    symbol = deparse(unclass(obj), control = control),
    expression = deparse(obj[[1]], control = control),
    stop("no encoding for storage mode ", mode))
  list(type = as_scalar(mode), attributes = jsonlite:::givename(lapply(attrib, rec)),
       value = value)
}

serialize_json <- function(x, digits = 17, control = deparse_exact) {
  ans <- jsonlite:::asJSON(pack_exact(x, digits, control), digits = NA,
                           indent = NA_integer_, json_verbatim = TRUE)
  as.character(ans)
}

# Every double vector reachable through lists and attributes (language objects, closures
# and environments excluded), for the round-trip check.
all_doubles <- function(x) {
  out <- list()
  t <- typeof(x)
  if (t %in% c("environment", "closure", "builtin", "special", "externalptr")) return(out)
  if (t == "double") out <- list(as.vector(unclass(x)))
  if (t == "list") for (e in unclass(x)) out <- c(out, all_doubles(e))
  if (isS4(x)) for (s in methods::slotNames(x)) out <- c(out, all_doubles(methods::slot(x, s)))
  else for (a in attributes(x)) out <- c(out, all_doubles(a))
  out
}

# Re-point every environment of an unserialized object at globalenv (jsonlite recreates them
# empty with an empty parent, so predict() could not find any function).
fix_envs <- function(x) {
  if (inherits(x, "formula") || inherits(x, "terms")) environment(x) <- globalenv()
  if (is.list(x) && !is.data.frame(x)) {
    for (i in seq_along(x)) if (!is.null(x[[i]])) x[[i]] <- fix_envs(x[[i]])
  }
  if (!is.null(attr(x, "terms"))) attr(x, "terms") <- fix_envs(attr(x, "terms"))
  x
}

# ------------------------------------------------------------------------------------------
# CSV writing (RFC 4180, write.csv style: header and text quoted, numbers "%.17g").
# ------------------------------------------------------------------------------------------
fmt17 <- function(x) ifelse(is.na(x), NA_character_, sprintf("%.17g", x))

quote_csv <- function(s) paste0("\"", gsub("\"", "\"\"", s, fixed = TRUE), "\"")

write_csv17 <- function(df, file, na = "") {
  cols <- lapply(df, function(col) {
    if (is.factor(col) || is.character(col)) {
      v <- as.character(col)
      ifelse(is.na(v), na, quote_csv(v))
    } else if (is.logical(col)) {
      ifelse(is.na(col), na, ifelse(col, "TRUE", "FALSE"))
    } else {
      v <- fmt17(as.double(col))
      ifelse(is.na(v), na, v)
    }
  })
  lines <- c(paste(quote_csv(names(df)), collapse = ","),
             if (nrow(df) > 0) do.call(paste, c(unname(cols), sep = ",")))
  con <- file(file, "wb")
  on.exit(close(con))
  writeLines(enc2utf8(lines), con, sep = "\n", useBytes = TRUE)
}

write_text <- function(text, file) {
  con <- file(file, "wb")
  on.exit(close(con))
  writeLines(enc2utf8(text), con, sep = "\n", useBytes = TRUE)
}

# ------------------------------------------------------------------------------------------
# Scoring rows: training rows (all, or a sample of 50), 10 perturbed copies (continuous
# columns times U(0.97, 1.03)), then one row per predictor column with that column missing.
# ------------------------------------------------------------------------------------------
is_continuous <- function(col) is.numeric(col) && length(unique(col)) > 8

make_input <- function(data, cols, n_max = 50, n_perturb = 10, na_cols = cols) {
  d <- data[, cols, drop = FALSE]
  rownames(d) <- NULL
  base <- if (nrow(d) > n_max) d[sort(sample.int(nrow(d), n_max)), , drop = FALSE] else d
  pert <- d[sample.int(nrow(d), n_perturb, replace = nrow(d) < n_perturb), , drop = FALSE]
  for (cn in cols) if (is_continuous(d[[cn]]))
    pert[[cn]] <- as.double(pert[[cn]]) * runif(nrow(pert), 0.97, 1.03)
  nas <- d[sample.int(nrow(d), length(na_cols), replace = nrow(d) < length(na_cols)), , drop = FALSE]
  for (i in seq_along(na_cols)) nas[[na_cols[i]]][i] <- NA
  out <- rbind(base, pert, nas)
  rownames(out) <- NULL
  out
}

# Read input.csv back the way a user would before calling predict(): this is what expected.csv
# is computed from, so the predictions belong to exactly the numbers in the file.
read_input <- function(file, template) {
  d <- read.csv(file, colClasses = "character", na.strings = "", check.names = FALSE,
                blank.lines.skip = FALSE)
  for (cn in names(d)) {
    t <- template[[cn]]
    if (is.factor(t)) d[[cn]] <- factor(d[[cn]], levels = levels(t), ordered = is.ordered(t))
    else if (is.logical(t)) d[[cn]] <- as.logical(d[[cn]])
    else if (is.character(t)) d[[cn]] <- d[[cn]]
    else d[[cn]] <- as.double(d[[cn]])
  }
  d
}

write_expected <- function(tab, file) {
  for (cn in names(tab)) if (is.numeric(tab[[cn]])) tab[[cn]] <- unname(tab[[cn]])
  write_csv17(tab, file, na = "NA")
}

write_meta <- function(case_dir, meta)
  write_text(as.character(jsonlite::toJSON(meta, auto_unbox = TRUE, pretty = TRUE, na = "null")),
             file.path(case_dir, "meta.json"))

seed_for <- function(case) set.seed(sum(utf8ToInt(case) * seq_along(utf8ToInt(case))) %% 100000L)

na_features <- function(input) {
  num <- vapply(input, is.numeric, TRUE)
  has_na <- vapply(input, anyNA, TRUE)
  c(if (any(has_na & num)) "NA-numeric", if (any(has_na & !num)) "NA-categorical")
}

prob_table <- function(cls, prob) {
  out <- data.frame(class = as.character(cls), stringsAsFactors = FALSE)
  for (j in seq_len(ncol(prob))) out[[sprintf("probability(%s)", colnames(prob)[j])]] <- unname(prob[, j])
  out
}
