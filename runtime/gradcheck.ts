// Gradient check: the derived backward against float64 central finite differences of a random linear loss.
import type { CompiledCell } from '../compiler/compile.js';
import type { MergeMode } from './merge.js';
import { Random } from './random.js';
import { RNN } from './rnn.js';
import type { Tensor } from './tensor.js';

export interface GradcheckConfig {
  readonly label: string;
  readonly steps: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers?: number;
  readonly bidirectional?: boolean;
  readonly merge?: MergeMode;
  /** Random lengths in 1..T (one example keeps T). */
  readonly lengths?: boolean;
  /** Random initial states and gradients of the final states. */
  readonly initialStates?: boolean;
  readonly seed?: number;
}

export interface GradcheckRow {
  /** A parameter name, `input`, or `<state>0` for an initial state. */
  readonly name: string;
  /** max |analytic − numeric| / max(max |numeric|, 1e-3). */
  readonly error: number;
  readonly maxGrad: number;
}

export const defaultGradcheckConfigs: readonly GradcheckConfig[] = [
  { label: '1 layer', steps: 4, batch: 2, inputSize: 3, hiddenSize: 4 },
  { label: '2 layers, bidirectional, lengths, initial states', steps: 4, batch: 3, inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, lengths: true, initialStates: true },
];

const EPS = 1e-5;

export async function gradcheck(cell: CompiledCell, cfg: GradcheckConfig): Promise<GradcheckRow[]> {
  const rng = new Random(cfg.seed ?? 1, 7);
  const rnn = new RNN(cell, {
    inputSize: cfg.inputSize,
    hiddenSize: cfg.hiddenSize,
    numLayers: cfg.numLayers ?? 1,
    bidirectional: cfg.bidirectional ?? false,
    merge: cfg.merge ?? 'concat',
    backend: 'reference',
    seed: cfg.seed ?? 1,
  });
  const { steps: T, batch: B, inputSize: X, hiddenSize: H } = cfg;
  const LD = (cfg.numLayers ?? 1) * (cfg.bidirectional ? 2 : 1);
  const random = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  const x: Tensor = { data: random(T * B * X), shape: [T, B, X] };
  const states: Record<string, Tensor> = {};
  const gradStates: Record<string, Tensor> = {};
  if (cfg.initialStates) {
    for (const s of cell.states) {
      states[s] = { data: random(LD * B * H), shape: [LD, B, H] };
      gradStates[s] = { data: random(LD * B * H), shape: [LD, B, H] };
    }
  }
  const lengths = Int32Array.from({ length: B }, (_, b) => (cfg.lengths && b > 0 ? 1 + Math.floor(rng.next() * T) : T));
  const gOut = random(T * B * rnn.outputSize);
  const loss = async (): Promise<number> => {
    const r = await rnn.forward(x, { states, lengths });
    let l = dot(r.output.data, gOut);
    for (const s of Object.keys(gradStates)) l += dot(r.states[s]!.data, gradStates[s]!.data);
    return l;
  };
  await loss();
  const analytic = await rnn.backward({ data: gOut, shape: [T, B, rnn.outputSize] }, { gradStates });
  const numeric = async (data: Float64Array | Float32Array): Promise<Float64Array> => {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      data[i] = v + EPS;
      const up = await loss();
      data[i] = v - EPS;
      const down = await loss();
      data[i] = v;
      out[i] = (up - down) / (2 * EPS);
    }
    return out;
  };
  const rows: GradcheckRow[] = [];
  for (const p of rnn.parameters()) rows.push(compare(p.name, analytic.grads[p.name]!.data, await numeric(p.data)));
  rows.push(compare('input', analytic.dInput.data, await numeric(x.data)));
  for (const s of Object.keys(states)) rows.push(compare(`${s}0`, analytic.dStates[s]!.data, await numeric(states[s]!.data)));
  return rows;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function compare(name: string, analytic: ArrayLike<number>, numeric: Float64Array): GradcheckRow {
  let diff = 0;
  let maxGrad = 0;
  for (let i = 0; i < numeric.length; i++) {
    diff = Math.max(diff, Math.abs(analytic[i]! - numeric[i]!));
    maxGrad = Math.max(maxGrad, Math.abs(numeric[i]!));
  }
  return { name, error: diff / Math.max(maxGrad, 1e-3), maxGrad };
}
