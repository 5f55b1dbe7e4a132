// Intent recognition: read an utterance word by word and classify it from the last output (text classification).
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import type { SequenceModel } from '../../runtime/train/model.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { intents, intentUtterances, words } from './intent-data.js';
import { memo, split } from './util.js';

const UNK = '<unk>';
const labels = Object.keys(intents);

const build = memo(() => {
  const all = intentUtterances();
  const rng = new Random(2024, 2);
  const parts = split(all, 0.15, 0.2, () => rng.next());
  // The vocabulary comes from the training split only: a word first seen at test time reads as <unk>.
  const vocab = [UNK, ...[...new Set(parts.train.flatMap(([text]) => words(text)))].sort()];
  const index = new Map(vocab.map((w, i) => [w, i]));
  const encode = (text: string) => Int32Array.from(words(text), (w) => index.get(w) ?? 0);
  const toExample = ([text, intent]: [string, string]): Example => {
    const tokens = encode(text);
    return { length: tokens.length, tokens, classes: Int32Array.of(labels.indexOf(intent)) };
  };
  const data: TaskData = { train: parts.train.map(toExample), valid: parts.valid.map(toExample), test: parts.test.map(toExample) };
  return { vocab, encode, data };
});

/** Unseen phrasings, shown in the report with the trained model's answers. */
const probes = [
  'wake me up at eight tomorrow',
  "what's the weather like in lisbon",
  'put on some jazz please',
  'turn off the kitchen lights',
  'remind me to call the bank',
  'set a timer for twelve minutes',
  'how do you say good evening in french',
  'tell me a joke about robots',
  'book a table for two tonight',
];

export const intent: Task = {
  name: 'intent',
  summary: `intent recognition: ${labels.length} intents, classify an utterance from the last output (word tokens, embedding); chance: ${(100 / labels.length).toFixed(1)}% (balanced classes)`,
  readout: 'last',
  loss: 'cross-entropy',
  metric: 'accuracy',
  inputSize: 0,
  get vocab() {
    return build().vocab;
  },
  outputs: labels.length,
  defaults: { cell: 'gru', hiddenSize: 48, embedDim: 32, epochs: 8, batchSize: 16, optimizer: 'adam', lr: 0.01, clipNorm: 5 },
  data: () => build().data,
  async showcase(model: SequenceModel): Promise<string> {
    const { encode } = build();
    const lines = [];
    for (const text of probes) {
      const tokens = encode(text);
      const batch = model.batchOf([{ length: tokens.length, tokens, classes: Int32Array.of(0) }]);
      const { y } = await model.predict(batch);
      const last = y.subarray((tokens.length - 1) * labels.length, tokens.length * labels.length);
      const best = last.indexOf(Math.max(...last));
      lines.push(`${text.padEnd(42)} -> ${labels[best]}`);
    }
    return `Unseen utterances (words outside the training vocabulary read as ${UNK}):\n${lines.join('\n')}`;
  },
};
