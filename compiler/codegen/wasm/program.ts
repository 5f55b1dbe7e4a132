// The WebAssembly module of one (cell, X, H): the forward and backward time loops with their per-step products
// and fused loops, plus what the runtime runs around them (the hoisted input products before the forward loop,
// the weight and input gradients after the backward loop). Code is independent of B and T (see layout.ts).
import type { CompiledCell } from '../../compiled-cell.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { deferredProducts } from '../../plan/deferred.js';
import { unsupported, type StepPlan } from '../../plan/step-plan.js';
import { stepProducts } from '../../plan/step-products.js';
import { blocks } from '../shared/phase-body.js';
import { safeLabel } from '../shared/names.js';
import { element, exampleArgs, exampleParams, Frame, load, overActiveUnits, phaseFunction, rowsOf, store, wasmFunction, type Row, type RowOf } from './fused.js';
import { gemmWat } from './gemm.js';
import { runLayout, type RunLayout } from './layout.js';
import { mathWatFor } from './math.js';
import { add, forLoop, get, i32, Locals, mul, set } from './wat.js';

/** A product of the whole sequence, run by the runtime (possibly over threads): C (+)= A·B over T·B rows. */
export type SequenceGemm =
  /** Before the forward loop: f.HX = X · Wᵀ. */
  | { readonly kind: 'hoisted'; readonly weight: string; readonly out: string; readonly N: number }
  /** After the backward loop: target += gᵀ·v (gᵀ copied to `aT`, v packed into `bP`). */
  | { readonly kind: 'outer'; readonly a: string; readonly M: number; readonly b: string; readonly N: number; readonly aT: string; readonly bP: string; readonly target: string }
  /** After the backward loop: target += g·W (dx). */
  | { readonly kind: 'matvec_t'; readonly g: string; readonly R: number; readonly K: number; readonly weight: string; readonly target: string };

export interface WasmProgram {
  readonly text: string;
  readonly run: RunLayout;
  readonly hoisted: readonly SequenceGemm[];
  readonly deferred: readonly SequenceGemm[];
  /** After the backward loop: target += the sum over all T·B rows of `rows` (export sum_rows). */
  readonly rowSums: readonly { readonly rows: string; readonly size: number; readonly target: string }[];
}

export function wasmProgram(cell: CompiledCell, dims: Dims, fma: boolean): WasmProgram {
  const run = runLayout(cell, dims);
  const { layout, forwardPlan, backwardPlan } = run;
  const fwd = cell.graph;
  const bw = cell.backward;
  const states = cell.states;
  const fRows = rowsOf(fwd, forwardPlan, dims, states, { state: (k) => ({ array: `S${k}`, byTime: false }) }, layout, 'f');
  const bRows = rowsOf(bw.graph, backwardPlan, dims, states, { state: (k) => ({ array: `ST${k}`, byTime: true }), grad: (k) => `C${k}`, saved: (name) => `SV_${name}` }, layout, 'b');
  const functions: string[] = [timesFunction(run)];
  const fwdSteps = phases('fwd', forwardPlan, dims, fRows, run, functions);
  functions.push(forwardCommit(cell, dims, run, fRows));
  const bwdSteps = phases('bwd', backwardPlan, dims, bRows, run, functions);
  const outputs = new Map(bw.graph.outputs.map((o) => [o.name, o.id]));
  functions.push(backwardPrep(cell, dims, run), backwardCommit(cell, dims, run, bRows, outputs));
  functions.push(forwardLoop(fwdSteps), backwardLoop(bwdSteps));

  const hoisted: SequenceGemm[] = fwd.nodes
    .filter((n) => forwardPlan.role[n.id] === 'hoisted')
    .map((n) => ({ kind: 'hoisted', weight: `WN${paramIndex(fwd, fwd.nodes[n.args[0]!]!)}`, out: `f.HX${n.id}`, N: sizeOf(n.shape, dims) }));
  const deferred = deferredGemms(cell, dims, backwardPlan, bRows);
  const rowSums = cell.params.flatMap((p, i) => (run.layout.has(`b.PV${i}`) ? [{ rows: `b.PV${i}`, size: sizeOf(p.shape, dims), target: `GP${i}` }] : []));
  const text = [
    `;; ${safeLabel(cell.name)}: X=${dims.X} H=${dims.H}; f32x4 kernels, ${fma ? 'fused multiply-add (relaxed SIMD)' : 'multiply then add'}`,
    `;; region k's byte address is the i32 at $L + 4k: ${layout.regions.map((r, k) => `${k} ${r.name}`).join(', ')}`,
    `(module`,
    `(import "env" "memory" (memory 1 65536 shared))`,
    `;; C (+)= A·B on the thread pool (the runtime's): M N K a lda bp c ldc accumulate`,
    `(import "env" "pgemm" (func $pgemm (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))`,
    mathWatFor(fma),
    gemmWat(fma),
    stepGemmFunction(),
    SUM_ROWS,
    ...functions,
    `(export "gemm" (func $gemm))`,
    `(export "sum_rows" (func $sum_rows))`,
    `)`,
  ].join('\n');
  return { text, run, hoisted, deferred, rowSums };
}

