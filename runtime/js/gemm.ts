// The js backend's GEMM: one register-blocked kernel C = A·Bᵀ over Float32Array (row-major); other
// orientations transpose an operand once and reuse it (transposes are O(n²), the products O(n³)).

/** C[m,n] (+)= Σ_k A[aOff + m·K + k]·B[n·K + k]: rows of A against rows of B (weights [N, K] as stored). */
export function gemmNT(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, C: Float32Array, cOff: number, accumulate: boolean): void {
  let m = 0;
  // 4 rows of A × 2 rows of B: 8 accumulators and 6 loads per k fit V8's registers without spilling.
  for (; m + 4 <= M; m += 4) {
    const a0 = aOff + m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const b0 = n * K, b1 = b0 + K;
      let c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = B[b0 + k]!, x1 = B[b1 + k]!;
        const y0 = A[a0 + k]!, y1 = A[a1 + k]!, y2 = A[a2 + k]!, y3 = A[a3 + k]!;
        c00 += y0 * x0; c01 += y0 * x1;
        c10 += y1 * x0; c11 += y1 * x1;
        c20 += y2 * x0; c21 += y2 * x1;
        c30 += y3 * x0; c31 += y3 * x1;
      }
      const c = cOff + m * N + n;
      if (accumulate) {
        C[c] += c00; C[c + 1] += c01; C[c + N] += c10; C[c + N + 1] += c11;
        C[c + 2 * N] += c20; C[c + 2 * N + 1] += c21; C[c + 3 * N] += c30; C[c + 3 * N + 1] += c31;
      } else {
        C[c] = c00; C[c + 1] = c01; C[c + N] = c10; C[c + N + 1] = c11;
        C[c + 2 * N] = c20; C[c + 2 * N + 1] = c21; C[c + 3 * N] = c30; C[c + 3 * N + 1] = c31;
      }
    }
    if (n < N) rowsTimesMatrix(4, N, K, A, a0, B, n, C, cOff + m * N, accumulate);
  }
  // Leftover rows (all of them when B = 1): one row of A against 4 rows of B.
  if (m < M) rowsTimesMatrix(M - m, N, K, A, aOff + m * K, B, 0, C, cOff + m * N, accumulate);
}

function rowsTimesMatrix(rows: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, n0: number, C: Float32Array, cOff: number, accumulate: boolean): void {
  for (let r = 0; r < rows; r++) {
    const a = aOff + r * K;
    const c = cOff + r * N;
    let n = n0;
    for (; n + 4 <= N; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const y = A[a + k]!;
        s0 += y * B[b0 + k]!; s1 += y * B[b1 + k]!; s2 += y * B[b2 + k]!; s3 += y * B[b3 + k]!;
      }
      if (accumulate) { C[c + n] += s0; C[c + n + 1] += s1; C[c + n + 2] += s2; C[c + n + 3] += s3; }
      else { C[c + n] = s0; C[c + n + 1] = s1; C[c + n + 2] = s2; C[c + n + 3] = s3; }
    }
    for (; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a + k]! * B[n * K + k]!;
      C[c + n] = accumulate ? C[c + n]! + s : s;
    }
  }
}

/** Aᵀ of a row-major [rows, cols] matrix, as a new [cols, rows] matrix. */
export function transpose(A: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const TB = 32; // tiles keep both sides' cache lines live
  for (let r0 = 0; r0 < rows; r0 += TB) {
    for (let c0 = 0; c0 < cols; c0 += TB) {
      const r1 = Math.min(rows, r0 + TB), c1 = Math.min(cols, c0 + TB);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = A[r * cols + c]!;
    }
  }
  return out;
}
