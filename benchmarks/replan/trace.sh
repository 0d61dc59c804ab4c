#!/usr/bin/env bash
# Re-planning along a trace (issue 17): on each of the five tiered trace scenarios (the
# edge-cloud backbone changes every 2 s: 200, 50, 10, 100, 20, 200, 5, 150 Mbit/s), the plan
# kept from t = 0 against D3's re-adjustment from the plan in force and full re-plans from
# scratch (d3, the exhaustive three-way cut, opt). Latencies are simulated; times are one
# measured run each on this machine (recorded in the JSON's provenance).
# Usage: bash benchmarks/replan/trace.sh [edgeplan binary]   (from the repository root)
set -euo pipefail
bin="${1:-build/bin/edgeplan}"
for model in alexnet vgg16 resnet50 mobilenet_v2 yolov2; do
  echo "== $model"
  "$bin" replan --scenario "benchmarks/scenarios/tiered/$model-e4-trace.json" --trace \
    --full d3,d3:search=exhaustive,opt --json "benchmarks/replan/$model-trace.json" \
    --svg "docs/img/tiered/replan-$model.svg"
done
