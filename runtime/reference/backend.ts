// The `reference` backend: float64 interpretation of the step IR. The oracle every other backend is tested against.
import type { CompiledCell } from '../../compiler/compile.js';
import type { SequenceBackend } from '../backend.js';
import { referenceBackward } from './backward.js';
import { referenceForward, type ReferenceStep } from './forward.js';

export function referenceBackend(cell: CompiledCell): SequenceBackend {
  return {
    name: 'reference',
    forwardDirection: (run) => referenceForward(cell.graph, cell.states, run),
    backwardDirection: (run, result, gradOutput, gradFinal) =>
      referenceBackward(cell, run, result.tape as ReferenceStep[], gradOutput, gradFinal),
  };
}
