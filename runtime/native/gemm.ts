// The native backend's matrix product on its own (the library prelude alone): for the benchmark's GEMM row.
import { cPrelude } from '../../compiler/codegen/c/prelude.js';
import { cachedLibrary } from './cache.js';
import { loadLibrary, requireToolchain } from './library.js';

export interface NativeGemm {
  /** Floats per vector; the packed B has panels of 2 vectors. */
  readonly vectorWidth: number;
  /** C[M, N] (+)= A·B: A(m, k) = A[m·ars + k·aks], B packed by `pack`. */
  gemm(M: number, N: number, K: number, A: Float32Array, ars: number, aks: number, Bp: Float32Array, C: Float32Array, ldc: number, accumulate: number, threads: number): void;
  /** Packs B(k, n) = src[k·sk + n·sn] ([K, N]) into dst. */
  pack(dst: Float32Array, src: Float32Array, K: number, N: number, sk: number, sn: number): void;
}

let loaded: Promise<NativeGemm> | undefined;

export function nativeGemm(): Promise<NativeGemm> {
  return (loaded ??= (async () => {
    const tc = await requireToolchain();
    const lib = loadLibrary((await cachedLibrary(tc, cPrelude)).path);
    return {
      vectorWidth: (lib.func('int cf_vector_width(void)') as () => number)(),
      gemm: lib.func('void cf_gemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t ars, int64_t aks, const float *Bp, float *C, int64_t ldc, int accumulate, int nt)'),
      pack: lib.func('void cf_pack(float *dst, const float *src, int64_t K, int64_t N, int64_t sk, int64_t sn)'),
    };
  })());
}
