// Dropout between stacked layers, seen through RNN itself: two rnn_relu layers wired as identities make the
// second layer's output equal the dropout mask applied to an all-ones first-layer output.
import { describe, expect, it } from 'vitest';
import { builtinCell, RNN, type Tensor } from '../../../index.js';

const [T, B, H] = [6, 3, 4];

function identityStack(opts: { dropout: number; variational: boolean; backend: 'js' | 'reference' }): RNN {
  const rnn = new RNN(builtinCell('rnn_relu'), { inputSize: H, hiddenSize: H, numLayers: 2, dropout: opts.dropout, variationalDropout: opts.variational, backend: opts.backend, seed: 5 });
  const eye = Float64Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? 1 : 0));
  const w: Record<string, Tensor> = {};
  for (const l of [0, 1]) {
    w[`weight_ih_l${l}`] = { data: eye, shape: [H, H] };
    w[`weight_hh_l${l}`] = { data: new Float64Array(H * H), shape: [H, H] };
    w[`bias_ih_l${l}`] = { data: new Float64Array(H), shape: [H] };
    w[`bias_hh_l${l}`] = { data: new Float64Array(H), shape: [H] };
  }
  rnn.loadStateDict(w);
  return rnn;
}

const ones = { data: new Float64Array(T * B * H).fill(1), shape: [T, B, H] };

/** The [B*H] mask slice at step t. */
const step = (out: Tensor, t: number) => [...out.data.subarray(t * B * H, (t + 1) * B * H)];

describe.each(['js', 'reference'] as const)('dropout through RNN (%s backend)', (backend) => {
  it('variational: one mask for every timestep, values 0 or 1/(1-p)', async () => {
    const rnn = identityStack({ dropout: 0.5, variational: true, backend });
    const { output } = await rnn.forward(ones);
    const first = step(output, 0);
    expect(new Set(first)).toEqual(new Set([0, 2]));
    for (let t = 1; t < T; t++) expect(step(output, t)).toEqual(first);
  });

  it('standard: a fresh mask per step, and a fresh one per forward call', async () => {
    const rnn = identityStack({ dropout: 0.5, variational: false, backend });
    const a = (await rnn.forward(ones)).output;
    const steps = Array.from({ length: T }, (_, t) => step(a, t).join());
    expect(new Set(steps).size).toBeGreaterThan(1);
    const b = (await rnn.forward(ones)).output;
    expect([...b.data]).not.toEqual([...a.data]);
  });

  it('evaluation mode: no dropout at all', async () => {
    const rnn = identityStack({ dropout: 0.5, variational: true, backend }).eval();
    const { output } = await rnn.forward(ones);
    expect([...output.data].every((v) => v === 1)).toBe(true);
  });
});
