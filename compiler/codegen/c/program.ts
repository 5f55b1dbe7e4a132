// The C library of one (cell, X, H): the same kernel plan as js and wasm — the hoisted input product before the
// forward loop, per step the recurrent products and fused phase loops, the weight and input gradients as one
// product each after the backward loop — with the time loops inside the C, on a team of threads (team.ts). Code is
// independent of B and T.
import type { CompiledCell } from '../../compiled-cell.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { deferredProducts } from '../../plan/deferred.js';
import { forwardReadBlocks, nonZeroRows, readBlocks, readColumns, zeroBlocks, type BlockReads } from '../../plan/read-blocks.js';
import { unsupported, type StepPlan } from '../../plan/step-plan.js';
import { stepProducts } from '../../plan/step-products.js';
import { blocks } from '../shared/phase-body.js';
import { safeLabel } from '../shared/names.js';
import { cFunction, cStorage, exampleLoop, overUnits, phaseFunction, unitPhaseFunction, type CStorage, type UnitCommit } from './fused.js';
import { cRunLayout, IO_REGIONS, type CRunLayout } from './layout.js';
import { cPrelude } from './prelude.js';

export interface CProgram {
  /** One C file; compiled as `parts` translation units (-DCF_PART=1..parts, prelude.ts), or as one without CF_PART. */
  readonly source: string;
  readonly parts: number;
  readonly run: CRunLayout;
  /** Parameter i's packed forms: `WN` (Wᵀ, for x·Wᵀ) and `WT` (W, for g·W), when some product uses them. */
  readonly packs: readonly { readonly param: number; readonly region: string; readonly R: number; readonly K: number; readonly transposed: boolean }[];
}

const paramIndex = (graph: Graph, w: Node) => graph.params.findIndex((p) => p.name === String(w.attrs.name));

