import { cell, layerNorm, linear, sigmoid, split, tanh } from 'cellforge/dsl';

/** Layer-normalised LSTM (Ba et al. 2016): LN of each projection (whose bias_ln_* acts as the gate bias), and LN of the new cell state. */
export default cell({ state: ['h', 'c'] }, (x, { h, c }) => {
  const gates = layerNorm('ln_ih', linear('ih', x, 4, { bias: false })) + layerNorm('ln_hh', linear('hh', h, 4, { bias: false }));
  const [i, f, g, o] = split(gates, 4);
  const c2 = sigmoid(f) * c + sigmoid(i) * tanh(g);
  return { h: sigmoid(o) * tanh(layerNorm('ln_c', c2)), c: c2 };
});
