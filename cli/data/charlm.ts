// `cellforge train charlm --data FILE.txt`: a character language model on any UTF-8 text. The text is cut into
// windows of up to 64 characters; a seeded fifth of the windows is the test set (or the windows of --test FILE).
import { fileError } from '../../ir/errors.js';
import type { Example } from '../../runtime/train/batch.js';
import type { Task } from '../../runtime/train/task.js';
import { readUtf8 } from './read.js';
import { checkParts, DEFAULT_TEST_FRACTION, holdout, partsLine, userTask, type Parts } from './split.js';

export interface CharlmOptions {
  readonly data: string;
  readonly test?: string;
  readonly splitSeed: number;
}

const MAX_WINDOW = 64;
const MIN_CHARS = 20;

function readText(file: string): string {
  const text = readUtf8(file);
  if (text.trim() === '') throw fileError(file, 'the file is empty (no text)');
  const chars = [...text];
  if (chars.length < MIN_CHARS) throw fileError(file, `only ${chars.length} characters; a language model needs at least ${MIN_CHARS}`);
  return text;
}

/** Non-overlapping windows of `w + 1` characters (inputs and next-character targets share all but one). */
function windows(ids: Int32Array, w: number): Example[] {
  const out: Example[] = [];
  for (let s = 0; s + 2 <= ids.length; s += w) {
    const end = Math.min(s + w + 1, ids.length);
    out.push({ length: end - s - 1, tokens: ids.slice(s, end - 1), classes: ids.slice(s + 1, end) });
  }
  return out;
}

export function charlmTask(o: CharlmOptions): { task: Task; lines: string[] } {
  const text = [...readText(o.data)];
  const testText = o.test ? [...readText(o.test)] : [];
  // Short texts get short windows, so that a hand-written paragraph still splits into train, validation and test.
  const w = Math.max(4, Math.min(MAX_WINDOW, Math.floor(text.length / 20)));
  const vocab = [...new Set([...text, ...testText])].sort();
  const index = new Map(vocab.map((c, i) => [c, i]));
  const encode = (chars: string[]) => Int32Array.from(chars, (c) => index.get(c)!);
  let parts: Parts<Example>;
  if (o.test) parts = { ...holdout(windows(encode(text), w), o.splitSeed, 0), test: windows(encode(testText), w) };
  else parts = holdout(windows(encode(text), w), o.splitSeed, DEFAULT_TEST_FRACTION);
  checkParts(parts, o.data, 'windows');
  const onlyTest = new Set(testText.filter((c) => !text.includes(c))).size;
  const task = userTask({
    source: { data: o.data, ...(o.test ? { test: o.test } : {}) },
    splitSeed: o.splitSeed,
    name: 'charlm',
    summary: `your data: character language model on ${o.data}; per-character perplexity; chance: ${vocab.length} (uniform over the vocabulary)`,
    readout: 'steps',
    loss: 'cross-entropy',
    metric: 'perplexity',
    inputSize: 0,
    vocab,
    outputs: vocab.length,
    parts,
    defaults: { cell: 'lstm', hiddenSize: 128, embedDim: 32, epochs: 10, batchSize: 32, optimizer: 'adam', lr: 0.005, clipNorm: 1 },
  });
  const lines = [
    `read ${o.data}${o.test ? ` and ${o.test}` : ''}: ${text.length + testText.length} characters, vocabulary ${vocab.length}${onlyTest ? ` (${onlyTest} only in the test text)` : ''}`,
    `windows of ${w} characters; split: ${partsLine(parts, o.splitSeed, o.test)}`,
  ];
  return { task, lines };
}
