import { builtinCell, RNN, tensor } from './index.js';
const [T, B, X, H] = [32, 64, 512, 512];
const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
const rnn = new RNN(builtinCell('lstm'), { inputSize: X, hiddenSize: H, backend: 'wasm', threads: 2 }).eval();
for (let i = 0; i < 15; i++) await rnn.forward(x);
