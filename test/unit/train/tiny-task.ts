// A tiny regression task for the training tests: sum of the marked values over 8 steps, 64 examples.
import { Random } from '../../../runtime/random.js';
import type { Example } from '../../../runtime/train/batch.js';
import type { Task, TaskData } from '../../../runtime/train/task.js';

function example(rng: Random, T: number): Example {
  const features = new Float64Array(T * 2);
  let sum = 0;
  for (let t = 0; t < T; t++) {
    features[t * 2] = rng.next();
    if (rng.next() < 0.3) {
      features[t * 2 + 1] = 1;
      sum += features[t * 2]!;
    }
  }
  return { length: T, features, values: Float64Array.of(sum) };
}

const rng = new Random(11, 1);
const make = (n: number) => Array.from({ length: n }, () => example(rng, 8));
const data: TaskData = { train: make(64), valid: make(16), test: make(16) };

export const tinyTask: Task = {
  name: 'tiny',
  summary: 'tiny marked-sum regression for tests',
  readout: 'last',
  loss: 'mse',
  metric: 'mse',
  inputSize: 2,
  outputs: 1,
  defaults: { cell: 'gru', hiddenSize: 6, epochs: 3, batchSize: 8, optimizer: 'adam', lr: 0.02, clipNorm: 1 },
  data: () => data,
};
