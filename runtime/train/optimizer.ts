// The optimiser contract, and the factory that builds one by name (SGD, Adam, AdamW).
import { CellforgeError } from '../../ir/errors.js';
import { Adam } from './adam.js';
import type { Grads, Param } from './param.js';
import { SGD } from './sgd.js';

export interface Optimizer {
  readonly kind: OptimizerName;
  /** Steps taken so far (Adam's bias correction uses it; checkpoints save it). */
  step: number;
  /** One update of every parameter in place from its gradient; `lrScale` multiplies the learning rate (schedules). */
  update(params: readonly Param[], grads: Grads, lrScale?: number): void;
  /** State tensors with prefixed names (`adam.m.weight_ih_l0`), for checkpoints. */
  stateTensors(): Record<string, { shape: readonly number[]; data: Float64Array }>;
  /** Restores what `stateTensors` returned (and `step`); unknown or missing names are an error. */
  loadStateTensors(tensors: ReadonlyMap<string, Float64Array>, step: number): void;
}

export type OptimizerName = 'sgd' | 'adam' | 'adamw';
export const optimizerNames: readonly OptimizerName[] = ['sgd', 'adam', 'adamw'];

export interface OptimizerOptions {
  readonly lr: number;
  /** SGD only. */
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
}

export function createOptimizer(name: OptimizerName, params: readonly Param[], opts: OptimizerOptions): Optimizer {
  switch (name) {
    case 'sgd':
      return new SGD(params, { lr: opts.lr, momentum: opts.momentum ?? 0, weightDecay: opts.weightDecay ?? 0 });
    case 'adam':
    case 'adamw':
      return new Adam(params, {
        lr: opts.lr,
        betas: opts.betas ?? [0.9, 0.999],
        eps: opts.eps ?? 1e-8,
        weightDecay: opts.weightDecay ?? (name === 'adamw' ? 0.01 : 0),
        decoupled: name === 'adamw',
      });
    default:
      throw new CellforgeError(`unknown optimizer '${String(name)}'`, undefined, `optimizers: ${optimizerNames.join(', ')}`);
  }
}
