// Flag parsing for the CLI on node:util's parseArgs, with one-line errors and per-command help.
import { parseArgs } from 'node:util';
import { CellforgeError } from '../ir/errors.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  /** Shown after the flag name in help, e.g. `FILE`. */
  readonly value?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Positional arguments by name, in order. */
  readonly positionals: readonly string[];
}

export interface Parsed {
  readonly flags: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
  readonly help: boolean;
}

export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, f] of Object.entries(spec.flags)) options[name] = { type: f.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CellforgeError(`cellforge ${spec.name}: ${flagProblem(err)}`, undefined, `see 'cellforge ${spec.name} --help'`);
  }
  // `--weights=` (or `--weights ""` from an unset shell variable) would otherwise read the file '' or be ignored.
  for (const [name, v] of Object.entries(parsed.values)) {
    if (v === '') throw new CellforgeError(`cellforge ${spec.name}: option '--${name}' needs a value, got an empty string`, undefined, `see 'cellforge ${spec.name} --help'`);
  }
  const help = parsed.values.help === true;
  if (!help) {
    if (parsed.positionals.length < spec.positionals.length) {
      throw new CellforgeError(`cellforge ${spec.name}: missing <${spec.positionals[parsed.positionals.length]}>`, undefined, `usage: ${spec.usage}`);
    }
    if (parsed.positionals.length > spec.positionals.length) {
      throw new CellforgeError(`cellforge ${spec.name}: unexpected argument '${parsed.positionals[spec.positionals.length]}'`, undefined, `usage: ${spec.usage}`);
    }
  }
  return { flags: parsed.values as Parsed['flags'], positionals: parsed.positionals, help };
}

/** parseArgs' messages are long and mention internals; keep the part a user needs. */
function flagProblem(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(msg);
  if (missing) return `option '${missing[1]}' needs a value`;
  // `--weights --input x.npy`: parseArgs won't take a dash-led word as the value and calls it ambiguous.
  const ambiguous = /Option '([^']+?)(?: <value>)?' argument is ambiguous/.exec(msg);
  if (ambiguous) return `option '${ambiguous[1]}' needs a value`;
  const noValue = /Option '([^']+)' does not take an argument/.exec(msg);
  if (noValue) return `option '${noValue[1]}' does not take a value`;
  return msg.split('\n')[0]!;
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => [`--${name}${f.value ? ` ${f.value}` : ''}`, f.help] as const);
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [`usage: ${spec.usage}`, '', spec.summary, '', 'options:', ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`), ''].join('\n');
}

export function stringFlag(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredFlag(p: Parsed, spec: CommandSpec, name: string): string {
  const v = stringFlag(p, name);
  if (v === undefined) throw new CellforgeError(`cellforge ${spec.name}: --${name} is required`, undefined, `usage: ${spec.usage}`);
  return v;
}

export function intFlag(p: Parsed, spec: CommandSpec, name: string): number | undefined {
  const v = stringFlag(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CellforgeError(`cellforge ${spec.name}: --${name} must be a positive integer, got '${v}'`);
  return Number(v);
}
