// Token embedding (nn.Embedding): a [V, E] table, initialised N(0, 1) as PyTorch does; backward scatter-adds.
import { CellforgeError } from '../../ir/errors.js';
import type { Random } from '../random.js';
import { fillNormal } from './init.js';
import type { Grads, Param } from './param.js';

export class Embedding {
  readonly weight: Param;

  constructor(
    readonly vocabSize: number,
    readonly dim: number,
    rng: Random,
    readonly prefix = 'embedding',
  ) {
    this.weight = { name: `${prefix}.weight`, shape: [vocabSize, dim], data: fillNormal(new Float64Array(vocabSize * dim), 1, rng) };
  }

  params(): Param[] {
    return [this.weight];
  }

  /** ids [N] -> [N, E]; a negative id (padding) gives a zero row. */
  forward(ids: Int32Array): Float64Array {
    const E = this.dim;
    const out = new Float64Array(ids.length * E);
    for (let n = 0; n < ids.length; n++) {
      const id = ids[n]!;
      if (id < 0) continue;
      if (id >= this.vocabSize) throw new CellforgeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      out.set(this.weight.data.subarray(id * E, (id + 1) * E), n * E);
    }
    return out;
  }

  backward(ids: Int32Array, dOut: Float64Array, grads: Grads): void {
    const E = this.dim;
    const g = grads[this.weight.name]!;
    for (let n = 0; n < ids.length; n++) {
      const id = ids[n]!;
      if (id < 0) continue;
      for (let e = 0; e < E; e++) g[id * E + e]! += dOut[n * E + e]!;
    }
  }
}
