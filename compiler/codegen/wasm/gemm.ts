// The wasm backend's matrix product: C (+)= A·B in WebAssembly SIMD128, with B packed in panels of 8 columns.
//
// Design. B is packed once (weights change only at an optimiser step) into panels of PANEL = 8 columns, each
// panel K rows of 8 contiguous floats, zero-padded past N, so the micro-kernel reads one k-row of a panel with two
// aligned-size v128.load and never handles column edges on loads. The micro-kernel computes an R×8 tile of C in
// 2·R f32x4 accumulators: per k it loads the two B vectors, splats one A element per row (v128.load32_splat)
// and does 2·R multiply-adds. With f32x4.relaxed_madd (a real FMA on x64 with FMA3) R = 6: 12 accumulators,
// 2 B vectors and the splat fill the 15 vector registers V8 allocates on x64; with a separate multiply and add
// the product needs a temporary: R = 5 measured best (512³: ~37 GFLOP/s, against ~35 for R = 4 and ~28 for
// R = 6, which spills). One kernel per row count 1..R is generated from the same template, so the M tail is
// register-blocked too. K is not unrolled (V8 spilled when that was tried); unrolling K with independent
// accumulators in the 1..3-row tail kernels was tried too and was no faster (M = 1 streams B once per product:
// ~12-16 GFLOP/s, bound by loads, not by the multiply-add latency).
//
// Loop order: column panel outer, row tiles inner, so one panel of B (K·32 bytes, 16 KiB at K = 512) stays in
// L1 while the rows of A stream past it. No scratch memory: A is read in place (any lda). Measured on a 2-core
// Zen 4 (Node 20): the FMA kernel runs at ~50-55 GFLOP/s on one thread from 64×512×128 to 1024³, about the
// 128-bit FMA peak, so neither packing A nor cache blocking paid: K blocks (kc: 128..512, accumulating after the
// first) and M chunks (mc: 48..192 rows, each swept over all panels) measured the same or slightly slower, within
// the machine's noise. Both stay available as GemmOptions for other machines; the defaults are off.
//
// Tiering: V8 runs the module in Liftoff first (~11 GFLOP/s here) and swaps in TurboFan code only for later
// calls of a function (no on-stack replacement). The micro-kernels are separate functions called once per tile,
// so even the first, single long $gemm call tiers up after a few tiles; a one-tile product with a huge K would
// stay in Liftoff for its whole first calls.
//
// Edges: a partial last panel (N % 8 ≠ 0) computes all 8 lanes (the padding is zero) but stores only the N % 8
// valid columns, lane by lane, since the row of C may continue with other data.

/** Columns per packed B panel. */
export const PANEL = 8;

/** Floats that packB writes for a K×N matrix: ceil(N/8) panels of K·8. */
export function packedFloats(K: number, N: number): number {
  return Math.ceil(N / PANEL) * PANEL * K;
}

/**
 * Packs the K×N matrix B, element (k, n) at src[srcOff + k·strideK + n·strideN], into panels of 8 columns:
 * (k, n) goes to dst[dstOff + (floor(n/8)·K + k)·8 + n%8]; the columns past N in the last panel are zero.
 * Row-major [K,N]: strideK = N, strideN = 1. The transpose of a row-major [N,K] W: strideK = 1, strideN = K.
 */
