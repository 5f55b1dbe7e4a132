// `cellforge export` through the CLI, in-process: the files it writes, and bad input (unknown --to, an unwritable
// --out, weights that do not fit the cell, a cell the exporter cannot express): one clear line naming the problem,
// exit 1, no stack trace, and --out untouched (a file already there keeps its bytes; no temporary file is left).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { builtinCell, compileCell, RNN } from '../../index.js';
import { checkExportable } from '../../compiler/export/step.js';
import { encodeSafetensors } from '../../runtime/io/safetensors.js';
import type { NpyArray } from '../../runtime/io/npy.js';
import { saveCheckpoint } from '../../runtime/train/checkpoint.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cellforge-export-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** Weights of a built-in cell's RNN as a .safetensors file. */
function weightsFile(name: string, cell: string, opts: { numLayers?: number; bidirectional?: boolean; hiddenSize?: number } = {}): string {
  const rnn = new RNN(builtinCell(cell), { inputSize: 3, hiddenSize: opts.hiddenSize ?? 4, numLayers: opts.numLayers ?? 1, bidirectional: opts.bidirectional ?? false, backend: 'reference' });
  const tensors: Record<string, NpyArray> = {};
  for (const [k, t] of Object.entries(rnn.stateDict())) tensors[k] = { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data) };
  const path = join(dir, name);
  writeFileSync(path, encodeSafetensors(tensors));
  return path;
}

const SENTINEL = 'sentinel: must survive a failed export\n';

/** A failed export: exit 1, the phrase on the first line, at most a hint after it, --out unchanged, no temp files. */
async function expectFailure(args: string[], phrase: string, out: string): Promise<string> {
  const r = await cli(...args);
  expect(r.code, r.err).toBe(1);
  const lines = r.err.trimEnd().split('\n');
  expect(lines[0]).toContain(phrase);
  expect(lines.slice(1).every((l) => l.startsWith('hint: ')), r.err).toBe(true);
  expect(r.err).not.toMatch(/\n\s+at /);
  if (existsSync(out) && statSync(out).isFile()) expect(readFileSync(out, 'utf8')).toBe(SENTINEL);
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  return lines[0]!;
}

describe('cellforge export', () => {
  it('writes a PyTorch module and an ONNX model, and says what it wrote', async () => {
    const py = join(dir, 'mgu.py');
    const r = await cli('export', 'mgu', '--to', 'pytorch', '--out', py);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`cellforge export: mgu -> ${py} (PyTorch module, RNN generated from the step)\n`);
    const text = readFileSync(py, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# cellforge \d+\.\d+\.\d+: export of cell mgu \(samples\/cells\/mgu\.cell\.ts\) to PyTorch$/);
    expect(text).toContain('#   %25 = add %21 %24 : f32[H]');
    expect(text.match(/^import .*$/gm)).toEqual(['import json', 'import math', 'import struct', 'import torch']);

    const onnx = join(dir, 'lstm.onnx');
    const w = weightsFile('lstm.safetensors', 'lstm', { numLayers: 2, bidirectional: true });
    const r2 = await cli('export', 'lstm', '--to', 'onnx', '--weights', w, '--lengths', '--out', onnx);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.err).toBe(`cellforge export: lstm -> ${onnx} (ONNX model, ONNX LSTM)\n`);
    expect(readFileSync(onnx).length).toBeGreaterThan(4 * (2 * 16 * 4 + 16 * 8));
  });

  it('--to onnx takes a cellforge checkpoint (float64; optimiser state and task layers are left out)', async () => {
    const rnn = new RNN(builtinCell('mgu'), { inputSize: 3, hiddenSize: 4, backend: 'reference' });
    const tensors = new Map(Object.entries(rnn.stateDict()).map(([k, t]) => [k, { shape: t.shape, data: Float64Array.from(t.data) }]));
    for (const [k, t] of [...tensors]) tensors.set(`adam.v.${k}`, t);
    tensors.set('head.bias', { shape: [5], data: new Float64Array(5) });
    const ckpt = join(dir, 'checkpoint.safetensors');
    saveCheckpoint(ckpt, tensors, { task: 'test' });
    const out = join(dir, 'mgu.onnx');
    const r = await cli('export', 'mgu', '--to', 'onnx', '--weights', ckpt, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`cellforge export: mgu -> ${out} (ONNX model, Scan over the step)\n`);
  });

  it('--help documents both formats', async () => {
    const r = await cli('export', '--help');
    expect(r.code).toBe(0);
    for (const s of ['--to pytorch', '--to onnx', 'load_safetensors', 'Cell(input_size, hidden_size)', '<state>0 [L*D, B, H]', 'lengths [B] int64', 'Scan']) expect(r.out).toContain(s);
    expect((await cli('--help')).out).toMatch(/^ {2}export +write a cell as a PyTorch module/m);
  });
});

