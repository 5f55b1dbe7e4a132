// A seeded, counter-based PRNG: value i of stream s depends only on (seed, s, i), so runs are reproducible.

/** A 32-bit integer hash with good avalanche (Wellons' "lowbias32"). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Uniform in [0, 1) from (seed, stream, counter). */
export function uniformAt(seed: number, stream: number, counter: number): number {
  const a = mix32((seed ^ mix32(stream + 0x9e3779b9)) >>> 0);
  const hi = mix32(a ^ mix32(counter));
  const lo = mix32(hi ^ 0x68e31da4);
  return (hi * 2 ** 21 + (lo >>> 11)) / 2 ** 53;
}

/** A stream of uniforms; `state` is its position, saved in checkpoints to resume exactly. */
export class Random {
  constructor(
    readonly seed: number,
    readonly stream = 0,
    public counter = 0,
  ) {}

  next(): number {
    return uniformAt(this.seed, this.stream, this.counter++);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A fresh independent stream derived from this one's seed. */
  fork(stream: number): Random {
    return new Random(this.seed, stream);
  }
}
