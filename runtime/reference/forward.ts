// Reference forward over one (layer, direction): the step graph interpreted once per timestep, float64.
import type { Graph, Node } from '../../ir/graph.js';
import type { Value } from '../../ir/value.js';
import { invariant } from '../../ir/errors.js';
import type { DirectionResult, DirectionRun } from '../backend.js';
import { evalContext, interpret } from './interpret.js';

/** Per step: which examples were active, at which time index, and their step inputs (for the backward pass). */
export interface ReferenceStep {
  readonly times: Int32Array; // t_b for each example, -1 when inactive
  readonly x: Float64Array; // [B, K]
  readonly states: Float64Array[]; // state values before the step, [B, H] each
}

/** The time index example b reads at scheduler step s, or -1 past its length. */
export function timeAt(run: Pick<DirectionRun, 'lengths' | 'reverse'>, s: number, b: number): number {
  const len = run.lengths[b]!;
  if (s >= len) return -1;
  return run.reverse ? len - 1 - s : s;
}

/** Leaf values of a step: input rows, states, and the run's parameters. */
export function stepLeaves(run: DirectionRun, x: Float64Array, states: readonly Float64Array[], stateNames: readonly string[]) {
  return (node: Node): Value => {
    const name = String(node.attrs.name);
    if (node.op === 'input') return { data: x, perExample: true };
    if (node.op === 'state') return { data: states[stateNames.indexOf(name)]!, perExample: true };
    if (node.op === 'param') {
      const p = run.params.get(name);
      invariant(p, `no value for parameter ${name}`);
      return { data: p, perExample: false };
    }
    invariant(false, `unexpected leaf ${node.op} in a forward step`);
  };
}

export function referenceForward(graph: Graph, stateNames: readonly string[], run: DirectionRun): DirectionResult & { tape: ReferenceStep[] } {
  const { steps: T, batch: B, dims } = run;
  const { X: K, H } = dims;
  const ctx = evalContext(B, dims);
  const output = new Float64Array(T * B * H);
  let states = run.initial.map((s) => Float64Array.from(s));
  const tape: ReferenceStep[] = [];
  for (let s = 0; s < T; s++) {
    const times = new Int32Array(B);
    const x = new Float64Array(B * K);
    for (let b = 0; b < B; b++) {
      const t = timeAt(run, s, b);
      times[b] = t;
      if (t >= 0) x.set(run.input.subarray((t * B + b) * K, (t * B + b + 1) * K), b * K);
    }
    if (times.every((t) => t < 0)) break;
    const values = interpret(graph, ctx, stepLeaves(run, x, states, stateNames));
    if (run.training) tape.push({ times, x, states });
    // Examples past their length keep their state: the final state is the one at their last valid step.
    states = graph.outputs.map((o, k) => {
      const next = Float64Array.from(states[k]!);
      const v = values[o.id]!;
      for (let b = 0; b < B; b++) {
        const src = v.perExample ? b * H : 0;
        if (times[b]! >= 0) next.set(v.data.subarray(src, src + H), b * H);
      }
      return next;
    });
    for (let b = 0; b < B; b++) {
      const t = times[b]!;
      if (t >= 0) output.set(states[0]!.subarray(b * H, (b + 1) * H), (t * B + b) * H);
    }
  }
  return { output, final: states, tape };
}
