// The copy-memory task (Hochreiter and Schmidhuber 1997; Arjovsky et al. 2016): read K symbols, wait through a
// delay of blanks, and after the delimiter write the K symbols back. Scored only on the K recall steps.
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { memo } from './util.js';

const SYMBOLS = 8; // ids 1..8
const BLANK = 0;
const DELIM = SYMBOLS + 1;
const K = 5;
const DELAY = 20;

export function copyExample(rng: Random): Example {
  const T = K + DELAY + K;
  const tokens = new Int32Array(T).fill(BLANK);
  const classes = new Int32Array(T).fill(BLANK);
  const mask = new Float64Array(T);
  for (let k = 0; k < K; k++) {
    const s = 1 + Math.floor(rng.next() * SYMBOLS);
    tokens[k] = s;
    classes[K + DELAY + k] = s;
    mask[K + DELAY + k] = 1;
  }
  tokens[K + DELAY - 1] = DELIM;
  return { length: T, tokens, classes, mask };
}

export const copy: Task = {
  name: 'copy',
  summary: `copy memory: recall ${K} symbols after a ${DELAY}-step delay (accuracy on the recall steps; chance is ${(100 / SYMBOLS).toFixed(1)}%)`,
  readout: 'steps',
  loss: 'cross-entropy',
  metric: 'accuracy',
  inputSize: 0,
  vocab: ['_', ...Array.from({ length: SYMBOLS }, (_, i) => String.fromCharCode(65 + i)), '|'],
  outputs: SYMBOLS + 1,
  defaults: { cell: 'gru', hiddenSize: 64, embedDim: 16, epochs: 10, batchSize: 32, optimizer: 'adam', lr: 0.005, clipNorm: 1 },
  data: memo((): TaskData => {
    const rng = new Random(61, 1);
    const make = (n: number) => Array.from({ length: n }, () => copyExample(rng));
    return { train: make(4000), valid: make(300), test: make(500) };
  }),
};
