import { packB, packedFloats } from './compiler/codegen/wasm/gemm.js';
const [R, K] = [2048, 512];
const w = Float64Array.from({ length: R * K }, (_, i) => Math.sin(i));
const w32 = Float32Array.from(w);
const dst = new Float32Array(new SharedArrayBuffer(packedFloats(K, R) * 4 + 64));
function packT8(dst: Float32Array, dOff: number, src: Float64Array | Float32Array, K: number, N: number) {
  // transpose of row-major [N, K]: panel p holds rows n0..n0+7 of src, interleaved by k
  let d = dOff;
  for (let n0 = 0; n0 < N; n0 += 8) {
    if (n0 + 8 <= N) {
      const s0 = n0 * K, s1 = s0 + K, s2 = s1 + K, s3 = s2 + K, s4 = s3 + K, s5 = s4 + K, s6 = s5 + K, s7 = s6 + K;
      for (let k = 0; k < K; k++, d += 8) {
        dst[d] = src[s0 + k]!; dst[d + 1] = src[s1 + k]!; dst[d + 2] = src[s2 + k]!; dst[d + 3] = src[s3 + k]!;
        dst[d + 4] = src[s4 + k]!; dst[d + 5] = src[s5 + k]!; dst[d + 6] = src[s6 + k]!; dst[d + 7] = src[s7 + k]!;
      }
    }
  }
}
for (const [name, f] of [['packB f64', () => packB(dst, 0, w, 0, K, R, 1, K)], ['packB f32', () => packB(dst, 0, w32, 0, K, R, 1, K)], ['k-major f64', () => packT8(dst, 0, w, K, R)], ['k-major f32', () => packT8(dst, 0, w32, K, R)]] as const) {
  for (let i = 0; i < 5; i++) f();
  const t0 = performance.now(); for (let i = 0; i < 20; i++) f(); console.log(name, ((performance.now() - t0) / 20).toFixed(2), 'ms');
}
