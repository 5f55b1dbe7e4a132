// Distributed training, shown: the exported PyTorch module of a custom cell (mgu) under DistributedDataParallel
// with gloo in 2 processes, loaded from a cellforge checkpoint, for 3 SGD steps: every gradient equals a
// single-process run over the same global batch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { builtinCell } from '../../index.js';
import { exportPytorch } from '../../compiler/export/pytorch.js';
import { readSafetensors } from '../../runtime/io/safetensors.js';
import { saveCheckpoint } from '../../runtime/train/checkpoint.js';
import { describeWith } from '../helpers/component.js';
import { findTorchPython, runPython } from '../helpers/python.js';
import { makeCase, relativeToMax, writeCase } from './cases.js';

const torchPython = findTorchPython();

describeWith('torch', torchPython.missing, 'export to PyTorch: DistributedDataParallel (gloo, 2 processes)', () => {
  it('gradients of every step equal one process over the same global batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellforge-export-ddp-'));
    try {
      const cell = builtinCell('mgu');
      const module = join(dir, 'mgu.py');
      writeFileSync(module, exportPytorch(cell, { version: 'test' }));
      const cfg = { name: 'ddp', T: 6, B: 4, X: 3, H: 4, L: 2, bidirectional: true, lengths: [6, 3, 5, 2] };
      const c = await makeCase(cell, cfg, 31);
      const files = writeCase(c, dir);
      // The weights as a cellforge checkpoint: float64, with optimiser state and a task layer beside the RNN's keys.
      const tensors = new Map(Object.entries(c.weights).map(([k, t]) => [k, { shape: t.shape, data: Float64Array.from(t.data) }]));
      for (const [k, t] of [...tensors]) tensors.set(`adam.m.${k}`, { shape: t.shape, data: t.data.map((v) => v / 3) });
      tensors.set('head.weight', { shape: [2, 8], data: new Float64Array(16) });
      files.weights = join(dir, 'checkpoint.safetensors');
      saveCheckpoint(files.weights, tensors, { task: 'test' });
      const out = join(dir, 'ddp.safetensors');
      runPython(torchPython.python!, join(import.meta.dirname, 'run_ddp.py'), [module, files.weights, files.inputs, out, String(cfg.L), '1'], 300_000);
      const got = readSafetensors(out).tensors;
      const single = [...got.keys()].filter((k) => k.startsWith('single.'));
      expect(single).toHaveLength(3 * 2 * 2 * 4); // steps × layers × directions × parameters
      for (const key of single) {
        const want = got.get(key)!.data as Float64Array;
        expect(Math.max(...want.map(Math.abs)), key).toBeGreaterThan(0);
        const name = key.slice('single.'.length);
        expect(relativeToMax(got.get(`ddp.${name}`)!.data as Float64Array, want), key).toBeLessThanOrEqual(1e-5);
        // The replicas stay in sync: both ranks hold the same averaged gradient.
        expect(got.get(`ddp1.${name}`)!.data, key).toEqual(got.get(`ddp.${name}`)!.data);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
