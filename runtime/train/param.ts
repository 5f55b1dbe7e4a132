// A named trainable array: the unit that optimisers, clipping and checkpoints work on.
import { CellforgeError } from '../../ir/errors.js';

export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  /** Live storage: updating it in place updates the model. */
  readonly data: Float64Array;
}

/** Gradients by parameter name, each the size of its parameter. */
export type Grads = Record<string, Float64Array>;

export function zeroGrads(params: readonly Param[]): Grads {
  const out: Grads = {};
  for (const p of params) out[p.name] = new Float64Array(p.data.length);
  return out;
}

/** Optimiser state from a checkpoint, checked against the parameters: every name present, every size right. */
export function takeState(prefix: string, params: readonly Param[], tensors: ReadonlyMap<string, Float64Array>): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const p of params) {
    const t = tensors.get(`${prefix}${p.name}`);
    if (!t) throw new CellforgeError(`checkpoint: optimizer state '${prefix}${p.name}' is missing`);
    if (t.length !== p.data.length) throw new CellforgeError(`checkpoint: optimizer state '${prefix}${p.name}' has ${t.length} values, expected ${p.data.length}`);
    out.set(p.name, Float64Array.from(t));
  }
  return out;
}
