import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** The articles' simplified GRU: an update gate only, which weights the candidate: h' = z·n + (1 − z)·h. */
export default cell({ state: ['h'] }, (x, { h }) => {
  const [xz, xn] = linear('ih', x, 2);
  const [hz, hn] = linear('hh', h, 2);
  const z = sigmoid(xz + hz);
  const n = tanh(xn + hn);
  return { h: z * n + (1 - z) * h };
});
