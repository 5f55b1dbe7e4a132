// A minimal hand-written ONNX ModelProto encoder, just enough to build stacked LSTM / GRU / RNN models for
// onnxruntime, plus the conversion of PyTorch-layout weights to ONNX's layouts. Test-only: the independent oracle.
//
// Protobuf wire format: every field is a key varint (field_number << 3 | wire_type) followed by its payload;
// wire type 0 = varint, 2 = length-delimited (strings, bytes, sub-messages). Field numbers are from onnx.proto.

// ---------------------------------------------------------------- protobuf wire format

type Bytes = number[];

function varint(value: number | bigint): Bytes {
  // int64 fields: negative values are ten-byte two's complement.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const key = (field: number, wireType: 0 | 2 | 5): Bytes => varint((field << 3) | wireType);

/** A message under construction: fields are appended in order. */
class Message {
  readonly bytes: Bytes = [];

  int(field: number, value: number | bigint): this {
    this.bytes.push(...key(field, 0), ...varint(value));
    return this;
  }

  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v); // unpacked; parsers accept both encodings
    return this;
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes.push(...key(field, 5), ...b);
    return this;
  }

  raw(field: number, payload: ArrayLike<number>): this {
    this.bytes.push(...key(field, 2), ...varint(payload.length));
    for (let i = 0; i < payload.length; i++) this.bytes.push(payload[i]!);
    return this;
  }

  string(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  strings(field: number, values: readonly string[]): this {
    for (const s of values) this.string(field, s);
    return this;
  }

  message(field: number, m: Message): this {
    return this.raw(field, m.bytes);
  }

  messages(field: number, ms: readonly Message[]): this {
    for (const m of ms) this.message(field, m);
    return this;
  }
}

// ---------------------------------------------------------------- ONNX messages

export const FLOAT = 1;
export const INT32 = 6;
export const INT64 = 7;

export type AttrValue = number | string | number[] | string[];

/** A tensor constant (an initializer): float32, int32 or int64, stored as raw little-endian bytes. */
export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

export interface NodeSpec {
  op: string;
  inputs: string[]; // '' skips an optional input
  outputs: string[];
  /** A number is an int attribute when it is an integer, else a float. */
  attrs?: Record<string, AttrValue>;
}

export interface ValueSpec {
  name: string;
  elemType: number;
  /** Concrete size or a symbolic name per axis; omitted: shape unknown. */
  shape?: (number | string)[];
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: Initializer[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;
const ATTR_STRINGS = 8;

function attribute(name: string, value: AttrValue): Message {
  // AttributeProto: name=1, f=2, i=3, s=4, ints=8, strings=9, type=20
  const m = new Message().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) m.float(2, value).int(20, ATTR_FLOAT);
    else m.int(3, value).int(20, ATTR_INT);
  } else if (typeof value === 'string') {
    m.string(4, value).int(20, ATTR_STRING);
  } else if (value.every((v): v is number => typeof v === 'number')) {
    m.ints(8, value).int(20, ATTR_INTS);
  } else {
    m.strings(9, value as string[]).int(20, ATTR_STRINGS);
  }
  return m;
}

function node(n: NodeSpec, index: number): Message {
  // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5
  const m = new Message().strings(1, n.inputs).strings(2, n.outputs).string(3, `${n.op}_${index}`).string(4, n.op);
  for (const [name, value] of Object.entries(n.attrs ?? {})) m.message(5, attribute(name, value));
  return m;
}

function tensorProto(t: Initializer): Message {
  // TensorProto: dims=1, data_type=2, name=8, raw_data=9
  const type = t.data instanceof Float32Array ? FLOAT : t.data instanceof Int32Array ? INT32 : INT64;
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength); // little-endian host
  return new Message().ints(1, t.dims).int(2, type).string(8, t.name).raw(9, bytes);
}

function valueInfo(v: ValueSpec): Message {
  // ValueInfoProto: name=1, type=2; TypeProto: tensor_type=1; TypeProto.Tensor: elem_type=1, shape=2;
  // TensorShapeProto: dim=1; Dimension: dim_value=1, dim_param=2
  const tensorType = new Message().int(1, v.elemType);
  if (v.shape) {
    const shape = new Message();
    for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d));
    tensorType.message(2, shape);
  }
  return new Message().string(1, v.name).message(2, new Message().message(1, tensorType));
}

