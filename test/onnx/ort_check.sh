#!/usr/bin/env bash
# A second runtime checks edgeplan's models: each ONNX file is run by edgeplan's CPU executor
# (`edgeplan infer`) and by ONNX Runtime (examples/onnx/compare.mjs) on the same image, and
# random split plans of it are verified exact against edgeplan's monolithic run.
# usage: ort_check.sh EDGEPLAN_BIN SOURCE_DIR MODEL [PLANS]
#   MODEL: a zoo model name (exported to ONNX first), or "ops" for the small models
#   test/onnx/make_op_models.py writes (every operator the importer reads).
#   PLANS: random plans to verify per model (default 2; 0 skips).
set -euo pipefail
bin=$1 src=$2 model=$3 plans=${4:-2}
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
done
