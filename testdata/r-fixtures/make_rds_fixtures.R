# Writes the .rds fixtures of tests/unit/test_rds.cpp and, next to them, what R itself reads
# back from each file: NAME.txt is a canonical dump of readRDS() (doubles as C99 "%a" hex),
# NAME.ascii.txt the dump of the ascii=TRUE variant when its decimal doubles differ.
# Run from the repository root (R 4.2 reads long pairlists recursively, hence the limits):
#   (ulimit -s unlimited; Rscript --max-ppsize=500000 testdata/r-fixtures/make_rds_fixtures.R)
out <- "testdata/r-fixtures/rds"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
unlink(list.files(out, full.names = TRUE))
set.seed(20240611)

hex_string <- function(s) {
  if (is.na(s)) return("NA")
  b <- if (Encoding(s) == "bytes") charToRaw(s) else charToRaw(enc2utf8(s))
  paste0("s:", paste(as.character(b), collapse = ""))
}
fmt_double <- function(v) ifelse(is.na(v) & !is.nan(v), "NA", sprintf("%a", v))
is_missing_arg <- function(x) identical(x, quote(expr = ))

dump_obj <- function(x, ind = 0) {
  pad <- strrep("  ", ind)
  line <- function(...) paste0(pad, ...)
  t <- typeof(x)
  body <- switch(t,
    "NULL" = line("NULL"),
    symbol = line("symbol ", as.character(x)),
    logical = , integer = line(t, " ", length(x), ":",
                               paste0(" ", ifelse(is.na(x), "NA", as.integer(x)), collapse = "")),
    double = line("double ", length(x), ":", paste0(" ", fmt_double(x), collapse = "")),
    complex = line("complex ", length(x), ":",
                   paste0(" ", fmt_double(Re(x)), ",", fmt_double(Im(x)), collapse = "")),
    character = line("character ", length(x), ":",
                     paste0(" ", vapply(x, hex_string, ""), collapse = "")),
    raw = line("raw ", length(x), ": ", paste(as.character(x), collapse = "")),
    list = , expression = c(line(t, " ", length(x)),
                            unlist(lapply(seq_along(x), function(i) dump_obj(x[[i]], ind + 1)))),
    pairlist = , language = {
      l <- as.list(x)
      tags <- names(l)
      if (is.null(tags)) tags <- rep("", length(l))
      c(line(t, " ", length(l)),
        unlist(lapply(seq_along(l), function(i) {
          c(line("- ", tags[i]),
            if (is_missing_arg(l[[i]])) line("  missing") else dump_obj(l[[i]], ind + 1))
        })))
    },
    closure = c(line("closure"), line("formals"), dump_obj(formals(x), ind + 1),
                line("body"), dump_obj(body(x), ind + 1)),
    environment = {
      if (identical(x, globalenv())) line("globalenv")
      else if (identical(x, emptyenv())) line("emptyenv")
      else if (identical(x, baseenv())) line("baseenv")
      else if (identical(x, .BaseNamespaceEnv)) line("basenamespace")
      else if (isNamespace(x)) line("namespace ", getNamespaceName(x))
      else if (startsWith(environmentName(x), "package:"))
        line("package ", sub("^package:", "", environmentName(x)))
      else line("environment:", paste0(" ", sort(ls(x, all.names = TRUE), method = "radix"),
                                       collapse = ""))
    },
    builtin = , special = line(t, " ", sub('^\\.Primitive\\("(.*)"\\)$', "\\1", deparse(x))),
    externalptr = line("externalptr"),
    weakref = line("weakref"),
    S4 = line("S4"),
    stop("no dump for type ", t))
  a <- attributes(x)
  if (t %in% c("pairlist", "language")) a$names <- NULL
  if (t == "environment" && (isNamespace(x) || startsWith(environmentName(x), "package:"))) a <- NULL
  if (!is.null(a$row.names)) a$row.names <- .row_names_info(x, 0L)
  for (n in names(a)) body <- c(body, line("@", n), dump_obj(a[[n]], ind + 1))
  body
}

setClass("Pt", representation(x = "numeric", y = "character"))
env_cycle <- new.env(hash = TRUE)
assign("self", env_cycle, envir = env_cycle)
assign("x", 1:3, envir = env_cycle)
assign("f", local(function() x, envir = env_cycle), envir = env_cycle)
env_frame <- new.env(hash = FALSE)
assign("a", 1, envir = env_frame)
assign("b", "two", envir = env_frame)
env_promise <- new.env()
delayedAssign("p", x + 1, assign.env = env_promise)
dots_fun <- function(...) environment()
wrapped_named <- .Internal(wrap_meta(c(3.5, 1.25), 0L, 1L))
names(wrapped_named) <- c("u", "v")
latin1 <- c("caf\xe9", "na\xefve", "plain")
Encoding(latin1) <- "latin1"
bytes <- "\xff\xfe\x01"
Encoding(bytes) <- "bytes"

