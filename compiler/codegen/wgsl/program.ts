// WGSL programs of one (cell, X, H, B, T): every tensor in one arena, kernels specialised to the sizes, and
// the order of dispatches before, in and after the time loop, for the forward and the backward pass.
import type { CompiledCell } from '../../compile.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { planStep, unsupported, type StepPlan } from '../../plan/step-plan.js';
import { blocks, phaseBody, type Dialect, type Storage } from '../js/fused.js';
import { makeStorage, type StorageNames } from '../js/storage.js';
import { Arena } from './arena.js';
import { gemmGroups, gemmKernel } from './gemm.js';
import { kernelHeader, wgslNumber } from './kernel.js';

export interface Dispatch {
  readonly kernel: string;
  readonly groups: readonly [number, number, number];
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
  readonly forward: Program;
  readonly backward: Program;
}

const wgslDialect: Dialect = {
  declare: (name, expr) => `let ${name}: f32 = ${expr};`,
  number: wgslNumber,
  emitter: (op) => opDef(op).wgsl,
};

const WG = 64;

export function wgslProgram(cell: CompiledCell, dims: Dims, B: number, T: number): WgslProgram {
  const arena = new Arena();
  const kernels = new Map<string, string>();
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

  const kernel = (key: string, source: string): string => {
    kernels.set(key, source);
    return key;
  };
  const elementwise = (n: number): Dispatch['groups'] => [Math.ceil(n / WG), 1, 1];

  // ---- forward
  const fwdPlan = planStep(fwdGraph, { hoistInput: true, outputs: new Set(fwdGraph.outputs.map((o) => o.id)) });
  const fwdStorage = arenaStorage(arena, 'f', fwdGraph, fwdPlan, dims, cell.states, { state: (k) => ({ array: `S${k}`, byTime: false }) }, B, T);
  const prologue: Dispatch[] = [];
  for (const n of fwdGraph.nodes) {
    if (fwdPlan.role[n.id] !== 'hoisted') continue;
    const R = sizeOf(n.shape, dims);
    const w = fwdGraph.nodes[n.args[0]!]!;
    const name = `f.HX${n.id}`;
    arena.add(name, T * B * R);
    const key = kernel(`fwd.hoist${n.id}`, gemmKernel({ M: T * B, N: R, K: X, a: arena.offset('X'), b: arena.offset(`P${paramIndex(fwdGraph, w)}`), c: arena.offset(name), orientation: 'NT', accumulate: false }));
    prologue.push({ kernel: key, groups: gemmGroups(T * B, R) });
  }
  for (const s of bw.saved) {
    if (fwdPlan.role[s.id] === 'hoisted') arena.alias(`SV_${s.name}`, `f.HX${s.id}`);
    else arena.add(`SV_${s.name}`, T * B * sizeOf(s.shape, dims));
  }
  const fwdStep: Dispatch[] = [];
  phases(fwdPlan, 'fwd', dims, B, fwdStorage, arena, kernel, fwdStep);
  fwdStep.push({ kernel: kernel('fwd.commit', forwardCommit(fwdGraph, fwdPlan, dims, B, arena, fwdStorage, bw.saved.filter((s) => fwdPlan.role[s.id] === 'gemm'))), groups: elementwise(B * H) });

  // ---- backward
  const outputs = new Map(bw.graph.outputs.map((o) => [o.name, o.id]));
  const bwPlan = planStep(bw.graph, { hoistInput: false, outputs: new Set(outputs.values()) });
  const bwStorage = arenaStorage(arena, 'b', bw.graph, bwPlan, dims, cell.states, { state: (k) => ({ array: `ST${k}`, byTime: true }), grad: (k) => `C${k}`, saved: (name) => `SV_${name}` }, B, T);
  for (const id of bwPlan.perTime) arena.add(`b.PT${id}`, T * B * sizeOf(bw.graph.nodes[id]!.shape, dims));
  const vectorGrads = fwdGraph.params.map((p, i) => ({ p, i, node: bw.graph.nodes[outputs.get(`d.${p.name}`)!]! })).filter((g) => bwPlan.role[g.node.id] !== 'deferred');
  for (const g of vectorGrads) arena.add(`b.PV${g.i}`, T * B * sizeOf(g.p.shape, dims));
  const bwStep: Dispatch[] = [{ kernel: kernel('bwd.prep', backwardPrep(cell.states.length, dims, B, arena)), groups: elementwise(B * H) }];
  phases(bwPlan, 'bwd', dims, B, bwStorage, arena, kernel, bwStep);
  bwStep.push({ kernel: kernel('bwd.commit', backwardCommit(bw.graph, bwPlan, dims, B, arena, bwStorage, cell.states, outputs, vectorGrads)), groups: elementwise(B * H) });
  const epilogue: Dispatch[] = [];
  deferred(bw.graph, bwPlan, dims, B, T, arena, bwStorage, cell.ir.inputName, outputs, kernel, epilogue);
  for (const g of vectorGrads) {
    const size = sizeOf(g.p.shape, dims);
    const src = `${kernelHeader}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = i32(gid.x);
  if (i >= ${size}) { return; }
  var acc: f32 = 0.0;
  for (var r: i32 = 0; r < ${T * B}; r = r + 1) { acc = acc + A[${arena.offset(`b.PV${g.i}`)} + r * ${size} + i]; }
  A[${arena.offset(`GP${g.i}`)} + i] = A[${arena.offset(`GP${g.i}`)} + i] + acc;
}`;
    epilogue.push({ kernel: kernel(`bwd.sum${g.i}`, src), groups: elementwise(size) });
  }
  return { arena, kernels, forward: { prologue, step: fwdStep, epilogue: [] }, backward: { prologue: [], step: bwStep, epilogue } };
}

