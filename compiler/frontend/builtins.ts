// The DSL functions of cellforge/dsl: name → arity and how a call lowers to IR nodes.
import { Node, type CallExpression } from 'ts-morph';
import type { ParamInit } from '../../ir/graph.js';
import { dim, showShape, vecH } from '../../ir/shape.js';
import type { Lowering, Val } from './context.js';
import { unwrap } from './statics.js';
import { didYouMean } from './suggest.js';

export interface Builtin {
  /** How to call it, for messages: `linear(name, input, chunks?, { bias? })`. */
  readonly usage: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly lower: (call: CallExpression, args: readonly Node[], cx: Lowering) => Val;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A parameter name: a string literal made of letters, digits and `_`. */
function nameArg(node: Node, cx: Lowering, fn: string): string {
  const lit = unwrap(node);
  if (!Node.isStringLiteral(lit) && !Node.isNoSubstitutionTemplateLiteral(lit)) {
    cx.fail(node, `the first argument of ${fn} must be a string literal`, `parameter names are fixed at compile time, as in ${fn}('ih', ...)`);
  }
  const name = lit.getLiteralValue();
  // JSON quoting: a rejected name may hold a newline or a terminal escape; the message stays one plain line.
  if (!NAME_PATTERN.test(name)) cx.fail(node, `${JSON.stringify(name)} is not a valid parameter name`, 'use letters, digits and _, as PyTorch does: ih, hh, weight_hh');
  return name;
}

/** A chunk count: a positive integer known at compile time. */
function chunksArg(node: Node | undefined, cx: Lowering): number {
  if (node === undefined) return 1;
  const n = cx.staticNumber(node);
  if (n === undefined) {
    cx.fail(
      node,
      'the chunk count must be a number literal',
      'shapes are fixed at compile time: write 3, or a module constant such as const GATES = 3',
    );
  }
  if (!Number.isInteger(n) || n < 1) cx.fail(node, `the chunk count must be a positive integer, got ${n}`, 'one chunk per gate: 3 for a GRU, 4 for an LSTM');
  return n;
}

/** An options object `{ key: literal }`; each key's value is checked by `accept`. */
function optionsArg(node: Node | undefined, cx: Lowering, fn: string, keys: Record<string, (value: Node) => void>): void {
  if (node === undefined) return;
  const obj = unwrap(node);
  const allowed = Object.keys(keys).join(', ');
  if (!Node.isObjectLiteralExpression(obj)) cx.fail(node, `the options of ${fn} must be an object literal`, `${fn} accepts { ${allowed} }`);
  for (const p of obj.getProperties()) {
    if (!Node.isPropertyAssignment(p)) cx.fail(p, `options of ${fn} must be written key: value`, `${fn} accepts { ${allowed} }`);
    const key = p.getName();
    const accept = keys[key];
    if (!accept) cx.fail(p.getNameNode(), `unknown option '${key}' for ${fn}`, `${didYouMean(key, Object.keys(keys))}${fn} accepts { ${allowed} }`);
    accept(p.getInitializerOrThrow());
  }
}

/** `linear(name, input, chunks = 1, { bias = true })`: W·input (+ b), stacked into `chunks` gates of size H. */
function linear(call: CallExpression, args: readonly Node[], cx: Lowering): Val {
  const name = nameArg(args[0]!, cx, 'linear');
  const input = cx.vector(args[1]!, 'the input of linear');
  const chunks = chunksArg(args[2], cx);
  let bias = true;
  optionsArg(args[3], cx, 'linear', {
    bias: (v) => {
      const lit = unwrap(v);
      if (!Node.isTrueLiteral(lit) && !Node.isFalseLiteral(lit)) {
        cx.fail(
          v,
          'bias must be true or false',
          'whether the layer has a bias is fixed at compile time',
        );
      }
      bias = lit.getLiteralValue();
    },
  });
  const w = cx.param({ name: `weight_${name}`, shape: [dim('H', chunks), cx.shapeOf(input)[0]!], init: { kind: 'uniform' } }, call);
  const b = bias ? cx.param({ name: `bias_${name}`, shape: vecH(chunks), init: { kind: 'uniform' } }, call) : undefined;
  const m = cx.op('matvec', [w, input], {}, call);
  return { id: b === undefined ? m : cx.op('add', [m, b], {}, call), chunks };
}

/** `split(v, chunks)`: mark a stacked vector as `chunks` equal gates, for destructuring. */
function split(call: CallExpression, args: readonly Node[], cx: Lowering): Val {
  const v = cx.vector(args[0]!, 'the vector to split');
  const chunks = chunksArg(args[1], cx);
  const shape = cx.shapeOf(v);
  if (shape[0]!.mult % chunks !== 0) {
    cx.fail(call, `cannot split ${showShape(shape)} into ${chunks} equal chunks`, 'split divides a stacked vector, such as linear(name, v, 4), into its gates');
  }
  return { id: v, chunks };
}

/** `param(name, { init })`: a learned vector of size H, uniform or constant-initialised. */
function param(call: CallExpression, args: readonly Node[], cx: Lowering): Val {
  const name = nameArg(args[0]!, cx, 'param');
  let init: ParamInit = { kind: 'uniform' };
  optionsArg(args[1], cx, 'param', {
    init: (v) => {
      const value = cx.staticNumber(v);
      if (value === undefined) cx.fail(v, 'init must be a number literal', 'initial values are fixed at compile time, as in param(name, { init: 1 })');
      init = { kind: 'constant', value };
    },
  });
  return { id: cx.param({ name, shape: vecH(), init }, call) };
}

/** `layerNorm(name, v)`: (v - mean) / sqrt(var + 1e-5) · weight_name + bias_name, as torch.nn.LayerNorm. */
function layerNorm(call: CallExpression, args: readonly Node[], cx: Lowering): Val {
  const name = nameArg(args[0]!, cx, 'layerNorm');
  const v = cx.vector(args[1]!, 'the input of layerNorm');
  const shape = cx.shapeOf(v);
  const gain = cx.param({ name: `weight_${name}`, shape, init: { kind: 'constant', value: 1 } }, call);
  const shift = cx.param({ name: `bias_${name}`, shape, init: { kind: 'constant', value: 0 } }, call);
  const op = (o: string, ...operands: number[]): number => cx.op(o, operands, {}, call);
  const d = op('sub', v, op('mean', v));
  const variance = op('mean', op('mul', d, d));
  const normed = op('div', d, op('sqrt', op('add', variance, cx.builder.constant(1e-5))));
  return { id: op('add', op('mul', normed, gain), shift) };
}

const unary =
  (op: string): Builtin['lower'] =>
  (call, [v], cx) => ({ id: cx.op(op, [cx.expr(v!).id], {}, call) });

const binary =
  (op: string): Builtin['lower'] =>
  (call, [a, b], cx) => ({ id: cx.op(op, [cx.expr(a!).id, cx.expr(b!).id], {}, call) });

const reduction =
  (op: string): Builtin['lower'] =>
  (call, [v], cx) => ({ id: cx.op(op, [cx.vector(v!, `the argument of ${op}`)], {}, call) });

const def = (usage: string, minArgs: number, maxArgs: number, lower: Builtin['lower']): Builtin => ({ usage, minArgs, maxArgs, lower });

/** Every function a cell body may call. `cell` itself is only allowed in `export default`. */
export const builtins: Readonly<Record<string, Builtin>> = {
  linear: def('linear(name, input, chunks?, { bias? })', 2, 4, linear),
  split: def('split(v, chunks)', 2, 2, split),
  param: def('param(name, { init? })', 1, 2, param),
  layerNorm: def('layerNorm(name, v)', 2, 2, layerNorm),
  ...Object.fromEntries(['sigmoid', 'tanh', 'relu', 'exp', 'log', 'sqrt', 'abs', 'softplus'].map((op) => [op, def(`${op}(v)`, 1, 1, unary(op))])),
  min: def('min(a, b)', 2, 2, binary('min')),
  max: def('max(a, b)', 2, 2, binary('max')),
  mean: def('mean(v)', 1, 1, reduction('mean')),
  sum: def('sum(v)', 1, 1, reduction('sum')),
};

/** The DSL function called `name`, if any (own keys only: `toString` is not a DSL function). */
export function builtin(name: string): Builtin | undefined {
  return Object.hasOwn(builtins, name) ? builtins[name] : undefined;
}

const AVAILABLE = `available: ${Object.keys(builtins).join(', ')}`;

/** The DSL function a call refers to, by its callee; anything else is a user error. */
function callee(call: CallExpression, cx: Lowering): [string, Builtin] {
  const target = unwrap(call.getExpression());
  if (Node.isIdentifier(target)) {
    const name = target.getText();
    if (cx.names.has(name)) cx.fail(target, `'${name}' is not a function`, `${name} is a value; cells call only the functions of cellforge/dsl`);
    const dslName = cx.functions.get(name) ?? name;
    if (dslName === 'cell') {
      cx.fail(
        target,
        'cell() can only be used in export default',
        'a module defines one cell: export default cell({ state: [...] }, (x, state) => { ... })',
      );
    }
    const found = builtin(dslName);
    if (!found) cx.fail(target, `unknown function '${name}'`, `${didYouMean(name, Object.keys(builtins))}${AVAILABLE}`);
    return [name, found];
  }
  if (Node.isPropertyAccessExpression(target) && target.getExpression().getText() === 'Math') {
    const name = target.getName();
    const hint = builtin(name) ? `use ${name} from cellforge/dsl` : `cells can call only the functions of cellforge/dsl (${AVAILABLE})`;
    cx.fail(target, `Math.${name} is not supported in cell bodies`, hint);
  }
  return cx.fail(target, 'only the functions of cellforge/dsl can be called in cell bodies', AVAILABLE);
}

/** Lower a call to a DSL function. */
export function lowerCall(call: CallExpression, cx: Lowering): Val {
  const [name, fn] = callee(call, cx);
  const args = call.getArguments();
  const spread = args.find((a) => Node.isSpreadElement(a));
  if (spread) cx.fail(spread, 'spread `...` is not supported in cell bodies', 'pass each argument explicitly');
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    const count = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
    cx.fail(call, `${name} takes ${count} argument${fn.maxArgs === 1 ? '' : 's'}, got ${args.length}`, `usage: ${fn.usage}`);
  }
  return fn.lower(call, args, cx);
}
