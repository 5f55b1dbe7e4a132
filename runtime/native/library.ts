// A cell's native library for one (X, H): generated C, compiled (or found in the disk cache), loaded with koffi.
import koffi from 'koffi';
import type { CompiledCell } from '../../compiler/compiled-cell.js';
import { cProgram, type CProgram } from '../../compiler/codegen/c/program.js';
import { safeLabel } from '../../compiler/codegen/shared/names.js';
import { CellforgeError } from '../../ir/errors.js';
import type { Dims } from '../../ir/shape.js';
import { cachedLibrary } from './cache.js';
import { findToolchain, INSTALL_HINT, type Toolchain } from './toolchain.js';

type Fn<A extends unknown[], R = void> = (...args: A) => R;
/** (W, M, L, x, out, gout, dx, T, B, rev, keep or truncate, threads): x, out, gout, dx are the caller's arrays
 * (null where the call does not use one). */
type Run = Fn<[Float32Array, Float32Array, BigInt64Array, Float32Array, Float32Array | null, Float32Array | null, Float32Array | null, number, number, number, number, number]>;

export interface NativeLibrary {
  readonly program: CProgram;
  /** Floats per vector (16: AVX-512, 8: AVX2, 4: NEON/SSE) and the GEMM panel width NR = 2 vectors. */
  readonly vectorWidth: number;
  readonly NR: number;
  readonly openmp: boolean;
  /** Milliseconds spent compiling this library (0 when it came from the disk cache). */
  readonly compileMs: number;
  forward: Run;
  backward: Run;
  pack: Fn<[Float32Array, Float32Array, number, number, number, number]>;
  /** Floats from the start of the array to its first 64-byte boundary. */
  alignFloats: (a: Float32Array) => number;
  /** Sets the smallest loop or product (multiply-adds) shared over threads (DEFAULT_SHARE_FROM unless a test says). */
  shareFrom: (n: number) => void;
  /** How the latest time loop was run: its threads (1 when it was too small to share) and whether they split the
   * examples only (small weights, many examples), each step by units (a forward whose phases are unit by unit), or
   * (neither) each step's products by panels and its fused loops by examples. */
  lastTeam: () => { threads: number; byExamples: boolean; byUnits: boolean };
}

/** Compile times of this process, for --verbose and the benchmark. */
export const compileLog: { cell: string; X: number; H: number; ms: number; cached: boolean }[] = [];

/** The smallest time loop or product (multiply-adds) that the library shares over its threads: 2²³ (the C's
 * par_min, compiler/codegen/c/gemm.ts, where it is measured). */
export const DEFAULT_SHARE_FROM = 2 ** 23;

const libraries = new WeakMap<CompiledCell, Map<string, Promise<NativeLibrary>>>();

/** The toolchain, or a user error with what to install. */
export async function requireToolchain(): Promise<Toolchain> {
  const tc = await findToolchain();
  if (typeof tc === 'string') throw new CellforgeError(`backend native: ${tc}`, undefined, INSTALL_HINT);
  return tc;
}

/** koffi.load, with OpenMP's threads set to sleep when idle (unless the user chose otherwise). */
export function loadLibrary(path: string): ReturnType<typeof koffi.load> {
  // libgomp reads this when the first library loads. A spinning thread takes a core from the caller's own thread
  // between calls, and on a shared or loaded machine a descheduled spinner stalls every barrier: measured here
  // (2 cores, loaded), 2 threads ran an LSTM forward 4-30x faster sleeping than spinning.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  return koffi.load(path);
}

export function nativeLibrary(cell: CompiledCell, dims: Dims): Promise<NativeLibrary> {
  let perCell = libraries.get(cell);
  if (!perCell) libraries.set(cell, (perCell = new Map()));
  const key = `${dims.X}x${dims.H}`;
  let hit = perCell.get(key);
  if (!hit) {
    hit = load(cell, dims);
    perCell.set(key, hit);
    hit.catch(() => perCell!.delete(key));
  }
  return hit;
}

async function load(cell: CompiledCell, dims: Dims): Promise<NativeLibrary> {
  const tc = await requireToolchain();
  const program = cProgram(cell, dims);
  const { path, compileMs } = await cachedLibrary(tc, program.source, program.parts);
  compileLog.push({ cell: cell.name, X: dims.X, H: dims.H, ms: compileMs, cached: compileMs === 0 });
  if (process.env.CELLFORGE_VERBOSE) process.stderr.write(`cellforge: native ${safeLabel(cell.name)} X=${dims.X} H=${dims.H}: ${compileMs ? `compiled in ${compileMs.toFixed(0)} ms` : 'from the cache'} (${tc.cc})\n`);
  const lib = loadLibrary(path);
  const vectorWidth = (lib.func('int cf_vector_width(void)') as () => number)();
  const lastTeam = lib.func('int cf_last_team(void)') as () => number;
  const gemmArgs = 'const float *W, float *M, const int64_t *L, const float *x, float *out, const float *gout, float *dx, int T, int B, int rev, int flag, int nt';
  return {
    program,
    vectorWidth,
    NR: 2 * vectorWidth,
    openmp: tc.openmp,
    compileMs,
    forward: lib.func(`void cf_forward(${gemmArgs})`) as Run,
    backward: lib.func(`void cf_backward(${gemmArgs})`) as Run,
    pack: lib.func('void cf_pack(float *dst, const float *src, int64_t K, int64_t N, int64_t sk, int64_t sn)'),
    alignFloats: lib.func('int cf_align_floats(const float *p)') as (a: Float32Array) => number,
    shareFrom: lib.func('void cf_share_from(int64_t n)') as (n: number) => void,
    lastTeam: () => {
      const n = lastTeam();
      return { threads: n >> 2, byExamples: (n & 3) === 1, byUnits: (n & 3) === 2 };
    },
  };
}
