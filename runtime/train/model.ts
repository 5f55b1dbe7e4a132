// A trainable sequence model: optional token embedding -> RNN -> linear head on the last or every step -> loss.
import type { CompiledCell } from '../../compiler/compile.js';
import { CellforgeError } from '../../ir/errors.js';
import type { BackendName } from '../backends.js';
import { Random } from '../random.js';
import { RNN } from '../rnn.js';
import { toFloat64 } from '../tensor.js';
import { collate, type Batch, type Example, type Readout } from './batch.js';
import { Embedding } from './embedding.js';
import { orthogonalPerGate, xavierUniform } from './init.js';
import { Linear } from './linear.js';
import { lastSteps, meanSquaredError, scatterLastSteps, softmaxCrossEntropy, type LossResult } from './losses.js';
import { zeroGrads, type Grads, type Param } from './param.js';

export type LossName = 'cross-entropy' | 'mse';
export type InitName = 'default' | 'orthogonal' | 'xavier';
export const initNames: readonly InitName[] = ['default', 'orthogonal', 'xavier'];

export interface ModelConfig {
  /** Features per step; ignored when `vocabSize` is set (the embedding's size is the RNN input then). */
  readonly inputSize: number;
  /** Token inputs: vocabulary size and embedding width. */
  readonly vocabSize?: number;
  readonly embedDim?: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly variationalDropout: boolean;
  /** Classes (cross-entropy) or regression outputs (MSE). */
  readonly outputs: number;
  readonly readout: Readout;
  readonly loss: LossName;
  /** RNN weights: PyTorch's default U(±1/√H), orthogonal recurrent blocks, or Xavier for every gate block. */
  readonly init: InitName;
  readonly backend: BackendName;
  readonly seed: number;
}

/** Loss summed over what it counts, so batches of different sizes average correctly. */
export interface BatchScore {
  readonly lossSum: number;
  readonly count: number;
  readonly correct: number;
}

interface Pass {
  readonly feats: Float64Array;
  readonly rows: number;
  readonly result: LossResult;
}

export class SequenceModel {
  readonly rnn: RNN;
  readonly head: Linear;
  readonly embedding?: Embedding;

  constructor(
    readonly cell: CompiledCell,
    readonly config: ModelConfig,
  ) {
    const inputSize = config.vocabSize !== undefined ? (config.embedDim ?? 16) : config.inputSize;
    this.rnn = new RNN(cell, {
      inputSize,
      hiddenSize: config.hiddenSize,
      numLayers: config.numLayers,
      bidirectional: config.bidirectional,
      dropout: config.dropout,
      variationalDropout: config.variationalDropout,
      backend: config.backend,
      seed: config.seed,
    });
    applyInit(this.rnn, config.init, config.hiddenSize, new Random(config.seed, 13));
    if (config.vocabSize !== undefined) this.embedding = new Embedding(config.vocabSize, inputSize, new Random(config.seed, 11));
    this.head = new Linear(this.rnn.outputSize, config.outputs, new Random(config.seed, 12));
  }

  /** Every trainable array, live: RNN weights by PyTorch name, then `head.*` and `embedding.*`. */
  params(): Param[] {
    return [...this.rnn.parameters(), ...this.head.params(), ...(this.embedding?.params() ?? [])];
  }

  train(): this {
    this.rnn.train();
    return this;
  }

  eval(): this {
    this.rnn.eval();
    return this;
  }

  /** How many forward passes the RNN has made: its dropout masks are seeded from it, so resuming restores it. */
  get forwardCalls(): number {
    return this.rnn.forwardCalls;
  }

  set forwardCalls(n: number) {
    this.rnn.forwardCalls = n;
  }

  /** Pads and lays out examples time-major for this model. */
  batchOf(examples: readonly Example[]): Batch {
    return collate(examples, this.config.readout, this.inputSize, this.config.outputs);
  }

  /** The RNN's input [T, B, X] for a batch: embedded tokens or the features themselves. */
  inputOf(batch: Batch): Float64Array {
    if (this.embedding) {
      if (!batch.tokens) throw new CellforgeError('this model reads token ids, but the batch has none');
      return this.embedding.forward(batch.tokens);
    }
    if (!batch.features) throw new CellforgeError('this model reads feature vectors, but the batch has none');
    return batch.features;
  }

