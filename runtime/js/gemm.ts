// Register-blocked GEMM micro-kernels over Float32Array for the js backend (row-major, sizes at run time).

/** C[m,n] (+)= Σ_k A[m,k]·B[n,k]: rows of A against rows of B (weights [N, K] as stored). */
export function gemmNT(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, C: Float32Array, cOff: number, accumulate: boolean): void {
  let m = 0;
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
      const c0 = cOff + m * N + n;
      if (accumulate) {
        C[c0] += c00; C[c0 + 1] += c01; C[c0 + N] += c10; C[c0 + N + 1] += c11;
        C[c0 + 2 * N] += c20; C[c0 + 2 * N + 1] += c21; C[c0 + 3 * N] += c30; C[c0 + 3 * N + 1] += c31;
      } else {
        C[c0] = c00; C[c0 + 1] = c01; C[c0 + N] = c10; C[c0 + N + 1] = c11;
        C[c0 + 2 * N] = c20; C[c0 + 2 * N + 1] = c21; C[c0 + 3 * N] = c30; C[c0 + 3 * N + 1] = c31;
      }
    }
    for (; n < N; n++) for (let r = 0; r < 4; r++) dotInto(A, aOff + (m + r) * K, B, n * K, K, C, cOff + (m + r) * N + n, accumulate);
  }
  for (; m < M; m++) for (let n = 0; n < N; n++) dotInto(A, aOff + m * K, B, n * K, K, C, cOff + m * N + n, accumulate);
}

function dotInto(A: Float32Array, a: number, B: Float32Array, b: number, K: number, C: Float32Array, c: number, accumulate: boolean): void {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[a + k]! * B[b + k]!;
  C[c] = accumulate ? C[c]! + s : s;
}

/** C[m,n] (+)= Σ_k A[m,k]·B[k,n]: the input cotangent G·W of a product with weights W [K, N]. */
export function gemmNN(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, C: Float32Array, cOff: number, accumulate: boolean): void {
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  for (let m = 0; m < M; m++) {
    const c = cOff + m * N;
    const a = aOff + m * K;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const x0 = A[a + k]!, x1 = A[a + k + 1]!, x2 = A[a + k + 2]!, x3 = A[a + k + 3]!;
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
      const b0 = k * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
      for (let n = 0; n < N; n++) C[c + n] += x0 * B[b0 + n]! + x1 * B[b1 + n]! + x2 * B[b2 + n]! + x3 * B[b3 + n]!;
    }
    for (; k < K; k++) {
      const x = A[a + k]!;
      const b0 = k * N;
      for (let n = 0; n < N; n++) C[c + n] += x * B[b0 + n]!;
    }
  }
}

/** C[m,n] += Σ_r A[r,m]·B[r,n] over R rows: weight gradients Gᵀ·V summed over every example and step. */
export function gemmTN(M: number, N: number, R: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    const a0 = r * M, a1 = a0 + M, a2 = a1 + M, a3 = a2 + M;
    const b0 = r * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
    for (let m = 0; m < M; m++) {
      const x0 = A[a0 + m]!, x1 = A[a1 + m]!, x2 = A[a2 + m]!, x3 = A[a3 + m]!;
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
      const c = m * N;
      for (let n = 0; n < N; n++) C[c + n] += x0 * B[b0 + n]! + x1 * B[b1 + n]! + x2 * B[b2 + n]! + x3 * B[b3 + n]!;
    }
  }
  for (; r < R; r++) {
    for (let m = 0; m < M; m++) {
      const x = A[r * M + m]!;
      if (x === 0) continue;
      const c = m * N;
      for (let n = 0; n < N; n++) C[c + n] += x * B[r * N + n]!;
    }
  }
}
