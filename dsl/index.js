// The cell language at run time: cells are compiled, never run, so every function but `cell` refuses to be called.

const NOT_RUN = 'cellforge cells are compiled, not run: use compileCell() or `npx cellforge compile`';

function compiledOnly() {
  throw new Error(NOT_RUN);
}

/** A marker that the compiler recognises in `export default`; the step function is never called. */
export function cell(options) {
  return Object.freeze({ kind: 'cellforge.cell', state: Object.freeze([...(options?.state ?? [])]) });
}

export const linear = compiledOnly;
export const split = compiledOnly;
export const param = compiledOnly;
export const layerNorm = compiledOnly;
export const sigmoid = compiledOnly;
export const tanh = compiledOnly;
export const relu = compiledOnly;
export const exp = compiledOnly;
export const log = compiledOnly;
export const sqrt = compiledOnly;
export const abs = compiledOnly;
export const softplus = compiledOnly;
export const min = compiledOnly;
export const max = compiledOnly;
export const mean = compiledOnly;
export const sum = compiledOnly;
