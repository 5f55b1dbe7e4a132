// Bad input through the CLI, in-process: every case fails with exit code 1 and one clear message on stderr that
// names the offending file or flag; no stack trace; and nothing is written to --out (DESIGN.md, CLI: "never a
// stack trace, never a partial output file"). Each case runs in a fresh temporary directory.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { encodeNpy, type Dtype, type NpyArray } from '../../../runtime/io/npy.js';
import { encodeSafetensors, readSafetensors } from '../../../runtime/io/safetensors.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/data/', import.meta.url));
const LSTM_W = join(SAMPLES, 'lstm.safetensors');
const GRU_W = join(SAMPLES, 'gru.safetensors');
const INPUT = join(SAMPLES, 'input.npy');
const H0 = join(SAMPLES, 'h0.npy');
const C0 = join(SAMPLES, 'c0.npy');
const LENGTHS = join(SAMPLES, 'lengths.npy');
const GRAD_OUT = join(SAMPLES, 'grad_output.npy');
// The sample sizes (samples/data/README.md).
const [T, B, X, H] = [12, 4, 8, 16];

/** Known bytes already in --out before a case runs; they must survive a failed run unchanged. */
const SENTINEL = encodeNpy({ dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) });

const lstmWeights = (): Record<string, NpyArray> => Object.fromEntries(readSafetensors(LSTM_W).tensors);

/** Writers for a case's own files, all inside its temporary directory; each returns the file's path. */
class Files {
  readonly out: string;
  constructor(readonly dir: string) {
    this.out = join(dir, 'out');
  }
  path(name: string): string {
    return join(this.dir, name);
  }
  bytes(name: string, bytes: Uint8Array | string): string {
    writeFileSync(this.path(name), bytes);
    return this.path(name);
  }
  npy(name: string, dtype: Dtype, shape: number[], values?: readonly number[]): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = values ?? Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 10);
    const data =
      dtype === 'float32' ? Float32Array.from(v)
      : dtype === 'float64' ? Float64Array.from(v)
      : dtype === 'int32' ? Int32Array.from(v)
      : BigInt64Array.from(v, (x) => BigInt(Math.trunc(x)));
    return this.bytes(name, encodeNpy({ dtype, shape, data }));
  }
  weights(name: string, tensors: Record<string, NpyArray>): string {
    return this.bytes(name, encodeSafetensors(tensors));
  }
  /** A cell file; `body` is the step function's body, which starts on line 4. */
  cell(body: string, states = "['h']", params = '(x, { h })'): string {
    const source = [
      "import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';",
      '',
      `export default cell({ state: ${states} }, ${params} => {`,
      body,
      '});',
      '',
    ].join('\n');
    return this.bytes('bad.cell.ts', source);
  }
}

const f32 = (shape: number[]): NpyArray => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

/**
 * Command-line flags of `run`/`grad` as a record: defaults are the valid sample files; `undefined` drops a flag.
 * The reference backend: the errors must not depend on the backend, and it is the one always present.
 */
type Flags = Record<string, string | true | undefined>;

function argv(command: string, cell: string, f: Files, flags: Flags = {}): string[] {
  const all: Flags = { weights: LSTM_W, input: INPUT, out: f.out, backend: 'reference', ...(command === 'grad' ? { 'grad-output': GRAD_OUT } : {}), ...flags };
  const out = [command, cell];
  for (const [name, v] of Object.entries(all)) {
    if (v === undefined) continue;
    out.push(`--${name}`);
    if (v !== true) out.push(v);
  }
  return out;
}

interface BadCase {
  readonly name: string;
  /** Writes the case's files and returns the command line. */
  readonly argv: (f: Files) => string[];
  /** The exact key phrase of the message. */
  readonly phrase: string;
  /** What the message must name: the offending file's path or the flag. */
  readonly names: (f: Files) => string;
  /** A cell source error: `file:line:col: message`, the source line, and a caret line under the culprit. */
  readonly at?: string;
  /** Put an output.npy into --out first; it must come out unchanged, and nothing must join it. */
  readonly sentinel?: boolean;
}

