// Runs an ONNX model on ONNX Runtime (CPU) with a raw float32 image and compares the output
// with a raw float32 file, e.g. what `edgeplan infer` wrote for the same model and image.
// usage: node compare.mjs MODEL.onnx IMAGE.f32 EXPECTED.f32 [TOLERANCE]
// Relative error = max |difference| / max |expected| (edgeplan verify's definition).
// Exit 0 within tolerance, 1 above it, 2 on bad usage, 77 when onnxruntime-node is missing.
import { loadOrt, readFloats, relativeError, sessionOptions } from './common.mjs';

const ort = await loadOrt();

const [model, imagePath, expectedPath, tol = '1e-4'] = process.argv.slice(2);
if (!model || !imagePath || !expectedPath) {
  console.error('usage: node compare.mjs MODEL.onnx IMAGE.f32 EXPECTED.f32 [TOLERANCE]');
  process.exit(2);
}
const floats = readFloats;

const session = await ort.InferenceSession.create(model, sessionOptions);
const meta = session.inputMetadata[0] ?? session.inputMetadata[session.inputNames[0]];
const image = floats(imagePath);
let dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : null;
if (!dims || dims.reduce((a, b) => a * b, 1) !== image.length) {
  console.error(`the image holds ${image.length} values; the model's input is ${JSON.stringify(meta && meta.shape)}`);
  process.exit(2);
}
const t0 = performance.now();
const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', image, dims) });
const ms = performance.now() - t0;
const got = out[session.outputNames[0]].data;
const want = floats(expectedPath);
if (got.length !== want.length) {
  console.error(`ONNX Runtime gave ${got.length} values, the expected file holds ${want.length}`);
  process.exit(1);
}
const { maxAbs, rel } = relativeError(got, want);
const ok = rel <= Number(tol);
console.log(`${model}: ONNX Runtime ${ort.env.versions ? ort.env.versions.common : ''} ${got.length} values in ${ms.toFixed(1)} ms; ` +
            `max abs error ${maxAbs.toExponential(3)}, max rel error ${rel.toExponential(3)} (tolerance ${tol}) ${ok ? 'PASS' : 'FAIL'}`);
process.exit(ok ? 0 : 1);
