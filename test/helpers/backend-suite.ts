// One backend against the float64 reference: every sample cell, every sequence feature, forward and backward.
// The js and wasm backends run the same suite (test/unit/js, test/unit/wasm).
import { describe, expect, it } from 'vitest';
import { builtinCell, builtinNames } from '../../index.js';
import type { BackendName } from '../../runtime/backends.js';
import { above, differential, type DiffConfig } from './differential.js';

const TOL = 1e-4;

export function backendSuite(backend: BackendName): void {

  const configs: Record<string, DiffConfig> = {
    'one layer': { steps: 5, batch: 3, inputSize: 4, hiddenSize: 6 },
    'T=1 B=1': { steps: 1, batch: 1, inputSize: 3, hiddenSize: 5 },
    'lengths, 2 layers, bidirectional, initial states': { steps: 6, batch: 3, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, lengths: [6, 2, 4], initialStates: true },
  };

  describe(`${backend} vs reference: every sample cell`, () => {
    const cases = builtinNames().flatMap((name) => Object.keys(configs).map((label) => [name, label] as const));
    it.each(cases)('%s, %s', async (name, label) => {
      expect(above(await differential(builtinCell(name), backend, configs[label]!), TOL)).toEqual({});
    });
  });

  describe(`${backend} vs reference: sequence features`, () => {
    const features: Record<string, DiffConfig> = {
      'merge sum': { steps: 4, batch: 2, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, merge: 'sum' },
      'merge mul': { steps: 4, batch: 2, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, merge: 'mul' },
      'merge mean': { steps: 4, batch: 2, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, merge: 'mean' },
      'truncated BPTT k=2': { steps: 7, batch: 3, inputSize: 3, hiddenSize: 4, truncate: 2, lengths: [7, 5, 2], bidirectional: true },
      batchFirst: { steps: 5, batch: 2, inputSize: 3, hiddenSize: 4, batchFirst: true, lengths: [3, 5] },
      'odd sizes': { steps: 9, batch: 5, inputSize: 7, hiddenSize: 13, initialStates: true },
      'H=1': { steps: 3, batch: 2, inputSize: 1, hiddenSize: 1 },
    };
    it.each(Object.keys(features).flatMap((f) => ['lstm', 'gru_reset_before'].map((c) => [c, f] as const)))('%s, %s', async (cell, feature) => {
      expect(above(await differential(builtinCell(cell), backend, features[feature]!), TOL)).toEqual({});
    });
  });

  describe(`${backend} vs reference: inference mode (input projections in chunks of 64 steps)`, () => {
    it.each(['lstm', 'gru_reset_before'])('%s, T=150 across chunk boundaries, lengths, bidirectional, 2 layers', async (name) => {
      const { RNN } = await import('../../index.js');
      const { relativeError } = await import('./differential.js');
      const opts = { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 4 } as const;
      const [T, B] = [150, 3];
      const x = { data: Float64Array.from({ length: T * B * 3 }, (_, i) => Math.sin(i * 0.37)), shape: [T, B, 3] };
      const lengths = [150, 97, 64];
      const got = await new RNN(builtinCell(name), { ...opts, backend }).eval().forward(x, { lengths });
      const ref = await new RNN(builtinCell(name), { ...opts, backend: 'reference' }).eval().forward(x, { lengths });
      expect(relativeError(got.output.data, ref.output.data)).toBeLessThan(TOL);
      expect(relativeError(got.hN.data, ref.hN.data)).toBeLessThan(TOL);
    });
  });

  describe(`${backend}: a run leaves no global state behind`, () => {
    // Instrumentation left in a backend (a timer pushed to a global array on every run) is a leak that grows with
    // every forward of a training loop; this catches it for every backend.
    it('forward and backward add nothing to globalThis', async () => {
      const { RNN, tensor } = await import('../../index.js');
      const before = new Set(Reflect.ownKeys(globalThis));
      const rnn = new RNN(builtinCell('lstm'), { inputSize: 3, hiddenSize: 4, backend, seed: 2 });
      const x = tensor(Float32Array.from({ length: 3 * 2 * 3 }, (_, i) => Math.cos(i)), [3, 2, 3]);
      await rnn.eval().forward(x);
      await rnn.train().forward(x);
      await rnn.backward(tensor(new Float32Array(3 * 2 * 4).fill(1), [3, 2, 4]));
      rnn.dispose();
      expect(Reflect.ownKeys(globalThis).filter((k) => !before.has(k))).toEqual([]);
    });
  });

  describe(`${backend} vs reference: cells at the edges of the kernel plan`, () => {
    const cells: Record<string, string> = {
      'a cell that never reads x (zero input gradient)': `import { cell, linear, tanh } from 'cellforge/dsl';
  export default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('hh', h)) }));
  `,
      'a parameter added to the new state (its gradient is the state cotangent)': `import { cell, linear, param, tanh } from 'cellforge/dsl';
  export default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('ih', x) + linear('hh', h)) + param('ob') }));
  `,
    };
    it.each(Object.keys(cells))('%s', async (label) => {
      const { compileCell } = await import('../../index.js');
      const cfg: DiffConfig = { steps: 4, batch: 2, inputSize: 2, hiddenSize: 3, lengths: [4, 2], initialStates: true, bidirectional: true };
      expect(above(await differential(compileCell(cells[label]!), backend, cfg), TOL)).toEqual({});
    });
  });
}
