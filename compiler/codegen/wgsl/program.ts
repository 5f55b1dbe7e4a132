// WGSL programs of one (cell, X, H, B, T): every tensor in one arena, and the dispatches before, in and after
// the time loop, for the forward and the backward pass. Kernel sources depend on the cell, X and H only;
// B, T and the arena layout reach them through site slots (see kernel.ts), so pipelines are compiled once.
import type { CompiledCell } from '../../compiled-cell.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { deferredProducts } from '../../plan/deferred.js';
import { planStep, unsupported, type StepPlan } from '../../plan/step-plan.js';
import { blocks, phaseBody, type Dialect, type Storage } from '../shared/phase-body.js';
import { makeStorage, type StorageNames } from '../shared/storage.js';
import { Arena } from './arena.js';
import { gemmGroups, gemmKernel, gemmSiteInts, gemvKernel, SMALL_M, type GemmSite, type Orientation } from './gemm.js';
import { CellforgeError } from '../../../ir/errors.js';
import { batchExpr, kernelHeader, LAYOUT_HEADER, regionExpr, rowsExpr, SITE_INTS, wgslNumber } from './kernel.js';

export interface Dispatch {
  readonly kernel: string;
  readonly groups: readonly [number, number, number];
  /** Site slot: 0 is the layout; GEMMs have their own slot. */
  readonly site: number;
}

export interface Program {
  readonly prologue: readonly Dispatch[];
  readonly step: readonly Dispatch[];
  readonly epilogue: readonly Dispatch[];
}

export interface WgslProgram {
  readonly arena: Arena;
  /** Kernel sources by key. */
  readonly kernels: ReadonlyMap<string, string>;
  /** Contents of the site slots (ints). */
  readonly sites: readonly (readonly number[])[];
  readonly forward: Program;
  readonly backward: Program;
}

const wgslDialect: Dialect = {
  declare: (name, expr) => `let ${name}: f32 = ${expr};`,
  number: wgslNumber,
  emitter: (op) => opDef(op).wgsl,
};

const WG = 64;

/** Storage placed in the arena, plus the region behind each value (for host-side offsets). */
interface ArenaStorage {
  readonly storage: Storage;
  readonly region: (n: Node) => string;
}

class Builder {
  readonly arena = new Arena();
  readonly kernels = new Map<string, string>();
  readonly sites: number[][] = [[]];
  constructor(
    readonly dims: Dims,
    readonly B: number,
    readonly T: number,
  ) {}

  kernel(key: string, source: string): string {
    this.kernels.set(key, source);
    return key;
  }

  /** An elementwise dispatch over n threads, reading the layout slot. */
  elementwise(key: string, source: string, n: number): Dispatch {
    return { kernel: this.kernel(key, source), groups: [Math.ceil(n / WG), 1, 1], site: 0 };
  }

  gemm(orientation: Orientation, g: GemmSite): Dispatch {
    this.sites.push(gemmSiteInts(g));
    const small = g.M <= SMALL_M;
    const key = this.kernel(`${small ? 'gemv' : 'gemm'}.${orientation}`, small ? gemvKernel(orientation) : gemmKernel(orientation));
    return { kernel: key, groups: gemmGroups(g.M, g.N), site: this.sites.length - 1 };
  }

  /** A region's offset as WGSL (from the layout slot). */
  at(region: string): string {
    return regionExpr(this.arena.index(region));
  }

  finish(forward: Program, backward: Program): WgslProgram {
    const offsets = this.arena.offsets();
    if (LAYOUT_HEADER + offsets.length > SITE_INTS) {
      throw new CellforgeError(`the webgpu backend cannot run this cell: it needs ${offsets.length} tensors per step, at most ${SITE_INTS - LAYOUT_HEADER} fit`, undefined, 'use backend js');
    }
    this.sites[0] = [this.B, this.T, this.T * this.B, 0, ...offsets];
    return { arena: this.arena, kernels: this.kernels, sites: this.sites, forward, backward };
  }
}

