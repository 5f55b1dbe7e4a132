// The page's side of one training run: a worker of its own (so two cells train side by side, and Reset simply
// ends it), the stats row of the cell, and the series the charts draw.
import type { BackendChoice, ExportKind, Reply, TrainSettings } from './protocol.js';
import { startWorker } from './workers.js';

export interface RunView {
  /** Called after every message that changed what the page shows. */
  update(): void;
  note(text: string): void;
}

export class RunClient {
  private worker: Worker | undefined;
  backend: BackendChoice | '' = '';
  step = 0;
  loss = NaN;
  metric = '';
  stepsPerSecond = NaN;
  state: 'idle' | 'starting' | 'training' | 'paused' | 'finished' | 'failed' = 'idle';
  /** [step, loss] per training step; [step, loss] of the validation set at each evaluation. */
  readonly losses: [number, number][] = [];
  readonly validLosses: [number, number][] = [];
  /** The latest gradient-norm-versus-time measurement: per state, per time step. */
  flow: Record<string, number[]> = {};
  sample = '';
  error = '';
  private nextExport = 1;
  private readonly exports = new Map<number, (files: Record<string, Uint8Array>) => void>();
  /** The trained weights, a probe, the PyTorch module or the ONNX model (see the worker's TrainingRun.exportFiles). */

  constructor(
    readonly label: string,
    private readonly view: RunView,
  ) {}

  start(source: string, file: string, settings: TrainSettings): void {
    this.stop();
    this.state = 'starting';
    const worker = (this.worker = startWorker());
    worker.onmessage = (e: MessageEvent<Reply>) => this.receive(e.data);
    worker.onerror = (e) => {
      this.state = 'failed';
      this.error = e.message;
      this.view.note(`${this.label}: the training worker failed: ${e.message}`);
      this.view.update();
    };
    worker.postMessage({ type: 'train', source, file, settings });
  }

  pause(): void {
    this.worker?.postMessage({ type: 'pause' });
  }

  resume(): void {
    this.worker?.postMessage({ type: 'resume' });
    if (this.state === 'paused') this.state = 'training';
  }

  /** Ends the run and forgets it. */
  stop(): void {
    this.worker?.terminate();
    this.worker = undefined;
    Object.assign(this, { backend: '', step: 0, loss: NaN, metric: '', stepsPerSecond: NaN, state: 'idle', flow: {}, sample: '', error: '' });
    this.losses.length = 0;
    this.validLosses.length = 0;
  }

  exportFiles(kind: ExportKind): Promise<Record<string, Uint8Array>> {
    const worker = this.worker;
    if (!worker) return Promise.resolve({});
    const id = this.nextExport++;
    return new Promise((done) => {
      this.exports.set(id, done);
      worker.postMessage({ type: 'export', id, kind });
    });
  }

  private receive(r: Reply): void {
    switch (r.type) {
      case 'started':
        this.state = 'training';
        this.backend = r.backend;
        this.metric = '';
        if (r.note) this.view.note(`${this.label}: ${r.note}`);
        break;
      case 'steps':
        for (const s of r.steps) this.losses.push([s.step, s.loss]);
        {
          const last = r.steps[r.steps.length - 1];
          if (last) Object.assign(this, { step: last.step, loss: last.loss, stepsPerSecond: last.stepsPerSecond });
        }
        break;
      case 'evaluated':
        this.validLosses.push([r.step, r.loss]);
        this.metric = r.metricText;
        break;
      case 'flow':
        this.flow = r.norms;
        break;
      case 'sample':
        this.sample = r.text;
        break;
      case 'paused':
        this.state = 'paused';
        break;
      case 'finished':
        this.state = 'finished';
        break;
      case 'failed':
        this.state = 'failed';
        this.error = r.message;
        this.view.note(`${this.label}: ${r.message}`);
        break;
      case 'exported':
        if (r.error) this.view.note(`${this.label}: cannot export: ${r.error}`);
        this.exports.get(r.id)?.(r.files);
        this.exports.delete(r.id);
        return;
      default:
        return;
    }
    this.view.update();
  }
}
