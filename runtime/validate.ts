// Checks of user-supplied tensors against the RNN's configuration, each failing with one clear line.
import { CellforgeError } from '../ir/errors.js';
import { showTensorShape, type Tensor } from './tensor.js';

export function expectShape(what: string, t: Tensor, expected: readonly number[]): void {
  if (t.shape.length !== expected.length || t.shape.some((n, i) => n !== expected[i])) {
    throw new CellforgeError(`${what} has shape ${showTensorShape(t.shape)}, expected ${showTensorShape(expected)}`);
  }
  if (t.data.length !== expected.reduce((a, b) => a * b, 1)) {
    throw new CellforgeError(`${what} has ${t.data.length} values, its shape ${showTensorShape(t.shape)} needs ${expected.reduce((a, b) => a * b, 1)}`);
  }
}

/** Lengths as integers in 1..T; defaults to T for every example. */
export function checkLengths(lengths: ArrayLike<number | bigint> | Tensor | undefined, batch: number, steps: number): Int32Array {
  if (lengths === undefined) return new Int32Array(batch).fill(steps);
  const values = 'data' in lengths && 'shape' in lengths ? lengths.data : lengths;
  if (values.length !== batch) throw new CellforgeError(`lengths has ${values.length} entries, expected one per example (batch ${batch})`);
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const v = Number(values[b]);
    if (!Number.isInteger(v) || v < 1 || v > steps) {
      throw new CellforgeError(`lengths[${b}] = ${v} is outside 1..${steps} (the sequence length T)`);
    }
    out[b] = v;
  }
  return out;
}

export function positiveInteger(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new CellforgeError(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}