export function packB(
  dst: Float32Array,
  dstOff: number,
  src: Float32Array | Float64Array,
  srcOff: number,
  K: number,
  N: number,
  strideK: number,
  strideN: number,
): void {
  const panels = Math.ceil(N / PANEL);
  for (let p = 0; p < panels; p++) {
    const n0 = p * PANEL;
    const w = Math.min(PANEL, N - n0);
    let d = dstOff + p * K * PANEL;
    if (w === PANEL && strideN === 1) {
      // the common row-major case: 8 contiguous source floats per k
      let s = srcOff + n0;
      for (let k = 0; k < K; k++, d += PANEL, s += strideK) {
        dst[d] = src[s]!;
        dst[d + 1] = src[s + 1]!;
        dst[d + 2] = src[s + 2]!;
        dst[d + 3] = src[s + 3]!;
        dst[d + 4] = src[s + 4]!;
        dst[d + 5] = src[s + 5]!;
        dst[d + 6] = src[s + 6]!;
        dst[d + 7] = src[s + 7]!;
      }
    } else if (w === PANEL && strideK === 1) {
      // the transposed case: eight source rows read side by side, the panel written in order (2.5x the
      // column-by-column loop: one sequential write stream instead of eight strided passes)
      const s0 = srcOff + n0 * strideN, s1 = s0 + strideN, s2 = s1 + strideN, s3 = s2 + strideN;
      const s4 = s3 + strideN, s5 = s4 + strideN, s6 = s5 + strideN, s7 = s6 + strideN;
      for (let k = 0; k < K; k++, d += PANEL) {
        dst[d] = src[s0 + k]!;
        dst[d + 1] = src[s1 + k]!;
        dst[d + 2] = src[s2 + k]!;
        dst[d + 3] = src[s3 + k]!;
        dst[d + 4] = src[s4 + k]!;
        dst[d + 5] = src[s5 + k]!;
        dst[d + 6] = src[s6 + k]!;
        dst[d + 7] = src[s7 + k]!;
      }
    } else {
      for (let k = 0; k < K; k++, d += PANEL) {
        let s = srcOff + k * strideK + n0 * strideN;
        let j = 0;
        for (; j < w; j++, s += strideN) dst[d + j] = src[s]!;
        for (; j < PANEL; j++) dst[d + j] = 0;
      }
    }
  }
}

/**
 * dst[dOff + c·rows + r] = src[sOff + r·cols + c]: the transpose of a row-major [rows, cols] matrix, in 32×32 tiles
 * so both sides stay in cache (the A operand of a weight gradient Σ_rows g ⊗ v is gᵀ).
 */
export function transposeInto(dst: Float32Array, dOff: number, src: Float32Array, sOff: number, rows: number, cols: number): void {
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const s = sOff + r * cols;
        for (let c = c0; c < c1; c++) dst[dOff + c * rows + r] = src[s + c]!;
      }
    }
  }
}

/** Knobs of the generated code, for tuning; gemmWat uses the defaults. */
export interface GemmOptions {
  /** Rows per micro-kernel tile. */
  rows?: number;
  /** K block: later blocks accumulate onto the first; 0: no K blocking (the default). */
  kc?: number;
  /** Rows per M chunk (best a multiple of rows), each chunk swept over all panels; 0: no chunking (the default). */
  mc?: number;
}

/** Rows per micro-kernel tile: 6 with FMA (15 vector registers), 5 with multiply then add (measured best of 3..6). */
export function defaultRows(fma: boolean): number {
  return fma ? 6 : 5;
}

const DEFAULT_KC = 0;
const DEFAULT_MC = 0;

/** One k step of the r-row kernel: two B vectors, then per row one splat of A and two multiply-adds. */
function kStep(L: string[], r: number, fma: boolean): void {
  L.push(`    (local.set $b0 (v128.load (local.get $b)))`);
  L.push(`    (local.set $b1 (v128.load offset=16 (local.get $b)))`);
  for (let i = 0; i < r; i++) {
    const ai = i === 0 ? '$a' : `$a${i}`;
    L.push(`    (local.set $x (v128.load32_splat (local.get ${ai})))`);
    for (const h of [0, 1]) {
      const c = `$c${i}${h}`;
      if (fma) L.push(`    (local.set ${c} (f32x4.relaxed_madd (local.get $x) (local.get $b${h}) (local.get ${c})))`);
      else L.push(`    (local.set ${c} (f32x4.add (local.get ${c}) (f32x4.mul (local.get $x) (local.get $b${h}))))`);
    }
    L.push(`    (local.set ${ai} (i32.add (local.get ${ai}) (i32.const 4)))`);
  }
}

