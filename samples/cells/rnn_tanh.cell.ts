import { cell, linear, tanh } from 'cellforge/dsl';

/** Elman RNN with tanh, as torch.nn.RNN(nonlinearity='tanh'): h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh). */
export default cell({ state: ['h'] }, (x, { h }) => {
  return { h: tanh(linear('ih', x) + linear('hh', h)) };
});
