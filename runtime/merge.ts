// How the two directions of a bidirectional layer combine per timestep, and the gradient of that. Arrays keep
// their type (float32 or float64, the backend's precision).
import type { Floats } from './backend.js';

/** A new zeroed array of the same type as `like`. */
export const zerosLike = <A extends Floats>(like: A, n: number): A => new (like.constructor as new (n: number) => A)(n);

export type MergeMode = 'concat' | 'sum' | 'mul' | 'mean';
export const mergeModes: readonly MergeMode[] = ['concat', 'sum', 'mul', 'mean'];

/** Features per step after merging D directions of H features. */
export function mergedSize(mode: MergeMode, directions: number, H: number): number {
  return mode === 'concat' ? directions * H : H;
}

/** outs: one [T, B, H] array per direction -> [T, B, mergedSize]. */
export function mergeForward(mode: MergeMode, outs: readonly Floats[], rows: number, H: number): Floats {
  if (outs.length === 1) return outs[0]!;
  const [f, r] = outs as [Floats, Floats];
  if (mode === 'concat') {
    const out = zerosLike(f, rows * 2 * H);
    for (let i = 0; i < rows; i++) {
      out.set(f.subarray(i * H, (i + 1) * H), i * 2 * H);
      out.set(r.subarray(i * H, (i + 1) * H), i * 2 * H + H);
    }
    return out;
  }
  const combine = { sum: (a: number, b: number) => a + b, mul: (a: number, b: number) => a * b, mean: (a: number, b: number) => (a + b) / 2 }[mode];
  return (f as Float64Array).map((a, i) => combine(a, r[i]!));
}

/** The gradient of each direction's output from the gradient of the merged output. */
export function mergeBackward(mode: MergeMode, outs: readonly Floats[], grad: Floats, rows: number, H: number): Floats[] {
  if (outs.length === 1) return [grad];
  const [f, r] = outs as [Floats, Floats];
  const g = grad as Float64Array; // (either type: map keeps it)
  switch (mode) {
    case 'concat': {
      const gf = zerosLike(grad, rows * H);
      const gr = zerosLike(grad, rows * H);
      for (let i = 0; i < rows; i++) {
        gf.set(grad.subarray(i * 2 * H, i * 2 * H + H), i * H);
        gr.set(grad.subarray(i * 2 * H + H, (i + 1) * 2 * H), i * H);
      }
      return [gf, gr];
    }
    case 'sum':
      return [grad, grad];
    case 'mean':
      return [g.map((v) => v / 2), g.map((v) => v / 2)];
    case 'mul':
      return [g.map((v, i) => v * r[i]!), g.map((v, i) => v * f[i]!)];
  }
}
