// The RNN: a compiled cell stacked in layers and directions, with PyTorch's tensor semantics.
import { compileCell, type CompiledCell } from '../compiler/compile.js';
import { CellforgeError } from '../ir/errors.js';
import type { SequenceBackend } from './backend.js';
import { createBackend, type BackendName } from './backends.js';
import { cellFootprint, checkResources } from './limits.js';
import { mergeModes, mergedSize, type MergeMode } from './merge.js';
import { ParamStore, setOwn } from './param-store.js';
import type { LayerDirection } from './params.js';
import { layerDims, sequenceBackward, sequenceForward, type SequenceConfig, type SequenceOutput } from './sequence.js';
import { swap01, type Tensor } from './tensor.js';
import { checkLengths, expectShape, positiveInteger } from './validate.js';

export interface RNNOptions {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers?: number;
  readonly bidirectional?: boolean;
  /** How the two directions combine per step (default concat, forward half first). */
  readonly merge?: MergeMode;
  /** Dropout probability on the outputs of every layer but the last (training mode only). */
  readonly dropout?: number;
  /** Use one dropout mask for all timesteps of a sequence. */
  readonly variationalDropout?: boolean;
  /** Input and output are [B, T, ·] instead of [T, B, ·]. */
  readonly batchFirst?: boolean;
  readonly backend?: BackendName;
  /** Backend wasm: worker threads for the large matrix products (default: the number of cores; 1: none). */
  readonly threads?: number;
  /** Seed of parameter initialisation and dropout masks. */
  readonly seed?: number;
  /** Truncated BPTT: gradients flow back at most this many steps. */
  readonly truncate?: number;
}

export interface ForwardOptions {
  /** [L*D, B, H]: initial value of the first state. */
  readonly h0?: Tensor;
  /** [L*D, B, H]: initial value of the state named `c` (or the second state). */
  readonly c0?: Tensor;
  /** Initial values of any state by name, [L*D, B, H]. */
  readonly states?: Readonly<Record<string, Tensor>>;
  /** Valid length of each example (as pack_padded_sequence). */
  readonly lengths?: ArrayLike<number | bigint> | Tensor;
}

export interface ForwardResult {
  readonly output: Tensor;
  readonly hN: Tensor;
  readonly cN?: Tensor;
  /** Final value of every state by name, [L*D, B, H]. */
  readonly states: Record<string, Tensor>;
}

export interface BackwardOptions {
  readonly gradHn?: Tensor;
  readonly gradCn?: Tensor;
  readonly gradStates?: Readonly<Record<string, Tensor>>;
}

export interface BackwardResult {
  readonly dInput: Tensor;
  readonly dH0: Tensor;
  readonly dC0?: Tensor;
  readonly dStates: Record<string, Tensor>;
  /** Keyed by parameter name (`weight_ih_l0`, ...). */
  readonly grads: Record<string, Tensor>;
}

export class RNN {
  readonly cell: CompiledCell;
  readonly config: SequenceConfig;
  readonly batchFirst: boolean;
  readonly truncate?: number;
  readonly backend: SequenceBackend;
  training = true;
  private readonly store: ParamStore;
  private readonly seed: number;
  private calls = 0;
  private last?: { fwd: SequenceOutput; steps: number; batch: number };

