// torch.optim.SGD: d = g + wd·p; with momentum, buf = d on the first step, then buf = μ·buf + d; p -= lr·buf.
import type { Optimizer } from './optimizer.js';
import { takeState, type Grads, type Param } from './param.js';

export interface SGDOptions {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
}

export class SGD implements Optimizer {
  readonly kind = 'sgd' as const;
  step = 0;
  private buf = new Map<string, Float64Array>();

  constructor(
    private readonly params: readonly Param[],
    readonly options: SGDOptions,
  ) {}

  update(params: readonly Param[], grads: Grads, lrScale = 1): void {
    const { momentum, weightDecay } = this.options;
    const lr = this.options.lr * lrScale;
    for (const p of params) {
      const g = grads[p.name]!;
      const x = p.data;
      let buf = momentum !== 0 ? this.buf.get(p.name) : undefined;
      const first = momentum !== 0 && !buf;
      if (first) this.buf.set(p.name, (buf = new Float64Array(x.length)));
      for (let i = 0; i < x.length; i++) {
        let d = weightDecay !== 0 ? g[i]! + weightDecay * x[i]! : g[i]!;
        if (buf) d = buf[i] = first ? d : momentum * buf[i]! + d;
        x[i] = x[i]! - lr * d;
      }
    }
    this.step++;
  }

  stateTensors() {
    const out: Record<string, { shape: readonly number[]; data: Float64Array }> = {};
    if (this.options.momentum === 0 || this.step === 0) return out;
    for (const p of this.params) out[`sgd.momentum.${p.name}`] = { shape: p.shape, data: this.buf.get(p.name)! };
    return out;
  }

  loadStateTensors(tensors: ReadonlyMap<string, Float64Array>, step: number): void {
    this.step = step;
    this.buf = this.options.momentum === 0 || step === 0 ? new Map() : takeState('sgd.momentum.', this.params, tensors);
  }
}
