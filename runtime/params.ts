// Parameters of an RNN: a cell's declarations made concrete per layer and direction, with PyTorch's names.
import type { ParamDecl } from '../ir/graph.js';
import { sizeOf, type Dims, type Shape } from '../ir/shape.js';
import { Random } from './random.js';

/** One (layer, direction) of a stacked, possibly bidirectional RNN. */
export interface LayerDirection {
  readonly layer: number;
  readonly reverse: boolean;
  readonly dims: Dims;
}

/** `weight_ih` of layer 1, reverse direction -> `weight_ih_l1_reverse` (PyTorch's state dict names). */
export function paramName(cellName: string, ld: Pick<LayerDirection, 'layer' | 'reverse'>): string {
  return `${cellName}_l${ld.layer}${ld.reverse ? '_reverse' : ''}`;
}

export function concreteShape(shape: Shape, dims: Dims): number[] {
  return shape.map((d) => sizeOf([d], dims));
}

/** PyTorch's RNN initialisation: every weight uniform in ±1/√H unless the cell declares a constant. */
export function initParam(decl: ParamDecl, dims: Dims, rng: Random): Float64Array {
  const data = new Float64Array(sizeOf(decl.shape, dims));
  if (decl.init.kind === 'constant') return data.fill(decl.init.value);
  const k = 1 / Math.sqrt(dims.H);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-k, k);
  return data;
}
