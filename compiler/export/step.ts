// What every exporter needs to know about a step graph: which part reads only the input (computed once for all
// steps before the loop), which values cross into the loop, and whether the step is one the target runs natively.
import { CellforgeError } from '../../ir/errors.js';
import { liveNodes, type Graph, type Node } from '../../ir/graph.js';
import { ops, type OpDef } from '../../ir/ops.js';
import { showShape } from '../../ir/shape.js';
import type { CompiledCell } from '../compiled-cell.js';

export type ExportTarget = 'pytorch' | 'onnx';
export const exportTargets: readonly ExportTarget[] = ['pytorch', 'onnx'];

export interface StepSplit {
  /** Live nodes that read the input and no state, in order: one computation over [T, B, ·] before the loop. */
  readonly hoisted: readonly Node[];
  /** Hoisted values (or the input itself) that the loop reads: its per-step inputs. */
  readonly carried: readonly Node[];
  /** Live nodes computed per step, in order (leaves and constants included). */
  readonly step: readonly Node[];
}

/**
 * Splits the live step into the input projection and the loop body, so that `W_ih·x_t` for all t is one matrix
 * product (the "engineering graph" of rnn-notes.md). Parameters and constants are read where they are used.
 */
export function splitStep(graph: Graph): StepSplit {
  const live = liveNodes(graph, graph.outputs.map((o) => o.id)).map((id) => graph.nodes[id]!);
  const readsInput = new Set<number>();
  const readsState = new Set<number>();
  for (const n of live) {
    if (n.op === 'input' || n.args.some((a) => readsInput.has(a))) readsInput.add(n.id);
    if (n.op === 'state' || n.args.some((a) => readsState.has(a))) readsState.add(n.id);
  }
  const isHoisted = (id: number) => readsInput.has(id) && !readsState.has(id);
  const invariant = (id: number) => !readsInput.has(id) && !readsState.has(id);
  // Each part computes the parameters, constants and parameter-only values it reads itself (the loop reads
  // hoisted values as they are, so the search stops at them).
  const withInvariants = (ids: number[]) => {
    const all = new Set(ids);
    const stack = [...ids];
    while (stack.length > 0) {
      for (const a of graph.nodes[stack.pop()!]!.args) {
        if (all.has(a) || !invariant(a)) continue;
        all.add(a);
        stack.push(a);
      }
    }
    return live.filter((n) => all.has(n.id));
  };
  const hoisted = withInvariants(live.filter((n) => isHoisted(n.id) && n.op !== 'input').map((n) => n.id));
  const outputs = graph.outputs.map((o) => o.id);
  const step = withInvariants([...live.filter((n) => !isHoisted(n.id) && !invariant(n.id)).map((n) => n.id), ...outputs.filter(invariant)]);
  const crossing = new Set<number>();
  for (const n of step) for (const a of n.args) if (isHoisted(a)) crossing.add(a);
  for (const id of outputs) if (isHoisted(id)) crossing.add(id);
  return { hoisted, carried: [...crossing].sort((a, b) => a - b).map((id) => graph.nodes[id]!), step };
}

/**
 * Values known when exporting: constants, and elementwise ops of them (`abs(3 + 0.15)`), folded in float64 with the
 * op table's scalar rules as the reference computes them; the exporters write them as literals.
 */
export function foldedConstants(graph: Graph): Map<number, number> {
  const known = new Map<number, number>();
  for (const n of graph.nodes) {
    if (n.op === 'const') known.set(n.id, n.attrs.value as number);
    else if (n.args.length > 0 && n.args.every((a) => known.has(a))) {
      const def = ops[n.op];
      if (def?.kind === 'elementwise' && def.scalar) known.set(n.id, def.scalar(...n.args.map((a) => known.get(a)!)));
    }
  }
  return known;
}

/**
 * A cell the target cannot express: one line naming the op, where the cell wrote it, and why. Every op of the
 * op table has both export columns today; this guards a future op added without them, and names that the
 * target gives a meaning of its own.
 */
