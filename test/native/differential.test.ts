// The native backend against the float64 reference: the shared backend suite, plus what only native has (vector
// loops with and without a tail at the machine's width, time loops split over threads) and the fuzzer's cells.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { builtinCell, compileCell } from '../../index.js';
import { caseArb, caseSource } from '../../fuzz/cases.js';
import { backendSuite } from '../helpers/backend-suite.js';
import { describeWith } from '../helpers/component.js';
import { above, differential, results, type DiffConfig } from '../helpers/differential.js';
import { nativeBackend } from '../../runtime/native/backend.js';
import { findToolchain } from '../../runtime/native/toolchain.js';
import { fuzz } from '../../fuzz/run.js';

const toolchain = await findToolchain();
const missing = typeof toolchain === 'string' ? toolchain : null;
const TOL = 1e-4;

describeWith('C compiler', missing, 'native backend', () => {
  backendSuite('native');

  describe('native vs reference: vector widths and threads', () => {
    const configs: Record<string, DiffConfig> = {
      'H=16 (vectors only), X=12': { steps: 6, batch: 4, inputSize: 12, hiddenSize: 16, lengths: [6, 1, 3, 5], bidirectional: true, initialStates: true },
      'H=3 (tail only), B=1': { steps: 5, batch: 1, inputSize: 2, hiddenSize: 3 },
      'H=21 (vectors and a tail), B=7, 2 layers': { steps: 7, batch: 7, inputSize: 9, hiddenSize: 21, numLayers: 2, lengths: [7, 7, 1, 2, 3, 6, 5] },
    };
    const cases = ['lstm', 'gru', 'lstm_layernorm', 'mgu'].flatMap((c) => Object.keys(configs).map((k) => [c, k] as const));
    it.each(cases)('%s, %s', async (cell, label) => {
      expect(above(await differential(builtinCell(cell), 'native', configs[label]!), TOL)).toEqual({});
    });
  });

  describe('native vs reference: time loops and products split over threads', () => {
    const threaded = (cell: Parameters<typeof nativeBackend>[0]) => nativeBackend(cell, { threads: 3 });
    // B=13 and products large enough that the library splits the examples and the tiles of every product
    const cfg: DiffConfig = { steps: 9, batch: 13, inputSize: 40, hiddenSize: 70, numLayers: 2, bidirectional: true, lengths: [9, 3, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 9], initialStates: true, truncate: 4 };
    it.each(['lstm', 'gru', 'indrnn', 'lstm_layernorm'])('%s', async (name) => {
      expect(above(await differential(builtinCell(name), threaded, cfg), TOL)).toEqual({});
    });
  });

  describe('native: the differential fuzzer (fuzz/run.ts)', () => {
    // Each random cell is a new library to compile (~0.5-1 s), so fewer runs than the js/wasm fuzz test.
    it('16 runs with seed 20240611 (all forms)', async () => {
      const result = await fuzz({ runs: 16, seed: 20_240_611, forms: 'all', backends: ['native'] });
      expect(result.message ?? '').toBe('');
      expect(result.runs).toBe(16);
    }, 240_000);
  });

  describe('native: the thread count changes no bit', () => {
    // Examples of a time loop and tiles of a product are computed by the same instructions whichever thread runs
    // them, and bias gradients are summed in row order after the loop: so any thread count gives the same bits.
    const run = (cell: ReturnType<typeof compileCell>, cfg: DiffConfig, threads: number) => results(cell, (c) => nativeBackend(c, { threads }), cfg);
    it('lstm at sizes where every product is split: 1, 2 and 3 threads', async () => {
      const cfg: DiffConfig = { steps: 12, batch: 11, inputSize: 64, hiddenSize: 96, bidirectional: true, lengths: [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2], initialStates: true };
      const one = await run(builtinCell('lstm'), cfg, 1);
      expect(await run(builtinCell('lstm'), cfg, 2)).toEqual(one);
      expect(await run(builtinCell('lstm'), cfg, 3)).toEqual(one);
    }, 60_000);
    it('12 random cells and configurations (seeded): 2 threads equal 1 thread', async () => {
      const cases = fc.sample(caseArb('all'), { numRuns: 12, seed: 77 });
      for (const c of cases) {
        const cell = compileCell(caseSource(c));
        const cfg = c.config.batch > 1 ? c.config : { ...c.config, batch: 2, ...(c.config.lengths ? { lengths: [...c.config.lengths, c.config.steps] } : {}) };
        expect(await run(cell, cfg, 2), caseSource(c)).toEqual(await run(cell, cfg, 1));
      }
    }, 120_000);
  });
});
