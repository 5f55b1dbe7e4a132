// The SIMD128 vector math library (compiler/codegen/wasm/math.ts) against float64 Math rounded to float32:
// seeded random inputs across magnitudes plus a table of special values, errors in float32 ulps.
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleWat } from '../../../compiler/codegen/wasm/assemble.js';
import { mathWat, mathWatFor } from '../../../compiler/codegen/wasm/math.js';

const NAMES = ['exp4', 'expm1_4', 'log4', 'sigmoid4', 'tanh4', 'softplus4'] as const;
type Name = (typeof NAMES)[number];

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

/** float64 references, rounded to float32 by the comparison. */
const REF: Record<Name, (x: number) => number> = {
  exp4: Math.exp,
  expm1_4: Math.expm1,
  log4: Math.log,
  sigmoid4: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh4: Math.tanh,
  softplus4: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
};

// The bound each function is held to, in float32 ulps of the expected value (measured: 1 ulp for exp, expm1 and
// log, 2 for sigmoid, tanh and softplus; the inputs are seeded, so these are fixed numbers, not a distribution).
const BOUND: Record<Name, number> = { exp4: 2, expm1_4: 2, log4: 2, sigmoid4: 3, tanh4: 3, softplus4: 3 };
// Where the expected result is a float32 denormal: |got - want| <= 4 * 2^-149, i.e. 4 steps of the ordering below.
const DENORMAL_ABS_ULPS = 4;
const MIN_NORMAL = 2 ** -126;

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** float32 bits as a monotone integer: consecutive float32s differ by 1, and -0 and +0 are both 0. */
function ord(x: number): number {
  f32[0] = x;
  const b = i32[0]!;
  return b >= 0 ? b : -(b & 0x7fffffff);
}

/** Distance in float32 steps; infinite unless NaN, infinities and finiteness match exactly. */
function ulpError(got: number, want: number): number {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want ? 0 : Infinity;
  return Math.abs(ord(got) - ord(want));
}

/** Mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values log-uniform in magnitude over [1e-30, 1e3], random sign. */
function magnitudes(n: number, seed: number): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * 10 ** (-30 + 33 * r()));
}

/** n values uniform in [lo, hi]. */
function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** n positive finite float32s with uniformly random bit patterns: every binade, denormals included. */
function positiveBits(n: number, seed: number): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => {
    i32[0] = 1 + Math.floor(r() * 0x7f7fffff);
    return f32[0]!;
  });
}

/** The k float32s on each side of x, and x itself. */
function around(x: number, k: number): number[] {
  const out: number[] = [];
  for (let d = -k; d <= k; d++) {
    const o = ord(Math.fround(x)) + d;
    i32[0] = o >= 0 ? o : -o | 0x80000000;
    out.push(f32[0]!);
  }
  return out;
}

const DENORMALS = [2 ** -149, 3 * 2 ** -149, 1e-45, 1e-42, 1e-40, 2 ** -127, 1.1754942e-38];
const SPECIAL: number[] = [
  0, -0, 1, -1, 0.5, -0.5, 2, -2, NaN, Infinity, -Infinity,
  ...DENORMALS, ...DENORMALS.map((x) => -x),
  1e-38, -1e-38, 88.7, -88.7, 89, -89, 104, -104, 1e30, -1e30, 1e3, -1e3, 3.4028234663852886e38, -3.4028234663852886e38,
  ...around(88.7228390, 12), // e^x crosses the largest float32: +inf from 88.72283935546875 up
  ...around(-87.33654475, 4), // e^x leaves the normal range
  ...around(-103.2789, 4), // e^x = 2^-149 and the last denormal
  ...around(-103.972, 4), // e^x rounds to 0 below here
  ...around(Math.LN2 / 2, 4), ...around(-Math.LN2 / 2, 4), ...around(1.5 * Math.LN2, 4), // reduction boundaries of n
  ...around(0, 24), // ulp-spaced denormals around 0
  ...around(2 ** -24, 4), ...around(-(2 ** -24), 4), ...around(2 ** -12, 4), ...around(-(2 ** -12), 4),
  ...around(Math.SQRT1_2, 4), ...around(Math.SQRT2, 4), ...around(1, 8), ...around(MIN_NORMAL, 4), // log's reduction
  ...around(9.010913, 4), ...around(-9.010913, 4), // tanh reaches 1 in float32
  ...around(16.635532, 4), ...around(-16.635532, 4), // 1 + e^-|x| rounds to 1 (softplus, sigmoid)
];

