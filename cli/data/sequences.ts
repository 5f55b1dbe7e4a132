// `cellforge train sequences --x X.npy --y Y.npy [--lengths L.npy]`: x [N, T, X] floats; y [N] integers
// (classification from the last output), [N] floats (regression from the last output), or [N, T] (a target per step,
// integers: classes, floats: values). Optional lengths [N] in 1..T: steps past an example's length are ignored.
import { fileError } from '../../ir/errors.js';
import { readNpy, type NpyArray } from '../../runtime/io/npy.js';
import type { Example } from '../../runtime/train/batch.js';
import type { Task } from '../../runtime/train/task.js';
import { checkParts, classCounts, DEFAULT_TEST_FRACTION, holdout, lengthRange, mapParts, partsLine, userTask } from './split.js';

export interface SequencesOptions {
  readonly x: string;
  readonly y: string;
  readonly lengths?: string;
  readonly splitSeed: number;
}

const isInt = (a: NpyArray) => a.dtype === 'int32' || a.dtype === 'int64';
const numbers = (a: NpyArray): Float64Array => (a.data instanceof BigInt64Array ? Float64Array.from(a.data, Number) : Float64Array.from(a.data));

/** `[3, 7, 1]` for flat index i of an array of `shape`. */
function at(shape: readonly number[], i: number): string {
  const idx = shape.map(() => 0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return `[${idx.join(', ')}]`;
}

function checkFinite(file: string, a: NpyArray, values: Float64Array): void {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw fileError(file, `${values[bad]} at index ${at(a.shape, bad)} (every value must be a finite number)`);
}

export function sequencesTask(o: SequencesOptions): { task: Task; lines: string[] } {
  const xa = readNpy(o.x);
  if (xa.shape.length !== 3) throw fileError(o.x, `x must have shape [N, T, X], got [${xa.shape.join(', ')}]`);
  const [N, T, X] = xa.shape as [number, number, number];
  if (N === 0 || T === 0 || X === 0) throw fileError(o.x, `x is empty (shape [${xa.shape.join(', ')}])`);
  const x = numbers(xa);
  checkFinite(o.x, xa, x);
  const ya = readNpy(o.y);
  if (ya.shape[0] !== N) throw fileError(o.y, `y has ${ya.shape[0] ?? 0} rows but ${o.x} has ${N} examples (y must be [N] or [N, T])`);
  if (ya.shape.length > 2 || (ya.shape.length === 2 && ya.shape[1] !== T)) throw fileError(o.y, `y must have shape [${N}] or [${N}, ${T}], got [${ya.shape.join(', ')}]`);
  const y = numbers(ya);
  checkFinite(o.y, ya, y);
  const perStep = ya.shape.length === 2;
  const classify = isInt(ya);
  if (classify) {
    const neg = y.findIndex((v) => v < 0);
    if (neg >= 0) throw fileError(o.y, `class ${y[neg]} at index ${at(ya.shape, neg)} is negative (classes are 0, 1, 2, ...)`);
  }
  let lengths: Int32Array;
  if (o.lengths) {
    const la = readNpy(o.lengths);
    if (la.shape.length !== 1 || la.shape[0] !== N) throw fileError(o.lengths, `lengths must have shape [${N}] (one per example of ${o.x}), got [${la.shape.join(', ')}]`);
    const l = numbers(la);
    const bad = l.findIndex((v) => !Number.isInteger(v) || v < 1 || v > T);
    if (bad >= 0) throw fileError(o.lengths, `length ${l[bad]} at index [${bad}] is outside 1..${T}`);
    lengths = Int32Array.from(l);
  } else lengths = new Int32Array(N).fill(T);

  const labelsOf = (n: number): string[] => {
    if (!classify) return [];
    return perStep ? Array.from(y.subarray(n * T, n * T + lengths[n]!), String) : [String(y[n])];
  };
  const parts = holdout(Array.from({ length: N }, (_, n) => n), o.splitSeed, DEFAULT_TEST_FRACTION, classify ? labelsOf : undefined);
  checkParts(parts, o.x, 'examples');
  const classes = classify ? Math.max(...parts.train.flatMap(labelsOf).map(Number)) + 1 : 1;
  const toExample = (n: number): Example => {
    const len = lengths[n]!;
    const features = x.slice(n * T * X, (n * T + len) * X);
    const target = perStep ? y.subarray(n * T, n * T + len) : y.subarray(n, n + 1);
    return classify ? { length: len, features, classes: Int32Array.from(target) } : { length: len, features, values: Float64Array.from(target) };
  };
  const kind = `${classify ? `classification into ${classes} classes` : 'regression (MSE)'} ${perStep ? 'at every step' : 'from the last output'}`;
  const testLabels = classify ? parts.test.flatMap(labelsOf) : [];
  const majority = classify ? Math.max(...[...new Set(testLabels)].map((c) => testLabels.filter((v) => v === c).length)) / testLabels.length : 0;
  const task = userTask({
    source: { x: o.x, y: o.y, ...(o.lengths ? { lengths: o.lengths } : {}) },
    splitSeed: o.splitSeed,
    name: 'sequences',
    summary: `your data: ${o.x} -> ${o.y}, ${kind}; chance: ${classify ? `${(100 * majority).toFixed(1)}% (the most common test class)` : 'the MSE of predicting the mean, the variance of y'}`,
    readout: perStep ? 'steps' : 'last',
    loss: classify ? 'cross-entropy' : 'mse',
    metric: classify ? 'accuracy' : 'mse',
    inputSize: X,
    outputs: classes,
    parts: mapParts(parts, toExample),
  });
  const all = Array.from({ length: N }, (_, n) => n);
  const lines = [
    `read ${o.x} [${xa.shape.join(', ')}] ${xa.dtype}, ${o.y} [${ya.shape.join(', ')}] ${ya.dtype}${o.lengths ? `, ${o.lengths}` : ''}: ${N} sequences of ${X} features, ${kind}`,
    `lengths ${lengthRange(Array.from(lengths))} steps${classify ? `; classes ${classCounts(all.flatMap(labelsOf))}` : ''}`,
    `split: ${partsLine(parts, o.splitSeed)}`,
  ];
  return { task, lines };
}
