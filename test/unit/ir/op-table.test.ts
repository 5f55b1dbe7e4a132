// The op table is the one place an op is declared: every op must carry every rule its kind needs.
import { describe, expect, it } from 'vitest';
import { ops } from '../../../ir/ops.js';

/** Ops that only appear in backward graphs; differentiating them again (double backward) is not supported. */
const backwardOnly = new Set(['matvec_t', 'outer']);

/** What each op lacks, as "op: rule" strings. */
function missing(): string[] {
  const out: string[] = [];
  for (const [name, def] of Object.entries(ops)) {
    const need: string[] = ['shape'];
    if (def.kind === 'elementwise') need.push('scalar', 'vjp', 'js', 'wgsl');
    if (def.kind === 'structural') need.push('evaluate', ...(backwardOnly.has(name) ? [] : ['vjp']));
    if (def.kind === 'leaf') need.push('vjp');
    for (const rule of need) if ((def as unknown as Record<string, unknown>)[rule] === undefined) out.push(`${name}: ${rule}`);
  }
  return out;
}

describe('op table', () => {
  it('every op has its shape rule, float64 rule, VJP rule and JS and WGSL emitters (as its kind needs)', () => {
    expect(missing()).toEqual([]);
  });

  it('elementwise emitters produce an expression for every operand', () => {
    for (const [name, def] of Object.entries(ops)) {
      if (def.kind !== 'elementwise') continue;
      const args = Array.from({ length: def.arity }, (_, i) => `a${i}`);
      for (const emit of [def.js!, def.wgsl!, def.wasm!, def.c!]) for (const a of args) expect(emit(...args), `${name}`).toContain(a);
    }
  });

  it('every elementwise op has a JS, a WGSL, a WebAssembly (f32x4) and a C (native vector) emitter', () => {
    const missing = Object.entries(ops)
      .filter(([, d]) => d.kind === 'elementwise' && !(d.js && d.wgsl && d.wasm && d.c))
      .map(([n]) => n);
    expect(missing).toEqual([]);
  });

  it('every op, of every kind, has a PyTorch and an ONNX emitter (export walks the step IR)', () => {
    const missing = Object.entries(ops)
      .filter(([, d]) => !(d.pytorch && d.onnx))
      .map(([n]) => n);
    expect(missing).toEqual([]);
  });

  it('PyTorch emitters of elementwise ops use every operand', () => {
    for (const [name, def] of Object.entries(ops)) {
      if (def.kind !== 'elementwise') continue;
      const args = Array.from({ length: def.arity }, (_, i) => `a${i}`);
      const node = { id: 0, op: name, args: [], attrs: {}, shape: [] };
      for (const a of args) expect(def.pytorch!(args, node), name).toContain(a);
    }
  });

  it('float64 rules of elementwise ops are stable at large magnitudes', () => {
    for (const name of ['sigmoid', 'tanh', 'softplus']) {
      const f = ops[name]!.scalar!;
      for (const x of [-1e4, -50, 0, 50, 1e4]) expect(Number.isFinite(f(x)), `${name}(${x})`).toBe(true);
    }
  });
});
