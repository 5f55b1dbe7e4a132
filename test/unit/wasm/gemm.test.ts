// The wasm backend's GEMM (compiler/codegen/wasm/gemm.ts) and its worker pool (runtime/wasm/pool.ts) against
// a float64 triple loop.
//
// Tolerance: per element |got − want| ≤ 1e-6·(K + 1)·(Σ_k |A[m,k]·B[k,n]| + acc·|C0[m,n]|) + 1e-30, with want
// computed in float64 from the same float32 inputs. A float32 sum of K + 1 terms is off by at most about
// K·2^-24 relative to that magnitude sum (1e-6·K is ~17× looser; FMA and mul+add both stay well inside).
import { afterAll, describe, expect, it } from 'vitest';
import { assembleWat, relaxedSimd } from '../../../compiler/codegen/wasm/assemble.js';
import { gemmModuleWat, gemmWat, packB, packedFloats, PANEL, type GemmOptions } from '../../../compiler/codegen/wasm/gemm.js';
import { WorkerPool, defaultThreads, gemmModule } from '../../../runtime/wasm/pool.js';

type GemmFn = (M: number, N: number, K: number, a: number, lda: number, bp: number, c: number, ldc: number, acc: number) => void;

const hasFma = relaxedSimd();
const variants = hasFma ? [true, false] : [false];

/** Deterministic pseudo-random floats in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
}

const SENTINEL = 12345.5;

interface Case {
  M: number;
  N: number;
  K: number;
  acc: boolean;
  /** extra A columns (filled with NaN: reading them would poison the result) and extra C columns (sentinel) */
  padA: number;
  padC: number;
  seed: number;
}

/** Lays a case out in `mem` (floats), runs `run`, checks C, the sentinels and the untouched A and B. */
function checkCase(mem: Float32Array, run: (M: number, N: number, K: number, a: number, lda: number, bp: number, c: number, ldc: number, acc: number) => void, cs: Case): Float32Array {
  const { M, N, K, acc, padA, padC } = cs;
  const r = rng(cs.seed);
  const lda = K + padA;
  const ldc = N + padC;
  const aOff = 16;
  const bOff = aOff + M * lda + 16;
  const bFloats = packedFloats(K, N);
  const cOff = bOff + bFloats + 32;
  const end = cOff + M * ldc + 64;
  if (end > mem.length) throw new Error('test memory too small');
  mem.fill(NaN, 0, end);
  const A = new Float32Array(M * K);
  const B = new Float32Array(K * N);
  for (let i = 0; i < A.length; i++) A[i] = r();
  for (let i = 0; i < B.length; i++) B[i] = r();
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) mem[aOff + m * lda + k] = A[m * K + k]!;
  packB(mem, bOff, B, 0, K, N, N, 1);
  // C: the M×N block random (what acc adds to), the padding columns and the rows after it a sentinel
  mem.fill(SENTINEL, cOff - 16, end);
  const C0 = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) mem[cOff + m * ldc + n] = C0[m * N + n] = r();
  run(M, N, K, aOff * 4, lda, bOff * 4, cOff * 4, ldc, acc ? 1 : 0);
  const out = new Float32Array(M * N);
  const bad: string[] = [];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let want = acc ? C0[m * N + n]! : 0;
      let mag = acc ? Math.abs(want) : 0;
      for (let k = 0; k < K; k++) {
        const p = A[m * K + k]! * B[k * N + n]!;
        want += p;
        mag += Math.abs(p);
      }
      const got = mem[cOff + m * ldc + n]!;
      out[m * N + n] = got;
      if (!(Math.abs(got - want) <= 1e-6 * (K + 1) * mag + 1e-30)) bad.push(`C[${m},${n}] = ${got}, want ${want}`);
    }
    for (let n = N; n < ldc; n++) if (mem[cOff + m * ldc + n] !== SENTINEL) bad.push(`padding C[${m},${n}] overwritten`);
  }
  for (let i = cOff - 16; i < cOff; i++) if (mem[i] !== SENTINEL) bad.push(`before C[${i - cOff}] overwritten`);
  for (let i = cOff + M * ldc; i < end; i++) if (mem[i] !== SENTINEL) bad.push(`after C[+${i - cOff - M * ldc}] overwritten`);
  expect(bad.slice(0, 5), `${JSON.stringify(cs)}: ${bad.length} problems`).toEqual([]);
  return out;
}

