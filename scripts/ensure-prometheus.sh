#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are on PATH for the real-Prometheus
# tests, installing Debian's "prometheus" package when either is missing.
# Idempotent: when both are present it only prints their version and exits.
# Never starts the prometheus system service (the tests run their own).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have prometheus && have promtool; then
  echo "ensure-prometheus: found $(prometheus --version 2>&1 | head -n 1)"
  exit 0
fi

if ! have apt-get; then
  echo "ensure-prometheus: prometheus/promtool are missing and apt-get is not available;" >&2
  echo "  install Prometheus 2.x so that 'prometheus' and 'promtool' are on PATH." >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if have sudo && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "ensure-prometheus: prometheus/promtool are missing and installing them needs root;" >&2
    echo "  run: sudo apt-get update && sudo apt-get install -y prometheus" >&2
    exit 1
  fi
fi

echo "ensure-prometheus: installing Debian's prometheus package…"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 tells invoke-rc.d not to start services the package installs.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then "${SUDO[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

if ! "${SUDO[@]}" apt-get update -qq || ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null; then
  echo "ensure-prometheus: apt-get could not install the prometheus package" >&2
  exit 1
fi

if ! have prometheus || ! have promtool; then
  echo "ensure-prometheus: the prometheus package installed, but prometheus/promtool are still not on PATH" >&2
  exit 1
fi
echo "ensure-prometheus: installed $(prometheus --version 2>&1 | head -n 1)"