  get inputSize(): number {
    return this.rnn.config.inputSize;
  }

  private async pass(batch: Batch): Promise<Pass> {
    const { steps: T, batch: B, lengths } = batch;
    const x = this.inputOf(batch);
    const { output } = await this.rnn.forward({ data: x, shape: [T, B, this.inputSize] }, { lengths });
    const F = this.rnn.outputSize;
    const out = toFloat64(output);
    const last = this.config.readout === 'last';
    const feats = last ? lastSteps(out, lengths, F) : out;
    const rows = last ? B : T * B;
    const y = this.head.forward(feats, rows);
    return { feats, rows, result: this.loss(y, batch) };
  }

  private loss(y: Float64Array, batch: Batch): LossResult {
    const O = this.config.outputs;
    if (this.config.loss === 'cross-entropy') {
      if (!batch.classes) throw new CellforgeError('cross-entropy needs class targets');
      return softmaxCrossEntropy(y, batch.classes, O, batch.mask);
    }
    if (!batch.values) throw new CellforgeError('mean squared error needs value targets');
    const mask = batch.mask;
    return meanSquaredError(y, batch.values, mask && O > 1 ? Float64Array.from({ length: y.length }, (_, i) => mask[Math.floor(i / O)]!) : mask);
  }

  /** Forward and backward in training mode: the batch's loss and the gradient of every parameter. */
  async step(batch: Batch): Promise<BatchScore & { loss: number; grads: Grads }> {
    this.train();
    const { feats, rows, result } = await this.pass(batch);
    const grads = zeroGrads(this.params());
    const dFeats = this.head.backward(feats, result.grad, rows, grads);
    const { steps: T, batch: B, lengths } = batch;
    const F = this.rnn.outputSize;
    const dOut = this.config.readout === 'last' ? scatterLastSteps(dFeats, lengths, T, F) : dFeats;
    const r = await this.rnn.backward({ data: dOut, shape: [T, B, F] });
    for (const [name, g] of Object.entries(r.grads)) grads[name] = toFloat64(g);
    if (this.embedding) this.embedding.backward(batch.tokens!, toFloat64(r.dInput), grads);
    return { loss: result.loss, ...score(result), grads };
  }

  /** Forward in evaluation mode (no dropout). */
  async evaluate(batch: Batch): Promise<BatchScore> {
    this.eval();
    const { result } = await this.pass(batch);
    return score(result);
  }

  /** Head outputs for every step, [T, B, O], in evaluation mode; for sampling and diagnostics. */
  async predict(batch: Batch, states?: { h0?: Float64Array; c0?: Float64Array }): Promise<{ y: Float64Array; hN: Float64Array; cN?: Float64Array }> {
    this.eval();
    const { steps: T, batch: B } = batch;
    const shape = [this.rnn.config.numLayers * this.rnn.config.directions, B, this.rnn.config.hiddenSize];
    const r = await this.rnn.forward(
      { data: this.inputOf(batch), shape: [T, B, this.inputSize] },
      { lengths: batch.lengths, ...(states?.h0 ? { h0: { data: states.h0, shape } } : {}), ...(states?.c0 ? { c0: { data: states.c0, shape } } : {}) },
    );
    return { y: this.head.forward(toFloat64(r.output), T * B), hN: toFloat64(r.hN), ...(r.cN ? { cN: toFloat64(r.cN) } : {}) };
  }
}

function score(r: LossResult): BatchScore {
  return { lossSum: r.loss * r.count, count: r.count, correct: r.correct };
}

function applyInit(rnn: RNN, init: InitName, H: number, rng: Random): void {
  if (init === 'default') return;
  for (const p of rnn.parameters()) {
    if (p.shape.length !== 2 || !p.name.startsWith('weight_')) continue;
    const [rows, cols] = p.shape as [number, number];
    if (init === 'orthogonal' && p.name.startsWith('weight_hh') && cols === H && rows % H === 0) orthogonalPerGate(p.data, H, rng);
    else if (init === 'xavier' && rows % H === 0) {
      for (let g = 0; g < rows / H; g++) xavierUniform(p.data.subarray(g * H * cols, (g + 1) * H * cols), H, cols, rng);
    }
  }
}
