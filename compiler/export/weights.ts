// Weights for an export with the weights inside (ONNX): they must fit the cell exactly, as load_state_dict(strict).
import { CellforgeError } from '../../ir/errors.js';
import { showDim, showShape, sizeOf, type Dims } from '../../ir/shape.js';
import type { CompiledCell } from '../compiled-cell.js';

/** A named weight: row-major values and a shape (cellforge's Tensor, or anything shaped like it). */
export interface WeightTensor {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export interface WeightLayout {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  /** Undefined for a cell that never reads its input (no weight has an X dimension). */
  readonly inputSize: number | undefined;
  readonly hiddenSize: number;
}

const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Layers and directions (from the options, else from the names), the input and hidden sizes (from the layer-0
 * weights), then every weight checked against the cell: names and shapes exactly. `source` names the weights in
 * messages (a file path).
 */
export function fitWeights(cell: CompiledCell, weights: Readonly<Record<string, WeightTensor>>, source: string, options: { numLayers?: number; bidirectional?: boolean } = {}): WeightLayout {
  // A checkpoint also holds optimiser state (adam.m.*) and task layers (head.*): the RNN's own keys have no dot.
  const names = Object.keys(weights).filter((n) => !n.includes('.'));
  const fail = (message: string, hint?: string) => new CellforgeError(`${source}: ${message}`, undefined, hint);
  const numLayers = options.numLayers ?? 1 + Math.max(0, ...names.map((n) => Number(/_l(\d+)(?:_reverse)?$/.exec(n)?.[1] ?? 0)));
  const bidirectional = options.bidirectional ?? names.some((n) => n.endsWith('_reverse'));
  const sizes: Partial<Record<'X' | 'H', { size: number; from: string }>> = {};
  for (const decl of cell.params) {
    const name = `${decl.name}_l0`;
    const t = Object.hasOwn(weights, name) ? weights[name] : undefined;
    if (!t) throw fail(`missing weight '${name}' (cell ${cell.name} declares ${decl.name} ${showShape(decl.shape)})`);
    if (t.shape.length !== decl.shape.length) throw fail(`weight '${name}' has shape ${show(t.shape)}, cell ${cell.name} declares ${decl.name} ${showShape(decl.shape)}`);
    decl.shape.forEach((d, i) => {
      if (d.sym === '1') return;
      const size = t.shape[i]! / d.mult;
      const seen = sizes[d.sym];
      if (!Number.isInteger(size) || size < 1) throw fail(`weight '${name}' has shape ${show(t.shape)}: dimension ${i} should be ${showDim(d)}, a positive multiple of ${d.mult}`);
      if (seen && seen.size !== size) {
        throw fail(`the weights disagree on ${d.sym}: '${seen.from}' says ${seen.size}, '${name}' ${show(t.shape)} says ${size}`, `are these weights for another cell than ${cell.name}?`);
      }
      sizes[d.sym] = seen ?? { size, from: name };
    });
  }
  const H = sizes.H?.size;
  const X = sizes.X?.size;
  if (H === undefined) throw fail(`cannot tell the hidden size from the weights of cell ${cell.name}`);
  const D = bidirectional ? 2 : 1;
  const expected = new Map<string, number[]>();
  for (let layer = 0; layer < numLayers; layer++) {
    // Without an X dimension in any weight, layer 0's input size does not appear in a shape.
    const dims: Dims = { X: layer === 0 ? (X ?? 0) : D * H, H };
    for (const suffix of bidirectional ? ['', '_reverse'] : ['']) {
      for (const decl of cell.params) expected.set(`${decl.name}_l${layer}${suffix}`, decl.shape.map((d) => sizeOf([d], dims)));
    }
  }
  const layout = `${numLayers} layer${numLayers > 1 ? 's' : ''}${bidirectional ? ', bidirectional' : ''}${X === undefined ? '' : `, input size ${X}`}, hidden size ${H}`;
  const missing = [...expected.keys()].filter((n) => !Object.hasOwn(weights, n));
  if (missing.length) throw fail(`missing weight${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} for cell ${cell.name} (${layout})`);
  const extra = names.filter((n) => !expected.has(n));
  if (extra.length) throw fail(`unexpected weight${extra.length > 1 ? 's' : ''} ${extra.map((m) => `'${m}'`).join(', ')}: not a parameter of cell ${cell.name} (${layout})`, 'pass --num-layers and --bidirectional to match the weights, or check that they belong to this cell');
  for (const [name, shape] of expected) {
    const t = weights[name]!;
    if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) throw fail(`weight '${name}' has shape ${show(t.shape)}, cell ${cell.name} expects ${show(shape)} (${layout})`);
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw fail(`weight '${name}' holds ${t.data.length} values for shape ${show(shape)}`);
  }
  return { numLayers, bidirectional, inputSize: X, hiddenSize: H };
}
