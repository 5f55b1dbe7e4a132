// In the worker: one training run of one cell on one task, step by step, reporting progress to the page. Pausing
// stops between steps; the page resets by ending the worker.
import { compileSource } from '../../compiler/compile.js';
import { exportOnnx, exportPytorch } from '../../compiler/export/index.js';
import packageJson from '../../package.json';
import type { CompiledCell } from '../../compiler/compiled-cell.js';
import { wasmSimdAvailable } from '../../compiler/codegen/wasm/assemble.js';
import { encodeNpy } from '../../runtime/io/npy-format.js';
import { encodeSafetensors } from '../../runtime/io/safetensors-format.js';
import { Random } from '../../runtime/random.js';
import { toFloat64 } from '../../runtime/tensor.js';
import { gradientFlow, probeExamples } from '../../runtime/train/gradient-flow.js';
import { SequenceModel } from '../../runtime/train/model.js';
import { formatMetric, metricLabels, type Task } from '../../runtime/train/task.js';
import { Trainer } from '../../runtime/train/trainer.js';
import { requestDevice } from '../../runtime/webgpu/device.js';
import { sampleText } from '../../samples/tasks/charlm.js';
import type { Example } from '../../runtime/train/batch.js';
import type { BackendChoice, ExportKind, Reply, StepReport, TrainSettings } from './protocol.js';
import { toDiagnostic } from './compile-view.js';
import { pageTask } from './tasks.js';

/** Validation examples scored at each evaluation: enough for a steady metric, few enough to keep training going. */
const EVAL_EXAMPLES = 128;
/** Evaluations (metric, sampled text) per run; the gradient flow (dearer: a forward per prefix) at the first, middle and last. */
const EVALUATIONS = 6;
/** Progress messages at most this often. */
const REPORT_MS = 100;
/** The probe written with the weights: input [T, B, X] for `cellforge run`, and the page's output on it. */
const PROBE_STEPS = 8;
const PROBE_BATCH = 2;

/** The backend to train on: the one asked for when it runs here, else the next one down, with a sentence why. */
export async function chooseBackend(wanted: BackendChoice): Promise<{ backend: BackendChoice; note?: string }> {
  let note: string | undefined;
  if (wanted === 'webgpu') {
    const gpu = await requestDevice();
    if (gpu.device) return { backend: 'webgpu' };
    note = `WebGPU is not available in this browser (${gpu.reason})`;
  }
  if (wanted !== 'js') {
    if (wasmSimdAvailable()) return note ? { backend: 'wasm', note: `${note}: training on WebAssembly instead.` } : { backend: 'wasm' };
    const why = typeof SharedArrayBuffer !== 'function' ? 'the page is not cross-origin isolated (its host does not send the COOP/COEP headers)' : 'this browser has no WebAssembly SIMD';
    note = `${note ? `${note}; ` : ''}WebAssembly is not available (${why}): training on plain JavaScript instead.`;
  }
  return note ? { backend: 'js', note } : { backend: 'js' };
}

export class TrainingRun {
  private paused = false;
  private wake: (() => void) | undefined;
  private model: SequenceModel | undefined;
  private trainer: Trainer | undefined;
  private task: Task | undefined;
  private cell: CompiledCell | undefined;
  /** The model's work in order: a step, an evaluation or an export never interleave at their awaits. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The evaluation in the middle of the run, which also measures the gradient flow. */
  private flowStep = -1;