function paramIndex(graph: Graph, w: Node): number {
  return graph.params.findIndex((p) => p.name === String(w.attrs.name));
}

const tableLoad = (run: RunLayout, region: string) => `(i32.load offset=${4 * run.layout.index(region)} ${get('L')})`;

/** A per-step product: on this thread, or on the pool when it has one (`par` > 0) and M·N·K ≥ par. */
function stepGemmFunction(): string {
  const names = ['M', 'N', 'K', 'a', 'lda', 'bp', 'c', 'ldc', 'acc'];
  const args = names.map(get).join(' ');
  return wasmFunction('step_gemm', [...names.map((n) => `(param $${n} i32)`), '(param $par i32)'], new Locals(), [
    `(if (i32.and (i32.gt_s ${get('par')} ${i32(0)}) (i32.ge_u ${mul(mul(get('M'), get('N')), get('K'))} ${get('par')}))`,
    `  (then (call $pgemm ${args}))`,
    `  (else (call $gemm ${args})))`,
  ]);
}

/** dst[i] += Σ_r src[r·cols + i]: rows in order, four columns at a time (the tail one by one). */
const SUM_ROWS = `(func $sum_rows (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
  (local $r i32) (local $i i32) (local $vec i32)
  (local.set $vec (i32.and (local.get $cols) (i32.const -4)))
  ${forLoop('sr', 'r', i32(0), get('rows'), [
    ...forLoop('sv', 'i', i32(0), get('vec'), [
      `(v128.store (i32.add ${get('dst')} (i32.shl ${get('i')} ${i32(2)})) (f32x4.add (v128.load (i32.add ${get('dst')} (i32.shl ${get('i')} ${i32(2)}))) (v128.load (i32.add ${get('src')} (i32.shl ${get('i')} ${i32(2)})))))`,
    ], 4),
    ...forLoop('st', 'i', get('vec'), get('cols'), [
      `(f32.store (i32.add ${get('dst')} (i32.shl ${get('i')} ${i32(2)})) (f32.add (f32.load (i32.add ${get('dst')} (i32.shl ${get('i')} ${i32(2)}))) (f32.load (i32.add ${get('src')} (i32.shl ${get('i')} ${i32(2)})))))`,
    ]),
    set('src', add(get('src'), `(i32.shl ${get('cols')} ${i32(2)})`)),
  ]).join('\n  ')}
)`;

/** TIME[b] = the time example b in [b0, b1) reads at step s (-1 past its length); returns how many are active. */
function timesFunction(run: RunLayout): string {
  const locals = new Locals();
  for (const v of ['b', 'len', 't', 'active', 'LEN', 'TIME']) locals.add(v, 'i32');
  const body = [
    set('LEN', tableLoad(run, 'LEN')),
    set('TIME', tableLoad(run, 'TIME')),
    set('active', i32(0)),
    ...forLoop('ex', 'b', get('b0'), get('b1'), [
      set('len', `(i32.load ${add(get('LEN'), `(i32.shl ${get('b')} ${i32(2)})`)})`),
      set('t', `(select (select (i32.sub (i32.sub ${get('len')} ${i32(1)}) ${get('s')}) ${get('s')} ${get('rev')}) ${i32(-1)} (i32.lt_s ${get('s')} ${get('len')}))`),
      `(i32.store ${add(get('TIME'), `(i32.shl ${get('b')} ${i32(2)})`)} ${get('t')})`,
      set('active', add(get('active'), `(i32.ge_s ${get('t')} ${i32(0)})`)),
    ]),
    get('active'),
  ];
  return wasmFunction('times', [...exampleParams, '(param $s i32)', '(param $rev i32)', '(result i32)'], locals, body);
}

