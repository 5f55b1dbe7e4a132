// Runs the same RNN on a backend and on the float64 reference and reports the largest disagreement.
import { RNN, type BackendName, type CompiledCell, type MergeMode, type Tensor } from '../../index.js';
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

/** Largest relative error over outputs, final states, input/initial-state gradients and every weight gradient. */
export async function differential(cell: CompiledCell, backend: BackendName | ((cell: CompiledCell) => SequenceBackend), cfg: DiffConfig): Promise<Record<string, number>> {
  const rng = new Random(cfg.seed ?? 11, 3);
  const rand = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  const options = rnnOptions(cfg);
  const ref = new RNN(cell, { ...options, backend: 'reference' });
  const other = new RNN(cell, { ...options, backend: typeof backend === 'string' ? backend : 'reference' });
  // A backend object made by the test (a non-default option of a backend) replaces the RNN's own.
  if (typeof backend === 'function') (other as { backend: SequenceBackend }).backend = backend(cell);
  const { x, states, gradStates } = randomInputs(cell, cfg, rand);
  const fwdOpts = { states, ...(cfg.lengths ? { lengths: cfg.lengths } : {}) };
  const [a, b] = [await other.forward(x, fwdOpts), await ref.forward(x, fwdOpts)];
  const g: Tensor = { data: rand(a.output.data.length), shape: a.output.shape };
  const [ga, gb] = [await other.backward(g, { gradStates }), await ref.backward(g, { gradStates })];
  const errors: Record<string, number> = { output: relativeError(a.output.data, b.output.data), dInput: relativeError(ga.dInput.data, gb.dInput.data) };
  for (const s of cell.states) {
    errors[`${s}N`] = relativeError(a.states[s]!.data, b.states[s]!.data);
    errors[`d${s}0`] = relativeError(ga.dStates[s]!.data, gb.dStates[s]!.data);
  }
  for (const name of Object.keys(gb.grads)) errors[name] = relativeError(ga.grads[name]!.data, gb.grads[name]!.data);
  return errors;
}

/** The entries above `tol`, so a failing test names what disagreed. */
export function above(errors: Record<string, number>, tol: number): Record<string, number> {
  return Object.fromEntries(Object.entries(errors).filter(([, e]) => !(e <= tol)));
}
