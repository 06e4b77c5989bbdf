#!/usr/bin/env bash
# Installs everything libflowbb needs to build, test and run its demo, idempotently:
#   - Debian packages (pkg-config, image tools used by the comparisons, packaging tools);
#   - a project-local virtual environment `.venv` holding torch==2.13.0 (libtorch for tch 0.26);
#   - the Rust toolchain components used by the checks (rustfmt, clippy).
# Set FLOWBB_SKIP_APT=1 to skip the Debian packages (for example without root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if [ "${FLOWBB_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null; then
  want=(pkg-config cmake ninja-build g++ webp optipng libjxl-tools libopenjp2-tools imagemagick)
  missing=()
  for p in "${want[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
  log "creating .venv with torch==2.13.0 (libtorch for tch 0.26)"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q torch==2.13.0
fi

if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
fi
log "ready: torch $(.venv/bin/python -c 'import torch; print(torch.__version__)' 2>/dev/null)"