const cases: readonly BadCase[] = [
  // ---- the cell source (the frontend's messages, through the CLI) ----
  {
    name: 'cell syntax error',
    argv: (f) => ['compile', f.cell('  const a = x +;\n  return { h: a };')],
    phrase: 'syntax error: Expression expected',
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:16',
  },
  {
    name: 'cell calls an unknown function',
    argv: (f) => argv('run', f.cell("  return { h: tahn(linear('hh', h)) };"), f),
    phrase: "unknown function 'tahn'",
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:15',
    sentinel: true,
  },
  {
    name: 'cell with a for loop',
    argv: (f) => ['compile', f.cell('  for (const i of [1, 2]) {}\n  return { h };')],
    phrase: 'loops are not supported in cell bodies',
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:3',
  },
  {
    name: 'cell with a data-dependent if',
    argv: (f) => ['compile', f.cell('  if (h) {}\n  return { h };')],
    phrase: '`if` is not supported in cell bodies (no data-dependent control flow)',
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:3',
  },
  {
    name: 'cell with a data-dependent ?:',
    argv: (f) => argv('run', f.cell("  return { h: h ? h : tanh(linear('hh', h)) };"), f),
    phrase: '`?:` is not supported in cell bodies (no data-dependent control flow)',
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:15',
    sentinel: true,
  },
  {
    name: 'cell uses an undefined name',
    argv: (f) => ['compile', f.cell('  return { h: tanh(hh) };')],
    phrase: "'hh' is not defined",
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:20',
  },
  {
    name: 'cell does not return a declared state',
    argv: (f) => ['compile', f.cell("  return { h: tanh(linear('hh', h)) };", "['h', 'c']", '(x, { h, c })')],
    phrase: "state 'c' is not returned",
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:10',
  },
  {
    name: 'cell destructures the wrong number of chunks',
    argv: (f) => argv('grad', f.cell("  const [a, b, c, d] = linear('ih', x, 3);\n  return { h: a };"), f),
    phrase: 'the destructuring lists 4 chunks, but the vector has 3',
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:9',
    sentinel: true,
  },
  {
    name: 'cell adds vectors of different sizes (x + h)',
    argv: (f) => ['compile', f.cell('  return { h: tanh(x + h) };')],
    phrase: 'shape mismatch: operands have different shapes: f32[X] and f32[H]',
    names: (f) => f.path('bad.cell.ts'),
    at: ':4:20',
  },

  // ---- which cell ----
  {
    name: 'missing cell file',
    argv: (f) => argv('run', f.path('nope.cell.ts'), f),
    phrase: 'no such cell file or built-in cell',
    names: (f) => f.path('nope.cell.ts'),
    sentinel: true,
  },
  {
    name: 'unknown built-in cell name',
    argv: (f) => ['compile', 'lstmm'],
    phrase: 'lstmm: no such cell file or built-in cell',
    names: () => 'lstmm',
  },

  // ---- the command line ----
  {
    name: 'unknown command',
    argv: () => ['frobnicate', 'lstm'],
    phrase: "unknown command 'frobnicate'",
    names: () => 'frobnicate',
  },
  {
    name: 'unknown flag',
    argv: (f) => argv('run', 'lstm', f, { weigths: LSTM_W }),
    phrase: "unknown option '--weigths'",
    names: () => '--weigths',
    sentinel: true,
  },
  {
    name: 'missing --out',
    argv: (f) => argv('run', 'lstm', f, { out: undefined }),
    phrase: '--out is required',
    names: () => '--out',
  },
  {
    name: 'missing --weights',
    argv: (f) => argv('run', 'lstm', f, { weights: undefined }),
    phrase: '--weights is required',
    names: () => '--weights',
    sentinel: true,
  },
  {
    name: 'missing --input',
    argv: (f) => argv('grad', 'lstm', f, { input: undefined }),
    phrase: '--input is required',
    names: () => '--input',
    sentinel: true,
  },
  {
    name: 'missing --grad-output',
    argv: (f) => argv('grad', 'lstm', f, { 'grad-output': undefined }),
    phrase: '--grad-output is required',
    names: () => '--grad-output',
    sentinel: true,
  },
  {
    name: 'missing <cell>',
    argv: () => ['compile'],
    phrase: 'missing <cell>',
    names: () => 'cellforge compile',
  },
  {
    name: 'flag missing its value at the end',
    argv: (f) => [...argv('run', 'lstm', f), '--lengths'],
    phrase: "option '--lengths' needs a value",
    names: () => '--lengths',
    sentinel: true,
  },
  {
    name: 'flag missing its value before another flag',
    argv: (f) => ['run', 'lstm', '--weights', '--input', INPUT, '--out', f.out],
    phrase: "option '--weights' needs a value",
    names: () => '--weights',
    sentinel: true,
  },
  {
    name: 'flag with an empty value',
    argv: (f) => [...argv('run', 'lstm', f, { weights: undefined }), '--weights='],
    phrase: "option '--weights' needs a value, got an empty string",
    names: () => '--weights',
    sentinel: true,
  },
  {
    name: 'unknown --emit kind',
    argv: () => ['compile', 'lstm', '--emit', 'asm'],
    phrase: "unknown --emit 'asm'",
    names: () => '--emit',
  },
  {
    name: 'unknown backend',
    argv: (f) => argv('run', 'lstm', f, { backend: 'cuda' }),
    phrase: "unknown --backend 'cuda'",
    names: () => '--backend',
    sentinel: true,
  },
  {
    name: '--num-layers 0',
    argv: (f) => argv('run', 'lstm', f, { 'num-layers': '0' }),
    phrase: "--num-layers must be a positive integer, got '0'",
    names: () => '--num-layers',
    sentinel: true,
  },
  {
    name: '--num-layers abc',
    argv: (f) => argv('run', 'lstm', f, { 'num-layers': 'abc' }),
    phrase: "--num-layers must be a positive integer, got 'abc'",
    names: () => '--num-layers',
    sentinel: true,
  },
  {
    name: '--num-layers 2 with a 1-layer weights file',
    argv: (f) => argv('run', 'lstm', f, { 'num-layers': '2' }),
    phrase: "missing weights 'weight_ih_l1', 'bias_ih_l1', 'weight_hh_l1', 'bias_hh_l1'",
    names: () => LSTM_W,
    sentinel: true,
  },
  {
    name: '--bidirectional with one-direction weights',
    argv: (f) => argv('grad', 'lstm', f, { bidirectional: true }),
    phrase: "missing weights 'weight_ih_l0_reverse'",
    names: () => LSTM_W,
  },

  // ---- the input ----
  {
    name: 'missing input file',
    argv: (f) => argv('run', 'lstm', f, { input: f.path('nope.npy') }),
    phrase: 'no such file',
    names: (f) => f.path('nope.npy'),
    sentinel: true,
  },
  {
    name: 'input is a directory',
    argv: (f) => (mkdirSync(f.path('dir.npy')), argv('run', 'lstm', f, { input: f.path('dir.npy') })),
    phrase: 'cannot read: is a directory',
    names: (f) => f.path('dir.npy'),
  },
  {
    name: 'int32 input',
    argv: (f) => argv('run', 'lstm', f, { input: f.npy('x.npy', 'int32', [T, B, X]) }),
    phrase: 'input must be float32 or float64, got int32',
    names: (f) => f.path('x.npy'),
    sentinel: true,
  },
  {
    name: 'input of rank 2',
    argv: (f) => argv('run', 'lstm', f, { input: f.npy('x.npy', 'float32', [T, X]) }),
    phrase: 'input must have rank 3 [T, B, X], got shape [12, 8]',
    names: (f) => f.path('x.npy'),
    sentinel: true,
  },
  {
    name: 'input with an empty dimension',
    argv: (f) => argv('run', 'lstm', f, { input: f.npy('x.npy', 'float32', [0, B, X]) }),
    phrase: 'input has shape [0, 4, 8] with an empty dimension',
    names: (f) => f.path('x.npy'),
  },
  {
    name: 'truncated npy',
    argv: (f) => argv('run', 'lstm', f, { input: f.bytes('x.npy', readFileSync(INPUT).subarray(0, 300)) }),
    phrase: 'truncated: header says 384 values of float32 (1536 bytes), file has 172 bytes of data',
    names: (f) => f.path('x.npy'),
    sentinel: true,
  },
  {
    name: 'a safetensors file as the input',
    argv: (f) => argv('run', 'lstm', f, { input: LSTM_W }),
    phrase: 'not a .npy file (bad magic)',
    names: () => LSTM_W,
  },
  {
    name: 'input size disagrees with the weights',
    argv: (f) => argv('run', 'lstm', f, { input: f.npy('x.npy', 'float32', [T, B, 5]) }),
    phrase: 'input has 5 features per step (shape [12, 4, 5]), but the weights in',
    names: (f) => f.path('x.npy'),
    sentinel: true,
  },

  // ---- the weights ----
  {
    name: 'missing weights file',
    argv: (f) => argv('run', 'lstm', f, { weights: f.path('nope.safetensors') }),
    phrase: 'no such file',
    names: (f) => f.path('nope.safetensors'),
  },
  {
    name: 'truncated safetensors (in the data)',
    argv: (f) => argv('run', 'lstm', f, { weights: f.bytes('w.safetensors', readFileSync(LSTM_W).subarray(0, 3000)) }),
    phrase: 'extend past the end of the data',
    names: (f) => f.path('w.safetensors'),
    sentinel: true,
  },
  {
    name: 'truncated safetensors (in the header)',
    argv: (f) => argv('grad', 'lstm', f, { weights: f.bytes('w.safetensors', readFileSync(LSTM_W).subarray(0, 100)) }),
    phrase: 'truncated: header length is',
    names: (f) => f.path('w.safetensors'),
    sentinel: true,
  },
  {
    name: 'not a safetensors file (text)',
    argv: (f) => argv('run', 'lstm', f, { weights: f.bytes('w.safetensors', 'these are not the weights you are looking for\n') }),
    phrase: 'not a .safetensors file',
    names: (f) => f.path('w.safetensors'),
    sentinel: true,
  },
  {
    name: 'not a safetensors file (an npy)',
    argv: (f) => argv('run', 'lstm', f, { weights: INPUT }),
    phrase: 'not a .safetensors file',
    names: () => INPUT,
  },
  {
    name: 'missing weight',
    argv: (f) => {
      const { bias_hh_l0: _, ...rest } = lstmWeights();
      return argv('run', 'lstm', f, { weights: f.weights('w.safetensors', rest) });
    },
    phrase: "missing weight 'bias_hh_l0'",
    names: (f) => f.path('w.safetensors'),
    sentinel: true,
  },
  {
    name: 'extra weight',
    argv: (f) => argv('run', 'lstm', f, { weights: f.weights('w.safetensors', { ...lstmWeights(), weight_peephole_l0: f32([H]) }) }),
    phrase: "unexpected weight 'weight_peephole_l0'",
    names: (f) => f.path('w.safetensors'),
    sentinel: true,
  },
  {
    name: 'wrong weight shape',
    argv: (f) => argv('run', 'lstm', f, { weights: f.weights('w.safetensors', { ...lstmWeights(), bias_hh_l0: f32([60]) }) }),
    phrase: "the weights disagree on the hidden size H: 'weight_ih_l0' [64, 8] says H = 16 (dimension 0 is 4H), 'bias_hh_l0' [60] says H = 15",
    names: (f) => f.path('w.safetensors'),
    sentinel: true,
  },
  {
    name: 'wrong weight rank',
    argv: (f) => argv('run', 'lstm', f, { weights: f.weights('w.safetensors', { ...lstmWeights(), bias_ih_l0: f32([64, 1]) }) }),
    phrase: "weight 'bias_ih_l0' has shape [64, 1], expected rank 1",
    names: (f) => f.path('w.safetensors'),
  },
  {
    name: 'integer weight',
    argv: (f) => argv('run', 'lstm', f, { weights: f.weights('w.safetensors', { ...lstmWeights(), bias_ih_l0: { dtype: 'int32', shape: [64], data: new Int32Array(64) } }) }),
    phrase: "weight 'bias_ih_l0' must be float32 or float64, got int32",
    names: (f) => f.path('w.safetensors'),
  },
  {
    name: 'weights of another cell (GRU weights for an LSTM)',
    argv: (f) => argv('run', 'lstm', f, { weights: GRU_W }),
    phrase: "the weights disagree on the hidden size H: 'weight_ih_l0' [48, 8] says H = 12 (dimension 0 is 4H), 'weight_hh_l0' [48, 16] says H = 16",
    names: () => GRU_W,
    sentinel: true,
  },

  // ---- lengths ----
  {
    name: 'float lengths',
    argv: (f) => argv('run', 'lstm', f, { lengths: f.npy('len.npy', 'float32', [B], [12, 9, 5, 1]) }),
    phrase: 'lengths must be int32 or int64, got float32',
    names: (f) => f.path('len.npy'),
    sentinel: true,
  },
  {
    name: 'lengths of rank 2',
    argv: (f) => argv('run', 'lstm', f, { lengths: f.npy('len.npy', 'int64', [B, 1], [12, 9, 5, 1]) }),
    phrase: 'lengths must be a vector [B], got shape [4, 1]',
    names: (f) => f.path('len.npy'),
  },
  {
    name: 'lengths > T',
    argv: (f) => argv('run', 'lstm', f, { lengths: f.npy('len.npy', 'int64', [B], [12, 13, 5, 1]) }),
    phrase: 'lengths[1] = 13 is outside 1..12',
    names: (f) => f.path('len.npy'),
    sentinel: true,
  },
  {
    name: 'lengths < 1',
    argv: (f) => argv('grad', 'lstm', f, { lengths: f.npy('len.npy', 'int32', [B], [12, 9, 0, 1]) }),
    phrase: 'lengths[2] = 0 is outside 1..12',
    names: (f) => f.path('len.npy'),
    sentinel: true,
  },
  {
    name: 'int64 length beyond int32 (would wrap around to 5)',
    argv: (f) => {
      const data = BigInt64Array.from([12n, 2n ** 32n + 5n, 5n, 1n]);
      return argv('run', 'lstm', f, { lengths: f.bytes('len.npy', encodeNpy({ dtype: 'int64', shape: [B], data })) });
    },
    phrase: 'lengths[1] = 4294967301 is not a valid sequence length',
    names: (f) => f.path('len.npy'),
  },
  {
    name: 'lengths of the wrong count',
    argv: (f) => argv('run', 'lstm', f, { lengths: f.npy('len.npy', 'int64', [3], [12, 9, 5]) }),
    phrase: 'lengths has 3 entries, expected one per example (B = 4',
    names: (f) => f.path('len.npy'),
    sentinel: true,
  },

  // ---- initial states ----
  {
    name: 'h0 of the wrong shape',
    argv: (f) => argv('run', 'lstm', f, { h0: f.npy('h0.npy', 'float32', [2, B, H]) }),
    phrase: 'h0 has shape [2, 4, 16], expected [layers*directions, B, H] = [1, 4, 16]',
    names: (f) => f.path('h0.npy'),
    sentinel: true,
  },
  {
    name: 'c0 of the wrong shape',
    argv: (f) => argv('grad', 'lstm', f, { h0: H0, c0: f.npy('c0.npy', 'float32', [1, B, H - 1]) }),
    phrase: 'c0 has shape [1, 4, 15], expected [layers*directions, B, H] = [1, 4, 16]',
    names: (f) => f.path('c0.npy'),
    sentinel: true,
  },
  {
    name: 'c0 for a cell without a cell state',
    argv: (f) => argv('run', 'gru', f, { weights: GRU_W, c0: C0 }),
    phrase: '--c0 given but cell gru has no cell state',
    names: () => '--c0',
    sentinel: true,
  },

  // ---- grad ----
  {
    name: 'grad-output of the wrong shape',
    argv: (f) => argv('grad', 'lstm', f, { 'grad-output': f.npy('dy.npy', 'float32', [T, B, X]) }),
    phrase: "grad-output has shape [12, 4, 8], expected the output's shape [12, 4, 16]",
    names: (f) => f.path('dy.npy'),
    sentinel: true,
  },
  {
    name: 'integer grad-output',
    argv: (f) => argv('grad', 'lstm', f, { 'grad-output': f.npy('dy.npy', 'int64', [T, B, H]) }),
    phrase: 'grad-output must be float32 or float64, got int64',
    names: (f) => f.path('dy.npy'),
  },
  {
    name: 'missing grad-output file',
    argv: (f) => argv('grad', 'lstm', f, { lengths: LENGTHS, 'grad-output': f.path('nope.npy') }),
    phrase: 'no such file',
    names: (f) => f.path('nope.npy'),
    sentinel: true,
  },
];

