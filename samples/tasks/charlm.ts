// Character-level language model on a shipped English prose excerpt (samples/tasks/data/lighthouse.txt):
// predict the next character at every step; validation perplexity per character; sampled text in the report.
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import type { SequenceModel } from '../../runtime/train/model.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { memo, readTaskFile, sampleLogits } from './util.js';

export const TEXT_FILE = 'lighthouse.txt';
const WINDOW = 64;
const STRIDE = 32;

const build = memo(() => {
  // One space for every run of whitespace: line breaks in the file are layout, not content.
  const text = readTaskFile(TEXT_FILE).replace(/\s+/g, ' ').trim();
  const vocab = [...new Set(text)].sort();
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids = Int32Array.from(text, (c) => index.get(c)!);
  const window = (start: number): Example => ({ length: WINDOW, tokens: ids.slice(start, start + WINDOW), classes: ids.slice(start + 1, start + WINDOW + 1) });
  const windows = (from: number, to: number, stride: number) => {
    const out: Example[] = [];
    for (let s = from; s + WINDOW + 1 <= to; s += stride) out.push(window(s));
    return out;
  };
  // The last 10% of the text is held out: the first half of it for validation, the second for test.
  const [a, b] = [Math.floor(ids.length * 0.9), Math.floor(ids.length * 0.95)];
  const data: TaskData = { train: windows(0, a, STRIDE), valid: windows(a, b, WINDOW), test: windows(b, ids.length, WINDOW) };
  return { text, vocab, index, data };
});

/** Samples `length` characters after `prompt`, one step at a time, carrying the RNN state; temperature-scaled. */
export async function sampleText(model: SequenceModel, prompt: string, length: number, rng: Random, temperature = 0.7): Promise<string> {
  const { vocab, index } = build();
  const V = vocab.length;
  let ids = Int32Array.from(prompt, (c) => index.get(c) ?? 0);
  let state: { h0?: Float64Array; c0?: Float64Array } = {};
  let out = prompt;
  for (let n = 0; n < length; n++) {
    const batch = model.batchOf([{ length: ids.length, tokens: ids, classes: new Int32Array(ids.length) }]);
    const r = await model.predict(batch, state);
    state = { h0: r.hN, ...(r.cN ? { c0: r.cN } : {}) };
    const next = sampleLogits(r.y.subarray((ids.length - 1) * V, ids.length * V), temperature, rng);
    out += vocab[next]!;
    ids = Int32Array.of(next);
  }
  return out;
}

export const charlm: Task = {
  name: 'charlm',
  get summary() {
    return `character language model on ${TEXT_FILE} (English prose, 25 KB): predict the next character; per-character perplexity; chance: ${build().vocab.length} (uniform over the characters)`;
  },
  readout: 'steps',
  loss: 'cross-entropy',
  metric: 'perplexity',
  inputSize: 0,
  get vocab() {
    return build().vocab;
  },
  get outputs() {
    return build().vocab.length;
  },
  defaults: { cell: 'lstm', hiddenSize: 128, embedDim: 32, epochs: 4, batchSize: 32, optimizer: 'adam', lr: 0.005, clipNorm: 1 },
  data: () => build().data,
  async showcase(model: SequenceModel, seed: number): Promise<string> {
    const rng = new Random(seed, 77);
    const samples = [];
    for (const prompt of ['The lighthouse ', 'In the morning ', 'She said that ']) samples.push(await sampleText(model, prompt, 240, rng));
    return `Sampled at temperature 0.7 after each prompt:\n\n${samples.join('\n\n')}`;
  },
};
