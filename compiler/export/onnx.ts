// Export to ONNX: a model with the weights inside. Built-in LSTM, GRU and RNN steps become ONNX's own operators;
// every other cell a Scan per layer and direction whose body is the step, after one MatMul for all steps' inputs.
//
// Inputs: input [T, B, X], <state>0 [L·D, B, H] per state, lengths [B] int64 (with `lengths`).
// Outputs: output [T, B, D·H], <state>_n [L·D, B, H] per state. Opset 17, IR version 8.
import type { Node } from '../../ir/graph.js';
import { invariant } from '../../ir/errors.js';
import { printGraph } from '../../ir/print.js';
import { sizeOf, type Dims } from '../../ir/shape.js';
import type { CompiledCell } from '../compiled-cell.js';
import { emitStepNodes, OnnxGraph, OnnxModel } from './onnx-graph.js';
import { DataType, encodeModel, valueInfo, type GraphMessage, type ValueInfoMessage } from './onnx-proto.js';
import { checkExportable, nativeStep, splitStep, type NativeStep, type StepSplit } from './step.js';
import { fitWeights, type WeightTensor } from './weights.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export interface OnnxExportOptions {
  /** cellforge's version, recorded as the producer's. */
  readonly version: string;
  readonly numLayers?: number;
  readonly bidirectional?: boolean;
  /** Add the `lengths` input [B] (int64): cellforge's lengths semantics. */
  readonly lengths?: boolean;
  /** Names the weights in messages (a file path). */
  readonly source?: string;
}

/** One layer's context while its nodes are built. */
interface Layer {
  readonly model: OnnxModel;
  readonly main: OnnxGraph;
  readonly cell: CompiledCell;
  readonly layer: number;
  readonly dims: Dims;
  readonly D: number;
  readonly input: string;
  /** Per state, this layer's initial states [D, B, H]. */
  readonly initial: readonly string[];
  readonly lengths?: { readonly int64: string; readonly mask: string };
}

/** Output [T, B, D·H] and, per state, the final states [D, B, H] of one layer. */
interface LayerResult {
  readonly output: string;
  readonly finals: readonly string[];
}

export function exportOnnx(cell: CompiledCell, weights: Readonly<Record<string, WeightTensor>>, options: OnnxExportOptions): Uint8Array {
  checkExportable(cell, 'onnx');
  const layout = fitWeights(cell, weights, options.source ?? 'weights', options);
  const { numLayers: L, inputSize: X, hiddenSize: H } = layout;
  const D = layout.bidirectional ? 2 : 1;
  const model = new OnnxModel();
  const main = new OnnxGraph(model);
  const native = nativeStep(cell);
  if (!native) for (const [name, t] of Object.entries(weights)) if (!name.includes('.')) model.weight(name, Float32Array.from(t.data), t.shape);

  const inputs: ValueInfoMessage[] = [valueInfo('input', DataType.FLOAT, ['T', 'B', X ?? 'X']), ...cell.states.map((s) => valueInfo(`${s}0`, DataType.FLOAT, [L * D, 'B', H]))];
  let lengths: Layer['lengths'];
  if (options.lengths) {
    inputs.push(valueInfo('lengths', DataType.INT64, ['B']));
    lengths = { int64: 'lengths', mask: stepMask(main, 'input', 'lengths') };
  }
  let input = 'input';
  const finals: string[][] = cell.states.map(() => []);
  for (let layer = 0; layer < L; layer++) {
    const initial = cell.states.map((s) => main.one('Slice', [`${s}0`, model.ints([layer * D]), model.ints([(layer + 1) * D]), model.ints([0])]));
    const cx: Layer = { model, main, cell, layer, dims: { X: layer === 0 ? (X ?? 0) : D * H, H }, D, input, initial, ...(lengths ? { lengths } : {}) };
    const r = native ? nativeLayer(cx, native, weights) : scanLayer(cx, splitStep(cell.graph));
    r.finals.forEach((f, k) => finals[k]!.push(f));
    input = r.output;
  }
  main.add('Identity', [input], {}, ['output']);
  cell.states.forEach((s, k) => main.add(finals[k]!.length > 1 ? 'Concat' : 'Identity', finals[k]!, finals[k]!.length > 1 ? { axis: 0 } : {}, [`${s}_n`]));

  const graph: GraphMessage = {
    name: cell.name,
    node: main.nodes,
    initializer: model.usedInitializers(main.nodes),
    input: inputs,
    output: [valueInfo('output', DataType.FLOAT, ['T', 'B', D * H]), ...cell.states.map((s) => valueInfo(`${s}_n`, DataType.FLOAT, [L * D, 'B', H]))],
    doc_string: printGraph(cell.graph),
  };
  return encodeModel({
    ir_version: ONNX_IR_VERSION,
    producer_name: 'cellforge',
    producer_version: options.version,
    doc_string: `cell ${cell.name} (${cell.file})${cell.doc ? `: ${cell.doc}` : ''}; ${L} layer(s), ${D === 2 ? 'bidirectional' : 'one direction'}, input size ${X ?? 'any'}, hidden size ${H}`,
    graph,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    metadata_props: [
      { key: 'cellforge.cell', value: cell.name },
      { key: 'cellforge.states', value: cell.states.join(',') },
      { key: 'cellforge.lowering', value: onnxLowering(cell) },
    ],
  });
}