function paramIndex(graph: Graph, n: Node): number {
  return graph.params.findIndex((p) => p.name === n.attrs.name);
}

/** The js backend's storage names, placed in the arena: program-local scratch under `f.`/`b.`. */
function arenaStorage(arena: Arena, prefix: string, graph: Graph, plan: StepPlan, dims: Dims, states: readonly string[], names: StorageNames, B: number, T: number): Storage {
  for (const n of graph.nodes) {
    const r = plan.role[n.id];
    const size = sizeOf(n.shape, dims);
    if (r === 'gemm') arena.add(`${prefix}.M${n.id}`, B * size);
    if (r === 'reduce') arena.add(`${prefix}.RD${n.id}`, B);
    if (r === 'fused' && plan.materialized.has(n.id)) arena.add(`${prefix}.V${n.id}`, B * Math.max(size, 1));
  }
  void T;
  const base = makeStorage(graph, plan, dims, states, names);
  return (n) => {
    const s = base(n);
    const region = arena.has(s.array) ? s.array : `${prefix}.${s.array}`;
    const off = arena.offset(region);
    return { array: 'A', index: (c) => `${off} + ${s.index(c)}` };
  };
}

const timeOf = (B: number, arena: Arena) => `let len = i32(A[${arena.offset('LEN')} + b]);
  if (seq.s >= len) { return; }
  let t = select(seq.s, len - 1 - seq.s, seq.reverse != 0);
  let bt = t * ${B} + b;`;

function perUnit(B: number, H: number, arena: Arena, body: string): string {
  return `${kernelHeader}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = i32(gid.x);
  if (i >= ${B * H}) { return; }
  let b = i / ${H};
  let j = i % ${H};
  ${timeOf(B, arena)}
${body}
}`;
}

type KernelSink = (key: string, source: string) => string;

