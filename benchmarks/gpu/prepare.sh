#!/bin/bash
# Before a GPU session's run (on this machine): nlohmann/json travels with the working tree
# in .deps/include (ignored by .gitignore, carried by the device tool: the GPU machine has
# none of Debian's packages).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .deps/include
cp -r /usr/include/nlohmann .deps/include/
echo "ready: run benchmarks/gpu/run.sh on the device with carry [\".deps\"]"
