// Property: for random cells (random-cells.ts) and random small sizes, the derived backward agrees with float64
// central finite differences (runtime/gradcheck.ts) within 1e-6 on every parameter, the input and the initial states.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCell, RNN, type CompiledCell } from '../../../index.js';
import { gradcheck, type GradcheckConfig } from '../../../runtime/gradcheck.js';
import { randomCellSource } from './random-cells.js';

const TOL = 1e-6;

const sizesArb = fc.record({
  steps: fc.integer({ min: 1, max: 4 }),
  batch: fc.integer({ min: 1, max: 3 }),
  inputSize: fc.integer({ min: 1, max: 4 }),
  hiddenSize: fc.integer({ min: 1, max: 4 }),
  numLayers: fc.integer({ min: 1, max: 2 }),
  bidirectional: fc.boolean(),
  lengths: fc.boolean(),
  initialStates: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  /** How the two directions combine (ignored by one-directional RNNs). */
  merge: fc.constantFrom('concat' as const, 'sum' as const, 'mul' as const, 'mean' as const),
});

type Sizes = typeof sizesArb extends fc.Arbitrary<infer S> ? S : never;

/**
 * Central differences run the whole sequence twice per parameter, input and initial-state element, so the cost is
 * about (those elements) × (layers · directions) × T × B × (IR nodes of the step), at 1-4 µs per unit here.
 */
const WORK_BUDGET = 500_000;

/**
 * The gradcheck configuration of a cell:
 * - layerNorm is singular where its input has zero variance, a set of codimension H - 1 (see random-cells.ts).
 *   With H = 2 it is a smoothed sign of the difference of the two elements, a kink for finite differences; with
 *   H = 3 inputs near the singular set (a spread of ~0.01, where step-1e-5 central differences are off by up to
 *   ~1e-6 while the derived gradient matches 4th-order differences to 1e-8) are still too frequent. Cells with a
 *   layerNorm use H = 4 instead of 2 or 3.
 * - A big cell on a big stack would take tens of seconds: above the work budget it loses its second direction,
 *   then its second layer (small cells cover those).
 */
function configFor(cell: CompiledCell, sizes: Sizes): GradcheckConfig {
  const hasLayerNorm = cell.graph.params.some((p) => p.name.startsWith('weight_ln_'));
  const hiddenSize = hasLayerNorm && (sizes.hiddenSize === 2 || sizes.hiddenSize === 3) ? 4 : sizes.hiddenSize;
  let cfg: GradcheckConfig = { label: 'random cell', ...sizes, hiddenSize };
  const work = (c: GradcheckConfig): number => {
    const layers = c.numLayers ?? 1;
    const ld = layers * (c.bidirectional ? 2 : 1);
    const rnn = new RNN(cell, { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: layers, bidirectional: c.bidirectional ?? false, backend: 'reference' });
    const params = rnn.parameters().reduce((n, p) => n + p.data.length, 0);
    const elements = params + c.steps * c.batch * c.inputSize + (c.initialStates ? cell.states.length * ld * c.batch * c.hiddenSize : 0);
    return elements * ld * c.steps * c.batch * cell.graph.nodes.length;
  };
  if (work(cfg) > WORK_BUDGET && cfg.bidirectional) cfg = { ...cfg, bidirectional: false };
  if (work(cfg) > WORK_BUDGET && cfg.numLayers === 2) cfg = { ...cfg, numLayers: 1 };
  return cfg;
}

describe('autodiff property: random cells', () => {
  it('the generator writes every op of the language', () => {
    const sources = fc.sample(randomCellSource, { seed: 7, numRuns: 200 }).join('\n');
    const ops = ['sigmoid(', 'tanh(', 'relu(', 'exp(', 'log(', 'sqrt(', 'abs(', 'softplus(', 'min(', 'max(', 'mean(', 'sum(', 'layerNorm(', 'split(', 'param(', 'linear(', ' / ', ' * ', ' + ', ' - ', '(-'];
    expect(ops.filter((op) => !sources.includes(op))).toEqual([]);
    for (const states of ["state: ['h'] }", "state: ['h', 'c'] }", "state: ['h', 'c', 'm'] }"]) expect(sources).toContain(states);
  });

  it('the derived backward of every random cell matches finite differences', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(randomCellSource, sizesArb, async (source, sizes) => {
        const cell = compileCell(source);
        const cfg = configFor(cell, sizes);
        const rows = await gradcheck(cell, cfg);
        const bad = rows.filter((r) => !(r.error <= TOL));
        if (bad.length > 0) {
          const detail = bad.map((r) => `  ${r.name}: error ${r.error.toExponential(2)} (max |grad| ${r.maxGrad.toExponential(2)})`).join('\n');
          throw new Error(`gradcheck above ${TOL} with ${JSON.stringify(cfg)}:\n${detail}\ncell:\n${source}`);
        }
        // A check that compares zeros with zeros proves nothing: the input reaches the output through h.
        expect(rows.find((r) => r.name === 'input')!.maxGrad).toBeGreaterThan(0);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
