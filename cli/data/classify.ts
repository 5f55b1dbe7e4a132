// `cellforge train classify --data FILE.jsonl`: one JSON object per line, a text (characters or words) and a label
// (any string); the model reads the tokens and classifies from the last output. Lengths vary (no padding tricks).
import { fileError } from '../../ir/errors.js';
import type { Example } from '../../runtime/train/batch.js';
import type { Task } from '../../runtime/train/task.js';
import { field, readJsonl } from './read.js';
import { checkParts, classCounts, DEFAULT_TEST_FRACTION, holdout, lengthRange, mapParts, partsLine, tokenClassTask, type Parts } from './split.js';

export type TokenKind = 'chars' | 'words';
export const UNK = '<unk>';

export interface ClassifyOptions {
  readonly data: string;
  readonly test?: string;
  readonly textField: string;
  readonly labelField: string;
  readonly tokens: TokenKind;
  readonly splitSeed: number;
}

interface Row {
  readonly file: string;
  readonly line: number;
  readonly tokens: string[];
  readonly label: string;
}

export function tokenize(text: string, kind: TokenKind): string[] {
  return kind === 'chars' ? [...text] : text.split(/\s+/).filter(Boolean);
}

function readRows(file: string, o: ClassifyOptions): Row[] {
  return readJsonl(file).map(({ line, value }) => {
    const text = field(file, line, value, o.textField);
    if (typeof text !== 'string') throw fileError(file, `line ${line}: field '${o.textField}' must be a string, got ${JSON.stringify(text)}`);
    const label = field(file, line, value, o.labelField);
    if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') throw fileError(file, `line ${line}: field '${o.labelField}' must be a string or a number, got ${JSON.stringify(label)}`);
    const tokens = tokenize(text, o.tokens);
    if (tokens.length === 0) throw fileError(file, `line ${line}: field '${o.textField}' has no ${o.tokens === 'chars' ? 'characters' : 'words'}`);
    return { file, line, tokens, label: String(label) };
  });
}

/** Vocabulary from the training part only (index 0 is the unknown token), in first-seen-sorted order. */
export function vocabularyOf(seqs: readonly (readonly string[])[]): string[] {
  return [UNK, ...[...new Set(seqs.flat())].sort()];
}

export function classifyTask(o: ClassifyOptions): { task: Task; lines: string[] } {
  const rows = readRows(o.data, o);
  let parts: Parts<Row>;
  if (o.test) {
    const test = readRows(o.test, o);
    const p = holdout(rows, o.splitSeed, 0);
    const known = new Set(p.train.map((r) => r.label));
    const stranger = test.find((r) => !known.has(r.label));
    if (stranger) throw fileError(o.test, `line ${stranger.line}: label ${JSON.stringify(stranger.label)} is in the test set only (the training part of ${o.data} never shows it)`);
    parts = { ...p, test };
  } else {
    parts = holdout(rows, o.splitSeed, DEFAULT_TEST_FRACTION, (r) => [r.label]);
  }
  checkParts(parts, o.data, 'examples');
  const labels = [...new Set(parts.train.map((r) => r.label))].sort();
  const vocab = vocabularyOf(parts.train.map((r) => r.tokens));
  const tokenIndex = new Map(vocab.map((t, i) => [t, i]));
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const toExample = (r: Row): Example => ({ length: r.tokens.length, tokens: Int32Array.from(r.tokens, (t) => tokenIndex.get(t) ?? 0), classes: Int32Array.of(labelIndex.get(r.label)!) });
  const unknown = parts.test.reduce((n, r) => n + r.tokens.filter((t) => !tokenIndex.has(t)).length, 0);
  const all = [...rows, ...(o.test ? parts.test : [])];
  const majority = Math.max(...labels.map((l) => parts.test.filter((r) => r.label === l).length)) / parts.test.length;
  const task = tokenClassTask({
    name: 'classify',
    summary: `your data: ${o.data}, ${labels.length} classes from the last output (${o.tokens}); chance: ${(100 * majority).toFixed(1)}% (the most common test label)`,
    readout: 'last',
    vocab,
    classes: labels.length,
    parts: mapParts(parts, toExample),
    source: { data: o.data, ...(o.test ? { test: o.test } : {}) },
    splitSeed: o.splitSeed,
  });
  const lines = [
    `read ${o.data}${o.test ? ` and ${o.test}` : ''}: ${all.length} examples, ${labels.length} classes (${classCounts(all.map((r) => r.label))})`,
    `lengths ${lengthRange(all.map((r) => r.tokens.length))} ${o.tokens}; vocabulary ${vocab.length - 1} ${o.tokens === 'chars' ? 'characters' : 'words'} from the training part (+ ${UNK}; ${unknown} test tokens read as ${UNK})`,
    `split: ${partsLine(parts, o.splitSeed, o.test)}`,
  ];
  return { task, lines };
}
