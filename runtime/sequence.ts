// The sequence scheduler: layers, directions, merging and dropout around a backend's per-direction runs.
import type { Dims } from '../ir/shape.js';
import type { DirectionResult, DirectionRun, Floats, SequenceBackend } from './backend.js';
import { mergeBackward, mergeForward, mergedSize, zerosLike, type MergeMode } from './merge.js';
import type { ParamStore } from './param-store.js';
import { paramName } from './params.js';
import { Random } from './random.js';

export interface SequenceConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly directions: 1 | 2;
  readonly merge: MergeMode;
  readonly dropout: number;
  /** The same dropout mask at every timestep (Gal and Ghahramani), instead of a fresh one per step. */
  readonly variationalDropout: boolean;
  readonly stateNames: readonly string[];
}

export interface SequenceInput {
  /** [T, B, X] time-major, in the backend's precision (see Floats): every array of the run takes its type. */
  readonly input: Floats;
  readonly steps: number;
  readonly batch: number;
  readonly lengths: Int32Array;
  /** Per state, [L*D, B, H]. */
  readonly initial: readonly Floats[];
  readonly training: boolean;
  readonly truncate?: number;
  readonly seed: number;
}

interface LayerTape {
  readonly runs: DirectionRun[];
  readonly results: DirectionResult[];
  /** Dropout mask applied to this layer's merged output, [T, B, size] (absent for the last layer). */
  readonly mask?: Floats;
}

export interface SequenceOutput {
  /** [T, B, merged size of the last layer]. */
  readonly output: Floats;
  /** Per state, [L*D, B, H]. */
  readonly final: Floats[];
  readonly tape: LayerTape[];
}

export function layerDims(cfg: SequenceConfig, layer: number): Dims {
  return { X: layer === 0 ? cfg.inputSize : mergedSize(cfg.merge, cfg.directions, cfg.hiddenSize), H: cfg.hiddenSize };
}

export async function sequenceForward(backend: SequenceBackend, params: ParamStore, cfg: SequenceConfig, seq: SequenceInput): Promise<SequenceOutput> {
  const { steps: T, batch: B } = seq;
  const H = cfg.hiddenSize;
  const D = cfg.directions;
  let input = seq.input;
  const final = cfg.stateNames.map(() => zerosLike(input, cfg.numLayers * D * B * H));
  const tape: LayerTape[] = [];
  backend.beginSequence?.();
  const version = params.version;
  for (let layer = 0; layer < cfg.numLayers; layer++) {
    const dims = layerDims(cfg, layer);
    const runs: DirectionRun[] = [];
    const results: DirectionResult[] = [];
    for (let d = 0; d < D; d++) {
      const slot = layer * D + d;
      const run: DirectionRun = {
        input,
        steps: T,
        batch: B,
        dims,
        lengths: seq.lengths,
        reverse: d === 1,
        initial: seq.initial.map((s) => s.subarray(slot * B * H, (slot + 1) * B * H)),
        params: params.forLayer({ layer, reverse: d === 1 }),
        training: seq.training,
        ...(seq.truncate !== undefined ? { truncate: seq.truncate } : {}),
        paramsVersion: { slot: `${layer}/${d}`, version },
      };
      const result = await backend.forwardDirection(run);
      result.final.forEach((f, k) => final[k]!.set(f, slot * B * H));
      runs.push(run);
      results.push(result);
    }
    let merged = mergeForward(cfg.merge, results.map((r) => r.output), T * B, H);
    let mask: Floats | undefined;
    if (seq.training && cfg.dropout > 0 && layer < cfg.numLayers - 1) {
      mask = dropoutMask(cfg, seq, layer, merged.length / (T * B));
      merged = (merged as Float64Array).map((v, i) => v * mask![i]!);
    }
    tape.push({ runs, results, ...(mask ? { mask } : {}) });
    input = merged;
  }
  return { output: input, final, tape };
}

/** Inverted dropout: kept units are scaled by 1/(1-p), so evaluation mode needs no rescaling. */
function dropoutMask(cfg: SequenceConfig, seq: SequenceInput, layer: number, size: number): Floats {
  const { steps: T, batch: B } = seq;
  const rng = new Random(seq.seed, 1000 + layer);
  const keep = 1 / (1 - cfg.dropout);
  const perStep = new Float64Array(B * size).map(() => (rng.next() < cfg.dropout ? 0 : keep));
  const mask = zerosLike(seq.input, T * B * size);
  for (let t = 0; t < T; t++) mask.set(cfg.variationalDropout ? perStep : perStep.map(() => (rng.next() < cfg.dropout ? 0 : keep)), t * B * size);
  return mask;
}

export interface SequenceGrads {
  readonly dInput: Floats;
  /** Per state, [L*D, B, H]. */
  readonly dInitial: Floats[];
  /** By full parameter name. */
  readonly grads: Map<string, Floats>;
}

/** Back-propagation through time over all layers and directions, last layer first. */
export async function sequenceBackward(
  backend: SequenceBackend,
  cfg: SequenceConfig,
  fwd: SequenceOutput,
  gradOutput: Floats,
  gradFinal: readonly (Floats | undefined)[],
  batch: number,
): Promise<SequenceGrads> {
  const H = cfg.hiddenSize;
  const D = cfg.directions;
  const B = batch;
  const dInitial = cfg.stateNames.map(() => zerosLike(gradOutput, cfg.numLayers * D * B * H));
  const grads = new Map<string, Floats>();
  let g = gradOutput;
  for (let layer = cfg.numLayers - 1; layer >= 0; layer--) {
    const { runs, results, mask } = fwd.tape[layer]!;
    if (mask) g = (g as Float64Array).map((v, i) => v * mask[i]!);
    const rows = runs[0]!.steps * B;
    const perDir = mergeBackward(cfg.merge, results.map((r) => r.output), g, rows, H);
    let dInput: Floats | undefined;
    for (let d = 0; d < D; d++) {
      const slot = layer * D + d;
      const gFinal = cfg.stateNames.map((_, k) => gradFinal[k]?.slice(slot * B * H, (slot + 1) * B * H) ?? zerosLike(gradOutput, B * H));
      const r = await backend.backwardDirection(runs[d]!, results[d]!, perDir[d]!, gFinal);
      r.dInitial.forEach((v, k) => dInitial[k]!.set(v, slot * B * H));
      for (const [name, v] of r.grads) grads.set(paramName(name, { layer, reverse: d === 1 }), v);
      dInput = dInput ? (dInput as Float64Array).map((v, i) => v + r.dInput[i]!) : r.dInput;
    }
    g = dInput!;
  }
  return { dInput: g, dInitial, grads };
}