describe('cellforge export: bad input', () => {
  it('unknown --to', async () => {
    const out = join(dir, 'x.py');
    writeFileSync(out, SENTINEL);
    await expectFailure(['export', 'lstm', '--to', 'tensorflow', '--out', out], "cellforge export: unknown --to 'tensorflow'", out);
  });

  it('an unwritable --out: a missing directory, a path under a file, a directory', async () => {
    const missing = join(dir, 'no-such-dir', 'x.py');
    expect(await expectFailure(['export', 'mgu', '--to', 'pytorch', '--out', missing], 'cannot write: directory does not exist', missing)).toBe(`cellforge: ${missing}: cannot write: directory does not exist`);
    const file = join(dir, 'plain-file');
    writeFileSync(file, SENTINEL);
    const under = join(file, 'x.onnx');
    const w = weightsFile('gru.safetensors', 'gru');
    await expectFailure(['export', 'gru', '--to', 'onnx', '--weights', w, '--out', under], `cellforge: ${under}: cannot write: a parent of this path is not a directory`, under);
    expect(readFileSync(file, 'utf8')).toBe(SENTINEL);
    await expectFailure(['export', 'mgu', '--to', 'pytorch', '--out', dir], `cellforge: ${dir}: cannot write: is a directory`, dir);
  });

  it("weights that do not fit the cell: another cell's, too few layers, flags that contradict them", async () => {
    const out = join(dir, 'm.onnx');
    writeFileSync(out, SENTINEL);
    const gru = weightsFile('gru.safetensors', 'gru');
    const err = await expectFailure(['export', 'lstm', '--to', 'onnx', '--weights', gru, '--out', out], `cellforge: ${gru}: the weights disagree on H:`, out);
    expect(err).toContain("'weight_ih_l0' says 3, 'weight_hh_l0' [12, 4] says 4");
    const two = weightsFile('two.safetensors', 'mgu', { numLayers: 2 });
    await expectFailure(['export', 'mgu', '--to', 'onnx', '--weights', two, '--num-layers', '3', '--out', out], `cellforge: ${two}: missing weights 'weight_ih_l2'`, out);
    await expectFailure(['export', 'mgu', '--to', 'onnx', '--weights', two, '--num-layers', '1', '--out', out], `cellforge: ${two}: unexpected weights 'bias_hh_l1', 'bias_ih_l1', 'weight_hh_l1', 'weight_ih_l1': not a parameter of cell mgu (1 layer, input size 3, hidden size 4)`, out);
    await expectFailure(['export', 'mgu', '--to', 'onnx', '--weights', two, '--bidirectional', '--out', out], `cellforge: ${two}: missing weights 'weight_ih_l0_reverse'`, out);
    await expectFailure(['export', 'mgu', '--to', 'onnx', '--weights', join(dir, 'absent.safetensors'), '--out', out], 'absent.safetensors: no such file', out);
    await expectFailure(['export', 'mgu', '--to', 'onnx', '--out', out], 'cellforge export: --weights is required', out);
    await expectFailure(['export', 'mgu', '--to', 'pytorch', '--weights', two, '--out', out], 'cellforge export: --weights is for --to onnx', out);
  });

  it('a cell the exporter cannot express names the op, where the cell wrote it, and why', async () => {
    // nn.Module.train()/eval() assign module.training: a parameter of that name cannot live in a torch module.
    const file = join(dir, 'training.cell.ts');
    writeFileSync(file, ["import { cell, linear, param, tanh } from 'cellforge/dsl';", '', "export default cell({ state: ['h'] }, (x, { h }) => {", "  return { h: tanh(linear('ih', x) + param('training') * h) };", '});', ''].join('\n'));
    const out = join(dir, 't.py');
    writeFileSync(out, SENTINEL);
    const line = await expectFailure(['export', file, '--to', 'pytorch', '--out', out], 'cannot export cell training to PyTorch: node %', out);
    expect(line).toMatch(/node %\d+ param \(.*training\.cell\.ts:4:\d+\): a parameter named 'training' would be overwritten by torch\.nn\.Module\.train\(\) and eval\(\)$/);
    // ONNX has no such limit.
    const w = join(dir, 'w.safetensors');
    const rnn = new RNN(compileCell(file), { inputSize: 3, hiddenSize: 4, backend: 'reference' });
    writeFileSync(w, encodeSafetensors(Object.fromEntries(Object.entries(rnn.stateDict()).map(([k, t]) => [k, { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data) } as NpyArray]))));
    expect((await cli('export', file, '--to', 'onnx', '--weights', w, '--out', join(dir, 't.onnx'))).code).toBe(0);
  });

  it('an op without export emitters (an op added to the IR later) is refused by name, for both targets', () => {
    const cell = builtinCell('mgu');
    const nodes = cell.graph.nodes.map((n) => (n.op === 'tanh' ? { ...n, op: 'erf' } : n));
    const changed = { ...cell, graph: { ...cell.graph, nodes } };
    for (const target of ['pytorch', 'onnx'] as const) {
      expect(() => checkExportable(changed, target)).toThrow(/cannot export cell mgu to (PyTorch|ONNX): node %23 erf .*: op 'erf' has no (PyTorch|ONNX) emitter in the op table \(ir\/ops\.ts\)$/);
    }
  });
});
