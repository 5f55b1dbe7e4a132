// The user-data commands on small hand-written files: what they print, the split, the files they write.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyTask } from '../../../cli/data/classify.js';
import { holdout } from '../../../cli/data/split.js';
import { cli, DataDir, sentiment, tagged } from '../../helpers/data-files.js';

const d = new DataDir();
afterAll(() => d.remove());
const quick = ['--epochs', '1', '--hidden', '8', '--batch', '8'];

function written(out: string): Record<string, unknown> {
  expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
  return JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
}

describe('cellforge train on your own data', () => {
  it('classify: words, any label strings, variable lengths; prints what it read', async () => {
    const rows = sentiment(40).map((r, i) => ({ sentence: i % 3 === 0 ? `${r.text} indeed` : r.text, mood: r.label === 'pos' ? 'happy :)' : 'sad :(' }));
    const file = d.jsonl('mood.jsonl', rows);
    const out = d.path('out-classify');
    const r = await cli('train', 'classify', '--data', file, '--text-field', 'sentence', '--label-field', 'mood', '--tokens', 'words', ...quick, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`read ${file}: 40 examples, 2 classes ("happy :)" 20, "sad :(" 20)`);
    expect(r.stderr).toMatch(/lengths 3-4 \(mean 3\.\d\) words; vocabulary 7 words from the training part/);
    expect(r.stderr).toMatch(/split: 29 train, 3 validation, 8 test \(20% held out, split seed 0\)/);
    const m = written(out);
    expect(m.task).toBe('classify');
    expect(m.data).toEqual({ data: file, splitSeed: 0, train: 29, validation: 3, test: 8 });
    expect(m.testAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('classify: examples keep their own lengths (no padding), and the split is seeded and stratified', () => {
    const file = d.jsonl('chars.jsonl', sentiment(40));
    const { task } = classifyTask({ data: file, textField: 'text', labelField: 'label', tokens: 'chars', splitSeed: 3 });
    const data = task.data();
    const all = [...data.train, ...data.valid, ...data.test];
    expect(all.map((e) => e.length).sort()).toEqual(sentiment(40).map((r) => r.text.length).sort());
    expect(all.every((e) => e.tokens!.length === e.length)).toBe(true);
    const again = classifyTask({ data: file, textField: 'text', labelField: 'label', tokens: 'chars', splitSeed: 3 }).task.data();
    expect(again.test.map((e) => Array.from(e.tokens!))).toEqual(data.test.map((e) => Array.from(e.tokens!)));
    // a label the training part lacks moves out of the test part
    const parts = holdout(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'b'], 0, 0.5, (s) => [s]);
    expect(parts.test).not.toContain('b');
  });

  it('classify --test FILE: the test set is that file', async () => {
    const out = d.path('out-classify-test');
    const r = await cli('train', 'classify', '--data', d.jsonl('train.jsonl', sentiment(30)), '--test', d.jsonl('test.jsonl', sentiment(6)), ...quick, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/split: 27 train, 3 validation, 6 test \(test from .*test\.jsonl/);
    written(out);
  });

  it('tagging: one tag per token, per-token accuracy', async () => {
    const out = d.path('out-tagging');
    const r = await cli('train', 'tagging', '--data', d.jsonl('tags.jsonl', tagged(30)), ...quick, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/30 sequences, \d+ tokens, 3 tags \(/);
    expect(written(out).testAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('charlm: any UTF-8 text, perplexity; accents and emoji are characters', async () => {
    const out = d.path('out-charlm');
    const text = 'Le café était très bon. 🌊 La mer était calme, et le phare brillait. '.repeat(12);
    const r = await cli('train', 'charlm', '--data', d.write('text.txt', text), ...quick, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${[...text].length} characters, vocabulary ${new Set(text).size}`));
    expect(written(out).testPerplexity).toBeGreaterThan(1);
  });

  it('sequences: classes from the last step, regression, and a class per step with --lengths', async () => {
    const [N, T, X] = [30, 5, 2];
    const x = d.npy('x.npy', 'float32', [N, T, X], (i) => Math.sin(i));
    const lengths = d.npy('len.npy', 'int64', [N], (n) => 2 + (n % 4));
    let r = await cli('train', 'sequences', '--x', x, '--y', d.npy('yc.npy', 'int64', [N], (n) => n % 3), '--lengths', lengths, ...quick, '--out', d.path('out-seq-c'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/30 sequences of 2 features, classification into 3 classes from the last output/);
    expect(r.stderr).toMatch(/lengths 2-5 \(mean 3\.\d\) steps/);
    expect(written(d.path('out-seq-c')).testAccuracy).toBeGreaterThanOrEqual(0);
    r = await cli('train', 'sequences', '--x', x, '--y', d.npy('yr.npy', 'float32', [N], (n) => n / N), ...quick, '--out', d.path('out-seq-r'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('regression (MSE) from the last output');
    expect(written(d.path('out-seq-r')).testMSE).toBeGreaterThan(0);
    r = await cli('train', 'sequences', '--x', x, '--y', d.npy('ys.npy', 'int32', [N, T], (i) => i % 2), '--lengths', lengths, ...quick, '--out', d.path('out-seq-s'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('classification into 2 classes at every step');
    written(d.path('out-seq-s'));
  });
});
