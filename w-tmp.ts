import { builtinCell, RNN, tensor } from './index.js';
for (const [name, T, B, X, H] of [['lstm', 512, 1, 32, 32], ['gru', 512, 1, 32, 32]] as const) {
  const rnn = new RNN(builtinCell(name), { inputSize: X, hiddenSize: H, backend: 'wasm', threads: 1 }).eval();
  const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
  for (let i = 0; i < 100; i++) await rnn.forward(x);
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) await rnn.forward(x);
    times.push((performance.now() - t0) / 100);
  }
  times.sort((a, b) => a - b);
  console.log(name, 'rnn.forward median', times[3]!.toFixed(3), 'ms');
}
