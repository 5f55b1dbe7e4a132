// The training report: one self-contained HTML file (inline SVG and CSS, no scripts, nothing fetched) with the
// curves, the gradient-flow picture, gate saturation and the task's showcase, for one run or cells side by side.
import type { RunResult } from './session.js';
import { escapeHtml, lineChart, palette, tailBar, tailBarCss, type Series } from './svg.js';
import { formatMetric, metricLabels, type Task } from './task.js';
import { formatDuration } from './progress.js';

export interface ReportInput {
  readonly task: Pick<Task, 'name' | 'summary' | 'metric'>;
  readonly runs: readonly RunResult[];
  readonly command: string;
}

const metricLabel = metricLabels;

/** Exponential moving average, so a noisy per-step loss reads as a curve. */
function ema(xs: readonly number[], alpha: number): number[] {
  let s: number | undefined;
  return xs.map((x) => (s = s === undefined ? x : (1 - alpha) * s + alpha * x));
}

/** Log scale when the values span more than a factor of 30. */
function wantsLog(values: readonly number[]): boolean {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length > 1 && Math.max(...v) / Math.min(...v) > 30;
}

function lossChart(runs: readonly RunResult[]): string {
  const series: Series[] = [];
  runs.forEach((r, i) => {
    const alpha = Math.min(0.3, 20 / Math.max(20, r.stepLoss.length));
    series.push({ name: `${r.cell} train (EMA)`, color: palette[i % palette.length]!, points: ema(r.stepLoss, alpha).map((v, k) => [k + 1, v] as const) });
    series.push({ name: `${r.cell} validation`, color: palette[i % palette.length]!, dash: '5 3', markers: true, points: r.history.map((h) => [h.step, h.validLoss] as const) });
  });
  const all = runs.flatMap((r) => [...r.stepLoss, ...r.history.map((h) => h.validLoss)]);
  return lineChart({ title: 'Loss', xLabel: 'optimiser step', yLabel: 'loss', series, logY: wantsLog(all) });
}

function metricChart(runs: readonly RunResult[], metric: Task['metric']): string {
  const scale = metric === 'accuracy' ? 100 : 1;
  const series = runs.map((r, i) => ({ name: r.cell, color: palette[i % palette.length]!, markers: true, points: r.history.map((h) => [h.step, h.validMetric * scale] as const) }));
  const label = metric === 'accuracy' ? 'validation accuracy (%)' : `validation ${metricLabel[metric]}`;
  return lineChart({ title: `Validation ${metricLabel[metric]} (epoch 0 = before training)`, xLabel: 'optimiser step', yLabel: label, series, logY: metric !== 'accuracy' && wantsLog(series.flatMap((s) => s.points.map((p) => p[1]))) });
}

function gradNormChart(runs: readonly RunResult[]): string {
  const series = runs.map((r, i) => {
    const alpha = Math.min(0.3, 20 / Math.max(20, r.stepGradNorm.length));
    return { name: r.cell, color: palette[i % palette.length]!, points: ema(r.stepGradNorm, alpha).map((v, k) => [k + 1, v] as const) };
  });
  return lineChart({ title: 'Global gradient norm before clipping (EMA)', xLabel: 'optimiser step', yLabel: '‖∇θ L‖', series, logY: wantsLog(series.flatMap((s) => s.points.map((p) => p[1]))) });
}

/**
 * ‖∂L/∂state_t‖ against t, per run, at initialisation (dashed) and trained (solid). `relative` divides each curve by
 * its own ‖∂L/∂h_{T-1}‖, so cells whose losses differ in size compare by how fast the gradient decays.
 */
function flowChart(runs: readonly RunResult[], relative: boolean): string | undefined {
  const series: Series[] = [];
  runs.forEach((r, i) => {
    const color = palette[i % palette.length]!;
    for (const [when, diag, dash] of [['init', r.atInit, '5 3'], ['trained', r.trained, undefined]] as const) {
      const flow = diag.gradientFlow;
      if (!flow) continue;
      const [first, ...rest] = Object.keys(flow.norms);
      const scale = relative ? flow.norms[first!]![flow.steps - 1]! : 1;
      series.push({ name: `${r.cell} ${when} ‖∂L/∂${first}_t‖`, color, ...(dash ? { dash } : {}), points: flow.norms[first!]!.map((v, t) => [t, v / scale] as const) });
      // Other states (the LSTM's c) in a faded line: in gated cells they carry the long-range gradient.
      for (const s of rest) series.push({ name: `${r.cell} ${when} ‖∂L/∂${s}_t‖`, color, opacity: 0.45, dash: dash ? '2 3' : '1 2', points: flow.norms[s]!.slice(0, -1).map((v, t) => [t, v / scale] as const) });
    }
  });
  if (series.length === 0) return undefined;
  return relative
    ? lineChart({ title: 'The same, relative to ‖∂L/∂h_T−1‖ (decay with distance)', xLabel: 'timestep t', yLabel: 'norm / norm at t = T−1', series, logY: true, width: 560, height: 380 })
    : lineChart({ title: 'Gradient reaching step t from a loss on the last step', xLabel: 'timestep t', yLabel: 'mean ‖∂L/∂state_t‖', series, logY: true, width: 560, height: 380 });
}