  constructor(
    readonly source: string,
    readonly file: string,
    readonly settings: TrainSettings,
    readonly post: (reply: Reply) => void,
  ) {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  async start(): Promise<void> {
    try {
      await this.run();
    } catch (err) {
      const d = toDiagnostic(err);
      this.post({ type: 'failed', message: d.line > 1 || d.column > 1 ? `${this.file}:${d.line}:${d.column}: ${d.message}` : d.message });
    }
  }

  private async run(): Promise<void> {
    const s = this.settings;
    const cell = (this.cell = compileSource(this.source, this.file));
    const task = (this.task = await pageTask(s.task));
    const data = task.data();
    const { backend, note } = await chooseBackend(s.backend);
    const model = (this.model = new SequenceModel(cell, {
      inputSize: task.inputSize,
      ...(task.vocab ? { vocabSize: task.vocab.length, embedDim: task.defaults.embedDim ?? 16 } : {}),
      hiddenSize: s.hidden,
      numLayers: s.layers,
      bidirectional: false,
      dropout: 0,
      variationalDropout: false,
      outputs: task.outputs,
      readout: task.readout,
      loss: task.loss,
      init: task.defaults.init ?? 'default',
      backend,
      seed: s.seed,
    }));
    const epochs = Math.ceil((s.steps * s.batch) / data.train.length);
    const trainer = (this.trainer = new Trainer(model, task, data, {
      epochs,
      batchSize: s.batch,
      optimizer: 'adam',
      schedule: 'constant',
      lr: s.lr,
      momentum: 0,
      weightDecay: 0,
      clipNorm: task.defaults.clipNorm ?? 1,
      clipValue: 0,
      seed: s.seed,
    }));
    this.post({ type: 'started', backend, ...(note ? { note } : {}), metric: metricLabels[task.metric], totalSteps: s.steps, inputSize: model.inputSize });

    const valid = data.valid.slice(0, EVAL_EXAMPLES);
    const probe = probeExamples(data.test, s.hidden, 4);
    await this.exclusive(() => this.evaluate(0, valid, probe));
    const every = Math.max(1, Math.round(s.steps / EVALUATIONS));
    this.flowStep = every * Math.round(EVALUATIONS / 2);
    let pending: StepReport[] = [];
    let lastPost = performance.now();
    const t0 = performance.now();
    let trainSeconds = 0;
    for (let step = 0; step < s.steps; ) {
      const S = trainer.stepsPerEpoch;
      const epoch = Math.floor(step / S);
      const order = trainer.epochOrder(epoch);
      for (let k = step - epoch * S; k < S && step < s.steps; k++) {
        const t = performance.now();
        const batch = order.slice(k * s.batch, (k + 1) * s.batch).map((i) => data.train[i]!);
        const { loss, gradNorm } = await this.exclusive(() => trainer.trainStep(batch));
        trainSeconds += (performance.now() - t) / 1000;
        step++;
        trainer.state.step = step;
        pending.push({ step, loss, gradNorm, stepsPerSecond: step / trainSeconds, seconds: (performance.now() - t0) / 1000 });
        if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step}: the loss is ${loss}; lower the learning rate`);
        const now = performance.now();
        if (now - lastPost >= REPORT_MS || step === s.steps || step % every === 0 || this.paused) {
          this.post({ type: 'steps', steps: pending });
          pending = [];
          lastPost = now;
        }
        if (step % every === 0 || step === s.steps) await this.exclusive(() => this.evaluate(step, valid, probe));
        await this.breathe(step);
      }
    }
    this.post({ type: 'finished', step: s.steps });
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const result = this.queue.then(f);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Lets messages (pause, export) in between steps, and waits while paused. */
  private async breathe(step: number): Promise<void> {
    await new Promise((done) => setTimeout(done, 0));
    if (!this.paused) return;
    this.post({ type: 'paused', step });
    while (this.paused) await new Promise<void>((done) => (this.wake = done));
  }

  private async evaluate(step: number, valid: readonly Example[], probe: readonly Example[]): Promise<void> {
    const trainer = this.trainer!;
    const task = this.task!;
    const score = await trainer.evaluate(valid);
    this.post({ type: 'evaluated', step, loss: score.loss, metric: score.metric, metricText: formatMetric(task.metric, score.metric) });
    const flow = step === 0 || step === this.settings.steps || step === this.flowStep ? await gradientFlow(this.model!, probe) : undefined;
    if (flow) this.post({ type: 'flow', step, norms: flow.norms });
    if (task.name === 'charlm') this.post({ type: 'sample', step, text: await sampleText(this.model!, 'The lighthouse ', 120, new Random(this.settings.seed, 77)) });
  }

  /** The trained RNN's weights (PyTorch names, as `cellforge run` reads them) and a probe: input and the page's output. */
  exportFiles(kind: ExportKind): Promise<Record<string, Uint8Array>> {
    return this.exclusive(() => this.writeFiles(kind));
  }

  private async writeFiles(kind: ExportKind): Promise<Record<string, Uint8Array>> {
    const model = this.model;
    const cell = this.cell;
    if (!model || !cell) return {};
    const name = cell.name;
    const version = packageJson.version;
    const tensors = Object.fromEntries(model.rnn.parameters().map((p) => [p.name, { shape: [...p.shape], data: Float32Array.from(p.data) }]));
    if (kind === 'pytorch') return { [`${name}.py`]: new TextEncoder().encode(exportPytorch(cell, { version })) };
    if (kind === 'onnx') return { [`${name}.onnx`]: exportOnnx(cell, tensors, { version, numLayers: this.settings.layers, source: `${name}.safetensors` }) };
    if (kind === 'weights') {
      const weights = encodeSafetensors(
        Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, { dtype: 'float32' as const, ...t }])),
        { format: 'pt', producer: 'cellforge playground', cell: this.file },
      );
      return { [`${name}.safetensors`]: weights };
    }
    const X = model.inputSize;
    const rng = new Random(this.settings.seed, 99);
    const x = Float32Array.from({ length: PROBE_STEPS * PROBE_BATCH * X }, () => rng.next() * 2 - 1);
    const wasTraining = model.rnn.training;
    model.rnn.eval();
    const calls = model.forwardCalls;
    const r = await model.rnn.forward({ data: x, shape: [PROBE_STEPS, PROBE_BATCH, X] });
    model.forwardCalls = calls;
    model.rnn.train(wasTraining);
    const output = Float32Array.from(toFloat64(r.output));
    return {
      'probe-input.npy': encodeNpy({ dtype: 'float32', shape: [PROBE_STEPS, PROBE_BATCH, X], data: x }),
      'probe-output.npy': encodeNpy({ dtype: 'float32', shape: [...r.output.shape], data: output }),
    };
  }
}
