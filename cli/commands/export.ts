// `cellforge export <cell> --to pytorch|onnx --out FILE`: the cell as a PyTorch module or an ONNX model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCell } from '../../compiler/compile.js';
import { exportOnnx, exportPytorch, exportTargets, onnxLowering, torchModule, type ExportTarget } from '../../compiler/export/index.js';
import { packageRoot } from '../../compiler/paths.js';
import { CellforgeError } from '../../ir/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic.js';
import { helpText, intFlag, parseCommand, requiredFlag, stringFlag, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { readWeights } from '../model-files.js';

export const exportSpec: CommandSpec = {
  name: 'export',
  summary: [
    'Write a cell for other engines, generated from its step IR, with the same numbers as cellforge.',
    '',
    '--to pytorch: one self-contained .py (imports torch, math, json, struct; eager, works under torch.compile):',
    '  Cell(input_size, hidden_size): forward(x [B, X], states) -> new states, a tuple in the cell\'s state order;',
    '  RNN(input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False, dropout=0.0):',
    '  forward(input, hx=None, lengths=None) -> (output, h_n) as torch.nn.LSTM, with cellforge\'s state-dict keys',
    '  (weight_ih_l0, bias_hh_l1_reverse, ...) and lengths semantics; load_safetensors(path) reads cellforge\'s',
    '  weights and checkpoints, RNN.from_state_dict(them) builds the RNN they describe. Built-in LSTM, GRU and',
    '  tanh/relu RNN cells wrap torch.nn.LSTM/GRU/RNN.',
    '',
    '--to onnx: a model with the weights inside (opset 17). Inputs: input [T, B, X], one initial state per cell',
    '  state <state>0 [L*D, B, H] (h0, c0), and with --lengths, lengths [B] int64. Outputs: output [T, B, D*H] and',
    '  <state>_n [L*D, B, H]. Built-in LSTM/GRU/RNN cells use ONNX\'s own operators; other cells a Scan over the step.',
  ].join('\n'),
  usage: 'cellforge export <cell> --to pytorch|onnx [--weights W.safetensors] [--num-layers N] [--bidirectional] [--lengths] --out FILE',
  positionals: ['cell'],
  flags: {
    to: { type: 'string', value: 'FORMAT', help: 'pytorch (a .py module) or onnx (a .onnx model)' },
    out: { type: 'string', value: 'FILE', help: 'the file to write (replaced whole, never left half-written)' },
    weights: { type: 'string', value: 'W.safetensors', help: 'onnx: the weights to put inside (cellforge weights or a checkpoint)' },
    'num-layers': { type: 'string', value: 'N', help: 'onnx: stacked layers (default: as many as the weights hold)' },
    bidirectional: { type: 'boolean', help: 'onnx: both directions (default: if the weights have _reverse entries)' },
    lengths: { type: 'boolean', help: 'onnx: add the input lengths [B] (int64), with cellforge\'s semantics' },
  },
};

/** Flags that only an ONNX export reads: given with --to pytorch they would be silently ignored. */
const onnxOnly = ['weights', 'num-layers', 'bidirectional', 'lengths'];

export async function exportCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(exportSpec, argv);
  if (p.help) return io.out(helpText(exportSpec)), 0;
  const to = requiredFlag(p, exportSpec, 'to');
  if (!exportTargets.includes(to as ExportTarget)) throw new CellforgeError(`cellforge export: unknown --to '${to}'`, undefined, `choose one of: ${exportTargets.join(', ')}`);
  const out = requiredFlag(p, exportSpec, 'out');
  if (to === 'pytorch') {
    const stray = onnxOnly.find((f) => p.flags[f] !== undefined);
    if (stray) throw new CellforgeError(`cellforge export: --${stray} is for --to onnx`, undefined, 'the PyTorch module takes its sizes as arguments and loads weights with load_safetensors(path)');
  }
  const weightsPath = to === 'onnx' ? requiredFlag(p, exportSpec, 'weights') : undefined;
  const numLayers = intFlag(p, exportSpec, 'num-layers');
  const cell = compileCell(p.positionals[0]!);
  const version = cellforgeVersion();
  let bytes: Uint8Array | string;
  if (to === 'pytorch') {
    bytes = exportPytorch(cell, { version });
  } else {
    bytes = exportOnnx(cell, readWeights(weightsPath!), {
      version,
      source: weightsPath!,
      ...(numLayers !== undefined ? { numLayers } : {}),
      ...(p.flags.bidirectional === true ? { bidirectional: true } : {}),
      lengths: p.flags.lengths === true,
    });
  }
  writeFileAtomic(out, bytes);
  const torchClass = torchModule(cell);
  const how = to === 'onnx' ? `ONNX model, ${onnxLowering(cell)}` : `PyTorch module, RNN ${torchClass ? `over torch.nn.${torchClass}` : 'generated from the step'}`;
  io.err(`cellforge export: ${cell.name} -> ${out} (${how})\n`);
  return 0;
}

function cellforgeVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