/** Micro-kernel for r rows × one panel of 8 columns over K k-steps. */
function microKernel(r: number, fma: boolean): string {
  const L: string[] = [];
  L.push(`(func $gemm_k${r} (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32) (param $K i32) (param $nc i32) (param $acc i32)`);
  L.push(`  (local $bend i32) (local $p i32) (local $x v128) (local $b0 v128) (local $b1 v128)`);
  for (let i = 1; i < r; i++) L.push(`  (local $a${i} i32)`);
  for (let i = 0; i < r; i++) L.push(`  (local $c${i}0 v128) (local $c${i}1 v128)`);
  for (let i = 1; i < r; i++) L.push(`  (local.set $a${i} (i32.add (local.get $a${i === 1 ? '' : i - 1}) (local.get $lda)))`);
  L.push(`  (local.set $bend (i32.add (local.get $b) (i32.shl (local.get $K) (i32.const 5))))`);
  L.push(`  (if (i32.lt_u (local.get $b) (local.get $bend)) (then (loop $k`);
  kStep(L, r, fma);
  L.push(`    (br_if $k (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 32))) (local.get $bend))))))`);
  // store: full panel with two v128 stores per row, else lane by lane
  L.push(`  (local.set $p (local.get $c))`);
  L.push(`  (if (i32.eq (local.get $nc) (i32.const 8)) (then`);
  L.push(`    (if (local.get $acc) (then`);
  for (let i = 0; i < r; i++) {
    if (i > 0) L.push(`      (local.set $p (i32.add (local.get $p) (local.get $ldc)))`);
    L.push(`      (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c${i}0)))`);
    L.push(`      (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c${i}1)))`);
  }
  L.push(`    ) (else`);
  for (let i = 0; i < r; i++) {
    if (i > 0) L.push(`      (local.set $p (i32.add (local.get $p) (local.get $ldc)))`);
    L.push(`      (v128.store (local.get $p) (local.get $c${i}0))`);
    L.push(`      (v128.store offset=16 (local.get $p) (local.get $c${i}1))`);
  }
  L.push(`    ))`);
  L.push(`  ) (else`);
  for (let i = 0; i < r; i++) {
    if (i > 0) L.push(`    (local.set $p (i32.add (local.get $p) (local.get $ldc)))`);
    L.push(`    (call $gemm_store_partial (local.get $p) (local.get $c${i}0) (local.get $c${i}1) (local.get $nc) (local.get $acc))`);
  }
  L.push(`  ))`);
  L.push(`)`);
  return L.join('\n');
}

/**
 * One row against four full panels (32 columns): eight independent accumulator chains. A single row (a per-step
 * product at batch 1) through the one-row micro-kernel has only two chains, so it waits on the multiply-add
 * latency at every k; four panels at once keep the loads, not the latency, the limit.
 */
function rowKernel4(fma: boolean): string {
  const L: string[] = [];
  L.push(`(func $gemm_row4 (param $a i32) (param $b i32) (param $stride i32) (param $c i32) (param $K i32) (param $acc i32)`);
  L.push(`  (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $bend i32) (local $x v128)`);
  for (let q = 0; q < 4; q++) L.push(`  (local $c${q}0 v128) (local $c${q}1 v128)`);
  L.push(`  (local.set $b1 (i32.add (local.get $b) (local.get $stride)))`);
  L.push(`  (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))`);
  L.push(`  (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))`);
  L.push(`  (local.set $bend (i32.add (local.get $b) (i32.shl (local.get $K) (i32.const 5))))`);
  L.push(`  (if (i32.lt_u (local.get $b) (local.get $bend)) (then (loop $k`);
  L.push(`    (local.set $x (v128.load32_splat (local.get $a)))`);
  const ptr = ['$b', '$b1', '$b2', '$b3'];
  for (let q = 0; q < 4; q++) {
    for (const h of [0, 1]) {
      const c = `$c${q}${h}`;
      const load = `(v128.load offset=${h * 16} (local.get ${ptr[q]}))`;
      if (fma) L.push(`    (local.set ${c} (f32x4.relaxed_madd (local.get $x) ${load} (local.get ${c})))`);
      else L.push(`    (local.set ${c} (f32x4.add (local.get ${c}) (f32x4.mul (local.get $x) ${load})))`);
    }
  }
  L.push(`    (local.set $a (i32.add (local.get $a) (i32.const 4)))`);
  for (const q of ptr.slice(1)) L.push(`    (local.set ${q} (i32.add (local.get ${q}) (i32.const 32)))`);
  L.push(`    (br_if $k (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 32))) (local.get $bend))))))`);
  L.push(`  (if (local.get $acc) (then`);
  for (let q = 0; q < 4; q++) {
    for (const h of [0, 1]) L.push(`    (local.set $c${q}${h} (f32x4.add (local.get $c${q}${h}) (v128.load offset=${q * 32 + h * 16} (local.get $c))))`);
  }
  L.push(`  ))`);
  for (let q = 0; q < 4; q++) for (const h of [0, 1]) L.push(`  (v128.store offset=${q * 32 + h * 16} (local.get $c) (local.get $c${q}${h}))`);
  L.push(`)`);
  return L.join('\n');
}

