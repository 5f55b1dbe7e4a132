// The cell language: declarations only, so that cells type-check in an editor. cellforge reads cells, never runs them.

/** A per-example vector (or a scalar) inside a cell; typed as a number so that + - * / and `1 - z` type-check. */
export type Vec = number;

/** A vector of stacked gates: use it whole, or destructure it into its chunks (`const [i, f, g, o] = ...`). */
export type Stacked = Vec & readonly Vec[];

/** What `cell(...)` returns: a marker that the compiler recognises in `export default`. */
export interface CellDefinition<S extends string = string> {
  readonly kind: 'cellforge.cell';
  readonly state: readonly S[];
}

/** Defines a recurrent cell: the states it carries and the step function computing the new states from input x and the old states. */
export declare function cell<const S extends string>(options: { state: readonly S[] }, body: (x: Vec, state: Record<S, Vec>) => Record<S, Vec>): CellDefinition<S>;

/** W·input + b, stacked into `chunks` gates of size H; declares `weight_${name}` [chunks·H, in] and `bias_${name}` [chunks·H] (unless bias: false). */
export declare function linear(name: string, input: Vec, chunks?: number, options?: { bias?: boolean }): Stacked;

/** Splits a stacked vector into `chunks` equal gates, for destructuring; declares nothing. */
export declare function split(v: Vec, chunks: number): readonly Vec[];

/** A learned vector of size H named `name`; `init` sets a constant initial value (default: uniform like PyTorch's RNNs). */
export declare function param(name: string, options?: { init?: number }): Vec;

/** Layer normalisation (v − mean) / sqrt(var + 1e-5) · weight + bias; declares `weight_${name}` (init 1) and `bias_${name}` (init 0) of v's size. */
export declare function layerNorm(name: string, v: Vec): Vec;

/** The logistic function 1 / (1 + e^−v), elementwise; declares nothing. */
export declare function sigmoid(v: Vec): Vec;
/** Hyperbolic tangent, elementwise; declares nothing. */
export declare function tanh(v: Vec): Vec;
/** max(v, 0), elementwise; declares nothing. */
export declare function relu(v: Vec): Vec;
/** e^v, elementwise; declares nothing. */
export declare function exp(v: Vec): Vec;
/** Natural logarithm, elementwise; declares nothing. */
export declare function log(v: Vec): Vec;
/** Square root, elementwise; declares nothing. */
export declare function sqrt(v: Vec): Vec;
/** Absolute value, elementwise; declares nothing. */
export declare function abs(v: Vec): Vec;
/** log(1 + e^v), elementwise and without overflow; declares nothing. */
export declare function softplus(v: Vec): Vec;
/** The smaller of a and b, elementwise; declares nothing. */
export declare function min(a: Vec, b: Vec): Vec;
/** The larger of a and b, elementwise; declares nothing. */
export declare function max(a: Vec, b: Vec): Vec;
/** The mean of the elements of v, a scalar per example; declares nothing. */
export declare function mean(v: Vec): Vec;
/** The sum of the elements of v, a scalar per example; declares nothing. */
export declare function sum(v: Vec): Vec;
