// The wasm backend against the float64 reference: the shared backend suite, plus what only wasm has
// (vector loops with and without a tail, per-step products on the thread pool, random cells).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { builtinCell, compileCell } from '../../../index.js';
import { caseArb, caseSource } from '../../../fuzz/cases.js';
import { backendSuite } from '../../helpers/backend-suite.js';
import { above, differential, results, type DiffConfig } from '../../helpers/differential.js';
import { poolOf, wasmBackend } from '../../../runtime/wasm/backend.js';

backendSuite('wasm');

const TOL = 1e-4;

describe('wasm vs reference: vector widths and threads', () => {
  const configs: Record<string, DiffConfig> = {
    'H=8 (vectors only), X=12': { steps: 6, batch: 4, inputSize: 12, hiddenSize: 8, lengths: [6, 1, 3, 5], bidirectional: true, initialStates: true },
    'H=3 (tail only), B=1': { steps: 5, batch: 1, inputSize: 2, hiddenSize: 3 },
    'H=21 (vectors and a tail), B=7, 2 layers': { steps: 7, batch: 7, inputSize: 9, hiddenSize: 21, numLayers: 2, lengths: [7, 7, 1, 2, 3, 6, 5] },
  };
  const cases = ['lstm', 'gru', 'lstm_layernorm', 'mgu'].flatMap((c) => Object.keys(configs).map((k) => [c, k] as const));
  it.each(cases)('%s, %s', async (cell, label) => {
    expect(above(await differential(builtinCell(cell), 'wasm', configs[label]!), TOL)).toEqual({});
  });
});

describe('wasm vs reference: work split over worker threads', () => {
  // The split threshold lowered to 1 multiply-add: everything that can be split is.
  const threaded = (cell: Parameters<typeof wasmBackend>[0]) => wasmBackend(cell, { threads: 2, minSplitWork: 1 });
  const configs: Record<string, DiffConfig> = {
    // examples split between the threads, each running the whole time loop for its own
    'B=13: time loops split by examples': { steps: 9, batch: 13, inputSize: 10, hiddenSize: 12, numLayers: 2, bidirectional: true, lengths: [9, 3, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 9], initialStates: true, truncate: 4 },
    // one example: each per-step product split between the threads (the pool held hot)
    'B=1: per-step products split': { steps: 6, batch: 1, inputSize: 10, hiddenSize: 20, numLayers: 2, bidirectional: true, initialStates: true },
  };
  const cases = [
    ...['lstm', 'gru', 'indrnn', 'lstm_layernorm'].map((c) => [c, 'B=13: time loops split by examples'] as const),
    // (indrnn has no per-step product to split)
    ...['lstm', 'gru', 'lstm_layernorm'].map((c) => [c, 'B=1: per-step products split'] as const),
  ];
  it.each(cases)('%s, %s', async (name, label) => {
    const pool = await poolOf(2, 1);
    const before = pool.splitCount;
    expect(above(await differential(builtinCell(name), threaded, configs[label]!), TOL)).toEqual({});
    expect(pool.splitCount).toBeGreaterThan(before);
  });
});

describe('wasm: splitting work over threads changes no bit', () => {
  // Rows and panels of a product, and examples of a time loop, are computed by the same instructions whichever
  // thread runs them, and bias gradients are summed in row order after the loop: so a threaded run must equal
  // the one-thread run exactly, on random cells and configurations (the one-thread run is fuzzed against the
  // reference elsewhere).
  const run = (cell: ReturnType<typeof compileCell>, cfg: DiffConfig, threads: number) => results(cell, (c) => wasmBackend(c, { threads, minSplitWork: 1 }), cfg);
  it('40 random cells and configurations (seeded): 2 threads equal 1 thread', async () => {
    const cases = fc.sample(caseArb('all'), { numRuns: 40, seed: 77 });
    for (const c of cases) {
      const cell = compileCell(caseSource(c));
      // at least two examples, so the time loops split too
      const cfg = c.config.batch > 1 ? c.config : { ...c.config, batch: 2, ...(c.config.lengths ? { lengths: [...c.config.lengths, c.config.steps] } : {}) };
      expect(await run(cell, cfg, 2), caseSource(c)).toEqual(await run(cell, cfg, 1));
    }
  }, 60_000);
});

describe('wasm vs reference: without the relaxed-SIMD multiply-add (engines that lack it)', () => {
  const plain = (cell: Parameters<typeof wasmBackend>[0]) => wasmBackend(cell, { threads: 1, fma: false });
  const cfg: DiffConfig = { steps: 7, batch: 8, inputSize: 9, hiddenSize: 14, numLayers: 2, bidirectional: true, lengths: [7, 1, 3, 5, 7, 2, 6, 4], initialStates: true };
  it.each(['lstm', 'gru', 'lstm_peephole'])('%s', async (name) => {
    expect(above(await differential(builtinCell(name), plain, cfg), TOL)).toEqual({});
  });
});
