// The step IR: a typed SSA graph of one timestep. Nodes are numbered in topological order.
import type { SourceLocation } from './errors.js';
import type { Shape } from './shape.js';

export type AttrValue = string | number | boolean | Shape;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  readonly id: number;
  readonly op: string;
  readonly args: readonly number[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  /** The cell author's name for this value (a `const` in the cell), shown by the printer. */
  readonly label?: string;
  /** Where the value was written in the cell source, for error messages. */
  readonly loc?: SourceLocation;
}

/** How a parameter is initialised when no weights are loaded. */
export type ParamInit =
  | { readonly kind: 'uniform' } // PyTorch's RNN default: U(-1/sqrt(H), 1/sqrt(H))
  | { readonly kind: 'constant'; readonly value: number };

export interface ParamDecl {
  readonly name: string;
  readonly shape: Shape;
  readonly init: ParamInit;
}

export interface Output {
  readonly name: string;
  readonly id: number;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly outputs: readonly Output[];
  readonly params: readonly ParamDecl[];
}

/** Ids of the nodes `roots` depend on (including the roots), in ascending order. */
export function liveNodes(graph: Graph, roots: readonly number[]): number[] {
  const live = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    stack.push(...graph.nodes[id]!.args);
  }
  return [...live].sort((a, b) => a - b);
}

/** For each node, the ids of the nodes that use it. */
export function usersOf(graph: Graph): number[][] {
  const users: number[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) for (const a of n.args) users[a]!.push(n.id);
  return users;
}

export function outputId(graph: Graph, name: string): number | undefined {
  return graph.outputs.find((o) => o.name === name)?.id;
}

/** Leaf nodes of one op (`input`, `state`, `param`, `grad`, `saved`) by name. */
export function leavesOf(graph: Graph, op: string): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const n of graph.nodes) if (n.op === op) out.set(String(n.attrs.name), n);
  return out;
}
