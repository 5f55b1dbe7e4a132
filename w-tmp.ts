import { builtinCell, RNN, tensor } from './index.js';
const cell = builtinCell('lstm');
const [T, B, X, H] = [512, 1, 32, 32];
const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, backend: 'wasm', threads: 1 }).eval();
const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
for (let i = 0; i < 50; i++) await rnn.forward(x);
const t0 = performance.now();
const N = 200;
for (let i = 0; i < N; i++) await rnn.forward(x);
console.log('rnn.forward', ((performance.now() - t0) / N).toFixed(3), 'ms');
// time the wasm forward export alone
const mod = await import('./runtime/wasm/backend.js');
