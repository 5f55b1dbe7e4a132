// Common-subexpression elimination: nodes with the same op, operands and attributes become one.
import type { Graph, Node } from '../../ir/graph.js';
import { showShape, type Shape } from '../../ir/shape.js';
import { dce } from './dce.js';

function key(n: Node, args: readonly number[]): string {
  const attrs = Object.entries(n.attrs)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? showShape(v as Shape) : String(v)}`)
    .sort()
    .join(',');
  return `${n.op}(${args.join(',')}){${attrs}}`;
}

export function cse(graph: Graph): Graph {
  const seen = new Map<string, number>();
  const replace: number[] = [];
  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    const args = n.args.map((a) => replace[a]!);
    const k = key(n, args);
    const prev = seen.get(k);
    if (prev !== undefined) {
      replace[n.id] = prev;
      // Keep the author's name if the surviving node has none.
      if (n.label && !nodes[prev]!.label) nodes[prev] = { ...nodes[prev]!, label: n.label };
      continue;
    }
    const id = nodes.length;
    nodes.push({ ...n, id, args });
    seen.set(k, id);
    replace[n.id] = id;
  }
  return dce({ ...graph, nodes, outputs: graph.outputs.map((o) => ({ name: o.name, id: replace[o.id]! })) });
}
