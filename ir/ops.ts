// THE op table: every op of the IR, with its shape rule, float64 rule, VJP rule and scalar emitters.
import type { Attrs, Node } from './graph.js';
import { broadcastShapes, divideDim, dim, sameDim, scalar, showShape, type Shape } from './shape.js';
import { makeValue, rowOffset, type EvalContext, type Value } from './value.js';

/** What a VJP rule may build: the backward graph's builder, reduced to what rules need. */
export interface VjpBuilder {
  op(op: string, args: number[], attrs?: Attrs): number;
  constant(value: number): number;
  shapeOf(id: number): Shape;
}

/** A VJP rule: given the cotangent `g` of the result `out`, the cotangents of the operands (null: none). */
export type VjpRule = (b: VjpBuilder, g: number, out: number, args: readonly number[], node: Node) => (number | null)[];

export type OpKind = 'leaf' | 'elementwise' | 'structural';

export interface OpDef {
  readonly kind: OpKind;
  /** Number of operands; -1: any number, at least one. */
  readonly arity: number;
  readonly doc: string;
  /** Result shape from operand shapes and attributes, or a message saying why they do not fit. */
  readonly shape: (args: readonly Shape[], attrs: Attrs) => Shape | string;
  /** Elementwise ops: the float64 rule on scalars (the interpreter, and constant folding). */
  readonly scalar?: (...x: number[]) => number;
  /** Structural ops: the float64 rule on whole values. */
  readonly evaluate?: (ctx: EvalContext, node: Node, args: readonly Value[], argShapes: readonly Shape[]) => Value;
  /** Reverse-mode rule; `'none'` marks an op whose result carries no gradient (comparisons, leaves). */
  readonly vjp?: VjpRule | 'none';
  /** Scalar expression in JavaScript from operand expressions (elementwise ops). */
  readonly js?: (...a: string[]) => string;
  /** Scalar expression in WGSL from operand expressions (elementwise ops). */
  readonly wgsl?: (...a: string[]) => string;
  /** Four-lane expression in WebAssembly text (f32x4 in a v128) from operand expressions (elementwise ops). */
  readonly wasm?: (...a: string[]) => string;
  /** Lane-wise expression in C over the native backend's vector type `vf` (compiler/codegen/c/math.ts). */
  readonly c?: (...a: string[]) => string;
  /** Export to PyTorch (every op): a torch expression from operand expressions; see compiler/export/pytorch.ts. */
  readonly pytorch?: PytorchEmitter;
  /** Export to ONNX (every op): nodes that compute the op, returning the result's name; see compiler/export/onnx.ts. */
  readonly onnx?: OnnxEmitter;
}

/**
 * PyTorch expressions work on tensors of any leading shape: per-example values are [..., n] (a per-example scalar
 * is [..., 1]), parameters [n] or [R, K], constants Python floats. `X` and `H` are in scope as Python ints; leaves
 * read the dicts `p` (parameters), `s` (states), `g` and `saved` (backward graphs) and the step input `x`.
 */
export type PytorchEmitter = (a: readonly string[], node: Node) => string;

/** What an ONNX emitter may build: nodes of the exported graph (sizes are concrete when exporting to ONNX). */
export interface OnnxBuilder {
  /** Adds a node of the default domain; returns the name of its output. */
  node(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, number | readonly number[]>>): string;
  /** A float32 constant: a scalar, or a tensor of `shape`. */
  constant(value: number | readonly number[], shape?: readonly number[]): string;
  /** An int64 vector constant (axes, starts, ends, shapes). */
  ints(values: readonly number[]): string;
  /** Wᵀ for a matrix operand (precomputed once when W is a parameter). */
  transposed(w: string): string;
  /** Elements per example of node `id`'s value. */
  size(id: number): number;
  /** The value of a leaf (input, state, param, grad, saved). */
  leaf(node: Node): string;
}

/** Same layout rules as PyTorch's: values are [..., n], a per-example scalar [..., 1], a constant a scalar. */
export type OnnxEmitter = (b: OnnxBuilder, a: readonly string[], node: Node) => string;

