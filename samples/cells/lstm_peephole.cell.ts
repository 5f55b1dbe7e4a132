import { cell, linear, param, sigmoid, tanh } from 'cellforge/dsl';

/** Peephole LSTM (Gers & Schmidhuber 2000): the gates also see the cell state through diagonal weights peephole_i, peephole_f, peephole_o. */
export default cell({ state: ['h', 'c'] }, (x, { h, c }) => {
  const [xi, xf, xg, xo] = linear('ih', x, 4);
  const [hi, hf, hg, ho] = linear('hh', h, 4);
  const i = sigmoid(xi + hi + param('peephole_i') * c);
  const f = sigmoid(xf + hf + param('peephole_f') * c);
  const g = tanh(xg + hg);
  const c2 = f * c + i * g;
  const o = sigmoid(xo + ho + param('peephole_o') * c2); // the output gate peeks at the new cell state
  return { h: o * tanh(c2), c: c2 };
});
