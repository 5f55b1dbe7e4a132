// The float64 reference interpreter: evaluates a step graph over a batch with the op table's rules.
import type { Graph, Node } from '../../ir/graph.js';
import { opDef } from '../../ir/ops.js';
import { sizeOf, type Dims, type Shape } from '../../ir/shape.js';
import { makeValue, rowOffset, type EvalContext, type Value } from '../../ir/value.js';
import { invariant } from '../../ir/errors.js';

/** Supplies the value of a leaf node (input, state, param, grad, saved). */
export type LeafValues = (node: Node) => Value;

export function evalContext(batch: number, dims: Dims): EvalContext {
  return { batch, size: (shape) => sizeOf(shape as Shape, dims) };
}

/** Evaluate every node of `graph`; returns the value of each node by id. */
export function interpret(graph: Graph, ctx: EvalContext, leaves: LeafValues): Value[] {
  const values: Value[] = [];
  for (const node of graph.nodes) values.push(evaluateNode(graph, node, ctx, values, leaves));
  return values;
}

function evaluateNode(graph: Graph, node: Node, ctx: EvalContext, values: Value[], leaves: LeafValues): Value {
  const def = opDef(node.op);
  if (node.op === 'const') return { data: Float64Array.of(node.attrs.value as number), perExample: false };
  if (def.kind === 'leaf') {
    const v = leaves(node);
    const n = ctx.size(node.shape);
    invariant(v.data.length === (v.perExample ? ctx.batch * n : n), `leaf %${node.id} ${node.op} ${node.attrs.name} has ${v.data.length} values`);
    return v;
  }
  const args = node.args.map((a) => values[a]!);
  if (def.kind === 'elementwise') return elementwise(def.scalar!, node, args, ctx, graph);
  invariant(def.evaluate, `op ${node.op} has no float64 rule`);
  return def.evaluate(ctx, node, args, node.args.map((a) => graph.nodes[a]!.shape));
}

function elementwise(f: (...x: number[]) => number, node: Node, args: Value[], ctx: EvalContext, graph: Graph): Value {
  const n = ctx.size(node.shape);
  const sizes = node.args.map((a) => ctx.size(graph.nodes[a]!.shape));
  const perExample = args.some((a) => a.perExample);
  const xs = new Array<number>(args.length);
  return makeValue(ctx, n, perExample, (b, out, o) => {
    const offsets = args.map((a, k) => rowOffset(a, b, sizes[k]!));
    for (let i = 0; i < n; i++) {
      // A scalar operand (size 1) broadcasts over the vector.
      for (let k = 0; k < args.length; k++) xs[k] = args[k]!.data[offsets[k]! + (sizes[k] === 1 ? 0 : i)]!;
      out[o + i] = f(...xs);
    }
  });
}
