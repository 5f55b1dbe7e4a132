// `cellforge experiment` on a small grid: results.json (runs, mean and std), the report's table parsed from the
// HTML (every cell, a number in every entry), and the resume (finished runs are read, not redone).
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { meanStd } from '../../../runtime/train/experiment.js';
import { cli, DataDir, sentiment } from '../../helpers/data-files.js';

const d = new DataDir();
afterAll(() => d.remove());
const myCell = d.path('my.cell.ts');
copyFileSync(fileURLToPath(new URL('../../../samples/cells/mgu.cell.ts', import.meta.url)), myCell);
const out = d.path('exp');
const argv = ['experiment', '--tasks', 'adding,tagging', '--cells', `rnn_tanh,gru,${myCell}`, '--seeds', '2', '--epochs', '1', '--hidden', '4', '--batch', '128', '--out', out];

/** The rows of the results table, each a list of cell texts (tags stripped). */
function resultsTable(html: string): string[][] {
  const table = /<table class="results">([\s\S]*?)<\/table>/.exec(html)?.[1];
  expect(table).toBeDefined();
  return [...table!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()));
}

describe('cellforge experiment', () => {
  it('runs the grid and writes results.json and report.html', async () => {
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/run 1\/12: adding × rnn_tanh × seed 0 \(0 read from .*; ETA after the first run\)/);
    expect(r.stderr).toMatch(/run 2\/12: .*ETA \d+:\d\d\)/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.runs).toHaveLength(12);
    expect(res.cells).toEqual(['rnn_tanh', 'gru', 'my']);
    expect(res.summary).toHaveLength(6);
    for (const s of res.summary) {
      const values = res.runs.filter((x: { task: string; cell: string }) => x.task === s.task && x.cell === s.cell).map((x: { testMetric: number }) => x.testMetric);
      expect(values).toHaveLength(2);
      const { mean, std } = meanStd(values);
      expect(s.mean).toBeCloseTo(mean, 12);
      expect(s.std).toBeCloseTo(std, 12);
    }
    for (const run of res.runs) {
      expect(run.parameters).toBeGreaterThan(0);
      expect(run.seconds).toBeGreaterThan(0);
      expect(run.stepsPerSecond).toBeGreaterThan(0);
    }
    // Seed index k trains every cell from seed k: same shuffles, so the same number of steps and data order.
    expect(new Set(res.runs.map((x: { seed: number }) => x.seed))).toEqual(new Set([0, 1]));

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const rows = resultsTable(html);
    expect(rows[0]).toEqual(['cell', 'adding (test MSE)', 'tagging (test accuracy)']);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['rnn_tanh', 'gru', 'my']);
    for (const row of rows.slice(1)) for (const entry of row.slice(1)) expect(entry).toMatch(/^\d+(\.\d+)? ± \d+(\.\d+)?%?( ★)? \(n = 2\)$/);
    expect(rows.slice(1).flat().filter((e) => e.includes('★'))).toHaveLength(2);
    // Learning curves (mean line, min-max band), gradient flow and saturation for every cell of every task.
    expect(html.match(/validation (MSE|accuracy) \(mean over seeds, band min–max\)/g)).toHaveLength(2);
    expect(html).toContain('gradient from a last-step loss (trained, mean of seeds)');
    expect(html).toContain('fill-opacity="0.15"');
    for (const cell of ['rnn_tanh', 'gru', 'my']) {
      expect(html).toContain(`${cell} ‖∂L/∂h_t‖`);
      expect(html).toMatch(new RegExp(`<tr><td>${cell}</td><td>[^<]+</td><td>(sigmoid|tanh)</td>`));
    }
    expect(html).not.toMatch(/<script|NaN/);
  });

  it('continues where it stopped: finished runs are read, an unfinished one is trained', async () => {
    const keep = join(out, 'runs', 'adding', 'gru', 'seed-1', 'metrics.json');
    const mtime = statSync(keep).mtimeMs;
    const before = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    // A run killed before its end leaves its checkpoint but no metrics.json; one never started leaves nothing.
    rmSync(join(out, 'runs', 'tagging', 'rnn_tanh', 'seed-1', 'metrics.json'));
    rmSync(join(out, 'runs', 'tagging', 'gru', 'seed-1'), { recursive: true });
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/^cellforge experiment: run \d+\/12/gm)).toHaveLength(2);
    expect(r.stderr).toMatch(/run 10\/12: tagging × rnn_tanh × seed 1 \(10 read from/);
    expect(r.stderr).toContain('resuming at step');
    expect(statSync(keep).mtimeMs).toBe(mtime);
    const after = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(after.runs).toHaveLength(12);
    // The resumed run was already trained to the end: the same test result; the redone one repeats exactly.
    expect(after.runs.map((x: { testMetric: number }) => x.testMetric)).toEqual(before.runs.map((x: { testMetric: number }) => x.testMetric));
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    // Finished runs of other settings in the same folder are refused, not mixed into the table.
    const other = await cli(...argv.map((a) => (a === '128' ? '64' : a)));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/seed-0[\/]metrics\.json: this run was trained with batchSize = 128, but the experiment asks for 64/);
  });

  it('runs on your own data: --tasks classify with --data, or sequences inferred from --x/--y', async () => {
    const data = d.jsonl('mood.jsonl', sentiment(30));
    const small = ['--seeds', '2', '--epochs', '1', '--hidden', '4', '--batch', '16'];
    let r = await cli('experiment', '--tasks', 'classify', '--data', data, '--cells', 'gru,lstm', ...small, '--out', d.path('exp-classify'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`read ${data}: 30 examples, 2 classes`);
    let res = JSON.parse(readFileSync(join(d.path('exp-classify'), 'results.json'), 'utf8'));
    expect(res.runs).toHaveLength(4);
    expect(res.summary.map((s: { task: string; cell: string }) => `${s.task}/${s.cell}`)).toEqual(['classify/gru', 'classify/lstm']);
    const x = d.npy('x.npy', 'float32', [24, 3, 2], (i) => Math.cos(i));
    const y = d.npy('y.npy', 'float64', [24], (n) => n / 24);
    r = await cli('experiment', '--x', x, '--y', y, '--cells', 'rnn_tanh', ...small, '--out', d.path('exp-seq'));
    expect(r.code).toBe(0);
    res = JSON.parse(readFileSync(join(d.path('exp-seq'), 'results.json'), 'utf8'));
    expect(res.tasks).toEqual([{ name: 'sequences', metric: 'mse' }]);
    expect(res.runs).toHaveLength(2);
  });

  it('checks every task and cell before writing anything', async () => {
    const bad = d.path('never');
    let r = await cli('experiment', '--tasks', 'adding', '--cells', 'lstm,nosuch', '--out', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nosuch/);
    r = await cli('experiment', '--tasks', 'adding,nosuch', '--cells', 'lstm', '--out', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown task 'nosuch'/);
    r = await cli('experiment', '--cells', 'lstm', '--out', bad);
    expect(r.stderr).toMatch(/--tasks is required/);
    expect(existsSync(bad)).toBe(false);
  });
});
