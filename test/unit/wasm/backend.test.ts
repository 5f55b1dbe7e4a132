// The wasm backend's runtime: backend choice, memory reuse across runs, tapes, and the heap allocator.
import { describe, expect, it } from 'vitest';
import { builtinCell, RNN, tensor } from '../../../index.js';
import { CellforgeError } from '../../../ir/errors.js';
import { Heap, sharedHeap } from '../../../runtime/wasm/heap.js';
import { relativeError } from '../../helpers/differential.js';

const input = (T: number, B: number, X: number) => tensor(Float64Array.from({ length: T * B * X }, (_, i) => Math.sin(i * 0.61)), [T, B, X]);

describe('wasm backend', () => {
  it('auto picks wasm where there is no hardware GPU adapter and no C compiler (else webgpu, native)', async () => {
    const rnn = new RNN(builtinCell('gru'), { inputSize: 3, hiddenSize: 4 });
    await rnn.forward(input(2, 1, 3));
    const { requestDevice } = await import('../../../runtime/webgpu/device.js').catch(() => ({ requestDevice: undefined }));
    const gpu = requestDevice ? await requestDevice() : { device: null };
    const hardware = gpu.device && 'adapterInfo' in gpu && !/fallback adapter|llvmpipe|swiftshader/i.test(gpu.adapterInfo);
    const { findToolchain } = await import('../../../runtime/native/toolchain.js');
    const compiler = typeof (await findToolchain()) !== 'string';
    expect(rnn.backend.name).toBe(hardware ? 'webgpu' : compiler ? 'native' : 'wasm');
    rnn.dispose();
  });

  it('runs reuse memory: repeated training steps do not grow the heap, and results repeat exactly', async () => {
    const rnn = new RNN(builtinCell('lstm'), { inputSize: 5, hiddenSize: 12, numLayers: 2, bidirectional: true, backend: 'wasm', threads: 1 });
    const x = input(20, 3, 5);
    const g = tensor(Float64Array.from({ length: 20 * 3 * 24 }, (_, i) => Math.cos(i)), [20, 3, 24]);
    await rnn.forward(x);
    const first = await rnn.backward(g);
    const bytes = sharedHeap().bytes;
    for (let i = 0; i < 5; i++) {
      await rnn.forward(x);
      const again = await rnn.backward(g);
      expect(again.dInput.data).toEqual(first.dInput.data);
    }
    expect(sharedHeap().bytes).toBe(bytes);
    rnn.dispose();
  });

  it('a second backward of one forward gives the same gradients (the tape stays until the next forward)', async () => {
    const rnn = new RNN(builtinCell('gru'), { inputSize: 3, hiddenSize: 6, backend: 'wasm' });
    const x = input(7, 2, 3);
    const g = tensor(Float64Array.from({ length: 7 * 2 * 6 }, (_, i) => Math.cos(i)), [7, 2, 6]);
    await rnn.forward(x);
    const a = await rnn.backward(g);
    const b = await rnn.backward(g);
    expect(b.grads.weight_hh_l0!.data).toEqual(a.grads.weight_hh_l0!.data);
    expect(b.dInput.data).toEqual(a.dInput.data);
    rnn.dispose();
  });

  it('a backward whose forward was replaced by a newer one is refused with a clear message', async () => {
    const { wasmBackend } = await import('../../../runtime/wasm/backend.js');
    const cell = builtinCell('rnn_tanh');
    const backend = wasmBackend(cell, { threads: 1 });
    const run = {
      input: new Float64Array(6), steps: 3, batch: 1, dims: { X: 2, H: 2 }, lengths: Int32Array.of(3), reverse: false,
      initial: [new Float64Array(2)], params: new Map(cell.params.map((p) => [p.name, new Float64Array(p.shape.length === 2 ? 4 : 2).fill(0.1)])), training: true,
    };
    backend.beginSequence!();
    const old = await backend.forwardDirection(run);
    backend.beginSequence!();
    await backend.forwardDirection(run);
    await expect(Promise.resolve(backend.backwardDirection(run, old, new Float64Array(6), [new Float64Array(2)]))).rejects.toThrow(/a later forward pass replaced/);
    backend.dispose!();
  });

  it('inference longer than a chunk (256 steps): bidirectional, 2 layers, lengths across chunk boundaries, threads', async () => {
    const opts = { inputSize: 5, hiddenSize: 12, numLayers: 2, bidirectional: true, seed: 9 } as const;
    const x = input(700, 7, 5);
    const lengths = [700, 513, 256, 257, 1, 255, 600];
    for (const name of ['lstm', 'gru']) {
      const w = await new RNN(builtinCell(name), { ...opts, backend: 'wasm', threads: 2 }).eval().forward(x, { lengths });
      const r = await new RNN(builtinCell(name), { ...opts, backend: 'reference' }).eval().forward(x, { lengths });
      expect(relativeError(w.output.data, r.output.data)).toBeLessThan(1e-4);
      expect(relativeError(w.hN.data, r.hN.data)).toBeLessThan(1e-4);
    }
  });

  it('a long inference run (4000 steps) goes through one chunk-sized block and agrees with the js backend', async () => {
    const opts = { inputSize: 16, hiddenSize: 40, seed: 3 } as const;
    const x = input(4000, 4, 16);
    const lengths = [4000, 3999, 1, 2500];
    const before = sharedHeap().bytes;
    const w = await new RNN(builtinCell('lstm'), { ...opts, backend: 'wasm' }).eval().forward(x, { lengths });
    // one block for all 4000 steps would be ~50 MiB (every region of the run, sized by T)
    expect(sharedHeap().bytes - before).toBeLessThan(8 * 2 ** 20);
    const j = await new RNN(builtinCell('lstm'), { ...opts, backend: 'js' }).eval().forward(x, { lengths });
    expect(relativeError(w.output.data, j.output.data)).toBeLessThan(1e-4);
    expect(relativeError(w.hN.data, j.hN.data)).toBeLessThan(1e-4);
  });
});

