// Buffer names and index expressions of the values a step reads: shared by every backend's forward and backward emitters.
import type { Graph, Node } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import type { StepPlan } from '../../plan/step-plan.js';
import type { Storage } from './phase-body.js';

export interface StorageNames {
  /** State k's buffer: [B, H] in the forward, by time [T, B, H] in the backward. */
  readonly state: (k: number) => { array: string; byTime: boolean };
  /** Grad leaf k's buffer [B, H] (backward only). */
  readonly grad?: (k: number) => string;
  /** A saved forward value by name, stored by time (backward only). */
  readonly saved?: (name: string) => string;
  /** The row of a hoisted product in its buffer (default `bt`, the time row). */
  readonly hoistedRow?: string;
}

export function makeStorage(graph: Graph, plan: StepPlan, dims: Dims, states: readonly string[], names: StorageNames): Storage {
  const H = dims.H;
  const paramIndex = new Map(graph.params.map((p, i) => [p.name, i]));
  const rowOf = (n: Node) => sizeOf(n.shape, dims);
  const within = (c: number) => (c === 0 ? 'j' : `${c * H} + j`);
  return (n: Node) => {
    const size = rowOf(n);
    const perExample = (array: string) => ({ array, index: (c: number) => (n.shape.length === 0 ? 'b' : `b * ${size} + ${within(c)}`) });
    const perTime = (array: string) => ({ array, index: (c: number) => `bt * ${size} + ${within(c)}` });
    switch (n.op) {
      case 'param':
        return { array: `P${paramIndex.get(String(n.attrs.name))}`, index: within };
      case 'state': {
        const s = names.state(states.indexOf(String(n.attrs.name)));
        return s.byTime ? perTime(s.array) : perExample(s.array);
      }
      case 'grad':
        return perExample(names.grad!(states.indexOf(String(n.attrs.name))));
      case 'saved':
        return perTime(names.saved!(String(n.attrs.name)));
    }
    switch (plan.role[n.id]) {
      case 'hoisted':
        return names.hoistedRow ? { array: `HX${n.id}`, index: (c: number) => `${names.hoistedRow} * ${size} + ${within(c)}` } : perTime(`HX${n.id}`);
      case 'gemm':
        return perExample(`M${n.id}`);
      case 'reduce':
        return perExample(`RD${n.id}`);
      default:
        return perExample(`V${n.id}`);
    }
  };
}
