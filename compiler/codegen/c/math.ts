// Lane-wise transcendental functions in C over the vector type `vf`: the wasm backend's polynomials and range
// reductions (compiler/codegen/wasm/math.ts, where each constant is explained), written with GCC/Clang vector
// extensions. Comparisons give all-ones lanes; SEL picks by them, so NaN lanes fall through every clamp. With
// AVX-512, clamps are one max or min each, rounding to an integer one vrndscaleps, and e^x scales by 2^n in one
// instruction (vscalefps): sigmoid and tanh take 31 and 34 instructions instead of ~60, the same values (scaling
// by a power of two is exact in the normal range). The reduction's second part and the polynomial's last step are
// multiply-adds, and sigmoid and tanh clamp their argument (<= 0) from below only: with those, an LSTM step's
// gates took 14.6 µs instead of 16.8 (B32 H256, one core), at the same maximum error (1-2 ulp, test/native/math).
// The other transcendental functions are not inlined: a call costs little beside their ~30 vector operations, and
// a cell with many of them compiles in half the time. Sigmoid and tanh, in nearly every cell's gates, are: in a
// fused loop scheduled before register allocation (FUSED: GCC's -fschedule-insns, off by default on x86) the
// independent gates of a unit overlap, and an LSTM step's gates took 11.5-12 µs instead of 14.4-15 (same bits).

/** Horner's rule c[0] + z*(c[1] + z*(...)) with one multiply-add per step. */
function horner(z: string, c: readonly string[]): string {
  return c.reduceRight((acc, ci) => (acc === '' ? `K(${ci}f)` : `VFMA(${z}, ${acc}, K(${ci}f))`), '');
}

const EXPM1_Q = ['0.5', '0.16666666666666666', '0.041666666666666664', '0.008333333333333333', '0.001388888888888889', '1.984126984126984e-4', '2.48015873015873e-5'];
const LOG_R = ['0.6666666666666666', '0.4', '0.2857142857142857', '0.2222222222222222'];

