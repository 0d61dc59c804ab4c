#!/usr/bin/env bash
# Early exits across processes (issue 18): vgg-fm's plans with exits replayed for real, one MPI
# process per device, on benchmarks/scenarios/exits/vgg-fm-host.json (two devices that are this
# host's cores, the measured 1-thread CPU profile each, switched 100 Mbit/s emulated with tbf in
# network namespaces; `--network loopback` where namespaces are not permitted). For `opt`'s plan
# (one device) and `equal`'s (both devices, rows split), the policy for an accuracy floor one
# point below the final head; 200 test images each after 5 warm-ups. Prints the accuracy, the
# share answered per head and the measured median latency per head beside the simulated one.
# Usage: bash benchmarks/exits/replay.sh [edgeplan binary] [network]   (from the repository root; root for emulate)
set -euo pipefail
bin="${1:-build/bin/edgeplan}"
network="${2:-emulate}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
scenario=benchmarks/scenarios/exits/vgg-fm-host.json
cal=benchmarks/exits/vgg-fm/calibration.json
acc="$(python3 -c "import json; a=json.load(open('benchmarks/exits/vgg-fm/exits.json'))['test_accuracy'][-1]['accuracy']; print(round(a - 0.01, 4))")"
for planner in opt equal; do
  echo "== $planner"
  "$bin" plan --scenario "$scenario" --planner "$planner" -o "$tmp/plan.json" > /dev/null
  "$bin" exit-policy --scenario "$scenario" --plan "$tmp/plan.json" --calibration "$cal" --min-accuracy "$acc" -o "$tmp/exits.json" | grep -E "^(plan|scenario|exits|policy|test split \(measured\))"
  "$bin" replay --scenario "$scenario" --plan "$tmp/exits.json" --network "$network" --repeat 200 --warmup 5 -o "$tmp/report.json"
  python3 - "$tmp/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
started = {}
for x in r["exits"]:
    started.setdefault(x["head"], []).append(x["tasks_started"])
print("tasks started per image, by the head that answered:", {h: round(sum(v) / len(v), 2) for h, v in sorted(started.items())})
PY
done
