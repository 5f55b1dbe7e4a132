// Losses with their gradients: softmax cross-entropy (optionally weighted per row) and mean squared error.

export interface LossResult {
  /** The mean loss over the counted rows (cross-entropy) or elements (MSE). */
  readonly loss: number;
  /** dLoss/dInput, shaped like the input. */
  readonly grad: Float64Array;
  /** Rows counted (weight > 0) and, for cross-entropy, how many of them the argmax got right. */
  readonly count: number;
  readonly correct: number;
}

/**
 * nn.CrossEntropyLoss over logits [N, C] and class ids [N], averaged over rows with weight > 0 (a weight is a
 * mask value: 0 drops a padded step; `weights` default to all ones). A class id < 0 is ignored like weight 0.
 */
export function softmaxCrossEntropy(logits: Float64Array, targets: Int32Array, classes: number, weights?: Float64Array): LossResult {
  const N = targets.length;
  const grad = new Float64Array(N * classes);
  let total = 0;
  let wsum = 0;
  let count = 0;
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const w = targets[n]! < 0 ? 0 : (weights?.[n] ?? 1);
    if (w === 0) continue;
    const row = n * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (logits[row + c]! > max) {
        max = logits[row + c]!;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    const logZ = max + Math.log(sum);
    const t = targets[n]!;
    total += w * (logZ - logits[row + t]!);
    for (let c = 0; c < classes; c++) grad[row + c] = w * Math.exp(logits[row + c]! - logZ);
    grad[row + t]! -= w;
    wsum += w;
    count++;
    if (arg === t) correct++;
  }
  if (wsum > 0) for (let i = 0; i < grad.length; i++) grad[i]! /= wsum;
  return { loss: wsum > 0 ? total / wsum : 0, grad, count, correct };
}

/** nn.MSELoss (mean over all elements), optionally only over elements whose weight is non-zero. */
export function meanSquaredError(pred: Float64Array, target: Float64Array, weights?: Float64Array): LossResult {
  const grad = new Float64Array(pred.length);
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < pred.length; i++) {
    const w = weights?.[i] ?? 1;
    if (w === 0) continue;
    const d = pred[i]! - target[i]!;
    total += w * d * d;
    grad[i] = 2 * w * d;
    wsum += w;
  }
  if (wsum > 0) for (let i = 0; i < grad.length; i++) grad[i]! /= wsum;
  return { loss: wsum > 0 ? total / wsum : 0, grad, count: wsum, correct: 0 };
}

/** The output at each example's last valid step: output [T, B, F] -> [B, F]. */
export function lastSteps(output: Float64Array, lengths: Int32Array, features: number): Float64Array {
  const B = lengths.length;
  const out = new Float64Array(B * features);
  for (let b = 0; b < B; b++) {
    const t = lengths[b]! - 1;
    out.set(output.subarray((t * B + b) * features, (t * B + b + 1) * features), b * features);
  }
  return out;
}

/** The adjoint of `lastSteps`: [B, F] gradients placed at each example's last valid step of a zero [T, B, F]. */
export function scatterLastSteps(grad: Float64Array, lengths: Int32Array, steps: number, features: number): Float64Array {
  const B = lengths.length;
  const out = new Float64Array(steps * B * features);
  for (let b = 0; b < B; b++) {
    const t = lengths[b]! - 1;
    out.set(grad.subarray(b * features, (b + 1) * features), (t * B + b) * features);
  }
  return out;
}