export function wgslProgram(cell: CompiledCell, dims: Dims, B: number, T: number): WgslProgram {
  const g = new Builder(dims, B, T);
  const { arena } = g;
  const { X, H } = dims;
  const fwdGraph = cell.graph;
  const bw = cell.backward;
  arena.add('LEN', B);
  arena.add('X', T * B * X);
  fwdGraph.params.forEach((p, i) => arena.add(`P${i}`, sizeOf(p.shape, dims)));
  cell.states.forEach((_, k) => {
    arena.add(`S${k}`, B * H);
    arena.add(`ST${k}`, T * B * H);
    arena.add(`C${k}`, B * H);
  });
  arena.add('OUT', T * B * H);
  arena.add('GOUT', T * B * H);
  arena.add('DX', T * B * X);
  fwdGraph.params.forEach((p, i) => arena.add(`GP${i}`, sizeOf(p.shape, dims)));

  // ---- forward
  const fwdPlan = planStep(fwdGraph, { hoistInput: true, outputs: new Set(fwdGraph.outputs.map((o) => o.id)) });
  for (const n of fwdGraph.nodes) if (fwdPlan.role[n.id] === 'hoisted') arena.add(`f.HX${n.id}`, T * B * sizeOf(n.shape, dims));
  for (const s of bw.saved) {
    if (fwdPlan.role[s.id] === 'hoisted') arena.alias(`SV_${s.name}`, `f.HX${s.id}`);
    else arena.add(`SV_${s.name}`, T * B * sizeOf(s.shape, dims));
  }
  const fwd = arenaStorage(g, 'f', fwdGraph, fwdPlan, cell.states, { state: (k) => ({ array: `S${k}`, byTime: false }) });
  const outputs = new Map(bw.graph.outputs.map((o) => [o.name, o.id]));
  const bwPlan = planStep(bw.graph, { hoistInput: false, outputs: new Set(outputs.values()) });
  for (const id of bwPlan.perTime) arena.add(`b.PT${id}`, T * B * sizeOf(bw.graph.nodes[id]!.shape, dims));
  const vectorGrads = fwdGraph.params.map((p, i) => ({ p, i, node: bw.graph.nodes[outputs.get(`d.${p.name}`)!]! })).filter((v) => bwPlan.role[v.node.id] !== 'deferred');
  for (const v of vectorGrads) arena.add(`b.PV${v.i}`, T * B * sizeOf(v.p.shape, dims));
  const bwd = arenaStorage(g, 'b', bw.graph, bwPlan, cell.states, { state: (k) => ({ array: `ST${k}`, byTime: true }), grad: (k) => `C${k}`, saved: (name) => `SV_${name}` });

  const prologue: Dispatch[] = [];
  for (const n of fwdGraph.nodes) {
    if (fwdPlan.role[n.id] !== 'hoisted') continue;
    const w = fwdGraph.nodes[n.args[0]!]!;
    prologue.push(g.gemm('NT', { M: T * B, N: sizeOf(n.shape, dims), K: X, a: arena.offset('X'), b: arena.offset(fwd.region(w)), c: arena.offset(`f.HX${n.id}`), accumulate: false }));
  }
  const savedGemms = bw.saved.filter((s) => fwdPlan.role[s.id] === 'gemm');
  const commitBody = forwardCommitBody(g, fwdGraph, fwd.storage, savedGemms);
  const fwdStep: Dispatch[] = [];
  if (persistentFits(fwdPlan, dims)) {
    // One dispatch runs all T steps: the recurrent weights stay in workgroup memory (Diamos et al. 2016).
    prologue.push({ kernel: g.kernel('fwd.persistent', persistentForward(g, fwdPlan, fwd, commitBody)), groups: [1, 1, 1], site: 0 });
  } else {
    phases(g, fwdPlan, 'fwd', fwd, fwdStep);
    fwdStep.push(g.elementwise('fwd.commit', perUnit(g, commitBody), B * H));
  }

  const bwStep: Dispatch[] = [g.elementwise('bwd.prep', backwardPrep(g, cell.states.length), B * H)];
  phases(g, bwPlan, 'bwd', bwd, bwStep);
  bwStep.push(g.elementwise('bwd.commit', backwardCommit(g, bw.graph, bwPlan, bwd.storage, cell.states, outputs, vectorGrads), B * H));
  const epilogue: Dispatch[] = [];
  deferred(g, bw.graph, bwPlan, bwd, cell.ir.inputName, epilogue);
  for (const v of vectorGrads) {
    const size = sizeOf(v.p.shape, dims);
    const src = `${kernelHeader}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = i32(gid.x);
  if (i >= ${size}) { return; }
  var acc: f32 = 0.0;
  for (var r: i32 = 0; r < ${rowsExpr}; r = r + 1) { acc = acc + A[${g.at(`b.PV${v.i}`)} + r * ${size} + i]; }
  A[${g.at(`GP${v.i}`)} + i] = A[${g.at(`GP${v.i}`)} + i] + acc;
}`;
    epilogue.push(g.elementwise(`bwd.sum${v.i}`, src, size));
  }
  return g.finish({ prologue, step: fwdStep, epilogue: [] }, { prologue: [], step: bwStep, epilogue });
}

