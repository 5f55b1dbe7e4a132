// Lane-wise f32x4 transcendental functions as WebAssembly text, for the kernels cellforge generates.
// These are function definitions only: they are spliced into a generated (module ...), use no memory, globals,
// tables or imports. `mathWat` uses only standard SIMD128 instructions, so every engine gets the same bits;
// `mathWatFor(true)`, what the wasm backend uses where the engine has relaxed SIMD (as its GEMM does), evaluates
// the polynomials with the relaxed multiply-add: ~13 % faster here, the same error bounds.
// Each is (param $x v128) (result v128). Accuracy, measured by test/unit/wasm/math.test.ts against float64
// rounded to float32: within a few float32 ulps, with IEEE behaviour at 0, ±inf, NaN and denormals.

/** `(f32x4.splat (f32.const v))`: the constant in all four lanes (wabt rounds the decimal to float32). */
const f = (v: string | number): string => `(f32x4.splat (f32.const ${v}))`;

/** `(v128.const i32x4 v v v v)`: an integer or bit pattern in all four lanes. */
const i = (v: string | number): string => `(v128.const i32x4 ${v} ${v} ${v} ${v})`;

/**
 * Horner's rule: c[0] + z*(c[1] + z*(c[2] + ...)), with z an expression (read once per step); with `fma`, each step
 * is one relaxed multiply-add (a fused one where the engine has it: half the instructions, one rounding fewer).
 */
function horner(z: string, c: readonly string[], fma: boolean): string {
  const step = (acc: string, ci: string) => (fma ? `(f32x4.relaxed_madd ${z} ${acc} ${f(ci)})` : `(f32x4.add ${f(ci)} (f32x4.mul ${z} ${acc}))`);
  return c.reduceRight((acc, ci) => (acc === '' ? f(ci) : step(acc, ci)), '');
}

const LOG2E = f('1.4426950408889634'); // log2(e)
const LN2_HI = f('0.693359375'); // ln 2 rounded to 9 significant bits (0x3f318000): n*LN2_HI is exact for |n| < 2^15
const LN2_LO = f('-2.1219444005469057e-4'); // ln 2 - LN2_HI
const X_MAX = f('89'); // e^89 > 2^128: anything above overflows anyway
const X_MIN = f('-104'); // e^-104 < 2^-150: anything below rounds to 0 anyway

// (e^r - 1 - r)/r^2 = 1/2! + r/3! + ... + r^6/8!: the Taylor series of e^r to degree 8; for |r| <= ln2/2 the
// first omitted term, r^9/9!, is below 7e-10 of |e^r - 1|.
const EXPM1_Q = ['0.5', '0.16666666666666666', '0.041666666666666664', '0.008333333333333333', '0.001388888888888889', '1.984126984126984e-4', '2.48015873015873e-5'];

// log(1+f) = 2 atanh(s) with s = f/(2+f) = 2s + s*R, R = 2s^2/3 + 2s^4/5 + 2s^6/7 + 2s^8/9 (Taylor series of
// atanh); |s| <= 0.1716 for f in [sqrt(1/2)-1, sqrt(2)-1], where the first omitted term is below 3e-9 relative.
const LOG_R = ['0.6666666666666666', '0.4', '0.2857142857142857', '0.2222222222222222'];

/**
 * Shared range reduction of exp and expm1: clamps $x to [X_MIN, X_MAX] (min/max keep NaN), sets $n = nearest(x*log2e),
 * $r = x - n*ln2 (Cody–Waite: two-part ln 2, |r| <= ln2/2), $em = e^r - 1, $k = n as i32 and $h = k >> 1.
 */
const reduceExp = (fma: boolean) => `(local.set $x (f32x4.max (f32x4.min (local.get $x) ${X_MAX}) ${X_MIN}))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) ${LOG2E})))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) ${LN2_HI})) (f32x4.mul (local.get $n) ${LN2_LO})))
    (local.set $em (f32x4.add (local.get $r)
      (f32x4.mul (f32x4.mul (local.get $r) (local.get $r)) ${horner('(local.get $r)', EXPM1_Q, fma)})))
    ;; n is in [-150, 128]; NaN lanes become 0 here and stay NaN through $r
    (local.set $k (i32x4.trunc_sat_f32x4_s (local.get $n)))
    (local.set $h (i32x4.shr_s (local.get $k) (i32.const 1)))`;

/** 2^e for an i32x4 expression e in [-126, 127]: the exponent field alone. */
const pow2 = (e: string): string => `(i32x4.shl (i32x4.add ${e} ${i(127)}) (i32.const 23))`;

const SIGN = i('0x80000000');
const ABS = i('0x7fffffff');

