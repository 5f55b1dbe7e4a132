// `cellforge run` and `cellforge grad`: a forward (and backward) pass over files, written to --out.
import { compileCell } from '../../compiler/compile.js';
import { CellforgeError, fileError } from '../../ir/errors.js';
import { backendNames, type BackendName } from '../../runtime/backends.js';
import { readNpy } from '../../runtime/io/npy.js';
import { encodeSafetensors } from '../../runtime/io/safetensors.js';
import { RNN } from '../../runtime/rnn.js';
import { showTensorShape } from '../../runtime/tensor.js';
import { helpText, intFlag, parseCommand, requiredFlag, stringFlag, type CommandSpec, type FlagSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { floatTensor, readModelFiles } from '../model-files.js';
import { npyFile, writeOutputs, type OutputFile } from '../outputs.js';

const modelFlags: Record<string, FlagSpec> = {
  weights: { type: 'string', value: 'W.safetensors', help: 'weights with PyTorch names (weight_ih_l0, bias_hh_l1_reverse, ...)' },
  input: { type: 'string', value: 'X.npy', help: 'input sequence [T, B, X], float32 or float64' },
  h0: { type: 'string', value: 'F.npy', help: 'initial hidden state [L*D, B, H] (default zeros)' },
  c0: { type: 'string', value: 'F.npy', help: 'initial cell state [L*D, B, H] for cells with one (default zeros)' },
  lengths: { type: 'string', value: 'F.npy', help: 'valid length of each example [B], int32 or int64 (default T)' },
  'num-layers': { type: 'string', value: 'N', help: 'stacked layers (default: as many as the weights hold)' },
  bidirectional: { type: 'boolean', help: 'run both directions (default: if the weights have _reverse entries)' },
  backend: { type: 'string', value: 'NAME', help: `${backendNames.join('|')} (default auto)` },
  threads: { type: 'string', value: 'N', help: 'backend wasm: worker threads for the large matrix products (default: one per core)' },
  out: { type: 'string', value: 'DIR', help: 'directory for the output files (created if needed)' },
};

export const runSpec: CommandSpec = {
  name: 'run',
  summary: 'Run a cell forward over a sequence; writes DIR/output.npy, DIR/h_n.npy and, for cells with a cell state, DIR/c_n.npy.',
  usage: 'cellforge run <cell> --weights W.safetensors --input X.npy [--h0 F] [--c0 F] [--lengths F] [--num-layers N] [--bidirectional] [--backend NAME] [--threads N] --out DIR',
  positionals: ['cell'],
  flags: modelFlags,
};

export const gradSpec: CommandSpec = {
  name: 'grad',
  summary:
    'Forward and backward through time; writes DIR/output.npy, DIR/d_input.npy, DIR/grads.safetensors (the weights\' names) and DIR/d_h0.npy (DIR/d_c0.npy) when initial states are given.',
  usage: 'cellforge grad <cell> --weights W.safetensors --input X.npy --grad-output dY.npy [...the flags of run] --out DIR',
  positionals: ['cell'],
  flags: { ...modelFlags, 'grad-output': { type: 'string', value: 'dY.npy', help: 'gradient of the loss with respect to the output, shaped like the output' } },
};

/** `required`: further flags the command needs, checked before any work so a forgotten one fails fast. */
async function prepare(spec: CommandSpec, argv: readonly string[], io: CliIO, required: readonly string[] = []) {
  const p = parseCommand(spec, argv);
  if (p.help) {
    io.out(helpText(spec));
    return undefined;
  }
  const out = requiredFlag(p, spec, 'out');
  for (const name of required) requiredFlag(p, spec, name);
  const backend = (stringFlag(p, 'backend') ?? 'auto') as BackendName;
  if (!backendNames.includes(backend)) throw new CellforgeError(`cellforge ${spec.name}: unknown --backend '${backend}'`, undefined, `choose one of: ${backendNames.join(', ')}`);
  const cell = compileCell(p.positionals[0]!);
  const weightsPath = requiredFlag(p, spec, 'weights');
  const inputPath = requiredFlag(p, spec, 'input');
  const numLayers = intFlag(p, spec, 'num-layers');
  const threads = intFlag(p, spec, 'threads');
  const files = readModelFiles(cell, {
    weights: weightsPath,
    input: inputPath,
    ...optional('h0', stringFlag(p, 'h0')),
    ...optional('c0', stringFlag(p, 'c0')),
    ...optional('lengths', stringFlag(p, 'lengths')),
    ...optional('numLayers', numLayers),
    ...(p.flags.bidirectional === true ? { bidirectional: true } : {}),
  });
  const inputSize = files.input.shape[2]!;
  const rnn = new RNN(cell, { inputSize, hiddenSize: files.hiddenSize, numLayers: files.numLayers, bidirectional: files.bidirectional, backend, ...optional('threads', threads) });
  rnn.loadStateDict(files.weights, weightsPath);
  const result = await rnn.forward(files.input, {
    ...optional('h0', files.h0),
    ...optional('c0', files.c0),
    ...optional('lengths', files.lengths),
  });
  return { p, out, cell, files, rnn, result };
}

function optional<K extends string, V>(key: K, v: V | undefined): { [k in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [k in K]?: V };
}

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const r = await prepare(runSpec, argv, io);
  if (!r) return 0;
  const dtype = r.files.inputDtype;
  const outputs: OutputFile[] = [npyFile('output.npy', r.result.output, dtype), npyFile('h_n.npy', r.result.hN, dtype)];
  if (r.result.cN) outputs.push(npyFile('c_n.npy', r.result.cN, dtype));
  writeOutputs(r.out, outputs);
  io.err(`cellforge run: ${r.cell.name} on ${r.rnn.backend.name}, output ${showTensorShape(r.result.output.shape)} -> ${r.out}\n`);
  return 0;
}

export async function gradCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const r = await prepare(gradSpec, argv, io, ['grad-output']);
  if (!r) return 0;
  const gradPath = requiredFlag(r.p, gradSpec, 'grad-output');
  const gradOutput = floatTensor(readNpy(gradPath), gradPath, 'grad-output');
  const want = r.result.output.shape;
  if (gradOutput.shape.length !== want.length || gradOutput.shape.some((n, i) => n !== want[i])) {
    throw fileError(gradPath, `grad-output has shape ${showTensorShape(gradOutput.shape)}, expected the output's shape ${showTensorShape(want)}`);
  }
  const g = await r.rnn.backward(gradOutput);
  const dtype = r.files.inputDtype;
  const grads: Record<string, { dtype: 'float32' | 'float64'; shape: number[]; data: Float32Array | Float64Array }> = {};
  for (const [name, t] of Object.entries(g.grads)) grads[name] = { dtype, shape: [...t.shape], data: dtype === 'float32' ? Float32Array.from(t.data) : Float64Array.from(t.data) };
  const outputs: OutputFile[] = [npyFile('output.npy', r.result.output, dtype), npyFile('d_input.npy', g.dInput, dtype), { name: 'grads.safetensors', bytes: encodeSafetensors(grads) }];
  if (r.files.h0) outputs.push(npyFile('d_h0.npy', g.dH0, dtype));
  if (r.files.c0 && g.dC0) outputs.push(npyFile('d_c0.npy', g.dC0, dtype));
  writeOutputs(r.out, outputs);
  io.err(`cellforge grad: ${r.cell.name} on ${r.rnn.backend.name}, ${Object.keys(grads).length} weight gradients -> ${r.out}\n`);
  return 0;
}
