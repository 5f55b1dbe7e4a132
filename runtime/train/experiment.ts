// Experiments (tasks × cells × seeds): the per-run record, the mean and spread per (task, cell), and report.html
// with the table, learning curves over seeds, and the gradient-flow and saturation diagnostics per cell.
import type { GradientFlow } from './gradient-flow.js';
import { formatDuration } from './progress.js';
import type { GateStat } from './saturation.js';
import { escapeHtml, lineChart, palette, tailBar, tailBarCss, type Series } from './svg.js';
import { formatMetric, higherIsBetter, metricLabels, type MetricName } from './task.js';
import type { EpochRecord } from './trainer.js';

/** One finished run, as results.json lists it. */
export interface ExperimentRun {
  readonly task: string;
  /** The cell's name, and how it was asked for (a built-in name or a path). */
  readonly cell: string;
  readonly cellSpec: string;
  readonly seed: number;
  readonly parameters: number;
  readonly metric: MetricName;
  readonly testMetric: number;
  readonly testLoss: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  readonly steps: number;
  /** The run's folder, relative to the experiment's (metrics.json and the checkpoint are there). */
  readonly dir: string;
}

/** What the report reads from a run's metrics.json besides the record. */
export interface RunDetails {
  readonly history: readonly EpochRecord[];
  readonly gradientFlow?: { readonly trained: GradientFlow | null };
  readonly saturation?: { readonly trained: readonly GateStat[] | null };
}

export interface CellSummary {
  readonly task: string;
  readonly cell: string;
  readonly metric: MetricName;
  readonly runs: number;
  readonly mean: number;
  /** Sample standard deviation over seeds (n − 1 in the denominator; 0 for one run). */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** The best mean of its task. */
  readonly best: boolean;
}

export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/** Mean and spread per (task, cell), in the order tasks and cells were first met. */
export function summarize(runs: readonly ExperimentRun[]): CellSummary[] {
  const groups = new Map<string, ExperimentRun[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.task, r.cell]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((g) => {
    const values = g.map((r) => r.testMetric);
    return { task: g[0]!.task, cell: g[0]!.cell, metric: g[0]!.metric, runs: g.length, ...meanStd(values), min: Math.min(...values), max: Math.max(...values) };
  });
  return rows.map((r) => {
    const rivals = rows.filter((o) => o.task === r.task).map((o) => o.mean);
    const best = higherIsBetter(r.metric) ? Math.max(...rivals) : Math.min(...rivals);
    return { ...r, best: r.mean === best };
  });
}

