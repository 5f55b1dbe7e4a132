// Numerics at the extremes: inputs up to ±1e4 and weights up to ±100 (initial states up to ±1e4 too), for every
// sample cell and a few single-op cells, on the float64 `reference` and the float32 `js` backend:
//   1. no NaN or Inf anywhere (output, final states, dInput, dState0, every weight gradient), on either backend;
//   2. js agrees with reference within 1e-4 of the max magnitude, unless the problem itself is worse conditioned
//      than that at float32 precision (see `conditioning`), in which case within 8× the reference's own spread;
//   3. values beyond the float32 range (unbounded cells over many steps) never come back as finite, wrong numbers;
//   4. a NaN in the input is never turned into a finite number (relu's float64 rule and the `step` op, the
//      derivative of relu, min and max, used to map NaN to 0: see ir/ops.ts).
//
// All inputs and weights are float32-representable (Math.fround), so that both backends see the same problem.
import { describe, expect, it } from 'vitest';
import { builtinCell, builtinNames, compileCell, RNN, type BackendName, type CompiledCell, type Tensor } from '../../../index.js';
import { Random } from '../../../runtime/random.js';
import { collect } from '../../helpers/differential.js';

const TOL = 1e-4;
const X_MAX = 1e4;
const W_MAX = 100;

/** One-state cells that put a single op at the extremes; `a` is a pre-activation of order |x|·|W|·X ≈ 1e6. */
const OP_BODIES: Record<string, string> = {
  sigmoid: `sigmoid(linear('ih', x) + linear('hh', h))`,
  tanh: `tanh(linear('ih', x) + linear('hh', h))`,
  softplus: `softplus(linear('ih', x) + linear('hh', h))`,
  'exp(tanh)': `exp(tanh(linear('ih', x) + linear('hh', h)))`,
  'log(2+tanh)': `log(2 + tanh(linear('ih', x) + linear('hh', h)))`,
  layerNorm: `tanh(layerNorm('ln', linear('ih', x) + linear('hh', h)))`,
  'div (safe denominator)': `linear('ih', x) / (1.5 + linear('hh', h) * linear('hh', h))`,
  'sqrt(1+a²)': `tanh(sqrt(1 + linear('ih', x) * linear('ih', x)) - linear('hh', h))`,
  'min/max/abs': `tanh(max(linear('ih', x), abs(h)) - min(linear('hh', h), relu(h)))`,
  'mean/sum': `tanh(linear('ih', x) * mean(h) + sum(linear('hh', h)))`,
};

function opCell(body: string): CompiledCell {
  return compileCell(`import { abs, cell, exp, layerNorm, linear, log, max, mean, min, relu, sigmoid, softplus, sqrt, sum, tanh } from 'cellforge/dsl';

export default cell({ state: ['h'] }, (x, { h }) => {
  return { h: ${body} };
});
`);
}

interface Run {
  readonly steps: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly lengths?: number[];
  readonly seed: number;
}

/** Relative perturbation of every input and weight (eps 0: none), stream `p`. */
interface Perturbation {
  readonly eps: number;
  readonly stream: number;
}

type Arrays = Record<string, ArrayLike<number>>;

/** Forward and backward with extreme, float32-representable values; every result array by name. */
async function extremeRun(cell: CompiledCell, backend: BackendName, cfg: Run, perturb: Perturbation = { eps: 0, stream: 0 }): Promise<Arrays> {
  const { steps: T, batch: B, inputSize: X, hiddenSize: H } = cfg;
  const LD = cfg.numLayers * (cfg.bidirectional ? 2 : 1);
  const rng = new Random(cfg.seed, 7);
  const noise = new Random(cfg.seed * 31 + perturb.stream, 8);
  const value = (scale: number) => {
    const v = Math.fround(rng.uniform(-scale, scale));
    return perturb.eps === 0 ? v : v * (1 + perturb.eps * noise.uniform(-1, 1));
  };
  const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, backend });
  const weights: Record<string, Tensor> = {};
  for (const p of rnn.parameters()) weights[p.name] = { data: Float64Array.from(p.data, () => value(W_MAX)), shape: p.shape };
  rnn.loadStateDict(weights);
  const x: Tensor = { data: Float64Array.from({ length: T * B * X }, () => value(X_MAX)), shape: [T, B, X] };
  const states: Record<string, Tensor> = {};
  for (const s of cell.states) states[s] = { data: Float64Array.from({ length: LD * B * H }, () => value(X_MAX)), shape: [LD, B, H] };
  const fwd = await rnn.forward(x, { states, ...(cfg.lengths ? { lengths: cfg.lengths } : {}) });
  const g: Tensor = { data: Float64Array.from(fwd.output.data, () => Math.fround(rng.uniform(-1, 1))), shape: fwd.output.shape };
  return collect(cell, fwd, await rnn.backward(g));
}

/** The arrays with a NaN or an infinity, and how many such values each has. */
function nonFinite(arrays: Arrays): Record<string, string> {
  const bad: Record<string, string> = {};
  for (const [name, a] of Object.entries(arrays)) {
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i])) nan++;
      else if (!Number.isFinite(a[i]!)) inf++;
    }
    if (nan + inf > 0) bad[name] = `${nan} NaN, ${inf} Inf of ${a.length}`;
  }
  return bad;
}

/** max |a − b| / max(1, max |b|), over the elements where both are finite. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/**
 * How far the float64 reference itself moves when every input and weight is perturbed by float32 rounding
 * (relative 2^-24): the best agreement any float32 computation can promise on this problem. At |preact| ≈ 1e6
 * one float32 ulp is 0.06, so a gate that lands in its non-saturated range, or a chaotic recurrence (the div
 * cell over many steps), is not determined to 1e-4 by float32 data at all.
 */