/** How the cell's step is exported: `ONNX LSTM` (GRU, RNN), or `Scan over the step`. */
export function onnxLowering(cell: CompiledCell): string {
  const native = nativeStep(cell);
  return native ? `ONNX ${native === 'lstm' ? 'LSTM' : native.startsWith('gru') ? 'GRU' : 'RNN'}` : 'Scan over the step';
}

/** [T, B, 1] bool: step t is within example b's length. */
function stepMask(g: OnnxGraph, input: string, lengths: string): string {
  const m = g.model;
  const T = g.one('Gather', [g.one('Shape', [input]), m.ints([0], [])], { axis: 0 });
  const t = g.one('Range', [m.ints([0], []), T, m.ints([1], [])]);
  const below = g.one('Less', [g.one('Unsqueeze', [t, m.ints([1])]), g.one('Unsqueeze', [lengths, m.ints([0])])]);
  return g.one('Unsqueeze', [below, m.ints([2])]);
}

/** Both directions of a layer as Scans; [T, B, D·H] and per state [D, B, H]. */
function scanLayer(cx: Layer, split: StepSplit): LayerResult {
  const outputs: string[] = [];
  const finals: string[][] = cx.cell.states.map(() => []);
  for (let d = 0; d < cx.D; d++) {
    const r = scanDirection(cx, split, d === 1);
    outputs.push(r.output);
    r.finals.forEach((f, k) => finals[k]!.push(cx.main.one('Unsqueeze', [f, cx.model.ints([0])])));
  }
  return {
    output: outputs.length > 1 ? cx.main.one('Concat', outputs, { axis: 2 }) : outputs[0]!,
    finals: finals.map((f) => (f.length > 1 ? cx.main.one('Concat', f, { axis: 0 }) : f[0]!)),
  };
}

/** One direction: the hoisted input part over [T, B, ·], then a Scan of the step; [T, B, H] and [B, H] per state. */
function scanDirection(cx: Layer, split: StepSplit, reverse: boolean): { output: string; finals: string[] } {
  const { model, main, cell, dims } = cx;
  const suffix = `_l${cx.layer}${reverse ? '_reverse' : ''}`;
  const inputNode = cell.graph.nodes.find((n) => n.op === 'input')!;
  const param = (n: Node) => `${String(n.attrs.name)}${suffix}`;
  const hoistedLeaf = (n: Node) => {
    invariant(n.op === 'param', `leaf ${n.op} in the hoisted part`);
    return param(n);
  };
  const hoisted = new Map<number, string>([[inputNode.id, cx.input]]);
  emitStepNodes(main, cell.graph, split.hoisted, dims, hoistedLeaf, hoisted);
  // A Scan needs a sequence to count its steps: a cell that never reads its input still gets it.
  const carriedNodes = split.carried.length ? split.carried : [inputNode];
  let carried = carriedNodes.map((n) => hoisted.get(n.id)!);
  const withLengths = cx.lengths;
  // With lengths the reverse direction starts at each example's last valid step: reverse within the lengths.
  if (reverse && withLengths) carried = carried.map((c) => main.one('ReverseSequence', [c, withLengths.int64], { batch_axis: 1, time_axis: 0 }));

  const body = new OnnxGraph(model);
  const stateIn = cell.states.map((s) => model.fresh(`${s}_prev`));
  const carriedIn = carriedNodes.map((n) => model.fresh(`step_in_${n.id}`));
  const maskIn = withLengths ? model.fresh('step_mask') : undefined;
  const values = new Map<number, string>(carriedNodes.map((n, i) => [n.id, carriedIn[i]!]));
  const stepLeaf = (n: Node) => {
    if (n.op === 'state') return stateIn[cell.states.indexOf(String(n.attrs.name))]!;
    invariant(n.op === 'param', `leaf ${n.op} in the step`);
    return param(n);
  };
  emitStepNodes(body, cell.graph, split.step, dims, stepLeaf, values);
  let next = cell.graph.outputs.map((o) => values.get(o.id)!);
  let y = next[0]!;
  if (maskIn) {
    // Past its length an example keeps its state and outputs zeros.
    next = next.map((v, k) => body.one('Where', [maskIn, v, stateIn[k]!]));
    y = body.one('Where', [maskIn, next[0]!, model.floats([0], [])]);
  }
  // Body outputs need names of their own (a state may pass through unchanged; y may be the new first state).
  const nextOut = next.map((v) => body.one('Identity', [v]));
  const yOut = body.one('Identity', [y]);
  const B = 'B';
  const bodyGraph: GraphMessage = {
    name: `${cell.name}_step${suffix}`,
    node: body.nodes,
    initializer: [],
    input: [
      ...stateIn.map((n) => valueInfo(n, DataType.FLOAT, [B, dims.H])),
      // The input of a cell that never reads it (only the step count matters) may have an unknown size.
      ...carriedNodes.map((n, i) => valueInfo(carriedIn[i]!, DataType.FLOAT, [B, n.op === 'input' && !dims.X ? 'X' : n.shape.length ? sizeOf(n.shape, dims) : 1])),
      ...(maskIn ? [valueInfo(maskIn, DataType.BOOL, [B, 1])] : []),
    ],
    output: [...nextOut.map((n) => valueInfo(n, DataType.FLOAT, [B, dims.H])), valueInfo(yOut, DataType.FLOAT, [B, dims.H])],
  };
  const scanInputs = [...carried, ...(withLengths ? [withLengths.mask] : [])];
  const initial = cell.states.map((_, k) => main.one('Gather', [cx.initial[k]!, model.ints([reverse ? 1 : 0], [])], { axis: 0 }));
  const plainReverse = reverse && !withLengths;
  const results = main.add(
    'Scan',
    [...initial, ...scanInputs],
    {
      body: bodyGraph,
      num_scan_inputs: scanInputs.length,
      ...(plainReverse ? { scan_input_directions: scanInputs.map(() => 1), scan_output_directions: [1] } : {}),
    },
    cell.states.length + 1,
  );
  let output = results[cell.states.length]!;
  if (reverse && withLengths) output = main.one('ReverseSequence', [output, withLengths.int64], { batch_axis: 1, time_axis: 0 });
  return { output, finals: results.slice(0, cell.states.length) };
}

