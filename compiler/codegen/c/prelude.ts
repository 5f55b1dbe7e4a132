// The fixed part of every generated C library: vector types at the machine's width (chosen by the C compiler
// from -march), lane-wise math, the packed GEMM and the row sums. No text from the user's cell reaches it.
//
// Determinism: the library is compiled with -ffp-contract=off, so every multiply-add is the one written here.
// Each element of a product is one chain of fused multiply-adds over k in order, started from zero and added to
// C once, whichever tile, thread or row tail computes it; so results do not depend on the thread count.
// Math: a port of the wasm backend's polynomials (compiler/codegen/wasm/math.ts): within a few float32 ulps,
// with IEEE behaviour at 0, ±inf, NaN and denormals.
import { cMathSource } from './math.js';
import { cGemmSource } from './gemm.js';
import { cTeamSource } from './team.js';

// Parts: a cell's library compiles as two translation units at once (toolchain.ts), the same source with
// CF_PART=1 (the forward, the exported helpers, the globals and some of the backward's phase functions: CROSS)
// and CF_PART=2 (the rest of the backward, which declares the globals extern); without CF_PART one unit holds
// everything (the GEMM-only library, --emit c).
export const cPrelude = `#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__GNUC__) && !defined(__clang__) && (defined(__AVX512F__) || defined(__AVX__))
/* GCC on x86: its own vector builtins, which the intrinsics wrap (immintrin.h alone takes 0.25 s to parse, a
   third of a cell's compile). */
#if defined(__AVX512F__)
#define VW 16
#define VFMA(a, b, c) ((vf)__builtin_ia32_vfmaddps512_mask((a), (b), (c), (unsigned short)-1, 4))
#define VSQRT(x) ((vf)__builtin_ia32_sqrtps512_mask((x), (x), (unsigned short)-1, 4))
#else
#define VW 8
#define VSQRT(x) ((vf)__builtin_ia32_sqrtps256(x))
#if defined(__FMA__)
#define VFMA(a, b, c) ((vf)__builtin_ia32_vfmaddps256((a), (b), (c)))
#endif
#endif
/* x - (+0) is x for every float (-0 included): a broadcast */
#define SPLAT(x) ((float)(x) - (vf){0})
#elif defined(__AVX512F__)
#include <immintrin.h>
#define VW 16
#define VFMA(a, b, c) ((vf)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define SPLAT(x) ((vf)_mm512_set1_ps(x))
#define VSQRT(x) ((vf)_mm512_sqrt_ps((__m512)(x)))
#elif defined(__AVX__)
#include <immintrin.h>
#define VW 8
#define SPLAT(x) ((vf)_mm256_set1_ps(x))
#define VSQRT(x) ((vf)_mm256_sqrt_ps((__m256)(x)))
#if defined(__FMA__)
#define VFMA(a, b, c) ((vf)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#endif
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#define VW 4
#define SPLAT(x) ((vf)vdupq_n_f32(x))
#if defined(__ARM_FEATURE_FMA)
#define VFMA(a, b, c) ((vf)vfmaq_f32((float32x4_t)(c), (float32x4_t)(a), (float32x4_t)(b)))
#endif
#else
#define VW 4
#define SPLAT(x) ((vf){(x), (x), (x), (x)})
#endif
#if defined(__aarch64__) && !defined(VSQRT)
#define VSQRT(x) ((vf)vsqrtq_f32((float32x4_t)(x)))
#endif
#ifndef VFMA
#define VFMA(a, b, c) ((a) * (b) + (c))
#endif
#define EXPORT __attribute__((visibility("default")))
/* A function defined in one part and called from the other (program.ts balances the parts' sizes). */
#ifdef CF_PART
#define CROSS
#else
#define CROSS static
#endif
typedef float vf __attribute__((vector_size(VW * 4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4), may_alias));
static inline vf K(float c) { return SPLAT(c); }
static inline vf LD(const float *p) { return *(const vfu *)p; }
static inline void ST(float *p, vf v) { *(vfu *)p = v; }
static inline vf LDP(const float *p, int n) { vf v = {0}; memcpy(&v, p, (size_t)n * 4); return v; }
static inline void STP(float *p, vf v, int n) { memcpy(p, &v, (size_t)n * 4); }
static inline vf SEL(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }
${cMathSource}
${cGemmSource}
${cTeamSource}
/* Large arrays of the caller's that the library writes first (the output, the input gradient) are often fresh
   memory: 4 KiB pages faulted in one by one cost ~5 us each on a VM (25 MB: 30 ms). Where the kernel offers
   transparent huge pages on request, ask for them over the array's whole 2 MiB blocks before the first write. */
#if defined(__linux__)
#include <sys/mman.h>
static void huge_pages(void *p, size_t bytes) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (bytes < 4 * huge) return;
  const uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (e > a) madvise((void *)a, e - a, MADV_HUGEPAGE);
}
#else
static void huge_pages(void *p, size_t bytes) { (void)p; (void)bytes; }
#endif
/* dst[i] += sum over rows r in order of src[r*cols + i] */
static void sum_rows(const float *src, long rows, int cols, float *dst) {
  for (long r = 0; r < rows; r++) {
    int i = 0;
    for (; i + VW <= cols; i += VW) ST(dst + i, LD(dst + i) + LD(src + r * cols + i));
    for (; i < cols; i++) dst[i] += src[r * cols + i];
  }
}
#if CF_PART != 2
EXPORT int cf_vector_width(void) { return VW; }
/* Floats from p to the next 64-byte boundary: the runtime starts its blocks there (their regions are 16-float
   aligned within a block), so that no vector access straddles two cache lines. */
EXPORT int cf_align_floats(const float *p) { return (int)((64 - (uintptr_t)p % 64) % 64 / 4); }
EXPORT int cf_max_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
#endif
`;
