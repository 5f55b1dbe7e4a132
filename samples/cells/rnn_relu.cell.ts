import { cell, linear, relu } from 'cellforge/dsl';

/** Elman RNN with ReLU, as torch.nn.RNN(nonlinearity='relu'): h' = relu(W_ih·x + b_ih + W_hh·h + b_hh). */
export default cell({ state: ['h'] }, (x, { h }) => {
  return { h: relu(linear('ih', x) + linear('hh', h)) };
});
