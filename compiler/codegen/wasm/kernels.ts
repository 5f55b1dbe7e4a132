// Compiles a cell's WebAssembly module for one (X, H) once: generated text, assembled and validated by wabt.
import type { CompiledCell } from '../../compiled-cell.js';
import type { Dims } from '../../../ir/shape.js';
import { assembleWat, relaxedSimd } from './assemble.js';
import { wasmProgram, type WasmProgram } from './program.js';

export interface WasmKernels {
  readonly program: WasmProgram;
  readonly module: WebAssembly.Module;
  readonly fma: boolean;
}

const cache = new WeakMap<CompiledCell, Map<string, Promise<WasmKernels>>>();

/** `fma`: use the relaxed-SIMD multiply-add (default: wherever the engine has it). */
export function wasmKernels(cell: CompiledCell, dims: Dims, fma = relaxedSimd()): Promise<WasmKernels> {
  let perCell = cache.get(cell);
  if (!perCell) cache.set(cell, (perCell = new Map()));
  const key = `${dims.X}x${dims.H}${fma ? '' : ' no-fma'}`;
  let hit = perCell.get(key);
  if (!hit) {
    const program = wasmProgram(cell, dims, fma);
    hit = assembleWat(program.text, `${cell.name}.X${dims.X}.H${dims.H}.wat`).then((bytes) => ({ program, module: new WebAssembly.Module(bytes), fma }));
    perCell.set(key, hit);
  }
  return hit;
}
