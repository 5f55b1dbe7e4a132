// Symbolic shapes of per-example values: each dimension is a multiple of X (input size), H (hidden size) or 1.

export type Sym = 'X' | 'H' | '1';

/** One dimension: `mult` times a symbol, e.g. 4H. */
export interface Dim {
  readonly sym: Sym;
  readonly mult: number;
}

/** A shape is a list of dims: [] is a scalar, [4H] a vector, [4H, X] a matrix. */
export type Shape = readonly Dim[];

/** The concrete sizes of the symbols for one layer. */
export interface Dims {
  readonly X: number;
  readonly H: number;
}

export const scalar: Shape = [];
export const dim = (sym: Sym, mult = 1): Dim => ({ sym, mult });
export const vecX: Shape = [dim('X')];
export const vecH = (mult = 1): Shape => [dim('H', mult)];

export function showDim(d: Dim): string {
  if (d.sym === '1') return String(d.mult);
  return d.mult === 1 ? d.sym : `${d.mult}${d.sym}`;
}

/** `f32[4H,X]`, `f32[H]`, `f32[]`. */
export function showShape(s: Shape): string {
  return `f32[${s.map(showDim).join(',')}]`;
}

export function sameDim(a: Dim, b: Dim): boolean {
  return a.sym === b.sym && a.mult === b.mult;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]!));
}

export function dimSize(d: Dim, dims: Dims): number {
  return d.sym === '1' ? d.mult : d.mult * dims[d.sym];
}

/** Number of elements of a shape for concrete dims. */
export function sizeOf(s: Shape, dims: Dims): number {
  return s.reduce((n, d) => n * dimSize(d, dims), 1);
}

/** Elementwise broadcasting: scalars broadcast; otherwise shapes must agree. Returns null on mismatch. */
export function broadcastShapes(shapes: Shape[]): Shape | null {
  let out: Shape = scalar;
  for (const s of shapes) {
    if (s.length === 0) continue;
    if (out.length === 0) out = s;
    else if (!sameShape(out, s)) return null;
  }
  return out;
}

/** Split a vector dim into `count` equal chunks, or null when it does not divide. */
export function divideDim(d: Dim, count: number): Dim | null {
  if (d.mult % count !== 0) return null;
  return { sym: d.sym, mult: d.mult / count };
}
