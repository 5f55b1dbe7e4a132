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
import { nativeLibrary } from '../../runtime/native/library.js';
import { cProgram } from '../../compiler/codegen/c/program.js';
import type { CompiledCell } from '../../compiler/compiled-cell.js';
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

  /** A native backend on `threads` threads that shares every time loop and product (shareFrom 0: no size
   * threshold), remembering its cells so that a test can ask the library how many threads its last loop had. */
  const sharing = (threads: number, used: CompiledCell[] = []) => (cell: CompiledCell) => {
    used.push(cell);
    return nativeBackend(cell, { threads, shareFrom: 0 });
  };
  const lastTeam = async (cell: CompiledCell, cfg: DiffConfig) => (await nativeLibrary(cell, { X: cfg.inputSize, H: cfg.hiddenSize })).lastTeam();

  /** A sharing backend that records how each forward's time loop was split (the backward's may differ). */
  const watched = (threads: number, splits: string[]) => (cell: CompiledCell) => {
    const backend = nativeBackend(cell, { threads, shareFrom: 0 });
    return {
      ...backend,
      async forwardDirection(run: Parameters<typeof backend.forwardDirection>[0]) {
        const result = await backend.forwardDirection(run);
        const team = (await nativeLibrary(cell, run.dims)).lastTeam();
        splits.push(team.byUnits ? `units/${team.threads}` : team.byExamples ? `examples/${team.threads}` : `panels/${team.threads}`);
        return result;
      },
    };
  };

  describe('native vs reference: time loops and products split over threads', () => {
    // 3 threads, B=13: each step's products split by weight panels, the fused loops by examples (5, 4, 4 here and
    // in the second layer), the hoisted and deferred products by tiles.
    const cfg: DiffConfig = { steps: 9, batch: 13, inputSize: 40, hiddenSize: 70, numLayers: 2, bidirectional: true, lengths: [9, 3, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 9], initialStates: true, truncate: 4 };
    it.each(['lstm', 'gru', 'indrnn', 'lstm_layernorm'])('%s', async (name) => {
      const used: CompiledCell[] = [];
      expect(above(await differential(builtinCell(name), sharing(3, used), cfg), TOL)).toEqual({});
      expect(await lastTeam(used[0]!, cfg)).toEqual({ threads: 3, byExamples: false, byUnits: false });
    });
  });

  describe('native vs reference: a forward split by units (H a whole number of panels)', () => {
    // Odd and even step counts (the states' two buffers end either way round), examples that end early (their
    // states carried), both directions, two layers, initial states, truncated BPTT over the forward's tape.
    const odd: DiffConfig = { steps: 7, batch: 5, inputSize: 20, hiddenSize: 32, numLayers: 2, bidirectional: true, lengths: [7, 2, 5, 1, 6], initialStates: true };
    const even: DiffConfig = { steps: 6, batch: 9, inputSize: 12, hiddenSize: 64, lengths: [6, 6, 3, 1, 6, 2, 5, 4, 6], initialStates: true, truncate: 4 };
    it.each(['lstm', 'gru', 'gru_reset_before', 'mgu', 'indrnn', 'rnn_tanh'].flatMap((c) => [[c, 'odd steps, 3 threads', odd, 3], [c, 'even steps, 2 threads', even, 2]] as const))('%s, %s', async (name, _label, cfg, threads) => {
      const splits: string[] = [];
      expect(above(await differential(builtinCell(name), watched(threads, splits), cfg), TOL)).toEqual({});
      expect(new Set(splits)).toEqual(new Set([`units/${threads}`]));
    });
    it('lstm_layernorm (a reduction over the units) keeps the split by panels', async () => {
      const splits: string[] = [];
      expect(above(await differential(builtinCell('lstm_layernorm'), watched(2, splits), even), TOL)).toEqual({});
      expect(new Set(splits)).toEqual(new Set(['panels/2']));
    });
    it('a new state from an earlier phase than the commit (read back from its scratch) and one from the last (its vector)', async () => {
      const source = [
        `import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';`,
        `export default cell({ state: ['a', 'b'] }, (x, { a, b }) => {`,
        `  const a2 = tanh(linear('xa', x) + linear('aa', a));`,
        `  const b2 = sigmoid(linear('ab', a2) + b);`,
        `  return { a: a2, b: b2 };`,
        `});`,
      ].join('\n');
      const cell = compileCell(source);
      for (const [cfg, threads] of [[odd, 3], [even, 2]] as const) {
        const splits: string[] = [];
        expect(above(await differential(cell, watched(threads, splits), cfg), TOL)).toEqual({});
        expect(new Set(splits)).toEqual(new Set([`units/${threads}`]));
      }
    });
    it('8 random cells at H=32 (seeded): 2 threads equal 1 thread, and the reference', async () => {
      const cases = fc.sample(caseArb('all'), { numRuns: 8, seed: 31 });
      for (const c of cases) {
        const cell = compileCell(caseSource(c));
        const cfg = { ...c.config, hiddenSize: 32, batch: Math.max(2, c.config.batch), lengths: undefined };
        const splits: string[] = [];
        const two = await results(cell, watched(2, splits), cfg);
        expect(two, caseSource(c)).toEqual(await results(cell, watched(1, []), cfg));
        expect(above(await differential(cell, watched(2, []), cfg), TOL), caseSource(c)).toEqual({});
        expect(splits.every((s) => s === 'units/2' || s === 'panels/2'), splits.join()).toBe(true);
      }
    }, 120_000);
  });

  describe('native vs reference: chunks of a product that the cell drops are not computed (H a multiple of 32)', () => {
    // MGU and GRU with the reset gate before the product read one part of weight_hh·h and another of
    // weight_hh·(gate ⊙ h) (compiler/plan/read-blocks.ts); the third cell adds a reduction, so its forward runs the
    // products by panels instead of unit by unit.
    const reduced = compileCell(`import { cell, linear, mean, sigmoid, tanh } from 'cellforge/dsl';
export default cell({ state: ['h'] }, (x, { h }) => {
  const [xf, xn] = linear('ih', x, 2);
  const [hf, ,] = linear('hh', h, 2);
  const f = sigmoid(xf + hf);
  const g = f * h - mean(f * h);
  const [, hn] = linear('hh', g, 2);
  return { h: (1 - f) * h + f * tanh(xn + hn) };
});
`);
    const cells: Record<string, CompiledCell> = { mgu: builtinCell('mgu'), gru_reset_before: builtinCell('gru_reset_before'), 'mgu with a mean over the units': reduced };
    const configs: Record<string, { cfg: DiffConfig; threads: number; split: (cell: string) => string }> = {
      '1 thread': { cfg: { steps: 5, batch: 3, inputSize: 8, hiddenSize: 32, lengths: [5, 2, 4], initialStates: true, bidirectional: true }, threads: 1, split: () => 'panels/1' }, // one thread: no split (lastTeam's default label)
      '40 examples on 2 threads (by examples)': { cfg: { steps: 6, batch: 40, inputSize: 10, hiddenSize: 32, lengths: Array.from({ length: 40 }, (_, b) => 1 + (b % 6)), truncate: 4 }, threads: 2, split: () => 'examples/2' },
      '5 examples on 2 threads (by units or panels), H=64': { cfg: { steps: 7, batch: 5, inputSize: 12, hiddenSize: 64, lengths: [7, 3, 1, 6, 7], initialStates: true, bidirectional: true }, threads: 2, split: (c) => (c === 'mgu with a mean over the units' ? 'panels/2' : 'units/2') },
    };
    it.each(Object.keys(cells).flatMap((c) => Object.keys(configs).map((k) => [c, k] as const)))('%s, %s', async (name, label) => {
      const { cfg, threads, split } = configs[label]!;
      const cell = cells[name]!;
      const splits: string[] = [];
      expect(above(await differential(cell, watched(threads, splits), cfg), TOL)).toEqual({});
      expect(new Set(splits)).toEqual(new Set([split(name)]));
      if (threads > 1) expect(await results(cell, watched(threads, []), cfg)).toEqual(await results(cell, watched(1, []), cfg));
    }, 60_000);
    it('the generated C multiplies only the columns read and the rows that are not zeros: one block of H per product of MGU', () => {
      const source = cProgram(builtinCell('mgu'), { X: 8, H: 32 }).source;
      // forward, unit by unit: one call per block read (two products, one block each); all units: 32 columns, not 64
      expect(source.match(/gemm\(b1 - b0, u1 - u0, 32, /g)).toHaveLength(2);
      expect(source.match(/gemm\(b1 - b0, \d+, 32, /g)).toEqual(['gemm(b1 - b0, 32, 32, ', 'gemm(b1 - b0, 32, 32, ']);
      // backward: each step's product with weight_hh runs over the 32 rows of K (of 64) where its cotangent is not zero
      expect(source.match(/gemm_share\(tm, B, 32, 64, \d+, \d+,/g)?.sort()).toEqual(['gemm_share(tm, B, 32, 64, 0, 32,', 'gemm_share(tm, B, 32, 64, 32, 64,']);
      // and each of weight_hh's two gradient products adds to the 32 rows its cotangent reaches
      expect(source.match(/gemm\(\d+, 32, \(idx\)T \* B, /g)).toEqual(['gemm(32, 32, (idx)T * B, ', 'gemm(32, 32, (idx)T * B, ']);
    });
  });

  describe('native: the thread count changes no bit', () => {
    // Each element of a product is the same chain of multiply-adds whichever thread, panel or row tile computes it,
    // examples' fused loops do not depend on their neighbours, and bias gradients are summed in row order after the
    // loop: so any thread count gives the same bits.
    const run = (cell: CompiledCell, cfg: DiffConfig, threads: number) => results(cell, sharing(threads), cfg);
    it('lstm: 1, 2 and 3 threads, variable lengths, both directions', async () => {
      const cfg: DiffConfig = { steps: 12, batch: 11, inputSize: 64, hiddenSize: 96, bidirectional: true, lengths: [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2], initialStates: true };
      const cell = builtinCell('lstm');
      const one = await run(cell, cfg, 1);
      expect(await lastTeam(cell, cfg)).toEqual({ threads: 1, byExamples: false, byUnits: false });
      expect(await run(cell, cfg, 2)).toEqual(one);
      expect(await lastTeam(cell, cfg)).toEqual({ threads: 2, byExamples: false, byUnits: false });
      expect(await run(cell, cfg, 3)).toEqual(one);
      expect(await lastTeam(cell, cfg)).toEqual({ threads: 3, byExamples: false, byUnits: false });
    }, 60_000);
    it('gru with one example on 2 threads: the second thread has weight panels and no example', async () => {
      const cfg: DiffConfig = { steps: 30, batch: 1, inputSize: 16, hiddenSize: 100, initialStates: true };
      const cell = builtinCell('gru');
      const one = await run(cell, cfg, 1);
      expect(await run(cell, cfg, 2)).toEqual(one);
      expect(await lastTeam(cell, cfg)).toEqual({ threads: 2, byExamples: false, byUnits: false });
    }, 60_000);
    it('mgu with 40 examples and small weights on 2 threads: split by examples alone', async () => {
      const cfg: DiffConfig = { steps: 9, batch: 40, inputSize: 12, hiddenSize: 24, bidirectional: true, lengths: Array.from({ length: 40 }, (_, b) => 1 + (b % 9)), initialStates: true };
      const cell = builtinCell('mgu');
      const one = await run(cell, cfg, 1);
      expect(await run(cell, cfg, 2)).toEqual(one);
      expect(await lastTeam(cell, cfg)).toEqual({ threads: 2, byExamples: true, byUnits: false });
    }, 60_000);
    // Split by examples alone: each thread its examples, all units, one product a step (GRU at H = 64, unit by
    // unit), and an uneven split (LSTM, 50 examples on 3 threads: 17, 17 and 16).
    const byExamples: [string, string, number, DiffConfig][] = [
      ['gru', 'H = 64 (unit by unit), 40 examples', 2, { steps: 7, batch: 40, inputSize: 10, hiddenSize: 64, lengths: Array.from({ length: 40 }, (_, b) => 1 + (b % 7)), initialStates: true }],
      ['lstm', '50 examples', 3, { steps: 11, batch: 50, inputSize: 9, hiddenSize: 20, lengths: Array.from({ length: 50 }, (_, b) => 11 - (b % 11)), initialStates: true }],
    ];
    it.each(byExamples)('%s, %s, on %i threads: split by examples alone, the same bits as 1 thread', async (name, _label, threads, cfg) => {
      const cell = builtinCell(name);
      const one = await run(cell, cfg, 1);
      expect(await run(cell, cfg, threads)).toEqual(one);
      expect(await lastTeam(cell, cfg)).toEqual({ threads, byExamples: true, byUnits: false });
      expect(above(await differential(cell, sharing(threads), cfg), TOL)).toEqual({});
    }, 60_000);
    it('without shareFrom: a small loop stays on one thread; a large one is shared by examples or by panels', async () => {
      const cell = builtinCell('lstm');
      const small: DiffConfig = { steps: 4, batch: 3, inputSize: 8, hiddenSize: 16 };
      await results(cell, (c) => nativeBackend(c, { threads: 2 }), small);
      expect(await lastTeam(cell, small)).toEqual({ threads: 1, byExamples: false, byUnits: false });
      // ~6 M multiply-adds (T·B·(4H·H + 16H a phase), H = 16): under 2²³, where waking a second thread costs more
      // than it gains
      const under: DiffConfig = { steps: 100, batch: 40, inputSize: 16, hiddenSize: 16 };
      await results(cell, (c) => nativeBackend(c, { threads: 2 }), under);
      expect(await lastTeam(cell, under)).toEqual({ threads: 1, byExamples: false, byUnits: false });
      // T·B·(4H·H + 16H a phase) multiply-adds ≥ 2²³ in both; 40 examples and 64 KiB of weights: by examples;
      // 8 examples and 1 MiB of weights: each step's products by panels.
      const many: DiffConfig = { steps: 100, batch: 40, inputSize: 16, hiddenSize: 64 };
      await results(cell, (c) => nativeBackend(c, { threads: 2 }), many);
      expect(await lastTeam(cell, many)).toEqual({ threads: 2, byExamples: true, byUnits: false });
      const wide: DiffConfig = { steps: 110, batch: 8, inputSize: 16, hiddenSize: 256 };
      await results(cell, (c) => nativeBackend(c, { threads: 2 }), wide);
      expect(await lastTeam(cell, wide)).toEqual({ threads: 2, byExamples: false, byUnits: false });
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

  describe('native: the differential fuzzer (fuzz/run.ts)', () => {
    // Each random cell is a new library to compile (~0.5-1 s), so fewer runs than the js/wasm fuzz test.
    it('16 runs with seed 20240611 (all forms)', async () => {
      const result = await fuzz({ runs: 16, seed: 20_240_611, forms: 'all', backends: ['native'] });
      expect(result.message ?? '').toBe('');
      expect(result.runs).toBe(16);
    }, 240_000);
  });
});
