// The files of `run` and `grad`: weights, input, initial states and lengths, checked against each other.
import { CellforgeError, fileError } from '../ir/errors.js';
import type { CompiledCell } from '../compiler/compile.js';
import { readNpy, type NpyArray } from '../runtime/io/npy.js';
import { readSafetensors } from '../runtime/io/safetensors.js';
import { showTensorShape, type Tensor } from '../runtime/tensor.js';

export interface ModelFiles {
  readonly weights: Record<string, Tensor>;
  readonly input: Tensor;
  readonly inputDtype: 'float32' | 'float64';
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly h0?: Tensor;
  readonly c0?: Tensor;
  readonly lengths?: Int32Array;
}

export function floatTensor(arr: NpyArray, path: string, what: string): Tensor {
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') {
    throw fileError(path, `${what} must be float32 or float64, got ${arr.dtype}`);
  }
  return { data: arr.data as Float32Array | Float64Array, shape: arr.shape };
}

export function readLengths(path: string): Int32Array {
  const arr = readNpy(path);
  if (arr.dtype !== 'int32' && arr.dtype !== 'int64') throw fileError(path, `lengths must be int32 or int64, got ${arr.dtype}`);
  if (arr.shape.length !== 1) throw fileError(path, `lengths must be a vector [B], got shape ${showTensorShape(arr.shape)}`);
  return Int32Array.from(arr.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** The hidden size, from the first layer-0 weight that has an H dimension (e.g. weight_hh_l0 [4H, H]). */
function inferHiddenSize(cell: CompiledCell, weights: Record<string, Tensor>, path: string): number {
  for (const decl of cell.params) {
    const t = weights[`${decl.name}_l0`];
    const i = decl.shape.findIndex((d) => d.sym === 'H');
    if (!t || i < 0) continue;
    if (t.shape.length !== decl.shape.length) {
      throw fileError(path, `weight '${decl.name}_l0' has shape ${showTensorShape(t.shape)}, expected rank ${decl.shape.length}`);
    }
    const h = t.shape[i]! / decl.shape[i]!.mult;
    if (!Number.isInteger(h) || h < 1) throw fileError(path, `weight '${decl.name}_l0' has shape ${showTensorShape(t.shape)}: dimension ${i} is not a multiple of ${decl.shape[i]!.mult}`);
    return h;
  }
  const first = cell.params[0];
  throw fileError(path, first ? `missing weight '${first.name}_l0'` : `cell ${cell.name} has no parameters`);
}

export function readWeights(path: string): Record<string, Tensor> {
  const file = readSafetensors(path);
  const out: Record<string, Tensor> = {};
  for (const [name, arr] of file.tensors) out[name] = floatTensor(arr, path, `weight '${name}'`);
  return out;
}

export interface ModelFlags {
  readonly weights: string;
  readonly input: string;
  readonly h0?: string;
  readonly c0?: string;
  readonly lengths?: string;
  readonly numLayers?: number;
  readonly bidirectional?: boolean;
}

export function readModelFiles(cell: CompiledCell, flags: ModelFlags): ModelFiles {
  const weights = readWeights(flags.weights);
  const inputArr = readNpy(flags.input);
  const input = floatTensor(inputArr, flags.input, 'input');
  if (input.shape.length !== 3) throw fileError(flags.input, `input must have rank 3 [T, B, X], got shape ${showTensorShape(input.shape)}`);
  const names = Object.keys(weights);
  // Layers and directions default to what the weights file holds; explicit flags must then agree with it.
  const layersInFile = 1 + Math.max(0, ...names.map((n) => Number(/_l(\d+)(?:_reverse)?$/.exec(n)?.[1] ?? 0)));
  const reverseInFile = names.some((n) => n.endsWith('_reverse'));
  const out: ModelFiles = {
    weights,
    input,
    inputDtype: inputArr.dtype as 'float32' | 'float64',
    hiddenSize: inferHiddenSize(cell, weights, flags.weights),
    numLayers: flags.numLayers ?? layersInFile,
    bidirectional: flags.bidirectional ?? reverseInFile,
    ...(flags.h0 ? { h0: floatTensor(readNpy(flags.h0), flags.h0, 'h0') } : {}),
    ...(flags.c0 ? { c0: floatTensor(readNpy(flags.c0), flags.c0, 'c0') } : {}),
    ...(flags.lengths ? { lengths: readLengths(flags.lengths) } : {}),
  };
  if (out.c0 && !cell.states.includes('c') && cell.states.length < 2) {
    throw new CellforgeError(`--c0 given but cell ${cell.name} has no cell state (states: ${cell.states.join(', ')})`);
  }
  return out;
}
