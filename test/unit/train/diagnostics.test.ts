// The report's diagnostics: the per-step gradient norms against a case solvable by hand, and gate saturation.
import { describe, expect, it } from 'vitest';
import { builtinCell, type Tensor } from '../../../index.js';
import type { Example } from '../../../runtime/train/batch.js';
import { gradientFlow, probedSteps } from '../../../runtime/train/gradient-flow.js';
import { SequenceModel, type ModelConfig } from '../../../runtime/train/model.js';
import { gateSaturation } from '../../../runtime/train/saturation.js';

const [T, X, H] = [6, 2, 3];
const config: ModelConfig = {
  inputSize: X, hiddenSize: H, numLayers: 1, bidirectional: false, dropout: 0, variationalDropout: false,
  outputs: 1, readout: 'last', loss: 'mse', init: 'default', backend: 'reference', seed: 1,
};
const examples: Example[] = [0, 1].map((k) => ({
  length: T,
  features: Float64Array.from({ length: T * X }, (_, i) => 0.1 + ((i * 7 + k) % 5) / 5),
  values: Float64Array.of(3 + k),
}));

/** rnn_relu with W_hh = a·I and positive inputs, weights and biases: h_{t+1} = W_ih x + b + a h_t on every step. */
function linearRegime(a: number): SequenceModel {
  const m = new SequenceModel(builtinCell('rnn_relu'), config);
  const t = (data: number[], shape: number[]): Tensor => ({ data: Float64Array.from(data), shape });
  m.rnn.loadStateDict({
    weight_ih_l0: t(Array.from({ length: H * X }, (_, i) => 0.2 + 0.1 * i), [H, X]),
    weight_hh_l0: t(Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? a : 0)), [H, H]),
    bias_ih_l0: t([0.1, 0.2, 0.3], [H]),
    bias_hh_l0: t([0, 0, 0], [H]),
  });
  return m;
}

describe('gradient flow ‖∂L/∂h_t‖', () => {
  it('decays exactly as a^(T-1-t) when ∂h_{t+1}/∂h_t = a·I', async () => {
    const flow = (await gradientFlow(linearRegime(0.5), examples))!;
    const h = flow.norms.h!;
    expect(flow.steps).toBe(T);
    expect(h[T - 1]).toBeGreaterThan(0);
    for (let t = 0; t < T; t++) expect(h[t]! / h[T - 1]!).toBeCloseTo(0.5 ** (T - 1 - t), 12);
  });

  it('probes long sequences at 64 spread steps, still exactly', async () => {
    expect(probedSteps(785)).toHaveLength(64);
    expect(probedSteps(785)[0]).toBe(0);
    expect(probedSteps(785).at(-1)).toBe(783);
    const L = 90;
    const long: Example[] = [0, 1].map((k) => ({ length: L, features: Float64Array.from({ length: L * X }, (_, i) => 0.1 + ((i * 7 + k) % 5) / 5), values: Float64Array.of(3 + k) }));
    const h = (await gradientFlow(linearRegime(0.9), long))!.norms.h!;
    const probed = new Set(probedSteps(L));
    for (let t = 0; t < L - 1; t++) {
      if (probed.has(t)) expect(h[t]! / h[L - 1]!).toBeCloseTo(0.9 ** (L - 1 - t), 10);
      else expect(h[t]).toBeNaN();
    }
  });

  it('is zero before the last step when the recurrent weight is zero', async () => {
    const h = (await gradientFlow(linearRegime(0), examples))!.norms.h!;
    expect(h.slice(0, T - 1).every((v) => v === 0)).toBe(true);
    expect(h[T - 1]).toBeGreaterThan(0);
  });

  it('reports every state of a multi-state cell, and leaves the dropout counter alone', async () => {
    const m = new SequenceModel(builtinCell('lstm'), config);
    const before = m.forwardCalls;
    const flow = (await gradientFlow(m, examples))!;
    expect(Object.keys(flow.norms)).toEqual(['h', 'c']);
    expect(flow.norms.c!.slice(0, T - 1).every((v) => v > 0)).toBe(true);
    expect(m.forwardCalls).toBe(before);
  });
});

describe('gate saturation from the IR', () => {
  it('names every sigmoid and tanh value of the LSTM by its cell variable', async () => {
    const stats = (await gateSaturation(new SequenceModel(builtinCell('lstm'), config), examples))!;
    expect(stats.map((s) => s.gate)).toEqual(['i', 'f', 'g', 'o', 'tanh(c2)']);
    expect(stats.map((s) => s.fn)).toEqual(['sigmoid', 'sigmoid', 'tanh', 'sigmoid', 'tanh']);
    for (const s of stats) {
      expect(s.low + s.high).toBeLessThanOrEqual(1);
      expect(s.mean).toBeGreaterThan(s.fn === 'sigmoid' ? 0 : -1);
    }
  });

  it('measures cells it has never seen (MGU, layer-normalised LSTM) and every layer of a stack', async () => {
    const mgu = (await gateSaturation(new SequenceModel(builtinCell('mgu'), config), examples))!;
    expect(mgu.map((s) => s.gate)).toEqual(['f', 'tanh(xn + hn)']);
    const ln = (await gateSaturation(new SequenceModel(builtinCell('lstm_layernorm'), config), examples))!;
    expect(ln.map((s) => s.gate)).toEqual(expect.arrayContaining(['sigmoid(f)', 'sigmoid(i)', 'tanh(g)', 'sigmoid(o)']));
    const stacked = (await gateSaturation(new SequenceModel(builtinCell('gru'), { ...config, numLayers: 2 }), examples))!;
    expect(stacked.map((s) => s.gate)).toEqual(['layer 1: r', 'layer 1: z', 'layer 1: n', 'layer 2: r', 'layer 2: z', 'layer 2: n']);
  });

  it("agrees with the RNN's own outputs: rnn_tanh's one tanh value is h", async () => {
    const m = new SequenceModel(builtinCell('rnn_tanh'), config);
    const [stat] = (await gateSaturation(m, examples))!;
    expect(stat!.gate).toBe('new h'); // unnamed in the source: named by the state it becomes
    const batch = m.batchOf(examples);
    const { output } = await m.rnn.forward({ data: m.inputOf(batch), shape: [T, 2, X] });
    const h = Array.from(output.data as ArrayLike<number>);
    expect(stat!.mean).toBeCloseTo(h.reduce((a, b) => a + b, 0) / h.length, 10);
    expect(stat!.high).toBeCloseTo(h.filter((v) => v > 0.95).length / h.length, 12);
  });
});
