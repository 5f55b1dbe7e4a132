import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** GRU, as torch.nn.GRU (and cuDNN): gates r, z, n; the reset gate is applied after the hidden matmul. */
export default cell({ state: ['h'] }, (x, { h }) => {
  const [xr, xz, xn] = linear('ih', x, 3); // weight_ih [3H, X] and bias_ih [3H], chunks r, z, n
  const [hr, hz, hn] = linear('hh', h, 3); // weight_hh [3H, H] and bias_hh [3H]
  const r = sigmoid(xr + hr);
  const z = sigmoid(xz + hz);
  const n = tanh(xn + r * hn);
  return { h: (1 - z) * n + z * h };
});
