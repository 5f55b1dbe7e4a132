// Generates the sample files in samples/data (see README.md beside this file):
//   npx tsx samples/data/make-samples.ts
// Deterministic: the same bytes on every run and every machine (a counter-based PRNG, fixed seeds, and the
// library's own .npy/.safetensors writers, which are byte-stable).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinCell, RNN } from '../../index.js';
import { writeNpy, type NpyArray } from '../../runtime/io/npy.js';
import { writeSafetensors } from '../../runtime/io/safetensors.js';
import { Random } from '../../runtime/random.js';

const T = 12; // steps
const B = 4; // batch
const X = 8; // input size
const H = 16; // hidden size
const SEED = 20240501;

const here = dirname(fileURLToPath(import.meta.url));

/** `count` values uniform in [lo, hi) from its own stream of the seed, so files never depend on each other. */
function uniform(stream: number, count: number, lo: number, hi: number): Float32Array {
  const rng = new Random(SEED, stream);
  return Float32Array.from({ length: count }, () => rng.uniform(lo, hi));
}

function floats(shape: number[], stream: number, lo: number, hi: number): NpyArray {
  return { dtype: 'float32', shape, data: uniform(stream, shape.reduce((a, b) => a * b, 1), lo, hi) };
}

/** One-layer weights for a built-in cell, PyTorch names and shapes, every value uniform in ±1/√H. */
function weights(cellName: string, stream: number): Record<string, NpyArray> {
  // The RNN is only asked for the parameter names and shapes, so they always match what `run` expects.
  const params = new RNN(builtinCell(cellName), { inputSize: X, hiddenSize: H, numLayers: 1 }).parameters();
  const k = 1 / Math.sqrt(H);
  const out: Record<string, NpyArray> = {};
  params.forEach((p, i) => (out[p.name] = floats(p.shape, stream * 100 + i, -k, k)));
  return out;
}

function save(name: string, write: (path: string) => void, what: string): void {
  write(join(here, name));
  process.stdout.write(`wrote samples/data/${name}: ${what}\n`);
}

const describe = (a: NpyArray) => `${a.dtype} [${a.shape.join(', ')}]`;

const lstm = weights('lstm', 1);
const gru = weights('gru', 2);
const input = floats([T, B, X], 3, -1, 1);
const h0 = floats([1, B, H], 4, -0.5, 0.5);
const c0 = floats([1, B, H], 5, -0.5, 0.5);
const gradOutput = floats([T, B, H], 6, -1, 1);
// Padded batch: example b is valid for lengths[b] steps (1..T), as pack_padded_sequence.
const lengths: NpyArray = { dtype: 'int64', shape: [B], data: BigInt64Array.from([12n, 9n, 5n, 1n]) };

save('lstm.safetensors', (p) => writeSafetensors(p, lstm), Object.entries(lstm).map(([n, a]) => `${n} ${describe(a)}`).join(', '));
save('gru.safetensors', (p) => writeSafetensors(p, gru), Object.entries(gru).map(([n, a]) => `${n} ${describe(a)}`).join(', '));
for (const [name, arr] of [['input.npy', input], ['h0.npy', h0], ['c0.npy', c0], ['grad_output.npy', gradOutput], ['lengths.npy', lengths]] as const) {
  save(name, (p) => writeNpy(p, arr), describe(arr));
}
