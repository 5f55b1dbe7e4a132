// The playground page: one or two cells (editor, diagnostics, compiler views), the training settings, and one
// training run per cell in its own worker; the state lives in the URL hash.
import { CellPane } from './cell-pane.js';
import { drawChart, type Series } from './plot.js';
import type { ExportKind, TaskName, TrainSettings } from './protocol.js';
import { taskNames } from './protocol.js';
import { RunClient } from './run-client.js';
import { readHash, writeHash } from './state.js';
import { CompilerClient } from './workers.js';

/** What a task starts from when picked from the menu (the CLI's defaults, scaled to a tab's budget). */
const presets: Record<TaskName, { hidden: number; lr: number; batch: number; steps: number }> = {
  adding: { hidden: 32, lr: 0.01, batch: 32, steps: 200 },
  copy: { hidden: 64, lr: 0.005, batch: 32, steps: 300 },
  charlm: { hidden: 128, lr: 0.005, batch: 32, steps: 300 },
  intent: { hidden: 48, lr: 0.01, batch: 16, steps: 200 },
  rowmnist: { hidden: 64, lr: 0.005, batch: 32, steps: 300 },
};
/** The tasks' own summaries, from the worker (which holds the tasks). */
let summaries: Partial<Record<TaskName, string>> = {};
const colors = ['#2563eb', '#ea580c'];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const notes = $<HTMLParagraphElement>('run-notes');
function note(text: string): void {
  notes.hidden = false;
  notes.textContent = notes.textContent ? `${notes.textContent}\n${text}` : text;
}

const compiler = new CompilerClient(note);
const checker = new CompilerClient(note);
const initial = readHash(location.hash);
const form = $<HTMLFormElement>('settings');
const cells = $<HTMLDivElement>('cells');
const compare = $<HTMLInputElement>('compare');
const trainButton = $<HTMLButtonElement>('train');
const pauseButton = $<HTMLButtonElement>('pause');
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

for (const t of taskNames) field('task').append(Object.assign(document.createElement('option'), { value: t, textContent: t }));
function showSettings(s: TrainSettings): void {
  for (const [k, v] of Object.entries(s)) field(k).value = String(v);
  $('task-summary').textContent = summaries[s.task] ?? '';
}
function settings(): TrainSettings {
  const n = (k: string) => Number(field(k).value);
  return { task: field('task').value as TaskName, hidden: n('hidden'), layers: n('layers'), lr: n('lr'), batch: n('batch'), steps: n('steps'), seed: n('seed'), backend: field('backend').value as TrainSettings['backend'] };
}
showSettings(initial.settings);
void compiler.request<'tasks'>({ type: 'tasks' }).then((r) => {
  summaries = r.summaries;
  $('task-summary').textContent = summaries[settings().task] ?? '';
});

const panes: CellPane[] = [];
const runs: RunClient[] = [];
function saveHash(): void {
  const hash = writeHash({ cell: panes[0]!.hashValue, ...(panes[1] ? { cell2: panes[1].hashValue } : {}), settings: settings() });
  history.replaceState(null, '', hash);
}
function addPane(initialCell: string): void {
  const i = panes.length;
  panes.push(new CellPane(cells, `cell ${'AB'[i]}`, i === 0 ? '' : '-b', initialCell, compiler, checker, saveHash));
  runs.push(new RunClient(`cell ${'AB'[i]}`, { update: scheduleDraw, note }));
  cells.classList.toggle('two', panes.length === 2);
  drawStats();
}
addPane(initial.cell);
if (initial.cell2) {
  compare.checked = true;
  addPane(initial.cell2);
}
compare.onchange = () => {
  if (compare.checked && panes.length === 1) addPane('gru');
  if (!compare.checked && panes.length === 2) {
    runs.pop()!.stop();
    panes.pop()!.root.remove();
    cells.classList.remove('two');
  }
  saveHash();
  drawStats();
};
form.onchange = (e) => {
  if ((e.target as HTMLElement).getAttribute('name') === 'task') {
    const p = presets[field('task').value as TaskName];
    showSettings({ ...settings(), hidden: p.hidden, lr: p.lr, batch: p.batch, steps: p.steps });
  }
  saveHash();
};

trainButton.onclick = () => {
  const s = settings();
  notes.hidden = true;
  notes.textContent = '';
  panes.forEach((pane, i) => {
    if (pane.ok) runs[i]!.start(pane.source, pane.file, s);
    else note(`${pane.label} does not compile: fix the errors listed under its editor first.`);
  });
  pauseButton.disabled = false;
  pauseButton.textContent = 'Pause';
  saveHash();
  scheduleDraw();
};
pauseButton.onclick = () => {
  const pausing = pauseButton.textContent === 'Pause';
  for (const r of runs) if (pausing) r.pause();
  else r.resume();
  pauseButton.textContent = pausing ? 'Resume' : 'Pause';
};
$<HTMLButtonElement>('reset').onclick = () => {
  for (const r of runs) r.stop();
  pauseButton.disabled = true;
  notes.hidden = true;
  notes.textContent = '';
  scheduleDraw();
};

