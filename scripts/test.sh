#!/usr/bin/env bash
# The one test command (`npm test`): makes sure the Debian packages the
# integration tests need are installed (Prometheus for the real-Prometheus
# tests, Alertmanager for the real webhook test, Chromium for the report's
# browser test, openssl for the gRPC TLS certificates made at test time,
# strace to see persisted files fsynced), runs every suite, and ends with a
# plain "N passed, N failed" line. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-debian.sh prometheus prometheus promtool
bash scripts/ensure-debian.sh chromium chromium
bash scripts/ensure-debian.sh redis-server redis-server
bash scripts/ensure-debian.sh openssl openssl
bash scripts/ensure-debian.sh strace strace
bash scripts/ensure-debian.sh prometheus-alertmanager prometheus-alertmanager

results_dir=$(mktemp -d)
trap 'rm -rf "$results_dir"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results_dir/results.json" "$@" || status=$?
node scripts/test-summary.mjs "$results_dir/results.json" || status=1
exit "$status"
