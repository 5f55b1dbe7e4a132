import { builtinCell, RNN } from './index.js';
const cell = builtinCell('lstm');
const opts = { inputSize: 3, hiddenSize: 5, seed: 1 };
const [T, B] = [4, 2];
const x = { data: Float64Array.from({ length: T * B * 3 }, (_, i) => Math.sin(i)), shape: [T, B, 3] };
const a = await new RNN(cell, { ...opts, backend: 'wasm' }).forward(x);
const r = await new RNN(cell, { ...opts, backend: 'reference' }).forward(x);
console.log(Array.from(a.output.data.slice(0, 10)).map((v) => v.toFixed(5)).join(' '));
console.log(Array.from(r.output.data.slice(0, 10)).map((v) => v.toFixed(5)).join(' '));
