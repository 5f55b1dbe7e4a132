// `cellforge gradcheck <cell>`: the derived backward against float64 finite differences.
import { compileCell } from '../../compiler/compile.js';
import { CellforgeError } from '../../ir/errors.js';
import { defaultGradcheckConfigs, gradcheck } from '../../runtime/gradcheck.js';
import { helpText, intFlag, parseCommand, stringFlag, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';

export const gradcheckSpec: CommandSpec = {
  name: 'gradcheck',
  summary:
    'Compare the derived backward pass with float64 central finite differences on small random sizes (1 layer; 2 layers, bidirectional, with lengths and initial states). Prints the worst relative error per parameter; exits 1 above the tolerance.',
  usage: 'cellforge gradcheck <cell> [--seed N] [--tolerance E]',
  positionals: ['cell'],
  flags: {
    seed: { type: 'string', value: 'N', help: 'random seed for sizes, weights and inputs (default 1)' },
    tolerance: { type: 'string', value: 'E', help: 'largest accepted relative error (default 1e-6)' },
  },
};

export async function gradcheckCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(gradcheckSpec, argv);
  if (p.help) return io.out(helpText(gradcheckSpec)), 0;
  const seed = intFlag(p, gradcheckSpec, 'seed') ?? 1;
  const tolText = stringFlag(p, 'tolerance') ?? '1e-6';
  const tolerance = Number(tolText);
  if (!(tolerance > 0)) throw new CellforgeError(`cellforge gradcheck: --tolerance must be a positive number, got '${tolText}'`);
  const cell = compileCell(p.positionals[0]!);
  let worst = 0;
  for (const cfg of defaultGradcheckConfigs) {
    io.out(`${cell.name}: ${cfg.label} (T=${cfg.steps} B=${cfg.batch} X=${cfg.inputSize} H=${cfg.hiddenSize})\n`);
    const rows = await gradcheck(cell, { ...cfg, seed });
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      worst = Math.max(worst, r.error);
      io.out(`  ${r.name.padEnd(width)}  rel. error ${r.error.toExponential(2)}  (max |grad| ${r.maxGrad.toExponential(2)})${r.error > tolerance ? '  FAIL' : ''}\n`);
    }
  }
  const ok = worst <= tolerance;
  io.out(`worst relative error ${worst.toExponential(2)}: ${ok ? 'ok' : 'FAILED'} (tolerance ${tolerance})\n`);
  return ok ? 0 : 1;
}
