// Independent oracle: cellforge's built-in cells (reference backend) against onnxruntime's LSTM / GRU / RNN ops,
// on models built by hand from PyTorch-layout weights (see onnx-model.ts), within 1e-5 absolute.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { builtinCell, RNN, tensor } from '../../index.js';
import { encodeNpy, readNpy } from '../../runtime/io/npy.js';
import { encodeSafetensors } from '../../runtime/io/safetensors.js';
import { recurrentModel, type CellKind } from './onnx-model.js';
import { Random } from '../../runtime/random.js';
import { findToolchain } from '../../runtime/native/toolchain.js';
import { testWith } from '../helpers/component.js';

const TOLERANCE = 1e-5;

interface Config {
  name: string;
  T: number;
  B: number;
  X: number;
  H: number;
  L: number;
  bidirectional: boolean;
  lengths?: number[];
  /** Pass random h0 (and c0 for LSTM). */
  initial?: boolean;
}

const configs: Config[] = [
  { name: 'T=1 B=1', T: 1, B: 1, X: 3, H: 4, L: 1, bidirectional: false },
  { name: 'odd sizes T=7 B=3 X=5 H=11', T: 7, B: 3, X: 5, H: 11, L: 1, bidirectional: false },
  { name: '2 layers', T: 5, B: 2, X: 4, H: 6, L: 2, bidirectional: false },
  { name: 'bidirectional', T: 6, B: 3, X: 5, H: 7, L: 1, bidirectional: true },
  { name: 'bidirectional + 2 layers', T: 5, B: 3, X: 4, H: 5, L: 2, bidirectional: true },
  { name: 'lengths < T', T: 7, B: 4, X: 5, H: 6, L: 1, bidirectional: false, lengths: [7, 3, 5, 1] },
  { name: 'lengths < T, bidirectional + 2 layers', T: 6, B: 4, X: 3, H: 5, L: 2, bidirectional: true, lengths: [4, 6, 1, 3] },
  { name: 'h0 (c0) given', T: 4, B: 3, X: 4, H: 5, L: 1, bidirectional: false, initial: true },
  { name: 'h0 (c0) given, lengths, bidirectional + 2 layers', T: 5, B: 3, X: 6, H: 4, L: 2, bidirectional: true, lengths: [2, 5, 4], initial: true },
];

const cells: CellKind[] = ['lstm', 'gru', 'gru_reset_before', 'rnn_tanh', 'rnn_relu'];
const GATES: Record<CellKind, number> = { lstm: 4, gru: 3, gru_reset_before: 3, rnn_tanh: 1, rnn_relu: 1 };

/** A seeded stream of uniforms in [0, 1) (cellforge's counter-based PRNG). */
function prng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

/** Uniform in ±bound, rounded to float32 so that cellforge (float64) and ORT (float32) see identical values. */
function uniform(rand: () => number, n: number, bound: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround((2 * rand() - 1) * bound));
}

interface Case {
  cfg: Config;
  stateDict: Record<string, { data: Float64Array; shape: number[] }>;
  x: Float64Array;
  h0?: Float64Array;
  c0?: Float64Array;
}

function makeCase(kind: CellKind, cfg: Config, seed: number): Case {
  const rand = prng(seed);
  const { X, H, L, B, T } = cfg;
  const D = cfg.bidirectional ? 2 : 1;
  const G = GATES[kind];
  const bound = 1 / Math.sqrt(H); // PyTorch's default initialisation range
  const stateDict: Case['stateDict'] = {};
  const add = (name: string, shape: number[]) => (stateDict[name] = { data: uniform(rand, shape.reduce((a, b) => a * b), bound), shape });
  for (let k = 0; k < L; k++) {
    for (const suffix of D === 2 ? ['', '_reverse'] : ['']) {
      add(`weight_ih_l${k}${suffix}`, [G * H, k === 0 ? X : D * H]);
      add(`weight_hh_l${k}${suffix}`, [G * H, H]);
      add(`bias_ih_l${k}${suffix}`, [G * H]);
      add(`bias_hh_l${k}${suffix}`, [G * H]);
    }
  }
  const c: Case = { cfg, stateDict, x: uniform(rand, T * B * X, 1) };
  if (cfg.initial) {
    c.h0 = uniform(rand, L * D * B * H, 1);
    if (kind === 'lstm') c.c0 = uniform(rand, L * D * B * H, 1);
  }
  return c;
}

