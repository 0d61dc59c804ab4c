// Shared by the ONNX Runtime examples: loading onnxruntime-node, raw float32 files, and the
// error measure edgeplan uses (max |difference| / max |reference|).
import fs from 'node:fs';

export async function loadOrt() {
  try {
    return (await import('onnxruntime-node')).default;
  } catch (e) {
    console.error(`onnxruntime-node is not installed (run scripts/install-deps.sh): ${e.message.split('\n')[0]}`);
    process.exit(77);
  }
}

export const sessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' };

export function readFloats(path) {
  const b = fs.readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

// { maxAbs, rel } of `got` against `reference` (same length).
export function relativeError(got, reference) {
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got[i] - reference[i]));
    maxRef = Math.max(maxRef, Math.abs(reference[i]));
  }
  return { maxAbs, rel: maxRef > 0 ? maxAbs / maxRef : maxAbs };
}
