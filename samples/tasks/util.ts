// Small helpers shared by the sample tasks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';

/** Computes a task's data once per process (compared cells share it). */
export function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** A file shipped in samples/tasks/data, found from sources and from dist/ alike. */
export function readTaskFile(name: string): string {
  return readFileSync(join(packageRoot(), 'samples', 'tasks', 'data', name), 'utf8');
}

/** Deterministic split of `items` into train/valid/test by fractions, after a seeded shuffle. */
export function split<T>(items: readonly T[], validFraction: number, testFraction: number, next: () => number): { train: T[]; valid: T[]; test: T[] } {
  const order = items.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nValid = Math.round(items.length * validFraction);
  const nTest = Math.round(items.length * testFraction);
  const pick = (from: number, to: number) => order.slice(from, to).map((i) => items[i]!);
  return { valid: pick(0, nValid), test: pick(nValid, nValid + nTest), train: pick(nValid + nTest, items.length) };
}

/** An index drawn from softmax(logits / temperature). */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, rng: { next(): number }): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const p = Array.from({ length: logits.length }, (_, i) => Math.exp((logits[i]! - max) / temperature));
  let u = rng.next() * p.reduce((s, v) => s + v, 0);
  let k = 0;
  while (k < p.length - 1 && (u -= p[k]!) > 0) k++;
  return k;
}
