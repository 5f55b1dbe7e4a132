// torch.optim.Adam and AdamW (single-tensor path), formula for formula, so runs match PyTorch's closely.
import type { Optimizer } from './optimizer.js';
import { takeState, type Grads, type Param } from './param.js';

export interface AdamOptions {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** AdamW: p *= 1 - lr·wd before the step, instead of adding wd·p to the gradient (Adam's L2). */
  readonly decoupled: boolean;
}

export class Adam implements Optimizer {
  readonly kind: 'adam' | 'adamw';
  step = 0;
  private m = new Map<string, Float64Array>();
  private v = new Map<string, Float64Array>();

  constructor(
    private readonly params: readonly Param[],
    readonly options: AdamOptions,
  ) {
    this.kind = options.decoupled ? 'adamw' : 'adam';
    for (const p of params) {
      this.m.set(p.name, new Float64Array(p.data.length));
      this.v.set(p.name, new Float64Array(p.data.length));
    }
  }

  update(params: readonly Param[], grads: Grads, lrScale = 1): void {
    const { betas: [b1, b2], eps, weightDecay: wd, decoupled } = this.options;
    const lr = this.options.lr * lrScale;
    const t = ++this.step;
    const bc1 = 1 - b1 ** t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const stepSize = lr / bc1;
    for (const p of params) {
      const g0 = grads[p.name]!;
      const x = p.data;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      for (let i = 0; i < x.length; i++) {
        let g = g0[i]!;
        if (wd !== 0) {
          if (decoupled) x[i] = x[i]! * (1 - lr * wd);
          else g = g + wd * x[i]!;
        }
        // exp_avg.lerp_(grad, 1 - β1): torch computes m + w·(g - m) for w < 0.5.
        m[i] = m[i]! + (1 - b1) * (g - m[i]!);
        v[i] = v[i]! * b2 + (1 - b2) * g * g;
        const denom = Math.sqrt(v[i]!) / bc2Sqrt + eps;
        x[i] = x[i]! - stepSize * (m[i]! / denom);
      }
    }
  }

  stateTensors() {
    const out: Record<string, { shape: readonly number[]; data: Float64Array }> = {};
    for (const p of this.params) {
      out[`${this.kind}.m.${p.name}`] = { shape: p.shape, data: this.m.get(p.name)! };
      out[`${this.kind}.v.${p.name}`] = { shape: p.shape, data: this.v.get(p.name)! };
    }
    return out;
  }

  loadStateTensors(tensors: ReadonlyMap<string, Float64Array>, step: number): void {
    this.step = step;
    this.m = takeState(`${this.kind}.m.`, this.params, tensors);
    this.v = takeState(`${this.kind}.v.`, this.params, tensors);
  }
}
