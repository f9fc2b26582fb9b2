## Export the three reference data sets to CSV, with the derived numeric
## columns the Python side needs.  Run from the repository root:
##   Rscript benchmarks/glmer/make_data.R
suppressPackageStartupMessages({
  library(lme4)    # cbpp, grouseticks
  library(mlmRev)  # Contraception
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "benchmarks/glmer"
out_dir <- file.path(here, "data")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

dummy <- function(f, level) as.integer(as.character(f) == level)

## cbpp: contagious bovine pleuropneumonia (lme4)
d <- lme4::cbpp
d$period2 <- dummy(d$period, "2")
d$period3 <- dummy(d$period, "3")
d$period4 <- dummy(d$period, "4")
write.csv(d, file.path(out_dir, "cbpp.csv"), row.names = FALSE)

## grouseticks: ticks on red grouse chicks (lme4).  The shipped data already
## has cHEIGHT; it is recomputed here as HEIGHT minus its mean (identical).
d <- lme4::grouseticks
d$year96 <- dummy(d$YEAR, "96")
d$year97 <- dummy(d$YEAR, "97")
d$cHEIGHT <- d$HEIGHT - mean(d$HEIGHT)
write.csv(d, file.path(out_dir, "grouseticks.csv"), row.names = FALSE)

## Contraception: 1988 Bangladesh Fertility Survey (mlmRev)
d <- mlmRev::Contraception
d$use01   <- dummy(d$use, "Y")
d$urban01 <- dummy(d$urban, "Y")
d$age2    <- d$age^2
d$livch1  <- dummy(d$livch, "1")
d$livch2  <- dummy(d$livch, "2")
d$livch3p <- dummy(d$livch, "3+")
write.csv(d, file.path(out_dir, "contraception.csv"), row.names = FALSE)
