// Pieces of generated step code shared by the forward and backward kernels.
import type { Graph, Node } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { unsupported, type StepPlan } from '../../plan/step-plan.js';
import type { Storage } from '../shared/phase-body.js';

export const stepTimes = (breakWhenDone: boolean) =>
  [
    `let active = 0;`,
    `for (let b = 0; b < B; b++) { const len = lengths[b]; const t = s < len ? (reverse ? len - 1 - s : s) : -1; TIME[b] = t; if (t >= 0) active++; }`,
    `if (active === 0) ${breakWhenDone ? 'break' : 'continue'};`,
  ].join('\n');

/** `const P0 = P[0], ...` for the parameters the kernel reads. */
export function paramBindings(graph: Graph): string {
  return graph.params.map((_, i) => `const P${i} = P[${i}];`).join('\n');
}

/** Per-step scratch buffers: GEMM outputs, reductions and materialized values, [B, size] each. */
export function scratchBuffers(plan: StepPlan, dims: Dims): string {
  const lines: string[] = [];
  for (const n of plan.graph.nodes) {
    const r = plan.role[n.id];
    if (r === 'gemm') lines.push(`const M${n.id} = new Float32Array(B * ${sizeOf(n.shape, dims)});`);
    if (r === 'reduce') lines.push(`const RD${n.id} = new Float32Array(B);`);
    if (r === 'fused' && plan.materialized.has(n.id)) lines.push(`const V${n.id} = new Float32Array(B * ${sizeOf(n.shape, dims)});`);
  }
  return lines.join('\n');
}

/** The array that holds a GEMM operand as B contiguous rows. */
function rowsOperand(graph: Graph, plan: StepPlan, storage: Storage, n: Node): string {
  const s = storage(n);
  if (!s.index(0).startsWith('b ') && !(n.shape.length > 0 && s.index(0) === 'b')) throw unsupported(graph, n, 'a matrix product of a value that is not per-example');
  return s.array;
}

/** The per-step GEMMs that open phase p. */
export function phaseGemms(plan: StepPlan, p: number, dims: Dims, storage: Storage): string {
  const g = plan.graph;
  const lines: string[] = [];
  for (const n of g.nodes) {
    if (plan.role[n.id] !== 'gemm' || plan.phase[n.id] !== p) continue;
    const [w, v] = n.args.map((a) => g.nodes[a]!) as [Node, Node];
    if (w.op !== 'param') throw unsupported(g, n, 'a matrix product whose matrix is not a parameter');
    const R = sizeOf([w.shape[0]!], dims);
    const K = sizeOf([w.shape[1]!], dims);
    const W = storage(w).array;
    const operand = rowsOperand(g, plan, storage, v);
    // matvec_t multiplies by Wᵀ: the kernel binds `${W}t`, transposed once per call (see transposedParams).
    if (n.op === 'matvec') lines.push(`gemmNT(B, ${R}, ${K}, ${operand}, 0, ${W}, M${n.id}, 0, false);`);
    else lines.push(`gemmNT(B, ${K}, ${R}, ${operand}, 0, ${W}t, M${n.id}, 0, false);`);
  }
  return lines.join('\n');
}

/** `const P2t = transpose(P2, R, K)` for every parameter some matvec_t multiplies by. */
export function transposedParams(graph: Graph, dims: Dims, storage: Storage): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const n of graph.nodes) {
    if (n.op !== 'matvec_t') continue;
    const w = graph.nodes[n.args[0]!]!;
    if (w.op !== 'param') continue;
    const W = storage(w).array;
    if (seen.has(W)) continue;
    seen.add(W);
    lines.push(`const ${W}t = transpose(${W}, ${sizeOf([w.shape[0]!], dims)}, ${sizeOf([w.shape[1]!], dims)});`);
  }
  return lines.join('\n');
}

export function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}