/** Gate order of ONNX's operators, as indices into PyTorch's (LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h). */
const GATES: Record<NativeStep, readonly number[]> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], gru_reset_before: [1, 0, 2], rnn_tanh: [0], rnn_relu: [0] };

/** A built-in step as ONNX's LSTM, GRU or RNN over both directions of a layer. */
function nativeLayer(cx: Layer, kind: NativeStep, weights: Readonly<Record<string, WeightTensor>>): LayerResult {
  const { model, main, dims, D } = cx;
  const H = dims.H;
  const order = GATES[kind];
  const suffixes = D === 2 ? ['', '_reverse'] : [''];
  /** The weight of every direction, gate blocks in ONNX's order, stacked: [D, G·H, ...]. */
  const stacked = (base: string) => {
    const parts = suffixes.map((s) => weights[`${base}_l${cx.layer}${s}`]!);
    const cols = parts[0]!.shape.length === 2 ? parts[0]!.shape[1]! : 1;
    const out = new Float32Array(D * order.length * H * cols);
    let o = 0;
    for (const p of parts) for (const g of order) for (let i = 0; i < H * cols; i++) out[o++] = p.data[g * H * cols + i]!;
    return { data: out, cols };
  };
  const W = stacked('weight_ih');
  const R = stacked('weight_hh');
  const bi = stacked('bias_ih');
  const bh = stacked('bias_hh');
  const G = order.length;
  const B = new Float32Array(D * 2 * G * H);
  for (let d = 0; d < D; d++) {
    B.set(bi.data.subarray(d * G * H, (d + 1) * G * H), d * 2 * G * H);
    B.set(bh.data.subarray(d * G * H, (d + 1) * G * H), d * 2 * G * H + G * H);
  }
  const names = {
    W: model.weight(`onnx_W_l${cx.layer}/`, W.data, [D, G * H, W.cols]),
    R: model.weight(`onnx_R_l${cx.layer}/`, R.data, [D, G * H, H]),
    B: model.weight(`onnx_B_l${cx.layer}/`, B, [D, 2 * G * H]),
  };
  const seqLens = cx.lengths ? main.one('Cast', [cx.lengths.int64], { to: DataType.INT32 }) : '';
  const op = kind === 'lstm' ? 'LSTM' : kind === 'rnn_tanh' || kind === 'rnn_relu' ? 'RNN' : 'GRU';
  const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
  if (op === 'GRU') attrs.linear_before_reset = kind === 'gru' ? 1 : 0;
  if (op === 'RNN') attrs.activations = suffixes.map(() => (kind === 'rnn_relu' ? 'Relu' : 'Tanh'));
  const outs = main.add(op, [cx.input, names.W, names.R, names.B, seqLens, ...cx.initial], attrs, op === 'LSTM' ? 3 : 2);
  // Y [T, D, B, H] -> [T, B, D, H] -> [T, B, D·H]
  const output = main.one('Reshape', [main.one('Transpose', [outs[0]!], { perm: [0, 2, 1, 3] }), model.ints([0, 0, -1])]);
  return { output, finals: outs.slice(1) };
}
