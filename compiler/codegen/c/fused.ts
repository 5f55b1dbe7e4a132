// The native backend's fused loops: per active example, the phase's elementwise work over j in vectors of VW
// lanes, then one partial vector for the tail (loaded and stored through a copy, computed by the same code).
import type { Graph } from '../../../ir/graph.js';
import { opDef } from '../../../ir/ops.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { phaseBody, type Dialect, type Storage } from '../shared/phase-body.js';
import { makeStorage, type StorageNames } from '../shared/storage.js';
import type { StepPlan } from '../../plan/step-plan.js';
import type { CLayout } from './layout.js';

/** A float literal of the C dialect, from a parsed number (never user text); `K(...)` splats it. */
export function cNumber(v: number): string {
  if (Number.isNaN(v)) return '__builtin_nanf("")';
  if (!Number.isFinite(v)) return v > 0 ? '__builtin_inff()' : '(-__builtin_inff())';
  if (Object.is(v, -0)) return '(-0.0f)';
  const s = String(v);
  return `${v < 0 ? `(${s}` : s}${/[.e]/.test(s) ? '' : '.0'}f${v < 0 ? ')' : ''}`;
}

/** Region-backed storage: each buffer is a local pointer `r<k>` (region k); scalars are marked for splatting. */
export interface CStorage {
  readonly storage: Storage;
  /** Raw index expressions (reductions read rows with them). */
  readonly raw: Storage;
  /** Regions the emitted code used, for the function's pointer locals. */
  readonly used: Set<number>;
  /** Region k of a layout name (marked used): the code names it `r<k>`. */
  readonly region: (name: string) => number;
}

export function cStorage(graph: Graph, plan: StepPlan, dims: Dims, states: readonly string[], names: StorageNames, layout: CLayout, prefix: string): CStorage {
  const base = makeStorage(graph, plan, dims, states, names);
  const used = new Set<number>();
  const region = (array: string) => {
    const k = layout.index(layout.has(array) ? array : `${prefix}.${array}`);
    used.add(k);
    return `r${k}`;
  };
  const raw: Storage = (n) => {
    const s = base(n);
    return { array: region(s.array), index: s.index };
  };
  const storage: Storage = (n) => {
    const s = raw(n);
    if (n.shape.length > 0) return s;
    // A per-example scalar is element b, a per-time one element bt; the dialect splats it ('@' marks it).
    const perTime = s.index(0).startsWith('bt');
    return { array: s.array, index: () => `@${perTime ? 'bt' : n.op === 'param' ? '0' : 'b'}` };
  };
  return {
    storage,
    raw,
    used,
    region: (name) => {
      const k = layout.index(name);
      used.add(k);
      return k;
    },
  };
}

function dialect(tail: boolean): Dialect {
  return {
    declare: (name, expr) => `const vf ${name} = ${expr};`,
    number: (v) => `K(${cNumber(v)})`,
    emitter: (op) => opDef(op).c,
    read: (array, index) => (index.startsWith('@') ? `SPLAT(${array}[${index.slice(1)}])` : tail ? `LDP(&${array}[${index}], n)` : `LD(&${array}[${index}])`),
    write: (array, index, value) => (index.startsWith('@') ? `${array}[${index.slice(1)}] = (${value})[0];` : tail ? `STP(&${array}[${index}], ${value}, n);` : `ST(&${array}[${index}], ${value});`),
  };
}

/** `float *restrict r<k> = R[k];` for every region used. */
export function pointerLocals(used: ReadonlySet<number>): string[] {
  return [...used].sort((a, b) => a - b).map((k) => `float *restrict r${k} = R[${k}];`);
}

/** The per-example loop head: examples of [b0, b1) still running at step s, with the time t they read (from the
 * end with rev) and bt = t·B + b. */
export const exampleLoop = [
  'for (int b = b0; b < b1; b++) {',
  '  const int len = LEN[b]; if (s >= len) continue;',
  '  const int t = rev ? len - 1 - s : s;',
  '  const idx bt = (idx)t * B + b; (void)bt;',
];

/** Statements over j: `vector(false)` in full vectors, then `vector(true)` once for the tail (n lanes). */
export function overUnits(H: number, vector: (tail: boolean) => string[]): string[] {
  const full = vector(false);
  const tail = vector(true);
  if (full.length === 0) return [];
  return [
    `  int j = 0;`,
    `  for (; j + VW <= ${H}; j += VW) {`,
    ...full.map((l) => `    ${l}`),
    `  }`,
    `  if (j < ${H}) {`,
    `    const int n = ${H} - j; (void)n;`,
    ...tail.map((l) => `    ${l}`),
    `  }`,
  ];
}

/** The function of phase p, or null when the phase has no fused work. */
export function phaseFunction(name: string, plan: StepPlan, p: number, dims: Dims, st: CStorage): string | null {
  const H = dims.H;
  const full = phaseBody(plan, p, dims, st.storage, dialect(false));
  const tail = phaseBody(plan, p, dims, st.storage, dialect(true));
  if (full.perB.length + full.perJ.length + full.stores.length + full.reductions.length === 0) return null;
  const perB: string[] = [];
  for (const r of full.reductions) {
    const operand = plan.graph.nodes[r.args[0]!]!;
    const size = sizeOf(operand.shape, dims);
    const s = st.raw(operand);
    const out = st.raw(r);
    const scale = r.op === 'mean' ? ` * ${cNumber(Math.fround(1 / size))}` : '';
    perB.push(`{ float acc = 0; const int j = 0; const idx base = ${s.index(0)}; for (int i = 0; i < ${size}; i++) acc += ${s.array}[base + i]; ${out.array}[${out.index(0)}] = acc${scale}; }`);
  }
  perB.push(...full.perB);
  const body = [
    ...exampleLoop,
    ...perB.map((l) => `  ${l}`),
    ...overUnits(H, (t) => {
      const b = t ? tail : full;
      return [...b.perJ, ...b.stores];
    }),
    '}',
  ];
  return cFunction(name, st.used, body);
}

/** The commit of a step split by units, run in its last phase's loop: per unit vector, per active example, and
 * per example that has ended (its states carried to the other buffer). */
export interface UnitCommit {
  /** The step's outputs (new states) in order, as n0, n1, ... in perJ: node, how to load it from its storage, and
   * for an output kept in the step's scratch only, the phase body's store of it (not needed when the commit runs
   * in the phase that computes it). */
  readonly outputs: readonly { readonly id: number; readonly load: string; readonly store?: string }[];
  readonly perJ: readonly string[];
  readonly perExample: readonly string[];
  readonly carry: readonly string[];
}

/**
 * The fused loop of phase p over examples [b0, b1) and units [u0, u1) (multiples of the panel width, H a multiple
 * of 32: no tail), for a forward that works unit by unit, with the step's commit when given (the last phase); null
 * when there is nothing to run, undefined when the phase's work is not unit by unit (a reduction over the units,
 * or a per-example scalar).
 */
export function unitPhaseFunction(name: string, plan: StepPlan, p: number, dims: Dims, st: CStorage, commit?: UnitCommit): string | null | undefined {
  const body = phaseBody(plan, p, dims, st.storage, dialect(false));
  if (body.reductions.length + body.perB.length > 0) return undefined;
  if (body.perJ.length + body.stores.length === 0 && !commit) return null;
  // The commit phase's own stores of scratch-only outputs (an output from an earlier phase is stored there).
  const dead = new Set(commit?.outputs.flatMap((o) => (o.store ? [o.store] : [])));
  const loop = [
    'for (int b = b0; b < b1; b++) {',
    `  const int len = LEN[b]; if (s >= len) { ${commit?.carry.join(' ') ?? ''} continue; }`,
    ...exampleLoop.slice(2),
    ...overUnitRange([...body.perJ, ...body.stores.filter((l) => !dead.has(l)), ...(commit ? [...committed(plan, p, commit), ...commit.perJ] : [])]),
    ...(commit?.perExample ?? []).map((l) => `  ${l}`),
    '}',
  ];
  return cFunction(name, st.used, loop, `, int u0, int u1${commit ? ', int keep' : ''}`);
}

/** The commit's n_k: an output computed in this phase is its vector (no store-to-load round trip), any other is
 * loaded. */
function committed(plan: StepPlan, p: number, commit: UnitCommit): string[] {
  return commit.outputs.map(({ id, load }, k) => `const vf n${k} = ${plan.role[id] === 'fused' && plan.phase[id] === p ? `v${id}_0` : load};`);
}

/** Statements over j in [u0, u1), full vectors. */
export function overUnitRange(vector: readonly string[]): string[] {
  return [`  for (int j = u0; j < u1; j += VW) {`, ...vector.map((l) => `    ${l}`), `  }`];
}

/** A per-example function: `(R, B, b0, b1, s, rev)` (examples [b0, b1) at step s) with the region pointers it uses. */
export function cFunction(name: string, used: ReadonlySet<number>, body: readonly string[], extra = ''): string {
  return [
    `static void FUSED ${name}(float *const *R, int B, int b0, int b1, int s, int rev${extra}) {`,
    `  const int32_t *LEN = (const int32_t *)R[0]; (void)LEN;`,
    ...pointerLocals(used).map((l) => `  ${l}`),
    ...body.map((l) => `  ${l}`),
    `}`,
  ].join('\n');
}
