// The verifier: structural checks every pass must preserve. Failures print the offending node and the IR.
import type { Graph } from './graph.js';
import { ops } from './ops.js';
import { printGraph, printNode } from './print.js';
import { sameShape, showShape } from './shape.js';

export class VerifyError extends Error {
  override readonly name = 'VerifyError';
}

export function verify(g: Graph): void {
  const problems: string[] = [];
  const params = new Map(g.params.map((p) => [p.name, p]));
  const leafNames = new Set<string>();
  g.nodes.forEach((n, i) => {
    const where = `node ${i} (${n.op} ${showShape(n.shape)})`;
    const def = ops[n.op];
    if (n.id !== i) problems.push(`${where}: id is %${n.id}, expected %${i}`);
    if (!def) return problems.push(`${where}: unknown op`);
    if (def.arity >= 0 ? n.args.length !== def.arity : n.args.length === 0) problems.push(`${where}: ${n.args.length} operands, expected ${def.arity}`);
    if (n.args.some((a) => !(a >= 0 && a < i))) return problems.push(`${where}: operand not defined before use (${n.args.join(', ')})`);
    const shape = def.shape(
      n.args.map((a) => g.nodes[a]!.shape),
      n.attrs,
    );
    if (typeof shape === 'string') problems.push(`${where}: ${shape}`);
    else if (!sameShape(shape, n.shape)) problems.push(`${where}: shape rule gives ${showShape(shape)}`);
    if (def.kind === 'leaf' && n.op !== 'const') {
      const key = `${n.op} ${n.attrs.name}`;
      if (leafNames.has(key)) problems.push(`${where}: duplicate leaf ${key}`);
      leafNames.add(key);
    }
    if (n.op === 'param') {
      const decl = params.get(String(n.attrs.name));
      if (!decl) problems.push(`${where}: param ${n.attrs.name} is not declared`);
      else if (!sameShape(decl.shape, n.shape)) problems.push(`${where}: param declared as ${showShape(decl.shape)}`);
    }
  });
  for (const o of g.outputs) if (!(o.id >= 0 && o.id < g.nodes.length)) problems.push(`output ${o.name}: %${o.id} does not exist`);
  if (problems.length > 0) {
    const bad = problems.map((p) => `  ${p}`).join('\n');
    throw new VerifyError(`IR verification failed in ${g.name}:\n${bad}\n${printGraph(g)}`);
  }
}

export { printNode };
