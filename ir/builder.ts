// Builds graphs node by node, checking each node's shape with the op table as it goes.
import { CellforgeError, invariant, type SourceLocation } from './errors.js';
import type { Attrs, Graph, Node, Output, ParamDecl } from './graph.js';
import { opDef, type VjpBuilder } from './ops.js';
import { sameShape, scalar, showShape, type Shape } from './shape.js';

export interface NodeMeta {
  readonly label?: string;
  readonly loc?: SourceLocation;
}

const namedLeaves = new Set(['input', 'state', 'param', 'grad', 'saved']);

export class GraphBuilder implements VjpBuilder {
  private readonly nodes: Node[] = [];
  private readonly params = new Map<string, ParamDecl>();
  // Leaves and constants are interned, so `param weight_hh` used twice is one node.
  private readonly interned = new Map<string, number>();

  constructor(readonly name: string) {}

  op(op: string, args: number[], attrs: Attrs = {}, meta: NodeMeta = {}): number {
    const def = opDef(op);
    invariant(def.arity < 0 ? args.length > 0 : args.length === def.arity, `${op} takes ${def.arity} operands, got ${args.length}`);
    const shape = def.shape(
      args.map((a) => this.shapeOf(a)),
      attrs,
    );
    if (typeof shape === 'string') {
      if (meta.loc) throw new CellforgeError(`shape mismatch: ${shape}`, meta.loc, 'elementwise operands must have the same size (or be scalars)');
      invariant(false, `${op}: ${shape}`);
    }
    const key = def.kind === 'leaf' ? `${op} ${op === 'const' ? attrs.value : attrs.name}` : undefined;
    if (key !== undefined && this.interned.has(key)) return this.interned.get(key)!;
    const id = this.nodes.length;
    this.nodes.push({ id, op, args, attrs, shape, ...(meta.label ? { label: meta.label } : {}), ...(meta.loc ? { loc: meta.loc } : {}) });
    if (key !== undefined) this.interned.set(key, id);
    return id;
  }

  constant(value: number): number {
    return this.op('const', [], { value });
  }

  shapeOf(id: number): Shape {
    const node = this.nodes[id];
    invariant(node, `operand %${id} does not exist yet`);
    return node.shape;
  }

  node(id: number): Node {
    return this.nodes[id]!;
  }

  /** A named leaf (`input x`, `state h`, `grad h`, ...). */
  leaf(op: string, name: string, shape: Shape, meta: NodeMeta = {}): number {
    invariant(namedLeaves.has(op), `${op} is not a named leaf`);
    const key = `${op} ${name}`;
    const existing = this.interned.get(key);
    if (existing !== undefined) {
      invariant(sameShape(this.nodes[existing]!.shape, shape), `${key} used with two shapes`);
      return existing;
    }
    return this.op(op, [], { name, shape }, meta);
  }

  /** A parameter leaf; declaring the same name twice must agree on the shape. */
  param(decl: ParamDecl, meta: NodeMeta = {}): number {
    const prev = this.params.get(decl.name);
    if (prev && !sameShape(prev.shape, decl.shape)) {
      throw new CellforgeError(
        `parameter '${decl.name}' is declared as ${showShape(prev.shape)} and as ${showShape(decl.shape)}`,
        meta.loc,
        'every use of a weight name must have the same number of chunks and the same input size',
      );
    }
    if (!prev) this.params.set(decl.name, decl);
    return this.leaf('param', decl.name, decl.shape, meta);
  }

  /** Give a node the cell author's name, unless it has one. */
  label(id: number, label: string): void {
    const n = this.nodes[id]!;
    if (n.label === undefined && n.op !== 'const' && n.op !== 'input' && n.op !== 'state') this.nodes[id] = { ...n, label };
  }

  get size(): number {
    return this.nodes.length;
  }

  build(outputs: readonly Output[]): Graph {
    return { name: this.name, nodes: [...this.nodes], outputs: [...outputs], params: [...this.params.values()] };
  }
}

export { scalar };