function plusMinus(s: CellSummary): string {
  if (s.metric === 'accuracy') return `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}%`;
  const digits = s.metric === 'mse' && s.mean < 0.01 ? 5 : 3;
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

function resultsTable(summary: readonly CellSummary[], tasks: ExperimentReportInput['tasks'], cells: readonly string[]): string {
  const head = `<tr><th>cell</th>${tasks.map((t) => `<th>${escapeHtml(t.name)} (test ${escapeHtml(metricLabels[t.metric])})</th>`).join('')}</tr>`;
  const rows = cells.map((c) => {
    const cols = tasks.map((t) => {
      const s = summary.find((x) => x.task === t.name && x.cell === c);
      if (!s) return '<td>–</td>';
      return `<td${s.best ? ' class="best"' : ''}>${s.best ? '<b>' : ''}${escapeHtml(plusMinus(s))}${s.best ? ' ★</b>' : ''} <span class="n">(n = ${s.runs})</span></td>`;
    });
    return `<tr><td>${escapeHtml(c)}</td>${cols.join('')}</tr>`;
  });
  return `<table class="results">${head}${rows.join('')}</table>`;
}

/** Validation metric per epoch: the mean over seeds as a line, the min-max over seeds as a band. */
function curvesChart(task: string, metric: MetricName, cells: readonly string[], details: ReadonlyMap<ExperimentRun, RunDetails>): string {
  const scale = metric === 'accuracy' ? 100 : 1;
  const series: Series[] = [];
  cells.forEach((cell, i) => {
    const histories = [...details].filter(([r]) => r.task === task && r.cell === cell).map(([, d]) => d.history);
    if (histories.length === 0) return;
    const epochs = Math.min(...histories.map((h) => h.length));
    const at = (e: number) => histories.map((h) => h[e]!.validMetric * scale);
    const points = Array.from({ length: epochs }, (_, e) => [e, meanStd(at(e)).mean] as const);
    const band = Array.from({ length: epochs }, (_, e) => [e, Math.min(...at(e)), Math.max(...at(e))] as const);
    series.push({ name: cell, color: palette[i % palette.length]!, markers: true, points, band });
  });
  const label = metric === 'accuracy' ? 'validation accuracy (%)' : `validation ${metricLabels[metric]}`;
  return lineChart({ title: `validation ${metricLabels[metric]} (mean over seeds, band min–max)`, xLabel: 'epoch', yLabel: label, series, width: 520, height: 320 });
}

/** ‖∂L/∂s_t‖ of the trained models, mean over seeds, every state of every cell. */
function flowChart(task: string, cells: readonly string[], details: ReadonlyMap<ExperimentRun, RunDetails>): string | undefined {
  const series: Series[] = [];
  cells.forEach((cell, i) => {
    const flows = [...details].filter(([r]) => r.task === task && r.cell === cell).map(([, d]) => d.gradientFlow?.trained).filter((f): f is GradientFlow => !!f);
    if (flows.length === 0) return;
    const states = Object.keys(flows[0]!.norms);
    states.forEach((s, k) => {
      const T = Math.min(...flows.map((f) => f.norms[s]!.length));
      const upto = k === 0 ? T : T - 1; // other states than the output do not reach a last-step loss at T-1
      // Long sequences are probed at some steps only: the others are null in metrics.json.
      const probed = Array.from({ length: upto }, (_, t) => t).filter((t) => flows.every((f) => typeof f.norms[s]![t] === 'number' && Number.isFinite(f.norms[s]![t])));
      const points = probed.map((t) => [t, meanStd(flows.map((f) => f.norms[s]![t]!)).mean] as const);
      series.push({ name: `${cell} ‖∂L/∂${s}_t‖`, color: palette[i % palette.length]!, ...(k > 0 ? { dash: '4 3', opacity: 0.6 } : {}), points });
    });
  });
  if (series.length === 0) return undefined;
  return lineChart({ title: 'gradient from a last-step loss (trained, mean of seeds)', xLabel: 'timestep t', yLabel: 'mean ‖∂L/∂state_t‖', series, logY: true, width: 520, height: 320 });
}

function saturationTable(task: string, cells: readonly string[], details: ReadonlyMap<ExperimentRun, RunDetails>): string {
  const rows: string[] = [];
  for (const cell of cells) {
    const stats = [...details].filter(([r]) => r.task === task && r.cell === cell).map(([, d]) => d.saturation?.trained).filter((s): s is readonly GateStat[] => !!s && s.length > 0);
    if (stats.length === 0) continue;
    stats[0]!.forEach((g, k) => {
      const of = (f: (s: GateStat) => number) => meanStd(stats.map((s) => (s[k] ? f(s[k]!) : NaN))).mean;
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      const [low, high] = [of((s) => s.low), of((s) => s.high)];
      rows.push(`<tr><td>${escapeHtml(cell)}</td><td>${escapeHtml(g.gate)}</td><td>${g.fn}</td><td>${of((s) => s.mean).toFixed(2)}</td><td>${pct(low)}</td><td>${pct(high)}</td><td>${tailBar(low, high)}</td></tr>`);
    });
  }
  if (rows.length === 0) return '<p class="note">No saturation measured.</p>';
  return `<table><tr><th>cell</th><th>value</th><th>fn</th><th>mean</th><th>low tail</th><th>high tail</th><th>tails</th></tr>${rows.join('')}</table><p class="note">Tails: sigmoid &lt; 0.05 (blue) or &gt; 0.95 (orange); tanh &lt; −0.95 or &gt; 0.95. Every <code>sigmoid</code> and <code>tanh</code> value of the cell's step, named by the cell-source variable holding it.</p>`;
}

function runsTable(runs: readonly ExperimentRun[]): string {
  const head = ['task', 'cell', 'seed', 'parameters', 'test metric', 'test loss', 'time', 'steps/s'];
  const rows = runs.map((r) =>
    [r.task, r.cell, String(r.seed), r.parameters.toLocaleString('en-US'), formatMetric(r.metric, r.testMetric), r.testLoss.toFixed(4), formatDuration(r.seconds), r.stepsPerSecond.toFixed(1)].map((c) => `<td>${escapeHtml(c)}</td>`).join(''),
  );
  return `<table class="runs"><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r}</tr>`).join('')}</table>`;
}

export interface ExperimentReportInput {
  readonly command: string;
  readonly tasks: readonly { readonly name: string; readonly summary: string; readonly metric: MetricName }[];
  readonly cells: readonly string[];
  readonly seeds: number;
  readonly runs: ReadonlyMap<ExperimentRun, RunDetails>;
}

export function renderExperimentReport(o: ExperimentReportInput): string {
  const runs = [...o.runs.keys()];
  const summary = summarize(runs);
  const taskNames = o.tasks.map((t) => t.name);
  const perTask = o.tasks
    .map((t) => {
      const flow = flowChart(t.name, o.cells, o.runs);
      return `<h2>${escapeHtml(t.name)}</h2><p class="note">${escapeHtml(t.summary)}</p>
<div class="charts">${curvesChart(t.name, t.metric, o.cells, o.runs)}${flow ?? ''}</div>
${flow ? '' : '<p class="note">Gradient flow not measured (it needs a one-direction model without dropout between layers).</p>'}
<h3>Gate saturation after training (mean over seeds)</h3>${saturationTable(t.name, o.cells, o.runs)}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cellforge experiment: ${escapeHtml(taskNames.join(', '))}</title>
<style>
body{font-family:sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:14px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}
td.best{background:#eaf6e6}.n{color:#888;font-size:11px}.charts{display:flex;flex-wrap:wrap;gap:12px}.note{font-size:13px;color:#444;max-width:900px}
code{background:#f6f6f6;font-size:12.5px}${tailBarCss}
</style></head><body>
<h1>cellforge experiment: ${escapeHtml(o.cells.join(', '))} on ${escapeHtml(taskNames.join(', '))}</h1>
<p><code>${escapeHtml(o.command)}</code></p>
<h2>Results</h2>
<p class="note">Test metric per cell and task: mean ± sample standard deviation over ${o.seeds} seed${o.seeds > 1 ? 's' : ''} (seed index k: the same initial seed and data order for every cell). ★ marks the best mean of each task${summary.some((s) => !higherIsBetter(s.metric)) ? ' (lowest for perplexity, bits per character and MSE)' : ''}.</p>
${resultsTable(summary, o.tasks, o.cells)}
${perTask}
<h2>Every run</h2>
${runsTable(runs)}
</body></html>
`;
}