async function conditioning(cell: CompiledCell, cfg: Run): Promise<Record<string, number>> {
  const ref = await extremeRun(cell, 'reference', cfg);
  const spread: Record<string, number> = {};
  for (const stream of [1, 2, 3]) {
    const moved = await extremeRun(cell, 'reference', cfg, { eps: 2 ** -24, stream });
    for (const k of Object.keys(ref)) spread[k] = Math.max(spread[k] ?? 0, relErr(moved[k]!, ref[k]!));
  }
  return spread;
}

const cells: [string, () => CompiledCell][] = [
  ...builtinNames().map((n) => [n, () => builtinCell(n)] as [string, () => CompiledCell]),
  ...Object.entries(OP_BODIES).map(([label, body]) => [`op ${label}`, () => opCell(body)] as [string, () => CompiledCell]),
];

/** T = 4 keeps even the unbounded cells (relu, IndRNN, softplus: growth ≈ (|W|·H)^T) inside the float32 range. */
const EXTREME: Run = { steps: 4, batch: 3, inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, lengths: [4, 2, 3], seed: 3 };

describe('numerics at the extremes (|x| ≤ 1e4, |W| ≤ 100): no NaN, no Inf', () => {
  it.each(cells)('%s', async (_label, make) => {
    const cell = make();
    for (const backend of ['reference', 'js'] as const) {
      expect({ backend, nonFinite: nonFinite(await extremeRun(cell, backend, EXTREME)) }).toEqual({ backend, nonFinite: {} });
    }
  });
});

describe('numerics at the extremes: js agrees with the float64 reference', () => {
  const seeds = [3, 11, 23];
  it.each(cells)('%s', async (_label, make) => {
    const cell = make();
    for (const seed of seeds) {
      const cfg = { ...EXTREME, seed };
      const [js, ref, spread] = [await extremeRun(cell, 'js', cfg), await extremeRun(cell, 'reference', cfg), await conditioning(cell, cfg)];
      const bad: Record<string, string> = {};
      for (const k of Object.keys(ref)) {
        const err = relErr(js[k]!, ref[k]!);
        const tol = Math.max(TOL, 8 * spread[k]!);
        if (!(err <= tol)) bad[k] = `error ${err.toExponential(2)} > ${tol.toExponential(2)} (reference spread ${spread[k]!.toExponential(2)})`;
      }
      expect({ seed, bad }).toEqual({ seed, bad: {} });
    }
  });
});

describe('float32 overflow is never silent', () => {
  // Over 16 steps the unbounded cells leave the float32 range (the reference reaches ~1e60): js cannot represent
  // the answer, and must say so with NaN or Inf rather than return finite numbers that are wrong. (Before the
  // NaN-propagating relu/step rules, dInput here came back finite and off by 100%.)
  const unbounded: [string, () => CompiledCell][] = [
    ['rnn_relu', () => builtinCell('rnn_relu')],
    ['indrnn', () => builtinCell('indrnn')],
    ['op softplus', () => opCell(OP_BODIES.softplus!)],
  ];
  it.each(unbounded)('%s over 16 steps', async (_label, make) => {
    const cell = make();
    const cfg: Run = { ...EXTREME, steps: 16, lengths: [16, 9, 13] };
    const [js, ref] = [await extremeRun(cell, 'js', cfg), await extremeRun(cell, 'reference', cfg)];
    const overflowed = Object.keys(nonFinite(js));
    expect(overflowed.length).toBeGreaterThan(0); // the premise: this run does leave the float32 range
    const silentlyWrong: Record<string, number> = {};
    for (const k of Object.keys(ref)) {
      if (overflowed.includes(k)) continue;
      const err = relErr(js[k]!, ref[k]!);
      if (!(err <= TOL)) silentlyWrong[k] = err;
    }
    expect(silentlyWrong).toEqual({});
  });
});

describe('a NaN in the input is never turned into a finite number', () => {
  const nanCells: [string, () => CompiledCell][] = [
    ['rnn_relu', () => builtinCell('rnn_relu')],
    ['indrnn', () => builtinCell('indrnn')],
    ['lstm', () => builtinCell('lstm')],
    ['op min/max/abs', () => opCell(OP_BODIES['min/max/abs']!)],
  ];
  it.each(nanCells)('%s', async (_label, make) => {
    const cell = make();
    const [T, B, X, H] = [3, 2, 3, 4];
    for (const backend of ['reference', 'js'] as const) {
      const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, backend, seed: 5 });
      const data = Float64Array.from({ length: T * B * X }, (_, i) => Math.sin(i + 1));
      data[0] = NaN; // step 0, example 0, feature 0
      const fwd = await rnn.forward({ data, shape: [T, B, X] });
      // Example 0 at the last step has seen the NaN: its outputs must all be NaN, example 1's all finite.
      const last = (T - 1) * B * H;
      const ex0 = Array.from(fwd.output.data.subarray(last, last + H));
      const ex1 = Array.from(fwd.output.data.subarray(last + H, last + 2 * H));
      expect({ backend, ex0: ex0.every(Number.isNaN), ex1: ex1.every(Number.isFinite) }).toEqual({ backend, ex0: true, ex1: true });
      const bwd = await rnn.backward({ data: new Float64Array(fwd.output.data.length).fill(1), shape: fwd.output.shape });
      // Every weight the NaN example reached has a NaN gradient: no weight gradient is silently finite.
      const finiteGrads = Object.entries(bwd.grads).filter(([, t]) => Array.from(t.data).every(Number.isFinite)).map(([k]) => k);
      expect({ backend, finiteGrads }).toEqual({ backend, finiteGrads: [] });
    }
  });
});