function saturationTable(runs: readonly RunResult[]): string {
  const rows: string[] = [];
  const missing: string[] = [];
  for (const r of runs) {
    const [a, b] = [r.atInit.saturation, r.trained.saturation];
    if (!b) {
      missing.push(r.cell);
      continue;
    }
    b.forEach((g, k) => {
      const init = a?.[k];
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      rows.push(
        `<tr><td>${escapeHtml(r.cell)}</td><td>${escapeHtml(g.gate)}</td><td>${g.fn}</td>` +
          `<td>${init ? `${init.mean.toFixed(2)}` : ''}</td><td>${init ? `${pct(init.low)} / ${pct(init.high)} ${tailBar(init.low, init.high)}` : ''}</td>` +
          `<td>${g.mean.toFixed(2)}</td><td>${pct(g.low)} / ${pct(g.high)} ${tailBar(g.low, g.high)}</td></tr>`,
      );
    });
  }
  const note = missing.length
    ? `<p class="note">Not measured for ${missing.map(escapeHtml).join(', ')}: no probe sequences.</p>`
    : '';
  if (rows.length === 0) return note;
  return (
    `<table><tr><th>cell</th><th>gate</th><th>fn</th><th>mean at init</th><th>saturated at init (low / high)</th><th>mean trained</th><th>saturated trained (low / high)</th></tr>${rows.join('')}</table>` +
    `<p class="note">Saturated: sigmoid &lt; 0.05 (low, blue) or &gt; 0.95 (high, orange); tanh &lt; −0.95 or &gt; 0.95. Every <code>sigmoid</code> and <code>tanh</code> value of the cell's step, named by the variable of the cell source that holds it, over every valid step of the probe sequences (test set), replayed on the float64 interpreter with the trained weights. A saturated gate passes almost no gradient through its own nonlinearity; a forget gate stuck high is the LSTM keeping its memory.</p>` +
    note
  );
}

function summaryTable(runs: readonly RunResult[], metric: Task['metric']): string {
  const head = ['cell', 'backend', 'parameters', 'steps', 'epochs', 'time', 'steps/s', 'test loss', `test ${metricLabel[metric]}`, `validation ${metricLabel[metric]}`];
  const rows = runs.map((r) =>
    [r.cell, r.backend, String(r.parameters), String(r.steps), String(r.epochs), formatDuration(r.seconds), r.stepsPerSecond.toFixed(1), r.testLoss.toFixed(4), formatMetric(metric, r.testMetric), formatMetric(metric, r.validMetric)]
      .map((c) => `<td>${escapeHtml(c)}</td>`)
      .join(''),
  );
  return `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r}</tr>`).join('')}</table>`;
}

function optionsTable(runs: readonly RunResult[]): string {
  const keys = Object.keys(runs[0]!.options) as (keyof RunResult['options'])[];
  return `<table><tr><th>option</th>${runs.map((r) => `<th>${escapeHtml(r.cell)}</th>`).join('')}</tr>${keys
    .map((k) => `<tr><td>${k}</td>${runs.map((r) => `<td>${escapeHtml(String(r.options[k]))}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

function probeCount(runs: readonly RunResult[]): string {
  const counts = [...new Set(runs.map((r) => r.trained.gradientFlow).filter((f) => f !== undefined).map((f) => `${f.examples} sequences of length T = ${f.steps}`))];
  return counts.join('; ');
}

export function renderReport({ task, runs, command }: ReportInput): string {
  const flow = flowChart(runs, false);
  const flowRelative = flowChart(runs, true);
  const multiState = runs.some((r) => Object.keys(r.trained.gradientFlow?.norms ?? {}).length > 1);
  const flowCaption =
    `Each point is the mean, over the probe (${probeCount(runs)}, from the test set), of the L2 norm ` +
    'of ∂L/∂h_t, where L is the ' +
    "task's loss on the <b>last step only</b> and h_t is the top layer's hidden state after step t. It is computed exactly: h_t (and c_t) is " +
    'the final state of a forward run over the prefix x<sub>0..t</sub>, and ∂L/∂h_t is the initial-state gradient (dH0) of a forward and ' +
    'backward run over the suffix x<sub>t+1..T−1</sub> started from it. ' +
    (multiState ? 'For cells with several states (the LSTM), ∂L/∂h_t holds the other states fixed; the faded lines are ∂L/∂c_t (up to T−2: c_{T−1} does not reach the loss). ' : '') +
    'Dashed: at initialisation; solid: after training. A plain RNN’s curve falls geometrically with the distance from the end (vanishing gradients); gated cells keep it up.';
  const showcases = runs.filter((r) => r.showcase).map((r) => `<h3>${escapeHtml(r.cell)}</h3><pre>${escapeHtml(r.showcase!)}</pre>`).join('');
  const title = `cellforge train ${task.name}${runs.length > 1 ? `: ${runs.map((r) => r.cell).join(' vs ')}` : ` (${runs[0]?.cell ?? ''})`}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}
.charts{display:flex;flex-wrap:wrap;gap:12px}.note{font-size:13px;color:#444;max-width:900px}
code,pre{background:#f6f6f6;font-size:12.5px}pre{padding:8px;white-space:pre-wrap}
${tailBarCss}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(task.summary)}</p>
<p><code>${escapeHtml(command)}</code></p>
<h2>Results</h2>
${summaryTable(runs, task.metric)}
<h2>Training curves</h2>
<div class="charts">${lossChart(runs)}${metricChart(runs, task.metric)}${gradNormChart(runs)}</div>
<h2>Vanishing and exploding gradients</h2>
${flow ? `<div class="charts">${flow}${flowRelative ?? ''}</div><p class="note">${flowCaption}</p>` : '<p class="note">Not measured: the probe needs a one-direction model (and no dropout between layers).</p>'}
<h2>Gate saturation</h2>
${saturationTable(runs)}
${showcases ? `<h2>Showcase</h2>${showcases}` : ''}
<h2>Options</h2>
${optionsTable(runs)}
</body></html>
`;
}
