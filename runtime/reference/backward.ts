// Reference BPTT over one (layer, direction): the backward step graph interpreted from the last step to the first.
import type { CompiledCell } from '../../compiler/compile.js';
import type { Node } from '../../ir/graph.js';
import { outputId } from '../../ir/graph.js';
import { rowOffset, type Value } from '../../ir/value.js';
import { invariant } from '../../ir/errors.js';
import type { DirectionGrads, DirectionRun } from '../backend.js';
import { evalContext, interpret } from './interpret.js';
import { stepLeaves, type ReferenceStep } from './forward.js';

export function referenceBackward(
  cell: CompiledCell,
  run: DirectionRun,
  tape: readonly ReferenceStep[],
  gradOutput: Float64Array,
  gradFinal: readonly Float64Array[],
): DirectionGrads {
  invariant(tape.length > 0 || run.steps === 0, 'backward without a recorded forward');
  const { batch: B, dims, steps: T } = run;
  const { X: K, H } = dims;
  const ctx = evalContext(B, dims);
  const { graph: bw } = cell.backward;
  const states = cell.states;
  const carried = gradFinal.map((g) => Float64Array.from(g));
  const dInput = new Float64Array(T * B * K);
  const grads = new Map(cell.params.map((p) => [p.name, new Float64Array(run.params.get(p.name)!.length)]));
  const out = (name: string) => outputId(bw, name)!;
  for (let s = tape.length - 1; s >= 0; s--) {
    const step = tape[s]!;
    // Truncated BPTT: an example's cotangent does not cross the start of one of its k-step chunks.
    if (run.truncate !== undefined && (s + 1) % run.truncate === 0) {
      for (let b = 0; b < B; b++) if (s + 1 < run.lengths[b]!) for (const c of carried) c.fill(0, b * H, (b + 1) * H);
    }
    const forwardLeaves = stepLeaves(run, step.x, step.states, states);
    const fwd = interpret(cell.graph, ctx, forwardLeaves);
    const incoming = carried.map((c, k) => {
      const g = Float64Array.from(c);
      if (k === 0) {
        for (let b = 0; b < B; b++) {
          const t = step.times[b]!;
          if (t >= 0) for (let i = 0; i < H; i++) g[b * H + i]! += gradOutput[(t * B + b) * H + i]!;
        }
      }
      return g;
    });
    const leaves = (node: Node): Value => {
      const name = String(node.attrs.name);
      if (node.op === 'grad') return { data: incoming[states.indexOf(name)]!, perExample: true };
      if (node.op === 'saved') return fwd[Number(name.slice(1))]!;
      return forwardLeaves(node);
    };
    const v = interpret(bw, ctx, leaves);
    const dStates = states.map((st) => v[out(`d.${st}`)]!);
    const dx = v[out(`d.${cell.ir.inputName}`)]!;
    for (let b = 0; b < B; b++) {
      const t = step.times[b]!;
      if (t < 0) continue; // past this example's length: its cotangent passes through unchanged
      dStates.forEach((d, k) => carried[k]!.set(d.data.subarray(rowOffset(d, b, H), rowOffset(d, b, H) + H), b * H));
      dInput.set(dx.data.subarray(rowOffset(dx, b, K), rowOffset(dx, b, K) + K), (t * B + b) * K);
      for (const [name, acc] of grads) {
        const d = v[out(`d.${name}`)]!;
        const o = rowOffset(d, b, acc.length);
        for (let i = 0; i < acc.length; i++) acc[i]! += d.data[o + i]!;
      }
    }
  }
  return { dInput, dInitial: carried, grads };
}
