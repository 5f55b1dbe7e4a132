// Runtime values of the float64 interpreter: one row per example, or one shared row (params, constants).

export interface Value {
  /** Row-major: `perExample` ? [B, n] : [n]. */
  readonly data: Float64Array;
  readonly perExample: boolean;
}

export interface EvalContext {
  /** Batch size: rows of every per-example value. */
  readonly batch: number;
  /** Elements per example of a node's shape. */
  size(shape: readonly unknown[] | import('./shape.js').Shape): number;
}

/** Offset of example `b`'s row of a value with `n` elements per example. */
export function rowOffset(v: Value, b: number, n: number): number {
  return v.perExample ? b * n : 0;
}

/** A value whose rows are all per-example (`perExample`) or shared, filled by `fill(b, out, offset)`. */
export function makeValue(ctx: EvalContext, n: number, perExample: boolean, fill: (b: number, out: Float64Array, offset: number) => void): Value {
  const rows = perExample ? ctx.batch : 1;
  const data = new Float64Array(rows * n);
  for (let b = 0; b < rows; b++) fill(b, data, b * n);
  return { data, perExample };
}
