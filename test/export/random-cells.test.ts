// Every cell that cellforge compiles exports to both formats: random cells (the autodiff property tests' generator:
// every unary and binary op of the language, linear, split, param, layerNorm, 1-3 states), bidirectional with
// lengths and initial states. onnxruntime (float32) within 1e-5 relative to max of the reference; the PyTorch
// module in float64, outputs and gradients, within 1e-9 (all cells in one Python process).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCell } from '../../index.js';
import { exportOnnx } from '../../compiler/export/onnx.js';
import { exportPytorch } from '../../compiler/export/pytorch.js';
import { readSafetensors } from '../../runtime/io/safetensors.js';
import { describeWith } from '../helpers/component.js';
import { findTorchPython, runPython } from '../helpers/python.js';
import { randomCellSource } from '../unit/autodiff/random-cells.js';
import { disagreements, makeCase, writeCase, type ExportCase, type ExportConfig } from './cases.js';

const COUNT = 16;
const cfg: ExportConfig = { name: 'random', T: 4, B: 3, X: 3, H: 4, L: 1, bidirectional: true, lengths: [4, 2, 1], initial: true };
const sources = fc.sample(randomCellSource, { seed: 1414, numRuns: COUNT });
const cases: ExportCase[] = [];

beforeAll(async () => {
  for (const [k, source] of sources.entries()) cases.push(await makeCase(compileCell(source), cfg, 300 + k));
}, 300_000);

const finite = (c: ExportCase) => Object.values(c.reference).every((v) => v.every(Number.isFinite));

describe('export of random cells to ONNX: onnxruntime against the reference', () => {
  it(`${COUNT} random cells`, async () => {
    const bad: Record<string, unknown> = {};
    let checked = 0;
    for (const [k, c] of cases.entries()) {
      if (!finite(c)) continue;
      const session = await ort.InferenceSession.create(exportOnnx(c.cell, c.weights, { version: 'test', lengths: true }), { logSeverityLevel: 3 });
      const { T, B, X, H } = cfg;
      const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', c.inputs.input!.data as Float32Array, [T, B, X]), lengths: new ort.Tensor('int64', c.inputs.lengths!.data as BigInt64Array, [B]) };
      for (const s of c.cell.states) feeds[`${s}0`] = new ort.Tensor('float32', c.inputs[`${s}0`]!.data as Float32Array, [2, B, H]);
      const out = await session.run(feeds);
      await session.release();
      const got = Object.fromEntries(Object.entries(out).map(([name, t]) => [name, Float64Array.from(t.data as Float32Array)]));
      const want = Object.fromEntries(Object.entries(c.reference).filter(([name]) => name === 'output' || name.endsWith('_n')));
      const d = disagreements(got, want, 1e-5);
      if (Object.keys(d).length) bad[`cell ${k}:\n${sources[k]}`] = d;
      checked++;
    }
    expect(bad).toEqual({});
    expect(checked).toBeGreaterThanOrEqual(COUNT - 2);
  });
});

const torchPython = findTorchPython();

describeWith('torch', torchPython.missing, 'export of random cells to PyTorch (float64): outputs and gradients', () => {
  let dir: string;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${COUNT} random cells`, () => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-export-random-'));
    const manifest = cases.map((c, k) => {
      const module = join(dir, `cell${k}.py`);
      writeFileSync(module, exportPytorch(c.cell, { version: 'test' }));
      const files = writeCase(c, join(dir, `case${k}`));
      return { module, ...files, out: join(dir, `case${k}`, 'torch.safetensors'), layers: cfg.L, bidirectional: true, batch_first: false, input_size: cfg.X, hidden_size: cfg.H, dtype: 'float64' };
    });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    runPython(torchPython.python!, join(import.meta.dirname, 'run_pytorch.py'), [join(dir, 'manifest.json')]);
    const bad: Record<string, unknown> = {};
    for (const [k, c] of cases.entries()) {
      const out = manifest[k]!.out;
      if (existsSync(`${out}.error`)) {
        bad[`cell ${k}:\n${sources[k]}`] = readFileSync(`${out}.error`, 'utf8');
        continue;
      }
      if (!finite(c)) continue;
      const got = Object.fromEntries([...readSafetensors(out).tensors].map(([name, v]) => [name, v.data as Float64Array]));
      const d = disagreements(got, c.reference, 1e-9);
      if (Object.keys(d).length) bad[`cell ${k}:\n${sources[k]}`] = d;
    }
    expect(bad).toEqual({});
  }, 300_000);
});