/** Per phase: its products (calls), then its fused loop (a function). Returns the statements of one step. */
function phases(tag: string, plan: StepPlan, dims: Dims, rowOf: RowOf, run: RunLayout, functions: string[]): string[] {
  const graph = plan.graph;
  const step: string[] = [];
  for (let p = 1; p < plan.phaseCount; p++) {
    for (const { node: n, operand: v, weight: i, R, K } of stepProducts(plan, p, dims)) {
      const operand = rowOf(v);
      if (operand.kind !== 'example') throw unsupported(graph, n, 'a matrix product of a value that is not per-example');
      // this call's rows b0..b1 of the operand and of the product
      const rowAt = (region: string, size: number) => add(tableLoad(run, region), mul(get('b0'), i32(size * 4)));
      const rows = `(i32.sub ${get('b1')} ${get('b0')})`;
      // matvec: rows v against Wᵀ (packed WN); matvec_t: rows v against W (packed WT).
      const call =
        n.op === 'matvec'
          ? [rows, i32(R), i32(K), rowAt(operand.region, K), i32(K), tableLoad(run, `WN${i}`), rowAt(rowOf(n).region, R), i32(R)]
          : [rows, i32(K), i32(R), rowAt(operand.region, R), i32(R), tableLoad(run, `WT${i}`), rowAt(rowOf(n).region, K), i32(K)];
      step.push(`(call $step_gemm ${call.join(' ')} ${i32(0)} ${get('par')})`);
    }
    const fn = phaseFunction(`${tag}_phase${p}`, plan, p, dims, rowOf, run.layout);
    if (fn) {
      functions.push(fn);
      step.push(`(call $${tag}_phase${p} ${exampleArgs()})`);
    }
  }
  return step;
}

const exampleRow = (region: string, size: number): Row => ({ region, kind: 'example', size });
const timeRow = (region: string, size: number): Row => ({ region, kind: 'time', size });

/** Per active example: the tape keeps each state as it was before the step; states, output and saved products. */
function forwardCommit(cell: CompiledCell, dims: Dims, run: RunLayout, rowOf: RowOf): string {
  const { H } = dims;
  const graph = cell.graph;
  const frame = new Frame(run.layout);
  const savedGemms = cell.backward.saved.filter((s) => run.forwardPlan.role[s.id] === 'gemm');
  const perUnit = (fl: 'vector' | 'tail') => {
    const lines: string[] = [];
    graph.outputs.forEach((o, k) => lines.push(set(frame.locals.add(`n${k}`, 'v128'), load(element(frame, rowOf(graph.nodes[o.id]!), 0, H), fl))));
    const keep: string[] = [];
    graph.outputs.forEach((_, k) => keep.push(store(element(frame, timeRow(`ST${k}`, H), 0, H), fl, load(element(frame, exampleRow(`S${k}`, H), 0, H), fl))));
    for (const s of savedGemms) {
      const R = sizeOf(s.shape, dims);
      for (let c = 0; c < R / H; c++) keep.push(store(element(frame, timeRow(`SV_${s.name}`, R), c, H), fl, load(element(frame, exampleRow(`f.M${s.id}`, R), c, H), fl)));
    }
    lines.push(`(if ${get('keep')} (then ${keep.join(' ')}))`);
    graph.outputs.forEach((_, k) => lines.push(store(element(frame, exampleRow(`S${k}`, H), 0, H), fl, get(`n${k}`))));
    lines.push(store(element(frame, timeRow('OUT', H), 0, H), fl, get('n0')));
    return lines;
  };
  const body = overActiveUnits(frame, H, () => [], perUnit);
  return wasmFunction('fwd_commit', [...exampleParams, '(param $keep i32)'], frame.locals, body);
}

/** Truncated BPTT cuts an example's cotangents at the start of its k-step chunks; then C0 += dL/dout_t. */
function backwardPrep(cell: CompiledCell, dims: Dims, run: RunLayout): string {
  const { H } = dims;
  const frame = new Frame(run.layout);
  const len = frame.base('LEN');
  const zero = `(v128.const i32x4 0 0 0 0)`;
  const cut = `(i32.and (i32.and (i32.gt_s ${get('truncate')} ${i32(0)}) (i32.eqz (i32.rem_s (i32.add ${get('s')} ${i32(1)}) (select ${get('truncate')} ${i32(1)} ${get('truncate')})))) (i32.lt_s (i32.add ${get('s')} ${i32(1)}) (i32.load ${add(get(len), `(i32.shl ${get('b')} ${i32(2)})`)})))`;
  const perUnit = (fl: 'vector' | 'tail') => {
    const c0 = element(frame, exampleRow('C0', H), 0, H);
    const zeros = cell.states.map((_, k) => store(element(frame, exampleRow(`C${k}`, H), 0, H), fl, zero));
    return [`(if ${get('cut')} (then ${zeros.join(' ')}))`, store(c0, fl, `(f32x4.add ${load(c0, fl)} ${load(element(frame, timeRow('GOUT', H), 0, H), fl)})`)];
  };
  frame.locals.add('cut', 'i32');
  const body = overActiveUnits(frame, H, () => [set('cut', cut)], perUnit);
  return wasmFunction('bwd_prep', [...exampleParams, '(param $s i32)', '(param $truncate i32)'], frame.locals, body);
}

