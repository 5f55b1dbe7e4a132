// Sequence labelling: tag every token of a bracket string with the nesting depth after it (0..MAX_DEPTH).
// Letters between brackets carry no depth information of their own, so the cell has to count.
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { memo } from './util.js';

const MAX_DEPTH = 6;
const VOCAB = ['(', ')', 'a', 'b', 'c'];

export function bracketExample(rng: Random): Example {
  const length = 10 + Math.floor(rng.next() * 31); // 10..40
  const tokens = new Int32Array(length);
  const classes = new Int32Array(length);
  let depth = 0;
  for (let t = 0; t < length; t++) {
    const u = rng.next();
    let tok: number;
    if (u < 0.3 && depth < MAX_DEPTH) tok = 0;
    else if (u < 0.6 && depth > 0) tok = 1;
    else tok = 2 + Math.floor(rng.next() * 3);
    depth += tok === 0 ? 1 : tok === 1 ? -1 : 0;
    tokens[t] = tok;
    classes[t] = depth;
  }
  return { length, tokens, classes };
}

export const tagging: Task = {
  name: 'tagging',
  get summary() {
    const tags = this.data().test.flatMap((e) => Array.from(e.classes!));
    const majority = Math.max(...Array.from({ length: MAX_DEPTH + 1 }, (_, d) => tags.filter((t) => t === d).length)) / tags.length;
    return `sequence labelling: tag each token of a bracket string with its nesting depth 0..${MAX_DEPTH} (per-token accuracy; lengths 10-40, padded steps masked); chance: ${(100 * majority).toFixed(1)}% (always the most common depth)`;
  },
  readout: 'steps',
  loss: 'cross-entropy',
  metric: 'accuracy',
  inputSize: 0,
  vocab: VOCAB,
  outputs: MAX_DEPTH + 1,
  defaults: { cell: 'gru', hiddenSize: 32, embedDim: 8, epochs: 6, batchSize: 32, optimizer: 'adam', lr: 0.005, clipNorm: 1 },
  data: memo((): TaskData => {
    const rng = new Random(7, 1);
    const make = (n: number) => Array.from({ length: n }, () => bracketExample(rng));
    return { train: make(2000), valid: make(200), test: make(500) };
  }),
};
