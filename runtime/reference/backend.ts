// The `reference` backend: float64 interpretation of the step IR. The oracle every other backend is tested against.
import type { CompiledCell } from '../../compiler/compile.js';
import type { Floats, SequenceBackend } from '../backend.js';
import { referenceBackward } from './backward.js';
import { referenceForward, type ReferenceStep } from './forward.js';

export function referenceBackend(cell: CompiledCell): SequenceBackend {
  return {
    name: 'reference',
    float64: true,
    forwardDirection: (run) => referenceForward(cell.graph, cell.states, run),
    backwardDirection: (run, result, gradOutput, gradFinal) =>
      referenceBackward(cell, run, result.tape as ReferenceStep[], float64(gradOutput), gradFinal.map(float64)),
  };
}

/** The scheduler hands the reference float64 arrays; anything else is widened. */
const float64 = (a: Floats): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));
