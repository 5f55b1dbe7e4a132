// The wasm backend's fused loops: per active example, the phase's elementwise work over j in f32x4 vectors,
// then a one-lane tail when H is not a multiple of 4. Values live in v128 locals; scalars are splatted.
import { invariant } from '../../../ir/errors.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { phaseBody, type Dialect, type Storage } from '../shared/phase-body.js';
import { makeStorage, type StorageNames } from '../shared/storage.js';
import type { StepPlan } from '../../plan/step-plan.js';
import type { WasmLayout } from './layout.js';
import { add, f32, forLoop, get, i32, Locals, mul, set, splat } from './wat.js';

/** Where a value's row starts: a parameter (one row), an example's row (b) or an example's row at its time (bt). */
export interface Row {
  readonly region: string;
  readonly kind: 'param' | 'example' | 'time';
  /** Elements per row. */
  readonly size: number;
}

export type RowOf = (n: Node) => Row;

/** The js backend's storage names, placed in the wasm layout (program-local scratch under `f.`/`b.`). */
export function rowsOf(graph: Graph, plan: StepPlan, dims: Dims, states: readonly string[], names: StorageNames, layout: WasmLayout, prefix: string): RowOf {
  const base = makeStorage(graph, plan, dims, states, names);
  return (n) => {
    const s = base(n);
    const region = layout.has(s.array) ? s.array : `${prefix}.${s.array}`;
    const first = s.index(0);
    const kind = first.startsWith('bt ') ? 'time' : first === 'b' || first.startsWith('b ') ? 'example' : 'param';
    return { region, kind, size: sizeOf(n.shape, dims) };
  };
}

/**
 * A function's view of the layout: region base addresses (loaded once from the table) and per-example row
 * addresses (set once per example), as locals.
 */
export class Frame {
  readonly locals = new Locals();
  private readonly bases = new Map<string, string>();
  private readonly rows = new Map<string, { name: string; row: Row }>();

  constructor(readonly layout: WasmLayout) {
    for (const v of ['b', 't', 'bt', 'j4']) this.locals.add(v, 'i32');
  }

  /** Local holding the region's byte address. */
  base(region: string): string {
    let name = this.bases.get(region);
    if (!name) {
      name = this.locals.add(`g${this.layout.index(region)}`, 'i32');
      this.bases.set(region, name);
    }
    return name;
  }

  /** Local holding this example's row address in the region. */
  row(row: Row): string {
    const key = `${row.region}|${row.kind}|${row.size}`;
    let entry = this.rows.get(key);
    if (!entry) {
      entry = { name: this.locals.add(`r${this.rows.size}`, 'i32'), row };
      this.base(row.region);
      this.rows.set(key, entry);
    }
    return entry.name;
  }

  /** Loads of every base address used: at function entry. */
  loadBases(): string[] {
    return [...this.bases].map(([region, name]) => set(name, `(i32.load offset=${4 * this.layout.index(region)} ${get('L')})`));
  }

  /** Row addresses of every row used: once per example, after b, t and bt are set. */
  setRows(): string[] {
    return [...this.rows.values()].map(({ name, row }) => {
      const base = get(this.base(row.region));
      if (row.kind === 'param') return set(name, base);
      const r = row.kind === 'time' ? get('bt') : get('b');
      return set(name, add(base, mul(r, i32(row.size * 4))));
    });
  }
}

/** Vector: four lanes at j; tail: lane 0 only, at one j. */
export type Flavour = 'vector' | 'tail';

/** Element (c·H + j) of a row: `offset=… address` in a memory instruction's immediate form. */
export function element(frame: Frame, row: Row, c: number, H: number): { offset: number; address: string; scalar: boolean } {
  const r = frame.row(row);
  if (row.size === 1 && row.kind !== 'param') return { offset: 0, address: get(r), scalar: true };
  return { offset: c * H * 4, address: add(get(r), get('j4')), scalar: false };
}

export function load(e: { offset: number; address: string; scalar: boolean }, flavour: Flavour): string {
  if (e.scalar) return `(v128.load32_splat offset=${e.offset} ${e.address})`;
  return flavour === 'vector' ? `(v128.load offset=${e.offset} ${e.address})` : `(v128.load32_zero offset=${e.offset} ${e.address})`;
}

export function store(e: { offset: number; address: string; scalar: boolean }, flavour: Flavour, value: string): string {
  if (e.scalar || flavour === 'tail') return `(v128.store32_lane offset=${e.offset} 0 ${e.address} ${value})`;
  return `(v128.store offset=${e.offset} ${e.address} ${value})`;
}

