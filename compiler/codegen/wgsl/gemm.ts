// Tiled workgroup-memory GEMM shaders over the arena: C[M,N] (+)= Σ_k A(m,k)·B(k,n). One shader per
// orientation serves every product: sizes, offsets and accumulation come from the dispatch's site slot.
import { kernelHeader, siteInt } from './kernel.js';

export type Orientation = 'NT' | 'NN' | 'TN';

export interface GemmSite {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Arena offsets of A, B and C. */
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly accumulate: boolean;
}

// 16×16 threads, each computing a 4×4 block of C: a 64×64 tile per workgroup, K in slices of 16. Register
// tiling cuts shared-memory reads per multiply-add by 4 against one output per thread.
const THREADS = 16;
const PER = 4;
const TILE = THREADS * PER;
const KT = 16;

/** The site slot of a product: [M, N, K, a, b, c, accumulate]. */
export function gemmSiteInts(g: GemmSite): number[] {
  return [g.M, g.N, g.K, g.a, g.b, g.c, g.accumulate ? 1 : 0];
}

/** A is [M,K] (N·) or [K,M] (T·); B is [N,K] (·T) or [K,N] (·N). */
export function gemmKernel(orientation: Orientation): string {
  const aIndex = orientation === 'TN' ? 'AO + k * M + m' : 'AO + m * K + k';
  const bIndex = orientation === 'NT' ? 'BO + n * K + k' : 'BO + k * N + n';
  const [M, N, K, AO, BO, CO, ACC] = [0, 1, 2, 3, 4, 5, 6].map(siteInt);
  return `${kernelHeader}
var<workgroup> As: array<array<f32, ${TILE}>, ${KT}>;
var<workgroup> Bs: array<array<f32, ${TILE}>, ${KT}>;

fn a_at(m: i32, k: i32, M: i32, K: i32, AO: i32) -> f32 { if (m < M && k < K) { return A[${aIndex}]; } return 0.0; }
fn b_at(k: i32, n: i32, N: i32, K: i32, BO: i32) -> f32 { if (k < K && n < N) { return A[${bIndex}]; } return 0.0; }

@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = ${M};
  let N = ${N};
  let K = ${K};
  let AO = ${AO};
  let BO = ${BO};
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let m0 = i32(wg.y) * ${TILE};
  let n0 = i32(wg.x) * ${TILE};
  let flat = ty * ${THREADS} + tx;
  var acc: array<array<f32, ${PER}>, ${PER}>;
  for (var k0: i32 = 0; k0 < K; k0 = k0 + ${KT}) {
    // ${TILE * KT} elements of each tile, ${(TILE * KT) / (THREADS * THREADS)} per thread
    for (var l: i32 = 0; l < ${(TILE * KT) / (THREADS * THREADS)}; l = l + 1) {
      let e = flat + l * ${THREADS * THREADS};
      let kk = e / ${TILE};
      let r = e % ${TILE};
      As[kk][r] = a_at(m0 + r, k0 + kk, M, K, AO);
      Bs[kk][r] = b_at(k0 + kk, n0 + r, N, K, BO);
    }
    workgroupBarrier();
    for (var kk: i32 = 0; kk < ${KT}; kk = kk + 1) {
      var a: array<f32, ${PER}>;
      var b: array<f32, ${PER}>;
      for (var i: i32 = 0; i < ${PER}; i = i + 1) { a[i] = As[kk][ty * ${PER} + i]; b[i] = Bs[kk][tx * ${PER} + i]; }
      for (var i: i32 = 0; i < ${PER}; i = i + 1) {
        for (var j: i32 = 0; j < ${PER}; j = j + 1) { acc[i][j] = acc[i][j] + a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i: i32 = 0; i < ${PER}; i = i + 1) {
    for (var j: i32 = 0; j < ${PER}; j = j + 1) {
      let m = m0 + ty * ${PER} + i;
      let n = n0 + tx * ${PER} + j;
      if (m < M && n < N) {
        let o = ${CO} + m * N + n;
        if (${ACC} != 0) { A[o] = A[o] + acc[i][j]; } else { A[o] = acc[i][j]; }
      }
    }
  }
}
`;
}

/** Few rows (the per-step product of a small batch): a 64-row tile would idle, so one thread per output. */
export const SMALL_M = 16;

export function gemvKernel(orientation: Orientation): string {
  const aIndex = orientation === 'TN' ? 'AO + k * M + m' : 'AO + m * K + k';
  const bIndex = orientation === 'NT' ? 'BO + n * K + k' : 'BO + k * N + n';
  const [M, N, K, AO, BO, CO, ACC] = [0, 1, 2, 3, 4, 5, 6].map(siteInt);
  return `${kernelHeader}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = ${M};
  let N = ${N};
  let K = ${K};
  let AO = ${AO};
  let BO = ${BO};
  let n = i32(gid.x);
  let m = i32(gid.y);
  if (n >= N || m >= M) { return; }
  var acc: f32 = 0.0;
  for (var k: i32 = 0; k < K; k = k + 1) { acc = acc + A[${aIndex}] * A[${bIndex}]; }
  let o = ${CO} + m * N + n;
  if (${ACC} != 0) { A[o] = A[o] + acc; } else { A[o] = acc; }
}
`;
}

/** Workgroups to dispatch for an M×N result. */
export function gemmGroups(M: number, N: number): [number, number, number] {
  if (M <= SMALL_M) return [Math.ceil(N / 64), M, 1];
  return [Math.ceil(N / TILE), Math.ceil(M / TILE), 1];
}
