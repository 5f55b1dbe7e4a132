// Weight initialisers with PyTorch's formulas, drawing every random number from the counter-based `Random`.
import { invariant } from '../../ir/errors.js';
import type { Random } from '../random.js';

/** Standard normal by Box-Muller; two uniforms per value keep the stream position easy to reason about. */
export function gaussian(rng: Random): number {
  const u1 = rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

export function fillUniform(data: Float64Array, bound: number, rng: Random): Float64Array {
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
  return data;
}

export function fillNormal(data: Float64Array, std: number, rng: Random): Float64Array {
  for (let i = 0; i < data.length; i++) data[i] = std * gaussian(rng);
  return data;
}

/** nn.Linear's default (kaiming_uniform with a = √5, which reduces to U(±1/√fan_in)), the same bound for the bias. */
export function linearDefaultBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/** xavier_uniform_: U(±gain·√(6 / (fan_in + fan_out))) for a [fanOut, fanIn] matrix. */
export function xavierUniform(data: Float64Array, fanOut: number, fanIn: number, rng: Random, gain = 1): Float64Array {
  invariant(data.length === fanOut * fanIn, 'xavierUniform: size mismatch');
  return fillUniform(data, gain * Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/**
 * orthogonal_: a [rows, cols] matrix with orthonormal rows (rows <= cols) or columns (rows >= cols), from the QR
 * of a Gaussian matrix. Modified Gram-Schmidt gives R a positive diagonal, which is PyTorch's sign correction.
 */
export function orthogonal(rows: number, cols: number, rng: Random, gain = 1): Float64Array {
  const tall = rows >= cols;
  const [n, k] = tall ? [rows, cols] : [cols, rows]; // k orthonormal vectors of length n
  const q = new Float64Array(k * n);
  for (let i = 0; i < q.length; i++) q[i] = gaussian(rng);
  for (let j = 0; j < k; j++) {
    const v = q.subarray(j * n, (j + 1) * n);
    for (let p = 0; p < j; p++) {
      const u = q.subarray(p * n, (p + 1) * n);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i]! * v[i]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    invariant(norm > 1e-12, 'orthogonal: degenerate Gaussian draw');
    for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
  }
  // q holds k vectors of length n as rows: that is the answer when rows < cols, its transpose otherwise.
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) out[tall ? i * cols + j : j * cols + i] = gain * q[j * n + i]!;
  return out;
}

/** Orthogonal init of a stacked recurrent weight [G·H, H]: each gate's [H, H] block on its own (as Keras does). */
export function orthogonalPerGate(data: Float64Array, hidden: number, rng: Random, gain = 1): Float64Array {
  invariant(data.length % (hidden * hidden) === 0, 'orthogonalPerGate: not a stack of [H, H] blocks');
  for (let g = 0; g < data.length / (hidden * hidden); g++) data.set(orthogonal(hidden, hidden, rng, gain), g * hidden * hidden);
  return data;
}
