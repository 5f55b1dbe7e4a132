// Optimiser steps and gradient clipping against values computed by hand from PyTorch's update formulas.
import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from '../../../runtime/train/clip.js';
import { createOptimizer } from '../../../runtime/train/optimizer.js';
import type { Param } from '../../../runtime/train/param.js';

const param = (name: string, values: number[]): Param => ({ name, shape: [values.length], data: Float64Array.from(values) });

describe('SGD', () => {
  it('plain: p -= lr * g', () => {
    const p = param('w', [1, -2]);
    createOptimizer('sgd', [p], { lr: 0.1 }).update([p], { w: Float64Array.of(0.5, -1) });
    expect([...p.data]).toEqual([1 - 0.05, -2 + 0.1]);
  });

  it('momentum: the buffer starts as the first gradient, then buf = mu*buf + g', () => {
    const p = param('w', [1]);
    const opt = createOptimizer('sgd', [p], { lr: 0.1, momentum: 0.9 });
    opt.update([p], { w: Float64Array.of(2) }); // buf = 2, p = 1 - 0.2 = 0.8
    expect(p.data[0]).toBeCloseTo(0.8, 15);
    opt.update([p], { w: Float64Array.of(1) }); // buf = 0.9*2 + 1 = 2.8, p = 0.8 - 0.28 = 0.52
    expect(p.data[0]).toBeCloseTo(0.52, 15);
    expect([...opt.stateTensors()['sgd.momentum.w']!.data]).toEqual([2.8]);
  });

  it('weight decay adds wd * p to the gradient', () => {
    const p = param('w', [2]);
    createOptimizer('sgd', [p], { lr: 0.5, weightDecay: 0.1 }).update([p], { w: Float64Array.of(1) });
    expect(p.data[0]).toBeCloseTo(2 - 0.5 * (1 + 0.2), 15); // 1.4
  });
});

describe('Adam', () => {
  it('first step moves every weight by lr against the sign of its gradient (bias-corrected)', () => {
    const p = param('w', [1, 1]);
    createOptimizer('adam', [p], { lr: 0.01 }).update([p], { w: Float64Array.of(0.3, -4) });
    // m̂ = g, v̂ = g², step = lr * g / (|g| + eps)
    expect(p.data[0]).toBeCloseTo(1 - 0.01 * (0.3 / (0.3 + 1e-8)), 15);
    expect(p.data[1]).toBeCloseTo(1 + 0.01 * (4 / (4 + 1e-8)), 15);
  });

  it('second step, by hand', () => {
    const p = param('w', [0.5]);
    const opt = createOptimizer('adam', [p], { lr: 0.1, betas: [0.9, 0.999] });
    opt.update([p], { w: Float64Array.of(1) });
    opt.update([p], { w: Float64Array.of(-2) });
    let x = 0.5;
    let m = 0.1 * 1;
    let v = 0.001 * 1;
    x -= (0.1 / (1 - 0.9)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999) + 1e-8));
    m = m + 0.1 * (-2 - m); // -0.11
    v = 0.999 * v + 0.001 * 4; // 0.004999
    x -= (0.1 / (1 - 0.81)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8));
    expect(m).toBeCloseTo(-0.11, 15);
    expect(p.data[0]).toBeCloseTo(x, 14);
    const st = opt.stateTensors();
    expect(st['adam.m.w']!.data[0]).toBeCloseTo(-0.11, 15);
    expect(st['adam.v.w']!.data[0]).toBeCloseTo(0.004999, 15);
    expect(opt.step).toBe(2);
  });

  it('Adam weight decay is L2 (added to the gradient); AdamW decays the weight itself', () => {
    const a = param('w', [2]);
    createOptimizer('adam', [a], { lr: 0.1, weightDecay: 0.5 }).update([a], { w: Float64Array.of(0) });
    // g = 0 + 0.5*2 = 1 -> first step moves by lr
    expect(a.data[0]).toBeCloseTo(2 - 0.1 * (1 / (1 + 1e-8)), 14);
    const w = param('w', [2]);
    createOptimizer('adamw', [w], { lr: 0.1, weightDecay: 0.5 }).update([w], { w: Float64Array.of(0) });
    // p *= 1 - lr*wd -> 1.9; g = 0 -> no Adam move
    expect(w.data[0]).toBeCloseTo(1.9, 15);
  });

  it('AdamW defaults to weight decay 0.01 like torch.optim.AdamW', () => {
    const w = param('w', [1]);
    createOptimizer('adamw', [w], { lr: 1 }).update([w], { w: Float64Array.of(0) });
    expect(w.data[0]).toBeCloseTo(0.99, 15);
  });

  it('state round-trips through stateTensors / loadStateTensors', () => {
    const p = param('w', [1, 2, 3]);
    const a = createOptimizer('adam', [p], { lr: 0.1 });
    a.update([p], { w: Float64Array.of(1, 2, 3) });
    const saved = new Map(Object.entries(a.stateTensors()).map(([k, t]) => [k, Float64Array.from(t.data)]));
    const q = param('w', [...p.data]);
    const b = createOptimizer('adam', [q], { lr: 0.1 });
    b.loadStateTensors(saved, a.step);
    a.update([p], { w: Float64Array.of(-1, 0.5, 2) });
    b.update([q], { w: Float64Array.of(-1, 0.5, 2) });
    expect([...q.data]).toEqual([...p.data]);
    expect(() => b.loadStateTensors(new Map(), 1)).toThrow(/optimizer state 'adam.m.w' is missing/);
  });
});

describe('gradient clipping', () => {
  it('by global norm: rescales all gradients by max/(norm + 1e-6) and returns the norm', () => {
    const g = { a: Float64Array.of(3, 0), b: Float64Array.of(0, 4) }; // norm 5
    expect(clipGradNorm(g, 1)).toBe(5);
    const c = 1 / (5 + 1e-6);
    expect([...g.a]).toEqual([3 * c, 0]);
    expect([...g.b]).toEqual([0, 4 * c]);
  });

  it('by global norm: leaves small gradients alone', () => {
    const g = { a: Float64Array.of(0.3, 0.4) };
    expect(clipGradNorm(g, 1)).toBeCloseTo(0.5, 15);
    expect([...g.a]).toEqual([0.3, 0.4]);
  });

  it('by value: clamps each element', () => {
    const g = { a: Float64Array.of(-3, 0.2, 7) };
    clipGradValue(g, 1);
    expect([...g.a]).toEqual([-1, 0.2, 1]);
  });
});
