// Resource checks before a run: estimate the memory a forward pass (and, in training mode, the tape it keeps for
// the backward pass) allocates, and refuse with one clear line when it cannot fit, instead of a RangeError from a
// typed array or the process dying out of memory halfway through a sequence.
import type { CompiledCell } from '../compiler/compile.js';
import { CellforgeError } from '../ir/errors.js';
import { machineMemoryBytes } from './machine.js';
import type { Node } from '../ir/graph.js';
import { sizeOf, type Shape } from '../ir/shape.js';

/** What the memory of a run depends on in a cell, in units of the hidden size H. */
export interface CellFootprint {
  /** Recurrent states (h; h and c; ...). */
  readonly states: number;
  /** Rows of the input projections hoisted out of the time loop (G: 4 for an LSTM, 3 for a GRU). */
  readonly inputRows: number;
  /** Rows of the other matrix products the forward saves per step for the backward (4 for an LSTM's W_hh·h). */
  readonly savedRows: number;
  /** Shapes of the cell's parameters (per layer and direction). */
  readonly paramShapes: readonly Shape[];
}

/** An LSTM's footprint: the default when the cell is not given. */
export const LSTM_FOOTPRINT: CellFootprint = {
  states: 2,
  inputRows: 4,
  savedRows: 4,
  paramShapes: [
    [{ sym: 'H', mult: 4 }, { sym: 'X', mult: 1 }],
    [{ sym: 'H', mult: 4 }],
    [{ sym: 'H', mult: 4 }, { sym: 'H', mult: 1 }],
    [{ sym: 'H', mult: 4 }],
  ],
};

export interface ResourceRequest {
  /** T */
  readonly steps: number;
  /** B */
  readonly batch: number;
  /** X */
  readonly inputSize: number;
  /** H */
  readonly hiddenSize: number;
  readonly numLayers: number;
  /** 1, or 2 when bidirectional. */
  readonly directions: number;
  /** Training mode keeps a tape of every step of every layer and direction for the backward pass. */
  readonly training: boolean;
  /** Bytes per element of the backend's working arrays: 4 for js and webgpu (float32), 8 for reference. */
  readonly bytesPerFloat: number;
  /** The cell (see `cellFootprint`); an LSTM when absent. */
  readonly cell?: CellFootprint;
  /** Refuse above this many bytes; default: os.totalmem(). */
  readonly limitBytes?: number;
}

export interface ResourceEstimate {
  /** Estimated peak bytes of the run. */
  readonly bytes: number;
  /** Elements of the largest single array the run allocates. */
  readonly largestArray: number;
  /** The estimate by part, in bytes. */
  readonly parts: Readonly<Record<string, number>>;
}

/** The most elements one typed array can hold in V8 (Node 20+). */
export const MAX_ARRAY_ELEMENTS = 2 ** 32;

const F64 = 8;

/**
 * Estimated peak bytes of one forward (and backward) call. The sequence runtime works in float64 (the input
 * copy, every layer's merged output, the gradients between layers); the backend's arrays use `bytesPerFloat`.
 * Per layer and direction the backend holds the input rows T·B·X_l, the hoisted input projections T·B·G·H, the
 * output T·B·H and, in training mode, the tape: T·B·(states·H + saved matrix-product rows). The backward adds,
 * for one layer-direction at a time, the per-time cotangents of the gate rows and their transposes for the
 * deferred weight and input GEMMs. A rough estimate (within about 2× of what is allocated), not an accounting.
 */
