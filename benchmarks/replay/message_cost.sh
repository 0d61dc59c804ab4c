#!/usr/bin/env bash
# Per-message cost through the replay's own messaging path (docs/replay.md): runs the fidelity
# study (fidelity.sh) for the given models and rates, then for each scenario takes the
# per-message cost its replays measured (`calibrate-network --from-replay`, the replay with the
# most transfers alone on their links), predicts the same plans again with it and prints the
# error of the same measurements before and after. Needs root (network namespaces).
#   bash benchmarks/replay/message_cost.sh OUTDIR
# Knobs as fidelity.sh (MODELS, RATES, PLANNERS, REPEAT, WARMUP, EDGEPLAN); defaults: the
# cases where ping-pong's per-message cost missed most (MobileNetV2 and ResNet-50 at 1000 Mbit/s).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: message_cost.sh OUTDIR}
BIN=${EDGEPLAN:-build/bin/edgeplan}
export MODELS=${MODELS:-"mobilenet_v2 resnet50"} RATES=${RATES:-"1000"} PLANNERS=${PLANNERS:-"opt equal"}
bash benchmarks/replay/fidelity.sh "$OUT" > "$OUT.fidelity.txt"
echo "| scenario | planner | measured ms | predicted ms (ping-pong overhead) | error | predicted ms (replay overhead) | error |"
echo "|---|---|---|---|---|---|---|"
for dir in "$OUT"/*/; do
  dir=${dir%/}
  [ -f "$dir/calibrated.json" ] || continue
  # The replay with the most isolated transfers calibrates the scenario's per-message overhead.
  best=$(python3 - "$dir" <<'PY'
import glob, json, sys
best, n = "", -1
for f in sorted(glob.glob(sys.argv[1] + "/*.replay.json")):
    m = json.load(open(f)).get("messages") or {}
    if m.get("isolated", 0) > n and m.get("fixed_ms"):
        best, n = f, m["isolated"]
print(best)
PY
)
  [ -n "$best" ] || { echo "$dir: no replay had a transfer alone on its links" >&2; continue; }
  "$BIN" calibrate-network --scenario "$dir/calibrated.json" --from-replay "$best" -o "$dir/replay-calibrated.json" > "$dir/replay-calibration.txt"
  for report in "$dir"/*.replay.json; do
    planner=$(basename "$report" .replay.json)
    after=$("$BIN" simulate --scenario "$dir/replay-calibrated.json" --plan "$dir/$planner.json" | sed -n 's/^end-to-end latency \([0-9.]*\) ms.*/\1/p')
    python3 - "$report" "$after" "$(basename "$dir")" "$planner" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); after = float(sys.argv[2])
m, p = r["measured"]["latency_ms"]["median"], r["predicted"]["latency_ms"]
print(f"| {sys.argv[3]} | {sys.argv[4]} | {m:.1f} | {p:.1f} | {100 * (p - m) / m:+.1f}% | {after:.1f} | {100 * (after - m) / m:+.1f}% |")
PY
  done
  sed -n 1p "$dir/replay-calibration.txt" | sed "s|^|$(basename "$dir"): |" >&2
done
