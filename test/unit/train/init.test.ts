// Initialisers: orthogonality from Gram-Schmidt, Xavier's bound, reproducibility from the seed.
import { describe, expect, it } from 'vitest';
import { Random } from '../../../runtime/random.js';
import { orthogonal, orthogonalPerGate, xavierUniform } from '../../../runtime/train/init.js';

function gram(m: Float64Array, rows: number, cols: number, byRows: boolean): number[][] {
  const k = byRows ? rows : cols;
  const at = (v: number, i: number) => (byRows ? m[v * cols + i]! : m[i * cols + v]!);
  const n = byRows ? cols : rows;
  return Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => Array.from({ length: n }, (_, i) => at(a, i) * at(b, i)).reduce((s, v) => s + v, 0)));
}

function expectIdentity(g: number[][]): void {
  g.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 10)));
}

describe('orthogonal', () => {
  it('square, tall and wide matrices have orthonormal columns / rows', () => {
    expectIdentity(gram(orthogonal(6, 6, new Random(1, 0)), 6, 6, false));
    expectIdentity(gram(orthogonal(8, 3, new Random(2, 0)), 8, 3, false));
    expectIdentity(gram(orthogonal(3, 8, new Random(3, 0)), 3, 8, true));
  });

  it('per gate block: each [H, H] block of a stacked recurrent weight is orthogonal', () => {
    const H = 5;
    const w = orthogonalPerGate(new Float64Array(4 * H * H), H, new Random(4, 0));
    for (let g = 0; g < 4; g++) expectIdentity(gram(w.subarray(g * H * H, (g + 1) * H * H), H, H, false));
  });

  it('is reproducible from the seed', () => {
    expect([...orthogonal(4, 4, new Random(9, 1))]).toEqual([...orthogonal(4, 4, new Random(9, 1))]);
  });
});

describe('xavier uniform', () => {
  it('stays within gain * sqrt(6 / (fan_in + fan_out))', () => {
    const w = xavierUniform(new Float64Array(20 * 30), 20, 30, new Random(5, 0));
    const bound = Math.sqrt(6 / 50);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
  });
});
