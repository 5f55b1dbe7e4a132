// Runs the same RNN on a backend and on the float64 reference and reports the largest disagreement.
import { RNN, type BackendName, type BackwardResult, type CompiledCell, type ForwardResult, type MergeMode, type Tensor } from '../../index.js';
import { Random } from '../../runtime/random.js';
import type { SequenceBackend } from '../../runtime/backend.js';

export interface DiffConfig {
  readonly steps: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers?: number;
  readonly bidirectional?: boolean;
  readonly merge?: MergeMode;
  readonly lengths?: readonly number[];
  readonly initialStates?: boolean;
  readonly truncate?: number;
  readonly batchFirst?: boolean;
  readonly seed?: number;
}

/** max |a − b| / max(1, max |b|): float32 rounding stays far below 1e-4 on these sizes. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

/** The RNN options of a configuration (all but the backend). */
export function rnnOptions(cfg: DiffConfig) {
  return {
    inputSize: cfg.inputSize,
    hiddenSize: cfg.hiddenSize,
    numLayers: cfg.numLayers ?? 1,
    bidirectional: cfg.bidirectional ?? false,
    merge: cfg.merge ?? 'concat',
    batchFirst: cfg.batchFirst ?? false,
    seed: cfg.seed ?? 11,
    ...(cfg.truncate ? { truncate: cfg.truncate } : {}),
  } as const;
}

/** The input and (with `initialStates`) initial states and final-state gradients of a configuration, from `rand`. */
export function randomInputs(cell: CompiledCell, cfg: DiffConfig, rand: (n: number) => Float64Array) {
  const options = rnnOptions(cfg);
  const { steps: T, batch: B, inputSize: X, hiddenSize: H } = cfg;
  const LD = options.numLayers * (options.bidirectional ? 2 : 1);
  const x: Tensor = { data: rand(T * B * X), shape: options.batchFirst ? [B, T, X] : [T, B, X] };
  const states: Record<string, Tensor> = {};
  const gradStates: Record<string, Tensor> = {};
  if (cfg.initialStates) {
    for (const s of cell.states) {
      states[s] = { data: rand(LD * B * H), shape: [LD, B, H] };
      gradStates[s] = { data: rand(LD * B * H), shape: [LD, B, H] };
    }
  }
  return { x, states, gradStates };
}

/** A backend by name, or a backend object made by the test (a non-default option of a backend). */
export type BackendChoice = BackendName | ((cell: CompiledCell) => SequenceBackend);

/** Outputs, final states, input/initial-state gradients and every weight gradient, by name. */
export type Results = Record<string, Float64Array | Float32Array>;

/**
 * One backend's results on a configuration's data: the RNN's seeded weights, then from one seeded stream the input,
 * the initial states and final-state gradients (`initialStates`), and the output gradient. Every backend sees the
 * same data. `perturb` (the fuzzer's sensitivity probe) maps each weight and each drawn value.
 */
export async function results(cell: CompiledCell, backend: BackendChoice, cfg: DiffConfig, perturb?: (v: number) => number): Promise<Results> {
  const rng = new Random(cfg.seed ?? 11, 3);
  const draw = perturb ? () => perturb(rng.uniform(-1, 1)) : () => rng.uniform(-1, 1);
  const rand = (n: number) => Float64Array.from({ length: n }, draw);
  const rnn = new RNN(cell, { ...rnnOptions(cfg), backend: typeof backend === 'string' ? backend : 'reference' });
  if (typeof backend === 'function') (rnn as { backend: SequenceBackend }).backend = backend(cell);
  if (perturb) {
    const weights = rnn.stateDict();
    for (const p of rnn.parameters()) weights[p.name] = { data: Float64Array.from(p.data, perturb), shape: p.shape };
    rnn.loadStateDict(weights);
  }
  const { x, states, gradStates } = randomInputs(cell, cfg, rand);
  const fwd = await rnn.forward(x, { states, ...(cfg.lengths ? { lengths: cfg.lengths } : {}) });
  const g: Tensor = { data: rand(fwd.output.data.length), shape: fwd.output.shape };
  return collect(cell, fwd, await rnn.backward(g, { gradStates }));
}

/** A forward and backward pass's results by name: output, dInput, <state>N, d<state>0 and every weight gradient. */
export function collect(cell: CompiledCell, fwd: ForwardResult, bwd: BackwardResult): Results {
  const out: Results = { output: fwd.output.data, dInput: bwd.dInput.data };
  for (const st of cell.states) {
    out[`${st}N`] = fwd.states[st]!.data;
    out[`d${st}0`] = bwd.dStates[st]!.data;
  }
  for (const [name, t] of Object.entries(bwd.grads)) out[name] = t.data;
  return out;
}

/** Largest relative error over outputs, final states, input/initial-state gradients and every weight gradient. */
export async function differential(cell: CompiledCell, backend: BackendChoice, cfg: DiffConfig): Promise<Record<string, number>> {
  const [got, want] = [await results(cell, backend, cfg), await results(cell, 'reference', cfg)];
  return Object.fromEntries(Object.entries(want).map(([name, w]) => [name, relativeError(got[name] ?? [], w)]));
}

/** The entries above `tol`, so a failing test names what disagreed. */
export function above(errors: Record<string, number>, tol: number): Record<string, number> {
  return Object.fromEntries(Object.entries(errors).filter(([, e]) => !(e <= tol)));
}
