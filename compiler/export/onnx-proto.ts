// ONNX's protobuf messages, encoded by protobufjs from a descriptor of ONNX's schema (onnx/onnx.proto, proto2):
// only the messages and fields an exported model uses, with ONNX's field numbers. Runs in a browser too.
import protobuf from 'protobufjs/light.js';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const field = (type: string, id: number) => ({ type, id });

const schema = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: field('int64', 1),
            producer_name: field('string', 2),
            producer_version: field('string', 3),
            doc_string: field('string', 6),
            graph: field('GraphProto', 7),
            opset_import: repeated('OperatorSetIdProto', 8),
            metadata_props: repeated('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
        StringStringEntryProto: { fields: { key: field('string', 1), value: field('string', 2) } },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: field('string', 2),
            initializer: repeated('TensorProto', 5),
            doc_string: field('string', 10),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: field('string', 3),
            op_type: field('string', 4),
            attribute: repeated('AttributeProto', 5),
            domain: field('string', 7),
          },
        },
        AttributeProto: {
          fields: {
            name: field('string', 1),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            g: field('GraphProto', 6),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            type: field('int32', 20),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            data_type: field('int32', 2),
            name: field('string', 8),
            raw_data: field('bytes', 9),
          },
        },
        ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2) } },
        TypeProto: {
          fields: { tensor_type: field('TensorTypeProto', 1) },
        },
        // TypeProto.Tensor in onnx.proto; a nested message there, the same fields and numbers here.
        TensorTypeProto: { fields: { elem_type: field('int32', 1), shape: field('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: repeated('Dimension', 1) } },
        // TensorShapeProto.Dimension in onnx.proto.
        Dimension: { fields: { dim_value: field('int64', 1), dim_param: field('string', 2) } },
      },
    },
  },
};

/** TensorProto.DataType values. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, GRAPH: 5, INTS: 7, STRINGS: 8 } as const;

export interface TensorMessage {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

export interface AttributeMessage {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  strings?: Uint8Array[];
  g?: GraphMessage;
}

export interface NodeMessage {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}

/** A dimension: a size, or the name of a size given at run time (T, B). */
export type DimSpec = number | string;

export interface ValueInfoMessage {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

export interface GraphMessage {
  name: string;
  node: NodeMessage[];
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
  doc_string?: string;
}

export interface ModelMessage {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  doc_string: string;
  graph: GraphMessage;
  opset_import: { domain: string; version: number }[];
  metadata_props: { key: string; value: string }[];
}

let modelType: protobuf.Type | undefined;

/** The serialized ModelProto. */
export function encodeModel(model: ModelMessage): Uint8Array {
  modelType ??= protobuf.Root.fromJSON(schema).lookupType('onnx.ModelProto');
  const problem = modelType.verify(model);
  if (problem) throw new Error(`cellforge internal error: ONNX model does not fit the schema: ${problem}`);
  return modelType.encode(modelType.fromObject(model)).finish();
}

export function valueInfo(name: string, elemType: number, dims: readonly DimSpec[]): ValueInfoMessage {
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } };
}
