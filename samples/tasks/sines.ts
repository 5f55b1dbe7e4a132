// Noisy-sine regression: read a sine of random frequency, amplitude and phase with Gaussian noise, and predict
// the next clean value at every step (MSE over all steps).
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import { gaussian } from '../../runtime/train/init.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { memo } from './util.js';

const T = 40;
const NOISE = 0.1;

export function sineExample(rng: Random): Example {
  const omega = rng.uniform(0.15, 0.6);
  const amp = rng.uniform(0.5, 1);
  const phase = rng.uniform(0, 2 * Math.PI);
  const features = new Float64Array(T);
  const values = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    features[t] = amp * Math.sin(omega * t + phase) + NOISE * gaussian(rng);
    values[t] = amp * Math.sin(omega * (t + 1) + phase);
  }
  return { length: T, features, values };
}

export const sines: Task = {
  name: 'sines',
  summary: `noisy sines: predict the next clean value at each of ${T} steps (noise σ = ${NOISE}; MSE; chance: always answering 0 scores 0.29)`,
  readout: 'steps',
  loss: 'mse',
  metric: 'mse',
  inputSize: 1,
  outputs: 1,
  defaults: { cell: 'gru', hiddenSize: 32, epochs: 6, batchSize: 32, optimizer: 'adam', lr: 0.01, clipNorm: 1 },
  data: memo((): TaskData => {
    const rng = new Random(40, 1);
    const make = (n: number) => Array.from({ length: n }, () => sineExample(rng));
    return { train: make(2000), valid: make(200), test: make(500) };
  }),
};
