#!/usr/bin/env bash
# Installs what `npm run bench` needs beyond npm packages: Prometheus for the
# pull benchmark, and h2load (Debian's nghttp2-client), the C HTTP/2 client
# that drives the KEDA gRPC benchmark. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-debian.sh prometheus prometheus promtool
bash scripts/ensure-debian.sh nghttp2-client h2load