/** Per function: the random inputs (>= 50 000 from magnitudes alone) and a range where the function is interesting. */
function randomInputs(name: Name, seed: number): number[] {
  const extra: Record<Name, number[]> = {
    exp4: uniform(50_000, -105, 90, seed + 1),
    expm1_4: [...uniform(25_000, -20, 20, seed + 1), ...uniform(25_000, -1, 1, seed + 2)],
    log4: [...positiveBits(50_000, seed + 1), ...uniform(25_000, 0.5, 2, seed + 2)],
    sigmoid4: uniform(50_000, -110, 110, seed + 1),
    tanh4: [...uniform(25_000, -10, 10, seed + 1), ...uniform(25_000, -1, 1, seed + 2)],
    softplus4: uniform(50_000, -110, 110, seed + 1),
  };
  return [...magnitudes(50_000, seed), ...extra[name]];
}

interface Report { max: number; at: number; got: number; want: number; failures: { x: number; got: number; want: number; err: number }[] }

/** Max ulp error of name over xs; failures are inputs past the bound (denormal results judged by DENORMAL_ABS_ULPS). */
function measure(name: Name, inputs: number[], fma: boolean): Report {
  const xs = Float32Array.from(inputs);
  const got = run(name, xs, fma);
  const report: Report = { max: 0, at: NaN, got: NaN, want: NaN, failures: [] };
  for (let j = 0; j < xs.length; j++) {
    const x = xs[j]!;
    const want = Math.fround(REF[name](x));
    const err = ulpError(got[j]!, want);
    const bound = Math.abs(want) < MIN_NORMAL ? DENORMAL_ABS_ULPS : BOUND[name];
    if (err > bound && report.failures.length < 10) report.failures.push({ x, got: got[j]!, want, err });
    if (!(err <= report.max)) Object.assign(report, { max: err, at: x, got: got[j]!, want });
  }
  return report;
}

describe.each([false, true])('wasm SIMD128 math (relaxed multiply-add: %s): accuracy against float64 rounded to float32', (fma) => {
  it.each(NAMES.map((name, k) => [name, BOUND[name], k] as const))('%s within %d ulp (denormal results within 4 * 2^-149)', (name, _bound, k) => {
    const inputs = [...randomInputs(name, 0x5eed + 1000 * k), ...SPECIAL];
    expect(inputs.length).toBeGreaterThanOrEqual(100_000);
    const r = measure(name, inputs, fma);
    console.log(`${name}${fma ? ' (fma)' : ''}: max error ${r.max} ulp at x = ${r.at} (got ${r.got}, want ${r.want}) over ${inputs.length} inputs`);
    expect(r.failures).toEqual([]);
  });
});

describe.each([false, true])('wasm SIMD128 math (relaxed multiply-add: %s): special values exactly', (fma) => {
  const one = (name: Name, x: number): number => run(name, Float32Array.of(x), fma)[0]!;
  const cases: [Name, number, number][] = [
    ['exp4', NaN, NaN], ['exp4', Infinity, Infinity], ['exp4', -Infinity, 0], ['exp4', 0, 1], ['exp4', -0, 1],
    ['exp4', 89, Infinity], ['exp4', 88.72283935546875, Infinity], ['exp4', 88.72283172607422, Math.exp(88.72283172607422)], ['exp4', -104, 0],
    ['exp4', 1e30, Infinity], ['exp4', -1e30, 0], ['exp4', -103.27892303466797, 2 ** -149],
    ['expm1_4', NaN, NaN], ['expm1_4', Infinity, Infinity], ['expm1_4', -Infinity, -1], ['expm1_4', 0, 0], ['expm1_4', 1e-30, 1e-30],
    ['expm1_4', -1e-40, -1e-40], ['expm1_4', -100, -1],
    ['log4', 0, -Infinity], ['log4', -0, -Infinity], ['log4', -1, NaN], ['log4', -1e-45, NaN], ['log4', -Infinity, NaN],
    ['log4', Infinity, Infinity], ['log4', NaN, NaN], ['log4', 1, 0], ['log4', 2 ** -149, -149 * Math.LN2], ['log4', 2 ** 127, 127 * Math.LN2],
    ['sigmoid4', Infinity, 1], ['sigmoid4', -Infinity, 0], ['sigmoid4', NaN, NaN], ['sigmoid4', 0, 0.5], ['sigmoid4', -0, 0.5],
    ['sigmoid4', 1e30, 1], ['sigmoid4', -1e30, 0],
    ['tanh4', 0, 0], ['tanh4', -0, -0], ['tanh4', Infinity, 1], ['tanh4', -Infinity, -1], ['tanh4', NaN, NaN],
    ['tanh4', 1e-45, 1e-45], ['tanh4', -1e-45, -1e-45], ['tanh4', 1e-30, 1e-30], ['tanh4', -1e-20, -1e-20], ['tanh4', 20, 1], ['tanh4', -20, -1],
    ['softplus4', Infinity, Infinity], ['softplus4', -Infinity, 0], ['softplus4', NaN, NaN], ['softplus4', 0, Math.LN2],
    ['softplus4', 1e30, 1e30], ['softplus4', -1e30, 0], ['softplus4', 200, 200],
  ];
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
