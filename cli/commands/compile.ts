// `cellforge compile <cell> [--emit ...]`: print what the compiler made of a cell.
import { CellforgeError } from '../../ir/errors.js';
import { compileCell, emitKinds, type EmitKind } from '../../compiler/compile.js';
import { helpText, intFlag, parseCommand, stringFlag, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';

export const compileSpec: CommandSpec = {
  name: 'compile',
  summary: 'Compile a cell and print its IR, backward IR or generated code. <cell> is a built-in name or a .cell.ts path.',
  usage: 'cellforge compile <cell> [--emit ir|backward-ir|js|wasm|wgsl|c] [--input-size X] [--hidden-size H]',
  positionals: ['cell'],
  flags: {
    emit: { type: 'string', value: 'KIND', help: 'what to print: ir (default), backward-ir, js, wasm, wgsl' },
    'input-size': { type: 'string', value: 'X', help: 'input size generated code is specialised to (default 16)' },
    'hidden-size': { type: 'string', value: 'H', help: 'hidden size generated code is specialised to (default 16)' },
  },
};

export async function compileCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(compileSpec, argv);
  if (p.help) return io.out(helpText(compileSpec)), 0;
  const emit = stringFlag(p, 'emit') ?? 'ir';
  if (!emitKinds.includes(emit as EmitKind)) throw new CellforgeError(`cellforge compile: unknown --emit '${emit}'`, undefined, `choose one of: ${emitKinds.join(', ')}`);
  const cell = compileCell(p.positionals[0]!);
  const inputSize = intFlag(p, compileSpec, 'input-size');
  const hiddenSize = intFlag(p, compileSpec, 'hidden-size');
  io.out(cell.emit(emit as EmitKind, { ...(inputSize ? { inputSize } : {}), ...(hiddenSize ? { hiddenSize } : {}) }));
  return 0;
}