async function instance(fma: boolean, memory: WebAssembly.Memory, opts?: GemmOptions): Promise<GemmFn> {
  const module = opts ? await WebAssembly.compile(await assembleWat(gemmModuleWat(fma, opts))) : await gemmModule(fma);
  const inst = await WebAssembly.instantiate(module, { env: { memory } });
  return inst.exports.gemm as GemmFn;
}

function sharedMemory(pages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
}

/** Every M, N in 0..13 with a third of the K in 0..13 (each K meets every M and every N). */
function smallCases(seed: number): Case[] {
  const cases: Case[] = [];
  for (let M = 0; M <= 13; M++) {
    for (let N = 0; N <= 13; N++) {
      for (let K = 0; K <= 13; K++) {
        if ((M + N + K) % 3 !== seed % 3) continue;
        cases.push({ M, N, K, acc: (M * 7 + N * 3 + K) % 2 === 1, padA: (M + K) % 4, padC: (N % 3) + 1, seed: seed * 100_000 + M * 1000 + N * 20 + K });
      }
    }
  }
  return cases;
}

const LARGE: [number, number, number][] = [
  [70, 45, 33],
  [1, 128, 32],
  // one row: groups of four full panels, then a full and a partial panel one by one
  [1, 45, 17],
  [1, 32, 1],
  [64, 512, 128],
];

describe('packB', () => {
  it('packs a row-major [K,N] matrix (strideK = N, strideN = 1) into zero-padded panels of 8', () => {
    for (const [K, N] of [[3, 8], [5, 13], [1, 1], [4, 17], [0, 5], [6, 0]] as const) {
      const src = Float64Array.from({ length: 3 + K * N }, (_, i) => i * 0.5 - 7);
      const dst = new Float32Array(5 + packedFloats(K, N) + 4).fill(NaN);
      packB(dst, 5, src, 3, K, N, N, 1);
      expect(packedFloats(K, N)).toBe(Math.ceil(N / PANEL) * PANEL * K);
      for (let p = 0; p < Math.ceil(N / 8); p++) {
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < 8; j++) {
            const n = p * 8 + j;
            expect(dst[5 + (p * K + k) * 8 + j]).toBe(n < N ? Math.fround(src[3 + k * N + n]!) : 0);
          }
        }
      }
      expect(Array.from(dst.subarray(0, 5)).every(Number.isNaN)).toBe(true);
      expect(Array.from(dst.subarray(5 + packedFloats(K, N))).every(Number.isNaN)).toBe(true);
    }
  });

  it('packs the transpose of a row-major [N,K] matrix W (strideK = 1, strideN = K)', () => {
    for (const [K, N] of [[3, 8], [7, 13], [1, 9], [16, 24]] as const) {
      const W = Float32Array.from({ length: 2 + N * K }, (_, i) => Math.sin(i));
      const dst = new Float32Array(packedFloats(K, N)).fill(NaN);
      packB(dst, 0, W, 2, K, N, 1, K);
      for (let k = 0; k < K; k++) for (let n = 0; n < Math.ceil(N / 8) * 8; n++) expect(dst[(Math.floor(n / 8) * K + k) * 8 + (n % 8)]).toBe(n < N ? W[2 + n * K + k] : 0);
    }
  });

  it('packs any other strides (a strided view)', () => {
    const K = 5;
    const N = 11;
    const src = Float32Array.from({ length: 400 }, (_, i) => i);
    const dst = new Float32Array(packedFloats(K, N));
    packB(dst, 0, src, 1, K, N, 30, 2);
    for (let k = 0; k < K; k++) for (let n = 0; n < 16; n++) expect(dst[(Math.floor(n / 8) * K + k) * 8 + (n % 8)]).toBe(n < N ? src[1 + k * 30 + n * 2] : 0);
  });
});

