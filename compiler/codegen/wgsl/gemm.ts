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

const TILE = 16;

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
var<workgroup> As: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> Bs: array<array<f32, ${TILE}>, ${TILE}>;

fn a_at(m: i32, k: i32, M: i32, K: i32, AO: i32) -> f32 { if (m < M && k < K) { return A[${aIndex}]; } return 0.0; }
fn b_at(k: i32, n: i32, N: i32, K: i32, BO: i32) -> f32 { if (k < K && n < N) { return A[${bIndex}]; } return 0.0; }

@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = ${M};
  let N = ${N};
  let K = ${K};
  let lx = i32(lid.x);
  let ly = i32(lid.y);
  let m = i32(wg.y) * ${TILE} + ly;
  let n = i32(wg.x) * ${TILE} + lx;
  var acc: f32 = 0.0;
  for (var k0: i32 = 0; k0 < K; k0 = k0 + ${TILE}) {
    As[ly][lx] = a_at(m, k0 + lx, M, K, ${AO});
    Bs[ly][lx] = b_at(k0 + ly, n, N, K, ${BO});
    workgroupBarrier();
    for (var kk: i32 = 0; kk < ${TILE}; kk = kk + 1) { acc = acc + As[ly][kk] * Bs[kk][lx]; }
    workgroupBarrier();
  }
  if (m < M && n < N) {
    let o = ${CO} + m * N + n;
    if (${ACC} != 0) { A[o] = A[o] + acc; } else { A[o] = acc; }
  }
}
`;
}

/** Workgroups to dispatch for an M×N result. */
export function gemmGroups(M: number, N: number): [number, number, number] {
  return [Math.ceil(N / TILE), Math.ceil(M / TILE), 1];
}
