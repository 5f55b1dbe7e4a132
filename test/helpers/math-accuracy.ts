// The vector math libraries' accuracy, shared by the wasm and native tests: float64 references rounded to float32,
// seeded random inputs across magnitudes plus a table of special values, errors in float32 ulps.

/** The functions every backend's math library has. */
export const MATH_NAMES = ['exp', 'expm1', 'log', 'sigmoid', 'tanh', 'softplus'] as const;
export type MathName = (typeof MATH_NAMES)[number];

/** float64 references, rounded to float32 by the comparison. */
export const REF: Record<MathName, (x: number) => number> = {
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
};

// The bound each function is held to, in float32 ulps of the expected value (measured: 1 ulp for exp, expm1 and
// log, 2 for sigmoid, tanh and softplus; the inputs are seeded, so these are fixed numbers, not a distribution).
export const BOUND: Record<MathName, number> = { exp: 2, expm1: 2, log: 2, sigmoid: 3, tanh: 3, softplus: 3 };
// Where the expected result is a float32 denormal: |got - want| <= 4 * 2^-149, i.e. 4 steps of the ordering below.
export const DENORMAL_ABS_ULPS = 4;
export const MIN_NORMAL = 2 ** -126;

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
export const SPECIAL: number[] = [
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
export function randomInputs(name: MathName, seed: number): number[] {
  const extra: Record<MathName, number[]> = {
    exp: uniform(50_000, -105, 90, seed + 1),
    expm1: [...uniform(25_000, -20, 20, seed + 1), ...uniform(25_000, -1, 1, seed + 2)],
    log: [...positiveBits(50_000, seed + 1), ...uniform(25_000, 0.5, 2, seed + 2)],
    sigmoid: uniform(50_000, -110, 110, seed + 1),
    tanh: [...uniform(25_000, -10, 10, seed + 1), ...uniform(25_000, -1, 1, seed + 2)],
    softplus: uniform(50_000, -110, 110, seed + 1),
  };
  return [...magnitudes(50_000, seed), ...extra[name]];
}

export interface Report { max: number; at: number; got: number; want: number; failures: { x: number; got: number; want: number; err: number }[] }

/** Max ulp error of name over xs; failures are inputs past the bound (denormal results judged by DENORMAL_ABS_ULPS). */
export function measure(name: MathName, inputs: number[], run: (xs: Float32Array) => Float32Array): Report {
  const xs = Float32Array.from(inputs);
  const got = run(xs);
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

/** Exact results at special values (Object.is: -0 and +0 differ). */
export const SPECIAL_CASES: [MathName, number, number][] = [
  ['exp', NaN, NaN], ['exp', Infinity, Infinity], ['exp', -Infinity, 0], ['exp', 0, 1], ['exp', -0, 1],
  ['exp', 89, Infinity], ['exp', 88.72283935546875, Infinity], ['exp', 88.72283172607422, Math.exp(88.72283172607422)], ['exp', -104, 0],
  ['exp', 1e30, Infinity], ['exp', -1e30, 0], ['exp', -103.27892303466797, 2 ** -149],
  ['expm1', NaN, NaN], ['expm1', Infinity, Infinity], ['expm1', -Infinity, -1], ['expm1', 0, 0], ['expm1', 1e-30, 1e-30],
  ['expm1', -1e-40, -1e-40], ['expm1', -100, -1],
  ['log', 0, -Infinity], ['log', -0, -Infinity], ['log', -1, NaN], ['log', -1e-45, NaN], ['log', -Infinity, NaN],
  ['log', Infinity, Infinity], ['log', NaN, NaN], ['log', 1, 0], ['log', 2 ** -149, -149 * Math.LN2], ['log', 2 ** 127, 127 * Math.LN2],
  ['sigmoid', Infinity, 1], ['sigmoid', -Infinity, 0], ['sigmoid', NaN, NaN], ['sigmoid', 0, 0.5], ['sigmoid', -0, 0.5],
  ['sigmoid', 1e30, 1], ['sigmoid', -1e30, 0],
  ['tanh', 0, 0], ['tanh', -0, -0], ['tanh', Infinity, 1], ['tanh', -Infinity, -1], ['tanh', NaN, NaN],
  ['tanh', 1e-45, 1e-45], ['tanh', -1e-45, -1e-45], ['tanh', 1e-30, 1e-30], ['tanh', -1e-20, -1e-20], ['tanh', 20, 1], ['tanh', -20, -1],
  ['softplus', Infinity, Infinity], ['softplus', -Infinity, 0], ['softplus', NaN, NaN], ['softplus', 0, Math.LN2],
  ['softplus', 1e30, 1e30], ['softplus', -1e30, 0], ['softplus', 200, 200],
];
