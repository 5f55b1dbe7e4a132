// The contract between the sequence scheduler and a backend: run one (layer, direction) over a whole sequence.
import { CellforgeError } from '../ir/errors.js';
import type { Dims } from '../ir/shape.js';

/**
 * Activations in a backend's own precision: float32 (js, wasm, webgpu, native: no float64 copies on the way in or
 * out) or float64 (the reference interpreter, `float64: true`). Parameters stay float64 in the store.
 */
export type Floats = Float32Array | Float64Array;

/** One layer in one direction over the whole sequence. Arrays are time-major. */
export interface DirectionRun {
  /** [T, B, K] where K = dims.X. */
  readonly input: Floats;
  readonly steps: number;
  readonly batch: number;
  readonly dims: Dims;
  /** Valid length of each example, 1..T. */
  readonly lengths: Int32Array;
  /** Reverse direction: example b reads x[len_b - 1], ..., x[0]. */
  readonly reverse: boolean;
  /** Initial value of each state, in the cell's declared order, [B, H] each. */
  readonly initial: readonly Floats[];
  /** Parameters by the cell's own names (`weight_ih`, not `weight_ih_l0`). */
  readonly params: ReadonlyMap<string, Float64Array>;
  /** Keep what the backward pass needs. */
  readonly training: boolean;
  /** Truncated BPTT: gradients flow back at most this many steps (undefined: all). */
  readonly truncate?: number;
  /** Which (layer, direction) the parameters are and their version: equal versions mean unchanged values, so a
   *  backend may keep converted or packed copies (absent: assume changed). */
  readonly paramsVersion?: { readonly slot: string; readonly version: number };
}

export interface DirectionResult {
  /** [T, B, H]: the first state after each step; zero past each example's length. */
  readonly output: Floats;
  /** Final value of each state (at each example's last valid step), [B, H] each. */
  readonly final: Floats[];
  /** What this backend keeps for the backward pass (opaque to the scheduler). */
  readonly tape?: unknown;
}

export interface DirectionGrads {
  /** [T, B, K]. */
  readonly dInput: Floats;
  /** Gradient of each initial state, [B, H] each. */
  readonly dInitial: Floats[];
  /** Summed over examples and steps, by the cell's own parameter names. */
  readonly grads: Map<string, Floats>;
}

export interface SequenceBackend {
  readonly name: string;
  /** Activations in float64 (the reference); else float32. */
  readonly float64?: boolean;
  /** GPU backends: queue submissions and dispatches so far. */
  readonly stats?: { readonly submissions: number; readonly dispatches: number };
  forwardDirection(run: DirectionRun): DirectionResult | Promise<DirectionResult>;
  /** gradOutput [T, B, H]; gradFinal [B, H] per state (zeros when not given). */
  backwardDirection(run: DirectionRun, result: DirectionResult, gradOutput: Floats, gradFinal: readonly Floats[]): DirectionGrads | Promise<DirectionGrads>;
  /** Start, in the background, preparing for runs of these (X, H) (compiling); errors surface at the run. */
  prewarm?(dims: readonly Dims[]): void;
  /** A new forward sequence starts: the tapes of the previous one will not be read again. */
  beginSequence?(): void;
  dispose?(): void;
}

/** Backends that keep tapes (wasm, native): why a backward finds none. `sameSequence`: its forward was the latest. */
export function tapeGone(sameSequence: boolean): CellforgeError {
  return new CellforgeError(
    sameSequence ? 'backward called for a forward pass run in evaluation mode (its tape was not kept)' : 'backward called for a forward pass that a later forward pass replaced: its tape is gone',
    undefined,
    'call backward after the forward pass it differentiates, before the next forward',
  );
}
