import { builtinCell, RNN, tensor } from './index.js';
const [T, B, X, H] = [64, 32, 128, 256];
const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
const rnn = new RNN(builtinCell('lstm'), { inputSize: X, hiddenSize: H, backend: 'wasm', threads: 2 }).eval();
for (let i = 0; i < 60; i++) await rnn.forward(x);
