#!/usr/bin/env bash
# Early exits (issue 18): trains vgg-fm and resnet-fm with their exits on Fashion-MNIST
# (5 epochs, seed 1, 2 threads; deterministic for a given machine and thread count) unless
# benchmarks/exits/<model>/{model.onnx, exits.json, calibration.json} exist, then chooses exit
# policies for three deadlines and an accuracy floor under `opt`'s plan of
# benchmarks/scenarios/exits/<model>-pi4-nano.json. Latencies are simulated; accuracies are
# measured on the Fashion-MNIST test split (policies chosen on the validation split); and the
# latency-vs-accuracy trade-off curves on both scenarios of each model (docs/img/exits/); then
# the split chosen jointly with the exits (exit-policy --joint) on the Pi 3 + Nano scenarios,
# and the written plans with their exits run on all 10,000 test images by the CPU executor
# (run-exits: every device stops when an exit fires; predictions compared with the trainer's).
# Usage: bash benchmarks/exits/run.sh [edgeplan binary]   (from the repository root)
set -euo pipefail
bin="${1:-build/bin/edgeplan}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for model in vgg-fm resnet-fm; do
  echo "== $model"
  # The committed trained files are reused; RETRAIN=1 trains them again (about 80 s and 100 s here).
  if [ "${RETRAIN:-0}" = 1 ] || [ ! -f "benchmarks/exits/$model/calibration.json" ]; then
    "$bin" train-exits --model "$model" --epochs 5 --seed 1 --threads 2 -o "benchmarks/exits/$model" 2>/dev/null
  fi
  scenario="benchmarks/scenarios/exits/$model-pi4-nano.json"
  "$bin" plan --scenario "$scenario" --planner opt -o "$tmp/plan.json" > /dev/null
  final="$("$bin" simulate --scenario "$scenario" --plan "$tmp/plan.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_ms"])')"
  for share in 0.7 0.85 1.0; do
    deadline="$(python3 -c "print(round($final * $share, 4))")"
    echo "-- deadline $deadline ms ($share of the exit-free latency)"
    "$bin" exit-policy --scenario "$scenario" --plan "$tmp/plan.json" --calibration "benchmarks/exits/$model/calibration.json" \
      --deadline-ms "$deadline" --slowdown 1.3 || true
  done
  echo "-- accuracy within 1 point of the final head"
  acc="$(python3 -c "import json; a=json.load(open('benchmarks/exits/$model/exits.json'))['test_accuracy'][-1]['accuracy']; print(round(a - 0.01, 4))")"
  "$bin" exit-policy --scenario "$scenario" --plan "$tmp/plan.json" --calibration "benchmarks/exits/$model/calibration.json" --min-accuracy "$acc" \
    -o "$tmp/exits-plan.json"
  echo "-- that plan with its exits, run by the CPU executor on the test split"
  "$bin" run-exits --plan "$tmp/exits-plan.json" --scenario "$scenario" --calibration "benchmarks/exits/$model/calibration.json"
  # The latency-vs-accuracy trade-off on both scenarios (docs/img/exits/).
  for net in pi4-nano pi3-nano; do
    echo "-- trade-off, $model-$net"
    "$bin" plan --scenario "benchmarks/scenarios/exits/$model-$net.json" --planner opt -o "$tmp/plan.json" > /dev/null
    "$bin" exit-policy --scenario "benchmarks/scenarios/exits/$model-$net.json" --plan "$tmp/plan.json" \
      --calibration "benchmarks/exits/$model/calibration.json" --curve "docs/img/exits/$model-$net.svg"
  done
  # The split chosen with the exits in mind, on the scenario where splitting pays.
  scenario="benchmarks/scenarios/exits/$model-pi3-nano.json"
  "$bin" plan --scenario "$scenario" --planner opt -o "$tmp/plan.json" > /dev/null
  final="$("$bin" simulate --scenario "$scenario" --plan "$tmp/plan.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_ms"])')"
  echo "-- joint split and exits, $model-pi3-nano, deadline $final ms (opt's exit-free latency)"
  "$bin" exit-policy --scenario "$scenario" --joint --calibration "benchmarks/exits/$model/calibration.json" --deadline-ms "$final" -o "$tmp/joint.json"
  "$bin" run-exits --plan "$tmp/joint.json" --scenario "$scenario" --calibration "benchmarks/exits/$model/calibration.json"
  echo "-- joint split and exits, $model-pi3-nano, accuracy within 1 point of the final head"
  "$bin" exit-policy --scenario "$scenario" --joint --calibration "benchmarks/exits/$model/calibration.json" --min-accuracy "$acc" -o "$tmp/joint.json"
  "$bin" run-exits --plan "$tmp/joint.json" --scenario "$scenario" --calibration "benchmarks/exits/$model/calibration.json"
done