/** Per active example: parameter gradients the step computes (biases) and per-time copies, then the new cotangents. */
function backwardCommit(cell: CompiledCell, dims: Dims, run: RunLayout, rowOf: RowOf, outputs: Map<string, number>): string {
  const { H } = dims;
  const graph = cell.backward.graph;
  const plan = run.backwardPlan;
  const frame = new Frame(run.layout);
  // Parameter gradients the step computes (the rest are deferred products): a row per (t, b) in b.PV<i>.
  const stepGrads = cell.params
    .map((p, i) => ({ i, size: sizeOf(p.shape, dims), node: graph.nodes[outputs.get(`d.${p.name}`)!]! }))
    .filter((g) => plan.role[g.node.id] !== 'deferred');
  const perUnit = (fl: 'vector' | 'tail') => {
    const lines: string[] = [];
    // Copies first: they may read a grad leaf C_k that the state writes below replace.
    for (const g of stepGrads) {
      for (let c = 0; c < Math.max(1, blocks(g.node)); c++) lines.push(store(element(frame, timeRow(`b.PV${g.i}`, g.size), c, H), fl, load(element(frame, rowOf(g.node), c, H), fl)));
    }
    for (const id of plan.perTime) {
      const n = graph.nodes[id]!;
      const size = sizeOf(n.shape, dims);
      for (let c = 0; c < Math.max(1, blocks(n)); c++) lines.push(store(element(frame, timeRow(`b.PT${id}`, size), c, H), fl, load(element(frame, rowOf(n), c, H), fl)));
    }
    cell.states.forEach((st, k) => lines.push(set(frame.locals.add(`n${k}`, 'v128'), load(element(frame, rowOf(graph.nodes[outputs.get(`d.${st}`)!]!), 0, H), fl))));
    cell.states.forEach((_, k) => lines.push(store(element(frame, exampleRow(`C${k}`, H), 0, H), fl, get(`n${k}`))));
    return lines;
  };
  const body = overActiveUnits(frame, H, () => [], perUnit);
  return wasmFunction('bwd_commit', exampleParams, frame.locals, body);
}

function forwardLoop(step: readonly string[]): string {
  const locals = new Locals();
  locals.add('s', 'i32');
  const body = forLoop('time', 's', i32(0), get('T'), [
    `(br_if $time_done (i32.eqz (call $times ${exampleArgs()} ${get('s')} ${get('rev')})))`,
    ...step,
    `(call $fwd_commit ${exampleArgs()} ${get('keep')})`,
  ]);
  const params = ['L', 'T', 'B', 'rev', 'keep', 'par', 'b0', 'b1'].map((p) => `(param $${p} i32)`);
  return wasmFunction('forward', params, locals, body, 'forward');
}

function backwardLoop(step: readonly string[]): string {
  const locals = new Locals();
  locals.add('s', 'i32');
  const body = [
    set('s', `(i32.sub ${get('T')} ${i32(1)})`),
    `(block $time_done (loop $time`,
    `  (br_if $time_done (i32.lt_s ${get('s')} ${i32(0)}))`,
    `  (if (call $times ${exampleArgs()} ${get('s')} ${get('rev')}) (then`,
    `    (call $bwd_prep ${exampleArgs()} ${get('s')} ${get('truncate')})`,
    ...step.map((l) => `    ${l}`),
    `    (call $bwd_commit ${exampleArgs()})))`,
    `  ${set('s', `(i32.sub ${get('s')} ${i32(1)})`)}`,
    `  (br $time)))`,
  ];
  const params = ['L', 'T', 'B', 'rev', 'truncate', 'par', 'b0', 'b1'].map((p) => `(param $${p} i32)`);
  return wasmFunction('backward', params, locals, body, 'backward');
}

function deferredGemms(cell: CompiledCell, dims: Dims, plan: StepPlan, rowOf: RowOf): SequenceGemm[] {
  const graph = plan.graph;
  const byTime = (n: Node): string => {
    if (n.op === 'input') return 'X';
    if (plan.perTime.has(n.id)) return `b.PT${n.id}`;
    const row = rowOf(n);
    if (row.kind !== 'time') throw unsupported(graph, n, 'a weight gradient of a value not stored by time');
    return row.region;
  };
  return deferredProducts(plan, cell.ir.inputName, cell.params).map(({ op, node, a, b, target }) =>
    op === 'outer'
      ? { kind: 'outer', a: byTime(a), M: sizeOf(a.shape, dims), b: byTime(b), N: sizeOf(b.shape, dims), aT: `e.A${node.id}`, bP: `e.B${node.id}`, target }
      : { kind: 'matvec_t', g: byTime(b), R: sizeOf([a.shape[0]!], dims), K: sizeOf([a.shape[1]!], dims), weight: `WT${paramIndex(graph, a)}`, target },
  );
}
