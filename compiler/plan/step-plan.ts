// The kernel plan of one step graph: which matrix products run where, and how elementwise work groups into phases.
//
// A step runs as phases. Phase 0 holds the leaves and the products hoisted out of the time loop. Every other
// phase starts with its per-step matrix products (one GEMM each over the B rows) and reductions, then one
// fused loop computes all of the phase's elementwise work. A value crosses a phase boundary through a buffer.
import { CellforgeError, invariant } from '../../ir/errors.js';
import type { Graph, Node } from '../../ir/graph.js';
import { opDef } from '../../ir/ops.js';

export type NodeRole =
  | 'leaf' // input, state, param, grad, saved, const
  | 'hoisted' // matvec(W, x) for all T·B rows before the loop
  | 'gemm' // matvec / matvec_t per step over the B rows
  | 'deferred' // outer / matvec_t whose result is only a gradient output: one GEMM over all T·B rows after the loop
  | 'reduce' // mean / sum per example
  | 'fused'; // elementwise, chunk, concat, broadcast, size: computed inside a phase loop

export interface StepPlan {
  readonly graph: Graph;
  readonly role: readonly NodeRole[];
  readonly phase: readonly number[];
  readonly phaseCount: number;
  /** Values kept in a [B, size] buffer because a later phase, a GEMM or a reduction reads them. */
  readonly materialized: ReadonlySet<number>;
  /** Values copied for every timestep ([T, B, size], indexed by time) because a deferred GEMM reads them. */
  readonly perTime: ReadonlySet<number>;
}

const isX = (n: Node) => n.shape.length === 1 && n.shape[0]!.sym === 'X';

export function planStep(graph: Graph, opts: { hoistInput: boolean; outputs: ReadonlySet<number> }): StepPlan {
  const nodes = graph.nodes;
  const users: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const a of n.args) users[a]!.push(n.id);
  const role: NodeRole[] = [];
  for (const n of nodes) {
    const def = opDef(n.op);
    let r: NodeRole;
    if (def.kind === 'leaf') r = 'leaf';
    else if (n.op === 'matvec' && opts.hoistInput && nodes[n.args[1]!]!.op === 'input') r = 'hoisted';
    else if (n.op === 'outer' || (n.op === 'matvec_t' && isX(n))) r = 'deferred';
    // The zero gradient of an unused input or weight: nothing to compute, the accumulator stays zero.
    else if (n.op === 'broadcast' && n.shape.some((d) => d.sym === 'X') && nodes[n.args[0]!]!.op === 'const') r = 'deferred';
    // A sum of weight or input gradients (a weight used by two products) is summed after the loop too.
    else if (n.op === 'add' && n.args.every((a) => role[a] === 'deferred')) r = 'deferred';
    else if (n.op === 'matvec' || n.op === 'matvec_t') r = 'gemm';
    else if (n.op === 'mean' || n.op === 'sum') r = 'reduce';
    else r = 'fused';
    role.push(r);
  }
  // The input x is [X]-sized: the fused loops run over H, so x may only feed hoisted or deferred products.
  for (const n of nodes) {
    if (!isX(n)) continue;
    const ok = (n.op === 'input' || role[n.id] === 'deferred') && users[n.id]!.every((u) => role[u] === 'hoisted' || role[u] === 'deferred');
    if (!ok) throw unsupported(graph, n, 'the input x may only be used through linear(...)');
  }
  // Leaves and hoisted products are ready before the step (phase 0); fused work runs in a loop (phase >= 1);
  // a GEMM or reduction needs its operand complete, so it opens the phase after its operand's.
  const phase: number[] = [];
  for (const n of nodes) {
    const argPhase = Math.max(0, ...n.args.map((a) => phase[a]!));
    const r = role[n.id]!;
    phase.push(r === 'leaf' || r === 'hoisted' ? 0 : r === 'gemm' || r === 'reduce' ? argPhase + 1 : r === 'deferred' ? Infinity : Math.max(1, argPhase));
  }
  const finite = phase.filter((p) => Number.isFinite(p));
  const phaseCount = Math.max(1, ...finite) + 1;
  const materialized = new Set<number>();
  const perTime = new Set<number>();
  const byTimeAlready = new Set(['input', 'state', 'saved']);
  for (const n of nodes) {
    if (role[n.id] === 'deferred') {
      if (n.op === 'broadcast') continue;
      for (const a of n.args) if (role[a] !== 'deferred' && nodes[a]!.op !== 'param' && !byTimeAlready.has(nodes[a]!.op)) perTime.add(a);
      continue;
    }
    if (role[n.id] !== 'fused') continue;
    const later = users[n.id]!.some((u) => role[u] !== 'fused' || phase[u]! > phase[n.id]!);
    if (later || opts.outputs.has(n.id)) materialized.add(n.id);
  }
  return { graph, role, phase, phaseCount, materialized, perTime };
}

export function unsupported(graph: Graph, n: Node, why: string): CellforgeError {
  // The kernel plan is shared by every compiled backend (js, wasm, webgpu): only the interpreter runs such a cell.
  return new CellforgeError(`the compiled backends (js, wasm, webgpu) cannot run ${graph.name}: ${why} (node %${n.id} ${n.op})`, n.loc, 'use backend reference for this cell');
}

/** Nodes of one phase whose fused loop computes them, in order. */
export function phaseNodes(plan: StepPlan, p: number): number[] {
  return plan.graph.nodes.filter((n) => plan.phase[n.id] === p && plan.role[n.id] === 'fused').map((n) => n.id);
}

export function assertPlan(plan: StepPlan): void {
  for (const n of plan.graph.nodes) invariant(plan.phase[n.id] !== undefined, `node ${n.id} has no phase`);
}
