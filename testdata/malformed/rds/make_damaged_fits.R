# Fitted models of testdata/r with one number damaged where an importer turns it into an index
# or a count (fuzz findings and their neighbours: a double outside an integer's range must be an
# error naming its R path, never a cast).  Run from the repository root:
#   Rscript testdata/malformed/rds/make_damaged_fits.R
damage <- function(from, to, edit) {
  m <- readRDS(file.path("testdata/r", from, "model.rds"))
  saveRDS(edit(m), file.path("testdata/malformed/rds", to))
}
# gbm: SplitVar of tree 2 far below -1 (the fuzz finding), a LeftNode of 1e300.
damage("gbm_gaussian", "gbm_split_var_out_of_range.rds", function(m) { m$trees[[2]][[1]][1] <- -131073; m })
damage("gbm_gaussian", "gbm_child_huge.rds", function(m) { m$trees[[1]][[3]][1] <- 1e300; m })
# randomForest: a negative daughter row; a factor split's level set coded as -1e300.
damage("rf_class_factor", "rf_daughter_negative.rds", function(m) {
  i <- which(m$forest$bestvar[, 1] > 0)[1]
  m$forest$treemap[i, 1, 1] <- -7
  m
})
damage("rf_class_factor", "rf_level_set_negative.rds", function(m) {
  f <- which(m$forest$ncat > 1)[1]
  m$forest$xbestsplit[which(m$forest$bestvar == f)[1]] <- -1e300
  m
})
# rpart: a competitor count of 1e300.
damage("rpart_class_factor", "rpart_ncompete_huge.rds", function(m) { m$frame$ncompete[1] <- 1e300; m })
