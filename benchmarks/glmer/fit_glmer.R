## Reference fits with lme4::glmer (Laplace approximation, nAGQ = 1) for the
## three nested data sets in data/.  Writes glmer-results.json next to this
## script.  Run from the repository root:
##   Rscript benchmarks/glmer/fit_glmer.R
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "benchmarks/glmer"
data_dir <- file.path(here, "data")

read_data <- function(name, factors) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}

cbpp <- read_data("cbpp", c("herd", "period"))
grouse <- read_data("grouseticks", c("BROOD", "LOCATION", "YEAR"))
contra <- read_data("contraception", c("district", "livch"))

## Nesting check: every BROOD must lie within a single LOCATION.
locs_per_brood <- tapply(grouse$LOCATION, grouse$BROOD, function(x) length(unique(x)))
brood_nested <- all(locs_per_brood == 1)
cat("BROOD nested in LOCATION:", brood_nested,
    "(max locations per brood:", max(locs_per_brood), ")\n")

conv_messages <- function(fit) {
  msgs <- c(fit@optinfo$conv$lme4$messages,
            fit@optinfo$warnings,
            if (fit@optinfo$conv$opt != 0) paste("optimizer code", fit@optinfo$conv$opt))
  as.character(unlist(msgs))
}

## Fit with glmer's default optimizer; if that reports convergence problems,
## refit with bobyqa for all phases and record that.
fit_one <- function(formula, data, family) {
  fit <- glmer(formula, data = data, family = family)
  msgs <- conv_messages(fit)
  optimizer <- "default (bobyqa, Nelder_Mead)"
  default_msgs <- character(0)
  if (length(msgs)) {
    default_msgs <- msgs
    fit <- glmer(formula, data = data, family = family,
                 control = glmerControl(optimizer = "bobyqa",
                                        optCtrl = list(maxfun = 1e5)))
    msgs <- conv_messages(fit)
    optimizer <- "bobyqa"
  }
  list(fit = fit, optimizer = optimizer, messages = msgs,
       default_messages = default_msgs)
}

summarise <- function(res, formula) {
  fit <- res$fit
  cf <- summary(fit)$coefficients
  fixef <- lapply(seq_len(nrow(cf)), function(i)
    list(estimate = unname(cf[i, "Estimate"]), se = unname(cf[i, "Std. Error"])))
  names(fixef) <- rownames(cf)

  ## Random-effect standard deviations, keyed by grouping factor and term.
  ## fit@cnms has one entry per random-effect term (a grouping factor may
  ## appear more than once, e.g. uncorrelated intercept and slope).
  vc <- VarCorr(fit)
  sd <- list()
  for (k in seq_along(vc)) {
    grp <- names(fit@cnms)[k]
    s <- attr(vc[[k]], "stddev")
    for (term in names(s)) {
      if (is.null(sd[[grp]])) sd[[grp]] <- list()
      sd[[grp]][[term]] <- unname(s[[term]])
    }
  }
  groups <- as.list(ngrps(fit))

  list(
    family = family(fit)$family,
    link = family(fit)$link,
    method = "Laplace (nAGQ = 1)",
    formula = paste(deparse(formula, width.cutoff = 500L), collapse = " "),
    optimizer = res$optimizer,
    n_obs = nobs(fit),
    groups = groups,
    fixef = fixef,
    sd = sd,
    theta = unname(getME(fit, "theta")),
    loglik = as.numeric(logLik(fit)),
    deviance = unname(deviance(fit)),
    singular = isSingular(fit),
    messages = I(res$messages),
    default_optimizer_messages = I(res$default_messages)
  )
}

specs <- list(
  cbpp = list(
    formula = cbind(incidence, size - incidence) ~ period2 + period3 + period4 + (1 | herd),
    data = cbpp, family = binomial),
  grouseticks = list(
    formula = TICKS ~ year96 + year97 + cHEIGHT + (1 | LOCATION) + (1 | LOCATION:BROOD),
    data = grouse, family = poisson),
  contraception = list(
    formula = use01 ~ age + age2 + urban01 + livch1 + livch2 + livch3p + (1 | district),
    data = contra, family = binomial),
  contraception_urban = list(
    formula = use01 ~ age + age2 + urban01 + livch1 + livch2 + livch3p +
      (1 | district) + (0 + urban01 | district),
    data = contra, family = binomial)
)

## Cross-check: refit each model with three optimizers (for the
## contraception models on rescaled age, age/10 and age2/100, estimates mapped
## back) and record how far they are from the reference fit.  This gives the
## numerical precision of the reference values.
age_scale <- c(age = 10, age2 = 100)
crosscheck <- function(ref, s, name) {
  f <- s$formula; d <- s$data; sc <- c()
  if (startsWith(name, "contraception")) {
    d$age <- d$age / age_scale[["age"]]; d$age2 <- d$age2 / age_scale[["age2"]]
    sc <- age_scale
  }
  ref_fe <- fixef(ref); ref_sd <- unlist(lapply(VarCorr(ref), attr, "stddev"))
  out <- list(rescaled_age = length(sc) > 0, loglik = list(), messages = list())
  dfe <- dsd <- dll <- 0
  for (opt in c("bobyqa", "Nelder_Mead", "nlminbwrap")) {
    ctrl <- if (opt == "nlminbwrap") list() else list(maxfun = 1e5)
    m <- tryCatch(suppressWarnings(glmer(f, data = d, family = s$family,
                    control = glmerControl(optimizer = opt, optCtrl = ctrl))),
                  error = function(e) e)
    if (inherits(m, "error")) {
      out$messages[[opt]] <- I(conditionMessage(m)); next
    }
    fe <- fixef(m)
    for (v in names(sc)) fe[[v]] <- fe[[v]] / sc[[v]]
    sdv <- unlist(lapply(VarCorr(m), attr, "stddev"))
    dfe <- max(dfe, abs(fe - ref_fe[names(fe)]))
    dsd <- max(dsd, abs(sdv - ref_sd[names(sdv)]))
    dll <- max(dll, abs(as.numeric(logLik(m)) - as.numeric(logLik(ref))))
    out$loglik[[opt]] <- as.numeric(logLik(m))
    out$messages[[opt]] <- I(conv_messages(m))
  }
  out$max_abs_diff_fixef <- dfe
  out$max_abs_diff_sd <- dsd
  out$max_abs_diff_loglik <- dll
  out
}

models <- list()
for (name in names(specs)) {
  s <- specs[[name]]
  res <- fit_one(s$formula, s$data, s$family)
  cat("\n==", name, "== optimizer:", res$optimizer, "\n")
  print(summary(res$fit)$coefficients)
  print(VarCorr(res$fit), digits = 8)
  cat("logLik:", format(as.numeric(logLik(res$fit)), digits = 12), "\n")
  if (length(res$messages)) cat("messages:", res$messages, sep = "\n  ")
  models[[name]] <- summarise(res, s$formula)
  models[[name]]$crosscheck <- crosscheck(res$fit, s, name)
  cc <- models[[name]]$crosscheck
  cat("crosscheck max |diff|: fixef", signif(cc$max_abs_diff_fixef, 3),
      " sd", signif(cc$max_abs_diff_sd, 3),
      " loglik", signif(cc$max_abs_diff_loglik, 3), "\n")
}
models$grouseticks$brood_nested_in_location <- brood_nested

out <- list(
  r_version = R.version.string,
  lme4_version = as.character(packageVersion("lme4")),
  models = models
)
json <- toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null")
writeLines(json, file.path(here, "glmer-results.json"))
cat("\nwrote", file.path(here, "glmer-results.json"), "\n")
