// The IR printer: the debugging interface. Stable, numbered SSA text that tests pin.
import type { AttrValue, Graph, Node } from './graph.js';
import { showShape, type Shape } from './shape.js';

function showAttr(v: AttrValue): string {
  if (Array.isArray(v)) return showShape(v as Shape);
  return String(v);
}

/** `add %3 %4`, `input x`, `const 0.5`, `chunk %6 {index=0, count=4}`. */
export function printNode(n: Node): string {
  const args = n.args.map((a) => `%${a}`);
  let head: string;
  if (n.op === 'const') head = `const ${formatNumber(n.attrs.value as number)}`;
  else if ('name' in n.attrs) head = `${n.op} ${n.attrs.name}`;
  else {
    const attrs = Object.entries(n.attrs)
      .filter(([k]) => k !== 'shape')
      .map(([k, v]) => `${k}=${showAttr(v)}`);
    head = [n.op, ...args, ...(attrs.length ? [`{${attrs.join(', ')}}`] : [])].join(' ');
  }
  const text = `%${n.id} = ${head} : ${showShape(n.shape)}`;
  return n.label ? `${text}  # ${n.label}` : text;
}

export function printGraph(g: Graph): string {
  const lines = [`graph ${g.name} {`];
  for (const n of g.nodes) lines.push(`  ${printNode(n)}`);
  lines.push(`  return ${g.outputs.map((o) => `${o.name}: %${o.id}`).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}

/** Shortest round-tripping decimal, without a trailing `.0`. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  return String(v);
}
