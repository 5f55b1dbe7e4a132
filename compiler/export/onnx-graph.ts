// Building ONNX graphs: unique value names, initializers (weights and constants, shared by the Scan bodies that read
// them from the outer scope), nodes with attributes, and the op table's `onnx` column applied to step nodes.
import { invariant } from '../../ir/errors.js';
import type { Graph, Node } from '../../ir/graph.js';
import { opDef, type OnnxBuilder } from '../../ir/ops.js';
import { sizeOf, type Dims } from '../../ir/shape.js';
import { foldedConstants } from './step.js';
import { AttributeType, DataType, type AttributeMessage, type GraphMessage, type NodeMessage, type TensorMessage } from './onnx-proto.js';

export type AttrValue = number | readonly number[] | string | readonly string[] | GraphMessage;

const utf8 = (s: string) => new TextEncoder().encode(s);

function attribute(name: string, v: AttrValue): AttributeMessage {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: AttributeType.STRINGS, strings: (v as string[]).map(utf8) };
    return { name, type: AttributeType.INTS, ints: [...(v as number[])] };
  }
  return { name, type: AttributeType.GRAPH, g: v as GraphMessage };
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  // ONNX's raw_data is little-endian; so are the typed arrays of every platform cellforge runs on.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** The initializers and names of a whole model; graphs (the main one and Scan bodies) add their nodes to it. */
export class OnnxModel {
  readonly initializers: TensorMessage[] = [];
  private readonly constants = new Map<string, string>();
  private readonly weights = new Map<string, { data: Float32Array; dims: number[] }>();
  private readonly transposes = new Map<string, string>();
  private count = 0;

  /** A name no other value has: generated names hold a '/', which parameter names never do. */
  fresh(hint: string): string {
    return `${hint}/${this.count++}`;
  }

  /** A weight, stored as an initializer only if some node reads it (matrices are often read only transposed). */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    invariant(!this.weights.has(name), `weight ${name} added twice`);
    this.weights.set(name, { data, dims: [...dims] });
    return name;
  }

  /** The initializers that the nodes of `graph` (and of the graphs in its attributes) read. */
  usedInitializers(nodes: readonly NodeMessage[]): TensorMessage[] {
    const used = new Set<string>();
    const walk = (list: readonly NodeMessage[]) => {
      for (const n of list) {
        for (const i of n.input) used.add(i);
        for (const a of n.attribute) if (a.g) walk(a.g.node);
      }
    };
    walk(nodes);
    const weights = [...this.weights].filter(([name]) => used.has(name)).map(([name, w]) => ({ name, dims: w.dims, data_type: DataType.FLOAT, raw_data: bytesOf(w.data) }));
    return [...weights, ...this.initializers.filter((t) => used.has(t.name))];
  }

  floats(values: readonly number[], dims: readonly number[]): string {
    const key = `f${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push({ name, dims: [...dims], data_type: DataType.FLOAT, raw_data: bytesOf(Float32Array.from(values)) });
      this.constants.set(key, name);
    }
    return name;
  }

  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('ints');
      this.initializers.push({ name, dims: [...dims], data_type: DataType.INT64, raw_data: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))) });
      this.constants.set(key, name);
    }
    return name;
  }

  /** Wᵀ of a weight, as an initializer of its own (computed here once, not per step); undefined for other values. */
  transposedWeight(name: string): string | undefined {
    const w = this.weights.get(name);
    if (!w || w.dims.length !== 2) return undefined;
    let t = this.transposes.get(name);
    if (!t) {
      const [rows, cols] = w.dims as [number, number];
      const data = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = w.data[r * cols + c]!;
      t = `${name}/T`;
      this.initializers.push({ name: t, dims: [cols, rows], data_type: DataType.FLOAT, raw_data: bytesOf(data) });
      this.transposes.set(name, t);
    }
    return t;
  }
}

/** The nodes of one graph (the main graph or a Scan body). */
export class OnnxGraph {
  readonly nodes: NodeMessage[] = [];

  constructor(readonly model: OnnxModel) {}

  /** Adds a node; returns its outputs' names (`outputs` of them, or the names given). */
  add(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, outputs: number | readonly string[] = 1): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.model.fresh(opType)) : [...outputs];
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push({ op_type: opType, name: this.model.fresh(`n_${opType}`), input: [...inputs], output: names, attribute: attribute_ });
    return names;
  }

  one(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}): string {
    return this.add(opType, inputs, attrs)[0]!;
  }
}

/**
 * Emits step nodes into a graph with the op table's `onnx` column. `leaf` names the values of leaves (the layer
 * input or a Scan body's inputs, states, weights); `values` already holds any node computed elsewhere.
 */
export function emitStepNodes(graph: OnnxGraph, step: Graph, nodes: readonly Node[], dims: Dims, leaf: (n: Node) => string, values: Map<number, string>): void {
  const builder: OnnxBuilder = {
    node: (opType, inputs, attrs) => graph.one(opType, inputs, attrs ?? {}),
    constant: (value, shape) => (typeof value === 'number' ? graph.model.floats([value], []) : graph.model.floats(value, shape ?? [value.length])),
    ints: (v) => graph.model.ints(v),
    transposed: (w) => graph.model.transposedWeight(w) ?? graph.one('Transpose', [w], { perm: [1, 0] }),
    size: (id) => sizeOf(step.nodes[id]!.shape, dims),
    leaf,
  };
  const folded = foldedConstants(step);
  for (const n of nodes) {
    if (values.has(n.id)) continue;
    const known = folded.get(n.id);
    if (known !== undefined) {
      values.set(n.id, graph.model.floats([known], []));
      continue;
    }
    for (const a of n.args) invariant(values.has(a), `operand %${a} of %${n.id} not computed`);
    values.set(n.id, opDef(n.op).onnx!(builder, n.args.map((a) => values.get(a)!), n));
  }
}
