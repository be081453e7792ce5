# R as the consumer of written R files.
#   Rscript predict.R MANIFEST
# MANIFEST: tab-separated lines "MODEL<TAB>KIND<TAB>INPUT.csv<TAB>OUTPUT.csv[<TAB>ORIGINAL.rds]".
# KIND rds: readRDS(MODEL); rjson: jsonlite::unserializeJSON(MODEL) -- nothing else is done to
# the object.  The rows of INPUT.csv are read as a user would (numbers as doubles, labels as
# character or, for classes that need factors, factors with the model's levels) and R's own
# predict() writes OUTPUT.csv ("%.17g"): "prediction" for regressions, "probability(LEVEL)"
# columns for classifiers.  With ORIGINAL, the original object is scored the same way (written
# to OUTPUT.csv.orig.csv) and the line printed says whether both predictions are identical().  Prints "ok MODEL ...",
# "identical MODEL", "DIFFERENT MODEL: ..." or "ERROR MODEL: message" per line.
suppressPackageStartupMessages({
  library(jsonlite)
  for (p in c("rpart", "randomForest", "gbm", "nnet", "e1071", "glmnet", "ranger", "MASS", "earth")) suppressWarnings(requireNamespace(p, quietly = TRUE))
})

model_levels <- function(m) {
  if (inherits(m, "ksvm")) return(list())  # kernlab's ksvm: numeric columns (factors read back by model.matrix)
  if (!is.null(m$xlevels)) return(m$xlevels)
  if (!is.null(m$forest$xlevels)) return(m$forest$xlevels)
  if (!is.null(attr(m, "xlevels"))) return(attr(m, "xlevels"))
  if (!is.null(m$var.levels) && !is.null(m$var.names)) return(setNames(m$var.levels, m$var.names))
  list()
}

read_rows <- function(file, m) {
  d <- read.csv(file, colClasses = "character", na.strings = "", check.names = FALSE, blank.lines.skip = FALSE)
  lev <- model_levels(m)
  dc <- if (inherits(m, "lm")) attr(m$terms, "dataClasses") else NULL
  # Ordered factors of other formula models (polr, lda): as the model was fitted.
  dc_all <- if (is.list(m) && !is.null(m$terms)) attr(m$terms, "dataClasses") else NULL
  for (cn in names(d)) {
    x <- d[[cn]]
    l <- lev[[cn]]
    if (is.null(dc) && !is.null(dc_all) && !is.na(dc_all[cn]) && dc_all[cn] == "ordered") {
      d[[cn]] <- factor(x, levels = l, ordered = TRUE)
    } else if (!is.null(dc) && !is.na(dc[cn]) && dc[cn] %in% c("factor", "character", "ordered")) {
      d[[cn]] <- if (dc[cn] == "ordered") factor(x, levels = l, ordered = TRUE) else x
    } else if (!is.null(dc) && !is.na(dc[cn]) && dc[cn] == "logical") {
      d[[cn]] <- as.logical(x)
    } else if (is.character(l) && length(l) > 0 && !inherits(m, "lm")) {
      d[[cn]] <- factor(x, levels = l)
    } else if (all(is.na(x) | !is.na(suppressWarnings(as.double(x))))) {
      d[[cn]] <- as.double(x)
    } else if (inherits(m, "lm")) {
      d[[cn]] <- x
    } else {
      d[[cn]] <- factor(x)
    }
  }
  d
}