describe('gemmWat', () => {
  it('is function definitions only, helpers prefixed $gemm_, splicable into another module', async () => {
    for (const fma of variants) {
      const wat = gemmWat(fma);
      expect(wat).not.toContain('(module');
      expect(wat).toContain('(func $gemm (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $lda i32) (param $bp i32) (param $c i32) (param $ldc i32) (param $acc i32)');
      const names = [...wat.matchAll(/\(func (\$[\w.]+)/g)].map((m) => m[1]!);
      expect(names.filter((n) => n !== '$gemm' && !n.startsWith('$gemm_'))).toEqual([]);
      expect(fma ? wat.includes('relaxed_madd') : !wat.includes('relaxed')).toBe(true);
      // spliced next to other code: a wrapper that calls $gemm
      const text = `(module (import "env" "memory" (memory 1 65536 shared))
        (func $other (result i32) (i32.const 7))
        ${wat}
        (func (export "mm") (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
          (call $gemm (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8))))`;
      const memory = sharedMemory(4);
      const inst = await WebAssembly.instantiate(await WebAssembly.compile(await assembleWat(text)), { env: { memory } });
      checkCase(new Float32Array(memory.buffer), inst.exports.mm as GemmFn, { M: 7, N: 10, K: 5, acc: true, padA: 1, padC: 2, seed: 9 });
    }
  });
});

describe.each(variants.map((fma) => ({ fma, name: fma ? 'relaxed_madd' : 'mul+add' })))('gemm ($name)', ({ fma }) => {
  it('matches the float64 loop for every M, N in 0..13 against a third of K in 0..13, with lda > K, ldc > N, acc on/off', async () => {
    const memory = sharedMemory(4);
    const gemm = await instance(fma, memory);
    const mem = new Float32Array(memory.buffer);
    for (const cs of smallCases(fma ? 1 : 2)) checkCase(mem, gemm, cs);
  });

  it('matches on larger shapes (70×45×33, 1×128×32, 1×45×17, 1×32×1, 64×512×128), both acc modes', async () => {
    const memory = sharedMemory(32);
    const gemm = await instance(fma, memory);
    const mem = new Float32Array(memory.buffer);
    for (const [M, N, K] of LARGE) for (const acc of [false, true]) checkCase(mem, gemm, { M, N, K, acc, padA: 3, padC: 5, seed: M + N + K + (acc ? 1 : 0) });
  });

  it('matches with the tuning knobs on (K blocks of 3 that accumulate, M chunks, other row blocks)', async () => {
    const memory = sharedMemory(8);
    const mem = new Float32Array(memory.buffer);
    for (const opts of [{ kc: 3 }, { mc: 12 }, { mc: 5, kc: 4 }, { rows: 3 }, { rows: 1 }] as GemmOptions[]) {
      const gemm = await instance(fma, memory, opts);
      for (const cs of smallCases(3).filter((_, i) => i % 7 === 0)) checkCase(mem, gemm, cs);
      checkCase(mem, gemm, { M: 70, N: 45, K: 33, acc: true, padA: 2, padC: 1, seed: 4 });
    }
  });
});

describe('WorkerPool', () => {
  const pools: WorkerPool[] = [];
  afterAll(() => {
    for (const p of pools) p.dispose();
  });
  async function pool(memory: WebAssembly.Memory, threads: number, opts?: Parameters<typeof WorkerPool.create>[2]): Promise<WorkerPool> {
    const p = await WorkerPool.create(memory, threads, opts);
    pools.push(p);
    return p;
  }

  it('defaultThreads is the parallelism the OS offers', () => {
    expect(defaultThreads()).toBeGreaterThanOrEqual(1);
  });

  it.each(variants)('2 threads give bit-identical results to 1 thread, split by rows and by panels (fma %s)', async (fma) => {
    const memory = sharedMemory(32);
    const mem = new Float32Array(memory.buffer);
    const one = await pool(memory, 1, { fma });
    const two = await pool(memory, 2, { fma, minSplitWork: 0 });
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    const shapes: [number, number, number][] = [
      [200, 16, 20], // rows: 34 row tiles vs 2 panels
      [5, 300, 17], // panels: 1 row tile vs 38 panels
      [13, 13, 13],
      [1, 9, 4],
      [...LARGE[0]!],
      [...LARGE[2]!],
    ];
    for (const [M, N, K] of shapes) {
      for (const acc of [false, true]) {
        const cs: Case = { M, N, K, acc, padA: 2, padC: 3, seed: M * 31 + N * 7 + K };
        const a = checkCase(mem, (...args) => one.gemm(...args), cs);
        const before = two.splitCount;
        const b = checkCase(mem, (...args) => two.gemm(...args), cs);
        if (M * N * K > 0 && Math.max(Math.ceil(M / (fma ? 6 : 5)), Math.ceil(N / 8)) > 1) expect(two.splitCount).toBe(before + 1);
        expect(Array.from(b)).toEqual(Array.from(a));
      }
    }
    expect(one.splitCount).toBe(0);
  });

  it('runs small products (a per-step 1×128×32) on the calling thread only, splits big ones', async () => {
    const memory = sharedMemory(32);
    const mem = new Float32Array(memory.buffer);
    const p = await pool(memory, 2);
    checkCase(mem, (...args) => p.gemm(...args), { M: 1, N: 128, K: 32, acc: true, padA: 0, padC: 0, seed: 1 });
    checkCase(mem, (...args) => p.gemm(...args), { M: 64, N: 512, K: 128, acc: false, padA: 0, padC: 0, seed: 2 });
    expect(p.splitCount).toBe(1);
  });

  it('reports a worker that traps instead of hanging, and stays usable', async () => {
    const memory = sharedMemory(2); // 128 KiB
    const mem = new Float32Array(memory.buffer);
    const p = await pool(memory, 2, { minSplitWork: 0 });
    // 60 rows of C with ldc = 1000 floats run past the end of memory: the second half (the worker's rows) traps
    expect(() => p.gemm(60, 8, 4, 0, 4, 4096, 8192, 1000, 0)).toThrow(/WorkerPool: worker 0: .*out of bounds/);
    // the caller's own share trapping: its error, after the workers are done
    expect(() => p.gemm(60, 8, 4, 0, 4, 4096, 200_000, 1000, 0)).toThrow(/out of bounds/);
    checkCase(mem, (...args) => p.gemm(...args), { M: 30, N: 20, K: 10, acc: true, padA: 1, padC: 1, seed: 3 });
  });

  it('throws, not hangs, once a worker has died', async () => {
    const memory = sharedMemory(2);
    const p = await pool(memory, 2, { minSplitWork: 0 });
    const worker = (p as unknown as { workers: import('node:worker_threads').Worker[] }).workers[0]!;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => setImmediate(resolve));
      void worker.terminate();
    });
    expect(() => p.gemm(12, 16, 4, 0, 4, 1024, 4096, 16, 0)).toThrow(/worker 0 exited/);
  });

  it('throws after dispose', async () => {
    const memory = sharedMemory(2);
    const p = await WorkerPool.create(memory, 2);
    p.dispose();
    expect(() => p.gemm(1, 8, 1, 0, 1, 64, 128, 8, 0)).toThrow(/dispose/);
  });

  it('rejects an unshared memory and a bad thread count', async () => {
    await expect(WorkerPool.create(new WebAssembly.Memory({ initial: 1 }), 1)).rejects.toThrow(/shared/);
    await expect(WorkerPool.create(sharedMemory(1), 0)).rejects.toThrow(/threads/);
  });
});