/** The js backend's storage names, placed in the arena: program-local scratch under `f.`/`b.`. */
function arenaStorage(g: Builder, prefix: string, graph: Graph, plan: StepPlan, states: readonly string[], names: StorageNames): ArenaStorage {
  const { arena, dims, B } = g;
  for (const n of graph.nodes) {
    const r = plan.role[n.id];
    const size = sizeOf(n.shape, dims);
    if (r === 'gemm') arena.add(`${prefix}.M${n.id}`, B * size);
    if (r === 'reduce') arena.add(`${prefix}.RD${n.id}`, B);
    if (r === 'fused' && plan.materialized.has(n.id)) arena.add(`${prefix}.V${n.id}`, B * size);
  }
  const base = makeStorage(graph, plan, dims, states, names);
  const region = (n: Node) => {
    const name = base(n).array;
    return arena.has(name) ? name : `${prefix}.${name}`;
  };
  const storage: Storage = (n) => {
    const s = base(n);
    const at = g.at(region(n));
    return { array: 'A', index: (c) => `${at} + ${s.index(c)}` };
  };
  return { storage, region };
}

const timeOf = `let len = i32(A[LEN + b]);
  if (seq.s >= len) { return; }
  let t = select(seq.s, len - 1 - seq.s, seq.reverse != 0);
  let bt = t * ${batchExpr} + b;`;

/** A kernel with one thread per (example b, unit j); threads of examples past their length return at once. */
function perUnit(g: Builder, body: string): string {
  const H = g.dims.H;
  return `${kernelHeader}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = i32(gid.x);
  if (i >= ${batchExpr} * ${H}) { return; }
  let b = i / ${H};
  let j = i % ${H};
  let LEN = ${g.at('LEN')};
  ${timeOf}
${body}
}`;
}

function phases(g: Builder, plan: StepPlan, tag: string, st: ArenaStorage, out: Dispatch[]): void {
  const { dims, B, arena } = g;
  const graph = plan.graph;
  for (let p = 1; p < plan.phaseCount; p++) {
    for (const n of graph.nodes) {
      if (plan.role[n.id] !== 'gemm' || plan.phase[n.id] !== p) continue;
      const [w, v] = n.args.map((a) => graph.nodes[a]!) as [Node, Node];
      if (w.op !== 'param') throw unsupported(graph, n, 'a matrix product whose matrix is not a parameter');
      if (!/^.* \+ b \* \d+ \+ j$/.test(st.storage(v).index(0))) throw unsupported(graph, n, 'a matrix product of a value that is not per-example');
      const R = sizeOf([w.shape[0]!], dims);
      const K = sizeOf([w.shape[1]!], dims);
      const [a, b, c] = [arena.offset(st.region(v)), arena.offset(st.region(w)), arena.offset(st.region(n))];
      out.push(n.op === 'matvec' ? g.gemm('NT', { M: B, N: R, K, a, b, c, accumulate: false }) : g.gemm('NN', { M: B, N: K, K: R, a, b, c, accumulate: false }));
    }
    const body = phaseBody(plan, p, dims, st.storage, wgslDialect);
    if (body.reductions.length > 0) {
      const lines = body.reductions.map((r) => {
        const operand = graph.nodes[r.args[0]!]!;
        const size = sizeOf(operand.shape, dims);
        const s = st.storage(operand);
        const o = st.storage(r);
        const scale = r.op === 'mean' ? ` * ${wgslNumber(1 / size)}` : '';
        return `  { var acc: f32 = 0.0; let j = 0; let base = ${s.index(0)}; for (var q: i32 = 0; q < ${size}; q = q + 1) { acc = acc + A[base + q]; } A[${o.index(0)}] = acc${scale}; }`;
      });
      const src = `${kernelHeader}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = i32(gid.x);
  if (b >= ${batchExpr}) { return; }
  let LEN = ${g.at('LEN')};
  ${timeOf}
${lines.join('\n')}
}`;
      out.push(g.elementwise(`${tag}.reduce${p}`, src, B));
    }
    const statements = [...body.perB, ...body.perJ, ...body.stores];
    if (statements.length > 0) out.push(g.elementwise(`${tag}.phase${p}`, perUnit(g, statements.map((l) => `  ${l}`).join('\n')), B * dims.H));
  }
}

