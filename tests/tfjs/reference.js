// Runs TensorFlow.js graph models with the pure-JavaScript CPU backend (the reference runtime for
// tests/models/tfjs_graph_test.cpp).
//   NODE_PATH=<cache>/node_modules node reference.js JOB
// JOB is a text file, one run per line:  MODEL_JSON INPUT_BIN D0,D1,D2,D3 OUT_PREFIX
// INPUT_BIN holds float32 NHWC values. For each run the script writes OUT_PREFIX.txt with one
// line per default output ("NAME D0,D1,... FILE") and each output as float32 in FILE.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function handler(modelJson) {
  return {
    load: async () => {
      const m = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
      const dir = path.dirname(modelJson);
      const specs = [];
      const bufs = [];
      for (const g of m.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: m.modelTopology, format: m.format, generatedBy: m.generatedBy,
        convertedBy: m.convertedBy, signature: m.signature, userDefinedMetadata: m.userDefinedMetadata,
        weightSpecs: specs, weightData,
      };
    },
  };
}

async function main() {
  await tf.setBackend('cpu');
  const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim());
  const models = {};
  for (const line of lines) {
    const [modelJson, inputBin, dims, outPrefix] = line.trim().split(/\s+/);
    if (!models[modelJson]) models[modelJson] = await tf.loadGraphModel(handler(modelJson));
    const model = models[modelJson];
    const shape = dims.split(',').map(Number);
    const raw = fs.readFileSync(inputBin);
    const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const x = tf.tensor(data, shape, 'float32');
    const names = model.outputNodes;
    let outs = model.execute(x, names);
    if (!Array.isArray(outs)) outs = [outs];
    const manifest = [];
    for (let k = 0; k < outs.length; k++) {
      const file = `${outPrefix}.${k}.bin`;
      const v = outs[k].dataSync();
      fs.writeFileSync(file, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      // Signature keys ("output_mesh") name graph nodes ("Identity_2:0"); report the node.
      const sig = model.signature && model.signature.outputs && model.signature.outputs[names[k]];
      const node = (sig && sig.name ? sig.name : names[k]).split(':')[0];
      manifest.push(`${node} ${outs[k].shape.join(',')} ${file}`);
    }
    fs.writeFileSync(`${outPrefix}.txt`, manifest.join('\n') + '\n');
    tf.dispose([x, ...outs]);
  }
}
main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
