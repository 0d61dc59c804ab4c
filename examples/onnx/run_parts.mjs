// Runs a plan exported by `edgeplan export --plan P.json -o DIR` on ONNX Runtime, the way the
// devices would: each device keeps only the rows it computed or received; parts run in the
// manifest's order, each from exactly the rows its inputs name (it fails if one is missing);
// after each part, its messages copy rows to the devices the manifest says. The stitched
// result is compared with ONNX Runtime's run of the whole model on the same image.
// usage: node run_parts.mjs DIR MODEL.onnx [TOLERANCE]
// Exit 0 within tolerance, 1 above it or on an inconsistent manifest, 2 on bad usage,
// 77 when onnxruntime-node is missing.
import fs from 'node:fs';
import path from 'node:path';

import { loadOrt, relativeError, sessionOptions } from './common.mjs';

const ort = await loadOrt();
const [dir, model, tol = '1e-4'] = process.argv.slice(2);
if (!dir || !model) {
  console.error('usage: node run_parts.mjs DIR MODEL.onnx [TOLERANCE]');
  process.exit(2);
}
const fail = (why) => {
  console.error(`${dir}: ${why}`);
  process.exit(1);
};
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
if (manifest.format !== 'edgeplan.onnx-parts/v1') fail(`manifest format is ${manifest.format}`);
const options = sessionOptions;

// A device's copy of one tensor: the whole map's storage, and which cells it holds.
const shapeOf = (t) => {
  if (t === -1) return manifest.model.input;
  const s = manifest.tensors[String(t)];
  if (!s) fail(`tensor ${t} has no shape in the manifest`);
  return s;
};
const stores = new Map(manifest.devices.map((d) => [d, new Map()]));
const slot = (device, t) => {
  const store = stores.get(device);
  if (!store) fail(`unknown device ${device}`);
  if (!store.has(t)) {
    const [c, h, w] = shapeOf(t);
    store.set(t, { c, h, w, data: new Float32Array(c * h * w), have: new Uint8Array(h * w) });
  }
  return store.get(t);
};
const put = (device, t, rows, cols, values) => {  // values: [C, rows, cols]
  const s = slot(device, t);
  const nr = rows[1] - rows[0], nc = cols[1] - cols[0];
  for (let c = 0; c < s.c; c++)
    for (let r = 0; r < nr; r++)
      for (let k = 0; k < nc; k++) s.data[(c * s.h + rows[0] + r) * s.w + cols[0] + k] = values[(c * nr + r) * nc + k];
  for (let r = rows[0]; r < rows[1]; r++) for (let k = cols[0]; k < cols[1]; k++) s.have[r * s.w + k] = 1;
};
const take = (device, t, rows, cols, what) => {
  const s = slot(device, t);
  const nr = rows[1] - rows[0], nc = cols[1] - cols[0];
  const out = new Float32Array(s.c * nr * nc);
  for (let r = rows[0]; r < rows[1]; r++)
    for (let k = cols[0]; k < cols[1]; k++)
      if (!s.have[r * s.w + k]) fail(`${what} needs row ${r} col ${k} of tensor ${t} on ${device}, which never arrived`);
  for (let c = 0; c < s.c; c++)
    for (let r = 0; r < nr; r++)
      for (let k = 0; k < nc; k++) out[(c * nr + r) * nc + k] = s.data[(c * s.h + rows[0] + r) * s.w + cols[0] + k];
  return out;
};

// A deterministic image in [-1, 1).
const [C, H, W] = manifest.model.input;
const image = new Float32Array(C * H * W);
let state = 12345;
for (let i = 0; i < image.length; i++) {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  image[i] = (state / 2 ** 32) * 2 - 1;
}
put(manifest.image.device, -1, [0, H], [0, W], image);

let crossBytes = 0, messages = 0;
const deliver = (from) => {
  for (const m of manifest.messages.filter((x) => x.from === from)) {
    const values = take(m.from_device, m.tensor, m.rows, m.cols, `message ${from} -> ${m.to}`);
    put(m.to_device, m.tensor, m.rows, m.cols, values);
    if (m.from_device !== m.to_device) crossBytes += values.length * 4;
    messages++;
  }
};
deliver('image');
const t0 = performance.now();
for (const task of manifest.tasks) {
  const session = await ort.InferenceSession.create(path.join(dir, task.file), options);
  const feeds = {};
  for (const i of task.inputs) {
    const data = take(task.device, i.tensor, i.rows, i.cols, task.id);
    feeds[i.name] = new ort.Tensor('float32', data, [1, i.channels, i.rows[1] - i.rows[0], i.cols[1] - i.cols[0]]);
  }
  const out = await session.run(feeds);
  for (const o of task.outputs) {
    const got = out[o.name];
    if (!got) fail(`${task.id} did not produce ${o.name}`);
    const want = o.channels * (o.rows[1] - o.rows[0]) * (o.cols[1] - o.cols[0]);
    if (got.data.length !== want) fail(`${task.id}'s ${o.name} has ${got.data.length} values, the manifest says ${want}`);
    put(task.device, o.tensor, o.rows, o.cols, got.data);
  }
  deliver(task.id);
}
const ms = performance.now() - t0;

const [rc, rh, rw] = shapeOf(manifest.result.tensor);
const result = take(manifest.result.device, manifest.result.tensor, [0, rh], [0, rw], 'the result');
const whole = await ort.InferenceSession.create(model, options);
const ref = (await whole.run({ [whole.inputNames[0]]: new ort.Tensor('float32', image, [1, C, H, W]) }))[whole.outputNames[0]].data;
if (ref.length !== result.length) fail(`the stitched result has ${result.length} values, the whole model gives ${ref.length}`);
const { maxAbs, rel } = relativeError(result, ref);
const ok = rel <= Number(tol);
console.log(`${dir}: ${manifest.tasks.length} ONNX models on ${manifest.devices.length} devices (${ms.toFixed(1)} ms, one after another), ` +
            `${messages} messages, ${(crossBytes / 1e6).toFixed(3)} MB between devices (fp32); result ${rc}x${rh}x${rw} vs ` +
            `the whole model: max abs error ${maxAbs.toExponential(3)}, max rel error ${rel.toExponential(3)} (tolerance ${tol}) ${ok ? 'PASS' : 'FAIL'}`);
process.exit(ok ? 0 : 1);
