#!/usr/bin/env bash
# Installs every build and test dependency of edgeplan from Debian 12 packages (idempotent, quiet).
set -euo pipefail
PKGS=(
  build-essential cmake git pkg-config
  libtorch-dev libopenblas0-pthread
  libcli11-dev nlohmann-json3-dev catch2 libbenchmark-dev
  libopenmpi-dev openmpi-bin iproute2 procps
  libglpk-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
