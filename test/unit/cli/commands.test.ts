// The CLI's happy paths, in-process through main(), on the sample files of samples/data; plus one end-to-end run
// of cli/entry.ts in a subprocess for real exit codes and the stdout/stderr split.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { builtinCell, RNN, type Tensor } from '../../../index.js';
import { readNpy, type NpyArray } from '../../../runtime/io/npy.js';
import { readSafetensors } from '../../../runtime/io/safetensors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SAMPLES = join(ROOT, 'samples/data');
const sample = (name: string) => join(SAMPLES, name);
const [T, B, X, H] = [12, 4, 8, 16];

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(...argv: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

const asTensor = (a: NpyArray): Tensor => ({ data: a.data as Float32Array | Float64Array, shape: a.shape });

function weightsOf(path: string): Record<string, Tensor> {
  return Object.fromEntries([...readSafetensors(path).tensors].map(([n, a]) => [n, asTensor(a)]));
}

/** What the library computes for the same files: the CLI must write exactly this (as float32). */
async function reference(cellName: string, weights: string, opts: { h0?: string; c0?: string; lengths?: string; gradOutput?: string } = {}) {
  const rnn = new RNN(builtinCell(cellName), { inputSize: X, hiddenSize: H, backend: 'reference' });
  rnn.loadStateDict(weightsOf(weights));
  const fwd = await rnn.forward(asTensor(readNpy(sample('input.npy'))), {
    ...(opts.h0 ? { h0: asTensor(readNpy(opts.h0)) } : {}),
    ...(opts.c0 ? { c0: asTensor(readNpy(opts.c0)) } : {}),
    ...(opts.lengths ? { lengths: readNpy(opts.lengths).data as BigInt64Array } : {}),
  });
  const bwd = opts.gradOutput ? await rnn.backward(asTensor(readNpy(opts.gradOutput))) : undefined;
  return { fwd, bwd };
}

function expectArray(path: string, shape: number[], values?: Tensor): void {
  const a = readNpy(path);
  expect(a.dtype, path).toBe('float32');
  expect(a.shape, path).toEqual(shape);
  expect(a.data.every((v) => Number.isFinite(v as number)), path).toBe(true);
  if (values) expect(a.data, path).toEqual(Float32Array.from(values.data));
}

describe('cellforge compile', () => {
  it('prints the IR of a built-in cell', async () => {
    const r = await cli('compile', 'lstm');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('graph lstm {');
    expect(r.stdout).toContain('matvec');
    expect(r.stdout).toContain('# params weight_ih f32[4H,X], bias_ih f32[4H], weight_hh f32[4H,H], bias_hh f32[4H]');
  });

  it('--emit ir is the default', async () => {
    expect((await cli('compile', 'lstm', '--emit', 'ir')).stdout).toBe((await cli('compile', 'lstm')).stdout);
  });

  it('a cell by path', async () => {
    const r = await cli('compile', join(ROOT, 'samples/cells/rnn_tanh.cell.ts'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('graph rnn_tanh {');
  });

  it('--emit wasm prints the WebAssembly text of the module, which assembles and validates', async () => {
    const r = await cli('compile', 'gru', '--emit', 'wasm', '--input-size', '5', '--hidden-size', '6');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(';; WebAssembly text specialised to X=5, H=6');
    const text = r.stdout.slice(r.stdout.indexOf('(module'));
    const { assembleWat } = await import('../../../compiler/codegen/wasm/assemble.js');
    expect(WebAssembly.validate(await assembleWat(text))).toBe(true);
  });

  it('--emit backward-ir prints the saved set and the backward graph', async () => {
    const r = await cli('compile', 'gru', '--emit', 'backward-ir');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^# saved per step/m);
    expect(r.stdout).toMatch(/^# {3}\S+ = forward %\d+ f32\[/m);
    expect(r.stdout).toContain('graph gru.backward {');
  });
});

describe('cellforge --help', () => {
  it.each([['--help'], ['-h'], ['help']])('top level: %s', async (flag) => {
    const r = await cli(flag);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('usage: cellforge <command> [options]');
    for (const command of ['compile', 'run', 'grad', 'gradcheck']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    ['compile', ['--emit KIND']],
    ['run', ['--weights W.safetensors', '--input X.npy', '--h0 F.npy', '--c0 F.npy', '--lengths F.npy', '--num-layers N', '--bidirectional', '--backend NAME', '--out DIR']],
    ['grad', ['--weights W.safetensors', '--grad-output dY.npy', '--out DIR']],
    ['gradcheck', ['--seed N', '--tolerance E']],
  ])('%s --help', async (command, flags) => {
    const r = await cli(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^usage: cellforge ${command} <cell>`));
    for (const f of [...flags, '--help']) expect(r.stdout).toContain(`  ${f}`);
  });

  it('--help wins over missing arguments', async () => {
    const r = await cli('run', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: cellforge run');
  });
});

describe('cellforge run and grad', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const out = () => join(dir, 'out');
  const files = () => readdirSync(out()).sort();
  const model = (cell: 'lstm' | 'gru') => ['--weights', sample(`${cell}.safetensors`), '--input', sample('input.npy'), '--backend', 'reference', '--out', out()];

  it('run lstm (the README demo) writes output.npy, h_n.npy and c_n.npy', async () => {
    const r = await cli('run', 'lstm', ...model('lstm'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`output [12, 4, 16] -> ${out()}`);
    expect(files()).toEqual(['c_n.npy', 'h_n.npy', 'output.npy']);
    const { fwd } = await reference('lstm', sample('lstm.safetensors'));
    expectArray(join(out(), 'output.npy'), [T, B, H], fwd.output);
    expectArray(join(out(), 'h_n.npy'), [1, B, H], fwd.hN);
    expectArray(join(out(), 'c_n.npy'), [1, B, H], fwd.cN);
  });

  it('run lstm with lengths and initial states', async () => {
    const r = await cli('run', 'lstm', ...model('lstm'), '--lengths', sample('lengths.npy'), '--h0', sample('h0.npy'), '--c0', sample('c0.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(files()).toEqual(['c_n.npy', 'h_n.npy', 'output.npy']);
    const { fwd } = await reference('lstm', sample('lstm.safetensors'), { lengths: sample('lengths.npy'), h0: sample('h0.npy'), c0: sample('c0.npy') });
    expectArray(join(out(), 'output.npy'), [T, B, H], fwd.output);
    expectArray(join(out(), 'h_n.npy'), [1, B, H], fwd.hN);
    expectArray(join(out(), 'c_n.npy'), [1, B, H], fwd.cN);
  });

  it('run gru writes output.npy and h_n.npy only (no cell state)', async () => {
    const r = await cli('run', 'gru', ...model('gru'), '--lengths', sample('lengths.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(files()).toEqual(['h_n.npy', 'output.npy']);
    const { fwd } = await reference('gru', sample('gru.safetensors'), { lengths: sample('lengths.npy') });
    expectArray(join(out(), 'output.npy'), [T, B, H], fwd.output);
    expectArray(join(out(), 'h_n.npy'), [1, B, H], fwd.hN);
  });

  it('run replaces the outputs of an earlier run, leaving no temporary files', async () => {
    expect((await cli('run', 'gru', ...model('gru'))).code).toBe(0);
    expect((await cli('run', 'gru', ...model('gru'), '--h0', sample('h0.npy'))).code).toBe(0);
    expect(files()).toEqual(['h_n.npy', 'output.npy']);
    const { fwd } = await reference('gru', sample('gru.safetensors'), { h0: sample('h0.npy') });
    expectArray(join(out(), 'output.npy'), [T, B, H], fwd.output);
  });

  it('grad lstm writes output.npy, d_input.npy and grads.safetensors, no d_h0/d_c0 without --h0/--c0', async () => {
    const r = await cli('grad', 'lstm', ...model('lstm'), '--grad-output', sample('grad_output.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('4 weight gradients');
    expect(files()).toEqual(['d_input.npy', 'grads.safetensors', 'output.npy']);
    const { fwd, bwd } = await reference('lstm', sample('lstm.safetensors'), { gradOutput: sample('grad_output.npy') });
    expectArray(join(out(), 'output.npy'), [T, B, H], fwd.output);
    expectArray(join(out(), 'd_input.npy'), [T, B, X], bwd!.dInput);
    const grads = readSafetensors(join(out(), 'grads.safetensors')).tensors;
    const weights = readSafetensors(sample('lstm.safetensors')).tensors;
    expect([...grads.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, w] of weights) {
      const g = grads.get(name)!;
      expect(g.dtype, name).toBe('float32');
      expect(g.shape, name).toEqual(w.shape);
      expect(g.data, name).toEqual(Float32Array.from(bwd!.grads[name]!.data));
    }
  });

  it('grad lstm with --h0 and --c0 also writes d_h0.npy and d_c0.npy', async () => {
    const r = await cli('grad', 'lstm', ...model('lstm'), '--grad-output', sample('grad_output.npy'), '--h0', sample('h0.npy'), '--c0', sample('c0.npy'), '--lengths', sample('lengths.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(files()).toEqual(['d_c0.npy', 'd_h0.npy', 'd_input.npy', 'grads.safetensors', 'output.npy']);
    const opts = { h0: sample('h0.npy'), c0: sample('c0.npy'), lengths: sample('lengths.npy'), gradOutput: sample('grad_output.npy') };
    const { bwd } = await reference('lstm', sample('lstm.safetensors'), opts);
    expectArray(join(out(), 'd_input.npy'), [T, B, X], bwd!.dInput);
    expectArray(join(out(), 'd_h0.npy'), [1, B, H], bwd!.dH0);
    expectArray(join(out(), 'd_c0.npy'), [1, B, H], bwd!.dC0);
  });

  it('grad lstm with --h0 only writes d_h0.npy but not d_c0.npy', async () => {
    const r = await cli('grad', 'lstm', ...model('lstm'), '--grad-output', sample('grad_output.npy'), '--h0', sample('h0.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(files()).toEqual(['d_h0.npy', 'd_input.npy', 'grads.safetensors', 'output.npy']);
  });

  it('grad gru with --h0 writes d_h0.npy, and grads with the GRU weights\' names', async () => {
    const r = await cli('grad', 'gru', ...model('gru'), '--grad-output', sample('grad_output.npy'), '--h0', sample('h0.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(files()).toEqual(['d_h0.npy', 'd_input.npy', 'grads.safetensors', 'output.npy']);
    const grads = readSafetensors(join(out(), 'grads.safetensors')).tensors;
    expect(Object.fromEntries([...grads].map(([n, g]) => [n, g.shape]))).toEqual({
      weight_ih_l0: [3 * H, X],
      bias_ih_l0: [3 * H],
      weight_hh_l0: [3 * H, H],
      bias_hh_l0: [3 * H],
    });
    expectArray(join(out(), 'd_h0.npy'), [1, B, H]);
  });

  it('the default backend writes the same files as the reference backend', async () => {
    const r = await cli('grad', 'lstm', '--weights', sample('lstm.safetensors'), '--input', sample('input.npy'), '--grad-output', sample('grad_output.npy'), '--lengths', sample('lengths.npy'), '--out', out());
    expect(r.code, r.stderr).toBe(0);
    const { fwd, bwd } = await reference('lstm', sample('lstm.safetensors'), { lengths: sample('lengths.npy'), gradOutput: sample('grad_output.npy') });
    const close = (path: string, want: Tensor) => {
      const got = readNpy(path).data as Float32Array;
      got.forEach((v, i) => expect(Math.abs(v - want.data[i]!), `${path}[${i}]`).toBeLessThan(1e-5));
    };
    close(join(out(), 'output.npy'), fwd.output);
    close(join(out(), 'd_input.npy'), bwd!.dInput);
  });
});

describe('cellforge gradcheck', () => {
  it('rnn_tanh passes and prints the worst relative error', async () => {
    const r = await cli('gradcheck', 'rnn_tanh');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^worst relative error \S+: ok/m);
  });
});

describe('cli/entry.ts as a subprocess', () => {
  it('exit codes and the stdout/stderr split hold end to end', () => {
    const run = (...args: string[]) => spawnSync('npx', ['tsx', 'cli/entry.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    // npm may print its own warnings on stderr; they are not ours.
    const ours = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn')).join('\n');

    const ok = run('compile', 'lstm');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('graph lstm {');
    expect(ok.stdout).toContain('matvec');
    expect(ours(ok.stderr)).toBe('');

    const bad = run('compile', 'lstm', '--emit', 'asm');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(ours(bad.stderr)).toMatch(/^cellforge compile: unknown --emit 'asm'\nhint: choose one of: ir, backward-ir/);
    expect(bad.stderr).not.toMatch(/^ {4}at /m);
  });

  it('backend auto probes WebGPU without Dawn\'s warnings on stderr (the chosen backend is said once)', () => {
    const out = mkdtempSync(join(tmpdir(), 'cellforge-auto-'));
    try {
      const r = spawnSync('npx', ['tsx', 'cli/entry.ts', 'run', 'lstm', '--weights', sample('lstm.safetensors'), '--input', sample('input.npy'), '--backend', 'auto', '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/Warning|artificially reduced|Vulkan/);
      expect(r.stderr.trim()).toMatch(/^cellforge run: lstm on \w+, output \[12, 4, 16\] -> /);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a reader that closes the pipe early (| head) ends the command quietly, exit 0', () => {
    const r = spawnSync('bash', ['-c', 'set -o pipefail; npx tsx cli/entry.ts compile lstm --emit wasm | head -c 100 > /dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
  });
});
