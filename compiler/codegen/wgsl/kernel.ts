// What every cellforge WGSL kernel starts with: the arena, the per-step and per-site uniforms, scalar helpers.
//
// Kernel sources depend only on the cell and on X and H, never on B, T or where tensors sit in the arena:
// those come from the `site` uniform at run time, so one compiled pipeline serves every batch and length.

/** Ints of a site slot: 256 vec4<i32> = 4 KiB (a multiple of the 256-byte dynamic-offset alignment). */
export const SITE_INTS = 1024;
/** Slot 0 is the layout: [B, T, T·B, 0, offset of region 0, offset of region 1, ...]. */
export const LAYOUT_HEADER = 4;

export const kernelHeader = `struct Step { s: i32, reverse: i32, truncate: i32, pad: i32 }
struct Site { v: array<vec4<i32>, ${SITE_INTS / 4}> }
@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<uniform> seq: Step;
@group(0) @binding(2) var<uniform> site: Site;

fn sigmoid(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
fn tanh_safe(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
fn softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }`;

/** Int k of the current site slot, as a WGSL expression. */
export function siteInt(k: number): string {
  return `site.v[${k >> 2}].${'xyzw'[k & 3]}`;
}

export const batchExpr = siteInt(0);
export const rowsExpr = siteInt(2);

/** The arena offset of region number r (from the layout slot). */
export function regionExpr(r: number): string {
  return siteInt(LAYOUT_HEADER + r);
}

/** A float literal WGSL reads as f32 (`1.0`, `(-0.5)`, `1e-05`). */
export function wgslNumber(v: number): string {
  if (!Number.isFinite(v)) return v !== v ? '(0.0 / 0.0)' : v > 0 ? '3.4028235e38' : '(-3.4028235e38)';
  let s = String(v);
  if (/^-?\d+$/.test(s)) s += '.0';
  return v < 0 ? `(${s})` : s;
}
