// The page's state in the URL hash, as URL search params (cell, task, hidden, layers, lr, batch, steps, seed,
// backend; cell2 when two cells are compared), so that a link reproduces a run.
import type { BackendChoice, TaskName, TrainSettings } from './protocol.js';
import { taskNames } from './protocol.js';

export interface PageState {
  /** A built-in cell's name, or the cell's source text. */
  readonly cell: string;
  readonly cell2?: string;
  readonly settings: TrainSettings;
}

export const defaultSettings: TrainSettings = { task: 'adding', hidden: 32, layers: 1, lr: 0.01, batch: 32, steps: 200, seed: 1, backend: 'webgpu' };
const backends: readonly BackendChoice[] = ['webgpu', 'wasm', 'js'];

function positive(text: string | null, fallback: number, integer: boolean): number {
  const v = Number(text);
  return text !== null && Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v)) ? v : fallback;
}

export function readHash(hash: string): PageState {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const task = taskNames.includes(p.get('task') as TaskName) ? (p.get('task') as TaskName) : defaultSettings.task;
  const backend = backends.includes(p.get('backend') as BackendChoice) ? (p.get('backend') as BackendChoice) : defaultSettings.backend;
  const d = defaultSettings;
  const cell2 = p.get('cell2');
  return {
    cell: p.get('cell') || 'lstm',
    ...(cell2 ? { cell2 } : {}),
    settings: {
      task,
      hidden: positive(p.get('hidden'), d.hidden, true),
      layers: positive(p.get('layers'), d.layers, true),
      lr: positive(p.get('lr'), d.lr, false),
      batch: positive(p.get('batch'), d.batch, true),
      steps: positive(p.get('steps'), d.steps, true),
      seed: positive(p.get('seed'), d.seed, true),
      backend,
    },
  };
}

export function writeHash(state: PageState): string {
  const s = state.settings;
  const p = new URLSearchParams({ cell: state.cell, ...(state.cell2 ? { cell2: state.cell2 } : {}) });
  for (const [k, v] of Object.entries({ task: s.task, hidden: s.hidden, layers: s.layers, lr: s.lr, batch: s.batch, steps: s.steps, seed: s.seed, backend: s.backend })) p.set(k, String(v));
  return `#${p.toString()}`;
}
