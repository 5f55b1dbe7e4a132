// The `cellforge` command line: dispatch to a command; user errors become one clear message, never a stack trace.
import { CellforgeError } from '../ir/errors.js';
import { compileCommand } from './commands/compile.js';
import { experimentCommand } from './commands/experiment.js';
import { exportCommand } from './commands/export.js';
import { gradcheckCommand } from './commands/gradcheck.js';
import { gradCommand, runCommand } from './commands/run.js';
import { trainCommand } from './commands/train.js';
import { processIO, type CliIO } from './io.js';

type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  compile: { run: compileCommand, summary: 'print what the compiler made of a cell (--emit ir|backward-ir|js|wasm|wgsl|c)' },
  run: { run: runCommand, summary: 'forward pass over .npy input with .safetensors weights' },
  grad: { run: gradCommand, summary: 'forward and backward pass: input and weight gradients' },
  gradcheck: { run: gradcheckCommand, summary: 'check the derived backward against finite differences' },
  train: { run: trainCommand, summary: 'train a sample task (intent, rowmnist, names, ...) or your own data (classify, tagging, charlm, sequences); writes a report' },
  experiment: { run: experimentCommand, summary: 'tasks × cells × seeds: results.json with mean ± std, report.html; resumable' },
  export: { run: exportCommand, summary: 'write a cell as a PyTorch module (--to pytorch) or an ONNX model with its weights (--to onnx)' },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: cellforge <command> [options]',
    '',
    'cellforge compiles recurrent cells written as TypeScript arithmetic into fused forward and backward kernels.',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "<cell> is a built-in name (lstm, gru, ...) or a path to a .cell.ts file. 'cellforge <command> --help' for its options.",
    '--verbose (any command): report slow one-off steps, such as compiling the native backend\'s C, with their times.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  // --verbose, anywhere: timings of slow one-off work on stderr (the native backend's C compile per cell and size).
  if (argv.includes('--verbose')) {
    process.env.CELLFORGE_VERBOSE = '1';
    argv = argv.filter((a) => a !== '--verbose');
  }
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  try {
    if (!command) throw new CellforgeError(`unknown command '${name}'`, undefined, `commands: ${Object.keys(commands).join(', ')}`);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CellforgeError) {
      // Flag errors already start with `cellforge <command>:`; don't print `cellforge: cellforge run: ...`.
      const text = err.format();
      io.err(`${/^cellforge [a-z]+: /.test(text) ? '' : 'cellforge: '}${text}\n`);
      return 1;
    }
    // Our bug, not the user's: still one readable line unless debugging was asked for.
    const message = err instanceof Error ? err.message : String(err);
    io.err(`cellforge: internal error: ${message}\n`);
    if (process.env.CELLFORGE_DEBUG && err instanceof Error) io.err(`${err.stack}\n`);
    else io.err('(set CELLFORGE_DEBUG=1 for a stack trace, and please report it)\n');
    return 70;
  }
}
