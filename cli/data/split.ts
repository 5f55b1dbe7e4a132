// The seeded hold-out of the user's data, and the Task that wraps it for the trainer.
import { fileError } from '../../ir/errors.js';
import { Random } from '../../runtime/random.js';
import type { Example } from '../../runtime/train/batch.js';
import type { Task, TaskData, TaskDefaults } from '../../runtime/train/task.js';

export const DEFAULT_TEST_FRACTION = 0.2;
/** Of what is left for training, this much validates each epoch (at least one example). */
const VALID_FRACTION = 0.1;

export interface Parts<T> {
  train: T[];
  valid: T[];
  test: T[];
}

function shuffled(n: number, rng: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Splits `items` by a seeded shuffle: `testFraction` to test (none when the test set comes from its own file), then
 * a tenth of the rest to validation. A test item whose labels (`labelsOf`) the training part never shows moves to
 * training: a class first met at test time cannot be learned, so only a separate test file can produce one.
 */
export function holdout<T>(items: readonly T[], seed: number, testFraction: number, labelsOf?: (t: T) => readonly string[]): Parts<T> {
  const rng = new Random(seed, 4242);
  const order = shuffled(items.length, rng).map((i) => items[i]!);
  const nTest = Math.round(items.length * testFraction);
  let test = order.slice(0, nTest);
  let rest = order.slice(nTest);
  if (labelsOf) {
    const seen = new Set(rest.flatMap(labelsOf));
    const moved = test.filter((t) => !labelsOf(t).every((l) => seen.has(l)));
    for (const t of moved) for (const l of labelsOf(t)) seen.add(l);
    test = test.filter((t) => !moved.includes(t));
    rest = [...rest, ...moved];
  }
  const nValid = Math.max(1, Math.round(rest.length * VALID_FRACTION));
  return { test, valid: rest.slice(0, nValid), train: rest.slice(nValid) };
}

/** Every part must hold something: a split of fewer examples than that is an error naming the file. */
export function checkParts(parts: Parts<unknown>, file: string, what: string): void {
  for (const [name, p] of Object.entries(parts)) {
    if (p.length === 0) throw fileError(file, `too few ${what} to split: the ${name} part is empty (${parts.train.length} train, ${parts.valid.length} validation, ${parts.test.length} test)`, 'add examples, or give a test set with --test FILE');
  }
}

export const userDefaults: TaskDefaults = { cell: 'lstm', hiddenSize: 64, embedDim: 32, epochs: 10, batchSize: 32, optimizer: 'adam', lr: 0.005, clipNorm: 1 };

/** The Task over the user's split; `source` (the files) and the split seed go into metrics.json. */
export function userTask(base: Omit<Task, 'data' | 'defaults'> & { parts: Parts<Example>; defaults?: TaskDefaults; source: Record<string, string>; splitSeed: number }): Task {
  const { parts, defaults, source, splitSeed, ...rest } = base;
  const data: TaskData = parts;
  const info = { ...source, splitSeed, train: parts.train.length, validation: parts.valid.length, test: parts.test.length };
  return { ...rest, defaults: defaults ?? userDefaults, data: () => data, dataInfo: () => info };
}

/** `3-80 (mean 24.1)` for a list of lengths. */
export function lengthRange(lengths: readonly number[]): string {
  const [lo, hi] = [Math.min(...lengths), Math.max(...lengths)];
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  return lo === hi ? `${lo}` : `${lo}-${hi} (mean ${mean.toFixed(1)})`;
}

/** The most common classes with their counts, `a 40, b 30, ...`. */
export function classCounts(labels: readonly string[], max = 8): string {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return sorted.slice(0, max).map(([l, n]) => `${JSON.stringify(l)} ${n}`).join(', ') + (sorted.length > max ? `, ... (${sorted.length - max} more)` : '');
}

export function partsLine(parts: Parts<unknown>, seed: number, testFile?: string): string {
  return `${parts.train.length} train, ${parts.valid.length} validation, ${parts.test.length} test (${testFile ? `test from ${testFile}` : `${Math.round(100 * DEFAULT_TEST_FRACTION)}% held out`}, split seed ${seed})`;
}

export function mapParts<T, U>(parts: Parts<T>, f: (t: T) => U): Parts<U> {
  return { train: parts.train.map(f), valid: parts.valid.map(f), test: parts.test.map(f) };
}

/** Token sequences with class targets, read through an embedding: from the last step (classify) or every step (tagging). */
export function tokenClassTask(o: { name: string; summary: string; readout: 'last' | 'steps'; vocab: string[]; classes: number; parts: Parts<Example>; source: Record<string, string>; splitSeed: number }): Task {
  const { classes, ...rest } = o;
  return userTask({ ...rest, loss: 'cross-entropy', metric: 'accuracy', inputSize: 0, outputs: classes });
}
