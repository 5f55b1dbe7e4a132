// The training loop: shuffled mini-batches, clipping, optimiser steps, per-epoch validation; resumable exactly.
import { CellforgeError } from '../../ir/errors.js';
import { Random } from '../random.js';
import type { Example } from './batch.js';
import { clipGradNorm, clipGradValue, globalNorm } from './clip.js';
import type { BatchScore, SequenceModel } from './model.js';
import { createOptimizer, type Optimizer, type OptimizerName } from './optimizer.js';
import type { Param } from './param.js';
import { addScores, metricOf, type Task, type TaskData } from './task.js';

export interface TrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerName;
  readonly lr: number;
  /** SGD momentum. */
  readonly momentum: number;
  readonly weightDecay: number;
  /** Clip the global gradient norm to this (0: off). */
  readonly clipNorm: number;
  /** Clamp every gradient element to ±this (0: off). */
  readonly clipValue: number;
  /** Learning-rate schedule over the whole run: constant, or cosine decay to zero (Loshchilov and Hutter 2017). */
  readonly schedule: ScheduleName;
  readonly seed: number;
}

export type ScheduleName = 'constant' | 'cosine';
export const scheduleNames: readonly ScheduleName[] = ['constant', 'cosine'];

/** The factor on the learning rate for the update after `step` steps of `total`. */
export function lrScale(schedule: ScheduleName, step: number, total: number): number {
  return schedule === 'cosine' ? 0.5 * (1 + Math.cos((Math.PI * Math.min(step, total)) / Math.max(1, total))) : 1;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly step: number;
  /** Mean training loss over the epoch's steps (null for epoch 0, the evaluation before training). */
  readonly trainLoss: number | null;
  readonly validLoss: number;
  readonly validMetric: number;
  /** Mean global gradient norm before clipping (null for epoch 0). */
  readonly gradNorm: number | null;
  /** Training time so far, seconds. */
  readonly seconds: number;
}

/** Everything about a run's progress that is not a tensor; checkpoints store it as JSON. */
export interface TrainerState {
  step: number;
  /** Epochs completed (trained and validated). */
  epoch: number;
  /** Seconds spent training so far (across resumes). */
  seconds: number;
  /** The RNN's forward-call counter, which seeds its dropout masks. */
  forwardCalls: number;
  /** Per step: training loss and gradient norm before clipping. */
  readonly stepLoss: number[];
  readonly stepGradNorm: number[];
  readonly history: EpochRecord[];
}

export interface StepInfo {
  readonly step: number;
  readonly total: number;
  readonly epoch: number;
  readonly loss: number;
  readonly stepsPerSecond: number;
}

export interface TrainHooks {
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord): void;
  /** Polled after every step; true ends the run early (after a save). */
  shouldStop?(): boolean;
  /** Called at the end of every epoch, every `saveEvery` steps and when stopping early. */
  save?(): void;
  readonly saveEvery?: number;
}

/** Shuffle seeds live far from the streams used for initialisation (1, 11-13) and sampling. */
export const SHUFFLE_STREAM = 1_000_000;
const EVAL_BATCH = 256;

export class Trainer {
  readonly params: Param[];
  readonly optimizer: Optimizer;
  state: TrainerState;

  constructor(
    readonly model: SequenceModel,
    readonly task: Pick<Task, 'readout' | 'metric' | 'inputSize' | 'outputs'>,
    readonly data: TaskData,
    readonly config: TrainConfig,
  ) {
    if (data.train.length === 0) throw new CellforgeError('the training set is empty');
    this.params = model.params();
    this.optimizer = createOptimizer(config.optimizer, this.params, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
    this.state = { step: 0, epoch: 0, seconds: 0, forwardCalls: model.forwardCalls, stepLoss: [], stepGradNorm: [], history: [] };
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.data.train.length / this.config.batchSize);
  }

  get totalSteps(): number {
    return this.config.epochs * this.stepsPerEpoch;
  }

  get done(): boolean {
    return this.state.epoch >= this.config.epochs;
  }

