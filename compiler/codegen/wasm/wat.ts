// Small builders for the WebAssembly text cellforge generates: loops, locals and f32x4 constants, so the
// generators read as the loops they write.

export const i32 = (v: number) => `(i32.const ${v})`;
export const get = (name: string) => `(local.get $${name})`;
export const set = (name: string, value: string) => `(local.set $${name} ${value})`;
export const add = (a: string, b: string) => `(i32.add ${a} ${b})`;
export const mul = (a: string, b: string) => `(i32.mul ${a} ${b})`;

/** An f32 literal wabt reads exactly (float32 rounding of v). */
export function f32(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(Math.fround(v));
}

/** The same number in all four lanes. */
export const splat = (v: number) => {
  const s = f32(v);
  return `(v128.const f32x4 ${s} ${s} ${s} ${s})`;
};

/** `for (v = from; v < to; v += step) body` as block/loop; the label names the loop. */
export function forLoop(label: string, v: string, from: string, to: string, body: readonly string[], step = 1): string[] {
  return [
    set(v, from),
    `(block $${label}_done (loop $${label}`,
    `  (br_if $${label}_done (i32.ge_s ${get(v)} ${to}))`,
    ...body.map((l) => `  ${l}`),
    `  ${set(v, add(get(v), i32(step)))}`,
    `  (br $${label})))`,
  ];
}

export function indent(lines: readonly string[], by: number): string[] {
  const pad = ' '.repeat(by);
  return lines.map((l) => pad + l);
}

/** Locals of a function, declared once each, in first-use order. */
export class Locals {
  private readonly types = new Map<string, string>();
  add(name: string, type: 'i32' | 'f32' | 'v128'): string {
    this.types.set(name, type);
    return name;
  }
  declarations(): string[] {
    return [...this.types].map(([n, t]) => `(local $${n} ${t})`);
  }
}
