import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** LSTM, as torch.nn.LSTM: gates i, f, g, o stacked in weight_ih [4H, X] and weight_hh [4H, H]. */
export default cell({ state: ['h', 'c'] }, (x, { h, c }) => {
  const [xi, xf, xg, xo] = linear('ih', x, 4);
  const [hi, hf, hg, ho] = linear('hh', h, 4);
  const i = sigmoid(xi + hi);
  const f = sigmoid(xf + hf);
  const g = tanh(xg + hg);
  const o = sigmoid(xo + ho);
  const c2 = f * c + i * g;
  return { h: o * tanh(c2), c: c2 };
});
