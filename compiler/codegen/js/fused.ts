// Emits the fused loop of one phase: every elementwise value of the phase computed in one pass over (b, j).
import { invariant } from '../../../ir/errors.js';
import type { Node } from '../../../ir/graph.js';
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { phaseNodes, type StepPlan } from '../../plan/step-plan.js';
import { jsNumber } from './names.js';

/**
 * Where a value lives when it is not computed inline: an array name and the index of element (c·H + j) of
 * example b. Inside the loops `b`, `j` and `bt` (= t·B + b, the example's time row) are defined.
 */
export type Storage = (n: Node) => { array: string; index: (c: number) => string };

/** Number of H-blocks of a vector node ([4H] -> 4); 0 for a scalar. */
export function blocks(n: Node): number {
  if (n.shape.length === 0) return 0;
  invariant(n.shape.length === 1 && n.shape[0]!.sym === 'H', `node %${n.id} of shape ${JSON.stringify(n.shape)} in a fused loop`);
  return n.shape[0]!.mult;
}

export function emitPhase(plan: StepPlan, p: number, dims: Dims, storage: Storage): string {
  const nodes = plan.graph.nodes;
  const ids = phaseNodes(plan, p);
  const reductions = nodes.filter((n) => plan.role[n.id] === 'reduce' && plan.phase[n.id] === p);
  if (ids.length === 0 && reductions.length === 0) return '';
  const perB: string[] = []; // statements once per example (reductions, scalars)
  const perJ: string[] = []; // statements in the j loop
  const done = new Map<string, string>();

  const read = (id: number, c: number): string => {
    const n = nodes[id]!;
    if (n.op === 'const') return jsNumber(n.attrs.value as number);
    if (plan.role[id] !== 'fused' || plan.phase[id]! < p) {
      const s = storage(n);
      return `${s.array}[${s.index(n.shape.length === 0 ? 0 : c)}]`;
    }
    return compute(id, c);
  };

  const compute = (id: number, c: number): string => {
    const n = nodes[id]!;
    const scalar = n.shape.length === 0;
    const key = scalar ? `s${id}` : `v${id}_${c}`;
    const hit = done.get(key);
    if (hit) return hit;
    const expr = expression(n, c);
    (scalar ? perB : perJ).push(`const ${key} = ${expr};`);
    done.set(key, key);
    return key;
  };

  const expression = (n: Node, c: number): string => {
    const def = opDef(n.op);
    const arg = (k: number, block: number) => {
      const a = nodes[n.args[k]!]!;
      return read(a.id, a.shape.length === 0 ? 0 : block);
    };
    switch (n.op) {
      case 'chunk': {
        const m = blocks(n);
        return arg(0, (n.attrs.index as number) * m + c);
      }
      case 'concat': {
        const m = blocks(nodes[n.args[0]!]!);
        return arg(Math.floor(c / m), c % m);
      }
      case 'broadcast':
        return arg(0, 0);
      case 'size':
        return jsNumber(sizeOf(nodes[n.args[0]!]!.shape, dims));
      default:
        invariant(def.kind === 'elementwise' && def.js, `op ${n.op} has no JS emitter`);
        return def.js(...n.args.map((_, k) => arg(k, c)));
    }
  };

  for (const r of reductions) {
    const operand = nodes[r.args[0]!]!;
    const size = sizeOf(operand.shape, dims);
    const s = storage(operand);
    const out = storage(r);
    const scale = r.op === 'mean' ? ` * ${jsNumber(1 / size)}` : '';
    // The operand's row is contiguous: element i of block c is at index(c) with j = i - c·H, so index(0) + i.
    perB.push(`{ let acc = 0; const j = 0; const base = ${s.index(0)}; for (let i = 0; i < ${size}; i++) acc += ${s.array}[base + i]; ${out.array}[${out.index(0)}] = acc${scale}; }`);
  }
  const stores: string[] = [];
  for (const id of ids) {
    if (!plan.materialized.has(id)) continue;
    const n = nodes[id]!;
    const s = storage(n);
    if (n.shape.length === 0) perB.push(`${s.array}[${s.index(0)}] = ${compute(id, 0)};`);
    else for (let c = 0; c < blocks(n); c++) stores.push(`${s.array}[${s.index(c)}] = ${compute(id, c)};`);
  }
  const H = dims.H;
  return [
    `for (let b = 0; b < B; b++) {`,
    `  const t = TIME[b]; if (t < 0) continue;`,
    `  const bt = t * B + b;`,
    ...perB.map((l) => `  ${l}`),
    ...(perJ.length + stores.length > 0 ? [`  for (let j = 0; j < ${H}; j++) {`, ...perJ.map((l) => `    ${l}`), ...stores.map((l) => `    ${l}`), `  }`] : []),
    `}`,
  ].join('\n');
}