export function cProgram(cell: CompiledCell, dims: Dims): CProgram {
  const run = cRunLayout(cell, dims);
  const { layout, forwardPlan, backwardPlan } = run;
  const { X, H } = dims;
  const fwd = cell.graph;
  const bw = cell.backward.graph;
  const fs = cStorage(fwd, forwardPlan, dims, cell.states, { state: (k) => ({ array: `S${k}`, byTime: false }) }, layout, 'f');
  const bs = cStorage(bw, backwardPlan, dims, cell.states, { state: (k) => ({ array: `ST${k}`, byTime: true }), grad: (k) => `C${k}`, saved: (name) => `SV_${name}` }, layout, 'b');
  const R = (name: string) => `R[${layout.index(name)}]`;
  const forwardFunctions: string[] = [];
  const backwardFunctions: string[] = [];
  // A forward whose phases work unit by unit runs one loop (fwd_loop_units) whatever the team; any other runs the
  // phases by examples (fwd_loop).
  // Columns of a step's products that nothing reads (a chunk the cell drops) are not computed.
  const fwdReads = forwardReadBlocks(cell);
  const fwdUnits = unitPhases('fwd', forwardPlan, dims, fs, forwardFunctions, unitCommit(cell, dims, run, fs), fwdReads);
  const fwdStep = fwdUnits ? [] : phases('fwd', forwardPlan, dims, fs, forwardFunctions, fwdReads);
  if (!fwdUnits) forwardFunctions.push(forwardCommit(cell, dims, run, fs));
  const bwdStep = phases('bwd', backwardPlan, dims, bs, backwardFunctions, readBlocks(bw));
  backwardFunctions.push(backwardPrep(cell, dims, run), backwardCommit(cell, dims, run, bs));

  /** The input projections of all T·B rows, one product each: on the team (team.ts, gemm_team) and, for a team of
   * one, on nt threads. */
  const hoisted = fwd.nodes
    .filter((n) => forwardPlan.role[n.id] === 'hoisted')
    .map((n) => {
      const N = sizeOf(n.shape, dims);
      const args = `${N}, ${X}, ${R('X')}, ${X}, 1, ${R(`WN${paramIndex(fwd, fwd.nodes[n.args[0]!]!)}`)}, ${R(`f.HX${n.id}`)}, ${N}`;
      return { team: `gemm_team(&tm, T, B, ${args}, ${H});`, alone: `gemm((idx)T * B, ${args}, 0, nt);` };
    });
  const stepWork = (plan: StepPlan) => plan.graph.nodes.filter((n) => plan.role[n.id] === 'gemm').reduce((a, n) => a + sizeOf(plan.graph.nodes[n.args[0]!]!.shape, dims), 0) + 16 * H * plan.phaseCount;
  const io = (name: string) => `io_${name.toLowerCase()}`;
  /** Bytes of the weights one step's products read. */
  const stepWeightBytes = (plan: StepPlan) => [...Array(plan.phaseCount).keys()].flatMap((p) => stepProducts(plan, p, dims)).reduce((a, pr) => a + 4 * pr.R * pr.K, 0);
  const tableEntries = layout.regions.map((r, k) => (r.block === 'io' ? `R[${k}] = (float *)${io(r.name)};` : `R[${k}] = ${r.block === 'weights' ? '(float *)W' : 'M'} + L[${k}];`));
  const ioArgs = IO_REGIONS.map((name) => `${name === 'X' || name === 'GOUT' ? 'const ' : ''}float *${io(name)}`).join(', ');
  const entry = (sig: string, body: string[]) => [`EXPORT void ${sig} {`, `  float *R[${layout.regions.length}];`, ...tableEntries.map((l) => `  ${l}`), ...body.map((l) => `  ${l}`), `}`].join('\n');
  /** Runs `loop` on a team of up to nt threads (one when the loop is small), after `before`; `units`: the loop
   * splits a step by units unless the team splits the examples alone. */
  const team = (work: number, weightBytes: number, loop: string, units: boolean, before: readonly { team: string; alone: string }[] = []) => [
    `{`,
    `  const int size = team_size(nt, T, B, ${work});`,
    ...(before.length ? [`  if (size == 1) { ${before.map((b) => b.alone).join(' ')} }`] : []),
    `  team_slot slots[size];`,
    `  memset(slots, 0, sizeof slots);`,
    `  team_barrier bar = {0, 0, slots};`,
    `#pragma omp parallel num_threads(size) if (size > 1)`,
    `  {`,
    `#ifdef _OPENMP`,
    `    team tm = {&bar, omp_get_thread_num(), omp_get_num_threads(), 0, 0, 0, 0, 0, 0};`,
    `#else`,
    `    team tm = {&bar, 0, 1, 0, 0, 0, 0, 0, 0};`,
    `#endif`,
    `    tm.rows = team_rows(tm.parts, B, ${weightBytes});`,
    `    tm.b0 = (int)((idx)tm.q * B / tm.parts);`,
    `    tm.b1 = (int)((idx)(tm.q + 1) * B / tm.parts);`,
    `    tm.units = ${units ? '!tm.rows && tm.parts > 1' : '0'};`,
    `    if (tm.q == 0) last_team = 4 * tm.parts + (tm.rows ? 1 : tm.units ? 2 : 0);`,
    ...(before.length ? [`    if (size > 1) { ${before.map((b) => b.team).join(' ')} }`] : []),
    `    ${loop}`,
    `  }`,
    `}`,
  ];
  const forwardLoop = !fwdUnits && [
    `static void fwd_loop(float *const *R, int T, int B, int rev, int keep, team *tm) {`,
    `  const int steps = last_step(R, B, T);`,
    `  for (int s = 0; s < steps; s++) {`,
    ...teamStep([...fwdStep, 'fwd_commit(R, B, b0, b1, s, rev, keep);']).map((l) => `    ${l}`),
    `  }`,
    `}`,
  ].join('\n');
  // States ping-pong between S_k and SN_k: a step reads S_k and its last phase writes SN_k, so that no thread
  // replaces a state that another's products may still read; the table swaps them after each step, and an odd
  // number of steps leaves the final states in SN_k, copied back for the caller.
  const swaps = cell.states.map((_, k) => `{ float *t = R[${layout.index(`S${k}`)}]; R[${layout.index(`S${k}`)}] = R[${layout.index(`SN${k}`)}]; R[${layout.index(`SN${k}`)}] = t; }`);
  const copyBack = cell.states.map((_, k) => `memcpy(R0[${layout.index(`S${k}`)}] + (idx)b0 * ${H}, R0[${layout.index(`SN${k}`)}] + (idx)b0 * ${H}, (size_t)(b1 - b0) * ${H} * 4);`);
  const forwardUnitLoop = fwdUnits && [
    `static void fwd_loop_units(float *const *R0, int T, int B, int rev, int keep, team *tm) {`,
    `  float *R[${layout.regions.length}];`,
    `  memcpy(R, R0, sizeof R);`,
    `  const int steps = last_step(R, B, T);`,
    `  for (int s = 0; s < steps; s++) {`,
    ...fwdUnits.flatMap((phase) => unitChunks(phase, H)).map((l) => `    ${l}`),
    ...swaps.map((l) => `    ${l}`),
    `  }`,
    `  if (steps & 1) {`,
    `    team_sync(tm);`,
    `    const int b0 = (int)((idx)tm->q * B / tm->parts), b1 = (int)((idx)(tm->q + 1) * B / tm->parts);`,
    ...copyBack.map((l) => `    ${l}`),
    `  }`,
    `}`,
  ].join('\n');
  const backwardLoop = [
    `static void bwd_loop(float *const *R, int T, int B, int rev, int truncate, team *tm) {`,
    `  for (int s = last_step(R, B, T) - 1; s >= 0; s--) {`,
    ...teamStep(['bwd_prep(R, B, b0, b1, s, rev, truncate);', ...bwdStep, 'bwd_commit(R, B, b0, b1, s, rev);']).map((l) => `    ${l}`),
    `  }`,
    `}`,
  ].join('\n');
  const zero = (name: string, size: string) => `memset(${R(name)}, 0, (size_t)(${size}) * 4);`;
  const rowSums = cell.params.flatMap((p, i) => (layout.has(`b.PV${i}`) ? [{ name: `b.PV${i}`, size: sizeOf(p.shape, dims), i }] : []));
  const forward = entry(`cf_forward(const float *W, float *M, const idx *L, ${ioArgs}, int T, int B, int rev, int keep, int nt)`, [
    `/* outputs past an example's length are zeros; every other one is written by the loop */`,
    `huge_pages(${R('OUT')}, (size_t)T * B * ${H} * 4);`,
    `if (!all_full(R, B, T)) ${zero('OUT', `(idx)T * B * ${H}`)}`,
    `/* input projections hoisted out of the time loop: all T·B rows in one product, on the loop's team */`,
    ...team(stepWork(forwardPlan), stepWeightBytes(forwardPlan), fwdUnits ? 'fwd_loop_units(R, T, B, rev, keep, &tm);' : 'fwd_loop(R, T, B, rev, keep, &tm);', !!fwdUnits, hoisted),
  ]);
  const backward = entry(`cf_backward(const float *W, float *M, const idx *L, ${ioArgs}, int T, int B, int rev, int truncate, int nt)`, [
    ...cell.params.map((p, i) => zero(`GP${i}`, String(sizeOf(p.shape, dims)))),
    `huge_pages(${R('DX')}, (size_t)T * B * ${X} * 4);`,
    zero('DX', `(idx)T * B * ${X}`),
    ...[...backwardPlan.perTime].map((id) => zero(`b.PT${id}`, `(idx)T * B * ${sizeOf(bw.nodes[id]!.shape, dims)}`)),
    ...rowSums.map((r) => zero(r.name, `(idx)T * B * ${r.size}`)),
    ...team(stepWork(backwardPlan), stepWeightBytes(backwardPlan), 'bwd_loop(R, T, B, rev, truncate, &tm);', false),
    `/* weight and input gradients: one product each over all T·B rows */`,
    ...deferred(cell, dims, backwardPlan, bs, R),
    ...rowSums.map((r) => `sum_rows(${R(r.name)}, (idx)T * B, ${r.size}, ${R(`GP${r.i}`)});`),
  ]);
  const packs = cell.params.flatMap((p, i) => {
    if (p.shape.length !== 2) return [];
    const [Rn, Kn] = [sizeOf([p.shape[0]!], dims), sizeOf([p.shape[1]!], dims)];
    return [
      ...(layout.has(`WN${i}`) ? [{ param: i, region: `WN${i}`, R: Rn, K: Kn, transposed: true }] : []),
      ...(layout.has(`WT${i}`) ? [{ param: i, region: `WT${i}`, R: Rn, K: Kn, transposed: false }] : []),
    ];
  });
  const part1 = [...forwardFunctions, forwardLoop || forwardUnitLoop || '', forward];
  const part2 = [...backwardFunctions, backwardLoop, backward];
  const moved = balanceParts(part1, part2);
  const source = [
    `/* ${safeLabel(cell.name)}: X=${X} H=${H}; generated by cellforge */`,
    `/* region k: ${layout.regions.map((r, k) => `${k} ${r.name}`).join(', ')} */`,
    cPrelude,
    ...moved.map((f) => `${f.slice(0, f.indexOf(' {'))};`),
    `#if CF_PART != 2`,
    ...part1,
    `#endif`,
    `#if CF_PART != 1`,
    ...part2,
    `#endif`,
    '',
  ].join('\n');
  return { source, parts: 2, run, packs };
}

