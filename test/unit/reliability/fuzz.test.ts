// The differential fuzzer of `npm run fuzz` (fuzz/run.ts) as a test: a fixed seed, 150 runs, every backend that
// runs here against the float64 reference, forward and backward, tolerance 1e-4 of the max magnitude.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCell } from '../../../index.js';
import { caseArb, caseSource, type FuzzCase } from '../../../fuzz/cases.js';
import { checkCase } from '../../../fuzz/check.js';
import { availableBackends, fuzz } from '../../../fuzz/run.js';
import { above, differential, type DiffConfig } from '../../helpers/differential.js';

const RUNS = 150;
const SEED = 20_240_611;

describe('differential fuzz: random cells and configurations against the reference', () => {
  it(`${RUNS} runs with seed ${SEED} (all forms)`, async () => {
    const { available } = await availableBackends();
    expect(available).toContain('js');
    expect(available).toContain('wasm'); // Node 20+ has WebAssembly SIMD128 and SharedArrayBuffer
    const result = await fuzz({ runs: RUNS, seed: SEED, forms: 'all', backends: available });
    // On failure, the message is the shrunk counterexample: backend, results above tolerance, config, cell source.
    expect(result.message ?? '').toBe('');
    expect(result.runs).toBe(RUNS);
  }, 120_000);

  it('the exposed forms (a parameter or an input projection added to a new state) are valid cells', () => {
    for (const c of fc.sample(caseArb('all'), { numRuns: 60, seed: SEED })) {
      const source = caseSource(c);
      const cell = compileCell(source);
      expect(cell.states.length).toBe(c.cell.states.length);
    }
    const exposed: FuzzCase = {
      cell: { states: [{ expr: { kind: 'state', state: 0 } }, { expr: { kind: 'ih', chunks: 1, index: 0 } }] },
      tails: ['param', 'linear', 'none'],
      config: { steps: 1, batch: 1, inputSize: 1, hiddenSize: 1 },
    };
    expect(caseSource(exposed)).toContain(`return { h: h_next + param('ob_h'), c: c_next + linear('ob_c', x) };`);
    expect(caseSource(exposed)).toMatch(/^import \{ cell, linear, param, tanh \} from 'cellforge\/dsl';/);
  });

  // Regression (found by this fuzzer): when a parameter's or the input's gradient is the incoming state cotangent
  // itself, the backward commit used to overwrite C_k before accumulating from it (js and webgpu).
  it.each([
    [
      'h_next + param(ob_h)',
      `import { cell, linear, param, tanh } from 'cellforge/dsl';

export default cell({ state: ['h'] }, (x, { h }) => {
  const h_next = tanh(linear('ih_0', x) + linear('hh_0', h));
  return { h: h_next + param('ob_h') };
});
`,
    ],
    [
      'a linear RNN h = W_ih x + b_ih + W_hh h + b_hh',
      `import { cell, linear } from 'cellforge/dsl';

export default cell({ state: ['h'] }, (x, { h }) => {
  return { h: linear('ih', x) + linear('hh', h) };
});
`,
    ],
    [
      'layerNorm as the new state (its bias gradient)',
      `import { cell, layerNorm, linear } from 'cellforge/dsl';

export default cell({ state: ['h'] }, (x, { h }) => {
  return { h: layerNorm('ln', linear('ih', x) + linear('hh', h)) };
});
`,
    ],
  ])('gradients when a state cotangent is a parameter gradient: %s', async (_label, source) => {
    const cell = compileCell(source);
    const backends = (await availableBackends()).available;
    const configs: DiffConfig[] = [
      { steps: 1, batch: 1, inputSize: 1, hiddenSize: 1 },
      { steps: 4, batch: 2, inputSize: 3, hiddenSize: 3, numLayers: 2, bidirectional: true, lengths: [4, 2], initialStates: true },
    ];
    for (const config of configs) {
      for (const backend of backends) expect({ backend, bad: above(await differential(cell, backend, config), 1e-4) }).toEqual({ backend, bad: {} });
    }
    // The same through the fuzzer's property, for the record.
    await checkCase({ cell: { states: [{ expr: { kind: 'ih', chunks: 1, index: 0 } }] }, tails: ['param', 'none', 'none'], config: { steps: 1, batch: 1, inputSize: 1, hiddenSize: 1 } }, backends);
  });
});
