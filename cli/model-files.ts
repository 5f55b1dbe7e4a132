// The files of `run` and `grad`: weights, input, initial states and lengths, checked against each other.
import { CellforgeError, fileError } from '../ir/errors.js';
import type { CompiledCell } from '../compiler/compile.js';
import { readNpy, type NpyArray } from '../runtime/io/npy.js';
import { readSafetensors } from '../runtime/io/safetensors.js';
import { showDim, showShape } from '../ir/shape.js';
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
  const values = Array.from(arr.data as ArrayLike<number | bigint>, (v) => Number(v));
  // An int64 length beyond int32 would silently wrap around into a plausible one; the range check needs T, later.
  const huge = values.findIndex((v) => v !== (v | 0));
  if (huge >= 0) throw fileError(path, `lengths[${huge}] = ${values[huge]} is not a valid sequence length`);
  return Int32Array.from(values);
}

/** One layer-0 weight's say on the size of a symbol: weight_hh_l0 [64, 16], dimension 1 is H, so H = 16. */
interface Estimate {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dim: number;
  readonly label: string;
  readonly size: number;
}

/** What the layer-0 weights say about the size of `sym` (H or X), one estimate per dimension that is a multiple of it. */
function estimates(cell: CompiledCell, weights: Record<string, Tensor>, path: string, sym: 'H' | 'X'): Estimate[] {
  const out: Estimate[] = [];
  for (const decl of cell.params) {
    const name = `${decl.name}_l0`;
    const t = weights[name];
    if (!t) continue;
    if (t.shape.length !== decl.shape.length) {
      throw fileError(path, `weight '${name}' has shape ${showTensorShape(t.shape)}, expected rank ${decl.shape.length} (${showShape(decl.shape)} in cell ${cell.name})`);
    }
    decl.shape.forEach((d, i) => {
      if (d.sym !== sym) return;
      const size = t.shape[i]! / d.mult;
      if (!Number.isInteger(size) || size < 1) {
        throw fileError(path, `weight '${name}' has shape ${showTensorShape(t.shape)}: dimension ${i} should be ${showDim(d)}, a positive multiple of ${d.mult}`);
      }
      out.push({ name, shape: t.shape, dim: i, label: showDim(d), size });
    });
  }
  return out;
}

/**
 * The size of `sym` the layer-0 weights agree on. When they disagree (weights of another cell: a GRU's [3H, H]
 * for an LSTM's [4H, H]; or one weight of a wrong shape), the message shows what each weight says instead of
 * picking one and blaming the others.
 */
function inferSize(cell: CompiledCell, weights: Record<string, Tensor>, path: string, sym: 'H' | 'X'): Estimate | undefined {
  const all = estimates(cell, weights, path, sym);
  const first = all[0];
  if (!first) return undefined;
  const sizes = [...new Set(all.map((e) => e.size))];
  if (sizes.length > 1) {
    const says = sizes.map((n) => all.find((e) => e.size === n)!).map((e) => `'${e.name}' ${showTensorShape(e.shape)} says ${sym} = ${e.size} (dimension ${e.dim} is ${e.label})`);
    const decls = cell.params.map((d) => `${d.name} ${showShape(d.shape)}`).join(', ');
    throw fileError(path, `the weights disagree on the ${sym === 'H' ? 'hidden' : 'input'} size ${sym}: ${says.join(', ')}`, `cell ${cell.name} declares ${decls}; are these weights for another cell?`);
  }
  return first;
}

/** The hidden size, from the layer-0 weights that have an H dimension (e.g. weight_hh_l0 [4H, H]). */
function inferHiddenSize(cell: CompiledCell, weights: Record<string, Tensor>, path: string): number {
  const found = inferSize(cell, weights, path, 'H');
  if (found) return found.size;
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
  checkAgainstEachOther(cell, flags, out);
  return out;
}

/**
 * The files must agree with each other. The RNN checks all of this too, but without knowing the files: here every
 * message names the file to fix (for an input whose size differs from the weights', the input, not the weights).
 */
function checkAgainstEachOther(cell: CompiledCell, flags: ModelFlags, files: ModelFiles): void {
  const [T, B, X] = files.input.shape as [number, number, number];
  if (T < 1 || B < 1 || X < 1) throw fileError(flags.input, `input has shape ${showTensorShape(files.input.shape)} with an empty dimension, expected [T, B, X] with T, B, X >= 1`);
  const wantX = inferSize(cell, files.weights, flags.weights, 'X');
  if (wantX && wantX.size !== X) {
    throw fileError(flags.input, `input has ${X} features per step (shape ${showTensorShape(files.input.shape)}), but the weights in ${flags.weights} expect ${wantX.size} ('${wantX.name}' ${showTensorShape(wantX.shape)})`);
  }
  const stateShape = [files.numLayers * (files.bidirectional ? 2 : 1), B, files.hiddenSize];
  for (const [flag, path, t] of [['h0', flags.h0, files.h0], ['c0', flags.c0, files.c0]] as const) {
    if (!t || !path) continue;
    if (t.shape.length !== 3 || t.shape.some((n, i) => n !== stateShape[i])) {
      throw fileError(path, `${flag} has shape ${showTensorShape(t.shape)}, expected [layers*directions, B, H] = ${showTensorShape(stateShape)}`);
    }
  }
  if (files.lengths && flags.lengths) {
    if (files.lengths.length !== B) throw fileError(flags.lengths, `lengths has ${files.lengths.length} entries, expected one per example (B = ${B} in ${flags.input})`);
    const bad = files.lengths.findIndex((v) => v < 1 || v > T);
    if (bad >= 0) throw fileError(flags.lengths, `lengths[${bad}] = ${files.lengths[bad]} is outside 1..${T} (T, the steps in ${flags.input})`);
  }
}