/** WebAssembly text helpers for the `wasm` column; $exp4, $sigmoid4, ... are in compiler/codegen/wasm/math.ts. */
const lanes = (v: string) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;
const wasmOp = (instr: string) => (...a: string[]) => `(${instr} ${a.join(' ')})`;
const wasmCall = (fn: string) => (x: string) => `(call $${fn} ${x})`;

const leafShape = (_: readonly Shape[], attrs: Attrs): Shape | string => (attrs.shape as Shape | undefined) ?? 'leaf without a shape';

/** How exported code reads a leaf: `x`, or the leaf's entry in its dict (`p['weight_ih']`, `s['h']`). */
const pyLeaf: Record<string, string> = { state: 's', param: 'p', grad: 'g', saved: 'saved' };
const pyString = (s: string) => JSON.stringify(s);

function leaf(doc: string): OpDef {
  const pytorch: PytorchEmitter = (_a, node) => (node.op === 'input' ? 'x' : `${pyLeaf[node.op]}[${pyString(String(node.attrs.name))}]`);
  return { kind: 'leaf', arity: 0, doc, shape: leafShape, vjp: 'none', pytorch, onnx: (b, _a, node) => b.leaf(node) };
}

/** A Python float literal (math.inf and math.nan for the values without one). */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'math.nan';
  if (!Number.isFinite(v)) return v > 0 ? 'math.inf' : '(-math.inf)';
  const text = Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(1) : String(v);
  return v < 0 || Object.is(v, -0) ? `(${Object.is(v, -0) ? '-0.0' : text})` : text;
}

/** Exported-code emitters of an ONNX operator applied to the operands as they are. */
const onnxOp = (opType: string): OnnxEmitter => (b, a) => b.node(opType, a);
const torchFn = (fn: string): PytorchEmitter => ([x]) => `${fn}(${x})`;
const pyInfix = (op: string): PytorchEmitter => ([x, y]) => `(${x} ${op} ${y})`;
/**
 * min and max as a choice, which takes a Python float on either side (torch.minimum wants two tensors) and, like the
 * VJP rules here, gives the whole gradient to y at a tie (torch.minimum would split it).
 */
const torchChoice = (cmp: '<' | '>'): PytorchEmitter => ([x, y]) => `torch.where(${x} ${cmp} ${y}, ${x}, ${y})`;

