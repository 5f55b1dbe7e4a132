// runtime/limits.ts: the memory estimate of a run and the clear refusal when it cannot fit.
import { totalmem } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { builtinCell, CellforgeError, RNN } from '../../../index.js';
import { cellFootprint, checkResources, estimateResources, formatBytes, LSTM_FOOTPRINT, MAX_ARRAY_ELEMENTS, type ResourceRequest } from '../../../runtime/limits.js';

const GiB = 2 ** 30;

const small: ResourceRequest = { steps: 5, batch: 2, inputSize: 3, hiddenSize: 4, numLayers: 1, directions: 1, training: true, bytesPerFloat: 4 };
/** The example: a big stacked bidirectional LSTM in training mode. */
const big: ResourceRequest = { steps: 1000, batch: 512, inputSize: 256, hiddenSize: 1024, numLayers: 2, directions: 2, training: true, bytesPerFloat: 4 };

function thrown(f: () => unknown): CellforgeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CellforgeError);
    return e as CellforgeError;
  }
  throw new Error('expected a CellforgeError, nothing was thrown');
}

describe('checkResources', () => {
  it('lets a small run through and returns its estimate', () => {
    const est = checkResources(small);
    expect(est.bytes).toBeGreaterThan(0);
    expect(est.bytes).toBeLessThan(2 ** 20);
    expect(est.largestArray).toBeLessThan(1000);
    expect(Object.values(est.parts).reduce((a, b) => a + b, 0)).toBe(est.bytes);
  });

  it('refuses a run above a given limit with one clear line', () => {
    const e = thrown(() => checkResources({ ...big, limitBytes: 24 * GiB }));
    expect(e.message).toMatch(/^this run needs about \d+(\.\d)? GiB \(T=1000, B=512, X=256, H=1024, 2 layers × 2 directions, training\), more than the limit of 24 GiB; reduce batch or use eval mode$/);
    expect(e.message).not.toContain('\n');
    // The same run fits a bigger limit.
    expect(checkResources({ ...big, limitBytes: 1024 * GiB }).bytes).toBeGreaterThan(24 * GiB);
  });

  it('refuses a run above this machine\'s memory by default, naming how much it has', () => {
    const huge: ResourceRequest = { steps: 1000, batch: 100, inputSize: 1024, hiddenSize: 1024, numLayers: 1000, directions: 2, training: true, bytesPerFloat: 4 };
    expect(estimateResources(huge).bytes).toBeGreaterThan(totalmem());
    const e = thrown(() => checkResources(huge));
    expect(e.message).toContain(`more than the ${formatBytes(totalmem())} this machine has; reduce batch or use eval mode`);
    expect(e.message).toContain('T=1000, B=100, X=1024, H=1024, 1000 layers × 2 directions, training');
  });

  it('in eval mode the advice is to reduce batch or split the sequence', () => {
    const e = thrown(() => checkResources({ ...big, training: false, limitBytes: GiB }));
    expect(e.message).toMatch(/, eval\), more than the limit of 1 GiB; reduce batch or split the sequence$/);
  });

  it('refuses an array larger than a typed array can hold, whatever the memory', () => {
    const e = thrown(() => checkResources({ steps: 100_000, batch: 1000, inputSize: 8, hiddenSize: 4096, numLayers: 1, directions: 1, training: false, bytesPerFloat: 4, limitBytes: 2 ** 60 }));
    expect(e.message).toMatch(/^this run needs an array of 1\.64e\+12 elements \(T=100000, B=1000, X=8, H=4096, 1 layer, eval\), more than the 4294967296 a typed array can hold; /);
    expect(MAX_ARRAY_ELEMENTS).toBe(2 ** 32);
  });

  it.each([
    ['steps', 0],
    ['steps', -3],
    ['batch', 1.5],
    ['hiddenSize', Number.NaN],
    ['inputSize', Infinity],
    ['numLayers', '2'],
  ] as const)('rejects %s = %s with a clear message', (key, value) => {
    const e = thrown(() => checkResources({ ...small, [key]: value } as unknown as ResourceRequest));
    expect(e.message).toBe(`${key} must be a positive integer, got ${String(value)}`);
  });

  it('rejects a bytesPerFloat that is not 2, 4 or 8', () => {
    expect(thrown(() => checkResources({ ...small, bytesPerFloat: 3 })).message).toBe('bytesPerFloat must be 2, 4 or 8, got 3');
  });
});

