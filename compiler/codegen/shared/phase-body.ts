// The dialect-neutral body of a fused phase: every elementwise value of the phase for one example and unit j,
// written through a Dialect (JS, WGSL, WebAssembly text, C). Shared by every generated-code backend.
import { invariant } from '../../../ir/errors.js';
import type { Node } from '../../../ir/graph.js';
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { phaseNodes, type StepPlan } from '../../plan/step-plan.js';

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

/** How a target language writes the pieces of a fused loop body. */
export interface Dialect {
  /** A local value: `const v = e;` (JS) or `let v: f32 = e;` (WGSL). */
  readonly declare: (name: string, expr: string) => string;
  readonly number: (v: number) => string;
  /** The op table's scalar emitter for this language. */
  readonly emitter: (op: string) => ((...a: string[]) => string) | undefined;
  /** How a declared local is read (default: its name). */
  readonly local?: (name: string) => string;
  /** How a stored element is read and written (default: `array[index]`). */
  readonly read?: (array: string, index: string) => string;
  readonly write?: (array: string, index: string, value: string) => string;
}

/** The statements of one phase for example b and unit j: per example (scalars), per j, and the stores. */
export interface PhaseBody {
  readonly reductions: readonly Node[];
  readonly perB: readonly string[];
  readonly perJ: readonly string[];
  readonly stores: readonly string[];
}

export function phaseBody(plan: StepPlan, p: number, dims: Dims, storage: Storage, dialect: Dialect): PhaseBody {
  const nodes = plan.graph.nodes;
  const ids = phaseNodes(plan, p);
  const reductions = nodes.filter((n) => plan.role[n.id] === 'reduce' && plan.phase[n.id] === p);
  const perB: string[] = []; // statements once per example (scalars)
  const perJ: string[] = []; // statements in the j loop
  const done = new Set<string>();
  const local = dialect.local ?? ((name: string) => name);
  const load = dialect.read ?? ((array: string, index: string) => `${array}[${index}]`);
  const store = dialect.write ?? ((array: string, index: string, value: string) => `${array}[${index}] = ${value};`);

  const read = (id: number, c: number): string => {
    const n = nodes[id]!;
    if (n.op === 'const') return dialect.number(n.attrs.value as number);
    if (plan.role[id] !== 'fused' || plan.phase[id]! < p) {
      const s = storage(n);
      return load(s.array, s.index(n.shape.length === 0 ? 0 : c));
    }
    return compute(id, c);
  };

  const compute = (id: number, c: number): string => {
    const n = nodes[id]!;
    const scalar = n.shape.length === 0;
    const key = scalar ? `s${id}` : `v${id}_${c}`;
    if (done.has(key)) return local(key);
    const expr = expression(n, c);
    (scalar ? perB : perJ).push(dialect.declare(key, expr));
    done.add(key);
    return local(key);
  };

  const expression = (n: Node, c: number): string => {
    const arg = (k: number, block: number) => {
      const a = nodes[n.args[k]!]!;
      return read(a.id, a.shape.length === 0 ? 0 : block);
    };
    switch (n.op) {
      case 'chunk':
        return arg(0, (n.attrs.index as number) * blocks(n) + c);
      case 'concat': {
        const m = blocks(nodes[n.args[0]!]!);
        return arg(Math.floor(c / m), c % m);
      }
      case 'broadcast':
        return arg(0, 0);
      case 'size':
        return dialect.number(sizeOf(nodes[n.args[0]!]!.shape, dims));
      default: {
        const emit = dialect.emitter(n.op);
        invariant(opDef(n.op).kind === 'elementwise' && emit, `op ${n.op} has no emitter for this backend`);
        return emit(...n.args.map((_, k) => arg(k, c)));
      }
    }
  };

  const stores: string[] = [];
  for (const id of ids) {
    if (!plan.materialized.has(id)) continue;
    const n = nodes[id]!;
    const s = storage(n);
    if (n.shape.length === 0) perB.push(store(s.array, s.index(0), compute(id, 0)));
    else for (let c = 0; c < blocks(n); c++) stores.push(store(s.array, s.index(c), compute(id, c)));
  }
  return { reductions, perB, perJ, stores };
}
