// The native backend's vector math (compiler/codegen/c/math.ts) against float64 Math rounded to float32, with the
// wasm library's bounds and special values (test/helpers/math-accuracy.ts): the machine's own width (AVX-512
// here: its max, min and vscalefps path) and, on x86, the AVX2 build of the same source (the generic path).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cPrelude } from '../../compiler/codegen/c/prelude.js';
import { compileLibrary, findToolchain, type Toolchain } from '../../runtime/native/toolchain.js';
import { loadLibrary } from '../../runtime/native/library.js';
import { describeWith } from '../helpers/component.js';
import { BOUND, MATH_NAMES, measure, randomInputs, SPECIAL, SPECIAL_CASES, type MathName } from '../helpers/math-accuracy.js';

const toolchain = await findToolchain();
const missing = typeof toolchain === 'string' ? toolchain : null;

/** y = f(x) over n floats: whole vectors, then the tail through a partial vector. */
const wrapper = (name: MathName) => `
EXPORT void m_${name}(const float *x, float *y, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) ST(y + i, cf_${name}(LD(x + i)));
  if (i < n) STP(y + i, cf_${name}(LDP(x + i, n - i)), n - i);
}`;

type Run = (x: Float32Array, y: Float32Array, n: number) => void;

const builds: { label: string; flags: string[] }[] = [
  { label: 'native width', flags: [] },
  ...(process.arch === 'x64' ? [{ label: 'AVX2 (-mno-avx512f)', flags: ['-mno-avx512f'] }] : []),
];

describeWith('C compiler', missing, 'native math', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-math-'));
  const libs = new Map<string, { width: number; fns: Record<MathName, Run> }>();
  beforeAll(async () => {
    const tc = toolchain as Toolchain;
    for (const b of builds) {
      const out = join(dir, `math-${libs.size}.so`);
      await compileLibrary({ ...tc, flags: [...tc.flags, ...b.flags] }, `${cPrelude}\n${MATH_NAMES.map(wrapper).join('\n')}\n`, out);
      const lib = loadLibrary(out);
      const fns = Object.fromEntries(MATH_NAMES.map((m) => [m, lib.func(`void m_${m}(const float *x, _Out_ float *y, int n)`) as Run])) as Record<MathName, Run>;
      libs.set(b.label, { width: (lib.func('int cf_vector_width(void)') as () => number)(), fns });
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (label: string, name: MathName) => (xs: Float32Array) => {
    const y = new Float32Array(xs.length);
    libs.get(label)!.fns[name](xs, y, xs.length);
    return y;
  };

  describe.each(builds.map((b) => b.label))('%s', (label) => {
    it('has the width of its build', () => {
      if (label === 'native width') expect([4, 8, 16]).toContain(libs.get(label)!.width);
      else expect(libs.get(label)!.width).toBe(8);
    });
    it.each(MATH_NAMES.map((name, k) => [name, BOUND[name], k] as const))('%s within %d ulp (denormal results within 4 * 2^-149)', (name, _bound, k) => {
      const inputs = [...randomInputs(name, 0x5eed + 1000 * k), ...SPECIAL];
      const r = measure(name, inputs, run(label, name));
      console.log(`native ${label} ${name}: max error ${r.max} ulp at x = ${r.at} (got ${r.got}, want ${r.want}) over ${inputs.length} inputs`);
      expect(r.failures).toEqual([]);
    });
    it.each(SPECIAL_CASES)('%s(%d) = %d', (name, x, want) => {
      // one lane and a full vector of the same value: the tail path and the vector path
      for (const n of [1, 16]) {
        const got = run(label, name)(new Float32Array(n).fill(x));
        for (const g of got) {
          if (Number.isNaN(want)) expect(g).toBeNaN();
          else expect(Object.is(g, Math.fround(want)), `got ${g} (n = ${n})`).toBe(true);
        }
      }
    });
  });
});
