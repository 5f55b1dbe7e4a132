// The SIMD128 vector math library (compiler/codegen/wasm/math.ts) against float64 Math rounded to float32
// (test/helpers/math-accuracy.ts: seeded random inputs across magnitudes plus special values, errors in ulps).
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleWat } from '../../../compiler/codegen/wasm/assemble.js';
import { mathWat, mathWatFor } from '../../../compiler/codegen/wasm/math.js';
import { BOUND, MATH_NAMES, measure, randomInputs, SPECIAL, SPECIAL_CASES, type MathName } from '../../helpers/math-accuracy.js';

const NAMES = ['exp4', 'expm1_4', 'log4', 'sigmoid4', 'tanh4', 'softplus4'] as const;
type Name = (typeof NAMES)[number];
const WASM_NAME = Object.fromEntries(MATH_NAMES.map((m, k) => [m, NAMES[k]!])) as Record<MathName, Name>;

const PAGE_FLOATS = (4 * 65536) / 4; // the test module's 4 pages of memory, as float32s

/** Applies $name in place to len bytes (a multiple of 16) of memory from 0, 4 lanes at a time. */
const wrapper = (name: Name): string => `
  (func (export "${name}") (param $len i32) (local $p i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $len)))
        (v128.store (local.get $p) (call $${name} (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next))))`;

/** Both builds of the functions: standard SIMD128 only, and polynomials through the relaxed multiply-add. */
const modules = new Map<boolean, { exports: Record<Name, (len: number) => void>; mem: WebAssembly.Memory }>();

beforeAll(async () => {
  for (const fma of [false, true]) {
    const bytes = await assembleWat(`(module (memory (export "mem") 4) ${mathWatFor(fma)} ${NAMES.map(wrapper).join('')})`, 'math.test.wat');
    const { instance } = await WebAssembly.instantiate(bytes as BufferSource); // assembleWat gives Uint8Array<ArrayBufferLike>
    modules.set(fma, { exports: instance.exports as unknown as Record<Name, (len: number) => void>, mem: instance.exports.mem as WebAssembly.Memory });
  }
});

/** Runs the wasm function over xs (any length), chunked to fit the module's memory. */
function run(name: Name, xs: Float32Array, fma = false): Float32Array {
  const { exports, mem } = modules.get(fma)!;
  const out = new Float32Array(xs.length);
  for (let at = 0; at < xs.length; at += PAGE_FLOATS) {
    const chunk = xs.subarray(at, at + PAGE_FLOATS);
    const view = new Float32Array(mem.buffer, 0, PAGE_FLOATS);
    view.set(chunk);
    exports[name](Math.ceil(chunk.length / 4) * 16);
    out.set(new Float32Array(mem.buffer, 0, chunk.length), at);
  }
  return out;
}

describe.each([false, true])('wasm SIMD128 math (relaxed multiply-add: %s): accuracy against float64 rounded to float32', (fma) => {
  it.each(MATH_NAMES.map((name, k) => [WASM_NAME[name], BOUND[name], k] as const))('%s within %d ulp (denormal results within 4 * 2^-149)', (name, _bound, k) => {
    const inputs = [...randomInputs(MATH_NAMES[k]!, 0x5eed + 1000 * k), ...SPECIAL];
    expect(inputs.length).toBeGreaterThanOrEqual(100_000);
    const r = measure(MATH_NAMES[k]!, inputs, (xs) => run(name, xs, fma));
    console.log(`${name}${fma ? ' (fma)' : ''}: max error ${r.max} ulp at x = ${r.at} (got ${r.got}, want ${r.want}) over ${inputs.length} inputs`);
    expect(r.failures).toEqual([]);
  });
});

describe.each([false, true])('wasm SIMD128 math (relaxed multiply-add: %s): special values exactly', (fma) => {
  const one = (name: Name, x: number): number => run(name, Float32Array.of(x), fma)[0]!;
  const cases = SPECIAL_CASES.map(([name, x, want]) => [WASM_NAME[name], x, want] as const);
  it.each(cases)('%s(%d) = %d', (name, x, want) => {
    const got = one(name, x);
    if (Number.isNaN(want)) expect(got).toBeNaN();
    else expect(Object.is(got, Math.fround(want)), `got ${got}`).toBe(true); // Object.is: -0 and +0 differ
  });

  it('assembles alone: no memory, globals, tables, imports or relaxed SIMD', async () => {
    // a load or store would fail validation in a module without memory
    await expect(assembleWat(`(module ${mathWat})`, 'math-alone.wat')).resolves.toBeInstanceOf(Uint8Array);
    expect(mathWat).not.toMatch(/relaxed|global\.|table\.|\(import|memory|\.load|\.store/);
  });
});
