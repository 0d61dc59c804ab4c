#!/bin/bash
# The GPU session's one prepared run on the device machine (about 6 minutes): PyTorch's
# reference times, the standalone harness built with nvcc, a host check of its plans, then
# the GPU figures and the measured profile. Results land in $OUT (the device tool brings
# them back); commit them under benchmarks/gpu/results/ and the profile under
# profiles/measured/. On this machine first: bash benchmarks/gpu/prepare.sh, then
#   run(command="bash benchmarks/gpu/run.sh", carry=[".deps"], timeout_s=540)
set -uo pipefail
OUT=${OUT:-/tmp/edgeplan-gpu}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
timeout 150 python3 benchmarks/gpu/torch_reference.py > "$OUT/torch_reference.json" 2> "$OUT/torch_reference.log"
echo "torch reference: exit $?"
if ! { cmake -S benchmarks/gpu -B /tmp/build-gpu -G Ninja -DEDGEPLAN_EXTRA_INCLUDE="$PWD/.deps/include" \
         -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build /tmp/build-gpu -j16; } > "$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log"
  exit 1
fi
timeout 330 /tmp/build-gpu/gpu_bench --out "$OUT" --torch "$OUT/torch_reference.json" --budget-s 300 2>&1 | tee "$OUT/gpu_bench.txt"
