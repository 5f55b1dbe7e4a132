// The export tests' cases: a cell, a configuration, seeded float32-exact data, and the reference backend's results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RNN, type CompiledCell, type Tensor } from '../../index.js';
import { encodeSafetensors } from '../../runtime/io/safetensors.js';
import type { NpyArray } from '../../runtime/io/npy.js';
import { Random } from '../../runtime/random.js';

export interface ExportConfig {
  readonly name: string;
  readonly T: number;
  readonly B: number;
  readonly X: number;
  readonly H: number;
  readonly L: number;
  readonly bidirectional: boolean;
  readonly batchFirst?: boolean;
  readonly lengths?: readonly number[];
  /** Pass random initial states (and check their gradients). */
  readonly initial?: boolean;
}

export interface ExportCase {
  readonly cell: CompiledCell;
  readonly cfg: ExportConfig;
  /** Weights by cellforge's state-dict keys, float32 values. */
  readonly weights: Record<string, Tensor>;
  /** `input`, `<state>0` (with initial), `lengths`, `grad_output`, `grad_<state>_n`. */
  readonly inputs: Record<string, NpyArray>;
  /** The reference backend's results by the names the Python driver writes. */
  readonly reference: Record<string, Float64Array>;
}

const f32 = (n: number, rng: Random) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
const asF32 = (t: Tensor): NpyArray => ({ dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data) });

/**
 * Weights from cellforge's own initialisation, and data drawn from one seeded stream, all float32 so that every
 * engine sees identical numbers; the reference (float64) runs forward and backward of loss = Σ output·grad_output +
 * Σ_states final·grad_final.
 */
export async function makeCase(cell: CompiledCell, cfg: ExportConfig, seed: number): Promise<ExportCase> {
  const { T, B, X, H, L } = cfg;
  const LD = L * (cfg.bidirectional ? 2 : 1);
  const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, numLayers: L, bidirectional: cfg.bidirectional, batchFirst: cfg.batchFirst ?? false, backend: 'reference', seed });
  const weights = rnn.stateDict(); // float32
  rnn.loadStateDict(weights);
  const rng = new Random(seed, 77);
  const inputs: Record<string, NpyArray> = {};
  const x: Tensor = { data: f32(T * B * X, rng), shape: cfg.batchFirst ? [B, T, X] : [T, B, X] };
  inputs.input = asF32(x);
  const states: Record<string, Tensor> = {};
  if (cfg.initial) {
    for (const s of cell.states) {
      states[s] = { data: f32(LD * B * H, rng), shape: [LD, B, H] };
      inputs[`${s}0`] = asF32(states[s]);
    }
  }
  if (cfg.lengths) inputs.lengths = { dtype: 'int64', shape: [B], data: BigInt64Array.from(cfg.lengths, (n) => BigInt(n)) };
  const fwd = await rnn.forward(x, { states, ...(cfg.lengths ? { lengths: cfg.lengths } : {}) });
  const gradOutput: Tensor = { data: f32(fwd.output.data.length, rng), shape: fwd.output.shape };
  inputs.grad_output = asF32(gradOutput);
  const gradStates: Record<string, Tensor> = {};
  for (const s of cell.states) {
    gradStates[s] = { data: f32(LD * B * H, rng), shape: [LD, B, H] };
    inputs[`grad_${s}_n`] = asF32(gradStates[s]);
  }
  const bwd = await rnn.backward(gradOutput, { gradStates });
  const reference: Record<string, Float64Array> = { output: Float64Array.from(fwd.output.data), d_input: Float64Array.from(bwd.dInput.data) };
  for (const s of cell.states) {
    reference[`${s}_n`] = Float64Array.from(fwd.states[s]!.data);
    if (cfg.initial) reference[`d_${s}0`] = Float64Array.from(bwd.dStates[s]!.data);
  }
  for (const [name, g] of Object.entries(bwd.grads)) reference[`grad.${name}`] = Float64Array.from(g.data);
  return { cell, cfg, weights, inputs, reference };
}

/** Writes `weights.safetensors` and `inputs.safetensors` of a case into `dir`; returns their paths. */
export function writeCase(c: ExportCase, dir: string): { weights: string; inputs: string } {
  mkdirSync(dir, { recursive: true });
  const weights = join(dir, 'weights.safetensors');
  const inputs = join(dir, 'inputs.safetensors');
  writeFileSync(weights, encodeSafetensors(Object.fromEntries(Object.entries(c.weights).map(([k, t]) => [k, asF32(t)]))));
  writeFileSync(inputs, encodeSafetensors(c.inputs));
  return { weights, inputs };
}

/** max |got − want| / max |want| (1 when want is all zeros): "within 1e-5 relative to max". */
export function relativeToMax(got: ArrayLike<number> | undefined, want: ArrayLike<number>): number {
  if (!got || got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return Number.isNaN(diff) ? Infinity : diff / (scale || 1);
}

/** The entries of `want` that `got` misses by more than `tol`, with their errors (empty when all agree). */
export function disagreements(got: Record<string, ArrayLike<number>>, want: Record<string, Float64Array>, tol: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, w] of Object.entries(want)) {
    const e = relativeToMax(got[name], w);
    if (!(e <= tol)) out[name] = e;
  }
  return out;
}

/** The three configurations of the PyTorch tests (issue 14). */
export const pytorchConfigs: readonly ExportConfig[] = [
  { name: '1 layer', T: 5, B: 3, X: 4, H: 5, L: 1, bidirectional: false },
  { name: '2 layers bidirectional, lengths, initial states', T: 5, B: 3, X: 4, H: 5, L: 2, bidirectional: true, lengths: [3, 5, 1], initial: true },
  { name: 'batch_first, initial states', T: 4, B: 2, X: 3, H: 4, L: 1, bidirectional: false, batchFirst: true, initial: true },
];