/** Stores the first nc (1..7) lanes of lo‖hi at p, adding what is there when acc. */
function storePartial(): string {
  const L: string[] = [];
  L.push(`(func $gemm_store_partial (param $p i32) (param $lo v128) (param $hi v128) (param $nc i32) (param $acc i32)`);
  L.push(`  (block $done`);
  for (let j = 0; j < 7; j++) {
    const v = j < 4 ? '$lo' : '$hi';
    const lane = j % 4;
    let value = `(f32x4.extract_lane ${lane} (local.get ${v}))`;
    value = `(select (f32.add (f32.load offset=${j * 4} (local.get $p)) ${value}) ${value} (local.get $acc))`;
    L.push(`    (f32.store offset=${j * 4} (local.get $p) ${value})`);
    L.push(`    (br_if $done (i32.le_u (local.get $nc) (i32.const ${j + 1})))`);
  }
  L.push(`  )`);
  L.push(`)`);
  return L.join('\n');
}

function driver(R: number, kc: number, mc: number): string {
  // $gemm_rows: the row tiles of one (panel, K block): full R-row tiles, then the tail through a br_table
  // rem = M mod R in 0..R-1: br_table to the kernel for rem rows (0: nothing)
  let tail = '';
  if (R > 1) {
    const targets = ['$tail_end', ...Array.from({ length: R - 1 }, (_, i) => `$t${i + 1}`)];
    let s = `(block $t1 (br_table ${targets.join(' ')} (local.get $rem)))`;
    for (let i = 1; i < R; i++) {
      s += `\n  (call $gemm_k${i} (local.get $ap) (local.get $lda) (local.get $b) (local.get $cp) (local.get $ldc) (local.get $K) (local.get $nc) (local.get $acc))\n  (br $tail_end)`;
      if (i + 1 < R) s = `(block $t${i + 1}\n  ${s})`;
    }
    tail = `(block $tail_end\n  ${s})`;
  }
  const rowsFn = `(func $gemm_rows (param $M i32) (param $K i32) (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32) (param $nc i32) (param $acc i32)
  (local $ap i32) (local $cp i32) (local $rem i32) (local $step_a i32) (local $step_c i32)
  (local.set $ap (local.get $a))
  (local.set $cp (local.get $c))
  (local.set $rem (local.get $M))
  (local.set $step_a (i32.mul (local.get $lda) (i32.const ${R})))
  (local.set $step_c (i32.mul (local.get $ldc) (i32.const ${R})))
  (block $full (loop $tiles
    (br_if $full (i32.lt_u (local.get $rem) (i32.const ${R})))
    (call $gemm_k${R} (local.get $ap) (local.get $lda) (local.get $b) (local.get $cp) (local.get $ldc) (local.get $K) (local.get $nc) (local.get $acc))
    (local.set $ap (i32.add (local.get $ap) (local.get $step_a)))
    (local.set $cp (i32.add (local.get $cp) (local.get $step_c)))
    (local.set $rem (i32.sub (local.get $rem) (i32.const ${R})))
    (br $tiles)))
  ${tail}
)`;
  // $gemm: K blocks outermost (each later block accumulates), then M chunks, panels, row tiles
  const call = `(call $gemm_rows (local.get $mm) (local.get $kb) (local.get $ap) (local.get $lda4) (local.get $bk) (local.get $cp) (local.get $ldc4) (local.get $nc) (local.get $ac))`;
  // M chunks of mc rows (0: all of M), each swept panel by panel, row tiles inside a panel
  const body = `
      (local.set $m (i32.const 0))
      (loop $chunks
        (local.set $mm (i32.sub (local.get $M) (local.get $m)))
        ${mc > 0 ? `(if (i32.gt_u (local.get $mm) (i32.const ${mc})) (then (local.set $mm (i32.const ${mc}))))` : ''}
        (local.set $p (i32.const 0))
        (loop $panels
          (local.set $nc (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 3))))
          (if (i32.gt_u (local.get $nc) (i32.const 8)) (then (local.set $nc (i32.const 8))))
          ;; panel p, k rows k0..k0+kb: bp + ((p·K + k0)·8)·4
          (local.set $bk (i32.add (local.get $bp) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $K)) (local.get $k0)) (i32.const 5))))
          (local.set $ap (i32.add (i32.add (local.get $a) (i32.shl (local.get $k0) (i32.const 2))) (i32.mul (local.get $m) (local.get $lda4))))
          (local.set $cp (i32.add (i32.add (local.get $c) (i32.shl (local.get $p) (i32.const 5))) (i32.mul (local.get $m) (local.get $ldc4))))
          ${call}
          (br_if $panels (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $panels))))
        (br_if $chunks (i32.lt_u (local.tee $m (i32.add (local.get $m) (local.get $mm))) (local.get $M))))`;
  const gemmFn = `(func $gemm (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $lda i32) (param $bp i32) (param $c i32) (param $ldc i32) (param $acc i32)
  (local $lda4 i32) (local $ldc4 i32) (local $panels i32) (local $p i32) (local $m i32) (local $mm i32) (local $nc i32)
  (local $k0 i32) (local $kb i32) (local $ac i32) (local $bk i32) (local $ap i32) (local $cp i32)
  (if (i32.or (i32.eqz (local.get $M)) (i32.eqz (local.get $N))) (then (return)))
  (local.set $lda4 (i32.shl (local.get $lda) (i32.const 2)))
  (local.set $ldc4 (i32.shl (local.get $ldc) (i32.const 2)))
  (local.set $panels (i32.shr_u (i32.add (local.get $N) (i32.const 7)) (i32.const 3)))
  ;; one row: four full panels at a time, then the rest panel by panel
  (if (i32.eq (local.get $M) (i32.const 1)) (then
    (local.set $p (i32.const 0))
    (block $fours_done (loop $fours
      (br_if $fours_done (i32.gt_u (i32.shl (i32.add (local.get $p) (i32.const 4)) (i32.const 3)) (local.get $N)))
      (call $gemm_row4 (local.get $a) (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $p) (local.get $K)) (i32.const 5))) (i32.shl (local.get $K) (i32.const 5)) (i32.add (local.get $c) (i32.shl (local.get $p) (i32.const 5))) (local.get $K) (local.get $acc))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $fours)))
    (block $ones_done (loop $ones
      (br_if $ones_done (i32.ge_u (local.get $p) (local.get $panels)))
      (local.set $nc (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 3))))
      (if (i32.gt_u (local.get $nc) (i32.const 8)) (then (local.set $nc (i32.const 8))))
      (call $gemm_k1 (local.get $a) (local.get $lda4) (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $p) (local.get $K)) (i32.const 5))) (i32.add (local.get $c) (i32.shl (local.get $p) (i32.const 5))) (local.get $ldc4) (local.get $K) (local.get $nc) (local.get $acc))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $ones)))
    (return)))
  (local.set $ac (local.get $acc))
  (local.set $k0 (i32.const 0))
  (loop $kblocks
    (local.set $kb (i32.sub (local.get $K) (local.get $k0)))
    ${kc > 0 ? `(if (i32.gt_u (local.get $kb) (i32.const ${kc})) (then (local.set $kb (i32.const ${kc}))))` : ''}
    ${body}
    (local.set $ac (i32.const 1))
    (br_if $kblocks (i32.lt_u (local.tee $k0 (i32.add (local.get $k0) (local.get $kb))) (local.get $K))))
)`;
  return `${rowsFn}\n${gemmFn}`;
}

