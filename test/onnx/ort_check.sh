#!/usr/bin/env bash
# A second runtime checks edgeplan's models and plans: each ONNX file is run by edgeplan's CPU
# executor (`edgeplan infer`) and by ONNX Runtime (examples/onnx/compare.mjs) on the same image;
# random split plans of it are verified exact against edgeplan's monolithic run; and plans of
# it by `equal` (every layer split over four devices) and `deepthings` (2-D tiles) are exported
# as one ONNX model per part (each passes onnx.checker) and run part by part on ONNX Runtime
# (examples/onnx/run_parts.mjs), the stitched result against ONNX Runtime's whole-model run.
# usage: ort_check.sh EDGEPLAN_BIN SOURCE_DIR MODEL [PLANS] [PARTS]
#   MODEL: a zoo model name (exported to ONNX first), or "ops" for the small models
#   test/onnx/make_op_models.py writes (every operator the importer reads).
#   PLANS: random plans to verify per model (default 2; 0 skips).
#   PARTS: 1 (default) exports and runs the two plans part by part, 0 skips that.
set -euo pipefail
bin=$1 src=$2 model=$3 plans=${4:-2} parts=${5:-1}
if [ ! -d "$src/examples/onnx/node_modules/onnxruntime-node" ]; then
  echo "SKIPPED: onnxruntime-node is not installed in examples/onnx (scripts/install-deps.sh installs it)"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edgeplan-ort-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ "$model" = ops ]; then
  /usr/bin/python3 "$src/test/onnx/make_op_models.py" "$tmp"
  files=("$tmp"/ops_*.onnx)
else
  "$bin" export --model "$model" -o "$tmp/$model.onnx"
  files=("$tmp/$model.onnx")
fi
for f in "${files[@]}"; do
  "$bin" infer --model "$f" --threads 1 --save-image "$tmp/image.f32" -o "$tmp/output.f32"
  node "$src/examples/onnx/compare.mjs" "$f" "$tmp/image.f32" "$tmp/output.f32" 1e-4
  if [ "$plans" -gt 0 ]; then "$bin" verify --model "$f" --random-plans "$plans" --threads 1 | tail -1; fi
  if [ "$parts" -eq 1 ]; then
    scenario="$src/benchmarks/scenarios/default.json"
    for planner in equal deepthings; do
      "$bin" plan --scenario "$scenario" --model "$f" --planner "$planner" -o "$tmp/plan.json" >/dev/null
      rm -rf "$tmp/parts"
      "$bin" export --plan "$tmp/plan.json" --scenario "$scenario" -o "$tmp/parts"
      /usr/bin/python3 -c 'import glob, sys, onnx
for f in sorted(glob.glob(sys.argv[1] + "/*.onnx")): onnx.checker.check_model(onnx.load(f), full_check=True)' "$tmp/parts"
      node "$src/examples/onnx/run_parts.mjs" "$tmp/parts" "$f" 1e-4
    done
  fi
done
