// `cellforge train tagging --data FILE.jsonl`: lines {"tokens": [...], "tags": [...]} of equal length; one tag
// per token, read from every step's output.
import { fileError } from '../../ir/errors.js';
import type { Example } from '../../runtime/train/batch.js';
import type { Task } from '../../runtime/train/task.js';
import { UNK, vocabularyOf } from './classify.js';
import { field, readJsonl, stringArray } from './read.js';
import { checkParts, classCounts, DEFAULT_TEST_FRACTION, holdout, lengthRange, mapParts, partsLine, tokenClassTask, type Parts } from './split.js';

export interface TaggingOptions {
  readonly data: string;
  readonly test?: string;
  readonly splitSeed: number;
}

interface Row {
  readonly line: number;
  readonly tokens: string[];
  readonly tags: string[];
}

function readRows(file: string): Row[] {
  return readJsonl(file).map(({ line, value }) => {
    const tokens = stringArray(file, line, field(file, line, value, 'tokens'), 'tokens');
    const tags = stringArray(file, line, field(file, line, value, 'tags'), 'tags');
    if (tokens.length !== tags.length) throw fileError(file, `line ${line}: ${tokens.length} tokens but ${tags.length} tags (one tag per token)`);
    if (tokens.length === 0) throw fileError(file, `line ${line}: no tokens`);
    return { line, tokens, tags };
  });
}

export function taggingTask(o: TaggingOptions): { task: Task; lines: string[] } {
  const rows = readRows(o.data);
  let parts: Parts<Row>;
  if (o.test) {
    const test = readRows(o.test);
    const p = holdout(rows, o.splitSeed, 0);
    const known = new Set(p.train.flatMap((r) => r.tags));
    for (const r of test) {
      const k = r.tags.findIndex((t) => !known.has(t));
      if (k >= 0) throw fileError(o.test, `line ${r.line}: tag ${JSON.stringify(r.tags[k])} (token ${k + 1}) is in the test set only (the training part of ${o.data} never shows it)`);
    }
    parts = { ...p, test };
  } else {
    parts = holdout(rows, o.splitSeed, DEFAULT_TEST_FRACTION, (r) => r.tags);
  }
  checkParts(parts, o.data, 'examples');
  const tags = [...new Set(parts.train.flatMap((r) => r.tags))].sort();
  const vocab = vocabularyOf(parts.train.map((r) => r.tokens));
  const tokenIndex = new Map(vocab.map((t, i) => [t, i]));
  const tagIndex = new Map(tags.map((t, i) => [t, i]));
  const toExample = (r: Row): Example => ({ length: r.tokens.length, tokens: Int32Array.from(r.tokens, (t) => tokenIndex.get(t) ?? 0), classes: Int32Array.from(r.tags, (t) => tagIndex.get(t)!) });
  const all = [...rows, ...(o.test ? parts.test : [])];
  const testTags = parts.test.flatMap((r) => r.tags);
  const majority = Math.max(...tags.map((t) => testTags.filter((x) => x === t).length)) / testTags.length;
  const task = tokenClassTask({
    name: 'tagging',
    summary: `your data: ${o.data}, one of ${tags.length} tags per token (per-token accuracy); chance: ${(100 * majority).toFixed(1)}% (the most common test tag)`,
    readout: 'steps',
    vocab,
    classes: tags.length,
    parts: mapParts(parts, toExample),
    source: { data: o.data, ...(o.test ? { test: o.test } : {}) },
    splitSeed: o.splitSeed,
  });
  const lines = [
    `read ${o.data}${o.test ? ` and ${o.test}` : ''}: ${all.length} sequences, ${all.reduce((n, r) => n + r.tokens.length, 0)} tokens, ${tags.length} tags (${classCounts(all.flatMap((r) => r.tags))})`,
    `lengths ${lengthRange(all.map((r) => r.tokens.length))} tokens; vocabulary ${vocab.length - 1} tokens from the training part (+ ${UNK})`,
    `split: ${partsLine(parts, o.splitSeed, o.test)}`,
  ];
  return { task, lines };
}
