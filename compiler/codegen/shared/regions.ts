// The tensors one (layer, direction) run keeps, by name, for the backends whose tensors live in numbered regions
// of one block (wasm, native): the same list and order for both; each backend sizes packed matrices its own way.
import type { CompiledCell } from '../../compiled-cell.js';
import { invariant } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { planStep, type StepPlan } from '../../plan/step-plan.js';

/** Regions by number, in the order added; a name may be an alias of another's region. */
export class RegionTable<R extends { readonly name: string }> {
  readonly regions: R[] = [];
  private readonly numbers = new Map<string, number>();

  protected addRegion(region: R): void {
    invariant(!this.numbers.has(region.name), `region ${region.name} added twice`);
    this.numbers.set(region.name, this.regions.length);
    this.regions.push(region);
  }

  /** Another name for an existing region (a saved value that is a hoisted product). */
  alias(name: string, existing: string): void {
    this.numbers.set(name, this.index(existing));
  }

  has(name: string): boolean {
    return this.numbers.has(name);
  }

  /** The region's number (its slot in the run's table of addresses). */
  index(name: string): number {
    const k = this.numbers.get(name);
    invariant(k !== undefined, `no region ${name}`);
    return k;
  }
}

/** How many floats (or i32s) a region holds. */
export type RegionSize =
  /** A fixed number, whatever B and T. */
  | { readonly fixed: number }
  /** That many per example: B·n. */
  | { readonly perExample: number }
  /** That many per (step, example) row: T·B·n. */
  | { readonly perRow: number }
  /** A [K, N] matrix packed for the GEMM (panels of the backend's width); K = T·B rows when `K` is absent. */
  | { readonly packed: { readonly K?: number; readonly N: number } };

export interface RegionSink {
  /** `weight`: a parameter, or a packed form of one (constant while the parameters are). */
  add(name: string, size: RegionSize, weight?: boolean): void;
  alias(name: string, existing: string): void;
}

export interface RunPlans {
  readonly forwardPlan: StepPlan;
  readonly backwardPlan: StepPlan;
  /** Parameters the forward step multiplies by as `matvec_t` (packed W, region WT<i>). */
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

/**
 * Every region of a run, in order. `transposedOuter`: the backend reads the g of a weight gradient Σ g ⊗ v as a
 * transposed copy (region e.A<id>; wasm); else in place.
 */
export function runRegions(cell: CompiledCell, dims: Dims, L: RegionSink, opts: { transposedOuter: boolean }): RunPlans {
  const { X, H } = dims;
  const fwd = cell.graph;
  const bw = cell.backward;
  const forwardPlan = planStep(fwd, { hoistInput: true, outputs: new Set(fwd.outputs.map((o) => o.id)) });
  const outputs = new Map(bw.graph.outputs.map((o) => [o.name, o.id]));
  const backwardPlan = planStep(bw.graph, { hoistInput: false, outputs: new Set(outputs.values()) });

  L.add('LEN', { perExample: 1 });
  L.add('TIME', { perExample: 1 });
  L.add('X', { perRow: X });
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
    L.add(`P${i}`, { fixed: sizeOf(p.shape, dims) }, true);
    if (packedN.has(i)) L.add(`WN${i}`, { packed: { K, N: R } }, true);
    if (packedT.has(i)) L.add(`WT${i}`, { packed: { K: R, N: K } }, true);
    L.add(`GP${i}`, { fixed: sizeOf(p.shape, dims) });
  });
  cell.states.forEach((_, k) => {
    L.add(`S${k}`, { perExample: H });
    L.add(`ST${k}`, { perRow: H });
    L.add(`C${k}`, { perExample: H });
  });
  L.add('OUT', { perRow: H });
  L.add('GOUT', { perRow: H });
  L.add('DX', { perRow: X });

  for (const n of fwd.nodes) if (forwardPlan.role[n.id] === 'hoisted') L.add(`f.HX${n.id}`, { perRow: sizeOf(n.shape, dims) });
  for (const s of bw.saved) {
    if (forwardPlan.role[s.id] === 'hoisted') L.alias(`SV_${s.name}`, `f.HX${s.id}`);
    else L.add(`SV_${s.name}`, { perRow: sizeOf(s.shape, dims) });
  }
  scratch(L, 'f', fwd, forwardPlan, dims);
  scratch(L, 'b', bw.graph, backwardPlan, dims);
  for (const id of backwardPlan.perTime) L.add(`b.PT${id}`, { perRow: sizeOf(bw.graph.nodes[id]!.shape, dims) });
  // Parameter gradients the step computes (biases): one row per (t, b), summed after the loop, so examples can
  // run on different threads and the sum's order does not depend on how they were split.
  fwd.params.forEach((p, i) => {
    if (backwardPlan.role[outputs.get(`d.${p.name}`)!] !== 'deferred') L.add(`b.PV${i}`, { perRow: sizeOf(p.shape, dims) });
  });
  // Weight gradients Σ_rows g ⊗ v after the loop: the product reads v packed (and gᵀ copied, where asked).
  for (const n of bw.graph.nodes) {
    if (backwardPlan.role[n.id] !== 'deferred' || n.op !== 'outer') continue;
    const [a, b] = n.args.map((x) => sizeOf(bw.graph.nodes[x]!.shape, dims)) as [number, number];
    if (opts.transposedOuter) L.add(`e.A${n.id}`, { perRow: a });
    L.add(`e.B${n.id}`, { packed: { N: b } });
  }
  return { forwardPlan, backwardPlan, packedTForward };
}

/** Per-step scratch of one graph: products, reductions and values later phases read, [B, size] each. */
function scratch(L: RegionSink, prefix: string, graph: Graph, plan: StepPlan, dims: Dims): void {
  for (const n of graph.nodes) {
    const r = plan.role[n.id];
    const size = sizeOf(n.shape, dims);
    if (r === 'gemm') L.add(`${prefix}.M${n.id}`, { perExample: size });
    if (r === 'reduce') L.add(`${prefix}.RD${n.id}`, { perExample: 1 });
    if (r === 'fused' && plan.materialized.has(n.id)) L.add(`${prefix}.V${n.id}`, { perExample: size });
  }
}
