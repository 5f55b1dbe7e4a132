// The `js` backend: the compiler's generated JavaScript kernels over Float32Array.
import { guardDepth, type CompiledCell } from '../../compiler/compile.js';
import { jsKernels } from '../../compiler/codegen/js/kernels.js';
import type { DirectionGrads, DirectionResult, DirectionRun, Floats, SequenceBackend } from '../backend.js';
import { gemmNT, transpose } from './gemm.js';

interface JsTape {
  readonly kernelTape: Record<string, Float32Array | null>;
  readonly x: Float32Array;
  readonly params: Float32Array[];
}

function paramsOf(cell: CompiledCell, run: DirectionRun): Float32Array[] {
  return cell.params.map((p) => Float32Array.from(run.params.get(p.name)!));
}

export function jsBackend(cell: CompiledCell): SequenceBackend {
  // Compile eagerly for error reporting: an unsupported cell fails at construction, not mid-training.
  guardDepth(cell.file, () => jsKernels(cell, { X: 1, H: 1 }));
  return {
    name: 'js',
    forwardDirection(run: DirectionRun): DirectionResult {
      const { steps: T, batch: B, dims } = run;
      const k = jsKernels(cell, dims);
      const params = paramsOf(cell, run);
      const x = Float32Array.from(run.input);
      const states = run.initial.map((s) => Float32Array.from(s));
      const out = new Float32Array(T * B * dims.H);
      const forward = k.forward(params, gemmNT, transpose);
      const kernelTape = forward(T, B, run.lengths, run.reverse, x, states, out, run.training) as Record<string, Float32Array | null>;
      const tape: JsTape = { kernelTape, x, params };
      return { output: out, final: states, tape };
    },
    backwardDirection(run: DirectionRun, result: DirectionResult, gradOutput: Floats, gradFinal: readonly Floats[]): DirectionGrads {
      const { steps: T, batch: B, dims } = run;
      const k = jsKernels(cell, dims);
      const tape = result.tape as JsTape;
      const carried = gradFinal.map((g) => Float32Array.from(g));
      const gp = tape.params.map((p) => new Float32Array(p.length));
      const dx = new Float32Array(T * B * dims.X);
      const backward = k.backward(tape.params, gemmNT, transpose);
      backward(T, B, run.lengths, run.reverse, run.truncate ?? 0, tape.x, gradOutput instanceof Float32Array ? gradOutput : Float32Array.from(gradOutput), carried, tape.kernelTape, gp, dx);
      return {
        dInput: dx,
        dInitial: carried,
        grads: new Map(cell.params.map((p, i) => [p.name, gp[i]!])),
      };
    },
  };
}
