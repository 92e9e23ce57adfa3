# R baselines for the accuracy benchmark (issue 5): R's forecast package on
# the same series, origins and horizon as benchmarks/accuracy.ts. Run by
# benchmarks/r-baselines.ts, which prepares the input and scores the output
# with Prescient's own metrics code; needs Rscript with `forecast`
# (scripts/install-r.sh).
#
#   Rscript benchmarks/r-baselines.R IN.csv OUT.csv DAY_STEPS WEEK_STEPS HORIZON HISTORY_CAP ORIGINS MODELS
#
# IN.csv: one column `value` (the regular series). ORIGINS: comma-separated
# 0-based indices; each fit sees values[origin - cap, origin) only. MODELS:
# comma-separated among snaive, stlf, arima_fourier. OUT.csv (long):
# model,origin,step,point,lo80,hi80,lo95,hi95,seconds.

suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 8) stop("usage: r-baselines.R IN OUT DAY_STEPS WEEK_STEPS HORIZON HISTORY_CAP ORIGINS MODELS")
values <- read.csv(args[1])$value
out_path <- args[2]
day <- as.integer(args[3])
week <- as.integer(args[4])
h <- as.integer(args[5])
cap <- as.integer(args[6])
origins <- as.integer(strsplit(args[7], ",")[[1]])
models <- strsplit(args[8], ",")[[1]]

# Seasons the history can estimate: two full cycles, as Prescient's models require.
periods_for <- function(n) {
  p <- c(day)
  if (week > 0 && n >= 2 * week) p <- c(p, week)
  p
}

fit_one <- function(model, y) {
  n <- length(y)
  periods <- periods_for(n)
  if (model == "snaive") {
    return(snaive(ts(y, frequency = day), h = h, level = c(80, 95)))
  }
  if (model == "stlf") {
    series <- if (length(periods) > 1) msts(y, seasonal.periods = periods) else ts(y, frequency = day)
    return(stlf(series, h = h, level = c(80, 95)))
  }
  if (model == "arima_fourier") {
    # Dynamic harmonic regression (FPP3 §12.1): Fourier terms for each season, ARIMA errors.
    series <- msts(y, seasonal.periods = periods)
    k <- pmin(c(10, 5)[seq_along(periods)], floor(periods / 2) - 1)
    fit <- auto.arima(series, xreg = fourier(series, K = k), seasonal = FALSE, stepwise = TRUE, approximation = TRUE)
    return(forecast(fit, xreg = fourier(series, K = k, h = h), level = c(80, 95)))
  }
  stop(paste("unknown model", model))
}

rows <- list()
for (model in models) {
  for (origin in origins) {
    start <- max(1, origin - cap + 1)
    y <- values[start:origin] # 1-based: values[origin] is the last value before 0-based `origin`
    t0 <- proc.time()[["elapsed"]]
    fc <- tryCatch(fit_one(model, y), error = function(e) {
      message(sprintf("%s at origin %d failed: %s", model, origin, conditionMessage(e)))
      NULL
    })
    seconds <- proc.time()[["elapsed"]] - t0
    if (is.null(fc)) next
    rows[[length(rows) + 1]] <- data.frame(
      model = model, origin = origin, step = seq_len(h) - 1,
      point = as.numeric(fc$mean),
      lo80 = as.numeric(fc$lower[, 1]), hi80 = as.numeric(fc$upper[, 1]),
      lo95 = as.numeric(fc$lower[, 2]), hi95 = as.numeric(fc$upper[, 2]),
      seconds = seconds
    )
  }
}
result <- if (length(rows) > 0) do.call(rbind, rows) else data.frame(model = character(), origin = integer(), step = integer(), point = numeric(), lo80 = numeric(), hi80 = numeric(), lo95 = numeric(), hi95 = numeric(), seconds = numeric())
write.csv(result, out_path, row.names = FALSE)