  /** The training examples of `epoch` in its shuffled order: a pure function of (seed, epoch). */
  epochOrder(epoch: number): number[] {
    const rng = new Random(this.config.seed, SHUFFLE_STREAM + epoch);
    const order = Array.from(this.data.train, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }

  /** Loss and metric over a set, in evaluation mode, in fixed batches. */
  async evaluate(examples: readonly Example[]): Promise<BatchScore & { loss: number; metric: number }> {
    let total: BatchScore = { lossSum: 0, count: 0, correct: 0 };
    for (let i = 0; i < examples.length; i += EVAL_BATCH) total = addScores(total, await this.model.evaluate(this.model.batchOf(examples.slice(i, i + EVAL_BATCH))));
    return { ...total, loss: total.lossSum / total.count, metric: metricOf(this.task.metric, total) };
  }

  /** One optimiser step on one batch; returns the batch loss and the gradient norm before clipping. */
  async trainStep(examples: readonly Example[]): Promise<{ loss: number; gradNorm: number }> {
    const r = await this.model.step(this.model.batchOf(examples));
    const { clipNorm, clipValue } = this.config;
    const gradNorm = clipNorm > 0 ? clipGradNorm(r.grads, clipNorm) : globalNorm(r.grads);
    if (clipValue > 0) clipGradValue(r.grads, clipValue);
    this.optimizer.update(this.params, r.grads, lrScale(this.config.schedule, this.state.step, this.totalSteps));
    return { loss: r.loss, gradNorm };
  }

  /** Trains until `epochs` are done or a hook asks to stop; returns whether it finished. */
  async run(hooks: TrainHooks = {}): Promise<'finished' | 'stopped'> {
    const S = this.stepsPerEpoch;
    const B = this.config.batchSize;
    const total = this.totalSteps;
    const st = this.state;
    this.model.forwardCalls = st.forwardCalls;
    let clock = performance.now();
    const tick = () => {
      const now = performance.now();
      st.seconds += (now - clock) / 1000;
      clock = now;
    };
    const startStep = st.step;
    const startSeconds = st.seconds;
    const save = () => {
      tick();
      st.forwardCalls = this.model.forwardCalls;
      hooks.save?.();
    };
    if (st.step === 0 && st.history.length === 0) {
      // Epoch 0: the untrained model's validation score, the start of every curve.
      const valid = await this.evaluate(this.data.valid);
      tick();
      const record: EpochRecord = { epoch: 0, step: 0, trainLoss: null, validLoss: valid.loss, validMetric: valid.metric, gradNorm: null, seconds: st.seconds };
      st.history.push(record);
      hooks.onEpoch?.(record);
    }
    while (st.epoch < this.config.epochs) {
      const order = this.epochOrder(st.epoch);
      for (let k = st.step - st.epoch * S; k < S; k++) {
        const batch = order.slice(k * B, (k + 1) * B).map((i) => this.data.train[i]!);
        const { loss, gradNorm } = await this.trainStep(batch);
        st.step++;
        st.stepLoss.push(loss);
        st.stepGradNorm.push(gradNorm);
        tick();
        const rate = (st.step - startStep) / Math.max(1e-9, st.seconds - startSeconds);
        hooks.onStep?.({ step: st.step, total, epoch: st.epoch, loss, stepsPerSecond: rate });
        // The CPU backends never leave the microtask queue; without this a Ctrl-C handler would only run at the end.
        await new Promise((done) => setImmediate(done));
        if (!Number.isFinite(loss)) throw new CellforgeError(`training diverged at step ${st.step}: the loss is ${loss}`, undefined, 'lower --lr or clip gradients (--clip-norm)');
        if (hooks.shouldStop?.()) {
          save();
          return 'stopped';
        }
        if (hooks.saveEvery && st.step % hooks.saveEvery === 0 && k < S - 1) save();
      }
      const valid = await this.evaluate(this.data.valid);
      tick();
      const losses = st.stepLoss.slice(st.epoch * S, (st.epoch + 1) * S);
      const norms = st.stepGradNorm.slice(st.epoch * S, (st.epoch + 1) * S);
      const record: EpochRecord = {
        epoch: st.epoch + 1,
        step: st.step,
        trainLoss: mean(losses),
        validLoss: valid.loss,
        validMetric: valid.metric,
        gradNorm: mean(norms),
        seconds: st.seconds,
      };
      st.history.push(record);
      st.epoch++;
      hooks.onEpoch?.(record);
      save();
      if (hooks.shouldStop?.() && st.epoch < this.config.epochs) return 'stopped';
    }
    return 'finished';
  }
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
