#!/usr/bin/env bash
# System packages Caption Studio's tests and model tooling need, from Debian's archive:
#   python3-torch, python3-onnx, python3-pil, python3-numpy, python3-pytest  model code + its tests
#   libopenblas0-pthread   a real BLAS for PyTorch (without it Debian's torch uses the reference
#                          BLAS and trains about 10x slower)
#   fonts-symbola          the glyphs of the procedural training scenes and test fixtures
#   chromium               the browser the end-to-end tests drive (never downloaded by a test tool)
# Runs from `npm install` (postinstall) and from .ci/run. Idempotent: installs only what is missing.
# On a system without apt (macOS, Windows, other Linux) it says what to install and exits 0, so
# `npm install` still works for people who only use the app.
set -euo pipefail

PACKAGES=(python3-torch python3-onnx python3-pil python3-numpy python3-pytest libopenblas0-pthread
  fonts-symbola fonts-dejavu-core chromium)

if [ "${CAPTION_STUDIO_SKIP_SYSTEM_SETUP:-}" = 1 ]; then
  echo "setup-system: skipped (CAPTION_STUDIO_SKIP_SYSTEM_SETUP=1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup-system: no apt here; for the tests install: ${PACKAGES[*]} (or your system's equivalents)"
  exit 0
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all system packages present"
  exit 0
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "setup-system: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
    exit 0
  fi
fi
echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-system: done"
