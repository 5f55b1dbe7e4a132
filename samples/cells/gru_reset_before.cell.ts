import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** GRU with the reset gate applied before the hidden matmul: ONNX's default (linear_before_reset = 0) and the articles' form. */
export default cell({ state: ['h'] }, (x, { h }) => {
  const [xr, xz, xn] = linear('ih', x, 3);
  const [hr, hz, ,] = linear('hh', h, 3); // chunk n is taken from W_hh·(r ⊙ h) below
  const r = sigmoid(xr + hr);
  const z = sigmoid(xz + hz);
  const [, , hn] = linear('hh', r * h, 3); // the same weight_hh and bias_hh, applied to r ⊙ h
  const n = tanh(xn + hn);
  return { h: (1 - z) * n + z * h };
});
