// Dead-code elimination: keep the nodes the outputs need, renumbered densely in the same order.
import type { Graph, Node } from '../../ir/graph.js';
import { liveNodes } from '../../ir/graph.js';

export function dce(graph: Graph): Graph {
  const live = liveNodes(
    graph,
    graph.outputs.map((o) => o.id),
  );
  const newId = new Map<number, number>();
  const nodes: Node[] = live.map((old, i) => {
    newId.set(old, i);
    const n = graph.nodes[old]!;
    return { ...n, id: i, args: n.args.map((a) => newId.get(a)!) };
  });
  // Declarations stay, in order, even when unused: kernels index parameters by their declared position.
  return { name: graph.name, nodes, outputs: graph.outputs.map((o) => ({ name: o.name, id: newId.get(o.id)! })), params: graph.params };
}