describe('estimateResources', () => {
  const base: ResourceRequest = { steps: 200, batch: 32, inputSize: 64, hiddenSize: 128, numLayers: 2, directions: 2, training: true, bytesPerFloat: 4 };
  const bytes = (r: Partial<ResourceRequest>) => estimateResources({ ...base, ...r }).bytes;

  it('grows with every size, with training and with the float width', () => {
    const b = bytes({});
    for (const r of [{ steps: 400 }, { batch: 64 }, { inputSize: 128 }, { hiddenSize: 256 }, { numLayers: 3 }, { bytesPerFloat: 8 }]) expect(bytes(r), JSON.stringify(r)).toBeGreaterThan(b);
    expect(bytes({ directions: 1 })).toBeLessThan(b);
    expect(bytes({ training: false })).toBeLessThan(b / 2);
  });

  it('is linear in T·B once the parameters are negligible', () => {
    const r = bytes({ steps: 4000, batch: 64 }) / bytes({ steps: 2000, batch: 64 });
    expect(r).toBeGreaterThan(1.95);
    expect(r).toBeLessThanOrEqual(2);
    // T and B enter as T·B, except the final states (B·H per state): equal within 0.1%.
    expect(Math.abs(bytes({ steps: 2000, batch: 64 }) / bytes({ steps: 4000, batch: 32 }) - 1)).toBeLessThan(1e-3);
  });

  it('counts the cell: more states and gate rows cost more', () => {
    const rnn = estimateResources({ ...base, cell: cellFootprint(builtinCell('rnn_tanh')) }).bytes;
    const gru = estimateResources({ ...base, cell: cellFootprint(builtinCell('gru')) }).bytes;
    const lstm = estimateResources({ ...base, cell: cellFootprint(builtinCell('lstm')) }).bytes;
    expect(rnn).toBeLessThan(gru);
    expect(gru).toBeLessThan(lstm);
    expect(lstm).toBe(bytes({})); // the default footprint is an LSTM's
  });

  // The estimate against what the js backend really keeps: the typed arrays alive after a training forward
  // (the tape) must be covered by the estimate, and the estimate must not be more than ~3× off.
  const gc = (() => {
    try {
      v8.setFlagsFromString('--expose-gc');
      return vm.runInNewContext('gc') as () => void;
    } catch {
      return undefined;
    }
  })();
  it.skipIf(!gc)('is within a small factor of what the js backend allocates', async () => {
    const [T, B, X, H] = [150, 32, 32, 96];
    for (const [name, layers, bidirectional] of [['lstm', 1, false], ['gru', 2, true]] as const) {
      const cell = builtinCell(name);
      const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, numLayers: layers, bidirectional, backend: 'js' });
      const x = { data: new Float64Array(T * B * X).fill(0.1), shape: [T, B, X] };
      gc!();
      const before = process.memoryUsage().arrayBuffers;
      const out = await rnn.forward(x);
      gc!();
      const kept = process.memoryUsage().arrayBuffers - before;
      const est = estimateResources({ steps: T, batch: B, inputSize: X, hiddenSize: H, numLayers: layers, directions: bidirectional ? 2 : 1, training: true, bytesPerFloat: 4, cell: cellFootprint(cell) });
      const forward = est.bytes - (est.parts.backward ?? 0);
      expect(forward, `${name}: kept ${formatBytes(kept)}, estimated ${formatBytes(forward)} for the forward`).toBeGreaterThan(kept * 0.9);
      expect(forward, `${name}: kept ${formatBytes(kept)}, estimated ${formatBytes(forward)} for the forward`).toBeLessThan(kept * 3);
      expect(out.output.data.length).toBe(T * B * (bidirectional ? 2 : 1) * H);
      rnn.dispose();
    }
  });
});

describe('cellFootprint', () => {
  it.each([
    ['rnn_tanh', 1, 1, 1],
    ['gru', 1, 3, 3],
    ['lstm', 2, 4, 4],
    ['indrnn', 1, 1, 0],
    ['mgu', 1, 2, 4],
    ['lstm_layernorm', 2, 4, 4],
  ] as const)('%s: %i state(s), %iH hoisted input rows, %iH saved rows per step', (name, states, inputRows, savedRows) => {
    const cell = builtinCell(name);
    const f = cellFootprint(cell);
    expect({ states: f.states, inputRows: f.inputRows, savedRows: f.savedRows }).toEqual({ states, inputRows, savedRows });
    expect(f.paramShapes).toEqual(cell.params.map((p) => p.shape));
  });

  it('the LSTM default is the LSTM sample', () => {
    expect(cellFootprint(builtinCell('lstm'))).toEqual(LSTM_FOOTPRINT);
  });
});

describe('formatBytes', () => {
  it.each([
    [37.2 * GiB, '37.2 GiB'],
    [24 * GiB, '24 GiB'],
    [150.4 * GiB, '150 GiB'],
    [512 * 2 ** 20, '512 MiB'],
    [1000, '1 KiB'],
  ])('%d bytes → %s', (n, text) => expect(formatBytes(n)).toBe(text));
});
