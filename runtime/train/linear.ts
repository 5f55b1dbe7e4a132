// The output projection y = x·Wᵀ + b (nn.Linear): weight [O, I], bias [O], over N rows at once.
import { Random } from '../random.js';
import { fillUniform, linearDefaultBound } from './init.js';
import type { Grads, Param } from './param.js';

export class Linear {
  readonly weight: Param;
  readonly bias: Param;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Random,
    readonly prefix = 'head',
  ) {
    const bound = linearDefaultBound(inFeatures);
    this.weight = { name: `${prefix}.weight`, shape: [outFeatures, inFeatures], data: fillUniform(new Float64Array(outFeatures * inFeatures), bound, rng) };
    this.bias = { name: `${prefix}.bias`, shape: [outFeatures], data: fillUniform(new Float64Array(outFeatures), bound, rng) };
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }

  /** x [N, I] -> [N, O]. */
  forward(x: Float64Array, rows: number): Float64Array {
    const [I, O] = [this.inFeatures, this.outFeatures];
    const w = this.weight.data;
    const y = new Float64Array(rows * O);
    for (let n = 0; n < rows; n++) {
      const xo = n * I;
      for (let o = 0; o < O; o++) {
        let s = this.bias.data[o]!;
        const wo = o * I;
        for (let i = 0; i < I; i++) s += w[wo + i]! * x[xo + i]!;
        y[n * O + o] = s;
      }
    }
    return y;
  }

  /** dy [N, O] -> dx [N, I]; adds dW = dyᵀ·x and db = Σ dy into `grads`. */
  backward(x: Float64Array, dy: Float64Array, rows: number, grads: Grads): Float64Array {
    const [I, O] = [this.inFeatures, this.outFeatures];
    const w = this.weight.data;
    const gw = grads[this.weight.name]!;
    const gb = grads[this.bias.name]!;
    const dx = new Float64Array(rows * I);
    for (let n = 0; n < rows; n++) {
      for (let o = 0; o < O; o++) {
        const g = dy[n * O + o]!;
        if (g === 0) continue;
        gb[o]! += g;
        const wo = o * I;
        const xo = n * I;
        for (let i = 0; i < I; i++) {
          gw[wo + i]! += g * x[xo + i]!;
          dx[xo + i]! += g * w[wo + i]!;
        }
      }
    }
    return dx;
  }
}
