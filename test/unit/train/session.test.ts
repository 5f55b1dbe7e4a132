// Training runs end to end: loss goes down, resume is bit-identical, damaged checkpoints are refused clearly.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CellforgeError } from '../../../ir/errors.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { TrainingSession, type RunOverrides } from '../../../runtime/train/session.js';
import { tinyTask } from './tiny-task.js';

const dir = mkdtempSync(join(tmpdir(), 'cellforge-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two stacked LSTM layers with variational dropout and Adam: every piece of state a resume must restore. */
const hard: RunOverrides = { cell: 'lstm', numLayers: 2, dropout: 0.3, variationalDropout: true, optimizer: 'adam', epochs: 3, seed: 7 };

const weights = (s: TrainingSession) => Object.fromEntries(s.trainer.params.map((p) => [p.name, [...p.data]]));

describe('training session', () => {
  it('a short run lowers the loss', async () => {
    const s = await TrainingSession.start(tinyTask, { epochs: 4 }, false);
    await s.run();
    const h = s.trainer.state.history;
    expect(h[0]!.epoch).toBe(0);
    expect(h[h.length - 1]!.validLoss).toBeLessThan(0.5 * h[0]!.validLoss);
    const st = s.trainer.state.stepLoss;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(st.slice(-8))).toBeLessThan(mean(st.slice(0, 8)));
  });

  it('resume after an interruption gives bit-identical weights, optimiser state and history', async () => {
    const full = await TrainingSession.start(tinyTask, hard, false);
    await full.run();

    const path = join(dir, 'checkpoint.safetensors');
    const first = await TrainingSession.start(tinyTask, hard, false);
    // Stop mid-epoch (step 11, 8 steps per epoch), as Ctrl-C would: the run saves and returns.
    expect(await first.run({ shouldStop: () => first.trainer.state.step === 11, save: () => first.save(path) })).toBe('stopped');
    const resumed = TrainingSession.resume(tinyTask, path, {});
    expect(resumed.trainer.state.step).toBe(11);
    await resumed.run({ save: () => resumed.save(path) });

    expect(weights(resumed)).toEqual(weights(full));
    for (const p of resumed.trainer.params) expect(Buffer.from(p.data.buffer).equals(Buffer.from(full.trainer.params.find((q) => q.name === p.name)!.data.buffer))).toBe(true);
    const opt = (s: TrainingSession) => Object.fromEntries(Object.entries(s.trainer.optimizer.stateTensors()).map(([k, t]) => [k, [...t.data]]));
    expect(opt(resumed)).toEqual(opt(full));
    expect(resumed.trainer.state.stepLoss).toEqual(full.trainer.state.stepLoss);
    expect(resumed.trainer.state.history.map((h) => h.validLoss)).toEqual(full.trainer.state.history.map((h) => h.validLoss));
  });

  it('checkpoints hold every weight, prefixed optimiser state and the metadata', async () => {
    const s = await TrainingSession.start(tinyTask, { ...hard, epochs: 1 }, false);
    const path = join(dir, 'one.safetensors');
    await s.run({ save: () => s.save(path) });
    const ck = loadCheckpoint(path);
    const names = [...ck.tensors.keys()];
    expect(names).toContain('weight_ih_l0');
    expect(names).toContain('weight_hh_l1');
    expect(names).toContain('head.weight');
    expect(names).toContain('adam.m.weight_ih_l0');
    expect(names).toContain('adam.v.head.bias');
    expect(ck.meta.step).toBe(8);
    expect(ck.meta.epoch).toBe(1);
    expect((ck.meta.cell as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((ck.meta.rng as { dropoutForwardCalls: number }).dropoutForwardCalls).toBeGreaterThan(0);
  });

  it('refuses a checkpoint whose tensor bytes were damaged, naming the file', async () => {
    const s = await TrainingSession.start(tinyTask, { epochs: 1 }, false);
    const path = join(dir, 'bad.safetensors');
    await s.run({ save: () => s.save(path) });
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x10; // inside the last tensor's data
    writeFileSync(path, bytes);
    expect(() => TrainingSession.resume(tinyTask, path, {})).toThrow(CellforgeError);
    expect(() => TrainingSession.resume(tinyTask, path, {})).toThrow(/bad\.safetensors: checkpoint is corrupt: its tensor data do not match the SHA-256/);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    expect(() => TrainingSession.resume(tinyTask, path, {})).toThrow(/bad\.safetensors: .*extend past the end of the data/);
  });

  it('refuses to resume with contradicting options', async () => {
    const s = await TrainingSession.start(tinyTask, { epochs: 1 }, false);
    const path = join(dir, 'opts.safetensors');
    await s.run({ save: () => s.save(path) });
    expect(() => TrainingSession.resume(tinyTask, path, { lr: 0.5 })).toThrow(/trained with lr = 0.02, but this run asks for 0.5/);
    expect(() => TrainingSession.resume(tinyTask, path, { epochs: 2 })).not.toThrow();
  });
});
