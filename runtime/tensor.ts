// Tensors: a typed array and a row-major shape. The public data type of the library.
import { CellforgeError } from '../ir/errors.js';

export type TensorData = Float32Array | Float64Array;

export interface Tensor {
  readonly data: TensorData;
  readonly shape: readonly number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Make a tensor; a plain number array becomes a Float32Array. */
export function tensor(data: TensorData | readonly number[], shape: readonly number[]): Tensor {
  const typed = data instanceof Float32Array || data instanceof Float64Array ? data : Float32Array.from(data);
  if (typed.length !== numel(shape)) {
    throw new CellforgeError(`tensor data has ${typed.length} values but shape [${shape.join(', ')}] needs ${numel(shape)}`);
  }
  return { data: typed, shape: [...shape] };
}

export function zeros(shape: readonly number[], Type: typeof Float32Array | typeof Float64Array = Float32Array): Tensor {
  return { data: new Type(numel(shape)), shape: [...shape] };
}

export function toFloat64(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
}

export function showTensorShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Swap the first two axes of a rank-3 array: [A, B, C] -> [B, A, C]. */
export function swap01<T extends TensorData>(data: T, a: number, b: number, c: number): T {
  const out = new (data.constructor as { new (n: number): T })(data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out.set(data.subarray((i * b + j) * c, (i * b + j + 1) * c), (j * a + i) * c);
  return out;
}