function forwardCommitBody(g: Builder, graph: Graph, storage: Storage, savedGemms: readonly { id: number; name: string; shape: Node['shape'] }[]): string {
  const { H } = g.dims;
  const lines = graph.outputs.map((o, k) => {
    const s = storage(graph.nodes[o.id]!);
    return `  let n${k} = ${s.array}[${s.index(0)}];`;
  });
  graph.outputs.forEach((_, k) => {
    lines.push(`  A[${g.at(`ST${k}`)} + bt * ${H} + j] = A[${g.at(`S${k}`)} + b * ${H} + j];`);
    lines.push(`  A[${g.at(`S${k}`)} + b * ${H} + j] = n${k};`);
  });
  lines.push(`  A[${g.at('OUT')} + bt * ${H} + j] = n0;`);
  for (const s of savedGemms) {
    const R = sizeOf(s.shape, g.dims);
    for (let c = 0; c < R / H; c++) lines.push(`  A[${g.at(`SV_${s.name}`)} + bt * ${R} + ${c * H} + j] = A[${g.at(`f.M${s.id}`)} + b * ${R} + ${c * H} + j];`);
  }
  return lines.join('\n');
}

/** Workgroup memory every WebGPU device has (maxComputeWorkgroupStorageSize's guaranteed minimum), in floats. */
const WORKGROUP_FLOATS = 16384 / 4;
const PERSISTENT_THREADS = 256;

/** The weights of the per-step products, each once. */
function recurrentWeights(plan: StepPlan): Node[] {
  const seen = new Map<number, Node>();
  for (const n of plan.graph.nodes) if (plan.role[n.id] === 'gemm') seen.set(n.args[0]!, plan.graph.nodes[n.args[0]!]!);
  return [...seen.values()];
}

/** The persistent kernel applies when the per-step products' weights fit in workgroup memory and are parameters. */
function persistentFits(plan: StepPlan, dims: Dims): boolean {
  const weights = recurrentWeights(plan);
  if (weights.length === 0 || weights.some((w) => w.op !== 'param')) return false;
  return weights.reduce((n, w) => n + sizeOf(w.shape, dims), 0) <= WORKGROUP_FLOATS;
}

/**
 * One workgroup loops over all T steps: per phase its products (weights from workgroup memory), reductions and
 * fused loop, then the commit, with storage and workgroup barriers between them.
 */
function persistentForward(g: Builder, plan: StepPlan, st: ArenaStorage, commitBody: string): string {
  const { dims } = g;
  const H = dims.H;
  const graph = plan.graph;
  const N = PERSISTENT_THREADS;
  const weights = recurrentWeights(plan);
  const wOffset = new Map<number, number>();
  let total = 0;
  const load: string[] = [];
  for (const w of weights) {
    const size = sizeOf(w.shape, dims);
    wOffset.set(w.id, total);
    load.push(`  for (var i: i32 = tid; i < ${size}; i = i + ${N}) { W[${total} + i] = A[${g.at(st.region(w))} + i]; }`);
    total += size;
  }
  const barrier = '    storageBarrier();\n    workgroupBarrier();';
  const time = `let len = i32(A[LEN + b]);
      let t = select(s, len - 1 - s, seq.reverse != 0);
      let bt = t * B + b;`;
  const units = (body: string) => `    for (var u: i32 = tid; u < B * ${H}; u = u + ${N}) {
      let b = u / ${H};
      let j = u % ${H};
      ${time}
      if (s < len) {
${body}
      }
    }
${barrier}`;
  const steps: string[] = [];
  for (let p = 1; p < plan.phaseCount; p++) {
    for (const n of graph.nodes) {
      if (plan.role[n.id] !== 'gemm' || plan.phase[n.id] !== p) continue;
      const [w, v] = n.args.map((a) => graph.nodes[a]!) as [Node, Node];
      const [R, K] = [sizeOf([w.shape[0]!], dims), sizeOf([w.shape[1]!], dims)];
      const wo = wOffset.get(w.id)!;
      const operand = g.at(st.region(v));
      const out = g.at(st.region(n));
      // matvec: W [R,K] rows against the operand; matvec_t: columns of W [R,K] against an operand of size R.
      const [rows, inner, wIndex] = n.op === 'matvec' ? [R, K, `${wo} + r * ${K} + k`] : [K, R, `${wo} + k * ${K} + r`];
      steps.push(`    for (var u: i32 = tid; u < B * ${rows}; u = u + ${N}) {
      let b = u / ${rows};
      let r = u % ${rows};
      var acc: f32 = 0.0;
      for (var k: i32 = 0; k < ${inner}; k = k + 1) { acc = acc + W[${wIndex}] * A[${operand} + b * ${inner} + k]; }
      A[${out} + b * ${rows} + r] = acc;
    }
${barrier}`);
    }
    const body = phaseBody(plan, p, dims, st.storage, wgslDialect);
    if (body.reductions.length > 0) {
      const lines = body.reductions.map((r) => {
        const operand = graph.nodes[r.args[0]!]!;
        const size = sizeOf(operand.shape, dims);
        const scale = r.op === 'mean' ? ` * ${wgslNumber(1 / size)}` : '';
        return `        { var acc: f32 = 0.0; let j = 0; let base = ${st.storage(operand).index(0)}; for (var q: i32 = 0; q < ${size}; q = q + 1) { acc = acc + A[base + q]; } A[${st.storage(r).index(0)}] = acc${scale}; }`;
      });
      steps.push(`    for (var b: i32 = tid; b < B; b = b + ${N}) {
      ${time}
      if (s < len) {
${lines.join('\n')}
      }
    }
${barrier}`);
    }
    const statements = [...body.perB, ...body.perJ, ...body.stores];
    if (statements.length > 0) steps.push(units(statements.map((l) => `        ${l}`).join('\n')));
  }
  steps.push(units(commitBody.split('\n').map((l) => `      ${l}`).join('\n')));
  return `${kernelHeader}
var<workgroup> W: array<f32, ${total}>;

@compute @workgroup_size(${N})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = i32(lid.x);
  let B = ${batchExpr};
  let T = site.v[0].y;
  let LEN = ${g.at('LEN')};
${load.join('\n')}
  workgroupBarrier();
  for (var s: i32 = 0; s < T; s = s + 1) {
${steps.join('\n')}
  }
}`;
}

