// The per-step matrix products that open a phase, as every generated-code backend emits them.
import type { Node } from '../../ir/graph.js';
import { sizeOf, type Dims } from '../../ir/shape.js';
import { unsupported, type StepPlan } from './step-plan.js';

export interface StepProduct {
  readonly node: Node;
  /** matvec: rows v against Wᵀ; matvec_t: rows v against W. */
  readonly op: 'matvec' | 'matvec_t';
  /** Index of the weight in the graph's parameters. */
  readonly weight: number;
  /** The per-example operand v. */
  readonly operand: Node;
  /** The weight is [R, K]. */
  readonly R: number;
  readonly K: number;
}

/** The products of phase p in graph order; the matrix must be a parameter. */
export function stepProducts(plan: StepPlan, p: number, dims: Dims): StepProduct[] {
  const graph = plan.graph;
  return graph.nodes
    .filter((n) => plan.role[n.id] === 'gemm' && plan.phase[n.id] === p)
    .map((n) => {
      const [w, v] = n.args.map((a) => graph.nodes[a]!) as [Node, Node];
      if (w.op !== 'param') throw unsupported(graph, n, 'a matrix product whose matrix is not a parameter');
      return {
        node: n,
        op: n.op as 'matvec' | 'matvec_t',
        weight: graph.params.findIndex((q) => q.name === String(w.attrs.name)),
        operand: v,
        R: sizeOf([w.shape[0]!], dims),
        K: sizeOf([w.shape[1]!], dims),
      };
    });
}
