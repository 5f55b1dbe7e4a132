// The native backend's matrix product, as C: C (+)= A·B with B packed in panels of NR = 2 vectors of columns,
// register tiles of MR rows × NR columns (MR = 8 with AVX-512, else 6), K in blocks of KC so a panel's slice stays
// in cache, rows of A in groups of MB tiles so they stay in L2. Tiles go to OpenMP threads; every element is
// computed by the same instructions whichever thread, tile or row tail runs it (see prelude.ts), so threads
// change no bit.

export const cGemmSource = `
typedef int64_t idx;
/* The products are compiled once: GCC would otherwise clone them per constant argument at every call site,
   which made a cell's library take 1.3 s to compile instead of 0.8 (a call costs nothing beside a product). */
#if defined(__clang__)
#define NOCLONE __attribute__((noinline))
#else
#define NOCLONE __attribute__((noipa))
#endif
/* Rows per register tile: MR·NV accumulators, NV vectors of B and a broadcast fit AVX-512's 32 registers at 8
   (16 accumulators); 6 elsewhere, for AVX2's 16 registers (not yet measured on NEON, which has 32). */
#if VW == 16
#define MR 8
#else
#define MR 6
#endif
#define NV 2
#define NR (NV * VW)
/* K blocks of 1024 (a panel's slice, 128 KiB, stays in L2; a step's product of K <= 1024 is one block, with no
   second pass over C) and groups of 16 row blocks (their rows of A, 512 KiB): measured here against 384 and 32,
   2048x2048x512 on 2 threads 299-319 -> 339-369 GFLOP/s, 2048x1024x1024 316-320 -> 353-388. */
#define KC 1024
#define MB 16
/* Smallest M·N·K split over threads: ~8 M multiply-adds (~80 µs on one core), where waking a sleeping thread pays
   (tens of µs in a VM). Against 4 M, measured here alternating in one process: IndRNN B64 X28 H128 T28 forward
   0.30 -> 0.23 ms and forward+backward 0.96 -> 0.79 (its hoisted product, 6.4 M, no longer wakes a thread); the
   LSTM, GRU and MGU rows at that size, whose loops are larger, unchanged. The runtime sets it at every call
   (runtime/native/library.ts, DEFAULT_SHARE_FROM); tests lower it to split small problems (cf_share_from). */
#if CF_PART == 2
extern idx par_min;
#else
idx par_min = 1L << 23;
EXPORT void cf_share_from(idx n) { par_min = n; }
#endif
/* Floats of B [K, N] packed: ceil(N / NR) panels of K rows of NR columns. */
static inline idx packed_floats(idx K, idx N) { return ((N + NR - 1) / NR) * NR * K; }
/* Panel p holds, for each k, columns p*NR .. p*NR+NR-1 of B, where B(k, n) = src[k*sk + n*sn]; zeros past N. */
NOCLONE static void pack(float *dst, const float *src, idx K, idx N, idx sk, idx sn) {
  idx panels = (N + NR - 1) / NR;
  for (idx p = 0; p < panels; p++) {
    if (sn == 1 && (p + 1) * NR <= N) {
      /* a full panel of contiguous rows (the backward's output gradients, every step's): NV vectors a row */
      for (idx k = 0; k < K; k++)
        for (int v = 0; v < NV; v++) ST(dst + (p * K + k) * NR + v * VW, LD(src + k * sk + p * NR + v * VW));
      continue;
    }
    for (idx k = 0; k < K; k++)
      for (int i = 0; i < NR; i++) {
        idx n = p * NR + i;
        dst[(p * K + k) * NR + i] = n < N ? src[k * sk + n * sn] : 0.0f;
      }
  }
}
#if CF_PART != 2
EXPORT void cf_pack(float *dst, const float *src, idx K, idx N, idx sk, idx sn) { pack(dst, src, K, N, sk, sn); }
#endif
/* Adds (or, with set, stores) a tile's accumulators to C: nc of its NR columns. */
static inline void tile_out(float *C, idx ldc, int mr, int nc, vf acc[MR][NV], int set) {
  for (int r = 0; r < mr; r++) {
    float *c = C + r * ldc;
    if (nc == NR) {
      for (int v = 0; v < NV; v++) ST(c + v * VW, set ? acc[r][v] : LD(c + v * VW) + acc[r][v]);
    } else {
      float tmp[NR];
      for (int v = 0; v < NV; v++) ST(tmp + v * VW, acc[r][v]);
      for (int i = 0; i < nc; i++) c[i] = set ? tmp[i] : c[i] + tmp[i];
    }
  }
}
/* A full tile: MR rows, kc steps of one multiply-add per accumulator (unrolled: the accumulators live in
   registers). */
static inline void tile_full(idx kc, const float *A, idx ars, idx aks, const float *Bp, vf acc[MR][NV]) {
  vf c[MR][NV];
  for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) c[r][v] = (vf){0};
  for (idx k = 0; k < kc; k++) {
    const float *b = Bp + k * NR;
    const float *a = A + k * aks;
    const vf b0 = LD(b), b1 = LD(b + VW);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const vf x = SPLAT(a[r * ars]);
      c[r][0] = VFMA(x, b0, c[r][0]);
      c[r][1] = VFMA(x, b1, c[r][1]);
    }
  }
  for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) acc[r][v] = c[r][v];
}
/* A row tail: the same multiply-adds, mr < MR rows. */
static inline void tile_rows(int mr, idx kc, const float *A, idx ars, idx aks, const float *Bp, vf acc[MR][NV]) {
  for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) acc[r][v] = (vf){0};
  for (idx k = 0; k < kc; k++) {
    vf b0 = LD(Bp + k * NR), b1 = LD(Bp + k * NR + VW);
    for (int r = 0; r < mr; r++) {
      vf x = SPLAT(A[r * ars + k * aks]);
      acc[r][0] = VFMA(x, b0, acc[r][0]);
      acc[r][1] = VFMA(x, b1, acc[r][1]);
    }
  }
}
/* Tile t of one KC block. Tiles go in groups of MB row blocks (their rows of A, MB·MR·KC floats, stay in L2),
   within a group panel by panel (neighbouring tiles share a panel of B, which stays in L1). */
static inline void gemm_tile(idx t, idx rblocks, idx panels, idx M, idx N, idx K, idx k0, idx kc, const float *A, idx ars, idx aks, const float *Bp, float *C, idx ldc, int set) {
  const idx g = t / (MB * panels), rows = rblocks - g * MB < MB ? rblocks - g * MB : MB, w = t - g * MB * panels;
  const idx p = w / rows, m0 = (g * MB + w % rows) * MR;
  int mr = M - m0 < MR ? (int)(M - m0) : MR;
  int nc = N - p * NR < NR ? (int)(N - p * NR) : NR;
  const float *a = A + m0 * ars + k0 * aks;
  const float *b = Bp + (p * K + k0) * NR;
  vf acc[MR][NV];
  if (mr == MR) tile_full(kc, a, ars, aks, b, acc);
  else tile_rows(mr, kc, a, ars, aks, b, acc);
  tile_out(C + m0 * ldc + p * NR, ldc, mr, nc, acc, set);
}
/* One row against up to four panels at once (8 accumulator chains): a batch-1 step's product is otherwise
   bound by the latency of its two chains per panel. Each element is the same chain as in tile_rows. */
NOCLONE static void gemm_row(idx N, idx k0, idx kc, idx K, const float *A, idx aks, const float *Bp, float *C, int set) {
  const idx panels = (N + NR - 1) / NR;
  for (idx p = 0; p < panels; p += 4) {
    const int np = panels - p < 4 ? (int)(panels - p) : 4;
    vf acc[4][MR][NV];
    for (int i = 0; i < 4; i++) for (int v = 0; v < NV; v++) acc[i][0][v] = (vf){0};
    const float *b = Bp + (p * K + k0) * NR;
    const idx ps = K * NR;
    if (np == 4) {
      for (idx k = 0; k < kc; k++) {
        const vf x = SPLAT(A[(k0 + k) * aks]);
        for (int i = 0; i < 4; i++) for (int v = 0; v < NV; v++) acc[i][0][v] = VFMA(x, LD(b + i * ps + k * NR + v * VW), acc[i][0][v]);
      }
    } else {
      for (idx k = 0; k < kc; k++) {
        const vf x = SPLAT(A[(k0 + k) * aks]);
        for (int i = 0; i < np; i++) for (int v = 0; v < NV; v++) acc[i][0][v] = VFMA(x, LD(b + i * ps + k * NR + v * VW), acc[i][0][v]);
      }
    }
    for (int i = 0; i < np; i++) {
      const idx c0 = (p + i) * NR;
      tile_out(C + c0, 0, 1, N - c0 < NR ? (int)(N - c0) : NR, acc[i], set);
    }
  }
}
/* C[M, N] (+)= A·B over the rows [ka, kb) of K (the others are zeros of A: program.ts, nonZeroRows): A(m, k) =
   A[m*ars + k*aks]; B packed (pack above) with K rows; C row-major with leading dimension ldc. */
NOCLONE static void gemm_rows(idx M, idx N, idx K, idx ka, idx kb, const float *A, idx ars, idx aks, const float *Bp, float *C, idx ldc, int accumulate, int nt) {
  if (M <= 0 || N <= 0) return;
  if (kb <= ka) {
    if (!accumulate) for (idx m = 0; m < M; m++) memset(C + m * ldc, 0, (size_t)N * 4);
    return;
  }
  idx panels = (N + NR - 1) / NR, rblocks = (M + MR - 1) / MR, tiles = panels * rblocks;
  for (idx k0 = ka; k0 < kb; k0 += KC) {
    idx kc = kb - k0 < KC ? kb - k0 : KC;
    int set = !accumulate && k0 == ka;
    if (M == 1) gemm_row(N, k0, kc, K, A, aks, Bp, C, set);
    else if (nt > 1 && M * N * kc >= par_min) {
#pragma omp parallel for num_threads(nt) schedule(static)
      for (idx t = 0; t < tiles; t++) gemm_tile(t, rblocks, panels, M, N, K, k0, kc, A, ars, aks, Bp, C, ldc, set);
    } else {
      for (idx t = 0; t < tiles; t++) gemm_tile(t, rblocks, panels, M, N, K, k0, kc, A, ars, aks, Bp, C, ldc, set);
    }
  }
}
/* C[M, N] (+)= A·B over all of K. */
static inline void gemm(idx M, idx N, idx K, const float *A, idx ars, idx aks, const float *Bp, float *C, idx ldc, int accumulate, int nt) {
  gemm_rows(M, N, K, 0, K, A, ars, aks, Bp, C, ldc, accumulate, nt);
}
#if CF_PART != 2
EXPORT void cf_gemm(idx M, idx N, idx K, const float *A, idx ars, idx aks, const float *Bp, float *C, idx ldc, int accumulate, int nt) {
  gemm(M, N, K, A, ars, aks, Bp, C, ldc, accumulate, nt);
}
#endif
`;