describe('wasm heap', () => {
  it('allocates aligned disjoint blocks, reuses freed ones, coalesces neighbours and grows on demand', () => {
    const heap = new Heap();
    const a = heap.alloc(100);
    const b = heap.alloc(1000);
    const c = heap.alloc(10);
    for (const x of [a, b, c]) expect(x % 64).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 100);
    expect(c).toBeGreaterThanOrEqual(b + 1000);
    heap.release(a, 100);
    heap.release(b, 1000);
    // a and b coalesced: a block of their joint size fits where a was
    expect(heap.alloc(1100)).toBe(a);
    const before = heap.bytes;
    const big = heap.alloc(before * 2);
    expect(heap.bytes).toBeGreaterThan(before);
    expect(big + before * 2).toBeLessThanOrEqual(heap.bytes);
  });

  it('says clearly when a run needs more than WebAssembly memory can hold', () => {
    const heap = new Heap();
    expect(() => heap.alloc(3 * 2 ** 30)).toThrow(CellforgeError);
    expect(() => heap.alloc(3 * 2 ** 30)).toThrow(/this run needs a block of 3,072 MiB in the wasm backend's memory, beyond the 2048 MiB it can hold/);
    expect(heap.inUse).toBe(0); // a refused block is not counted
  });
});

describe('wasm heap retention', () => {
  it('a memory grown past the retention limit is given back once idle, and runs go on in a new one', async () => {
    const { setRetainBytes } = await import('../../../runtime/wasm/heap.js');
    const before = setRetainBytes(8 * 2 ** 20);
    try {
      expect(sharedHeap().inUse).toBe(0); // the tests above disposed their RNNs
      // training mode: the whole sequence's tape is one block, a few tens of MiB
      const rnn = new RNN(builtinCell('gru'), { inputSize: 8, hiddenSize: 32, backend: 'wasm', threads: 2 });
      const big = input(3000, 16, 8);
      const bigOut = await rnn.forward(big);
      const grown = sharedHeap();
      expect(grown.bytes).toBeGreaterThan(8 * 2 ** 20);
      expect(grown.inUse).toBeGreaterThan(0); // the tape
      const small = input(5, 2, 8);
      const a = await rnn.forward(small); // a new sequence: the big tape goes, the heap is idle, then retired
      expect(sharedHeap()).not.toBe(grown);
      expect(sharedHeap().bytes).toBeLessThan(8 * 2 ** 20);
      // the same results in the new memory, and the big run still works (the heap grows again)
      const j = await new RNN(builtinCell('gru'), { inputSize: 8, hiddenSize: 32, backend: 'js' }).forward(small);
      expect(relativeError(a.output.data, j.output.data)).toBeLessThan(1e-4);
      expect((await rnn.forward(big)).output.data).toEqual(bigOut.output.data);
      rnn.dispose();
    } finally {
      setRetainBytes(before);
    }
  });

  it('a heap with a tape in use is not retired', async () => {
    const { setRetainBytes } = await import('../../../runtime/wasm/heap.js');
    const before = setRetainBytes(1);
    try {
      const rnn = new RNN(builtinCell('lstm'), { inputSize: 4, hiddenSize: 8, backend: 'wasm' });
      await rnn.forward(input(400, 8, 4)); // training: the tape stays in the heap
      const heap = sharedHeap();
      const other = new RNN(builtinCell('gru'), { inputSize: 4, hiddenSize: 8, backend: 'wasm' }).eval();
      await other.forward(input(2, 1, 4));
      expect(sharedHeap()).toBe(heap);
      const g = await rnn.backward(tensor(new Float64Array(400 * 8 * 8).fill(0.1), [400, 8, 8]));
      expect(g.dInput.data.every(Number.isFinite)).toBe(true);
      rnn.dispose();
    } finally {
      setRetainBytes(before);
    }
  });
});

describe('wasm backend: cells the kernel plan cannot run', () => {
  it('are refused at the first run, with the line of the offending use and a hint', async () => {
    const { compileCell } = await import('../../../index.js');
    const cell = compileCell(`import { cell, linear, sum, tanh } from 'cellforge/dsl';
export default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('hh', h) + sum(x)) }));
`);
    const rnn = new RNN(cell, { inputSize: 3, hiddenSize: 3, backend: 'wasm' });
    const error = await rnn.forward(input(1, 1, 3)).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CellforgeError);
    expect((error as CellforgeError).message).toMatch(/^the compiled backends \(js, wasm, webgpu\) cannot run .*: the input x may only be used through linear/);
    expect((error as CellforgeError).hint).toBe('use backend reference for this cell');
    expect((error as CellforgeError).location?.line).toBe(2);
  });
});