  constructor(cell: CompiledCell | string, options: RNNOptions) {
    this.cell = typeof cell === 'string' ? compileCell(cell) : cell;
    const merge = options.merge ?? 'concat';
    if (!mergeModes.includes(merge)) throw new CellforgeError(`unknown merge mode '${merge}'`, undefined, `merge modes: ${mergeModes.join(', ')}`);
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1)) throw new CellforgeError(`dropout must be in [0, 1), got ${dropout}`);
    if (options.truncate !== undefined) positiveInteger('truncate', options.truncate);
    this.config = {
      inputSize: positiveInteger('inputSize', options.inputSize),
      hiddenSize: positiveInteger('hiddenSize', options.hiddenSize),
      numLayers: positiveInteger('numLayers', options.numLayers ?? 1),
      directions: options.bidirectional ? 2 : 1,
      merge,
      dropout,
      variationalDropout: options.variationalDropout ?? false,
      stateNames: this.cell.states,
    };
    this.batchFirst = options.batchFirst ?? false;
    if (options.truncate !== undefined) this.truncate = options.truncate;
    this.seed = options.seed ?? 0;
    const layerDirs: LayerDirection[] = [];
    for (let layer = 0; layer < this.config.numLayers; layer++) {
      for (let d = 0; d < this.config.directions; d++) layerDirs.push({ layer, reverse: d === 1, dims: layerDims(this.config, layer) });
    }
    this.store = new ParamStore(this.cell.params, layerDirs, this.seed);
    this.backend = createBackend(options.backend ?? 'auto', this.cell, options.threads !== undefined ? { threads: options.threads } : {});
    // Start what the first forward would wait for (the native library's compile) while the caller prepares data.
    this.backend.prewarm?.(Array.from({ length: this.config.numLayers }, (_, layer) => layerDims(this.config, layer)));
  }

  /** Features per step of the output. */
  get outputSize(): number {
    return mergedSize(this.config.merge, this.config.directions, this.config.hiddenSize);
  }

  /** Forward passes so far: with the seed, it picks each pass's dropout masks (saved in checkpoints to resume). */
  get forwardCalls(): number {
    return this.calls;
  }

  set forwardCalls(n: number) {
    this.calls = n;
  }

  train(on = true): this {
    this.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * The array type of activations and gradients: float32 end to end on the compiled backends (a Float32Array
   * passes through without a copy), float64 on the reference interpreter.
   */
  private get Floats(): typeof Float32Array | typeof Float64Array {
    return this.backend.float64 ? Float64Array : Float32Array;
  }

  private activations(t: Tensor): Float32Array | Float64Array {
    const F = this.Floats;
    return t.data instanceof F ? t.data : F.from(t.data);
  }

  parameters(): { name: string; shape: number[]; data: Float64Array }[] {
    this.store.expose();
    return this.store.entries.map((e) => ({ name: e.name, shape: [...e.shape], data: e.data }));
  }

  stateDict(): Record<string, Tensor> {
    return this.store.toRecord();
  }

  loadStateDict(record: Readonly<Record<string, Tensor>>, source?: string): void {
    this.store.load(record, source);
  }

  /** The state index h0/c0/hN/cN refer to: h is the first state, c the state named c (else the second). */
  private stateSlot(which: 'h' | 'c'): number | undefined {
    const states = this.cell.states;
    if (which === 'h') return 0;
    const c = states.indexOf('c');
    return c >= 0 ? c : states.length > 1 ? 1 : undefined;
  }

  private byState(h: Tensor | undefined, c: Tensor | undefined, named: Readonly<Record<string, Tensor>> | undefined): (Tensor | undefined)[] {
    for (const name of Object.keys(named ?? {})) {
      if (!this.cell.states.includes(name)) throw new CellforgeError(`'${name}' is not a state of cell ${this.cell.name} (states: ${this.cell.states.join(', ')})`);
    }
    const cSlot = this.stateSlot('c');
    if (c && cSlot === undefined) throw new CellforgeError(`cell ${this.cell.name} has no cell state: c0/gradCn cannot be used`);
    const own = (name: string) => (named && Object.hasOwn(named, name) ? named[name] : undefined);
    return this.cell.states.map((name, k) => own(name) ?? (k === 0 ? h : k === cSlot ? c : undefined));
  }

  async forward(x: Tensor, opts: ForwardOptions = {}): Promise<ForwardResult> {
    const { inputSize: X, hiddenSize: H, numLayers: L, directions: D } = this.config;
    if (x.shape.length !== 3) throw new CellforgeError(`input must have rank 3 (${this.batchFirst ? '[B, T, X]' : '[T, B, X]'}), got shape [${x.shape.join(', ')}]`);
    const [T, B] = this.batchFirst ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
    if (x.shape[2] !== X) throw new CellforgeError(`input has ${x.shape[2]} features per step but the RNN's input size is ${X}`);
    if (T < 1 || B < 1) throw new CellforgeError(`input shape [${x.shape.join(', ')}] has an empty dimension`);
    expectShape('input', x, x.shape);
    // Refuse up front, with one line, a run whose buffers cannot fit in memory.
    checkResources({ steps: T, batch: B, inputSize: X, hiddenSize: H, numLayers: L, directions: D, training: this.training, bytesPerFloat: this.backend.name === 'reference' ? 8 : 4, cell: cellFootprint(this.cell) });
    const input = this.batchFirst ? swap01(this.activations(x), B, T, X) : this.activations(x);
    const lengths = checkLengths(opts.lengths, B, T);
    const initial = this.byState(opts.h0, opts.c0, opts.states).map((t, k) => {
      if (!t) return new this.Floats(L * D * B * H);
      expectShape(`initial state ${this.cell.states[k]}0`, t, [L * D, B, H]);
      return this.activations(t);
    });
    const seed = this.seed * 7919 + this.calls++;
    const fwd = await sequenceForward(this.backend, this.store, this.config, {
      input, steps: T, batch: B, lengths, initial, training: this.training, seed, ...(this.truncate !== undefined ? { truncate: this.truncate } : {}),
    });
    this.last = this.training ? { fwd, steps: T, batch: B } : undefined;
    const out = this.outputSize;
    const output = this.batchFirst ? swap01(fwd.output, T, B, out) : fwd.output;
    const states: Record<string, Tensor> = {};
    this.cell.states.forEach((name, k) => setOwn(states, name, { data: fwd.final[k]!, shape: [L * D, B, H] }));
    const cSlot = this.stateSlot('c');
    return {
      output: { data: output, shape: this.batchFirst ? [B, T, out] : [T, B, out] },
      hN: states[this.cell.states[0]!]!,
      ...(cSlot !== undefined ? { cN: states[this.cell.states[cSlot]!]! } : {}),
      states,
    };
  }

  async backward(gradOutput: Tensor, opts: BackwardOptions = {}): Promise<BackwardResult> {
    const last = this.last;
    if (!last) throw new CellforgeError('backward() needs a forward() in training mode first (call rnn.train())');
    const { inputSize: X, hiddenSize: H, numLayers: L, directions: D } = this.config;
    const { steps: T, batch: B } = last;
    const out = this.outputSize;
    expectShape('gradOutput', gradOutput, this.batchFirst ? [B, T, out] : [T, B, out]);
    const g = this.batchFirst ? swap01(this.activations(gradOutput), B, T, out) : this.activations(gradOutput);
    const gradFinal = this.byState(opts.gradHn, opts.gradCn, opts.gradStates).map((t, k) => {
      if (!t) return undefined;
      expectShape(`gradient of final state ${this.cell.states[k]}`, t, [L * D, B, H]);
      return this.activations(t);
    });
    const r = await sequenceBackward(this.backend, this.config, last.fwd, g, gradFinal, B);
    const dStates: Record<string, Tensor> = {};
    this.cell.states.forEach((name, k) => setOwn(dStates, name, { data: r.dInitial[k]!, shape: [L * D, B, H] }));
    const grads: Record<string, Tensor> = {};
    for (const e of this.store.entries) setOwn(grads, e.name, { data: r.grads.get(e.name) ?? new this.Floats(e.data.length), shape: [...e.shape] });
    const cSlot = this.stateSlot('c');
    return {
      dInput: { data: this.batchFirst ? swap01(r.dInput, T, B, X) : r.dInput, shape: this.batchFirst ? [B, T, X] : [T, B, X] },
      dH0: dStates[this.cell.states[0]!]!,
      ...(cSlot !== undefined ? { dC0: dStates[this.cell.states[cSlot]!]! } : {}),
      dStates,
      grads,
    };
  }

  dispose(): void {
    this.backend.dispose?.();
    this.last = undefined;
  }
}
