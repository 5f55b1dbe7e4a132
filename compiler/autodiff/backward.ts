// Reverse-mode autodiff of one step: forward step graph -> backward step graph, using each op's VJP rule.
import { GraphBuilder } from '../../ir/builder.js';
import { invariant } from '../../ir/errors.js';
import type { Graph, Node } from '../../ir/graph.js';
import { opDef } from '../../ir/ops.js';
import { sameShape, vecH, vecX, type Shape } from '../../ir/shape.js';
import { cse } from '../passes/cse.js';

/** A forward value the backward step reads; the forward pass must keep it for every step. */
export interface SavedValue {
  /** Id of the value in the forward graph. */
  readonly id: number;
  /** Name of its `saved` leaf in the backward graph (`f12`). */
  readonly name: string;
  readonly label?: string;
  readonly shape: Shape;
}

/**
 * The backward step. Leaves: the forward step's `input` and old `state`s, `param`s, `grad <state>` (cotangent of
 * each new state, the step output's gradient included) and `saved f<id>`. Outputs: `d.<state>` (cotangent of
 * each old state), `d.<input>`, and `d.<param>` (this step's per-example contribution, summed by the runtime).
 */
export interface BackwardIR {
  readonly graph: Graph;
  readonly saved: readonly SavedValue[];
}

/** Values too expensive to recompute in the backward step: matrix products. Everything else is recomputed. */
const isSavedOp = (n: Node): boolean => n.op === 'matvec';

export const savedName = (id: number): string => `f${id}`;

export function differentiate(forward: Graph, states: readonly string[], inputName: string): BackwardIR {
  const b = new GraphBuilder(`${forward.name}.backward`);
  const params = new Map(forward.params.map((p) => [p.name, p]));
  // Recompute the forward step inside the backward one, reading the expensive values from the saved set.
  const fwd: number[] = [];
  for (const n of forward.nodes) {
    if (n.op === 'param') fwd.push(b.param(params.get(String(n.attrs.name))!));
    else if (n.op === 'input' || n.op === 'state') fwd.push(b.leaf(n.op, String(n.attrs.name), n.shape));
    else if (isSavedOp(n)) fwd.push(b.leaf('saved', savedName(n.id), n.shape, n.label ? { label: n.label } : {}));
    else fwd.push(b.op(n.op, n.args.map((a) => fwd[a]!), n.attrs, n.label ? { label: n.label } : {}));
  }
  const needsGrad = forward.nodes.map(() => false);
  for (const n of forward.nodes) {
    needsGrad[n.id] = n.op === 'input' || n.op === 'state' || n.op === 'param' || n.args.some((a) => needsGrad[a]);
  }
  const contributions: number[][] = forward.nodes.map(() => []);
  forward.outputs.forEach((o) => contributions[o.id]!.push(b.leaf('grad', o.name, forward.nodes[o.id]!.shape)));
  const cotangent: (number | undefined)[] = [];
  for (let id = forward.nodes.length - 1; id >= 0; id--) {
    const n = forward.nodes[id]!;
    if (!needsGrad[id] || contributions[id]!.length === 0) continue;
    const g = (cotangent[id] = sumContributions(b, contributions[id]!, n.shape));
    const def = opDef(n.op);
    if (def.kind === 'leaf') continue;
    invariant(def.vjp && def.vjp !== 'none', `op ${n.op} has no VJP rule but its result needs a gradient`);
    const argGrads = def.vjp(b, g, fwd[id]!, n.args.map((a) => fwd[a]!), n);
    n.args.forEach((a, k) => {
      const ga = argGrads[k];
      if (ga === null || ga === undefined || !needsGrad[a]) return;
      contributions[a]!.push(unbroadcast(b, ga, forward.nodes[a]!.shape));
    });
  }
  const zeros = (shape: Shape) => b.op('broadcast', [b.constant(0)], { shape });
  const outputs: { name: string; id: number }[] = [];
  const leafGrad = (n: Node | undefined, shape: Shape) => (n && cotangent[n.id] !== undefined ? cotangent[n.id]! : zeros(shape));
  const leafNode = (op: string, name: string) => forward.nodes.find((n) => n.op === op && n.attrs.name === name);
  for (const s of states) outputs.push({ name: `d.${s}`, id: leafGrad(leafNode('state', s), vecH()) });
  outputs.push({ name: `d.${inputName}`, id: leafGrad(leafNode('input', inputName), vecX) });
  for (const p of forward.params) outputs.push({ name: `d.${p.name}`, id: leafGrad(leafNode('param', p.name), p.shape) });
  const graph = cse(b.build(outputs));
  const saved = graph.nodes
    .filter((n) => n.op === 'saved')
    .map((n) => {
      const id = Number(String(n.attrs.name).slice(1));
      const label = forward.nodes[id]!.label;
      return { id, name: String(n.attrs.name), shape: n.shape, ...(label ? { label } : {}) };
    });
  return { graph, saved };
}

/** Sum the cotangent contributions of one value; cotangents of disjoint chunks become one concat. */
function sumContributions(b: GraphBuilder, parts: number[], shape: Shape): number {
  const places = parts.filter((p) => b.node(p).op === 'place');
  const rest = parts.filter((p) => b.node(p).op !== 'place');
  let total: number | undefined;
  if (places.length > 0) {
    const count = b.node(places[0]!).attrs.count as number;
    const slots: (number | undefined)[] = new Array(count).fill(undefined);
    for (const p of places) {
      const node = b.node(p);
      const i = node.attrs.index as number;
      const inner = node.args[0]!;
      slots[i] = slots[i] === undefined ? inner : b.op('add', [slots[i]!, inner]);
    }
    const chunkShape = b.shapeOf(places[0]!).map((d) => ({ sym: d.sym, mult: d.mult / count }));
    const filled = slots.map((s) => s ?? b.op('broadcast', [b.constant(0)], { shape: chunkShape }));
    total = b.op('concat', filled);
  }
  for (const p of rest) total = total === undefined ? p : b.op('add', [total, p]);
  invariant(total !== undefined && sameShape(b.shapeOf(total), shape), 'cotangent shape differs from its value');
  return total;
}

/** A vector cotangent of a scalar operand (that was broadcast) is summed back to a scalar. */
function unbroadcast(b: GraphBuilder, g: number, shape: Shape): number {
  if (shape.length === 0 && b.shapeOf(g).length > 0) return b.op('sum', [g]);
  if (shape.length > 0 && b.shapeOf(g).length === 0) return b.op('broadcast', [g], { shape });
  return g;
}
