import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** Minimal gated unit (Zhou et al. 2016): one forget gate f, which also resets the candidate: h' = (1 − f)·h + f·tanh(W_n x + W_n' (f ⊙ h)). */
export default cell({ state: ['h'] }, (x, { h }) => {
  const [xf, xn] = linear('ih', x, 2);
  const [hf, ,] = linear('hh', h, 2);
  const f = sigmoid(xf + hf);
  const [, hn] = linear('hh', f * h, 2); // the same weight_hh, applied to f ⊙ h
  return { h: (1 - f) * h + f * tanh(xn + hn) };
});