interface Result {
  output: ArrayLike<number>;
  hN: ArrayLike<number>;
  cN?: ArrayLike<number>;
}

async function runCellforge(kind: CellKind, c: Case, backend: 'reference' | 'wasm' | 'native'): Promise<Result> {
  const { cfg } = c;
  const rnn = new RNN(builtinCell(kind), {
    inputSize: cfg.X, hiddenSize: cfg.H, numLayers: cfg.L, bidirectional: cfg.bidirectional, backend,
  });
  rnn.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([name, t]) => [name, tensor(t.data, t.shape)])));
  const D = cfg.bidirectional ? 2 : 1;
  const stateShape = [cfg.L * D, cfg.B, cfg.H];
  const r = await rnn.forward(tensor(c.x, [cfg.T, cfg.B, cfg.X]), {
    ...(c.h0 ? { h0: tensor(c.h0, stateShape) } : {}),
    ...(c.c0 ? { c0: tensor(c.c0, stateShape) } : {}),
    ...(cfg.lengths ? { lengths: cfg.lengths } : {}),
  });
  expect(r.output.shape).toEqual([cfg.T, cfg.B, D * cfg.H]);
  expect(r.hN.shape).toEqual(stateShape);
  return { output: r.output.data, hN: r.hN.data, ...(r.cN ? { cN: r.cN.data } : {}) };
}

async function runOrt(kind: CellKind, c: Case): Promise<Result> {
  const { cfg } = c;
  const model = recurrentModel({
    kind, stateDict: c.stateDict, steps: cfg.T, batch: cfg.B, inputSize: cfg.X, hiddenSize: cfg.H, numLayers: cfg.L,
    bidirectional: cfg.bidirectional,
    ...(cfg.lengths ? { lengths: cfg.lengths } : {}),
    ...(c.h0 ? { h0: c.h0 } : {}),
    ...(c.c0 ? { c0: c.c0 } : {}),
  });
  const session = await ort.InferenceSession.create(model);
  try {
    const r = await session.run({ X: new ort.Tensor('float32', Float32Array.from(c.x), [cfg.T, cfg.B, cfg.X]) });
    const data = (name: string) => r[name]!.data as Float32Array;
    return { output: data('output'), hN: data('h_n'), ...(kind === 'lstm' ? { cN: data('c_n') } : {}) };
  } finally {
    await session.release();
  }
}

/** Fails with the largest absolute difference and where it is. */
function expectClose(what: string, actual: ArrayLike<number> | undefined, expected: ArrayLike<number> | undefined): void {
  expect(actual, `${what} missing`).toBeDefined();
  expect(actual!.length, `${what} length`).toBe(expected!.length);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < expected!.length; i++) {
    const diff = Math.abs(actual![i]! - expected![i]!);
    if (!(diff <= worst)) [worst, at] = [diff, i]; // NaN counts as worst
  }
  const detail = `${what}: max |diff| ${worst} at flat index ${at} (cellforge ${actual![at]}, onnxruntime ${expected![at]})`;
  expect(worst <= TOLERANCE, detail).toBe(true);
}

/** Values of `output` [T, B, F] at steps t >= lengths[b]. */
function padded(output: ArrayLike<number>, cfg: Config, features: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < cfg.T; t++) {
    for (let b = 0; b < cfg.B; b++) {
      if (t >= cfg.lengths![b]!) for (let j = 0; j < features; j++) out.push(output[(t * cfg.B + b) * features + j]!);
    }
  }
  return out;
}

