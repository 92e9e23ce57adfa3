#!/usr/bin/env bash
# Installs what `npm run bench` needs beyond npm packages: h2load (Debian's
# nghttp2-client), the C HTTP/2 client that drives the KEDA gRPC benchmark,
# and Prometheus for the pull benchmark. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-prometheus.sh
if command -v h2load >/dev/null 2>&1; then exit 0; fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
echo "ensure-bench-tools: installing Debian's nghttp2-client (h2load)…"
if ! "${SUDO[@]}" apt-get update -qq || ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends nghttp2-client >/dev/null; then
  echo "ensure-bench-tools: apt-get could not install nghttp2-client" >&2
  exit 1
fi
