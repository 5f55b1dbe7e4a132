// Where every tensor of one (layer, direction) run sits in WebAssembly memory: a list of regions whose sizes
// depend on B and T. The module's code is independent of B and T: it reads each region's byte address from a
// table at the start of the run's block (region k at table + 4k), which the runtime fills per run.
import type { CompiledCell } from '../../compiled-cell.js';
import { invariant } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { planStep, type StepPlan } from '../../plan/step-plan.js';
import { packedFloats } from './gemm.js';

export interface Region {
  readonly name: string;
  /** Size in 4-byte elements (floats or i32s) for a batch B and T steps. */
  readonly size: (B: number, T: number) => number;
}

export class WasmLayout {
  readonly regions: Region[] = [];
  private readonly numbers = new Map<string, number>();

  add(name: string, size: (B: number, T: number) => number): void {
    invariant(!this.numbers.has(name), `wasm region ${name} added twice`);
    this.numbers.set(name, this.regions.length);
    this.regions.push({ name, size });
  }

  /** Another name for an existing region (a saved value that is a hoisted product). */
  alias(name: string, existing: string): void {
    this.numbers.set(name, this.index(existing));
  }

  has(name: string): boolean {
    return this.numbers.has(name);
  }

  /** The region's number: its byte address is the i32 at table + 4·number. */
  index(name: string): number {
    const k = this.numbers.get(name);
    invariant(k !== undefined, `no wasm region ${name}`);
    return k;
  }

  /** Byte offsets of every region from the block start (the table comes first), and the block's size. */
  place(B: number, T: number): { offsets: number[]; bytes: number } {
    let end = align(this.regions.length * 4);
    const offsets = this.regions.map((r) => {
      const at = end;
      end = align(end + r.size(B, T) * 4);
      return at;
    });
    return { offsets, bytes: end };
  }
}

// 64 bytes: a cache line, and more than the 16 a v128 load wants.
const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

export interface RunLayout {
  readonly layout: WasmLayout;
  readonly forwardPlan: StepPlan;
  readonly backwardPlan: StepPlan;
  /** Parameters the forward step multiplies by as `matvec_t` (packed W, region WT<i>); the other WT regions only
   *  serve a backward pass. */
  readonly packedTForward: ReadonlySet<number>;
}

/** Parameters some product of the graph multiplies by, per orientation. */
function matrixParams(graph: Graph, op: 'matvec' | 'matvec_t', into: Set<number>): void {
  const index = new Map(graph.params.map((p, i) => [p.name, i]));
  for (const n of graph.nodes) {
    if (n.op !== op) continue;
    const w = graph.nodes[n.args[0]!]!;
    if (w.op === 'param') into.add(index.get(String(w.attrs.name))!);
  }
}

export function runLayout(cell: CompiledCell, dims: Dims): RunLayout {
  const { X, H } = dims;
  const L = new WasmLayout();
  const fwd = cell.graph;
  const bw = cell.backward;
  const forwardPlan = planStep(fwd, { hoistInput: true, outputs: new Set(fwd.outputs.map((o) => o.id)) });
  const outputs = new Map(bw.graph.outputs.map((o) => [o.name, o.id]));
  const backwardPlan = planStep(bw.graph, { hoistInput: false, outputs: new Set(outputs.values()) });
  const rows = (size: number) => (B: number, T: number) => T * B * size;
  const perExample = (size: number) => (B: number) => B * size;
  const fixed = (size: number) => () => size;

  L.add('LEN', perExample(1));
  L.add('TIME', perExample(1));
  L.add('X', rows(X));
  // Parameters used as the matrix of a `matvec` (packed Wᵀ, region WN<i>) and of a `matvec_t` (packed W, WT<i>).
  const packedN = new Set<number>();
  matrixParams(fwd, 'matvec', packedN);
  matrixParams(bw.graph, 'matvec', packedN);
  const packedTForward = new Set<number>();
  matrixParams(fwd, 'matvec_t', packedTForward);
  const packedT = new Set(packedTForward);
  matrixParams(bw.graph, 'matvec_t', packedT);
  fwd.params.forEach((p, i) => {
    const [R, K] = p.shape.length === 2 ? [sizeOf([p.shape[0]!], dims), sizeOf([p.shape[1]!], dims)] : [0, 0];
    L.add(`P${i}`, fixed(sizeOf(p.shape, dims)));
    if (packedN.has(i)) L.add(`WN${i}`, fixed(packedFloats(K, R)));
    if (packedT.has(i)) L.add(`WT${i}`, fixed(packedFloats(R, K)));
    L.add(`GP${i}`, fixed(sizeOf(p.shape, dims)));
  });
  cell.states.forEach((_, k) => {
    L.add(`S${k}`, perExample(H));
    L.add(`ST${k}`, rows(H));
    L.add(`C${k}`, perExample(H));
  });
  L.add('OUT', rows(H));
  L.add('GOUT', rows(H));
  L.add('DX', rows(X));

  for (const n of fwd.nodes) if (forwardPlan.role[n.id] === 'hoisted') L.add(`f.HX${n.id}`, rows(sizeOf(n.shape, dims)));
  for (const s of bw.saved) {
    if (forwardPlan.role[s.id] === 'hoisted') L.alias(`SV_${s.name}`, `f.HX${s.id}`);
    else L.add(`SV_${s.name}`, rows(sizeOf(s.shape, dims)));
  }
  scratch(L, 'f', fwd, forwardPlan, dims);
  scratch(L, 'b', bw.graph, backwardPlan, dims);
  for (const id of backwardPlan.perTime) L.add(`b.PT${id}`, rows(sizeOf(bw.graph.nodes[id]!.shape, dims)));
  // Parameter gradients the step computes (biases): one row per (t, b), summed after the loop, so examples can
  // run on different threads and the sum's order does not depend on how they were split.
  fwd.params.forEach((p, i) => {
    if (backwardPlan.role[outputs.get(`d.${p.name}`)!] !== 'deferred') L.add(`b.PV${i}`, rows(sizeOf(p.shape, dims)));
  });
  // Weight gradients Σ_rows g ⊗ v after the loop: the product reads gᵀ and v packed, both copied here.
  for (const n of bw.graph.nodes) {
    if (backwardPlan.role[n.id] !== 'deferred' || n.op !== 'outer') continue;
    const [a, b] = n.args.map((x) => sizeOf(bw.graph.nodes[x]!.shape, dims)) as [number, number];
    L.add(`e.A${n.id}`, rows(a));
    L.add(`e.B${n.id}`, (B, T) => packedFloats(T * B, b));
  }
  return { layout: L, forwardPlan, backwardPlan, packedTForward };
}

/** Per-step scratch of one graph: products, reductions and values later phases read, [B, size] each. */
function scratch(L: WasmLayout, prefix: string, graph: Graph, plan: StepPlan, dims: Dims): void {
  for (const n of graph.nodes) {
    const r = plan.role[n.id];
    const size = sizeOf(n.shape, dims);
    if (r === 'gemm') L.add(`${prefix}.M${n.id}`, (B) => B * size);
    if (r === 'reduce') L.add(`${prefix}.RD${n.id}`, (B) => B);
    if (r === 'fused' && plan.materialized.has(n.id)) L.add(`${prefix}.V${n.id}`, (B) => B * size);
  }
}
