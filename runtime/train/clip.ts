// Gradient clipping as torch.nn.utils: by global L2 norm (rescale all) and by value (clamp each).
import type { Grads } from './param.js';

/** clip_grad_norm_: scales every gradient by min(1, max/(norm + 1e-6)); returns the norm before clipping. */
export function clipGradNorm(grads: Grads, maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  if (coef < 1) for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i]! *= coef;
  return norm;
}

/** clip_grad_value_: clamps every gradient element into [-value, value]. */
export function clipGradValue(grads: Grads, value: number): void {
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] = Math.min(value, Math.max(-value, g[i]!));
}

/** √(Σ g²) over all gradients together. */
export function globalNorm(grads: Grads): number {
  let sum = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
}