function download(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The stats table: one row per cell, with the test hooks on the first (step, loss, backend) and -b on the second. */
function drawStats(): void {
  const body = $('stats');
  if (body.children.length !== runs.length) {
    body.replaceChildren(
      ...runs.map((run, i) => {
        const suffix = i === 0 ? '' : '-b';
        const tr = document.createElement('tr');
        tr.innerHTML = `<td style="color:${colors[i]}">${run.label}</td><td data-testid="backend${suffix}"></td><td class="num" data-testid="step${suffix}"></td><td class="num" data-testid="loss${suffix}"></td><td class="num" data-testid="metric${suffix}"></td><td class="num" data-testid="speed${suffix}"></td><td class="downloads"></td>`;
        const downloads: [ExportKind, string, string][] = [
          ['weights', '.safetensors', 'the trained weights, as cellforge run and the exported modules load them'],
          ['probe', 'probe', "an input and the page's output on it (.npy), to check the weights with cellforge run"],
          ['pytorch', 'PyTorch', 'the cell as a PyTorch module (.py), as cellforge export --to pytorch writes it'],
          ['onnx', 'ONNX', 'the trained model as ONNX (.onnx), as cellforge export --to onnx writes it'],
        ];
        for (const [kind, text, title] of downloads) {
          const button = Object.assign(document.createElement('button'), { type: 'button', textContent: text, title, disabled: true });
          button.dataset.testid = `download-${kind}${suffix}`;
          button.onclick = async () => {
            for (const [name, bytes] of Object.entries(await run.exportFiles(kind))) download(name, bytes);
          };
          tr.lastElementChild!.append(button, ' ');
        }
        return tr;
      }),
    );
  }
  runs.forEach((run, i) => {
    const row = body.children[i] as HTMLTableRowElement;
    const cells = row.children;
    cells[1]!.textContent = run.backend;
    cells[2]!.textContent = String(run.step);
    cells[3]!.textContent = Number.isFinite(run.loss) ? run.loss.toPrecision(4) : '';
    cells[4]!.textContent = run.metric;
    cells[5]!.textContent = Number.isFinite(run.stepsPerSecond) ? run.stepsPerSecond.toFixed(1) : '';
    for (const b of row.querySelectorAll('button')) b.disabled = run.state === 'idle' || run.state === 'starting' || run.state === 'failed';
  });
  pauseButton.disabled = !runs.some((r) => r.state === 'starting' || r.state === 'training' || r.state === 'paused');
  $('metric-name').textContent = { adding: 'valid MSE', copy: 'valid accuracy', charlm: 'valid perplexity', intent: 'valid accuracy', rowmnist: 'valid accuracy' }[settings().task];
}

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawStats();
    const losses: Series[] = runs.flatMap((r, i) => [
      { label: `${r.label} train`, color: colors[i]!, points: r.losses },
      { label: `${r.label} valid`, color: colors[i]!, points: r.validLosses, dashed: true },
    ]);
    drawChart($('loss-chart'), losses, { xLabel: 'step', yLabel: 'loss', logY: true });
    const flows: Series[] = runs.flatMap((r, i) => {
      const [state, norms] = Object.entries(r.flow)[0] ?? [];
      return state ? [{ label: `${r.label} ‖∂L/∂${state}_t‖`, color: colors[i]!, points: norms!.map((v, t) => [t, v] as [number, number]) }] : [];
    });
    drawChart($('flow-chart'), flows, { xLabel: 'time step t', yLabel: 'gradient norm', logY: true });
    const sample = $<HTMLPreElement>('sample');
    const texts = runs.filter((r) => r.sample).map((r) => `${r.label}: ${r.sample}`);
    sample.hidden = texts.length === 0;
    sample.textContent = texts.join('\n\n');
  });
}

/** A plain sentence on the page when WebGPU is missing (the runs fall back and say so too). */
async function checkGpu(): Promise<void> {
  const gpuNote = $<HTMLParagraphElement>('gpu-note');
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  let why = '';
  if (!gpu) why = 'This browser has no WebGPU';
  else if (!(await gpu.requestAdapter().catch(() => null))) why = 'This browser has WebGPU but found no GPU adapter';
  if (!why) return;
  const fallback = crossOriginIsolated ? 'WebAssembly (SIMD) on the CPU' : 'plain JavaScript on the CPU (WebAssembly needs a cross-origin isolated page: see the README)';
  gpuNote.textContent = `${why}, so cells train on ${fallback} instead: slower, same results.`;
  gpuNote.hidden = false;
}
void checkGpu();
// For the browser tests and the curious (the console): the runs' step losses, evaluations and gradient flow.
Object.assign(globalThis, { cellforgePlayground: { runs } });
window.addEventListener('resize', scheduleDraw);
// A link pasted over this page's URL (only the hash changed): start over from the state it holds.
window.addEventListener('hashchange', () => location.reload());