function backwardPrep(g: Builder, states: number): string {
  const { H } = g.dims;
  const zero = Array.from({ length: states }, (_, k) => `A[${g.at(`C${k}`)} + b * ${H} + j] = 0.0;`).join(' ');
  return perUnit(
    g,
    `  if (seq.truncate > 0 && (seq.s + 1) % seq.truncate == 0 && seq.s + 1 < len) { ${zero} }
  A[${g.at('C0')} + b * ${H} + j] = A[${g.at('C0')} + b * ${H} + j] + A[${g.at('GOUT')} + bt * ${H} + j];`,
  );
}

function backwardCommit(g: Builder, graph: Graph, plan: StepPlan, storage: Storage, states: readonly string[], outputs: Map<string, number>, vectorGrads: readonly { i: number; node: Node }[]): string {
  const { H } = g.dims;
  const at = (n: Node, c: number) => {
    const s = storage(n);
    return `${s.array}[${s.index(c)}]`;
  };
  const lines: string[] = [];
  const copyRows = (n: Node, region: string) => {
    const size = sizeOf(n.shape, g.dims);
    for (let c = 0; c < blocks(n); c++) lines.push(`  A[${g.at(region)} + bt * ${size} + ${c * H} + j] = ${at(n, c)};`);
  };
  // Copies first: they may read a grad leaf C_k that the state writes below replace.
  for (const v of vectorGrads) copyRows(v.node, `b.PV${v.i}`);
  for (const id of plan.perTime) copyRows(graph.nodes[id]!, `b.PT${id}`);
  states.forEach((st, k) => lines.push(`  let n${k} = ${at(graph.nodes[outputs.get(`d.${st}`)!]!, 0)};`));
  states.forEach((_, k) => lines.push(`  A[${g.at(`C${k}`)} + b * ${H} + j] = n${k};`));
  return perUnit(g, lines.join('\n'));
}

function deferred(g: Builder, graph: Graph, plan: StepPlan, st: ArenaStorage, inputName: string, out: Dispatch[]): void {
  const { arena, dims, B, T } = g;
  const byTime = (n: Node): number => {
    if (n.op === 'input') return arena.offset('X');
    if (plan.perTime.has(n.id)) return arena.offset(`b.PT${n.id}`);
    return arena.offset(st.region(n));
  };
  for (const { op, a, b, target } of deferredProducts(plan, inputName, graph.params)) {
    const c = arena.offset(target);
    if (op === 'outer') {
      out.push(g.gemm('TN', { M: sizeOf(a.shape, dims), N: sizeOf(b.shape, dims), K: T * B, a: byTime(a), b: byTime(b), c, accumulate: true }));
    } else {
      const [R, K] = [sizeOf([a.shape[0]!], dims), sizeOf([a.shape[1]!], dims)];
      out.push(g.gemm('NN', { M: T * B, N: K, K: R, a: byTime(b), b: arena.offset(st.region(a)), c, accumulate: true }));
    }
  }
}
