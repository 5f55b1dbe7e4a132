// The lowering context of one cell: the graph builder, the names in scope, and helpers that attach source locations.
import type { Identifier, Node } from 'ts-morph';
import { GraphBuilder } from '../../ir/builder.js';
import type { CellforgeError, SourceLocation } from '../../ir/errors.js';
import type { Attrs, ParamDecl } from '../../ir/graph.js';
import { showShape, type Shape } from '../../ir/shape.js';
import { builtin } from './builtins.js';
import { lowerExpression } from './expressions.js';
import { nodeLocation, userError } from './location.js';
import { staticNumber } from './statics.js';
import { didYouMean } from './suggest.js';

/** A lowered expression: a node id, plus the chunk count when it is a stacked vector that may be destructured. */
export interface Val {
  readonly id: number;
  readonly chunks?: number;
}

/** What a name in a cell refers to. */
export type Binding =
  | { readonly kind: 'value'; readonly val: Val } // the input, a body const, or a destructured state
  | { readonly kind: 'states' } // the state object parameter `s`, read as `s.h`
  | { readonly kind: 'number'; readonly value: number }; // a module constant

export class Lowering {
  readonly builder: GraphBuilder;
  /** Names visible in the cell body: module constants, then the parameters, then body consts. */
  readonly names = new Map<string, Binding>();
  /** Module constants, for chunk counts and `init` values. */
  readonly constants = new Map<string, number>();
  /** Local name of each imported DSL function → its DSL name (`import { tanh as th }`). */
  readonly functions = new Map<string, string>();
  /** Body consts declared further down, to tell "used before it is defined" from "not defined". */
  readonly declaredLater = new Set<string>();
  /** Declared states → their leaf node. */
  readonly stateIds = new Map<string, number>();
  /** Parameters declared so far, to catch one name declared with two initial values. */
  private readonly params = new Map<string, ParamDecl>();

  constructor(
    readonly file: string,
    name: string,
    readonly states: readonly string[],
  ) {
    this.builder = new GraphBuilder(name);
  }

  loc(node: Node): SourceLocation {
    return nodeLocation(node, this.file);
  }

  error(node: Node, message: string, hint?: string): CellforgeError {
    return userError(node, this.file, message, hint);
  }

  fail(node: Node, message: string, hint?: string): never {
    throw this.error(node, message, hint);
  }

  /** Add a node; a shape mismatch is reported at `node`. */
  op(op: string, args: number[], attrs: Attrs, node: Node): number {
    return this.builder.op(op, args, attrs, { loc: this.loc(node) });
  }

  /** A parameter leaf, declared at `node`; the same name may be used again with the same shape and init. */
  param(decl: ParamDecl, node: Node): number {
    const id = this.builder.param(decl, { loc: this.loc(node) }); // reports a second shape
    const prev = this.params.get(decl.name);
    if (prev && JSON.stringify(prev.init) !== JSON.stringify(decl.init)) {
      const show = (d: ParamDecl) => (d.init.kind === 'constant' ? `init ${d.init.value}` : 'uniform init');
      this.fail(node, `parameter '${decl.name}' is declared with ${show(prev)} and with ${show(decl)}`, 'give each parameter one initial value, or another name');
    }
    this.params.set(decl.name, prev ?? decl);
    return id;
  }

  shapeOf(id: number): Shape {
    return this.builder.shapeOf(id);
  }

  expr(node: Node): Val {
    return lowerExpression(this, node);
  }

  /** Lower an expression that must be a vector (not a scalar); `what` names the argument in the message. */
  vector(node: Node, what: string): number {
    const { id } = this.expr(node);
    const shape = this.shapeOf(id);
    if (shape.length !== 1) {
      this.fail(
        node,
        `${what} must be a vector, got ${showShape(shape)}`,
        'pass a vector such as x, a state, or a gate; numbers and reductions are scalars',
      );
    }
    return id;
  }

  /** A compile-time number (literals, `+ - * /`, module constants), or undefined. */
  staticNumber(node: Node): number | undefined {
    return staticNumber(node, this.constants);
  }

  /** Bind a new name; names are never redefined, so every name means one thing in the whole cell. */
  define(nameNode: Node, name: string, binding: Binding): void {
    if (this.names.has(name) || this.functions.has(name)) {
      const hint = this.functions.has(name)
        ? `${name} is a cellforge/dsl function; choose another name`
        : this.states.includes(name)
          ? `a state is updated by returning it, not by redefining it: return { ${name}: ... }`
          : `choose another name, such as ${name}2; cell values are never reassigned`;
      this.fail(nameNode, `'${name}' is already defined`, hint);
    }
    this.names.set(name, binding);
    this.declaredLater.delete(name);
  }

  /** The value of an identifier in an expression. */
  resolve(id: Identifier): Val {
    const name = id.getText();
    const b = this.names.get(name);
    if (b?.kind === 'value') return b.val;
    if (b?.kind === 'number') return { id: this.builder.constant(b.value) };
    if (b?.kind === 'states') this.fail(id, `'${name}' is the state object, not a vector`, `read one state, such as ${name}.${this.states[0]}`);
    if (this.functions.has(name) || builtin(name)) this.fail(id, `'${name}' is a function, not a value`, `call it: ${name}(...)`);
    if (this.declaredLater.has(name)) this.fail(id, `'${name}' is used before it is defined`, 'move its const declaration above this line');
    if (name === 'undefined' || name === 'NaN' || name === 'Infinity') {
      this.fail(
        id,
        `'${name}' is not supported in cell bodies`,
        'cell values are finite numbers and vectors',
      );
    }
    if (this.states.includes(name)) {
      const bound = [...this.names];
      const obj = bound.find(([, v]) => v.kind === 'states')?.[0];
      const alias = bound.find(([, v]) => v.kind === 'value' && v.val.id === this.stateIds.get(name))?.[0];
      const hint = obj
        ? `read the state as ${obj}.${name}`
        : alias
          ? `the state ${name} is named ${alias} in this cell`
          : `take the states as the second parameter: (x, { ${this.states.join(', ')} }) => ...`;
      this.fail(id, `'${name}' is not defined`, hint);
    }
    const inScope = [...this.names.keys()];
    this.fail(id, `'${name}' is not defined`, `${didYouMean(name, inScope)}names in scope: ${inScope.join(', ')}`);
  }

  /** Read a declared state (`h`, `s.h`); `node` is where the name was written. */
  readState(node: Node, name: string): Val {
    const id = this.stateIds.get(name);
    if (id === undefined) {
      const hint = `${didYouMean(name, this.states)}declared states: ${this.states.join(', ')}; add it to cell({ state: [...] })`;
      this.fail(node, `'${name}' is not a declared state`, hint);
    }
    return { id };
  }
}
