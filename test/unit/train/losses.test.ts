// Loss gradients, the linear head and the embedding against central finite differences in float64.
import { describe, expect, it } from 'vitest';
import { Random } from '../../../runtime/random.js';
import { Embedding } from '../../../runtime/train/embedding.js';
import { Linear } from '../../../runtime/train/linear.js';
import { lastSteps, meanSquaredError, scatterLastSteps, softmaxCrossEntropy } from '../../../runtime/train/losses.js';
import { zeroGrads } from '../../../runtime/train/param.js';

const rng = new Random(3, 0);
const randn = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-2, 2));

/** Central differences of f at x, element by element. */
function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h;
    const up = f(x);
    x[i] = v - h;
    const down = f(x);
    x[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

function expectClose(a: Float64Array, b: Float64Array, tol = 1e-7): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThan(tol);
}

describe('softmax cross-entropy', () => {
  it('gradient matches finite differences (mean over rows)', () => {
    const [N, C] = [5, 4];
    const logits = randn(N * C);
    const targets = Int32Array.of(0, 3, 1, 1, 2);
    const { grad } = softmaxCrossEntropy(logits, targets, C);
    expectClose(grad, numericGrad((x) => softmaxCrossEntropy(x, targets, C).loss, logits));
  });

  it('masked rows (padding) and negative ids do not count; the mean is over the rest', () => {
    const [N, C] = [4, 3];
    const logits = randn(N * C);
    const targets = Int32Array.of(2, 0, -1, 1);
    const mask = Float64Array.of(1, 0, 1, 1);
    const r = softmaxCrossEntropy(logits, targets, C, mask);
    expect(r.count).toBe(2);
    expect([...r.grad.subarray(C, 3 * C)].every((v) => v === 0)).toBe(true);
    expectClose(r.grad, numericGrad((x) => softmaxCrossEntropy(x, targets, C, mask).loss, logits));
    const only = softmaxCrossEntropy(Float64Array.of(...logits.subarray(0, C), ...logits.subarray(3 * C)), Int32Array.of(2, 1), C);
    expect(r.loss).toBeCloseTo(only.loss, 14);
  });

  it('loss of uniform logits is log C; accuracy counts the argmax', () => {
    const r = softmaxCrossEntropy(new Float64Array(6), Int32Array.of(0, 1), 3);
    expect(r.loss).toBeCloseTo(Math.log(3), 14);
    expect(softmaxCrossEntropy(Float64Array.of(5, 0, 0, 0, 0, 5), Int32Array.of(0, 1), 3).correct).toBe(1);
  });
});

describe('mean squared error', () => {
  it('gradient matches finite differences', () => {
    const pred = randn(6);
    const target = randn(6);
    expectClose(meanSquaredError(pred, target).grad, numericGrad((x) => meanSquaredError(x, target).loss, pred));
  });

  it('weights drop elements from the mean', () => {
    const r = meanSquaredError(Float64Array.of(1, 5), Float64Array.of(0, 0), Float64Array.of(1, 0));
    expect(r.loss).toBe(1);
    expect([...r.grad]).toEqual([2, 0]);
  });
});

describe('Linear head', () => {
  it('backward matches finite differences for input, weight and bias', () => {
    const [N, I, O] = [3, 4, 2];
    const lin = new Linear(I, O, new Random(1, 0));
    const x = randn(N * I);
    const w = randn(N * O); // loss = Σ w ⊙ y
    const loss = () => lin.forward(x, N).reduce((s, y, i) => s + y * w[i]!, 0);
    const grads = zeroGrads(lin.params());
    const dx = lin.backward(x, w, N, grads);
    expectClose(dx, numericGrad(() => loss(), x));
    expectClose(grads['head.weight']!, numericGrad(() => loss(), lin.weight.data));
    expectClose(grads['head.bias']!, numericGrad(() => loss(), lin.bias.data));
  });

  it("uses nn.Linear's default init bound 1/sqrt(fan_in)", () => {
    const lin = new Linear(25, 10, new Random(2, 0));
    const all = [...lin.weight.data, ...lin.bias.data];
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.15);
  });
});

describe('Embedding', () => {
  it('looks rows up, zero for padding, and scatter-adds gradients', () => {
    const emb = new Embedding(5, 3, new Random(4, 0));
    const ids = Int32Array.of(2, -1, 2, 4);
    const out = emb.forward(ids);
    expect([...out.subarray(0, 3)]).toEqual([...emb.weight.data.subarray(6, 9)]);
    expect([...out.subarray(3, 6)]).toEqual([0, 0, 0]);
    const grads = zeroGrads(emb.params());
    emb.backward(ids, Float64Array.from({ length: 12 }, (_, i) => i), grads);
    expect([...grads['embedding.weight']!.subarray(6, 9)]).toEqual([0 + 6, 1 + 7, 2 + 8]);
    expect([...grads['embedding.weight']!.subarray(12, 15)]).toEqual([9, 10, 11]);
    expect(grads['embedding.weight']!.subarray(0, 6).every((v) => v === 0)).toBe(true);
  });
});

describe('last-step readout', () => {
  it('scatterLastSteps is the adjoint of lastSteps', () => {
    const [T, B, F] = [4, 3, 2];
    const lengths = Int32Array.of(4, 1, 2);
    const out = randn(T * B * F);
    const g = randn(B * F);
    const a = lastSteps(out, lengths, F).reduce((s, v, i) => s + v * g[i]!, 0);
    const b = scatterLastSteps(g, lengths, T, F).reduce((s, v, i) => s + v * out[i]!, 0);
    expect(a).toBeCloseTo(b, 12);
    expect([...lastSteps(out, lengths, F).subarray(2, 4)]).toEqual([...out.subarray((0 * B + 1) * F, (0 * B + 1) * F + 2)]);
  });
});