/** A storage for phaseBody whose "array" and "index" are an encoded element, decoded by the dialect. */
function encodedStorage(frame: Frame, rowOf: RowOf, H: number): { storage: Storage; decode: (array: string, index: string) => { offset: number; address: string; scalar: boolean } } {
  const table: { offset: number; address: string; scalar: boolean }[] = [];
  const storage: Storage = (n) => ({
    array: 'E',
    index: (c) => {
      table.push(element(frame, rowOf(n), c, H));
      return String(table.length - 1);
    },
  });
  return { storage, decode: (_a, index) => table[Number(index)]! };
}

function dialect(locals: Locals, decode: ReturnType<typeof encodedStorage>['decode'], flavour: Flavour): Dialect {
  return {
    declare: (name, expr) => set(locals.add(name, 'v128'), expr),
    number: splat,
    emitter: (op) => opDef(op).wasm,
    local: (name) => get(name),
    read: (array, index) => load(decode(array, index), flavour),
    write: (array, index, value) => store(decode(array, index), flavour, value),
  };
}

/** The parameters every per-example function takes: the layout table, the batch, and this call's examples [b0, b1). */
export const exampleParams = ['(param $L i32)', '(param $B i32)', '(param $b0 i32)', '(param $b1 i32)'];
export const exampleArgs = () => [get('L'), get('B'), get('b0'), get('b1')].join(' ');

/**
 * For every active example b in [b0, b1) (TIME[b] ≥ 0): t, bt and the row addresses, `perExample`, then `perUnit(flavour)`
 * over j in vectors of four and a one-lane tail. Returns the function body (after the locals).
 */
export function overActiveUnits(frame: Frame, H: number, perExample: () => string[], perUnit: (flavour: Flavour) => string[]): string[] {
  const vector = H >= 4 ? perUnit('vector') : [];
  const tail = H % 4 !== 0 ? perUnit('tail') : [];
  const before = perExample();
  const time = frame.base('TIME');
  const units = [
    ...(vector.length > 0 ? forLoop('vj', 'j4', i32(0), i32((H - (H % 4)) * 4), vector, 16) : []),
    ...(tail.length > 0 ? forLoop('tj', 'j4', i32((H - (H % 4)) * 4), i32(H * 4), tail, 4) : []),
  ];
  const inner = [set('bt', add(mul(get('t'), get('B')), get('b'))), ...frame.setRows(), ...before, ...units];
  const loop = forLoop('ex', 'b', get('b0'), get('b1'), [
    set('t', `(i32.load ${add(get(time), `(i32.shl ${get('b')} ${i32(2)})`)})`),
    `(if (i32.ge_s ${get('t')} ${i32(0)}) (then`,
    ...inner.map((l) => `  ${l}`),
    `))`,
  ]);
  return [...frame.loadBases(), ...loop];
}

/** The function of phase p: reductions and scalars per example, then the fused loop; null when it has no work. */
export function phaseFunction(name: string, plan: StepPlan, p: number, dims: Dims, rowOf: RowOf, layout: WasmLayout): string | null {
  const H = dims.H;
  const frame = new Frame(layout);
  const enc = encodedStorage(frame, rowOf, H);
  const vector = phaseBody(plan, p, dims, enc.storage, dialect(frame.locals, enc.decode, 'vector'));
  const tail = phaseBody(plan, p, dims, enc.storage, dialect(frame.locals, enc.decode, 'tail'));
  if (vector.perB.length + vector.perJ.length + vector.stores.length + vector.reductions.length === 0) return null;
  const perExample = () => {
    const lines: string[] = [];
    for (const r of vector.reductions) {
      const operand = plan.graph.nodes[r.args[0]!]!;
      const size = sizeOf(operand.shape, dims);
      invariant(r.op === 'sum' || r.op === 'mean', `reduction ${r.op}`);
      frame.locals.add('q4', 'i32');
      frame.locals.add('sum', 'f32');
      const src = frame.row(rowOf(operand));
      const out = frame.row(rowOf(r));
      lines.push(set('sum', '(f32.const 0)'));
      lines.push(...forLoop(`red${r.id}`, 'q4', i32(0), i32(size * 4), [set('sum', `(f32.add ${get('sum')} (f32.load ${add(get(src), get('q4'))}))`)], 4));
      const scale = r.op === 'mean' ? `(f32.mul ${get('sum')} (f32.const ${f32(1 / size)}))` : get('sum');
      lines.push(`(f32.store ${get(out)} ${scale})`);
    }
    return [...lines, ...vector.perB];
  };
  const body = overActiveUnits(
    frame,
    H,
    perExample,
    (flavour) => {
      const b = flavour === 'vector' ? vector : tail;
      return [...b.perJ, ...b.stores];
    },
  );
  return wasmFunction(name, exampleParams, frame.locals, body);
}

export function wasmFunction(name: string, params: readonly string[], locals: Locals, body: readonly string[], exportAs?: string): string {
  return [`(func $${name}${exportAs ? ` (export "${exportAs}")` : ''} ${params.join(' ')}`, ...locals.declarations().map((l) => `  ${l}`), ...body.map((l) => `  ${l}`), `)`].join('\n');
}
