// The webgpu backend against the float64 reference on the adapter at hand (lavapipe in CI).
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { builtinCell, builtinNames, compileCell, RNN, type Tensor } from '../../index.js';
import { above, differential, type DiffConfig } from '../helpers/differential.js';
import { describeGpu } from './helpers.js';
import { randomCellSource } from '../unit/autodiff/random-cells.js';

const TOL = 1e-4;
const full: DiffConfig = { steps: 5, batch: 3, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, lengths: [5, 2, 4], initialStates: true };

describeGpu('webgpu vs reference', () => {
  it.each(builtinNames())('%s: 2 layers, bidirectional, lengths, initial states, forward and backward', async (name) => {
    expect(above(await differential(builtinCell(name), 'webgpu', full), TOL)).toEqual({});
  });

  const features: Record<string, DiffConfig> = {
    'merge sum': { ...full, merge: 'sum' },
    'merge mul': { ...full, merge: 'mul' },
    'merge mean': { ...full, merge: 'mean' },
    'truncated BPTT k=2': { steps: 7, batch: 3, inputSize: 3, hiddenSize: 4, truncate: 2, lengths: [7, 5, 2], bidirectional: true },
    batchFirst: { steps: 4, batch: 2, inputSize: 3, hiddenSize: 4, batchFirst: true, lengths: [3, 4] },
    'odd sizes': { steps: 9, batch: 5, inputSize: 7, hiddenSize: 13, initialStates: true },
    // W_hh [4H, H] no longer fits in 16 KiB of workgroup memory: the per-step path instead of the persistent kernel.
    'H=40 (per-step kernels)': { steps: 4, batch: 3, inputSize: 5, hiddenSize: 40, lengths: [4, 1, 3], bidirectional: true },
    'B=70 (persistent kernel, more units than threads)': { steps: 3, batch: 70, inputSize: 3, hiddenSize: 4, lengths: Array.from({ length: 70 }, (_, i) => 1 + (i % 3)) },
  };
  it.each(Object.keys(features))('lstm, %s', async (feature) => {
    expect(above(await differential(builtinCell('lstm'), 'webgpu', features[feature]!), TOL)).toEqual({});
  });

  // Every random cell compiles fresh shaders, which lavapipe (LLVM) takes seconds per kernel to do: few runs here;
  // `npm run fuzz` runs thousands.
  it('random cells (fast-check, seeded)', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(randomCellSource, async (source) => {
        const cfg: DiffConfig = { steps: 3, batch: 2, inputSize: 3, hiddenSize: 4, lengths: [3, 1], initialStates: true };
        expect(above(await differential(compileCell(source), 'webgpu', cfg), TOL)).toEqual({});
      }),
      { seed: 7, numRuns: 4 },
    );
  });

  it('a parameter added to the new state, and a cell that never reads x', async () => {
    const sources = [
      `import { cell, linear, param, tanh } from 'cellforge/dsl';\nexport default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('ih', x) + linear('hh', h)) + param('ob') }));\n`,
      `import { cell, linear, tanh } from 'cellforge/dsl';\nexport default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('hh', h)) }));\n`,
    ];
    for (const source of sources) {
      expect(above(await differential(compileCell(source), 'webgpu', { steps: 3, batch: 2, inputSize: 2, hiddenSize: 3, lengths: [3, 2], initialStates: true }), TOL)).toEqual({});
    }
  });

  it('small hidden sizes run the persistent kernel: one dispatch for all T steps (plus the input projection)', async () => {
    for (const T of [3, 11]) {
      const rnn = new RNN(builtinCell('lstm'), { inputSize: 3, hiddenSize: 8, backend: 'webgpu' }).eval();
      const x: Tensor = { data: new Float32Array(T * 2 * 3).fill(0.25), shape: [T, 2, 3] };
      await rnn.forward(x);
      const before = rnn.backend.stats!.dispatches;
      await rnn.forward(x);
      expect(rnn.backend.stats!.dispatches - before).toBe(2);
    }
  });

  it('reuses its buffers across runs without carrying values over (training loop, shorter lengths the second time)', async () => {
    const { relativeError } = await import('../helpers/differential.js');
    const opts = { inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 5 } as const;
    const gpu = new RNN(builtinCell('gru'), { ...opts, backend: 'webgpu' });
    const ref = new RNN(builtinCell('gru'), { ...opts, backend: 'reference' });
    const [T, B] = [5, 2];
    for (const [scale, lengths] of [[1, [5, 5]], [-2, [2, 4]]] as const) {
      const x: Tensor = { data: Float64Array.from({ length: T * B * 3 }, (_, i) => scale * Math.cos(i)), shape: [T, B, 3] };
      const g: Tensor = { data: Float64Array.from({ length: T * B * 8 }, (_, i) => Math.sin(i * scale)), shape: [T, B, 8] };
      const [a, b] = [await gpu.forward(x, { lengths: [...lengths] }), await ref.forward(x, { lengths: [...lengths] })];
      expect(relativeError(a.output.data, b.output.data)).toBeLessThan(TOL);
      const [ga, gb] = [await gpu.backward(g), await ref.backward(g)];
      expect(relativeError(ga.dInput.data, gb.dInput.data)).toBeLessThan(TOL);
      for (const name of Object.keys(gb.grads)) expect(relativeError(ga.grads[name]!.data, gb.grads[name]!.data), name).toBeLessThan(TOL);
    }
  });

  it('a second backward of one forward is refused with a clear message (the tape is freed after the first)', async () => {
    const rnn = new RNN(builtinCell('rnn_tanh'), { inputSize: 2, hiddenSize: 3, backend: 'webgpu' });
    const x: Tensor = { data: new Float32Array(3 * 1 * 2).fill(0.5), shape: [3, 1, 2] };
    const g: Tensor = { data: new Float32Array(3 * 1 * 3).fill(1), shape: [3, 1, 3] };
    await rnn.forward(x);
    await rnn.backward(g);
    await expect(rnn.backward(g)).rejects.toThrow('backward() was already run for this forward');
    await rnn.forward(x);
    await rnn.forward(x); // the first forward's tape goes back to the pool unused
    await rnn.backward(g);
  });

  it('encodes every step of a sequence in one submission, forward and backward', async () => {
    const rnn = new RNN(builtinCell('gru'), { inputSize: 3, hiddenSize: 4, backend: 'webgpu' });
    const x: Tensor = { data: new Float32Array(6 * 2 * 3).fill(0.5), shape: [6, 2, 3] };
    await rnn.forward(x);
    expect(rnn.backend.name).toBe('webgpu');
    const before = submissions(rnn);
    await rnn.forward(x);
    expect(submissions(rnn) - before).toBe(1);
    await rnn.backward({ data: new Float32Array(6 * 2 * 4).fill(1), shape: [6, 2, 4] });
    expect(submissions(rnn) - before).toBe(2);
  });
});

function submissions(rnn: RNN): number {
  const stats = (rnn.backend as { stats?: { submissions: number } }).stats;
  if (!stats) throw new Error(`backend ${rnn.backend.name} reports no submission count`);
  return stats.submissions;
}