/** Serialises a ModelProto holding one graph in the default domain. */
export function encodeModel(graph: GraphSpec, opset = 14): Uint8Array {
  // GraphProto: node=1, name=2, initializer=5, input=11, output=12
  const g = new Message()
    .messages(1, graph.nodes.map(node))
    .string(2, graph.name)
    .messages(5, graph.initializers.map(tensorProto))
    .messages(11, graph.inputs.map(valueInfo))
    .messages(12, graph.outputs.map(valueInfo));
  // ModelProto: ir_version=1, opset_import=8, producer_name=2, graph=7; OperatorSetIdProto: domain=1, version=2
  const model = new Message()
    .int(1, 8)
    .string(2, 'cellforge-test')
    .message(7, g)
    .message(8, new Message().string(1, '').int(2, opset));
  return Uint8Array.from(model.bytes);
}

// ---------------------------------------------------------------- recurrent models

export type CellKind = 'lstm' | 'gru' | 'gru_reset_before' | 'rnn_tanh' | 'rnn_relu';

/** A PyTorch state dict entry: row-major data and shape. */
export interface PtTensor {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** Gates per cell, and for each ONNX gate slot the PyTorch chunk that fills it. */
const GATE_ORDER: Record<CellKind, number[]> = {
  lstm: [0, 3, 1, 2], // ONNX i,o,f,c  <-  PyTorch i,f,g,o
  gru: [1, 0, 2], // ONNX z,r,h  <-  PyTorch r,z,n
  gru_reset_before: [1, 0, 2],
  rnn_tanh: [0],
  rnn_relu: [0],
};

const ONNX_OP: Record<CellKind, string> = { lstm: 'LSTM', gru: 'GRU', gru_reset_before: 'GRU', rnn_tanh: 'RNN', rnn_relu: 'RNN' };

/** Rows of a [G*H, K] PyTorch matrix (or [G*H] bias) with its gate chunks reordered to ONNX's order. */
function reorderGates(kind: CellKind, t: PtTensor): number[] {
  const order = GATE_ORDER[kind];
  const chunk = t.data.length / order.length;
  const out: number[] = [];
  for (const src of order) for (let i = 0; i < chunk; i++) out.push(t.data[src * chunk + i]!);
  return out;
}

/**
 * ONNX W [D, G*H, X], R [D, G*H, H], B [D, 2*G*H] (= concat(Wb, Rb)) of one layer, from a PyTorch state dict;
 * D = 2 when the dict has the layer's `_reverse` weights.
 */
export function pytorchToOnnx(
  kind: CellKind,
  stateDict: Readonly<Record<string, PtTensor>>,
  layer: number,
): { W: Initializer; R: Initializer; B: Initializer } {
  const directions = `weight_ih_l${layer}_reverse` in stateDict ? 2 : 1;
  const W: number[] = [];
  const R: number[] = [];
  const B: number[] = [];
  for (let d = 0; d < directions; d++) {
    const get = (what: string) => {
      const name = `${what}_l${layer}${d === 1 ? '_reverse' : ''}`;
      const t = stateDict[name];
      if (!t) throw new Error(`pytorchToOnnx: state dict has no '${name}'`);
      return t;
    };
    // Loops, not spreads: a spread of a large matrix overflows the call stack.
    const append = (to: number[], from: ArrayLike<number>) => {
      for (let i = 0; i < from.length; i++) to.push(from[i]!);
    };
    append(W, reorderGates(kind, get('weight_ih')));
    append(R, reorderGates(kind, get('weight_hh')));
    append(B, reorderGates(kind, get('bias_ih')));
    append(B, reorderGates(kind, get('bias_hh')));
  }
  const wih = stateDict[`weight_ih_l${layer}`]!.shape;
  const whh = stateDict[`weight_hh_l${layer}`]!.shape;
  return {
    W: { name: `W_l${layer}`, dims: [directions, wih[0]!, wih[1]!], data: Float32Array.from(W) },
    R: { name: `R_l${layer}`, dims: [directions, whh[0]!, whh[1]!], data: Float32Array.from(R) },
    B: { name: `B_l${layer}`, dims: [directions, 2 * wih[0]!], data: Float32Array.from(B) },
  };
}

export interface RecurrentModelSpec {
  kind: CellKind;
  stateDict: Readonly<Record<string, PtTensor>>;
  steps: number;
  batch: number;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Per-example valid lengths (ONNX sequence_lens, int32). */
  lengths?: readonly number[];
  /** [L*D, B, H] initial hidden state (and cell state for LSTM), PyTorch layout. */
  h0?: ArrayLike<number>;
  c0?: ArrayLike<number>;
}

/**
 * A model with graph input `X` [T, B, X] and outputs `output` [T, B, D*H] (the last layer's Y), `h_n` and, for
 * LSTM, `c_n` [L*D, B, H] (every layer's Y_h / Y_c concatenated). Weights and states are initializers.
 */
export function recurrentModel(spec: RecurrentModelSpec): Uint8Array {
  const { kind, hiddenSize: H, numLayers: L, batch: B } = spec;
  const D = spec.bidirectional ? 2 : 1;
  const isLstm = kind === 'lstm';
  const nodes: NodeSpec[] = [];
  const inits: Initializer[] = [{ name: 'reshape_tbf', dims: [3], data: BigInt64Array.from([0n, 0n, -1n]) }];
  if (spec.lengths) inits.push({ name: 'sequence_lens', dims: [B], data: Int32Array.from(spec.lengths) });
  const layerState = (all: ArrayLike<number>, layer: number) =>
    Float32Array.from(Array.prototype.slice.call(all, layer * D * B * H, (layer + 1) * D * B * H) as number[]);

  const attrs: Record<string, AttrValue> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
  if (kind === 'gru') attrs.linear_before_reset = 1;
  if (kind === 'gru_reset_before') attrs.linear_before_reset = 0;
  if (kind === 'rnn_tanh') attrs.activations = Array<string>(D).fill('Tanh');
  if (kind === 'rnn_relu') attrs.activations = Array<string>(D).fill('Relu');

  let x = 'X';
  const hs: string[] = [];
  const cs: string[] = [];
  for (let k = 0; k < L; k++) {
    const { W, R, B: bias } = pytorchToOnnx(kind, spec.stateDict, k);
    inits.push(W, R, bias);
    const inputs = [x, W.name, R.name, bias.name, spec.lengths ? 'sequence_lens' : '', '', ''];
    if (spec.h0) {
      inputs[5] = `initial_h_l${k}`;
      inits.push({ name: inputs[5], dims: [D, B, H], data: layerState(spec.h0, k) });
    }
    if (isLstm && spec.c0) {
      inputs[6] = `initial_c_l${k}`;
      inits.push({ name: inputs[6], dims: [D, B, H], data: layerState(spec.c0, k) });
    }
    while (inputs.at(-1) === '') inputs.pop(); // trailing optional inputs are simply left out
    const outs = [`Y_l${k}`, `Y_h_l${k}`, ...(isLstm ? [`Y_c_l${k}`] : [])];
    nodes.push({ op: ONNX_OP[kind], inputs, outputs: outs, attrs });
    // Y [T, D, B, H] -> [T, B, D, H] -> [T, B, D*H]: the next layer's input, or the model's output.
    nodes.push({ op: 'Transpose', inputs: [outs[0]!], outputs: [`Yt_l${k}`], attrs: { perm: [0, 2, 1, 3] } });
    x = k === L - 1 ? 'output' : `X_l${k + 1}`;
    nodes.push({ op: 'Reshape', inputs: [`Yt_l${k}`, 'reshape_tbf'], outputs: [x] });
    hs.push(outs[1]!);
    if (isLstm) cs.push(outs[2]!);
  }
  nodes.push({ op: 'Concat', inputs: hs, outputs: ['h_n'], attrs: { axis: 0 } });
  if (isLstm) nodes.push({ op: 'Concat', inputs: cs, outputs: ['c_n'], attrs: { axis: 0 } });

  const states: ValueSpec[] = [{ name: 'h_n', elemType: FLOAT, shape: [L * D, B, H] }];
  if (isLstm) states.push({ name: 'c_n', elemType: FLOAT, shape: [L * D, B, H] });
  return encodeModel({
    name: `${kind}_stack`,
    nodes,
    initializers: inits,
    inputs: [{ name: 'X', elemType: FLOAT, shape: [spec.steps, B, spec.inputSize] }],
    outputs: [{ name: 'output', elemType: FLOAT, shape: [spec.steps, B, D * H] }, ...states],
  });
}
