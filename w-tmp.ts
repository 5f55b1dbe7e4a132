import { builtinCell, RNN, tensor } from './index.js';
import { poolOf } from './runtime/wasm/backend.js';
const [T, B, X, H] = [64, 32, 128, 256];
const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
for (const threads of [1, 2, 1, 2]) {
  const rnn = new RNN(builtinCell('lstm'), { inputSize: X, hiddenSize: H, backend: 'wasm', threads }).eval();
  for (let i = 0; i < 5; i++) await rnn.forward(x);
  const pool = threads > 1 ? await poolOf(threads) : undefined;
  const s0 = pool?.splitCount ?? 0;
  const ts: number[] = [];
  for (let i = 0; i < 10; i++) { const t0 = performance.now(); await rnn.forward(x); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(threads, 'median', ts[5]!.toFixed(1), 'ms, splits/forward', ((pool?.splitCount ?? 0) - s0) / 10);
}