export function estimateResources(req: ResourceRequest): ResourceEstimate {
  const T = count('steps', req.steps);
  const B = count('batch', req.batch);
  const X = count('inputSize', req.inputSize);
  const H = count('hiddenSize', req.hiddenSize);
  const L = count('numLayers', req.numLayers);
  const D = count('directions', req.directions);
  const f = req.bytesPerFloat;
  if (f !== 2 && f !== 4 && f !== 8) throw new CellforgeError(`bytesPerFloat must be 2, 4 or 8, got ${String(f)}`);
  const cell = req.cell ?? LSTM_FOOTPRINT;
  const S = cell.states;
  const G = cell.inputRows;
  const R = cell.savedRows;
  const rows = T * B;
  const layerInput = (l: number) => (l === 0 ? X : D * H);
  const params = Array.from({ length: L }, (_, l) => cell.paramShapes.reduce((n, s) => n + sizeOf(s, { X: layerInput(l), H }), 0) * D).reduce((a, b) => a + b, 0);

  const parts: Record<string, number> = {};
  // Parameters: the float64 store, the backend's copies, and in training the float64 gradients.
  parts.parameters = params * (F64 + f + (req.training ? F64 + f : 0));
  // The float64 input copy and the final states.
  parts.input = rows * X * F64;
  parts.states = S * L * D * B * H * F64;
  // Per layer: each direction's output as float64, and the merged output (kept for the backward in training).
  const layerOutput = rows * D * H * F64 * 2;
  parts.layerOutputs = layerOutput * (req.training ? L : Math.min(L, 2));
  // Per layer-direction in the backend: input rows, hoisted projections, output; in training all of them stay
  // alive as the tape, with the states before each step and the saved matrix products.
  const perRun = (l: number) => rows * (layerInput(l) + G * H + H) * f;
  const tape = rows * (S + R) * H * f;
  if (req.training) {
    let kept = 0;
    for (let l = 0; l < L; l++) kept += D * (perRun(l) + tape);
    parts.tape = kept;
    // The backward of one layer-direction: float32 copies of the output gradient, the per-time cotangents of the
    // gate rows (input and recurrent), their transposes and the transposed inputs for the deferred GEMMs, the
    // input gradient; and the float64 gradients between layers.
    const Xmax = Math.max(X, L > 1 ? D * H : 0);
    parts.backward = rows * (H + 2 * (G + R) * H + 2 * Xmax) * f + rows * (Xmax + 2 * D * H) * F64;
  } else {
    parts.forward = Math.max(...Array.from({ length: L }, (_, l) => perRun(l)));
  }
  const bytes = Object.values(parts).reduce((a, b) => a + b, 0);
  const largestArray = Math.max(rows * Math.max(X, D * H), rows * G * H, rows * R * H, ...cell.paramShapes.map((s) => sizeOf(s, { X: Math.max(X, L > 1 ? D * H : 0), H })));
  return { bytes, largestArray, parts };
}

/**
 * Throws a CellforgeError when the run cannot fit: more bytes than the machine has (os.totalmem(), or
 * `limitBytes`), or one array larger than a typed array can be. Returns the estimate otherwise.
 */
let machineBytes: number | undefined;

export function checkResources(req: ResourceRequest): ResourceEstimate {
  const est = estimateResources(req);
  // Messages are formatted only on the way to an error: this runs before every forward.
  const advice = () => (req.training ? 'reduce batch or use eval mode' : 'reduce batch or split the sequence');
  if (est.largestArray > MAX_ARRAY_ELEMENTS) {
    throw new CellforgeError(
      `this run needs an array of ${est.largestArray.toExponential(2)} elements (${describe(req)}), more than the ${MAX_ARRAY_ELEMENTS} a typed array can hold; ${advice()}`,
    );
  }
  const limit = req.limitBytes ?? (machineBytes ??= machineMemoryBytes());
  if (est.bytes > limit) {
    const has = req.limitBytes === undefined ? `the ${formatBytes(limit)} this machine has` : `the limit of ${formatBytes(limit)}`;
    throw new CellforgeError(`this run needs about ${formatBytes(est.bytes)} (${describe(req)}), more than ${has}; ${advice()}`);
  }
  return est;
}

/** The footprint of a compiled cell: states, hoisted input rows, saved per-step rows and parameter shapes. */
const footprints = new WeakMap<CompiledCell, CellFootprint>();

export function cellFootprint(cell: CompiledCell): CellFootprint {
  let known = footprints.get(cell);
  if (!known) footprints.set(cell, (known = measureFootprint(cell)));
  return known;
}

function measureFootprint(cell: CompiledCell): CellFootprint {
  const nodes = cell.graph.nodes;
  const isInputProduct = (n: Node) => n.op === 'matvec' && nodes[n.args[1]!]?.op === 'input';
  const hRows = (s: Shape) => (s.length === 1 && s[0]!.sym === 'H' ? s[0]!.mult : 1);
  const inputRows = nodes.filter(isInputProduct).reduce((n, m) => n + hRows(m.shape), 0);
  const savedRows = cell.backward.saved.filter((s) => !isInputProduct(nodes[s.id]!)).reduce((n, s) => n + hRows(s.shape), 0);
  return { states: cell.states.length, inputRows, savedRows, paramShapes: cell.params.map((p) => p.shape) };
}

/** `37.2 GiB`, `512 MiB`. */
export function formatBytes(bytes: number): string {
  const GiB = 2 ** 30;
  const MiB = 2 ** 20;
  if (bytes >= 100 * GiB) return `${Math.round(bytes / GiB)} GiB`;
  if (bytes >= GiB) return `${trim((bytes / GiB).toFixed(1))} GiB`;
  if (bytes >= MiB) return `${Math.round(bytes / MiB)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}

const trim = (s: string) => s.replace(/\.0$/, '');

function describe(req: ResourceRequest): string {
  const layers = `${req.numLayers} layer${req.numLayers === 1 ? '' : 's'}${req.directions === 2 ? ' × 2 directions' : ''}`;
  return `T=${req.steps}, B=${req.batch}, X=${req.inputSize}, H=${req.hiddenSize}, ${layers}, ${req.training ? 'training' : 'eval'}`;
}

function count(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new CellforgeError(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}
