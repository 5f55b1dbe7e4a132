// Truncated BPTT: k >= T is full BPTT; with k < T no gradient reaches more than k steps back.
import { describe, expect, it } from 'vitest';
import { builtinCell, RNN, type Tensor } from '../../../index.js';
import { Random } from '../../../runtime/random.js';

const T = 7;
const B = 2;
const X = 3;
const H = 4;

function data(n: number, seed: number): Float64Array {
  const r = new Random(seed);
  return Float64Array.from({ length: n }, () => r.uniform(-1, 1));
}

async function grads(truncate: number | undefined, gradOutput: Float64Array, bidirectional = false) {
  const rnn = new RNN(builtinCell('lstm'), { inputSize: X, hiddenSize: H, backend: 'reference', seed: 3, bidirectional, ...(truncate ? { truncate } : {}) });
  const x: Tensor = { data: data(T * B * X, 1), shape: [T, B, X] };
  await rnn.forward(x, { lengths: [T, T - 2] });
  return rnn.backward({ data: gradOutput, shape: [T, B, rnn.outputSize] });
}

describe('truncated BPTT', () => {
  it('with truncation >= T equals full BPTT', async () => {
    const g = data(T * B * H, 2);
    const full = await grads(undefined, g);
    for (const k of [T, T + 5]) {
      const truncated = await grads(k, g);
      expect(truncated.dInput.data).toEqual(full.dInput.data);
      expect(truncated.dH0.data).toEqual(full.dH0.data);
      for (const name of Object.keys(full.grads)) expect(truncated.grads[name]!.data).toEqual(full.grads[name]!.data);
    }
  });

  it('with truncation k, the gradient of the last output reaches only its own k-step chunk', async () => {
    const k = 3;
    // Only example 0's last step (t = T-1) has a loss.
    const g = new Float64Array(T * B * H);
    for (let i = 0; i < H; i++) g[((T - 1) * B + 0) * H + i] = 1;
    const r = await grads(k, g);
    const full = await grads(undefined, g);
    const stepNorm = (d: Tensor, t: number) => Math.hypot(...d.data.subarray((t * B) * X, (t * B + 1) * X));
    const chunkStart = Math.floor((T - 1) / k) * k; // 6: chunks are [0,3) [3,6) [6,7)
    for (let t = 0; t < T; t++) {
      if (t < chunkStart) expect(stepNorm(r.dInput, t)).toBe(0);
      else expect(stepNorm(r.dInput, t)).toBeGreaterThan(0);
      expect(T - 1 - t <= k || stepNorm(r.dInput, t) === 0).toBe(true);
      // Full BPTT does reach every step: the truncation is what cut it.
      expect(stepNorm(full.dInput, t)).toBeGreaterThan(0);
    }
    expect(Math.hypot(...r.dH0.data)).toBe(0);
  });

  it('truncates per example: a short example keeps the gradient of its final state', async () => {
    const rnn = new RNN(builtinCell('gru'), { inputSize: X, hiddenSize: H, backend: 'reference', truncate: 2 });
    const x: Tensor = { data: data(T * B * X, 5), shape: [T, B, X] };
    await rnn.forward(x, { lengths: [T, 2] });
    const gradHn = new Float64Array(B * H).fill(1);
    const r = await rnn.backward({ data: new Float64Array(T * B * H), shape: [T, B, H] }, { gradHn: { data: gradHn, shape: [1, B, H] } });
    // Example 1 has 2 steps, one chunk: the gradient of its final state reaches its first input and h0.
    expect(Math.hypot(...r.dInput.data.subarray(1 * X, 2 * X))).toBeGreaterThan(0);
    expect(Math.hypot(...r.dH0.data.subarray(H, 2 * H))).toBeGreaterThan(0);
    // Example 0 has 7 steps: the gradient of its final state stops at the chunk start (step 6).
    expect(Math.hypot(...r.dH0.data.subarray(0, H))).toBe(0);
  });
});
