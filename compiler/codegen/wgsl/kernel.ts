// What every cellforge WGSL kernel starts with: the arena, the per-step uniform, and scalar helpers.

export const kernelHeader = `struct Step { s: i32, reverse: i32, truncate: i32, pad: i32 }
@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<uniform> seq: Step;

fn sigmoid(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
fn tanh_safe(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
fn softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }`;

/** A float literal WGSL reads as f32 (`1.0`, `(-0.5)`, `1e-05`). */
export function wgslNumber(v: number): string {
  if (!Number.isFinite(v)) return v !== v ? '(0.0 / 0.0)' : v > 0 ? '3.4028235e38' : '(-3.4028235e38)';
  let s = String(v);
  if (/^-?\d+$/.test(s)) s += '.0';
  return v < 0 ? `(${s})` : s;
}