function phases(plan: StepPlan, tag: string, dims: Dims, B: number, storage: Storage, arena: Arena, kernel: KernelSink, out: Dispatch[]): void {
  const g = plan.graph;
  for (let p = 1; p < plan.phaseCount; p++) {
    for (const n of g.nodes) {
      if (plan.role[n.id] !== 'gemm' || plan.phase[n.id] !== p) continue;
      const [w, v] = n.args.map((a) => g.nodes[a]!) as [Node, Node];
      if (w.op !== 'param') throw unsupported(g, n, 'a matrix product whose matrix is not a parameter');
      const R = sizeOf([w.shape[0]!], dims);
      const K = sizeOf([w.shape[1]!], dims);
      const operand = offsetOfRow(storage, v);
      const W = Number(storage(w).index(0).split(' + ')[0]);
      const C = offsetOfRow(storage, n);
      const spec = n.op === 'matvec' ? { M: B, N: R, K, a: operand, b: W, c: C, orientation: 'NT' as const, accumulate: false } : { M: B, N: K, K: R, a: operand, b: W, c: C, orientation: 'NN' as const, accumulate: false };
      out.push({ kernel: kernel(`${tag}.gemm${n.id}`, gemmKernel(spec)), groups: gemmGroups(B, spec.N) });
    }
    const body = phaseBody(plan, p, dims, storage, wgslDialect);
    if (body.reductions.length > 0) {
      const lines = body.reductions.map((r) => {
        const operand = g.nodes[r.args[0]!]!;
        const size = sizeOf(operand.shape, dims);
        const s = storage(operand);
        const o = storage(r);
        const scale = r.op === 'mean' ? ` * ${wgslNumber(1 / size)}` : '';
        return `  { var acc: f32 = 0.0; let j = 0; let base = ${s.index(0)}; for (var q: i32 = 0; q < ${size}; q = q + 1) { acc = acc + A[base + q]; } A[${o.index(0)}] = acc${scale}; }`;
      });
      const src = `${kernelHeader}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = i32(gid.x);
  if (b >= ${B}) { return; }
  ${timeOf(B, arena)}
${lines.join('\n')}
}`;
      out.push({ kernel: kernel(`${tag}.reduce${p}`, src), groups: [Math.ceil(B / WG), 1, 1] });
    }
    const statements = [...body.perB, ...body.perJ, ...body.stores];
    if (statements.length > 0) out.push({ kernel: kernel(`${tag}.phase${p}`, perUnit(B, dims.H, arena, statements.map((l) => `  ${l}`).join('\n'))), groups: [Math.ceil((B * dims.H) / WG), 1, 1] });
  }
}

/** The arena offset of row 0 of a per-example value (its index with b = j = 0). */
function offsetOfRow(storage: Storage, n: Node): number {
  const text = storage(n).index(0);
  const off = Number(text.split(' + ')[0]);
  if (!/^\d+ \+ b \* \d+ \+ j$|^\d+ \+ j$/.test(text)) throw unsupported({ name: 'cell', nodes: [], outputs: [], params: [] }, n, 'a matrix product of a value that is not per-example');
  return off;
}

function forwardCommit(graph: Graph, plan: StepPlan, dims: Dims, B: number, arena: Arena, storage: Storage, savedGemms: readonly { id: number; name: string; shape: Node['shape'] }[]): string {
  const { H } = dims;
  const reads = graph.outputs.map((o, k) => {
    const s = storage(graph.nodes[o.id]!);
    return `  let n${k} = ${s.array}[${s.index(0)}];`;
  });
  const writes = graph.outputs.map((_, k) => {
    const S = arena.offset(`S${k}`);
    return `  A[${arena.offset(`ST${k}`)} + bt * ${H} + j] = A[${S} + b * ${H} + j];\n  A[${S} + b * ${H} + j] = n${k};`;
  });
  const saves = savedGemms.flatMap((s) => {
    const R = sizeOf(s.shape, dims);
    const m = R / H;
    return Array.from({ length: m }, (_, c) => `  A[${arena.offset(`SV_${s.name}`)} + bt * ${R} + ${c * H} + j] = A[${arena.offset(`f.M${s.id}`)} + b * ${R} + ${c * H} + j];`);
  });
  void plan;
  return perUnit(B, H, arena, [...reads, ...writes, `  A[${arena.offset('OUT')} + bt * ${H} + j] = n0;`, ...saves].join('\n'));
}

