// Bad data files through `cellforge train <classify|tagging|charlm|sequences>`: every case exits 1 with one line
// naming the file and the line or index, no stack trace, and writes nothing (the --out folder is never created).
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, DataDir, sentiment, tagged } from '../../helpers/data-files.js';

const d = new DataDir();
afterAll(() => d.remove());

const good = () => d.jsonl('good.jsonl', sentiment());
const x = (name = 'x.npy', fill: (i: number) => number = (i) => (i % 5) / 5) => d.npy(name, 'float32', [20, 4, 2], fill);
const y = (name = 'y.npy', rows = 20) => d.npy(name, 'int64', [rows], (i) => i % 2);

interface Case {
  readonly name: string;
  readonly argv: () => string[];
  /** The one line the user sees (after `cellforge: `), as a pattern. */
  readonly message: RegExp;
}

const cases: Case[] = [
  { name: 'malformed JSON on line N', argv: () => ['classify', '--data', d.jsonl('bad-json.jsonl', [...sentiment(4), '{"text": "oops", "label": ', ...sentiment(4)])], message: /bad-json\.jsonl: line 5: malformed JSON/ },
  { name: 'a line that is not an object', argv: () => ['classify', '--data', d.jsonl('array.jsonl', [...sentiment(2), '["a", "b"]'])], message: /array\.jsonl: line 3: expected a JSON object, got an array/ },
  { name: 'a missing label field', argv: () => ['classify', '--data', d.jsonl('no-label.jsonl', [...sentiment(3), { text: 'hello' }])], message: /no-label\.jsonl: line 4: no field 'label'/ },
  { name: 'a missing --text-field', argv: () => ['classify', '--data', good(), '--text-field', 'sentence'], message: /good\.jsonl: line 1: no field 'sentence'/ },
  { name: 'a text that is not a string', argv: () => ['classify', '--data', d.jsonl('num-text.jsonl', [...sentiment(2), { text: 42, label: 'pos' }])], message: /num-text\.jsonl: line 3: field 'text' must be a string, got 42/ },
  { name: 'an empty text', argv: () => ['classify', '--data', d.jsonl('empty-text.jsonl', [...sentiment(6), { text: '', label: 'pos' }])], message: /empty-text\.jsonl: line 7: field 'text' has no characters/ },
  { name: 'an empty file', argv: () => ['classify', '--data', d.write('empty.jsonl', '')], message: /empty\.jsonl: the file is empty/ },
  { name: 'a file of blank lines', argv: () => ['tagging', '--data', d.write('blank.jsonl', '\n  \n\n')], message: /blank\.jsonl: the file is empty/ },
  { name: 'a file that is not UTF-8', argv: () => ['classify', '--data', d.write('latin1.jsonl', Buffer.concat([Buffer.from('{"text": "ok", "label": "a"}\n{"text": "caf'), Buffer.from([0xe9]), Buffer.from('", "label": "b"}\n')]))], message: /latin1\.jsonl: line 2: not UTF-8 text/ },
  { name: 'a text file that is not UTF-8', argv: () => ['charlm', '--data', d.write('bytes.txt', Uint8Array.from([0x68, 0x69, 0x0a, 0xff, 0xfe, 0x00]))], message: /bytes\.txt: line 2: not UTF-8 text/ },
  { name: 'an empty text file', argv: () => ['charlm', '--data', d.write('empty.txt', '  \n')], message: /empty\.txt: the file is empty \(no text\)/ },
  { name: 'tokens and tags of different lengths', argv: () => ['tagging', '--data', d.jsonl('ragged.jsonl', [...tagged(3), { tokens: ['the', 'cat', 'runs'], tags: ['DET', 'N'] }])], message: /ragged\.jsonl: line 4: 3 tokens but 2 tags/ },
  { name: 'tags that are not an array', argv: () => ['tagging', '--data', d.jsonl('tag-string.jsonl', [...tagged(2), { tokens: ['a'], tags: 'DET' }])], message: /tag-string\.jsonl: line 3: field 'tags' must be an array/ },
  { name: 'a missing tokens field', argv: () => ['tagging', '--data', d.jsonl('no-tokens.jsonl', [{ words: ['a'], tags: ['DET'] }])], message: /no-tokens\.jsonl: line 1: no field 'tokens'/ },
  { name: 'a label seen only in the test split', argv: () => ['classify', '--data', good(), '--test', d.jsonl('test-new.jsonl', [{ text: 'a good day', label: 'pos' }, { text: 'a dull day', label: 'meh' }])], message: /test-new\.jsonl: line 2: label "meh" is in the test set only/ },
  { name: 'a tag seen only in the test split', argv: () => ['tagging', '--data', d.jsonl('tags.jsonl', tagged()), '--test', d.jsonl('tags-test.jsonl', [{ tokens: ['the', 'cat', 'quickly'], tags: ['DET', 'N', 'ADV'] }])], message: /tags-test\.jsonl: line 1: tag "ADV" \(token 3\) is in the test set only/ },
  { name: 'y with the wrong number of rows', argv: () => ['sequences', '--x', x(), '--y', y('y-short.npy', 19)], message: /y-short\.npy: y has 19 rows but .*x\.npy has 20 examples/ },
  { name: 'y of the wrong shape', argv: () => ['sequences', '--x', x(), '--y', d.npy('y-3d.npy', 'float32', [20, 4, 2], () => 0)], message: /y-3d\.npy: y must have shape \[20\] or \[20, 4\], got \[20, 4, 2\]/ },
  { name: 'NaN in x', argv: () => ['sequences', '--x', x('x-nan.npy', (i) => (i === 2 * 8 + 5 ? NaN : 0.5)), '--y', y()], message: /x-nan\.npy: NaN at index \[2, 2, 1\]/ },
  { name: 'infinity in y (regression)', argv: () => ['sequences', '--x', x(), '--y', d.npy('y-inf.npy', 'float64', [20], (i) => (i === 7 ? Infinity : 1))], message: /y-inf\.npy: Infinity at index \[7\]/ },
  { name: 'x of the wrong rank', argv: () => ['sequences', '--x', d.npy('x-2d.npy', 'float32', [20, 4], () => 0), '--y', y()], message: /x-2d\.npy: x must have shape \[N, T, X\], got \[20, 4\]/ },
  { name: 'a negative class', argv: () => ['sequences', '--x', x(), '--y', d.npy('y-neg.npy', 'int32', [20], (i) => (i === 3 ? -1 : 0))], message: /y-neg\.npy: class -1 at index \[3\] is negative/ },
  { name: 'a length outside 1..T', argv: () => ['sequences', '--x', x(), '--y', y(), '--lengths', d.npy('len.npy', 'int32', [20], (i) => (i === 6 ? 9 : 4))], message: /len\.npy: length 9 at index \[6\] is outside 1\.\.4/ },
  { name: 'a file that is not .npy', argv: () => ['sequences', '--x', d.write('x.txt', 'hello'), '--y', y()], message: /x\.txt: not a \.npy file/ },
  { name: 'too few examples to split', argv: () => ['classify', '--data', d.jsonl('two.jsonl', sentiment(2))], message: /two\.jsonl: too few examples to split/ },
  { name: 'a missing data file', argv: () => ['classify', '--data', d.path('nowhere.jsonl')], message: /nowhere\.jsonl: no such file/ },
  { name: 'no --data', argv: () => ['classify'], message: /^cellforge train: --data is required for your own data/ },
  { name: '--data for sequences', argv: () => ['sequences', '--data', good()], message: /^cellforge train: sequences reads --x and --y, not --data/ },
  { name: 'an unknown --tokens', argv: () => ['classify', '--data', good(), '--tokens', 'bytes'], message: /^cellforge train: unknown --tokens 'bytes'/ },
  { name: '--data on a sample task', argv: () => ['adding', '--data', good()], message: /^cellforge train: task 'adding' has its own data/ },
];

describe('bad user data: one line naming the file and the line or index, exit 1, nothing written', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const out = d.path(`out-${c.name.replace(/\W+/g, '-')}`);
    const r = await cli('train', ...c.argv(), '--epochs', '1', '--hidden', '4', '--out', out);
    expect(r.code).toBe(1);
    const first = r.stderr.split('\n')[0]!;
    expect(first.replace(/^cellforge: /, '')).toMatch(c.message);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('hint: '))).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
