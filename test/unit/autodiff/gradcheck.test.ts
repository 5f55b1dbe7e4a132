// The derived backward of every sample cell and every op against float64 central finite differences.
import { describe, expect, it } from 'vitest';
import { builtinCell, builtinNames, compileCell } from '../../../index.js';
import { defaultGradcheckConfigs, gradcheck, type GradcheckConfig } from '../../../runtime/gradcheck.js';

const TOL = 1e-6;

async function worst(cellSpec: string, cfg: GradcheckConfig) {
  const rows = await gradcheck(compileCell(cellSpec), cfg);
  return Object.fromEntries(rows.filter((r) => r.error > TOL).map((r) => [r.name, r.error]));
}

describe('gradcheck: every sample cell', () => {
  const cases = builtinNames().flatMap((name) => defaultGradcheckConfigs.map((cfg) => [name, cfg.label, cfg] as const));
  it.each(cases)('%s, %s', async (name, _label, cfg) => {
    const rows = await gradcheck(builtinCell(name), cfg);
    expect(rows.length).toBeGreaterThan(2);
    // A check that compares zeros with zeros proves nothing: most gradients must be non-trivial.
    expect(rows.filter((r) => r.maxGrad > 1e-3).length).toBeGreaterThan(rows.length / 2);
    expect(Object.fromEntries(rows.filter((r) => r.error > TOL).map((r) => [r.name, r.error]))).toEqual({});
  });
});

describe('gradcheck: merge modes', () => {
  it.each(['sum', 'mul', 'mean'] as const)('bidirectional gru with merge %s, 2 layers', async (merge) => {
    expect(await worst('gru', { label: merge, steps: 3, batch: 2, inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, merge, lengths: true, initialStates: true })).toEqual({});
  });
});

/** Every op alone, applied to a pre-activation that depends on x and h, so its VJP is on the gradient path. */
const opCells: Record<string, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / (2 + b * b)',
  neg: '-a',
  sigmoid: 'sigmoid(a)',
  tanh: 'tanh(a)',
  relu: 'relu(a)',
  exp: 'exp(tanh(a))',
  log: 'log(2 + tanh(a))',
  sqrt: 'sqrt(1 + a * a)',
  abs: 'abs(a)',
  softplus: 'softplus(a)',
  min: 'min(a, b)',
  max: 'max(a, b)',
  mean: 'tanh(a - mean(a))',
  sum: 'tanh(a * sum(b) / 4)',
  param: "tanh(a * param('scale'))",
  layerNorm: "layerNorm('ln', a)",
  split: 'tanh(s0 * s1 + a)',
};

const opSource = (expr: string) => `import { cell, linear, param, layerNorm, split, sigmoid, tanh, relu, exp, log, sqrt, abs, softplus, min, max, mean, sum } from 'cellforge/dsl';
export default cell({ state: ['h'] }, (x, { h }) => {
  const a = linear('ih', x) + linear('hh', h);
  const b = linear('b', x);
  const [s0, s1] = split(linear('two', h, 2), 2);
  return { h: ${expr} };
});
`;

describe('gradcheck: every op alone', () => {
  it.each(Object.entries(opCells))('%s', async (_op, expr) => {
    const cfg: GradcheckConfig = { label: 'op', steps: 3, batch: 2, inputSize: 3, hiddenSize: 4, initialStates: true, lengths: true };
    expect(await worst(opSource(expr), cfg)).toEqual({});
  });
});
