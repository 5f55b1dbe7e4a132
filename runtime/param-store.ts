// The parameters of an RNN by full name (`weight_ih_l0_reverse`): creation, state dicts, shape checks.
import type { ParamDecl } from '../ir/graph.js';
import { CellforgeError } from '../ir/errors.js';
import type { Dims } from '../ir/shape.js';
import { concreteShape, initParam, paramName, type LayerDirection } from './params.js';
import { Random } from './random.js';
import { showTensorShape, type Tensor } from './tensor.js';

export interface ParamEntry {
  readonly name: string;
  /** The cell's own name for it (`weight_ih`). */
  readonly cellName: string;
  readonly ld: LayerDirection;
  readonly shape: number[];
  data: Float64Array;
}

export class ParamStore {
  readonly entries: ParamEntry[] = [];
  private readonly byName = new Map<string, ParamEntry>();
  private changes = 0;
  /** Set once the live arrays were handed out (`RNN.parameters()`): they may change in place at any time. */
  private exposed = false;

  constructor(decls: readonly ParamDecl[], layerDirs: readonly LayerDirection[], seed: number) {
    const rng = new Random(seed, 1);
    for (const ld of layerDirs) {
      for (const decl of decls) {
        const entry: ParamEntry = {
          name: paramName(decl.name, ld),
          cellName: decl.name,
          ld,
          shape: concreteShape(decl.shape, ld.dims),
          data: initParam(decl, ld.dims, rng),
        };
        this.entries.push(entry);
        this.byName.set(entry.name, entry);
      }
    }
  }

  /**
   * A number that changes whenever the values may have: on load(), and on every read once the live arrays were
   * handed out (an optimizer updates them in place). Backends keep packed weights while it stays the same.
   */
  get version(): number {
    if (this.exposed) this.changes++;
    return this.changes;
  }

  /** The live arrays are going to the caller (see version). */
  expose(): void {
    this.exposed = true;
  }

  get(name: string): ParamEntry | undefined {
    return this.byName.get(name);
  }

  /** The parameters of one (layer, direction) by the cell's own names. */
  forLayer(ld: Pick<LayerDirection, 'layer' | 'reverse'>): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    for (const e of this.entries) if (e.ld.layer === ld.layer && e.ld.reverse === ld.reverse) out.set(e.cellName, e.data);
    return out;
  }

  /** Replace every parameter; names and shapes must match exactly (PyTorch's `strict=True`). */
  load(record: Readonly<Record<string, Tensor | { data: ArrayLike<number>; shape: readonly number[] }>>, source = 'state dict'): void {
    const names = Object.keys(record);
    // Own keys only: a polluted Object.prototype must not supply a weight.
    const missing = this.entries.filter((e) => !Object.hasOwn(record, e.name)).map((e) => e.name);
    if (missing.length > 0) throw new CellforgeError(`${source}: missing weight${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`, undefined, `expected: ${this.entries.map((e) => e.name).join(', ')}`);
    const extra = names.filter((n) => !this.byName.has(n));
    if (extra.length > 0) throw new CellforgeError(`${source}: unexpected weight${extra.length > 1 ? 's' : ''} ${extra.map((m) => `'${m}'`).join(', ')}`, undefined, `expected: ${this.entries.map((e) => e.name).join(', ')}`);
    for (const e of this.entries) {
      const t = record[e.name]!;
      const same = t.shape.length === e.shape.length && t.shape.every((n, i) => n === e.shape[i]);
      if (!same) throw new CellforgeError(`${source}: weight '${e.name}' has shape ${showTensorShape(t.shape)}, expected ${showTensorShape(e.shape)}${dimsNote(e.ld.dims)}`);
    }
    for (const e of this.entries) e.data = Float64Array.from(record[e.name]!.data as ArrayLike<number>);
    this.changes++;
  }

  toRecord(Type: typeof Float32Array | typeof Float64Array = Float32Array): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const e of this.entries) setOwn(out, e.name, { data: Type.from(e.data), shape: [...e.shape] });
    return out;
  }
}

function dimsNote(dims: Dims): string {
  return ` (input size ${dims.X}, hidden size ${dims.H})`;
}

/** `record[key] = value` as an own property, even for keys such as `__proto__`. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
