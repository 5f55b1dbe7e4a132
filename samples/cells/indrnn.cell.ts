import { cell, linear, param, relu } from 'cellforge/dsl';

/** IndRNN (Li et al. 2018): each unit sees only its own past, h' = relu(W_ih·x + b_ih + w_hh ⊙ h); weight_hh is a vector [H], not a matrix. */
export default cell({ state: ['h'] }, (x, { h }) => {
  return { h: relu(linear('ih', x) + param('weight_hh') * h) };
});