function elementwise(arity: number, doc: string, rest: Omit<OpDef, 'kind' | 'arity' | 'doc' | 'shape'>): OpDef {
  const shape = (args: readonly Shape[]): Shape | string =>
    broadcastShapes([...args]) ?? `operands have different shapes: ${args.map(showShape).join(' and ')}`;
  return { kind: 'elementwise', arity, doc, shape, ...rest };
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
// NaN stays NaN (a NaN in the forward pass must not turn into a silently finite gradient); -0 and 0 give 0.
const step = (x: number): number => Math.sign(Math.max(x, 0));

// Rules are written with these to read like the math.
const mul = (b: VjpBuilder, x: number, y: number) => b.op('mul', [x, y]);
const sub = (b: VjpBuilder, x: number, y: number) => b.op('sub', [x, y]);
const div = (b: VjpBuilder, x: number, y: number) => b.op('div', [x, y]);
const neg = (b: VjpBuilder, x: number) => b.op('neg', [x]);

export const ops: Readonly<Record<string, OpDef>> = {
  // Leaves. Their shape is an attribute; their values come from the runtime.
  input: leaf('the step input x_t'),
  state: leaf('a state carried from the previous step (h_{t-1}, c_{t-1})'),
  param: leaf('a learned parameter, shared by all examples and steps'),
  grad: leaf('backward graphs: the incoming cotangent of a forward output'),
  saved: leaf('backward graphs: a forward value saved by the forward pass'),
  const: {
    kind: 'leaf',
    arity: 0,
    doc: 'a numeric literal',
    shape: () => scalar,
    vjp: 'none',
    js: () => '',
    wgsl: () => '',
    pytorch: (_a, node) => pyFloat(node.attrs.value as number),
    onnx: (b, _a, node) => b.constant(node.attrs.value as number),
  },

  add: elementwise(2, 'x + y', { scalar: (x, y) => x! + y!, vjp: (_b, g) => [g, g], js: (x, y) => `(${x} + ${y})`, wgsl: (x, y) => `(${x} + ${y})`, wasm: wasmOp('f32x4.add'), c: (x, y) => `(${x} + ${y})`, pytorch: pyInfix('+'), onnx: onnxOp('Add') }),
  sub: elementwise(2, 'x - y', { scalar: (x, y) => x! - y!, vjp: (b, g) => [g, neg(b, g)], js: (x, y) => `(${x} - ${y})`, wgsl: (x, y) => `(${x} - ${y})`, wasm: wasmOp('f32x4.sub'), c: (x, y) => `(${x} - ${y})`, pytorch: pyInfix('-'), onnx: onnxOp('Sub') }),
  mul: elementwise(2, 'x * y', { scalar: (x, y) => x! * y!, vjp: (b, g, _o, [x, y]) => [mul(b, g, y!), mul(b, g, x!)], js: (x, y) => `(${x} * ${y})`, wgsl: (x, y) => `(${x} * ${y})`, wasm: wasmOp('f32x4.mul'), c: (x, y) => `(${x} * ${y})`, pytorch: pyInfix('*'), onnx: onnxOp('Mul') }),
  div: elementwise(2, 'x / y', {
    scalar: (x, y) => x! / y!,
    // d(x/y) = dx/y - dy*out/y
    vjp: (b, g, out, [, y]) => [div(b, g, y!), neg(b, div(b, mul(b, g, out), y!))],
    js: (x, y) => `(${x} / ${y})`,
    wgsl: (x, y) => `(${x} / ${y})`,
    wasm: wasmOp('f32x4.div'),
    c: (x, y) => `(${x} / ${y})`,
    pytorch: pyInfix('/'),
    onnx: onnxOp('Div'),
  }),
  neg: elementwise(1, '-x', { scalar: (x) => -x!, vjp: (b, g) => [neg(b, g)], js: (x) => `(-${x})`, wgsl: (x) => `(-${x})`, wasm: wasmOp('f32x4.neg'), c: (x) => `(-${x})`, pytorch: ([x]) => `(-${x})`, onnx: onnxOp('Neg') }),
  sigmoid: elementwise(1, '1 / (1 + exp(-x)), evaluated without overflow', {
    scalar: (x) => sigmoid(x!),
    vjp: (b, g, out) => [mul(b, g, mul(b, out, sub(b, b.constant(1), out)))],
    js: (x) => `sigmoid(${x})`,
    wgsl: (x) => `sigmoid(${x})`,
    wasm: wasmCall('sigmoid4'),
    c: (x) => `cf_sigmoid(${x})`,
    pytorch: torchFn('torch.sigmoid'),
    onnx: onnxOp('Sigmoid'),
  }),
  tanh: elementwise(1, 'hyperbolic tangent', {
    scalar: (x) => Math.tanh(x!),
    vjp: (b, g, out) => [mul(b, g, sub(b, b.constant(1), mul(b, out, out)))],
    js: (x) => `Math.tanh(${x})`,
    wgsl: (x) => `tanh_safe(${x})`,
    wasm: wasmCall('tanh4'),
    c: (x) => `cf_tanh(${x})`,
    pytorch: torchFn('torch.tanh'),
    onnx: onnxOp('Tanh'),
  }),
  relu: elementwise(1, 'max(x, 0)', {
    // Math.max propagates NaN, as the JS emitter does; `x > 0 ? x : 0` would turn a NaN into a finite 0.
    scalar: (x) => Math.max(x!, 0),
    vjp: (b, g, _o, [x]) => [mul(b, g, b.op('step', [x!]))],
    js: (x) => `Math.max(${x}, 0)`,
    wgsl: (x) => `max(${x}, 0.0)`,
    wasm: (x) => `(f32x4.max ${x} ${lanes('0')})`,
    c: (x) => `cf_relu(${x})`,
    pytorch: torchFn('torch.relu'),
    onnx: onnxOp('Relu'),
  }),
  exp: elementwise(1, 'e^x', { scalar: (x) => Math.exp(x!), vjp: (b, g, out) => [mul(b, g, out)], js: (x) => `Math.exp(${x})`, wgsl: (x) => `exp(${x})`, wasm: wasmCall('exp4'), c: (x) => `cf_exp(${x})`, pytorch: torchFn('torch.exp'), onnx: onnxOp('Exp') }),
  log: elementwise(1, 'natural logarithm', { scalar: (x) => Math.log(x!), vjp: (b, g, _o, [x]) => [div(b, g, x!)], js: (x) => `Math.log(${x})`, wgsl: (x) => `log(${x})`, wasm: wasmCall('log4'), c: (x) => `cf_log(${x})`, pytorch: torchFn('torch.log'), onnx: onnxOp('Log') }),
  sqrt: elementwise(1, 'square root', {
    scalar: (x) => Math.sqrt(x!),
    vjp: (b, g, out) => [div(b, mul(b, g, b.constant(0.5)), out)],
    js: (x) => `Math.sqrt(${x})`,
    wgsl: (x) => `sqrt(${x})`,
    wasm: wasmOp('f32x4.sqrt'),
    c: (x) => `cf_sqrt(${x})`,
    pytorch: torchFn('torch.sqrt'),
    onnx: onnxOp('Sqrt'),
  }),
  abs: elementwise(1, '|x|', { scalar: (x) => Math.abs(x!), vjp: (b, g, _o, [x]) => [mul(b, g, b.op('sign', [x!]))], js: (x) => `Math.abs(${x})`, wgsl: (x) => `abs(${x})`, wasm: wasmOp('f32x4.abs'), c: (x) => `cf_abs(${x})`, pytorch: torchFn('torch.abs'), onnx: onnxOp('Abs') }),
  softplus: elementwise(1, 'log(1 + e^x), evaluated without overflow', {
    scalar: (x) => softplus(x!),
    vjp: (b, g, _o, [x]) => [mul(b, g, b.op('sigmoid', [x!]))],
    js: (x) => `softplus(${x})`,
    wgsl: (x) => `softplus(${x})`,
    wasm: wasmCall('softplus4'),
    c: (x) => `cf_softplus(${x})`,
    pytorch: torchFn('torch.nn.functional.softplus'),
    onnx: onnxOp('Softplus'),
  }),
  // At a tie the whole gradient goes to y, so the two partials always sum to g.
  min: elementwise(2, 'smaller of x and y', {
    scalar: (x, y) => Math.min(x!, y!),
    vjp: (b, g, _o, [x, y]) => {
      const gx = mul(b, g, b.op('step', [sub(b, y!, x!)]));
      return [gx, sub(b, g, gx)];
    },
    js: (x, y) => `Math.min(${x}, ${y})`,
    wgsl: (x, y) => `min(${x}, ${y})`,
    wasm: wasmOp('f32x4.min'),
    c: (x, y) => `cf_min(${x}, ${y})`,
    pytorch: torchChoice('<'),
    onnx: onnxOp('Min'),
  }),
  max: elementwise(2, 'larger of x and y', {
    scalar: (x, y) => Math.max(x!, y!),
    vjp: (b, g, _o, [x, y]) => {
      const gx = mul(b, g, b.op('step', [sub(b, x!, y!)]));
      return [gx, sub(b, g, gx)];
    },
    js: (x, y) => `Math.max(${x}, ${y})`,
    wgsl: (x, y) => `max(${x}, ${y})`,
    wasm: wasmOp('f32x4.max'),
    c: (x, y) => `cf_max(${x}, ${y})`,
    pytorch: torchChoice('>'),
    onnx: onnxOp('Max'),
  }),
  step: elementwise(1, '1 where x > 0, else 0 (derivative of relu)', {
    scalar: (x) => step(x!),
    vjp: 'none',
    js: (x) => `Math.sign(Math.max(${x}, 0))`,
    wgsl: (x) => `select(0.0, 1.0, ${x} > 0.0)`,
    wasm: (x) => `(f32x4.min (v128.and (f32x4.gt ${x} ${lanes('0')}) ${lanes('1')}) (f32x4.max ${x} ${lanes('inf')}))`,
    c: (x) => `cf_step(${x})`,
    pytorch: ([x]) => `torch.sign(torch.relu(${x}))`,
    onnx: (b, [x]) => b.node('Sign', [b.node('Relu', [x!])]),
  }),
  sign: elementwise(1, '-1, 0 or 1 (derivative of abs)', { scalar: (x) => Math.sign(x!), vjp: 'none', js: (x) => `Math.sign(${x})`, wgsl: (x) => `sign(${x})`, wasm: (x) => `(v128.bitselect (v128.or (v128.and (f32x4.gt ${x} ${lanes('0')}) ${lanes('1')}) (v128.and (f32x4.lt ${x} ${lanes('0')}) ${lanes('-1')})) ${x} (v128.or (f32x4.gt ${x} ${lanes('0')}) (f32x4.lt ${x} ${lanes('0')})))`, c: (x) => `cf_sign(${x})`, pytorch: torchFn('torch.sign'), onnx: onnxOp('Sign') }),

  matvec: {
    kind: 'structural',
    arity: 2,
    doc: 'W·v for a matrix W [R,K] and a vector v [K]: the gate pre-activations of a linear layer',
    shape: ([w, v]) =>
      w!.length === 2 && v!.length === 1 && sameDim(w![1]!, v![0]!) ? [w![0]!] : `cannot multiply ${showShape(w!)} by ${showShape(v!)}`,
    evaluate: (ctx, _node, [w, v], [ws]) => {
      const rows = ctx.size([ws![0]!]);
      const k = ctx.size([ws![1]!]);
      return makeValue(ctx, rows, w!.perExample || v!.perExample, (b, out, o) => {
        const wo = rowOffset(w!, b, rows * k);
        const vo = rowOffset(v!, b, k);
        for (let r = 0; r < rows; r++) {
          let acc = 0;
          for (let j = 0; j < k; j++) acc += w!.data[wo + r * k + j]! * v!.data[vo + j]!;
          out[o + r] = acc;
        }
      });
    },
    vjp: (b, g, _o, [w, v]) => [b.op('outer', [g, v!]), b.op('matvec_t', [w!, g])],
    pytorch: ([w, v]) => `torch.nn.functional.linear(${v}, ${w})`,
    onnx: (b, [w, v]) => b.node('MatMul', [v!, b.transposed(w!)]),
  },
  matvec_t: {
    kind: 'structural',
    arity: 2,
    doc: 'Wᵀ·g for a matrix W [R,K] and a vector g [R]: the input cotangent of matvec',
    shape: ([w, g]) =>
      w!.length === 2 && g!.length === 1 && sameDim(w![0]!, g![0]!) ? [w![1]!] : `cannot multiply ${showShape(w!)}ᵀ by ${showShape(g!)}`,
    evaluate: (ctx, _node, [w, g], [ws]) => {
      const rows = ctx.size([ws![0]!]);
      const k = ctx.size([ws![1]!]);
      return makeValue(ctx, k, w!.perExample || g!.perExample, (b, out, o) => {
        const wo = rowOffset(w!, b, rows * k);
        const go = rowOffset(g!, b, rows);
        out.fill(0, o, o + k);
        for (let r = 0; r < rows; r++) {
          const gr = g!.data[go + r]!;
          for (let j = 0; j < k; j++) out[o + j] += w!.data[wo + r * k + j]! * gr;
        }
      });
    },
    pytorch: ([w, g]) => `torch.matmul(${g}, ${w})`,
    onnx: (b, [w, g]) => b.node('MatMul', [g!, w!]),
  },
  outer: {
    kind: 'structural',
    arity: 2,
    doc: 'g ⊗ v, the per-example weight cotangent of matvec; the runtime sums it over examples and steps',
    shape: ([g, v]) => (g!.length === 1 && v!.length === 1 ? [g![0]!, v![0]!] : `outer product needs two vectors, got ${showShape(g!)} and ${showShape(v!)}`),
    evaluate: (ctx, _node, [g, v], [gs, vs]) => {
      const m = ctx.size(gs!);
      const k = ctx.size(vs!);
      return makeValue(ctx, m * k, g!.perExample || v!.perExample, (b, out, o) => {
        const go = rowOffset(g!, b, m);
        const vo = rowOffset(v!, b, k);
        for (let r = 0; r < m; r++) for (let j = 0; j < k; j++) out[o + r * k + j] = g!.data[go + r]! * v!.data[vo + j]!;
      });
    },
    pytorch: ([g, v]) => `(${g}.unsqueeze(-1) * ${v}.unsqueeze(-2))`,
    onnx: (b, [g, v]) => b.node('Mul', [b.node('Unsqueeze', [g!, b.ints([-1])]), b.node('Unsqueeze', [v!, b.ints([-2])])]),
  },
  chunk: {
    kind: 'structural',
    arity: 1,
    doc: 'the index-th of count equal slices of a vector (one gate of a stacked linear)',
    shape: ([v], attrs) => {
      const count = attrs.count as number;
      const d = v!.length === 1 ? divideDim(v![0]!, count) : null;
      return d ? [d] : `cannot split ${showShape(v!)} into ${count} equal chunks`;
    },
    evaluate: (ctx, node, [v], [vs]) => {
      const n = ctx.size(vs!);
      const m = ctx.size(node.shape);
      const start = (node.attrs.index as number) * m;
      return makeValue(ctx, m, v!.perExample, (b, out, o) => {
        const vo = rowOffset(v!, b, n) + start;
        for (let i = 0; i < m; i++) out[o + i] = v!.data[vo + i]!;
      });
    },
    vjp: (b, g, _o, _a, node) => [b.op('place', [g], { index: node.attrs.index as number, count: node.attrs.count as number })],
    pytorch: ([v], node) => `${v}.chunk(${node.attrs.count}, -1)[${node.attrs.index}]`,
    onnx: (b, [v], node) => {
      const n = b.size(node.id);
      const start = (node.attrs.index as number) * n;
      return b.node('Slice', [v!, b.ints([start]), b.ints([start + n]), b.ints([-1])]);
    },
  },
  place: {
    kind: 'structural',
    arity: 1,
    doc: 'a vector of count slices, zero except slice index which holds the operand (the cotangent of chunk)',
    shape: ([v], attrs) => (v!.length === 1 ? [dim(v![0]!.sym, v![0]!.mult * (attrs.count as number))] : `cannot place ${showShape(v!)}`),
    evaluate: (ctx, node, [v], [vs]) => {
      const m = ctx.size(vs!);
      const start = (node.attrs.index as number) * m;
      return makeValue(ctx, ctx.size(node.shape), v!.perExample, (b, out, o) => {
        const vo = rowOffset(v!, b, m);
        for (let i = 0; i < m; i++) out[o + start + i] = v!.data[vo + i]!;
      });
    },
    vjp: (b, g, _o, _a, node) => [b.op('chunk', [g], { index: node.attrs.index as number, count: node.attrs.count as number })],
    pytorch: ([v], node) => `torch.nn.functional.pad(${v}, (${node.attrs.index} * ${v}.shape[-1], ${(node.attrs.count as number) - 1 - (node.attrs.index as number)} * ${v}.shape[-1]))`,
    onnx: (b, [v], node) => {
      // v times a [m, count·m] matrix holding the identity at slice index: rank-independent, unlike Pad in opset 17.
      const m = b.size(node.args[0]!);
      const count = node.attrs.count as number;
      const at = (node.attrs.index as number) * m;
      const select = Array.from({ length: m * count * m }, (_, i) => (Math.floor(i / (count * m)) + at === i % (count * m) ? 1 : 0));
      return b.node('MatMul', [v!, b.constant(select, [m, count * m])]);
    },
  },
  concat: {
    kind: 'structural',
    arity: -1,
    doc: 'vectors of equal shape joined end to end (the cotangent of a split vector)',
    shape: (args) => {
      const first = args[0]!;
      if (first.length !== 1 || !args.every((a) => a.length === 1 && sameDim(a[0]!, first[0]!))) return `cannot concatenate ${args.map(showShape).join(', ')}`;
      return [dim(first[0]!.sym, first[0]!.mult * args.length)];
    },
    evaluate: (ctx, node, args, shapes) => {
      const m = ctx.size(shapes[0]!);
      return makeValue(ctx, ctx.size(node.shape), args.some((a) => a.perExample), (b, out, o) => {
        args.forEach((a, k) => {
          const ao = rowOffset(a, b, m);
          for (let i = 0; i < m; i++) out[o + k * m + i] = a.data[ao + i]!;
        });
      });
    },
    vjp: (b, g, _o, args) => args.map((_, index) => b.op('chunk', [g], { index, count: args.length })),
    pytorch: (a) => `torch.cat(torch.broadcast_tensors(${a.join(', ')}), -1)`,
    onnx: (b, a) => b.node('Concat', a, { axis: -1 }),
  },
  sum: {
    kind: 'structural',
    arity: 1,
    doc: 'sum of the elements of a vector (per example)',
    shape: ([v]) => (v!.length === 1 ? scalar : `can only reduce a vector, got ${showShape(v!)}`),
    evaluate: (ctx, _node, [v], [vs]) => reduce(ctx, v!, ctx.size(vs!), 1),
    vjp: (b, g, _o, [v]) => [b.op('broadcast', [g], { shape: b.shapeOf(v!) })],
    pytorch: ([v]) => `${v}.sum(-1, keepdim=True)`,
    onnx: (b, [v]) => b.node('ReduceSum', [v!, b.ints([-1])], { keepdims: 1 }),
  },
  mean: {
    kind: 'structural',
    arity: 1,
    doc: 'mean of the elements of a vector (per example): layer normalisation',
    shape: ([v]) => (v!.length === 1 ? scalar : `can only reduce a vector, got ${showShape(v!)}`),
    evaluate: (ctx, _node, [v], [vs]) => reduce(ctx, v!, ctx.size(vs!), 1 / ctx.size(vs!)),
    vjp: (b, g, _o, [v]) => [b.op('broadcast', [div(b, g, b.op('size', [v!]))], { shape: b.shapeOf(v!) })],
    pytorch: ([v]) => `${v}.mean(-1, keepdim=True)`,
    onnx: (b, [v]) => b.node('ReduceMean', [v!], { axes: [-1], keepdims: 1 }),
  },
  size: {
    kind: 'structural',
    arity: 1,
    doc: 'the number of elements of the operand, as a scalar (known once X and H are)',
    shape: () => scalar,
    evaluate: (ctx, _node, _args, [vs]) => ({ data: Float64Array.of(ctx.size(vs!)), perExample: false }),
    vjp: 'none',
    pytorch: ([v]) => `${v}.shape[-1]`,
    onnx: (b, _a, node) => b.constant(b.size(node.args[0]!)),
  },
  broadcast: {
    kind: 'structural',
    arity: 1,
    doc: 'a scalar repeated to a vector shape (the cotangent of a reduction)',
    shape: ([v], attrs) => (v!.length === 0 ? (attrs.shape as Shape) : `can only broadcast a scalar, got ${showShape(v!)}`),
    evaluate: (ctx, node, [v]) => {
      const n = ctx.size(node.shape);
      return makeValue(ctx, n, v!.perExample, (b, out, o) => out.fill(v!.data[rowOffset(v!, b, 1)]!, o, o + n));
    },
    vjp: (b, g) => [b.op('sum', [g])],
    pytorch: ([v], node) => `torch.as_tensor(${v}).expand(*torch.as_tensor(${v}).shape[:-1], ${pyDims(node.attrs.shape as Shape)})`,
    onnx: (b, [v], node) => b.node('Expand', [v!, b.ints([b.size(node.id)])]),
  },
};

/** A vector shape's size as a Python expression over the ints X and H: `4 * H`. */
function pyDims(shape: Shape): string {
  return shape.map((d) => (d.sym === '1' ? String(d.mult) : d.mult === 1 ? d.sym : `${d.mult} * ${d.sym}`)).join(' * ') || '1';
}

function reduce(ctx: EvalContext, v: Value, n: number, scale: number): Value {
  return makeValue(ctx, 1, v.perExample, (b, out, o) => {
    const vo = rowOffset(v, b, n);
    let acc = 0;
    for (let i = 0; i < n; i++) acc += v.data[vo + i]!;
    out[o] = acc * scale;
  });
}

export function opDef(op: string): OpDef {
  const def = ops[op];
  if (!def) throw new Error(`cellforge internal error: unknown op '${op}'`);
  return def;
}
