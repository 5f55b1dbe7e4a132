// One training run of a task with one cell, from scratch or resumed from a checkpoint: the glue between the task,
// the model, the trainer, checkpoints and the diagnostics the report shows.
import { createHash } from 'node:crypto';
import { wasmSimdAvailable } from '../../compiler/codegen/wasm/assemble.js';
import { compileCell, type CompiledCell } from '../../compiler/compile.js';
import { CellforgeError } from '../../ir/errors.js';
import type { BackendName } from '../backends.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointTensor } from './checkpoint.js';
import { gradientFlow, probeExamples, type GradientFlow } from './gradient-flow.js';
import { SequenceModel, type InitName } from './model.js';
import type { OptimizerName } from './optimizer.js';
import { gateSaturation, type GateStat } from './saturation.js';
import type { MetricName, Task, TaskData } from './task.js';
import { SHUFFLE_STREAM, Trainer, type EpochRecord, type TrainConfig, type TrainHooks, type TrainerState } from './trainer.js';

/** The trainer's settings plus what the model is made of. */
export interface RunOptions extends TrainConfig {
  readonly cell: string;
  readonly backend: BackendName;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly embedDim: number;
  readonly dropout: number;
  readonly variationalDropout: boolean;
  readonly init: InitName;
  /** Train on the first N training examples only (quick runs of the large tasks); 0: all. */
  readonly trainLimit?: number;
}

export type RunOverrides = { -readonly [K in keyof RunOptions]?: RunOptions[K] };

export function resolveOptions(task: Task, o: RunOverrides): RunOptions {
  const d = task.defaults;
  return {
    cell: o.cell ?? d.cell,
    // the fastest CPU backend this engine runs (a GPU pays off only at sizes beyond the sample tasks)
    backend: o.backend ?? (wasmSimdAvailable() ? 'wasm' : 'js'),
    seed: o.seed ?? 0,
    hiddenSize: o.hiddenSize ?? d.hiddenSize,
    numLayers: o.numLayers ?? d.numLayers ?? 1,
    bidirectional: o.bidirectional ?? false,
    embedDim: o.embedDim ?? d.embedDim ?? 16,
    dropout: o.dropout ?? d.dropout ?? 0,
    variationalDropout: o.variationalDropout ?? false,
    init: o.init ?? d.init ?? 'default',
    epochs: o.epochs ?? d.epochs,
    batchSize: o.batchSize ?? d.batchSize,
    optimizer: o.optimizer ?? d.optimizer,
    lr: o.lr ?? d.lr,
    momentum: o.momentum ?? 0,
    weightDecay: o.weightDecay ?? 0,
    clipNorm: o.clipNorm ?? d.clipNorm ?? 0,
    clipValue: o.clipValue ?? 0,
    schedule: o.schedule ?? d.schedule ?? 'constant',
    trainLimit: o.trainLimit ?? 0,
  };
}

export interface Diagnostics {
  gradientFlow?: GradientFlow;
  saturation?: GateStat[];
}

/** What a finished run reports (metrics.json holds this, minus the per-step arrays). */
export interface RunResult {
  readonly task: string;
  readonly cell: string;
  readonly cellSha256: string;
  readonly backend: string;
  readonly options: RunOptions;
  readonly parameters: number;
  readonly metric: MetricName;
  readonly testLoss: number;
  readonly testMetric: number;
  readonly validLoss: number;
  readonly validMetric: number;
  readonly steps: number;
  readonly epochs: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  readonly history: readonly EpochRecord[];
  readonly stepLoss: readonly number[];
  readonly stepGradNorm: readonly number[];
  readonly atInit: Diagnostics;
  readonly trained: Diagnostics;
  readonly showcase?: string;
  /** The task's data provenance (split and permutation seeds, sizes), when it states one. */
  readonly data?: Readonly<Record<string, string | number>>;
}

