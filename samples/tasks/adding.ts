// The adding problem (Hochreiter and Schmidhuber 1997; Le et al. 2015): T = 50 steps of (value, marker); the target
// is the sum of the two marked values, one marked in each half. Predicting 1 always gives MSE ≈ 0.167.
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { memo } from './util.js';

export const ADDING_STEPS = 50;

export function addingExample(rng: Random, T = ADDING_STEPS): Example {
  const features = new Float64Array(T * 2);
  for (let t = 0; t < T; t++) features[t * 2] = rng.next();
  const half = Math.floor(T / 2);
  const a = Math.floor(rng.next() * half);
  const b = half + Math.floor(rng.next() * (T - half));
  features[a * 2 + 1] = 1;
  features[b * 2 + 1] = 1;
  return { length: T, features, values: Float64Array.of(features[a * 2]! + features[b * 2]!) };
}

const DATA_SEED = 50;

export const adding: Task = {
  name: 'adding',
  summary: `the adding problem, T = ${ADDING_STEPS}: regress the sum of the two marked values (MSE; always answering 1 scores 0.167)`,
  readout: 'last',
  loss: 'mse',
  metric: 'mse',
  inputSize: 2,
  outputs: 1,
  defaults: { cell: 'lstm', hiddenSize: 32, epochs: 8, batchSize: 32, optimizer: 'adam', lr: 0.01, clipNorm: 1 },
  data: memo((): TaskData => {
    const rng = new Random(DATA_SEED, 1);
    const make = (n: number) => Array.from({ length: n }, () => addingExample(rng));
    return { train: make(6400), valid: make(500), test: make(1000) };
  }),
};
