// Tiled workgroup-memory GEMM shaders over the arena: C[M,N] (+)= Σ_k A(m,k)·B(k,n), sizes and offsets inlined.
import { kernelHeader } from './kernel.js';

export type Orientation = 'NT' | 'NN' | 'TN';

export interface GemmSpec {
  readonly M: number | string;
  readonly N: number;
  readonly K: number | string;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /** A is [M,K] (N·) or [K,M] (T·); B is [N,K] (·T) or [K,N] (·N). */
  readonly orientation: Orientation;
  readonly accumulate: boolean;
}

const TILE = 16;

export function gemmKernel(g: GemmSpec): string {
  const aIndex = g.orientation === 'TN' ? `${g.a} + k * M + m` : `${g.a} + m * K + k`;
  const bIndex = g.orientation === 'NT' ? `${g.b} + n * K + k` : `${g.b} + k * N + n`;
  return `${kernelHeader}
const M: i32 = ${g.M};
const N: i32 = ${g.N};
const K: i32 = ${g.K};
var<workgroup> As: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> Bs: array<array<f32, ${TILE}>, ${TILE}>;

fn a_at(m: i32, k: i32) -> f32 { if (m < M && k < K) { return A[${aIndex}]; } return 0.0; }
fn b_at(k: i32, n: i32) -> f32 { if (k < K && n < N) { return A[${bIndex}]; } return 0.0; }

@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let lx = i32(lid.x);
  let ly = i32(lid.y);
  let m = i32(wg.y) * ${TILE} + ly;
  let n = i32(wg.x) * ${TILE} + lx;
  var acc: f32 = 0.0;
  for (var k0: i32 = 0; k0 < K; k0 = k0 + ${TILE}) {
    As[ly][lx] = a_at(m, k0 + lx);
    Bs[ly][lx] = b_at(k0 + ly, n);
    workgroupBarrier();
    for (var kk: i32 = 0; kk < ${TILE}; kk = kk + 1) { acc = acc + As[ly][kk] * Bs[kk][lx]; }
    workgroupBarrier();
  }
  if (m < M && n < N) {
    let o = ${g.c} + m * N + n;
    A[o] = ${g.accumulate ? 'A[o] + acc' : 'acc'};
  }
}
`;
}

/** Workgroups to dispatch for an M×N result. */
export function gemmGroups(M: number, N: number): [number, number, number] {
  return [Math.ceil(N / TILE), Math.ceil(M / TILE), 1];
}