describe('cellforge CLI: bad input', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-cli-bad-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a large corpus', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const f = new Files(dir);
    if (c.sentinel) {
      mkdirSync(f.out);
      writeFileSync(join(f.out, 'output.npy'), SENTINEL);
    }
    const args = c.argv(f);
    if (c.sentinel) expect(args, 'a sentinel case must write to --out').toContain(f.out);
    let stdout = '';
    let stderr = '';
    const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });

    expect(code, stderr).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(c.phrase);
    expect(stderr).toContain(c.names(f));
    // One message, never a stack trace or an internal error.
    expect(stderr).not.toMatch(/^ {4}at /m);
    expect(stderr).not.toContain('internal error');
    expect(stderr.startsWith('cellforge')).toBe(true);
    // The problem is on the first line; what follows is the source display and the hint.
    expect(stderr.split('\n')[0]).toContain(c.phrase);
    if (c.at) {
      // file:line:col, then `N | source line`, then a caret line under the culprit.
      expect(stderr).toContain(`${f.path('bad.cell.ts')}${c.at}: `);
      const lines = stderr.split('\n');
      const line = Number(c.at.split(':')[1]);
      const col = Number(c.at.split(':')[2]);
      const src = lines.findIndex((l) => l.startsWith(`${line} | `));
      expect(src, stderr).toBeGreaterThan(0);
      const caret = lines[src + 1]!;
      expect(caret).toMatch(/^ +\^+$/);
      expect(caret.indexOf('^')).toBe(`${line} | `.length + col - 1);
    }

    // Nothing written: --out holds exactly what it held before (the sentinel, byte for byte, or nothing at all).
    if (c.sentinel) {
      expect(readdirSync(f.out)).toEqual(['output.npy']);
      expect(readFileSync(join(f.out, 'output.npy'))).toEqual(Buffer.from(SENTINEL));
    } else {
      expect(existsSync(f.out) ? readdirSync(f.out) : []).toEqual([]);
    }
  });

  it('--out naming an existing file: fails after the computation, file untouched, no stray files', async () => {
    const f = new Files(dir);
    const outFile = f.bytes('out.npy', SENTINEL);
    let stdout = '';
    let stderr = '';
    const code = await main(argv('run', 'lstm', new Files(dir), { out: outFile }), { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${outFile}: cannot create output directory`);
    expect(stderr).not.toMatch(/^ {4}at /m);
    expect(readFileSync(outFile)).toEqual(Buffer.from(SENTINEL));
    expect(readdirSync(dir)).toEqual(['out.npy']);
  });

  it('no arguments: usage and a non-zero exit', async () => {
    let stdout = '';
    let stderr = '';
    const code = await main([], { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
    expect(code).not.toBe(0);
    expect(stdout + stderr).toContain('usage: cellforge <command>');
  });
});