/** The functions, their polynomials evaluated with the relaxed multiply-add when `fma` (see horner). */
export function mathWatFor(fma: boolean): string {
  return `
  ;; exp4: e^x = 2^n * (1 + em), n = nearest(x*log2e), em = e^r - 1 by a Taylor polynomial in the Cody–Waite reduced
  ;; r = x - n*ln2; 2^n is applied as 2^h * 2^(n-h), h = n>>1, both normal, so overflow to +inf and denormal
  ;; results come from a single final rounding.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $em v128) (local $k v128) (local $h v128)
    ${reduceExp(fma)}
    (f32x4.mul
      (f32x4.mul (f32x4.add (local.get $em) ${f(1)}) ${pow2('(local.get $h)')})
      ${pow2('(i32x4.sub (local.get $k) (local.get $h))')}))

  ;; expm1_4: e^x - 1 = 2^n*em + (2^n - 1) with n, r, em as in exp4, evaluated as 2^(n-h) * (2^h*em + (2^h - 2^(h-n)))
  ;; so nothing overflows before the last multiply; for n = 0 it is em itself (relative accuracy near 0).
  (func $expm1_4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $em v128) (local $k v128) (local $h v128) (local $s1 v128)
    ${reduceExp(fma)}
    (local.set $s1 ${pow2('(local.get $h)')})
    (f32x4.mul
      (f32x4.add
        (f32x4.mul (local.get $s1) (local.get $em))
        (f32x4.sub (local.get $s1) ${pow2('(i32x4.sub (local.get $h) (local.get $k))')}))
      ${pow2('(i32x4.sub (local.get $k) (local.get $h))')}))

  ;; log4: x = 2^k * (1+f) with 1+f in [sqrt(1/2), sqrt(2)) (denormals scaled by 2^23 first); log(1+f) = 2 atanh(s),
  ;; s = f/(2+f), written f - (f^2/2 - s*(f^2/2 + R)) so the exact f dominates; plus k*ln2 in two parts.
  (func $log4 (param $x v128) (result v128)
    (local $tiny v128) (local $b v128) (local $k v128) (local $kf v128) (local $m v128) (local $s v128) (local $z v128)
    (local $hfsq v128) (local $res v128)
    ;; below the smallest normal (2^-126): multiply by 2^23 and take 23 off the exponent
    (local.set $tiny (f32x4.lt (local.get $x) ${f('1.1754943508222875e-38')}))
    (local.set $b (v128.bitselect (f32x4.mul (local.get $x) ${f('8388608')}) (local.get $x) (local.get $tiny)))
    ;; adding 0x3f800000 - 0x3f3504f3 (bits of 1 and of sqrt(1/2)) carries into the exponent iff the mantissa >= sqrt(2)
    (local.set $b (i32x4.add (local.get $b) ${i('0x004afb0d')}))
    (local.set $k (i32x4.sub
      (i32x4.sub (i32x4.shr_s (local.get $b) (i32.const 23)) ${i(127)})
      (v128.and (local.get $tiny) ${i(23)})))
    (local.set $kf (f32x4.convert_i32x4_s (local.get $k)))
    ;; f = m - 1 (exact), m in [sqrt(1/2), sqrt(2))
    (local.set $m (f32x4.sub
      (i32x4.add (v128.and (local.get $b) ${i('0x007fffff')}) ${i('0x3f3504f3')})
      ${f(1)}))
    (local.set $s (f32x4.div (local.get $m) (f32x4.add (local.get $m) ${f(2)})))
    (local.set $z (f32x4.mul (local.get $s) (local.get $s)))
    (local.set $hfsq (f32x4.mul (f32x4.mul (local.get $m) (local.get $m)) ${f('0.5')}))
    (local.set $res
      (f32x4.add
        (f32x4.mul (local.get $kf) ${LN2_HI})
        (f32x4.sub (local.get $m)
          (f32x4.sub (local.get $hfsq)
            (f32x4.add
              (f32x4.mul (local.get $s) (f32x4.add (local.get $hfsq) (f32x4.mul (local.get $z) ${horner('(local.get $z)', LOG_R, fma)})))
              (f32x4.mul (local.get $kf) ${LN2_LO}))))))
    ;; log(+inf) = +inf, log(±0) = -inf, log(x<0) = log(NaN) = NaN
    (local.set $res (v128.bitselect ${f('inf')} (local.get $res) (f32x4.eq (local.get $x) ${f('inf')})))
    (local.set $res (v128.bitselect ${f('-inf')} (local.get $res) (f32x4.eq (local.get $x) ${f(0)})))
    (v128.bitselect (local.get $res) ${f('nan')} (f32x4.ge (local.get $x) ${f(0)})))

  ;; sigmoid4: e = e^-|x| (never overflows), then 1/(1+e) for x >= 0 and e/(1+e) for x < 0.
  (func $sigmoid4 (param $x v128) (result v128)
    (local $e v128) (local $s v128)
    (local.set $e (call $exp4 (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $s (f32x4.div ${f(1)} (f32x4.add (local.get $e) ${f(1)})))
    (v128.bitselect (local.get $s) (f32x4.mul (local.get $e) (local.get $s)) (f32x4.ge (local.get $x) ${f(0)})))

  ;; tanh4: u = expm1(-2|x|), tanh|x| = -u/(u+2) (relative accuracy near 0, 1 for large |x|), sign of x restored
  ;; by bits so tanh(-0) = -0.
  (func $tanh4 (param $x v128) (result v128)
    (local $u v128)
    (local.set $u (call $expm1_4 (f32x4.mul (f32x4.abs (local.get $x)) ${f(-2)})))
    (v128.or
      (v128.and (f32x4.div (f32x4.neg (local.get $u)) (f32x4.add (local.get $u) ${f(2)})) ${ABS})
      (v128.and (local.get $x) ${SIGN})))

  ;; softplus4: max(x,0) + log1p(e^-|x|), log1p(y) = log(u)*y/(u-1) with u = 1+y (Goldberg's trick: the rounding
  ;; of u cancels), or y itself where u rounds to 1.
  (func $softplus4 (param $x v128) (result v128)
    (local $y v128) (local $u v128)
    (local.set $y (call $exp4 (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $u (f32x4.add (local.get $y) ${f(1)}))
    (f32x4.add
      (f32x4.max (local.get $x) ${f(0)})
      (v128.bitselect
        (local.get $y)
        (f32x4.div (f32x4.mul (call $log4 (local.get $u)) (local.get $y)) (f32x4.sub (local.get $u) ${f(1)}))
        (f32x4.eq (local.get $u) ${f(1)}))))
`;
}

/** The functions with standard SIMD128 only: the same bits on every engine. */
export const mathWat: string = mathWatFor(false);
