// Export to PyTorch: one self-contained .py (torch, math, json, struct) generated from the step IR with the op
// table's `pytorch` column. Plain eager code (no TorchScript), also fine under torch.compile.
import type { Node } from '../../ir/graph.js';
import { opDef } from '../../ir/ops.js';
import { printGraph } from '../../ir/print.js';
import type { CompiledCell } from '../compiled-cell.js';
import { safeLabel } from '../codegen/shared/names.js';
import { checkExportable, foldedConstants, nativeStep, splitStep } from './step.js';
import { pythonLibrary, pythonNativeRNN, pythonRNN } from './pytorch-template.js';

export interface PytorchExportOptions {
  /** cellforge's version, named in the header. */
  readonly version: string;
}

/** The whole .py file for `cell`. */
export function exportPytorch(cell: CompiledCell, options: PytorchExportOptions): string {
  checkExportable(cell, 'pytorch');
  const native = nativeStep(cell);
  const torchClass = torchModule(cell);
  return [
    header(cell, options.version, torchClass),
    'import json',
    'import math',
    'import struct',
    '',
    'import torch',
    '',
    `STATES = (${cell.states.map((s) => `${py(s)},`).join(' ')})`,
    '# name, dimensions as (multiple, size) with size X, H or 1, and the initial value (None: uniform in ±1/sqrt(H))',
    'PARAMS = (',
    ...cell.params.map((p) => `    (${py(p.name)}, (${p.shape.map((d) => `(${d.mult}, ${py(d.sym)}),`).join(' ')}), ${p.init.kind === 'constant' ? opDef('const').pytorch!([], constNode(p.init.value)) : 'None'}),`),
    ')',
    '',
    '',
    stepFunctions(cell),
    pythonLibrary,
    torchClass ? pythonNativeRNN(torchClass, native === 'rnn_relu' ? 'relu' : native === 'rnn_tanh' ? 'tanh' : undefined) : pythonRNN,
  ].join('\n');
}

/** The torch.nn class that the exported RNN wraps (LSTM, GRU, RNN), or undefined when it is generated code. */
export function torchModule(cell: CompiledCell): 'LSTM' | 'GRU' | 'RNN' | undefined {
  const native = nativeStep(cell);
  return native === 'lstm' ? 'LSTM' : native === 'gru' ? 'GRU' : native === 'rnn_tanh' || native === 'rnn_relu' ? 'RNN' : undefined;
}

/** The file's opening comment: cell, source, doc, version, and the step as `cellforge compile` prints it. */
function header(cell: CompiledCell, version: string, torchClass: string | undefined): string {
  const lines = [
    `cellforge ${version}: export of cell ${cell.name} (${cell.file}) to PyTorch`,
    ...(cell.doc ? [cell.doc] : []),
    '',
    `Cell(input_size, hidden_size): one step. RNN(...): the sequence model with cellforge's state-dict keys${torchClass ? `, over torch.nn.${torchClass}` : ''}.`,
    'load_safetensors(path): cellforge weights or checkpoints as a dict of tensors.',
    '',
    'The step, as cellforge prints it:',
    ...printGraph(cell.graph).split('\n'),
  ];
  return lines.map((l) => (l ? `# ${commentText(l)}` : '#')).join('\n') + '\n';
}

/** Text safe inside a Python comment: no line breaks or other control characters. */
function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const py = (s: string) => JSON.stringify(s);
const constNode = (value: number): Node => ({ id: -1, op: 'const', args: [], attrs: { value }, shape: [] });

/** `_project` (the hoisted input part, for any number of leading dims) and `_step` (one step). */
function stepFunctions(cell: CompiledCell): string {
  const split = splitStep(cell.graph);
  const graph = cell.graph;
  const folded = foldedConstants(graph);
  // Constants are written in place; the input is `x` in _project and, where the loop reads it, a carried value.
  const name = (id: number, inStep: boolean): string => {
    const n = graph.nodes[id]!;
    return folded.has(id) ? opDef('const').pytorch!([], constNode(folded.get(id)!)) : n.op === 'input' && !inStep ? 'x' : `v${id}`;
  };
  const body = (nodes: readonly Node[], inStep: boolean) =>
    nodes
      .filter((n) => !folded.has(n.id) && n.op !== 'input')
      .map((n) => {
        const label = safeLabel(n.label);
        return `    v${n.id} = ${opDef(n.op).pytorch!(n.args.map((a) => name(a, inStep)), n)}${label ? `  # ${label}` : ''}`;
      });
  const tuple = (ids: readonly number[], inStep: boolean) => (ids.length === 0 ? '()' : `(${ids.map((id) => name(id, inStep)).join(', ')},)`);
  const carried = split.carried.map((n) => n.id);
  return [
    'def _project(p, x, X, H):',
    '    """The part of the step that reads the input and no state: x is [..., X], one call for all steps."""',
    ...body(split.hoisted, false),
    `    return ${tuple(carried, false)}`,
    '',
    '',
    'def _step(p, xs, states, X, H):',
    '    """One step: xs from _project (this step\'s rows), states a tuple in STATES order; returns the new states."""',
    ...(carried.length ? [`    ${carried.map((id) => `v${id}`).join(', ')}, = xs`] : []),
    '    s = dict(zip(STATES, states))',
    ...body(split.step, true),
    `    return ${tuple(graph.outputs.map((o) => o.id), true)}`,
    '',
  ].join('\n');
}
