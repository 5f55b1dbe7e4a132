// How the two directions of a bidirectional layer combine per timestep, and the gradient of that.

export type MergeMode = 'concat' | 'sum' | 'mul' | 'mean';
export const mergeModes: readonly MergeMode[] = ['concat', 'sum', 'mul', 'mean'];

/** Features per step after merging D directions of H features. */
export function mergedSize(mode: MergeMode, directions: number, H: number): number {
  return mode === 'concat' ? directions * H : H;
}

/** outs: one [T, B, H] array per direction -> [T, B, mergedSize]. */
export function mergeForward(mode: MergeMode, outs: readonly Float64Array[], rows: number, H: number): Float64Array {
  if (outs.length === 1) return outs[0]!;
  const [f, r] = outs as [Float64Array, Float64Array];
  if (mode === 'concat') {
    const out = new Float64Array(rows * 2 * H);
    for (let i = 0; i < rows; i++) {
      out.set(f.subarray(i * H, (i + 1) * H), i * 2 * H);
      out.set(r.subarray(i * H, (i + 1) * H), i * 2 * H + H);
    }
    return out;
  }
  const combine = { sum: (a: number, b: number) => a + b, mul: (a: number, b: number) => a * b, mean: (a: number, b: number) => (a + b) / 2 }[mode];
  return f.map((a, i) => combine(a, r[i]!));
}

/** The gradient of each direction's output from the gradient of the merged output. */
export function mergeBackward(mode: MergeMode, outs: readonly Float64Array[], grad: Float64Array, rows: number, H: number): Float64Array[] {
  if (outs.length === 1) return [grad];
  const [f, r] = outs as [Float64Array, Float64Array];
  switch (mode) {
    case 'concat': {
      const gf = new Float64Array(rows * H);
      const gr = new Float64Array(rows * H);
      for (let i = 0; i < rows; i++) {
        gf.set(grad.subarray(i * 2 * H, i * 2 * H + H), i * H);
        gr.set(grad.subarray(i * 2 * H + H, (i + 1) * 2 * H), i * H);
      }
      return [gf, gr];
    }
    case 'sum':
      return [grad, grad];
    case 'mean':
      return [grad.map((g) => g / 2), grad.map((g) => g / 2)];
    case 'mul':
      return [grad.map((g, i) => g * r[i]!), grad.map((g, i) => g * f[i]!)];
  }
}
