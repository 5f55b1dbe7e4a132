// Compiles a cell's js kernels for one (X, H) once, from source the compiler wrote, and caches them.
import type { CompiledCell } from '../../compiled-cell.js';
import type { Dims } from '../../../ir/shape.js';
import { emitBackward } from './backward.js';
import { emitForward } from './forward.js';

type Factory = (P: Float32Array[], ...gemms: unknown[]) => (...args: unknown[]) => unknown;

export interface JsKernels {
  readonly forwardSource: string;
  readonly backwardSource: string;
  readonly forward: Factory;
  readonly backward: Factory;
}

/** Scalar helpers the op table's JS emitters call; stable for large |x|. */
const prelude = `
const sigmoid = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
`;

const cache = new WeakMap<CompiledCell, Map<string, JsKernels>>();

export function jsKernels(cell: CompiledCell, dims: Dims): JsKernels {
  let perCell = cache.get(cell);
  if (!perCell) cache.set(cell, (perCell = new Map()));
  const key = `${dims.X}x${dims.H}`;
  const hit = perCell.get(key);
  if (hit) return hit;
  const bw = cell.backward;
  const forwardSource = emitForward(cell.graph, cell.states, dims, bw.saved).source;
  const backwardSource = emitBackward(bw.graph, cell.states, cell.ir.inputName, dims);
  const kernels: JsKernels = {
    forwardSource,
    backwardSource,
    // The source is ours: sizes and constants are numbers printed by the compiler, names are generated.
    forward: new Function('P', 'gemmNT', 'transpose', `"use strict";${prelude}${forwardSource}`) as Factory,
    backward: new Function('P', 'gemmNT', 'transpose', `"use strict";${prelude}${backwardSource}`) as Factory,
  };
  perCell.set(key, kernels);
  return kernels;
}
