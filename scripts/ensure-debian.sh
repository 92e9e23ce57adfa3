#!/usr/bin/env bash
# Makes sure a Debian package's commands are on PATH, installing the package
# with apt-get when any of them is missing:
#
#   bash scripts/ensure-debian.sh PACKAGE COMMAND [COMMAND...]
#
# Idempotent: when every command is present it only says where the first is.
# Never starts a system service the package ships (the tests run their own).
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: ensure-debian.sh PACKAGE COMMAND [COMMAND...]" >&2
  exit 2
fi
package=$1
shift
commands=("$@")

have_all() {
  for c in "${commands[@]}"; do command -v "$c" >/dev/null 2>&1 || return 1; done
}

if have_all; then
  echo "ensure-debian: ${package}: found $(command -v "${commands[0]}")"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian: ${commands[*]} missing and apt-get is not available; install the ${package} package." >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "ensure-debian: ${commands[*]} missing and installing ${package} needs root;" >&2
    echo "  run: sudo apt-get update && sudo apt-get install -y ${package}" >&2
    exit 1
  fi
fi

echo "ensure-debian: installing Debian's ${package} package…"
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

if ! "${SUDO[@]}" apt-get update -qq || ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null; then
  echo "ensure-debian: apt-get could not install ${package}" >&2
  exit 1
fi

if ! have_all; then
  echo "ensure-debian: ${package} installed, but ${commands[*]} are still not all on PATH" >&2
  exit 1
fi
echo "ensure-debian: installed ${package}: $(command -v "${commands[0]}")"