/**
 * WAT function definitions (no module wrapper) for
 * `(func $gemm (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $lda i32) (param $bp i32) (param $c i32) (param $ldc i32) (param $acc i32))`:
 * C[m,n] = (acc ? C[m,n] : 0) + Σ_k A[m,k]·B[k,n] with A[m,k] the f32 at a + (m·lda + k)·4, B packed by packB at
 * bp, C[m,n] at c + (m·ldc + n)·4; only the M×N block of C is written. Uses memory 0; helpers are named $gemm_*.
 */
export function gemmWat(fma: boolean, opts: GemmOptions = {}): string {
  const R = opts.rows ?? defaultRows(fma);
  const kc = opts.kc ?? DEFAULT_KC;
  const mc = opts.mc ?? DEFAULT_MC;
  const parts: string[] = [];
  for (let r = 1; r <= R; r++) parts.push(microKernel(r, fma));
  parts.push(rowKernel4(fma));
  parts.push(storePartial());
  parts.push(driver(R, kc, mc));
  return parts.join('\n');
}

/** A whole module: imports the shared memory as env.memory, exports "gemm". */
export function gemmModuleWat(fma: boolean, opts: GemmOptions = {}): string {
  return `(module
(import "env" "memory" (memory 1 65536 shared))
${gemmWat(fma, opts)}
(export "gemm" (func $gemm))
)`;
}
