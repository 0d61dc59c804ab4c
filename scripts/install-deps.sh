#!/usr/bin/env bash
# Installs every build and test dependency of edgeplan from Debian 12 packages (idempotent, quiet).
set -euo pipefail
PKGS=(
  build-essential cmake git pkg-config
  libtorch-dev libopenblas0-pthread
  libcli11-dev nlohmann-json3-dev catch2 libbenchmark-dev
  libopenmpi-dev openmpi-bin iproute2 procps
  libglpk-dev
  libonnx-dev libprotobuf-dev libssl-dev python3-onnx
  zlib1g-dev dataset-fashion-mnist
)
# ONNX Runtime (the second runtime the ONNX tests compare with) comes from the npm registry;
# node and npm from Debian unless the machine already has them.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -ne 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# onnxruntime-node at the version package-lock.json pins; --ignore-scripts because its install
# script downloads from a host we do not reach (the package itself holds libonnxruntime.so).
cd "$(dirname "$0")/../examples/onnx"
if [ ! -d node_modules/onnxruntime-node ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi
