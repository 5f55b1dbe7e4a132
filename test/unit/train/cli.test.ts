// `cellforge train` in-process: the files it writes, metrics.json's shape, resume, and its one-line errors.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'cellforge-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('cellforge train', () => {
  it('trains intent and writes metrics.json (with testAccuracy), the checkpoint and the report', async () => {
    const out = join(dir, 'intent');
    const r = await cli('train', 'intent', '--epochs', '1', '--hidden', '16', '--out', out);
    expect(r.stderr).toContain('epoch 1/1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/report: .*report\.html/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.testAccuracy).toBeGreaterThan(0);
    expect(m.testLoss).toBeGreaterThan(0);
    expect(m.history).toHaveLength(2);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(loadCheckpoint(join(out, 'checkpoint.safetensors')).meta.epoch).toBe(1);

    // --resume with more epochs continues from the checkpoint.
    const again = await cli('train', 'intent', '--epochs', '2', '--resume', '--out', out);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('resuming at step');
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).history).toHaveLength(3);
  });

  it('--compare trains each cell into its own folder and one side-by-side report', async () => {
    const out = join(dir, 'cmp');
    const r = await cli('train', 'sines', '--compare', 'rnn_tanh,gru', '--epochs', '1', '--hidden', '4', '--batch', '100', '--out', out);
    expect(r.code).toBe(0);
    for (const c of ['rnn_tanh', 'gru']) expect(existsSync(join(out, c, 'checkpoint.safetensors'))).toBe(true);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Object.keys(m.testLoss)).toEqual(['rnn_tanh', 'gru']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('rnn_tanh vs gru');
  });

  it('bad input is one clear line', async () => {
    let r = await cli('train', 'nosuch');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cellforge train: unknown task 'nosuch'\nhint: tasks: intent, tagging, charlm, sines, adding, copy, rowmnist, pixelmnist, permmnist, names; your data: classify, tagging, charlm, sequences\n$/);
    r = await cli('train', 'adding', '--resume', '--out', join(dir, 'empty'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/checkpoint\.safetensors: no checkpoint to resume from/);
    r = await cli('train', 'adding', '--lr', 'fast');
    expect(r.stderr).toMatch(/--lr must be a number/);
    r = await cli('train', 'adding', '--optimizer', 'rmsprop');
    expect(r.stderr).toMatch(/unknown --optimizer 'rmsprop'/);
  });
});