score <- function(m, nd) {
  if (inherits(m, "glm")) {
    return(predict(m, newdata = nd, type = "response", na.action = na.pass))
  }
  if (inherits(m, "lm")) return(predict(m, newdata = nd, na.action = na.pass))
  if (inherits(m, "rpart")) {
    p <- predict(m, newdata = nd, na.action = na.pass)
    # A classification tree whose fitted class (frame$yval, what type = "class" answers) is not
    # its most probable one somewhere (a loss matrix, node labels): the class too.
    y2 <- m$frame$yval2
    if (is.matrix(p) && identical(m$method, "class") && !is.null(y2)) {
      K <- (ncol(y2) - 2L) / 2L
      if (any(m$frame$yval != max.col(y2[, 1L + K + seq_len(K), drop = FALSE], ties.method = "first")))
        attr(p, "class_pred") <- as.character(predict(m, newdata = nd, type = "class", na.action = na.pass))
    }
    return(p)
  }
  if (inherits(m, "randomForest")) return(predict(m, newdata = nd, type = if (m$type == "classification") "prob" else "response"))
  if (inherits(m, "gbm") && (isTRUE(m$train.fraction < 1) || !is.null(m$cv.error)))  # predict()'s own n.trees
    return(suppressMessages(predict(m, newdata = nd, type = "response")))
  if (inherits(m, "gbm")) return(predict(m, newdata = nd, n.trees = m$n.trees, type = "response"))
  if (inherits(m, "multinom")) return(predict(m, newdata = nd, type = "probs"))
  if (inherits(m, "nnet")) return(predict(m, newdata = nd, type = "raw"))
  if (inherits(m, "ranger")) return(predict(m, data = nd, num.threads = 1)$predictions)
  if (inherits(m, "svm")) return(predict(m, newdata = nd, probability = TRUE))
  if (inherits(m, "ksvm")) {
    # kernlab is loaded only here: its S4 generics upset party's BinaryTree (ModelEnv) in the
    # same session.
    suppressWarnings(requireNamespace("kernlab", quietly = TRUE))
    # kernlab's predict(): the rows without a missing value (a matrix with one stops), the
    # vote's class, and with a probability model predict(type = "probabilities") too.
    nd <- nd[stats::complete.cases(nd), , drop = FALSE]
    x <- if (inherits(m@terms, "terms")) nd else as.matrix(nd)
    cls <- kernlab::predict(m, x)
    if (m@type %in% c("C-svc", "nu-svc") && !is.null(m@prob.model[[1]])) {
      p <- kernlab::predict(m, x, type = "probabilities")
      attr(p, "class_pred") <- as.character(cls)
      return(p)
    }
    return(cls)
  }
  if (inherits(m, "kmeans")) return(m$centers)
  if (inherits(m, "polr")) return(predict(m, newdata = nd, type = "probs"))
  if (inherits(m, "lda")) return(predict(m, newdata = nd)$posterior)
  if (inherits(m, "earth")) return(predict(m, newdata = nd, type = "response"))
  if (inherits(m, "WrappedModel")) {
    # mlr's predict() gives a Prediction object: its probabilities, or its response.
    suppressPackageStartupMessages(requireNamespace("mlr"))
    p <- predict(m, newdata = nd)
    if (m$task.desc$type == "classif") return(mlr::getPredictionProbabilities(p, cl = m$task.desc$class.levels))
    return(mlr::getPredictionResponse(p))
  }
  if (inherits(m, "glmnet") || inherits(m, "cv.glmnet")) {
    cf <- coef(m)
    return(unlist(lapply(if (is.list(cf)) cf else list(cf), function(x) as.vector(as.matrix(x)))))
  }
  predict(m, newdata = nd)
}

as_table <- function(m, p) {
  if (is.matrix(p) || is.data.frame(p)) {
    cls <- attr(p, "class_pred")
    p <- as.matrix(p)
    out <- as.data.frame(matrix(as.double(p), nrow = nrow(p)))
    names(out) <- sprintf("probability(%s)", colnames(p))
    if (!is.null(cls)) out <- cbind(data.frame(class = ifelse(is.na(cls), "NA", cls), stringsAsFactors = FALSE), out)
    return(out)
  }
  if (inherits(m, "glm") && m$family$family %in% c("binomial", "quasibinomial")) {
    y <- if (is.data.frame(m$model) && ncol(m$model)) m$model[[1L]] else NULL
    lv <- if (is.factor(y)) levels(y) else if (is.logical(y)) c("FALSE", "TRUE") else c("0", "1")
    out <- data.frame(p = as.double(p))
    names(out) <- if (length(lv) == 2) sprintf("probability(%s)", lv[2]) else "probability"
    return(out)
  }
  if (is.factor(p)) return(data.frame(class = as.character(p)))
  data.frame(prediction = as.double(p))
}

write17 <- function(tab, file) {
  cols <- lapply(tab, function(x) if (is.numeric(x)) ifelse(is.na(x), "NA", sprintf("%.17g", x)) else paste0("\"", x, "\""))
  lines <- c(paste0("\"", names(tab), "\"", collapse = ","), if (nrow(tab)) do.call(paste, c(unname(cols), sep = ",")))
  writeLines(lines, file)
}

load_model <- function(file, kind) {
  if (kind == "rds") readRDS(file) else unserializeJSON(paste(readLines(file, warn = FALSE), collapse = "\n"))
}

cases <- read.delim(commandArgs(trailingOnly = TRUE)[1], header = FALSE, colClasses = "character", quote = "")
for (i in seq_len(nrow(cases))) {
  model <- cases[i, 1]
  r <- tryCatch({
    if (ncol(cases) >= 5 && !is.na(cases[i, 5]) && nzchar(cases[i, 5])) {
      o <- readRDS(cases[i, 5])
      po <- tryCatch(suppressWarnings(score(o, read_rows(cases[i, 3], o))), error = function(e) e)
      if (inherits(po, "error")) stop("SKIPPED: R cannot score the original either: ", conditionMessage(po))
    }
    m <- load_model(model, cases[i, 2])
    nd <- read_rows(cases[i, 3], m)
    p <- suppressWarnings(score(m, nd))
    write17(as_table(m, p), cases[i, 4])
    if (ncol(cases) >= 5 && !is.na(cases[i, 5]) && nzchar(cases[i, 5])) {
      write17(as_table(o, po), paste0(cases[i, 4], ".orig.csv"))
      if (identical(p, po)) "identical" else paste0("DIFFERENT: ", paste(head(all.equal(po, p), 2), collapse = "; "))
    } else "ok"
  }, error = function(e) if (startsWith(conditionMessage(e), "SKIPPED")) conditionMessage(e) else paste0("ERROR: ", conditionMessage(e)))
  if (grepl("^(DIFFERENT|ERROR|SKIPPED)", r)) cat(sub(":", paste0(" ", model, ":"), r), "\n", sep = "")
  else cat(r, " ", model, "\n", sep = "")
}
