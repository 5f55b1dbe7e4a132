// How the gradient of a last-step loss reaches earlier states: ‖∂L/∂s_t‖ for every step t and every state s.
//
// Method (exact, no approximation): the state s_t at step t is the final state of the RNN run on the prefix
// x_0..x_t (one batched forward, each replica with its own `lengths`); ∂L/∂s_t is the gradient of the initial state
// of the RNN run on the suffix x_{t+1}..x_{T-1} starting from s_t (one batched forward and backward, read from
// dStates). For a multi-state cell such as the LSTM, ∂L/∂h_t is the partial derivative with the other states
// (c_t) held fixed, which is the gradient BPTT carries in the h channel. Unidirectional models only.
import { lastSteps, meanSquaredError, scatterLastSteps, softmaxCrossEntropy } from './losses.js';
import type { Example } from './batch.js';
import type { SequenceModel } from './model.js';
import { zeroGrads } from './param.js';
import { toFloat64 } from '../tensor.js';

export interface GradientFlow {
  /** Sequence length probed. */
  readonly steps: number;
  /** How many test sequences the norms are averaged over. */
  readonly examples: number;
  /**
   * Per state name, per step t = 0..T-1: the mean over the probe examples of ‖∂L/∂s_t‖₂ (top layer). Long sequences
   * are probed at up to MAX_PROBED steps spread over 0..T-2 (and T-1); the steps between are NaN (null in JSON).
   */
  readonly norms: Record<string, number[]>;
}

/**
 * The probe examples: test examples sharing the most common length (so that "the last step" is T-1), at most 16,
 * and fewer for long sequences and wide cells: the probe runs (T-1)·B replicas, kept to about 2^15 / H.
 */
export function probeExamples(examples: readonly Example[], hiddenSize: number, max = 16): Example[] {
  const counts = new Map<number, number>();
  for (const e of examples) counts.set(e.length, (counts.get(e.length) ?? 0) + 1);
  const [length] = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]!;
  const fit = Math.floor(32768 / (hiddenSize * Math.max(1, length - 1)));
  return examples.filter((e) => e.length === length).slice(0, Math.max(2, Math.min(max, fit)));
}

/** The gradient of the task loss on the last step only, with respect to the top layer's output there: [B, F]. */
function lastStepGradient(model: SequenceModel, examples: readonly Example[], topOutput: Float64Array): Float64Array {
  const B = examples.length;
  const F = model.rnn.outputSize;
  const T = examples[0]!.length;
  const h = lastSteps(topOutput, Int32Array.from(examples, () => T), F);
  const y = model.head.forward(h, B);
  const O = model.config.outputs;
  const last = model.config.readout === 'last';
  let grad: Float64Array;
  if (model.config.loss === 'cross-entropy') {
    grad = softmaxCrossEntropy(y, Int32Array.from(examples, (e) => e.classes![last ? 0 : T - 1]!), O).grad;
  } else {
    const target = new Float64Array(B * O);
    examples.forEach((e, b) => target.set(e.values!.subarray(last ? 0 : (T - 1) * O, (last ? 0 : (T - 1) * O) + O), b * O));
    grad = meanSquaredError(y, target).grad;
  }
  return model.head.backward(h, grad, B, zeroGrads(model.head.params()));
}

export async function gradientFlow(model: SequenceModel, examples: readonly Example[]): Promise<GradientFlow | undefined> {
  const rnn = model.rnn;
  const { numLayers: L, directions: D, hiddenSize: H } = rnn.config;
  // Bidirectional: the reverse direction breaks the prefix/suffix split. Dropout between layers would put random
  // masks into the suffix pass (it runs in training mode for backward), so the probe would not be of the model.
  if (D !== 1 || examples.length === 0 || (L > 1 && rnn.config.dropout > 0)) return undefined;
  const T = examples[0]!.length;
  const B = examples.length;
  const X = model.inputSize;
  const F = rnn.outputSize;
  const calls = model.forwardCalls;
  const wasTraining = rnn.training;
  const batch = model.batchOf(examples);
  const x = model.inputOf(batch);
  const states = rnn.cell.states;

  rnn.eval();
  const full = await rnn.forward({ data: x, shape: [T, B, X] });
  const dTop = lastStepGradient(model, examples, toFloat64(full.output));
  const norms: Record<string, number[]> = Object.fromEntries(states.map((s) => [s, new Array<number>(T).fill(0)]));
  // At t = T-1 the only path is through the head: ∂L/∂h_{T-1} = dTop, and other states do not reach the loss.
  norms[states[0]!]![T - 1] = meanRowNorm(dTop, B, H);

  if (T > 1) {
    const times = probedSteps(T);
    if (times.length < T - 1) for (const s of states) norms[s]!.fill(NaN, 0, T - 1);
    const R = times.length * B; // replica r = k*B + b: example b split after step times[k]
    const prefix = await rnn.forward({ data: replicate(x, T, B, X, times.length), shape: [T, R, X] }, { lengths: Int32Array.from({ length: R }, (_, r) => times[Math.floor(r / B)]! + 1) });
    const suffixX = new Float64Array((T - 1) * R * X);
    const lengths = new Int32Array(R);
    for (let r = 0; r < R; r++) {
      const [t, b] = [times[Math.floor(r / B)]!, r % B];
      lengths[r] = T - 1 - t;
      for (let s = t + 1; s < T; s++) suffixX.set(x.subarray((s * B + b) * X, (s * B + b + 1) * X), ((s - t - 1) * R + r) * X);
    }
    rnn.train();
    await rnn.forward({ data: suffixX, shape: [T - 1, R, X] }, { lengths, states: prefix.states });
    const dLast = new Float64Array(R * F);
    for (let r = 0; r < R; r++) dLast.set(dTop.subarray((r % B) * F, (r % B + 1) * F), r * F);
    const back = await rnn.backward({ data: scatterLastSteps(dLast, lengths, T - 1, F), shape: [T - 1, R, F] });
    for (const s of states) {
      const top = toFloat64(back.dStates[s]!).subarray((L - 1) * R * H, L * R * H);
      times.forEach((t, k) => (norms[s]![t] = meanRowNorm(top.subarray(k * B * H, (k + 1) * B * H), B, H)));
    }
  }
  rnn.train(wasTraining);
  model.forwardCalls = calls;
  return { steps: T, examples: B, norms };
}

const MAX_PROBED = 64;

/** The split points t (0..T-2) probed: all of them, or MAX_PROBED spread evenly for long sequences (pixel MNIST). */
export function probedSteps(T: number): number[] {
  if (T - 1 <= MAX_PROBED) return Array.from({ length: T - 1 }, (_, t) => t);
  return [...new Set(Array.from({ length: MAX_PROBED }, (_, k) => Math.round((k * (T - 2)) / (MAX_PROBED - 1))))];
}

/** [T, B, X] -> [T, copies*B, X], the batch repeated `copies` times. */
function replicate(x: Float64Array, T: number, B: number, X: number, copies: number): Float64Array {
  const out = new Float64Array(T * copies * B * X);
  for (let t = 0; t < T; t++) for (let c = 0; c < copies; c++) out.set(x.subarray(t * B * X, (t + 1) * B * X), (t * copies * B + c * B) * X);
  return out;
}

function meanRowNorm(a: Float64Array, rows: number, width: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < width; i++) s += a[r * width + i]! ** 2;
    total += Math.sqrt(s);
  }
  return total / rows;
}
