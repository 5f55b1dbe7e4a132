// What compileCell returns: the interface the code generators read and compile.ts builds, kept apart from both.
import type { Graph, ParamDecl } from '../ir/graph.js';
import type { BackwardIR } from './autodiff/backward.js';
import type { CellIR } from './frontend/parse.js';

export type EmitKind = 'ir' | 'backward-ir' | 'js' | 'wasm' | 'wgsl' | 'c';
export const emitKinds: readonly EmitKind[] = ['ir', 'backward-ir', 'js', 'wasm', 'wgsl', 'c'];

export interface EmitSizes {
  readonly inputSize?: number;
  readonly hiddenSize?: number;
}

export interface CompiledCell {
  readonly name: string;
  /** Display path of the cell's source. */
  readonly file: string;
  readonly doc?: string;
  readonly source: string;
  readonly ir: CellIR;
  /** The forward step graph: outputs are the new states in declared order. */
  readonly graph: Graph;
  /** Declared order; the first state is the step's output. */
  readonly states: readonly string[];
  readonly params: readonly ParamDecl[];
  /** The backward step and the forward values it reads (derived on first use). */
  readonly backward: BackwardIR;
  /** What the compiler made of the cell, as text; generated code is specialised to `sizes` (default X = H = 16). */
  emit(kind: EmitKind, sizes?: EmitSizes): string;
}
