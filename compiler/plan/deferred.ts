// The products a backward step leaves until after the time loop (weight and input gradients): every backend runs
// each as one GEMM over all T·B rows, accumulated into its target.
import type { Node } from '../../ir/graph.js';
import { unsupported, type StepPlan } from './step-plan.js';

export interface DeferredProduct {
  /** `DX` (the input's gradient) or `GP<i>` (parameter i's). */
  readonly target: string;
  /** outer(g, v): Σ_rows g ⊗ v; matvec_t(W, g): g·W per row. */
  readonly node: Node;
  readonly op: 'outer' | 'matvec_t';
  /** The operands: (g, v) of an outer product, (W, g) of matvec_t (W a parameter). */
  readonly a: Node;
  readonly b: Node;
}

/** The deferred products of a backward plan, by target; sums are split into their terms, zero gradients dropped. */
export function deferredProducts(plan: StepPlan, inputName: string, params: readonly { readonly name: string }[]): DeferredProduct[] {
  const graph = plan.graph;
  const outputs = new Map(graph.outputs.map((o) => [o.name, o.id]));
  const out: DeferredProduct[] = [];
  const accumulate = (id: number, target: string): void => {
    const n = graph.nodes[id]!;
    if (n.op === 'add') return n.args.forEach((a) => accumulate(a, target));
    if (n.op === 'broadcast') return; // a zero gradient
    const [a, b] = n.args.map((x) => graph.nodes[x]!) as [Node, Node];
    if (n.op === 'outer') out.push({ target, node: n, op: 'outer', a, b });
    else if (n.op === 'matvec_t') {
      if (a.op !== 'param') throw unsupported(graph, n, 'a matrix product whose matrix is not a parameter');
      out.push({ target, node: n, op: 'matvec_t', a, b });
    } else throw unsupported(graph, n, `op ${n.op} after the time loop`);
  };
  const dx = outputs.get(`d.${inputName}`)!;
  if (plan.role[dx] === 'deferred') accumulate(dx, 'DX');
  params.forEach((p, i) => {
    const id = outputs.get(`d.${p.name}`)!;
    if (plan.role[id] === 'deferred') accumulate(id, `GP${i}`);
  });
  return out;
}
