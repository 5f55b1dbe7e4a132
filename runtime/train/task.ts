// What a sample task gives the trainer: its data, its model shape and loss, its metric and sensible defaults.
import type { Example, Readout } from './batch.js';
import type { BatchScore, InitName, LossName, SequenceModel } from './model.js';
import type { OptimizerName } from './optimizer.js';
import type { ScheduleName } from './trainer.js';

export type MetricName = 'accuracy' | 'perplexity' | 'bpc' | 'mse';

export interface TaskData {
  readonly train: readonly Example[];
  readonly valid: readonly Example[];
  readonly test: readonly Example[];
}

/** Hyper-parameters a task starts from; every one can be overridden on the command line. */
export interface TaskDefaults {
  readonly cell: string;
  readonly hiddenSize: number;
  readonly numLayers?: number;
  readonly embedDim?: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly clipNorm?: number;
  readonly schedule?: ScheduleName;
  readonly init?: InitName;
  readonly dropout?: number;
}

export interface Task {
  readonly name: string;
  readonly summary: string;
  readonly readout: Readout;
  readonly loss: LossName;
  readonly metric: MetricName;
  /** Features per step (feature inputs); with `vocab` the inputs are token ids instead. */
  readonly inputSize: number;
  readonly vocab?: readonly string[];
  /** Classes, or regression outputs per prediction. */
  readonly outputs: number;
  readonly defaults: TaskDefaults;
  /** The data; fixed by the task (its own data seed), so every run and every compared cell sees the same sets. */
  data(): TaskData;
  /** Where the data came from and how it was split (seeds, sizes): printed before training, saved in metrics.json. */
  dataInfo?(): Readonly<Record<string, string | number>>;
  /** Something to show in the report after training (generated text, example predictions). */
  showcase?(model: SequenceModel, seed: number): Promise<string>;
}

export function metricOf(metric: MetricName, s: BatchScore): number {
  if (s.count === 0) return NaN;
  switch (metric) {
    case 'accuracy':
      return s.correct / s.count;
    case 'perplexity':
      return Math.exp(s.lossSum / s.count);
    case 'bpc':
      return s.lossSum / s.count / Math.LN2;
    case 'mse':
      return s.lossSum / s.count;
  }
}

/** Accuracy is better high; perplexity and MSE are better low. */
export const metricLabels: Record<MetricName, string> = { accuracy: 'accuracy', perplexity: 'perplexity', bpc: 'bits/char', mse: 'MSE' };

/** The metric's key in metrics.json: testAccuracy, testPerplexity, testBitsPerChar, testMSE. */
export const metricKeys: Record<MetricName, string> = { accuracy: 'Accuracy', perplexity: 'Perplexity', bpc: 'BitsPerChar', mse: 'MSE' };

export function higherIsBetter(metric: MetricName): boolean {
  return metric === 'accuracy';
}

export function formatMetric(metric: MetricName, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (metric === 'accuracy') return `${(100 * v).toFixed(1)}%`;
  if (metric === 'perplexity') return v.toFixed(2);
  if (metric === 'bpc') return v.toFixed(3);
  return v < 0.01 ? v.toExponential(2) : v.toFixed(4);
}

export function addScores(a: BatchScore, b: BatchScore): BatchScore {
  return { lossSum: a.lossSum + b.lossSum, count: a.count + b.count, correct: a.correct + b.correct };
}
