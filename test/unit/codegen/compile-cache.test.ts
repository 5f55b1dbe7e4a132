// compileCell caches compiled cells by source, least recently used first, and keeps at most 256 of them.
import { describe, expect, it } from 'vitest';
import { compileCell } from '../../../index.js';

const source = (k: number) => `import { cell, linear, tanh } from 'cellforge/dsl';
export default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('ih', x) + linear('hh', h)) }));
// variant ${k}
`;

describe('compile cache', () => {
  it('returns the same compiled cell for the same source, and forgets the least recently used past 256 cells', () => {
    const first = compileCell(source(0));
    const kept = compileCell(source(1));
    expect(compileCell(source(0))).toBe(first);
    for (let k = 2; k < 300; k++) {
      compileCell(source(k));
      if (k % 50 === 0) expect(compileCell(source(1))).toBe(kept); // recently used: stays
    }
    expect(compileCell(source(1))).toBe(kept);
    expect(compileCell(source(0))).not.toBe(first); // evicted, compiled again
  });
});
