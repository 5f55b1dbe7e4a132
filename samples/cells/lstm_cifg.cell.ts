import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** Coupled input-forget gate LSTM (CIFG, Greff et al. 2017): gates i, g, o, and the forget gate is f = 1 − i. */
export default cell({ state: ['h', 'c'] }, (x, { h, c }) => {
  const [xi, xg, xo] = linear('ih', x, 3);
  const [hi, hg, ho] = linear('hh', h, 3);
  const i = sigmoid(xi + hi);
  const g = tanh(xg + hg);
  const o = sigmoid(xo + ho);
  const c2 = (1 - i) * c + i * g;
  return { h: o * tanh(c2), c: c2 };
});