// The reference backend (float64) and the fast CPU backends (wasm: float32 SIMD128 kernels; native: generated C,
// which needs a C compiler: CI has gcc, so there it must run).
const cMissing = await (async () => {
  const tc = await findToolchain();
  return typeof tc === 'string' ? tc : null;
})();
describe.each(cells.flatMap((kind) => (['reference', 'wasm', 'native'] as const).map((backend) => [kind, backend] as const)))('%s on %s agrees with onnxruntime', (kind, backend) => {
  const itWith = backend === 'native' && cMissing !== null ? (name: string, fn: () => Promise<void>) => testWith('C compiler', cMissing, name, fn) : (name: string, fn: () => Promise<void>) => it(name, fn);
  for (const cfg of configs) itWith(cfg.name, async () => {
    const c = makeCase(kind, cfg, 1000 * cells.indexOf(kind) + configs.indexOf(cfg) + 1);
    const [mine, theirs] = await Promise.all([runCellforge(kind, c, backend), runOrt(kind, c)]);
    if (cfg.lengths) {
      // Observed: onnxruntime 1.30 writes exact zeros to Y past sequence_lens (both directions, every layer),
      // as PyTorch's pad_packed_sequence does, so the whole output is compared below, padding included.
      const features = (cfg.bidirectional ? 2 : 1) * cfg.H;
      expect(padded(theirs.output, cfg, features).every((v) => v === 0)).toBe(true);
      expect(padded(mine.output, cfg, features).every((v) => v === 0)).toBe(true);
    }
    expectClose('output', mine.output, theirs.output);
    expectClose('h_n', mine.hN, theirs.hN);
    if (kind === 'lstm') expectClose('c_n', mine.cN, theirs.cN);
    else expect(mine.cN).toBeUndefined();
  });
});

describe('cellforge run (CLI, in-process) agrees with onnxruntime', () => {
  it('lstm: 2 bidirectional layers, lengths, h0 and c0, from .safetensors and .npy files', async () => {
    const cfg = configs.at(-1)!;
    const c = makeCase('lstm', cfg, 4242);
    const D = cfg.bidirectional ? 2 : 1;
    const stateShape = [cfg.L * D, cfg.B, cfg.H];
    const dir = mkdtempSync(join(tmpdir(), 'cellforge-onnx-'));
    try {
      const f32 = (data: Float64Array, shape: number[]) => ({ dtype: 'float32' as const, shape, data: Float32Array.from(data) });
      const file = (name: string, bytes: Uint8Array) => {
        writeFileSync(join(dir, name), bytes);
        return join(dir, name);
      };
      const weights = file('weights.safetensors', encodeSafetensors(Object.fromEntries(Object.entries(c.stateDict).map(([n, t]) => [n, f32(t.data, t.shape)]))));
      const input = file('input.npy', encodeNpy(f32(c.x, [cfg.T, cfg.B, cfg.X])));
      const h0 = file('h0.npy', encodeNpy(f32(c.h0!, stateShape)));
      const c0 = file('c0.npy', encodeNpy(f32(c.c0!, stateShape)));
      const lengths = file('lengths.npy', encodeNpy({ dtype: 'int32', shape: [cfg.B], data: Int32Array.from(cfg.lengths!) }));
      const out = join(dir, 'out');
      const messages: string[] = [];
      const io = { out: (s: string) => void messages.push(s), err: (s: string) => void messages.push(s) };
      const argv = ['run', 'lstm', '--weights', weights, '--input', input, '--h0', h0, '--c0', c0, '--lengths', lengths, '--backend', 'wasm', '--threads', '2', '--out', out];
      expect(await main(argv, io), messages.join('')).toBe(0);

      const theirs = await runOrt('lstm', c);
      const read = (name: string, shape: number[]) => {
        const arr = readNpy(join(out, name));
        expect(arr.dtype).toBe('float32'); // the input's dtype
        expect(arr.shape).toEqual(shape);
        return arr.data as Float32Array;
      };
      expectClose('output.npy', read('output.npy', [cfg.T, cfg.B, D * cfg.H]), theirs.output);
      expectClose('h_n.npy', read('h_n.npy', stateShape), theirs.hN);
      expectClose('c_n.npy', read('c_n.npy', stateShape), theirs.cN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