const OPTIMIZER_PREFIXES = ['sgd.', 'adam.', 'adamw.'];

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class TrainingSession {
  atInit: Diagnostics = {};
  private constructor(
    readonly task: Task,
    readonly data: TaskData,
    readonly cell: CompiledCell,
    readonly options: RunOptions,
    readonly model: SequenceModel,
    readonly trainer: Trainer,
  ) {}

  get cellSha256(): string {
    return sha256(this.cell.source);
  }

  private static build(task: Task, options: RunOptions, cell: CompiledCell = compileCell(options.cell)): TrainingSession {
    const full = task.data();
    const data = options.trainLimit ? { ...full, train: full.train.slice(0, options.trainLimit) } : full;
    const model = new SequenceModel(cell, {
      inputSize: task.inputSize,
      ...(task.vocab ? { vocabSize: task.vocab.length, embedDim: options.embedDim } : {}),
      hiddenSize: options.hiddenSize,
      numLayers: options.numLayers,
      bidirectional: options.bidirectional,
      dropout: options.dropout,
      variationalDropout: options.variationalDropout,
      outputs: task.outputs,
      readout: task.readout,
      loss: task.loss,
      init: options.init,
      backend: options.backend,
      seed: options.seed,
    });
    const trainer = new Trainer(model, task, data, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      optimizer: options.optimizer,
      lr: options.lr,
      momentum: options.momentum,
      weightDecay: options.weightDecay,
      clipNorm: options.clipNorm,
      clipValue: options.clipValue,
      // checkpoints written before schedules existed trained at a constant rate
      schedule: options.schedule ?? 'constant',
      seed: options.seed,
    });
    return new TrainingSession(task, data, cell, options, model, trainer);
  }

  /** A fresh run; `diagnose` measures the gradient flow and gate saturation at initialisation first. */
  static async start(task: Task, overrides: RunOverrides, diagnose = true): Promise<TrainingSession> {
    const s = TrainingSession.build(task, resolveOptions(task, overrides));
    if (diagnose) s.atInit = await s.diagnose();
    return s;
  }

  /**
   * Continues the run saved at `path`. Options come from the checkpoint; a flag that contradicts it is an error,
   * except `epochs` (train longer) and `backend` (allowed, but then not bit-identical; reported in `notes`).
   */
  static resume(task: Task, path: string, overrides: RunOverrides, notes: string[] = []): TrainingSession {
    const ckpt = loadCheckpoint(path);
    const meta = ckpt.meta as { task?: string; cell?: { sha256?: string }; options?: RunOptions; trainer?: TrainerState; optimizer?: { step?: number }; atInit?: Diagnostics };
    if (meta.task !== task.name) throw new CellforgeError(`${path}: this checkpoint is from task '${String(meta.task)}', not '${task.name}'`);
    if (!meta.options || !meta.trainer || !meta.cell?.sha256) throw new CellforgeError(`${path}: checkpoint metadata is incomplete (options, trainer state or cell hash missing)`);
    const saved = meta.options;
    for (const [k, v] of Object.entries(overrides) as [keyof RunOptions, unknown][]) {
      if (v === undefined || v === saved[k] || k === 'epochs') continue;
      if (k === 'backend') {
        notes.push(`resuming on backend '${String(v)}' although the checkpoint was trained on '${saved.backend}': the result will not be bit-identical to an uninterrupted run`);
        continue;
      }
      throw new CellforgeError(`--resume: the checkpoint was trained with ${k} = ${JSON.stringify(saved[k])}, but this run asks for ${JSON.stringify(v)}`, undefined, `drop the flag to continue the saved run, or start a new one without --resume`);
    }
    const options: RunOptions = { ...saved, ...(overrides.epochs !== undefined ? { epochs: overrides.epochs } : {}), ...(overrides.backend !== undefined ? { backend: overrides.backend } : {}) };
    const cell = compileCell(options.cell);
    const sha = sha256(cell.source);
    if (sha !== meta.cell.sha256) {
      throw new CellforgeError(`--resume: the source of cell '${options.cell}' changed since the checkpoint was written (SHA-256 ${sha.slice(0, 12)}…, checkpoint has ${meta.cell.sha256.slice(0, 12)}…)`, undefined, 'restore the cell file or start a new run');
    }
    const s = TrainingSession.build(task, options, cell);
    if (meta.trainer.epoch > options.epochs) throw new CellforgeError(`--resume: the checkpoint has already trained ${meta.trainer.epoch} epochs, more than --epochs ${options.epochs}`);
    s.load(ckpt.tensors, path);
    s.trainer.optimizer.loadStateTensors(new Map([...ckpt.tensors].map(([n, t]) => [n, t.data])), meta.optimizer?.step ?? 0);
    s.trainer.state = { ...meta.trainer, stepLoss: [...meta.trainer.stepLoss], stepGradNorm: [...meta.trainer.stepGradNorm], history: [...meta.trainer.history] };
    s.atInit = meta.atInit ?? {};
    return s;
  }

  private load(tensors: ReadonlyMap<string, CheckpointTensor>, path: string): void {
    const params = this.trainer.params;
    const known = new Set(params.map((p) => p.name));
    for (const name of tensors.keys()) {
      if (!known.has(name) && !OPTIMIZER_PREFIXES.some((pre) => name.startsWith(pre))) throw new CellforgeError(`${path}: unexpected tensor '${name}' (not a weight of this model)`);
    }
    for (const p of params) {
      const t = tensors.get(p.name);
      if (!t) throw new CellforgeError(`${path}: weight '${p.name}' is missing`);
      if (t.data.length !== p.data.length) throw new CellforgeError(`${path}: weight '${p.name}' has shape [${t.shape.join(', ')}], the model expects [${p.shape.join(', ')}]`);
      p.data.set(t.data);
    }
  }

  /** Writes weights, optimiser state and progress to `path` (atomically). */
  save(path: string): void {
    const tensors = new Map<string, CheckpointTensor>();
    for (const p of this.trainer.params) tensors.set(p.name, { shape: p.shape, data: p.data });
    for (const [n, t] of Object.entries(this.trainer.optimizer.stateTensors())) tensors.set(n, t);
    const st = this.trainer.state;
    saveCheckpoint(path, tensors, {
      task: this.task.name,
      cell: { spec: this.options.cell, name: this.cell.name, sha256: this.cellSha256 },
      options: this.options,
      step: st.step,
      epoch: st.epoch,
      // Where every random stream stands: the epoch's shuffle (stream, draws made) and the dropout seed counter.
      rng: {
        seed: this.options.seed,
        shuffleStream: SHUFFLE_STREAM + st.epoch,
        shuffleCounter: this.data.train.length - 1,
        batchInEpoch: st.step - st.epoch * this.trainer.stepsPerEpoch,
        dropoutForwardCalls: st.forwardCalls,
      },
      optimizer: { kind: this.trainer.optimizer.kind, step: this.trainer.optimizer.step },
      trainer: st,
      atInit: this.atInit,
    });
  }

  run(hooks: TrainHooks = {}): Promise<'finished' | 'stopped'> {
    return this.trainer.run(hooks);
  }

  async diagnose(): Promise<Diagnostics> {
    const probe = probeExamples(this.data.test, this.options.hiddenSize);
    const [flow, saturation] = [await gradientFlow(this.model, probe), await gateSaturation(this.model, probe)];
    return { ...(flow ? { gradientFlow: flow } : {}), ...(saturation ? { saturation } : {}) };
  }

  /** Test-set evaluation and the trained model's diagnostics. */
  async finish(): Promise<RunResult> {
    const st = this.trainer.state;
    const test = await this.trainer.evaluate(this.data.test);
    const last = st.history[st.history.length - 1];
    const trained = await this.diagnose();
    const showcase = this.task.showcase ? await this.task.showcase(this.model, this.options.seed) : undefined;
    return {
      task: this.task.name,
      cell: this.cell.name,
      cellSha256: this.cellSha256,
      backend: this.model.rnn.backend.name,
      options: this.options,
      parameters: this.trainer.params.reduce((n, p) => n + p.data.length, 0),
      metric: this.task.metric,
      testLoss: test.loss,
      testMetric: test.metric,
      validLoss: last?.validLoss ?? NaN,
      validMetric: last?.validMetric ?? NaN,
      steps: st.step,
      epochs: st.epoch,
      seconds: st.seconds,
      stepsPerSecond: st.step / Math.max(1e-9, st.seconds),
      history: st.history,
      stepLoss: st.stepLoss,
      stepGradNorm: st.stepGradNorm,
      atInit: this.atInit,
      trained,
      ...(showcase !== undefined ? { showcase } : {}),
      ...(this.task.dataInfo ? { data: this.task.dataInfo() } : {}),
    };
  }
}