export const cMathSource = `
/* A fused loop's function: with GCC, its instructions scheduled before register allocation as well as after, so
   that the long dependent chains of independent gates interleave (the optimize attribute adds to the command line's
   options; -ffp-contract=off stays, checked bit for bit). */
#if defined(__GNUC__) && !defined(__clang__)
#define FUSED __attribute__((optimize("schedule-insns", "sched-pressure")))
#else
#define FUSED
#endif
#define LN2_HI 0.693359375f
#define LN2_LO -2.1219444005469057e-4f
static inline vf pow2i(vi e) { return (vf)((e + 127) << 23); }
/* Clamps that keep NaN lanes: one instruction each with AVX-512 (its max and min return the second operand when
   either is NaN). */
#if VW == 16 && defined(__GNUC__) && !defined(__clang__)
#define CLAMP_LO(x, c) ((vf)__builtin_ia32_maxps512_mask(K(c), (x), K(c), (unsigned short)-1, 4))
#define CLAMP_HI(x, c) ((vf)__builtin_ia32_minps512_mask(K(c), (x), K(c), (unsigned short)-1, 4))
/* m * 2^n in one rounding (n an integer, or NaN) */
#define SCALE2(m, n) ((vf)__builtin_ia32_scalefps512_mask((m), (n), (m), (unsigned short)-1, 4))
/* the nearest integer, ties to even, in one instruction (vrndscaleps) */
#define NEAREST(x) ((vf)__builtin_ia32_rndscaleps_mask((x), 0, (x), (unsigned short)-1, 4))
#else
#define CLAMP_LO(x, c) SEL((x) < K(c), K(c), (x))
#define CLAMP_HI(x, c) SEL((x) > K(c), K(c), (x))
/* 1.5*2^23 added and taken away rounds to the nearest integer, ties to even (|x| < 2^22) */
#define NEAREST(x) (((x) + K(12582912.0f)) - K(12582912.0f))
#endif
/* For x in [-104, 89] (or NaN): n = nearest(x*log2e), r = x - n*ln2 in two parts (n*LN2_HI and x - n*LN2_HI are
   exact; the second part in one multiply-add), em = e^r - 1 by the Taylor polynomial, its last step one multiply-add.
   The clamps are the callers': an argument known to be <= 0 needs only the lower one. */
typedef struct { vf em; vf n; } exp_parts;
static inline exp_parts reduce_clamped(vf x) {
  vf n = NEAREST(x * K(1.4426950408889634f));
  vf r = VFMA(-n, K(LN2_LO), VFMA(-n, K(LN2_HI), x));
  exp_parts p;
  p.em = VFMA(r * r, ${horner('r', EXPM1_Q)}, r);
  p.n = n;
  return p;
}
static inline exp_parts reduce_exp(vf x) { return reduce_clamped(CLAMP_LO(CLAMP_HI(x, 89.0f), -104.0f)); }
/* x <= 0 or NaN */
static inline exp_parts reduce_exp_neg(vf x) { return reduce_clamped(CLAMP_LO(x, -104.0f)); }
/* -|x| (NaN kept): the sign bit set */
static inline vf neg_abs(vf x) { return (vf)((vi)x | INT32_MIN); }
/* k = n as an integer (0 for NaN), h = k >> 1: 2^k as 2^h * 2^(k-h), each a normal float. */
static inline vi exp_k(vf n) { return __builtin_convertvector(SEL(n == n, n, K(0.0f)), vi); }
/* e^x = (em + 1) * 2^n, from x's reduction */
static inline vf exp_from(exp_parts p) {
#ifdef SCALE2
  return SCALE2(p.em + K(1.0f), p.n);
#else
  vi k = exp_k(p.n), h = k >> 1;
  return ((p.em + K(1.0f)) * pow2i(h)) * pow2i(k - h);
#endif
}
static inline vf exp_core(vf x) { return exp_from(reduce_exp(x)); }
/* e^x - 1 = (2^h em + (2^h - 2^(h-k))) * 2^(k-h): no intermediate overflows at n = 128 */
static inline vf expm1_core(vf x) {
  exp_parts p = reduce_exp(x);
  vi k = exp_k(p.n), h = k >> 1;
  vf s1 = pow2i(h);
  return (s1 * p.em + (s1 - pow2i(h - k))) * pow2i(k - h);
}
/* e^x - 1 for x <= 0 (or NaN): n <= 0, so 2^n em + (2^n - 1) overflows nowhere; the same value as expm1_core
   (scaling by a power of two is exact) */
static inline vf expm1_neg(vf x) {
#ifdef SCALE2
  exp_parts p = reduce_exp_neg(x);
  return SCALE2(p.em, p.n) + (SCALE2(K(1.0f), p.n) - K(1.0f));
#else
  return expm1_core(x);
#endif
}
static __attribute__((noinline)) vf cf_exp(vf x) { return exp_core(x); }
static __attribute__((noinline)) vf cf_expm1(vf x) { return expm1_core(x); }
static __attribute__((noinline)) vf cf_log(vf x) {
  vi tiny = x < K(1.1754943508222875e-38f);
  vi b = (vi)SEL(tiny, x * K(8388608.0f), x);
  b = b + 0x004afb0d;
  vi k = ((b >> 23) - 127) - (tiny & 23);
  vf kf = __builtin_convertvector(k, vf);
  vf m = (vf)((b & 0x007fffff) + 0x3f3504f3) - K(1.0f);
  vf s = m / (m + K(2.0f));
  vf z = s * s;
  vf hfsq = (m * m) * K(0.5f);
  vf res = kf * K(LN2_HI) + (m - (hfsq - (s * (hfsq + z * ${horner('z', LOG_R)}) + kf * K(LN2_LO))));
  res = SEL(x == K(__builtin_inff()), K(__builtin_inff()), res);
  res = SEL(x == K(0.0f), K(-__builtin_inff()), res);
  return SEL(x >= K(0.0f), res, K(__builtin_nanf("")));
}
static inline vf cf_abs(vf x) { return (vf)((vi)x & 0x7fffffff); }
/* The gate functions are inlined into the fused loops, whose instructions GCC then schedules (FUSED, above):
   several gates' chains interleave instead of running one call after another. */
static inline __attribute__((always_inline)) vf cf_sigmoid(vf x) {
  vf e = exp_from(reduce_exp_neg(neg_abs(x)));
  vf s = K(1.0f) / (e + K(1.0f));
  return SEL(x >= K(0.0f), s, e * s);
}
static inline __attribute__((always_inline)) vf cf_tanh(vf x) {
  vf u = expm1_neg(neg_abs(x) * K(2.0f));
  return (vf)(((vi)(-u / (u + K(2.0f))) & 0x7fffffff) | ((vi)x & INT32_MIN));
}
static inline vf cf_max(vf a, vf b) {
  vf m = SEL(a > b, a, b);
  m = SEL(a == b, (vf)((vi)a & (vi)b), m);
  return SEL((a != a) | (b != b), a + b, m);
}
static inline vf cf_min(vf a, vf b) {
  vf m = SEL(a < b, a, b);
  m = SEL(a == b, (vf)((vi)a | (vi)b), m);
  return SEL((a != a) | (b != b), a + b, m);
}
static inline vf cf_relu(vf x) { return cf_max(x, K(0.0f)); }
static __attribute__((noinline)) vf cf_softplus(vf x) {
  vf y = cf_exp(-cf_abs(x));
  vf u = y + K(1.0f);
  return cf_max(x, K(0.0f)) + SEL(u == K(1.0f), y, (cf_log(u) * y) / (u - K(1.0f)));
}
#ifdef VSQRT
static inline vf cf_sqrt(vf x) { return VSQRT(x); }
#else
static inline vf cf_sqrt(vf x) { vf r; for (int i = 0; i < VW; i++) r[i] = __builtin_sqrtf(x[i]); return r; }
#endif
static inline vf cf_step(vf x) { return SEL(x > K(0.0f), K(1.0f), SEL(x != x, x, K(0.0f))); }
static inline vf cf_sign(vf x) { return SEL(x > K(0.0f), K(1.0f), SEL(x < K(0.0f), K(-1.0f), x)); }
`;
