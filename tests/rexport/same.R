# Compares R objects the way the R writers are judged.
#   Rscript same.R MANIFEST
# MANIFEST: tab-separated lines "original.rds<TAB>written<TAB>kind" with kind "rds" (the written
# file is read with readRDS) or "rjson" (with jsonlite::unserializeJSON).  Prints one line per
# case: "identical PATH", "same PATH" (identical once environments are compared by their
# contents), "deparsed PATH" (rjson only: also R code compared as deparse(control = "digits17")
# text), "UNREADABLE PATH" (R cannot read the original either, e.g. a persistent-name hook), or
# "DIFFERENT PATH: what" -- never stops at the first difference.
#
# identical() takes num.eq = FALSE, so doubles must be equal bit for bit (NA and NaN payloads,
# signed zeros).  Environments other than the global, base and empty environments and
# namespaces are new objects at every read, so identical() can never hold for them: normalise()
# replaces each by a list of its bindings (sorted), its enclosure and its attributes, with a
# numbered mark for an environment seen before (cycles).
#
# For rjson, what jsonlite itself cannot carry is left out of the comparison: environments
# (every one becomes a mark), closures' environments and attributes (jsonlite keeps formals and
# body), and R code is compared as its deparse(control = "digits17") text (jsonlite stores code
# as text, so a vector embedded in a call comes back as a call to c()); the writer's
# package-qualified routine symbols (stats:::C_logit_linkinv) count as the plain symbol.
suppressPackageStartupMessages(library(jsonlite))

code_control <- c("keepInteger", "keepNA", "digits17", "niceNames", "showAttributes")

# Code as one string without white space: deparse breaks lines and spaces `function (` of a
# function object embedded in a call differently from the `function(` call that its text parses
# back into.
code_text <- function(x) gsub("[[:space:]]+", "", paste(deparse(x, width.cutoff = 500L, control = code_control), collapse = ""))

special_env <- function(e) {
  identical(e, globalenv()) || identical(e, baseenv()) || identical(e, emptyenv()) ||
    isNamespace(e) || !is.null(attr(e, "name"))
}

normaliser <- function(code_as_text) {
  seen <- list()
  envs <- 0L
  # A binding's value, or for a promise its code (substitute() gives it without forcing it).
  binding <- function(name, env) {
    if (bindingIsActive(name, env)) return("<active binding>")
    # `...` bound to no argument (a function frame called without dots, as partykit's ctree()
    # keeps in its closures) cannot be fetched: get() fails with "argument is missing".
    if (name == "...") return(tryCatch(norm(get("...", envir = env)), error = function(e) "<missing ...>"))
    norm(do.call(substitute, list(as.name(name), env)))
  }
  norm <- function(x) {
    if (is.environment(x)) {
      if (code_as_text) return("<environment>")  # jsonlite keeps no environment
      if (special_env(x)) return(x)
      for (i in seq_along(seen)) if (identical(seen[[i]], x)) return(paste0("<environment ", i, ">"))
      seen[[length(seen) + 1L]] <<- x
      envs <<- envs + 1L
      return(list(bindings = lapply(sort(ls(x, all.names = TRUE)), binding, env = x),
                  enclosure = norm(parent.env(x)), attributes = lapply(attributes(x), norm)))
    }
    a <- attributes(x)
    # identical() takes attributes as a set (attrib.as.set = TRUE): sort them by name.
    na <- if (is.null(a)) NULL else lapply(a[order(names(a))], norm)
    if (typeof(x) == "closure" && code_as_text) {
      # jsonlite keeps formals and body only; routine symbols are written package-qualified.
      return(list(closure = lapply(as.list(formals(x)), norm),
                  body = gsub("stats:::C_", "C_", code_text(body(x)), fixed = TRUE)))
    }
    if (typeof(x) == "closure") {
      return(list(closure = lapply(as.list(formals(x)), norm), body = norm(body(x)),
                  environment = norm(environment(x)), attributes = na))
    }
    if (is.language(x) && code_as_text) {
      return(list(code = code_text(x), attributes = na))
    }
    if (is.pairlist(x) && !is.null(x)) {
      return(list(pairlist = lapply(as.list(x), norm), names = names(x), attributes = na))
    }
    if (is.list(x)) {
      y <- lapply(unclass(x), norm)
      attributes(y) <- NULL
      return(list(list = y, attributes = na))
    }
    if (is.language(x)) {
      if (is.call(x)) {
        y <- lapply(as.list(x), function(e) if (missing(e)) quote(expr = ) else norm(e))
        return(list(call = y, attributes = na))
      }
      return(x)
    }
    if (!is.null(a)) {
      attributes(x) <- NULL
      return(list(value = x, attributes = na))
    }
    x
  }
  list(norm = norm, envs = function() envs)
}

compare <- function(orig, written, kind) {
  ok <- TRUE
  a <- tryCatch(readRDS(orig), error = function(e) ok <<- FALSE)
  if (!ok) return("UNREADABLE original")
  b <- if (kind == "rds") readRDS(written) else unserializeJSON(paste(readLines(written, warn = FALSE), collapse = "\n"))
  if (kind == "rds" && identical(a, b, num.eq = FALSE)) return("identical")
  code_text <- kind == "rjson"
  na <- normaliser(code_text)$norm(a)
  nb <- normaliser(code_text)$norm(b)
  if (identical(na, nb, num.eq = FALSE)) return(if (code_text) "deparsed" else "same")
  d <- all.equal(na, nb)
  paste0("DIFFERENT: ", paste(head(if (isTRUE(d)) "differ in bits only (NA/NaN payload, signed zero)" else d, 3), collapse = "; "))
}

args <- commandArgs(trailingOnly = TRUE)
cases <- read.delim(args[1], header = FALSE, colClasses = "character", quote = "")
for (i in seq_len(nrow(cases))) {
  r <- tryCatch(compare(cases[i, 1], cases[i, 2], cases[i, 3]),
                error = function(e) paste0("DIFFERENT: error: ", conditionMessage(e)))
  if (startsWith(r, "UNREADABLE")) cat("UNREADABLE ", cases[i, 2], "\n", sep = "")
  else if (startsWith(r, "DIFFERENT")) cat(sub("^DIFFERENT", paste0("DIFFERENT ", cases[i, 2]), r), "\n", sep = "")
  else cat(r, " ", cases[i, 2], "\n", sep = "")
}