fixtures <- list(
  null = NULL,
  logical = c(TRUE, FALSE, NA),
  integer = c(1L, NA, -5L, .Machine$integer.max, -.Machine$integer.max),
  double = c(1.5, NA, NaN, Inf, -Inf, -0, pi, 1e-300, 5e-324, .Machine$double.xmax, runif(20)),
  complex = complex(real = c(1, NA, -2.5), imaginary = c(0.5, 3, NaN)),
  character = c("a", NA, "", "h\u00e9llo \u00fc \u4e2d", "tab\tnew\nline\"q\\ back", "\001ctrl"),
  latin1 = latin1,
  bytes = bytes,
  na_string = c(NA_character_, "a", NA),
  raw = as.raw(c(0, 1, 127, 128, 255, 10)),
  list = list(a = 1, b = "x", c = list(d = NULL, e = TRUE)),
  expression = expression(x + 1, y * 2, "s"),
  factor = factor(c("lo", "hi", "lo", NA), levels = c("lo", "hi")),
  matrix = matrix(as.numeric(1:6), 2, dimnames = list(c("r1", "r2"), c("a", "b", "c"))),
  data_frame = data.frame(x = c(1.5, 2.5, 3.5), f = factor(c("u", "v", "u"))),
  attributes = structure(list(1, "b"), extra = c(2.5, 3), class = "myclass", names = c("p", "q")),
  pairlist = pairlist(a = 1, b = "c", 3),
  language = quote(f(x, y = 2, ...)),
  language_missing = quote(a[, 1]),
  formula = y ~ x + log(z),
  symbol = as.name("abc"),
  closure = function(x, y = 2) x + y * 3,
  closure_compiled = compiler::cmpfun(function(a, b = 1) {
    z <- a * b
    if (z > 2) z else -z
  }),
  env_cycle = list(env = env_cycle, again = env_cycle),
  env_frame = env_frame,
  promise = env_promise,
  dots = dots_fun(1, b = 2),
  s4 = new("Pt", x = c(1, 2), y = "a"),
  primitives = list(sum, `if`, `[`),
  special_envs = list(globalenv(), emptyenv(), baseenv(), .BaseNamespaceEnv,
                      asNamespace("stats"), as.environment("package:stats")),
  externalptr = new("externalptr"),
  compact_intseq = list(1:10, 5:-3),
  compact_realseq = 2147483648:2147483652,
  deferred_string_int = as.character(1:5),
  deferred_string_real = as.character(c(1.5, 2, 1e5, 1/3, NA, 0.1 + 0.2, 1e-20, 123456789012,
                                        -Inf, NaN, 1e15, 123456, -2.5e-7, 100, 1e-4)),
  wrap = list(real = .Internal(wrap_meta(c(2.5, 1.5), 0L, 0L)),
              integer = .Internal(wrap_meta(c(3L, NA), 0L, 0L)),
              logical = .Internal(wrap_meta(c(TRUE, NA), 0L, 0L)),
              string = .Internal(wrap_meta(c("a", NA), 0L, 0L)),
              complex = .Internal(wrap_meta(c(1+2i), 0L, 0L)),
              raw = .Internal(wrap_meta(as.raw(1:3), 0L, 0L)),
              named = wrapped_named),
  wrap_sorted = sort(runif(5))
)

variants <- list(
  gz3 = function(x, f) saveRDS(x, f),
  gz2 = function(x, f) saveRDS(x, f, version = 2),
  bz2 = function(x, f) saveRDS(x, f, compress = "bzip2"),
  xz = function(x, f) saveRDS(x, f, compress = "xz"),
  none = function(x, f) saveRDS(x, f, compress = FALSE),
  bin = function(x, f) { con <- gzfile(f, "wb"); serialize(x, con, xdr = FALSE); close(con) },
  ascii = function(x, f) saveRDS(x, f, ascii = TRUE, compress = FALSE),
  asciihex = function(x, f) saveRDS(x, f, ascii = NA, compress = FALSE)
)

for (name in names(fixtures)) {
  x <- fixtures[[name]]
  if (name == "special_envs") suppressWarnings(for (v in names(variants))
    variants[[v]](x, file.path(out, sprintf("%s.%s.rds", name, v))))
  else for (v in names(variants)) variants[[v]](x, file.path(out, sprintf("%s.%s.rds", name, v)))
  ref <- dump_obj(readRDS(file.path(out, sprintf("%s.xz.rds", name))))
  writeLines(ref, file.path(out, sprintf("%s.txt", name)))
  for (v in setdiff(names(variants), "gz3")) {
    d <- dump_obj(readRDS(file.path(out, sprintf("%s.%s.rds", name, v))))
    if (v == "ascii") {
      if (!identical(d, ref)) writeLines(d, file.path(out, sprintf("%s.ascii.txt", name)))
    } else if (!identical(d, ref)) {
      stop("variant ", v, " of ", name, " reads back differently in R")
    }
  }
}

# Long chains prove iterative reading; only two compact variants, and a summary instead of a dump.
long <- list(long_pairlist = as.pairlist(as.list(1:100000)),
             long_call = as.call(c(as.name("c"), as.list(as.numeric(1:100000)))))
for (name in names(long)) {
  for (v in "xz") variants[[v]](long[[name]], file.path(out, sprintf("%s.%s.rds", name, v)))
  y <- as.list(readRDS(file.path(out, sprintf("%s.xz.rds", name))))
  writeLines(c(typeof(long[[name]]), length(y), sum(unlist(y[-1])), y[[2]], y[[length(y)]]),
             file.path(out, sprintf("%s.summary", name)))
}
# PERSISTSXP: a reference hook names the environment (R 4.2 writes the name at each use).
persist_env <- new.env()
saveRDS(list(persist_env, persist_env), file.path(out, "persist.gz3.rds"),
        refhook = function(x) "id42")
back <- readRDS(file.path(out, "persist.gz3.rds"), refhook = function(x) x)
stopifnot(identical(back[[1]], "id42"), identical(back[[2]], "id42"))

cat("wrote", length(list.files(out)), "files to", out, "\n")
