// Export to PyTorch: every sample cell × {1 layer; 2 layers bidirectional with lengths and initial states;
// batch_first}: the exported module's outputs, final states and gradients (input, initial states, every parameter)
// equal the reference backend's within 1e-5 relative to max. All cases run in one Python process.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtinCell, builtinNames } from '../../index.js';
import { exportPytorch } from '../../compiler/export/pytorch.js';
import { readSafetensors } from '../../runtime/io/safetensors.js';
import { describeWith } from '../helpers/component.js';
import { findTorchPython, runPython } from '../helpers/python.js';
import { disagreements, makeCase, pytorchConfigs, relativeToMax, writeCase, type ExportCase } from './cases.js';

const TOLERANCE = 1e-5;
const torchPython = findTorchPython();
const cells = builtinNames();
const DRIVER = join(import.meta.dirname, 'run_pytorch.py');

interface Run {
  readonly c: ExportCase;
  readonly out: string;
}

describeWith('torch', torchPython.missing, 'export to PyTorch: every sample cell against the reference backend', () => {
  let dir: string;
  const runs = new Map<string, Run>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-export-pt-'));
    const manifest: object[] = [];
    for (const name of cells) {
      const cell = builtinCell(name);
      const module = join(dir, `${name}.py`);
      writeFileSync(module, exportPytorch(cell, { version: 'test' }));
      for (const [k, cfg] of pytorchConfigs.entries()) {
        const c = await makeCase(cell, cfg, 100 + k);
        const files = writeCase(c, join(dir, `${name}-${k}`));
        const out = join(dir, `${name}-${k}`, 'torch.safetensors');
        runs.set(`${name} ${cfg.name}`, { c, out });
        manifest.push({ module, ...files, out, layers: cfg.L, bidirectional: cfg.bidirectional, batch_first: cfg.batchFirst ?? false, input_size: cfg.X, hidden_size: cfg.H, dtype: 'float32' });
        if (k === 1) {
          // The same case in float64: the generated code computes exactly the reference's math.
          const out64 = join(dir, `${name}-${k}`, 'torch64.safetensors');
          runs.set(`${name} float64`, { c, out: out64 });
          manifest.push({ ...(manifest.at(-1) as object), out: out64, dtype: 'float64' });
        }
      }
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    runPython(torchPython.python!, DRIVER, [join(dir, 'manifest.json')]);
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('in float64 every sample cell (2 layers, bidirectional, lengths, initial states) matches within 1e-10', () => {
    const worst: Record<string, Record<string, number>> = {};
    for (const name of cells) {
      const { c, out } = runs.get(`${name} float64`)!;
      if (existsSync(`${out}.error`)) throw new Error(`python: ${readFileSync(`${out}.error`, 'utf8')}`);
      const got = Object.fromEntries([...readSafetensors(out).tensors].map(([k, v]) => [k, v.data as Float64Array]));
      const bad = disagreements(got, c.reference, 1e-10);
      if (Object.keys(bad).length) worst[name] = bad;
    }
    expect(worst).toEqual({});
  });

  for (const name of cells) {
    for (const cfg of pytorchConfigs) {
      it(`${name}: ${cfg.name}`, () => {
        const { c, out } = runs.get(`${name} ${cfg.name}`)!;
        if (existsSync(`${out}.error`)) throw new Error(`python: ${readFileSync(`${out}.error`, 'utf8')}`);
        const got = Object.fromEntries([...readSafetensors(out).tensors].map(([k, v]) => [k, v.data as Float64Array]));
        expect(disagreements(got, c.reference, TOLERANCE)).toEqual({});
        // Every parameter has a gradient, and no key is extra: the state dicts are the same.
        expect(Object.keys(got).filter((k) => k.startsWith('grad.')).sort()).toEqual(Object.keys(c.reference).filter((k) => k.startsWith('grad.')).sort());
        if (got.cell_step) {
          // Cell: one step from the same states equals the RNN's first output.
          const { T, B, H } = cfg;
          const first = Float64Array.from({ length: B * H }, (_, i) => c.reference.output![cfg.batchFirst ? Math.floor(i / H) * T * H + (i % H) : i]!);
          expect(relativeToMax(got.cell_step, first)).toBeLessThanOrEqual(TOLERANCE);
        }
      });
    }
  }
});

// torch.compile exists from torch 2; CI's Debian torch is 1.13. The check runs where the Python has it (or
// CELLFORGE_COMPILE_PYTHON names one that does) and otherwise says, visibly, that it did not run.
describeWith('torch', torchPython.missing, 'export to PyTorch: torch.compile', () => {
  it('the generated RNN of a custom cell (mgu, with lengths) under torch.compile equals the reference', async () => {
    const python = process.env.CELLFORGE_COMPILE_PYTHON ?? torchPython.python!;
    const probe = runPython(python, '-c', ['import torch; print(torch.__version__, hasattr(torch, "compile"))']).trim();
    if (!probe.endsWith('True')) {
      console.warn(`torch.compile check not run: ${python} has torch ${probe.split(' ')[0]}, without torch.compile (set CELLFORGE_COMPILE_PYTHON to a Python with torch 2)`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'cellforge-export-compile-'));
    try {
      const cell = builtinCell('mgu');
      const module = join(dir, 'mgu.py');
      writeFileSync(module, exportPytorch(cell, { version: 'test' }));
      const cfg = { ...pytorchConfigs[1]!, name: 'compiled' };
      const c = await makeCase(cell, cfg, 7);
      const files = writeCase(c, dir);
      const out = join(dir, 'torch.safetensors');
      // aot_eager: Dynamo's graph capture and AOTAutograd's forward and backward, without inductor's C++ build
      // (inductor, the default, was checked by hand: same numbers, minutes of compiling on a loaded machine).
      const manifest = [{ module, ...files, out, layers: cfg.L, bidirectional: cfg.bidirectional, batch_first: false, input_size: cfg.X, hidden_size: cfg.H, dtype: 'float32', compile: 'aot_eager' }];
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      runPython(python, DRIVER, [join(dir, 'manifest.json')], 600_000);
      if (existsSync(`${out}.error`)) throw new Error(`python: ${readFileSync(`${out}.error`, 'utf8')}`);
      const got = Object.fromEntries([...readSafetensors(out).tensors].map(([k, v]) => [k, v.data as Float64Array]));
      expect(disagreements(got, c.reference, TOLERANCE)).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