function backwardPrep(states: number, dims: Dims, B: number, arena: Arena): string {
  const { H } = dims;
  const zero = Array.from({ length: states }, (_, k) => `A[${arena.offset(`C${k}`)} + b * ${H} + j] = 0.0;`).join(' ');
  return perUnit(B, H, arena, `  if (seq.truncate > 0 && (seq.s + 1) % seq.truncate == 0 && seq.s + 1 < len) { ${zero} }
  A[${arena.offset('C0')} + b * ${H} + j] = A[${arena.offset('C0')} + b * ${H} + j] + A[${arena.offset('GOUT')} + bt * ${H} + j];`);
}

function backwardCommit(graph: Graph, plan: StepPlan, dims: Dims, B: number, arena: Arena, storage: Storage, states: readonly string[], outputs: Map<string, number>, vectorGrads: readonly { i: number; node: Node }[]): string {
  const { H } = dims;
  const at = (n: Node, c: number) => {
    const s = storage(n);
    return `${s.array}[${s.index(c)}]`;
  };
  const lines: string[] = [];
  states.forEach((st, k) => lines.push(`  let n${k} = ${at(graph.nodes[outputs.get(`d.${st}`)!]!, 0)};`));
  states.forEach((_, k) => lines.push(`  A[${arena.offset(`C${k}`)} + b * ${H} + j] = n${k};`));
  const copyRows = (n: Node, region: string) => {
    const size = sizeOf(n.shape, dims);
    for (let c = 0; c < blocks(n); c++) lines.push(`  A[${arena.offset(region)} + bt * ${size} + ${c * H} + j] = ${at(n, c)};`);
  };
  for (const g of vectorGrads) copyRows(g.node, `b.PV${g.i}`);
  for (const id of plan.perTime) copyRows(graph.nodes[id]!, `b.PT${id}`);
  return perUnit(B, H, arena, lines.join('\n'));
}

function deferred(graph: Graph, plan: StepPlan, dims: Dims, B: number, T: number, arena: Arena, storage: Storage, inputName: string, outputs: Map<string, number>, kernel: KernelSink, out: Dispatch[]): void {
  const byTime = (n: Node): number => {
    if (n.op === 'input') return arena.offset('X');
    if (plan.perTime.has(n.id)) return arena.offset(`b.PT${n.id}`);
    return Number(storage(n).index(0).split(' + ')[0]);
  };
  let count = 0;
  const accumulate = (id: number, target: number): void => {
    const n = graph.nodes[id]!;
    if (n.op === 'add') return n.args.forEach((a) => accumulate(a, target));
    const [a, b] = n.args.map((x) => graph.nodes[x]!) as [Node, Node];
    if (n.op === 'outer') {
      const [M, N] = [sizeOf(a.shape, dims), sizeOf(b.shape, dims)];
      out.push({ kernel: kernel(`bwd.deferred${count++}`, gemmKernel({ M, N, K: T * B, a: byTime(a), b: byTime(b), c: target, orientation: 'TN', accumulate: true })), groups: gemmGroups(M, N) });
    } else if (n.op === 'matvec_t') {
      const [R, K] = [sizeOf([a.shape[0]!], dims), sizeOf([a.shape[1]!], dims)];
      const W = Number(storage(a).index(0).split(' + ')[0]);
      out.push({ kernel: kernel(`bwd.deferred${count++}`, gemmKernel({ M: T * B, N: K, K: R, a: byTime(b), b: W, c: target, orientation: 'NN', accumulate: true })), groups: gemmGroups(T * B, K) });
    } else throw unsupported(graph, n, `op ${n.op} after the time loop`);
  };
  const dx = outputs.get(`d.${inputName}`)!;
  if (plan.role[dx] === 'deferred') accumulate(dx, arena.offset('DX'));
  graph.params.forEach((p, i) => {
    const id = outputs.get(`d.${p.name}`)!;
    if (plan.role[id] === 'deferred') accumulate(id, arena.offset(`GP${i}`));
  });
}
