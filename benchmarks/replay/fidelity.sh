#!/usr/bin/env bash
# The fidelity study of docs/replay.md: for each model and link rate, a two-device scenario
# (both devices this machine's CPU at 1 thread, profiles/measured/cpu-1thread.json; image and
# result on d0; switched links), calibrated with `calibrate-network`, planned by each planner,
# replayed for real over the emulated links; then the table of predicted vs measured.
# Needs root (network namespaces). Takes about 6 minutes on 2 cores with the defaults.
#   bash benchmarks/replay/fidelity.sh OUTDIR
# Knobs (environment): MODELS, RATES (Mbit/s), PLANNERS, REPEAT, WARMUP, EDGEPLAN (binary),
# SLOW_PROFILE: a profile measured under a CPU quota (profile --cpu-quota) for d1, which then
# replays under that quota (devices of different speeds), e.g.
#   SLOW_PROFILE=profiles/measured/cpu-1thread-half-core.json bash benchmarks/replay/fidelity.sh OUT
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: fidelity.sh OUTDIR}
BIN=${EDGEPLAN:-build/bin/edgeplan}
MODELS=${MODELS:-"vgg16 resnet50 mobilenet_v2"}
RATES=${RATES:-"25 100 1000"}
PLANNERS=${PLANNERS:-"opt distredge equal aofl"}
REPEAT=${REPEAT:-5}
WARMUP=${WARMUP:-1}
PROFILE="$(pwd)/profiles/measured/cpu-1thread.json"
SLOW="$PROFILE"
SUFFIX=""
if [ -n "${SLOW_PROFILE:-}" ]; then SLOW="$(cd "$(dirname "$SLOW_PROFILE")" && pwd)/$(basename "$SLOW_PROFILE")"; SUFFIX="-slow-d1"; fi
mkdir -p "$OUT"
reports=()
for model in $MODELS; do
  for rate in $RATES; do
    dir="$OUT/$model-${rate}mbit$SUFFIX"
    mkdir -p "$dir"
    cat > "$dir/scenario.json" <<JSON
{
  "format": "edgeplan.scenario/v1",
  "name": "fidelity-$model-${rate}mbit",
  "description": "Two processes on this machine, 1 libtorch thread each, pinned to their own core (d1 under its profile's CPU quota, if any); switched links shaped to $rate Mbit/s by tbf.",
  "model": {"name": "$model"},
  "devices": [
    {"id": "d0", "profile": "$PROFILE"},
    {"id": "d1", "profile": "$SLOW"}
  ],
  "precision": {"activations": "fp32", "input": "fp32"},
  "input_device": "d0",
  "output_device": "d0",
  "network": {"type": "switched", "rates_mbps": $rate, "latency_ms": 0, "overhead_ms": 0}
}
JSON
    "$BIN" calibrate-network --scenario "$dir/scenario.json" -o "$dir/calibrated.json" > "$dir/calibration.txt"
    for planner in $PLANNERS; do
      "$BIN" plan --scenario "$dir/calibrated.json" --planner "$planner" -o "$dir/$planner.json" > /dev/null
      "$BIN" replay --scenario "$dir/calibrated.json" --plan "$dir/$planner.json" --repeat "$REPEAT" --warmup "$WARMUP" \
        -o "$dir/$planner.replay.json" --svg "$dir/$planner.replay.svg" > "$dir/$planner.replay.txt"
      reports+=("$dir/$planner.replay.json")
      sed -n 3p "$dir/$planner.replay.txt" | sed "s|^|$model ${rate} Mbit/s $planner: |"
    done
  done
done
"$BIN" replay-summary "${reports[@]}" -o "$OUT/fidelity.md"
