// Emits the fused loop of one phase: every elementwise value of the phase computed in one pass over (b, j).
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import type { StepPlan } from '../../plan/step-plan.js';
import { phaseBody, type Dialect, type Storage } from '../shared/phase-body.js';
import { jsNumber } from './names.js';

export const jsDialect: Dialect = {
  declare: (name, expr) => `const ${name} = ${expr};`,
  number: jsNumber,
  emitter: (op) => opDef(op).js,
};

/** The JS loop of phase p: reductions and scalars once per example, then one pass over j. */
export function emitPhase(plan: StepPlan, p: number, dims: Dims, storage: Storage, rowLines: readonly string[] = []): string {
  const body = phaseBody(plan, p, dims, storage, jsDialect);
  if (body.perB.length + body.perJ.length + body.stores.length + body.reductions.length === 0) return '';
  const perB: string[] = [];
  for (const r of body.reductions) {
    const operand = plan.graph.nodes[r.args[0]!]!;
    const size = sizeOf(operand.shape, dims);
    const s = storage(operand);
    const out = storage(r);
    const scale = r.op === 'mean' ? ` * ${jsNumber(1 / size)}` : '';
    // The operand's row is contiguous: index(0) with j = 0 is its start.
    perB.push(`{ let acc = 0; const j = 0; const base = ${s.index(0)}; for (let i = 0; i < ${size}; i++) acc += ${s.array}[base + i]; ${out.array}[${out.index(0)}] = acc${scale}; }`);
  }
  perB.push(...body.perB);
  const inner = [...body.perJ, ...body.stores];
  return [
    `for (let b = 0; b < B; b++) {`,
    `  const t = TIME[b]; if (t < 0) continue;`,
    `  const bt = t * B + b;`,
    ...rowLines.map((l) => `  ${l}`),
    ...perB.map((l) => `  ${l}`),
    ...(inner.length > 0 ? [`  for (let j = 0; j < ${dims.H}; j++) {`, ...inner.map((l) => `    ${l}`), `  }`] : []),
    `}`,
  ].join('\n');
}
