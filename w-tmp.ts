import { builtinCell, RNN, tensor } from './index.js';
for (const [T, B, X, H] of [[64, 32, 128, 256], [32, 64, 512, 512]]) {
  const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
  for (const threads of [1, 2]) {
    const rnn = new RNN(builtinCell('lstm'), { inputSize: X, hiddenSize: H, backend: 'wasm', threads }).eval();
    for (let i = 0; i < 4; i++) await rnn.forward(x);
    const ts: number[] = [];
    for (let i = 0; i < 9; i++) { const t0 = performance.now(); await rnn.forward(x); ts.push(performance.now() - t0); }
    ts.sort((a, b) => a - b);
    console.log(`B${B} H${H}`, threads, 'threads: median', ts[4]!.toFixed(1), 'ms');
  }
}
