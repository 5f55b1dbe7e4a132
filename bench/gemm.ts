// GFLOP/s of the wasm backend's GEMM (compiler/codegen/wasm/gemm.ts through runtime/wasm/pool.ts) on a square
// product, and, for comparison, onnxruntime-node's MatMul. Run directly: `npx tsx bench/gemm.ts [size]`.
import { pathToFileURL } from 'node:url';
import { relaxedSimd } from '../compiler/codegen/wasm/assemble.js';
import { packB, packedFloats } from '../compiler/codegen/wasm/gemm.js';
import { defaultThreads, WorkerPool } from '../runtime/wasm/pool.js';
import { median } from './stats.js';

/** Untimed products before timing. */
const WARMUP = 10;

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** GFLOP/s of a size³ product `run`: the median of `repeats` timed calls after WARMUP untimed ones. */
function gflops(size: number, repeats: number, run: () => void): number {
  for (let i = 0; i < WARMUP; i++) run();
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    run();
    ms.push(performance.now() - t);
  }
  return (2 * size ** 3) / median(ms) / 1e6;
}

/**
 * GFLOP/s (2·size³ per product) of C = A·B at size×size×size on `threads` threads, the median of `repeats`
 * timed products after WARMUP untimed ones (V8 runs new wasm code in its baseline compiler first).
 */
export async function gemmGflops(opts: { size: number; threads: number; fma: boolean; repeats?: number }): Promise<number> {
  const { size: S, threads, fma } = opts;
  const repeats = opts.repeats ?? 9;
  const floats = S * S + packedFloats(S, S) + S * S + 64;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((floats * 4) / 65536) + 1, maximum: 65536, shared: true });
  const mem = new Float32Array(memory.buffer);
  const a = 16;
  const b = a + S * S;
  const c = b + packedFloats(S, S);
  mem.set(random(S * S, 1), a);
  packB(mem, b, random(S * S, 2), 0, S, S, S, 1);
  const pool = await WorkerPool.create(memory, threads, { fma });
  try {
    // Workers compile their module in V8's baseline tier first and swap in optimised code only after a few calls.
    return gflops(S, repeats, () => pool.gemm(S, S, S, a * 4, S, b * 4, c * 4, S, 0));
  } finally {
    pool.dispose();
  }
}

/** The native backend's GEMM (generated C, runtime/native/gemm.ts) at size³ on `threads` threads: GFLOP/s. */
export async function nativeGemmGflops(size: number, threads: number, repeats = 9): Promise<number> {
  const { nativeGemm } = await import('../runtime/native/gemm.js');
  const g = await nativeGemm();
  const S = size;
  const NR = 2 * g.vectorWidth;
  const A = random(S * S, 1);
  const Bp = new Float32Array(Math.ceil(S / NR) * NR * S);
  g.pack(Bp, random(S * S, 2), S, S, S, 1);
  const C = new Float32Array(S * S);
  return gflops(S, repeats, () => g.gemm(S, S, S, A, S, 1, Bp, C, S, 0, threads));
}

/** onnxruntime-node's MatMul (a one-node model, B an initializer) at size³: GFLOP/s, median after warm-up. */
export async function ortMatMulGflops(size: number, threads: number, repeats = 9): Promise<number> {
  const ort = await import('onnxruntime-node');
  const { encodeModel, FLOAT } = await import('../test/oracle/onnx-model.js');
  const model = encodeModel({
    name: 'matmul',
    nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    initializers: [{ name: 'B', dims: [size, size], data: random(size * size, 2) }],
    inputs: [{ name: 'A', elemType: FLOAT, shape: [size, size] }],
    outputs: [{ name: 'C', elemType: FLOAT, shape: [size, size] }],
  });
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  try {
    const feeds = { A: new ort.Tensor('float32', random(size * size, 1), [size, size]) };
    for (let i = 0; i < WARMUP; i++) await session.run(feeds);
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      await session.run(feeds);
      ms.push(performance.now() - t);
    }
    return (2 * size ** 3) / median(ms) / 1e6;
  } finally {
    await session.release();
  }
}

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 512);
  const all = defaultThreads();
  const fma = relaxedSimd();
  const line = (label: string, g: number) => console.log(`${label.padEnd(36)} ${g.toFixed(1).padStart(6)} GFLOP/s`);
  console.log(`${size}×${size}×${size} f32, median of 9 after ${WARMUP} warm-up products`);
  if (fma) line('wasm 1 thread, relaxed_madd', await gemmGflops({ size, threads: 1, fma: true }));
  else console.log('wasm relaxed_madd: not available in this engine');
  line('wasm 1 thread, mul+add', await gemmGflops({ size, threads: 1, fma: false }));
  line(`wasm ${all} threads, ${fma ? 'relaxed_madd' : 'mul+add'}`, await gemmGflops({ size, threads: all, fma }));
  try {
    line('native 1 thread', await nativeGemmGflops(size, 1));
    line(`native ${all} threads`, await nativeGemmGflops(size, all));
  } catch (e) {
    console.log(`native: n/a (${(e as Error).message})`);
  }
  try {
    line('onnxruntime-node MatMul, 1 thread', await ortMatMulGflops(size, 1));
    line(`onnxruntime-node MatMul, ${all} threads`, await ortMatMulGflops(size, all));
  } catch (e) {
    console.log(`onnxruntime-node MatMul: n/a (${(e as Error).message})`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
