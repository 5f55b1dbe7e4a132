// Gate saturation of any cell: for every `sigmoid` and `tanh` value of the step IR, how often it sits in the flat
// tails of its nonlinearity (sigmoid < 0.05 or > 0.95, |tanh| > 0.95), where its local derivative is nearly zero.
// The step is replayed on the float64 interpreter over the probe sequences with the model's own weights, so every
// cell is measured, each value named by the variable of the cell source that holds it (`tanh(c2)` when unnamed).
import type { Graph, Node } from '../../ir/graph.js';
import { paramName } from '../params.js';
import { evalContext, interpret } from '../reference/interpret.js';
import type { Example } from './batch.js';
import type { SequenceModel } from './model.js';

export interface GateStat {
  /** The cell-source variable holding the value (`f`, `tanh(c2)`), prefixed by the layer in stacked models. */
  readonly gate: string;
  readonly fn: 'sigmoid' | 'tanh';
  /** Fraction of activations in the low tail (sigmoid < 0.05, tanh < -0.95) and the high tail (> 0.95). */
  readonly low: number;
  readonly high: number;
  readonly mean: number;
}

const SATURATING = new Set(['sigmoid', 'tanh']);

const INFIX: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/' };

const LEAVES = new Set(['input', 'state', 'param']);

/** An expression for a node from the names in the cell source (`xn + hn`); undefined when it gets too deep. */
function expression(graph: Graph, node: Node, depth: number, bare: boolean): string | undefined {
  if (node.label) return node.label;
  if (LEAVES.has(node.op)) return String(node.attrs.name);
  if (node.op === 'const') return String(node.attrs.value);
  if (depth > 3) return undefined;
  const infix = INFIX[node.op];
  const args = node.args.map((a, k) => expression(graph, graph.nodes[a]!, depth + 1, !infix && node.args.length === 1 && k === 0));
  if (args.some((a) => a === undefined)) return undefined;
  if (node.op === 'chunk') return `${args[0]}[${String(node.attrs.index)}]`;
  if (node.op === 'matvec') return `${args[0]}·${args[1]}`;
  if (infix && args.length === 2) return bare ? `${args[0]} ${infix} ${args[1]}` : `(${args[0]} ${infix} ${args[1]})`;
  return `${node.op}(${args.join(', ')})`;
}

/** A readable name for a sigmoid or tanh node: the cell variable holding it, else a short expression, else `op %id`. */
function nodeName(graph: Graph, node: Node): string {
  const e = expression(graph, node, 0, true);
  if (e !== undefined && e.length <= 48) return e;
  const state = graph.outputs.find((o) => o.id === node.id);
  return state ? `new ${state.name}` : `${node.op} %${node.id}`;
}

/** The sigmoid and tanh nodes of a step graph with unique display names. */
export function saturatingValues(graph: Graph): { id: number; name: string; fn: 'sigmoid' | 'tanh' }[] {
  const found = graph.nodes.filter((n) => SATURATING.has(n.op)).map((n) => ({ id: n.id, name: nodeName(graph, n), fn: n.op as 'sigmoid' | 'tanh' }));
  const seen = new Map<string, number>();
  for (const f of found) seen.set(f.name, (seen.get(f.name) ?? 0) + 1);
  return found.map((f) => (seen.get(f.name)! > 1 ? { ...f, name: `${f.name} (%${f.id})` } : f));
}

/**
 * Replays the cell step by step on the probe (evaluation mode: no dropout) and counts tail activations of every
 * sigmoid and tanh value. Every layer of a one-direction model; the first layer's forward direction otherwise.
 */
export async function gateSaturation(model: SequenceModel, examples: readonly Example[]): Promise<GateStat[] | undefined> {
  if (examples.length === 0) return undefined;
  const rnn = model.rnn;
  const { numLayers, directions, hiddenSize: H } = rnn.config;
  const graph = rnn.cell.graph;
  const targets = saturatingValues(graph);
  if (targets.length === 0) return [];
  const batch = model.batchOf(examples);
  const { steps: T, batch: B, lengths } = batch;
  const params = new Map(rnn.parameters().map((p) => [p.name, p.data] as const));
  const layers = directions === 1 ? numLayers : 1;
  const stats: GateStat[] = [];
  let input = Float64Array.from(model.inputOf(batch));
  let X = model.inputSize;
  for (let layer = 0; layer < layers; layer++) {
    const own = new Map(graph.params.map((d) => [d.name, params.get(paramName(d.name, { layer, reverse: false }))!] as const));
    const acc = targets.map(() => ({ low: 0, high: 0, sum: 0, n: 0 }));
    const ctx = evalContext(B, { X, H });
    let states = rnn.cell.states.map(() => new Float64Array(B * H));
    const output = new Float64Array(T * B * H);
    for (let t = 0; t < T; t++) {
      const x = input.subarray(t * B * X, (t + 1) * B * X);
      const values = interpret(graph, ctx, (node) => {
        const name = String(node.attrs.name);
        if (node.op === 'input') return { data: x, perExample: true };
        if (node.op === 'state') return { data: states[rnn.cell.states.indexOf(name)]!, perExample: true };
        return { data: own.get(name)!, perExample: false };
      });
      targets.forEach((g, k) => {
        const v = values[g.id]!;
        const n = v.data.length / (v.perExample ? B : 1);
        const s = acc[k]!;
        for (let b = 0; b < B; b++) {
          if (t >= lengths[b]!) continue;
          for (let i = 0; i < n; i++) {
            const a = v.data[(v.perExample ? b * n : 0) + i]!;
            s.n++;
            s.sum += a;
            if (a > 0.95) s.high++;
            else if (g.fn === 'sigmoid' ? a < 0.05 : a < -0.95) s.low++;
          }
        }
      });
      // Examples past their length keep their state, as the runtime does.
      states = graph.outputs.map((o, k) => {
        const next = Float64Array.from(states[k]!);
        const v = values[o.id]!;
        for (let b = 0; b < B; b++) if (t < lengths[b]!) next.set(v.data.subarray(v.perExample ? b * H : 0, (v.perExample ? b * H : 0) + H), b * H);
        return next;
      });
      output.set(states[0]!, t * B * H);
    }
    const prefix = layers > 1 ? `layer ${layer + 1}: ` : '';
    targets.forEach((g, k) => {
      const s = acc[k]!;
      stats.push({ gate: prefix + g.name, fn: g.fn, low: s.low / s.n, high: s.high / s.n, mean: s.sum / s.n });
    });
    input = output;
    X = H;
  }
  return stats;
}