/**
 * Moves backward phase functions (from the start of part2) into part1 while that brings the two translation
 * units' sizes closer, so that they compile in about the same time (a cell's backward is often twice its forward:
 * lstm_layernorm's 0.55 and 0.72 s). A moved function is CROSS (prelude.ts: defined in part 1, called from part 2);
 * returns the moved functions, whose prototypes precede both parts.
 */
function balanceParts(part1: string[], part2: string[]): string[] {
  const size = (part: readonly string[]) => part.reduce((a, f) => a + f.length, 0);
  const moved: string[] = [];
  let gap = size(part2) - size(part1);
  while (part2.length > 2 && part2[0]!.startsWith('static void ') && part2[0]!.length < gap) {
    const f = `CROSS void ${part2.shift()!.slice('static void '.length)}`;
    gap -= 2 * f.length;
    part1.push(f);
    moved.push(f);
  }
  return moved;
}

/**
 * One step on the team: the per-example calls between two barriers run over chunks of examples that the threads
 * take as they come (team.ts), with a barrier at the start of the step unless its products begin it (the last
 * calls of one step and the first of the next must not run on different threads at once).
 */
function teamStep(step: readonly string[]): string[] {
  const out: string[] = [];
  let calls: string[] = [];
  const flush = () => {
    if (calls.length === 0) return;
    out.push('{', '  team_iter it; int b0, b1;', '  examples_begin(tm, &it, B);', '  while (examples_next(tm, &it, &b0, &b1)) {', ...calls.map((c) => `    ${c}`), '  }', '}');
    calls = [];
  };
  if (step[0] !== 'team_sync(tm);') out.push('team_sync(tm);');
  for (const line of step) {
    if (line.includes('(R, B, b0, b1')) calls.push(line);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

/**
 * One phase of a step on a forward that works unit by unit: with a team that splits the examples alone (or one
 * thread), this thread's examples and every unit, with no barrier, each product as one call over all its columns;
 * else a barrier (every operand is complete), then chunks of units taken as they come, each running the phase's
 * products for its columns (every gate's block of them) and its fused loop over every example, the last phase
 * with the commit. The products' results are used by the thread that computed them, in its own cache.
 */
function unitChunks(phase: UnitPhase, H: number): string[] {
  return [
    'if (tm->rows || tm->parts == 1) {',
    `  const int b0 = tm->parts == 1 ? 0 : tm->b0, b1 = tm->parts == 1 ? B : tm->b1, u0 = 0, u1 = ${H};`,
    ...phase.whole.map((c) => `  ${c}`),
    '} else {',
    '  team_sync(tm);',
    '  team_iter it; int c0, c1;',
    `  examples_begin(tm, &it, ${H} / NR);`,
    '  while (examples_next(tm, &it, &c0, &c1)) {',
    '    const int b0 = 0, b1 = B, u0 = c0 * NR, u1 = c1 * NR;',
    ...phase.chunk.map((c) => `    ${c}`),
    '  }',
    '}',
  ];
}

/** A phase's statements for a chunk of units [u0, u1), and for all of them (u0 = 0, u1 = H). */
interface UnitPhase {
  readonly chunk: readonly string[];
  readonly whole: readonly string[];
}

/**
 * Per phase of a step split by units: its products for columns [u0, u1) of every block of H, then its fused loop
 * over those units; null when some phase is not unit by unit (a reduction, a per-example scalar, a product whose
 * result is not whole blocks of H) or H is not a whole number of panels at every vector width (32 floats).
 */
function unitPhases(tag: string, plan: StepPlan, dims: Dims, st: CStorage, functions: string[], commit: UnitCommit, reads: readonly BlockReads[]): UnitPhase[] | null {
  const { H } = dims;
  if (H % 32 !== 0) return null;
  const step: UnitPhase[] = [];
  const fns: string[] = [];
  for (let p = 1; p < plan.phaseCount; p++) {
    const calls: string[] = [];
    const whole: string[] = [];
    for (const { node: n, operand: v, weight: i, R: Rn, K: Kn } of stepProducts(plan, p, dims)) {
      const [N, K, packed] = n.op === 'matvec' ? [Rn, Kn, `WN${i}`] : [Kn, Rn, `WT${i}`];
      if (N % H !== 0) return null;
      const operand = st.raw(v).array;
      const out = st.raw(n).array;
      const read = readColumns(reads[n.id]!, N, H);
      // Columns g·H + [u0, u1) of each block read: their panels start at (g·H + u0) / NR, K·NR floats each.
      for (const [from, to] of read) {
        for (let g = from / H; g < to / H; g++) {
          calls.push(`gemm(b1 - b0, u1 - u0, ${K}, ${operand} + (idx)b0 * ${K}, ${K}, 1, R[${st.region(packed)}] + (idx)(${g * H} + u0) * ${K}, ${out} + (idx)b0 * ${N} + ${g * H} + u0, ${N}, 0, 1);`);
        }
      }
      // All units: each run of blocks read is contiguous columns, one call (a batch-1 row runs four panels at once).
      for (const [from, to] of read) {
        whole.push(`gemm(b1 - b0, ${to - from}, ${K}, ${operand} + (idx)b0 * ${K}, ${K}, 1, R[${st.region(packed)}]${from ? ` + ${from * K}` : ''}, ${out} + (idx)b0 * ${N}${from ? ` + ${from}` : ''}, ${N}, 0, 1);`);
      }
    }
    const last = p === plan.phaseCount - 1;
    const fn = unitPhaseFunction(`${tag}_uphase${p}`, plan, p, dims, st, last ? commit : undefined);
    if (fn === undefined) return null;
    if (fn) {
      fns.push(fn);
      const call = `${tag}_uphase${p}(R, B, b0, b1, s, rev, u0, u1${last ? ', keep' : ''});`;
      calls.push(call);
      whole.push(call);
    }
    const regions = (lines: string[]) => lines.map((l) => l.replace(/\br(\d+)\b/g, 'R[$1]'));
    step.push({ chunk: regions(calls), whole: regions(whole) });
  }
  functions.push(...fns);
  return step;
}

/** Per phase: its per-step products over this thread's rows, then its fused loop. Returns one step's statements. */
function phases(tag: string, plan: StepPlan, dims: Dims, st: CStorage, functions: string[], reads: readonly BlockReads[]): string[] {
  const graph = plan.graph;
  const zeros = zeroBlocks(graph);
  const step: string[] = [];
  for (let p = 1; p < plan.phaseCount; p++) {
    const products = stepProducts(plan, p, dims);
    // Every thread's operands are complete before the products, and every product before the fused loop.
    if (products.length) step.push('team_sync(tm);');
    for (const { node: n, operand: v, weight: i, R: Rn, K: Kn } of products) {
      const operand = st.raw(v);
      const first = operand.index(0);
      if (!(first.startsWith('b ') || first === 'b') || v.shape.length === 0) throw unsupported(graph, n, 'a matrix product of a value that is not per-example');
      const out = st.raw(n).array;
      const packed = (name: string) => `R[${st.region(name)}]`;
      // matvec: rows v against Wᵀ (packed WN); matvec_t: rows v against W (packed WT). All B rows, this thread's panels
      // of the columns read (a block of H starts a panel at every vector width when H is a multiple of 32).
      // Rows of K where the operand is zeros by construction (the cotangent of a dropped chunk) are skipped too.
      const [N, K, pack] = n.op === 'matvec' ? [Rn, Kn, `WN${i}`] : [Kn, Rn, `WT${i}`];
      const [ka, kb] = nonZeroRows(zeros[v.id]!, K, dims.H);
      for (const [from, to] of dims.H % 32 === 0 ? readColumns(reads[n.id]!, N, dims.H) : [[0, N] as const]) {
        step.push(`gemm_share(tm, B, ${to - from}, ${K}, ${ka}, ${kb}, ${operand.array}, ${K}, 1, ${packed(pack)}${from ? ` + ${from * K}` : ''}, ${out}${from ? ` + ${from}` : ''}, ${N});`);
      }
    }
    if (products.length) step.push('team_sync(tm);');
    const fn = phaseFunction(`${tag}_phase${p}`, plan, p, dims, st);
    if (fn) {
      functions.push(fn);
      step.push(`${tag}_phase${p}(R, B, b0, b1, s, rev);`);
    }
  }
  return step.map((l) => l.replace(/\br(\d+)\b/g, 'R[$1]'));
}

/** Per active example: the tape keeps each state as it was before the step; then states, output, saved products. */
function forwardCommit(cell: CompiledCell, dims: Dims, run: CRunLayout, st: CStorage): string {
  const { H } = dims;
  const graph = cell.graph;
  const r = (name: string) => `r${st.region(name)}`;
  const savedGemms = cell.backward.saved.filter((s) => run.forwardPlan.role[s.id] === 'gemm');
  const units = (tail: boolean) => {
    const ld = (a: string, i: string) => (tail ? `LDP(&${a}[${i}], n)` : `LD(&${a}[${i}])`);
    const sv = (a: string, i: string, v: string) => (tail ? `STP(&${a}[${i}], ${v}, n);` : `ST(&${a}[${i}], ${v});`);
    const lines = graph.outputs.map((o, k) => {
      const s = st.raw(graph.nodes[o.id]!);
      return `const vf n${k} = ${ld(s.array, s.index(0))};`;
    });
    lines.push(`if (keep) { ${cell.states.map((_, k) => sv(r(`ST${k}`), `bt * ${H} + j`, ld(r(`S${k}`), `b * ${H} + j`))).join(' ')} }`);
    lines.push(...cell.states.map((_, k) => sv(r(`S${k}`), `b * ${H} + j`, `n${k}`)));
    lines.push(sv(r('OUT'), `bt * ${H} + j`, 'n0'));
    return lines;
  };
  const copies = savedGemms.map((s) => {
    const size = sizeOf(s.shape, dims);
    return `  if (keep) memcpy(&${r(`SV_${s.name}`)}[bt * ${size}], &${r(`f.M${s.id}`)}[(idx)b * ${size}], ${size} * 4);`;
  });
  return cFunction('fwd_commit', st.used, [...exampleLoop, ...overUnits(H, units), ...copies, '}'], ', int keep');
}

/** As forwardCommit, for units [u0, u1): new states go to SN_k (the step reads S_k), saved products by columns
 * [u0, u1) of each block of H. */
function unitCommit(cell: CompiledCell, dims: Dims, run: CRunLayout, st: CStorage): UnitCommit {
  const { H } = dims;
  const graph = cell.graph;
  const r = (name: string) => `r${st.region(name)}`;
  const outputs = graph.outputs.map((o) => {
    const x = st.raw(graph.nodes[o.id]!);
    // A per-example value region (f.V) is this step's scratch: nothing but the commit reads it.
    const scratch = run.layout.regions[Number(x.array.slice(1))]!.name.startsWith('f.V');
    return { id: o.id, load: `LD(&${x.array}[${x.index(0)}])`, ...(scratch ? { store: `ST(&${x.array}[${x.index(0)}], v${o.id}_0);` } : {}) };
  });
  const perJ: string[] = [];
  perJ.push(`if (keep) { ${cell.states.map((_, k) => `ST(&${r(`ST${k}`)}[bt * ${H} + j], LD(&${r(`S${k}`)}[b * ${H} + j]));`).join(' ')} }`);
  perJ.push(...cell.states.map((_, k) => `ST(&${r(`SN${k}`)}[b * ${H} + j], n${k});`));
  perJ.push(`ST(&${r('OUT')}[bt * ${H} + j], n0);`);
  const perExample = cell.backward.saved
    .filter((s) => run.forwardPlan.role[s.id] === 'gemm')
    .map((s) => {
      const size = sizeOf(s.shape, dims);
      return `if (keep) for (int g = 0; g < ${size / H}; g++) memcpy(&${r(`SV_${s.name}`)}[bt * ${size} + g * ${H} + u0], &${r(`f.M${s.id}`)}[(idx)b * ${size} + g * ${H} + u0], (size_t)(u1 - u0) * 4);`;
    });
  const carry = cell.states.map((_, k) => `memcpy(&${r(`SN${k}`)}[b * ${H} + u0], &${r(`S${k}`)}[b * ${H} + u0], (size_t)(u1 - u0) * 4);`);
  return { outputs, perJ, perExample, carry };
}

/** Truncated BPTT cuts an example's cotangents at the start of its k-step chunks; then C0 += dL/dout_t. */
function backwardPrep(cell: CompiledCell, dims: Dims, run: CRunLayout): string {
  const { H } = dims;
  const L = run.layout;
  const reg = (name: string) => `R[${L.index(name)}]`;
  const body = [
    ...exampleLoop,
    `  if (truncate > 0 && (s + 1) % truncate == 0 && s + 1 < LEN[b]) { ${cell.states.map((_, k) => `memset(${reg(`C${k}`)} + (idx)b * ${H}, 0, ${H} * 4);`).join(' ')} }`,
    `  { float *c = ${reg('C0')} + (idx)b * ${H}; const float *g = ${reg('GOUT')} + bt * ${H}; int j = 0;`,
    `    for (; j + VW <= ${H}; j += VW) ST(c + j, LD(c + j) + LD(g + j));`,
    `    for (; j < ${H}; j++) c[j] += g[j]; }`,
    '}',
  ];
  return cFunction('bwd_prep', new Set(), body, ', int truncate');
}

/** Per active example: step-computed parameter gradients and per-time copies, then the new cotangents. */
function backwardCommit(cell: CompiledCell, dims: Dims, run: CRunLayout, st: CStorage): string {
  const { H } = dims;
  const graph = cell.backward.graph;
  const plan = run.backwardPlan;
  const outputs = new Map(graph.outputs.map((o) => [o.name, o.id]));
  const r = (name: string) => `r${st.region(name)}`;
  const rowBase = (n: Node) => {
    const s = st.raw(n);
    return { array: s.array, base: s.index(0).replace(/ \+ j$/, '').replace(/^j$/, '0') };
  };
  const lines: string[] = [];
  // Copies first: they may read a grad leaf C_k that the state writes below replace.
  cell.params.forEach((p, i) => {
    const n = graph.nodes[outputs.get(`d.${p.name}`)!]!;
    if (plan.role[n.id] === 'deferred') return;
    const size = sizeOf(p.shape, dims);
    if (n.shape.length === 0 || blocks(n) === 0) {
      lines.push(`  ${r(`b.PV${i}`)}[bt] = ${st.raw(n).array}[${st.raw(n).index(0).startsWith('bt') ? 'bt' : 'b'}];`);
      return;
    }
    const { array, base } = rowBase(n);
    lines.push(`  { const int j = 0; (void)j; memcpy(&${r(`b.PV${i}`)}[bt * ${size}], &${array}[${base}], ${size} * 4); }`);
  });
  for (const id of plan.perTime) {
    const n = graph.nodes[id]!;
    const size = sizeOf(n.shape, dims);
    const { array, base } = rowBase(n);
    lines.push(`  { const int j = 0; (void)j; memcpy(&${r(`b.PT${id}`)}[bt * ${size}], &${array}[${base}], ${size} * 4); }`);
  }
  const units = (tail: boolean) => {
    const ld = (a: string, i: string) => (tail ? `LDP(&${a}[${i}], n)` : `LD(&${a}[${i}])`);
    const sv = (a: string, i: string, v: string) => (tail ? `STP(&${a}[${i}], ${v}, n);` : `ST(&${a}[${i}], ${v});`);
    const reads = cell.states.map((s, k) => {
      const x = st.raw(graph.nodes[outputs.get(`d.${s}`)!]!);
      return `const vf n${k} = ${ld(x.array, x.index(0))};`;
    });
    return [...reads, ...cell.states.map((_, k) => sv(r(`C${k}`), `b * ${H} + j`, `n${k}`))];
  };
  return cFunction('bwd_commit', st.used, [...exampleLoop, ...lines, ...overUnits(H, units), '}']);
}

function deferred(cell: CompiledCell, dims: Dims, plan: StepPlan, st: CStorage, R: (name: string) => string): string[] {
  const graph = plan.graph;
  const byTime = (n: Node): string => {
    if (n.op === 'input') return R('X');
    if (plan.perTime.has(n.id)) return R(`b.PT${n.id}`);
    const s = st.raw(n);
    if (!s.index(0).startsWith('bt')) throw unsupported(graph, n, 'a weight gradient of a value not stored by time');
    return s.array.replace(/^r(\d+)$/, 'R[$1]');
  };
  const zeros = zeroBlocks(graph);
  const lines: string[] = [];
  for (const { op, node, a, b, target } of deferredProducts(plan, cell.ir.inputName, cell.params)) {
    if (op === 'outer') {
      // Σ_rows g ⊗ v = gᵀ·v: A = gᵀ read in place (stride M), v packed into e.B. Rows of the gradient where g is
      // zeros by construction get nothing added.
      const [M, N] = [sizeOf(a.shape, dims), sizeOf(b.shape, dims)];
      const [m0, m1] = nonZeroRows(zeros[a.id]!, M, dims.H);
      if (m1 <= m0) continue;
      lines.push(`pack(${R(`e.B${node.id}`)}, ${byTime(b)}, (idx)T * B, ${N}, ${N}, 1);`);
      lines.push(`gemm(${m1 - m0}, ${N}, (idx)T * B, ${byTime(a)}${m0 ? ` + ${m0}` : ''}, 1, ${M}, ${R(`e.B${node.id}`)}, ${R(target)}${m0 ? ` + ${m0 * N}` : ''}, ${N}, 1, nt);`);
    } else {
      const [Rn, Kn] = [sizeOf([a.shape[0]!], dims), sizeOf([a.shape[1]!], dims)];
      const [ka, kb] = nonZeroRows(zeros[b.id]!, Rn, dims.H);
      lines.push(`gemm_rows((idx)T * B, ${Kn}, ${Rn}, ${ka}, ${kb}, ${byTime(b)}, ${Rn}, 1, ${R(`WT${paramIndex(graph, a)}`)}, ${R(target)}, ${Kn}, 1, nt);`);
    }
  }
  return lines;
}

