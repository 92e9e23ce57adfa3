#!/usr/bin/env bash
# Installs R with the forecast package (Debian: r-cran-forecast) for the R
# baselines of the accuracy benchmark (benchmarks/r-baselines.R). Optional:
# nothing in the normal test run needs R. Does nothing when Rscript exists.
set -euo pipefail
if command -v Rscript >/dev/null 2>&1 && Rscript -e 'quit(status = !requireNamespace("forecast", quietly = TRUE))' >/dev/null 2>&1; then
  echo "Rscript with forecast already installed: $(Rscript --version 2>&1 | head -1)"
  exit 0
fi
# Captured first: grep -q closing the pipe early would fail the pipeline under pipefail.
candidate() { apt-cache policy r-cran-forecast 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
if [[ ! "$(candidate)" =~ ^[0-9] ]]; then
  apt-get update
fi
if [[ ! "$(candidate)" =~ ^[0-9] ]]; then
  echo "r-cran-forecast is not available from the configured apt sources" >&2
  exit 1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-cran-forecast
Rscript -e 'library(forecast); cat("forecast", as.character(packageVersion("forecast")), "\n")'