export function checkExportable(cell: CompiledCell, target: ExportTarget): void {
  for (const n of cell.graph.nodes) {
    const def: OpDef | undefined = Object.hasOwn(ops, n.op) ? ops[n.op] : undefined;
    if (!def?.[target]) throw cannotExpress(cell, target, n, `op '${n.op}' has no ${targetName(target)} emitter in the op table (ir/ops.ts)`);
    if (n.op === 'grad' || n.op === 'saved') throw cannotExpress(cell, target, n, `'${n.op}' belongs to backward graphs, not to a step`);
  }
  if (target === 'pytorch') {
    // nn.Module.train() and eval() assign module.training, which would replace a parameter of that name.
    const clash = cell.graph.nodes.find((n) => n.op === 'param' && n.attrs.name === 'training');
    if (clash) throw cannotExpress(cell, target, clash, "a parameter named 'training' would be overwritten by torch.nn.Module.train() and eval()");
  }
  for (const o of cell.graph.outputs) {
    const n = cell.graph.nodes[o.id]!;
    if (n.shape.length !== 1 || n.shape[0]!.sym !== 'H') throw cannotExpress(cell, target, n, `state '${o.name}' is ${showShape(n.shape)}, exported states are f32[H]`);
  }
}

export function targetName(target: ExportTarget): string {
  return target === 'pytorch' ? 'PyTorch' : 'ONNX';
}

function cannotExpress(cell: CompiledCell, target: ExportTarget, n: Node, why: string): CellforgeError {
  const where = n.loc ? ` (${n.loc.file}:${n.loc.line}:${n.loc.column})` : '';
  return new CellforgeError(`${cell.file}: cannot export cell ${cell.name} to ${targetName(target)}: node %${n.id} ${n.op}${where}: ${why}`);
}

/** Steps that PyTorch and ONNX have as operators of their own, recognised by structure (never by name). */
export type NativeStep = 'lstm' | 'gru' | 'gru_reset_before' | 'rnn_tanh' | 'rnn_relu';

/**
 * Fingerprints of the built-in cells' steps (samples/cells): op, operands and attributes of every node, the
 * states and the parameters, without names of the graph, labels or source positions. A cell whose step differs in
 * anything is exported as generated code, which is always right; test/export/native.test.ts keeps these current.
 */
const nativeFingerprints: Readonly<Record<string, NativeStep>> = {
  '317b569381f1d5f9': 'lstm',
  '9dc209002935f4b6': 'gru',
  'ba7b7e63becc8131': 'gru_reset_before',
  'fdcf9a4dab8c2477': 'rnn_tanh',
  'ce1bf628680fb0aa': 'rnn_relu',
};

export function stepFingerprint(cell: Pick<CompiledCell, 'graph' | 'states' | 'params'>): string {
  const nodes = cell.graph.nodes.map((n) => `${n.op}(${n.args.join(',')})${JSON.stringify(n.attrs)}`);
  const params = cell.params.map((p) => `${p.name}${showShape(p.shape)}${JSON.stringify(p.init)}`);
  const outputs = cell.graph.outputs.map((o) => `${o.name}=${o.id}`);
  return hash64([cell.states.join(','), ...params, ...nodes, ...outputs].join('\n'));
}

/** The native operator that computes this cell's step exactly, if there is one. */
export function nativeStep(cell: Pick<CompiledCell, 'graph' | 'states' | 'params'>): NativeStep | undefined {
  return nativeFingerprints[stepFingerprint(cell)];
}

/** Two FNV-1a 32-bit hashes with different offsets, as 16 hex digits: a fingerprint, not a security measure. */
function hash64(text: string): string {
  const fnv = (offset: number) => {
    let h = offset;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return (h >>> 0).toString(16).padStart(8, '0');
  };
  return fnv(0x811c9dc5) + fnv(0x050c5d1f);
}
