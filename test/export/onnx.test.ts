// Export to ONNX: every sample cell × {1 layer; 2 layers bidirectional; with lengths}: onnxruntime-node's outputs
// and final states equal the reference backend's within 1e-5 relative to max, and every model passes ONNX's
// checker (Python's onnx, all models in one process). Built-in steps must lower to ONNX's own operators.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCell, builtinNames, compileCell } from '../../index.js';
import { exportOnnx } from '../../compiler/export/onnx.js';
import { nativeStep } from '../../compiler/export/step.js';
import { describeWith } from '../helpers/component.js';
import { findPython, runPython } from '../helpers/python.js';
import { disagreements, makeCase, type ExportCase, type ExportConfig } from './cases.js';

const TOLERANCE = 1e-5;
const cells = builtinNames();
const configs: readonly ExportConfig[] = [
  { name: '1 layer', T: 5, B: 3, X: 4, H: 5, L: 1, bidirectional: false },
  { name: '2 layers bidirectional', T: 5, B: 3, X: 4, H: 5, L: 2, bidirectional: true, initial: true },
  { name: 'with lengths (2 layers bidirectional)', T: 6, B: 4, X: 3, H: 4, L: 2, bidirectional: true, lengths: [4, 6, 1, 3], initial: true },
];

interface Model {
  readonly c: ExportCase;
  readonly bytes: Uint8Array;
}

const models = new Map<string, Model>();

beforeAll(async () => {
  for (const name of cells) {
    for (const [k, cfg] of configs.entries()) {
      const c = await makeCase(builtinCell(name), cfg, 200 + k);
      const bytes = exportOnnx(c.cell, c.weights, { version: 'test', lengths: cfg.lengths !== undefined });
      models.set(`${name} ${cfg.name}`, { c, bytes });
    }
  }
}, 300_000);

/** onnxruntime's outputs by name, as float64 arrays. */
async function runModel({ c, bytes }: Model): Promise<Record<string, Float64Array>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const { T, B, X, H, L, bidirectional } = c.cfg;
  const LD = L * (bidirectional ? 2 : 1);
  const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', c.inputs.input!.data as Float32Array, [T, B, X]) };
  for (const s of c.cell.states) feeds[`${s}0`] = new ort.Tensor('float32', (c.inputs[`${s}0`]?.data as Float32Array | undefined) ?? new Float32Array(LD * B * H), [LD, B, H]);
  if (c.inputs.lengths) feeds.lengths = new ort.Tensor('int64', c.inputs.lengths.data as BigInt64Array, [B]);
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Float64Array.from(t.data as Float32Array)]));
}

describe('export to ONNX: onnxruntime against the reference backend', () => {
  for (const name of cells) {
    for (const cfg of configs) {
      it(`${name}: ${cfg.name}`, async () => {
        const m = models.get(`${name} ${cfg.name}`)!;
        const got = await runModel(m);
        const want = Object.fromEntries(Object.entries(m.c.reference).filter(([k]) => k === 'output' || k.endsWith('_n')));
        expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
        expect(disagreements(got, want, TOLERANCE)).toEqual({});
      });
    }
  }

  it('a cell that never reads its input (a Scan over the input for the step count; any input size)', async () => {
    const source = ["import { cell, linear, tanh } from 'cellforge/dsl';", '', "export default cell({ state: ['h'] }, (x, { h }) => {", "  return { h: tanh(linear('hh', h)) };", '});', ''].join('\n');
    const cfg = configs[2]!;
    const c = await makeCase(compileCell(source), cfg, 9);
    const got = await runModel({ c, bytes: exportOnnx(c.cell, c.weights, { version: 'test', lengths: true }) });
    const want = Object.fromEntries(Object.entries(c.reference).filter(([k]) => k === 'output' || k.endsWith('_n')));
    expect(disagreements(got, want, TOLERANCE)).toEqual({});
  });

  it("built-in LSTM, GRU (both reset placements) and RNN steps lower to ONNX's own operators; other cells to Scan", () => {
    const lowering = (name: string) => {
      const text = new TextDecoder('latin1').decode(models.get(`${name} 1 layer`)!.bytes);
      return ['LSTM', 'GRU', 'RNN', 'Scan'].filter((op) => text.includes(`\u0022${String.fromCharCode(op.length)}${op}`));
    };
    for (const name of cells) expect([name, lowering(name)]).toEqual([name, nativeStep(builtinCell(name)) ? [name === 'lstm' || name.startsWith('lstm') ? 'LSTM' : name.startsWith('gru') ? 'GRU' : 'RNN'] : ['Scan']]);
  });
});

const onnxPython = findPython('onnx', 'python3-onnx');

describeWith('onnx', onnxPython.missing, "export to ONNX: ONNX's checker", () => {
  let dir: string;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every exported model (all cells and configurations) passes onnx.checker with full_check, opset 17, IR version 8', () => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-export-onnx-'));
    const keys = [...models.keys()];
    const paths = keys.map((key) => {
      const path = join(dir, `${key.replace(/[^a-z0-9_]+/gi, '-')}.onnx`);
      writeFileSync(path, models.get(key)!.bytes);
      return path;
    });
    const reports = runPython(onnxPython.python!, join(import.meta.dirname, 'check_onnx.py'), paths)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ok: boolean; error: string | null; ir_version: number; opset: number; main: string[]; input_readers: string[]; body_weights: string[] });
    expect(reports.filter((r) => !r.ok).map((r) => r.error)).toEqual([]);
    expect(reports).toHaveLength(paths.length);
    expect(reports.every((r) => r.ir_version === 8 && r.opset === 17)).toBe(true);
    // Scan models: the input projection of all steps is one MatMul before the loop; the loop never reads W_ih.
    reports.forEach((r, i) => {
      const cell = builtinCell(keys[i]!.split(' ')[0]!);
      if (nativeStep(cell)) return;
      expect([keys[i], r.main.includes('Scan'), r.input_readers.includes('MatMul')]).toEqual([keys[i], true, true]);
      expect([keys[i], r.body_weights.filter((w) => w.startsWith('weight_ih'))]).toEqual([keys[i], []]);
    });
  });
});
