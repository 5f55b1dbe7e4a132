// Where every tensor of one (layer, direction) run of the native library lives: numbered regions in one of two
// float blocks the runtime owns. `weights`: the parameters as float32 and packed for the products, kept while
// the parameters are unchanged; `run`: everything sized by B and T (inputs, states, the tape, scratch). The C
// code reads region k at (its block) + offsets[k]; packed sizes depend on the library's panel width NR.
import type { CompiledCell } from '../../compiled-cell.js';
import { invariant } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { planStep, type StepPlan } from '../../plan/step-plan.js';

export type Block = 'weights' | 'run';

export interface CRegion {
  readonly name: string;
  readonly block: Block;
  /** Size in 4-byte elements for batch B, T steps and panel width NR. */
  readonly size: (B: number, T: number, NR: number) => number;
}

/** Floats of a [K, N] matrix packed in panels of NR columns (zero-padded). */
export const packedFloats = (K: number, N: number, NR: number): number => Math.ceil(N / NR) * NR * K;

export class CLayout {
  readonly regions: CRegion[] = [];
  private readonly numbers = new Map<string, number>();

  add(name: string, block: Block, size: CRegion['size']): void {
    invariant(!this.numbers.has(name), `native region ${name} added twice`);
    this.numbers.set(name, this.regions.length);
    this.regions.push({ name, block, size });
  }

  alias(name: string, existing: string): void {
    this.numbers.set(name, this.index(existing));
  }

  has(name: string): boolean {
    return this.numbers.has(name);
  }

  index(name: string): number {
    const k = this.numbers.get(name);
    invariant(k !== undefined, `no native region ${name}`);
    return k;
  }

  /** Offsets (in floats, 16-float aligned) of every region within its block, and each block's size. */
  place(B: number, T: number, NR: number): { offsets: Float64Array; weights: number; run: number } {
    const end = { weights: 0, run: 0 };
    const offsets = new Float64Array(this.regions.length);
    this.regions.forEach((r, k) => {
      offsets[k] = end[r.block];
      end[r.block] += Math.ceil(r.size(B, T, NR) / 16) * 16;
    });
    return { offsets, weights: end.weights, run: end.run };
  }
}

export interface CRunLayout {
  readonly layout: CLayout;
  readonly forwardPlan: StepPlan;
  readonly backwardPlan: StepPlan;
}

function matrixParams(graph: Graph, op: 'matvec' | 'matvec_t', into: Set<number>): void {
  const index = new Map(graph.params.map((p, i) => [p.name, i]));
  for (const n of graph.nodes) {
    if (n.op !== op) continue;
    const w = graph.nodes[n.args[0]!]!;
    if (w.op === 'param') into.add(index.get(String(w.attrs.name))!);
  }
}

export function cRunLayout(cell: CompiledCell, dims: Dims): CRunLayout {
  const { X, H } = dims;
  const L = new CLayout();
  const fwd = cell.graph;
  const bw = cell.backward;
  const forwardPlan = planStep(fwd, { hoistInput: true, outputs: new Set(fwd.outputs.map((o) => o.id)) });
  const outputs = new Map(bw.graph.outputs.map((o) => [o.name, o.id]));
  const backwardPlan = planStep(bw.graph, { hoistInput: false, outputs: new Set(outputs.values()) });
  const rows = (size: number) => (B: number, T: number) => T * B * size;
  const perExample = (size: number) => (B: number) => B * size;
  const fixed = (size: number) => () => size;

  L.add('LEN', 'run', perExample(1));
  L.add('TIME', 'run', perExample(1));
  L.add('X', 'run', rows(X));
  const packedN = new Set<number>();
  matrixParams(fwd, 'matvec', packedN);
  matrixParams(bw.graph, 'matvec', packedN);
  const packedT = new Set<number>();
  matrixParams(fwd, 'matvec_t', packedT);
  matrixParams(bw.graph, 'matvec_t', packedT);
  fwd.params.forEach((p, i) => {
    const [R, K] = p.shape.length === 2 ? [sizeOf([p.shape[0]!], dims), sizeOf([p.shape[1]!], dims)] : [0, 0];
    L.add(`P${i}`, 'weights', fixed(sizeOf(p.shape, dims)));
    // WN: Wᵀ packed (the B of x·Wᵀ); WT: W packed (the B of g·W).
    if (packedN.has(i)) L.add(`WN${i}`, 'weights', (_B, _T, NR) => packedFloats(K, R, NR));
    if (packedT.has(i)) L.add(`WT${i}`, 'weights', (_B, _T, NR) => packedFloats(R, K, NR));
    L.add(`GP${i}`, 'run', fixed(sizeOf(p.shape, dims)));
  });
  cell.states.forEach((_, k) => {
    L.add(`S${k}`, 'run', perExample(H));
    L.add(`ST${k}`, 'run', rows(H));
    L.add(`C${k}`, 'run', perExample(H));
  });
  L.add('OUT', 'run', rows(H));
  L.add('GOUT', 'run', rows(H));
  L.add('DX', 'run', rows(X));
  for (const n of fwd.nodes) if (forwardPlan.role[n.id] === 'hoisted') L.add(`f.HX${n.id}`, 'run', rows(sizeOf(n.shape, dims)));
  for (const s of bw.saved) {
    if (forwardPlan.role[s.id] === 'hoisted') L.alias(`SV_${s.name}`, `f.HX${s.id}`);
    else L.add(`SV_${s.name}`, 'run', rows(sizeOf(s.shape, dims)));
  }
  scratch(L, 'f', fwd, forwardPlan, dims);
  scratch(L, 'b', bw.graph, backwardPlan, dims);
  for (const id of backwardPlan.perTime) L.add(`b.PT${id}`, 'run', rows(sizeOf(bw.graph.nodes[id]!.shape, dims)));
  // Parameter gradients a step computes (biases): one row per (t, b), summed in row order after the loop, so the
  // sum does not depend on how examples were split over threads.
  fwd.params.forEach((p, i) => {
    if (backwardPlan.role[outputs.get(`d.${p.name}`)!] !== 'deferred') L.add(`b.PV${i}`, 'run', rows(sizeOf(p.shape, dims)));
  });
  for (const n of bw.graph.nodes) {
    if (backwardPlan.role[n.id] !== 'deferred' || n.op !== 'outer') continue;
    const b = sizeOf(bw.graph.nodes[n.args[1]!]!.shape, dims);
    L.add(`e.B${n.id}`, 'run', (B, T, NR) => packedFloats(T * B, b, NR));
  }
  return { layout: L, forwardPlan, backwardPlan };
}

function scratch(L: CLayout, prefix: string, graph: Graph, plan: StepPlan, dims: Dims): void {
  for (const n of graph.nodes) {
    const r = plan.role[n.id];
    const size = sizeOf(n.shape, dims);
    if (r === 'gemm') L.add(`${prefix}.M${n.id}`, 'run', (B) => B * size);
    if (r === 'reduce') L.add(`${prefix}.RD${n.id}`, 'run', (B) => B);
    if (r === 'fused' && plan.materialized.has(n.id)) L.add(`${prefix}.V${n.id}`, 'run', (B) => B * size);
  }
}
