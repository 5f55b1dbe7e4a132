// The `native` backend: the compiler's C library per (cell, X, H), run through koffi on float blocks the
// runtime owns: one for the weights (float32 and packed, kept while the parameters are unchanged) and one per run
// (inputs, states, the tape, scratch). The time loops and every product run inside the library, on its threads.
import type { CompiledCell } from '../../compiler/compiled-cell.js';
import { guardDepth } from '../../compiler/compile.js';
import { cProgram } from '../../compiler/codegen/c/program.js';
import { sizeOf } from '../../ir/shape.js';
import { tapeGone, type DirectionGrads, type DirectionResult, type DirectionRun, type Floats, type SequenceBackend } from '../backend.js';
import { defaultThreads } from '../wasm/pool.js';
import { DEFAULT_SHARE_FROM, nativeLibrary, type NativeLibrary } from './library.js';

export interface NativeOptions {
  /** Threads inside the library (default: the cores this process may use). Results do not depend on it. */
  readonly threads?: number;
  /** Tests: share time loops and products over the threads from this many multiply-adds (default 2²³). */
  readonly shareFrom?: number;
}

interface NativeTape {
  readonly lib: NativeLibrary;
  /** The run's input: the backward's weight gradients read it. */
  readonly x: Float32Array;
  /** Whether x is this backend's copy (a run block, recycled with M). */
  readonly ownX: boolean;
  readonly W: Float32Array;
  readonly M: Float32Array;
  readonly L: BigInt64Array;
  readonly generation: number;
}

interface PackedWeights {
  readonly version: number;
  readonly dims: string;
  readonly W: Float32Array;
}

/** The array itself when it is float32 already (the runtime's activations are), else a float32 copy. */
const float32 = (a: Floats): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a));

/**
 * A zeroed block of `size` floats starting at a 64-byte boundary (a view into a slightly larger array): V8 places
 * large arrays 16 bytes past one, and then every vector load of the library straddles two cache lines (measured
 * here, LSTM B32 X128 H256 T64 forward: 5.0 ms aligned against 5.2-5.3 ms).
 */
function aligned(lib: NativeLibrary, size: number): Float32Array {
  const raw = new Float32Array(size + 15);
  const at = lib.alignFloats(raw);
  return raw.subarray(at, at + size);
}

export function nativeBackend(cell: CompiledCell, options: NativeOptions = {}): SequenceBackend {
  // Generate eagerly for error reporting: an unsupported cell fails at construction, not mid-training.
  guardDepth(cell.file, () => cProgram(cell, { X: 1, H: 1 }));
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const shareFrom = options.shareFrom ?? DEFAULT_SHARE_FROM;
  const weights = new Map<string, PackedWeights>();
  const outstanding = new Set<NativeTape>();
  let generation = 0;
  // Run blocks (and training's input copies) no tape holds any more, for the next run of the same size: a fresh
  // array costs a page fault per 4 KiB page on first write (~10 µs each in a VM).
  const spare: Float32Array[] = [];
  const block = (lib: NativeLibrary, size: number): Float32Array => {
    const i = spare.findIndex((b) => b.length === size);
    return i >= 0 ? spare.splice(i, 1)[0]! : aligned(lib, size);
  };
  const recycle = (M: Float32Array) => {
    spare.push(M);
    if (spare.length > 8) spare.shift();
  };

  /** The weight block of a run: reused while its (layer, direction)'s parameters keep their version. */
  const weightBlock = (lib: NativeLibrary, run: DirectionRun, offsets: Float64Array, size: number): Float32Array => {
    const v = run.paramsVersion;
    const dims = `${run.dims.X}x${run.dims.H}`;
    const known = v ? weights.get(v.slot) : undefined;
    if (known && known.version === v!.version && known.dims === dims) return known.W;
    const { layout } = lib.program.run;
    const W = aligned(lib, size);
    const at = (name: string) => offsets[layout.index(name)]!;
    cell.params.forEach((p, i) => W.set(run.params.get(p.name)!, at(`P${i}`)));
    for (const pk of lib.program.packs) {
      const src = W.subarray(at(`P${pk.param}`));
      const dst = W.subarray(at(pk.region));
      // WN: B(k, n) = W[n, k] (x·Wᵀ); WT: B(k, n) = W[k, n] (g·W).
      if (pk.transposed) lib.pack(dst, src, pk.K, pk.R, 1, pk.K);
      else lib.pack(dst, src, pk.R, pk.K, pk.K, 1);
    }
    if (v) weights.set(v.slot, { version: v.version, dims, W });
    return W;
  };

  const region = (tape: { lib: NativeLibrary; M: Float32Array; L: BigInt64Array }, name: string, length: number) => {
    const at = Number(tape.L[tape.lib.program.run.layout.index(name)]);
    return tape.M.subarray(at, at + length);
  };

  return {
    name: 'native',
    async forwardDirection(run: DirectionRun): Promise<DirectionResult> {
      const { steps: T, batch: B, dims } = run;
      const { X, H } = dims;
      const lib = await nativeLibrary(cell, dims);
      const { layout } = lib.program.run;
      const placed = layout.place(B, T, lib.NR);
      const W = weightBlock(lib, run, placed.offsets, placed.weights);
      const M = block(lib, placed.run);
      const L = BigInt64Array.from(placed.offsets, (o) => BigInt(o));
      // Training keeps its own copy of the input (the caller may refill its array before the backward).
      const ownX = run.training && run.input instanceof Float32Array;
      const x = ownX ? block(lib, T * B * X) : float32(run.input);
      if (ownX) x.set(run.input);
      const tape: NativeTape = { lib, x, ownX, W, M, L, generation };
      new Int32Array(M.buffer, M.byteOffset + Number(L[layout.index('LEN')]) * 4, B).set(run.lengths);
      cell.states.forEach((_, k) => region(tape, `S${k}`, B * H).set(run.initial[k]!));
      // The library reads the input and writes the output in place (no copies of the largest arrays).
      const output = new Float32Array(T * B * H);
      lib.shareFrom(shareFrom);
      lib.forward(W, M, L, x, output, null, null, T, B, run.reverse ? 1 : 0, run.training ? 1 : 0, threads);
      const result = {
        output,
        final: cell.states.map((_, k) => region(tape, `S${k}`, B * H).slice()),
        tape,
      };
      if (run.training) outstanding.add(tape);
      else recycle(M);
      return result;
    },

    async backwardDirection(run: DirectionRun, result: DirectionResult, gradOutput: Floats, gradFinal: readonly Floats[]): Promise<DirectionGrads> {
      const tape = result.tape as NativeTape;
      if (!outstanding.has(tape)) {
        throw tapeGone(tape.generation === generation);
      }
      const { steps: T, batch: B, dims } = run;
      const { X, H } = dims;
      cell.states.forEach((_, k) => region(tape, `C${k}`, B * H).set(gradFinal[k]!));
      const dInput = new Float32Array(T * B * X);
      tape.lib.shareFrom(shareFrom);
      tape.lib.backward(tape.W, tape.M, tape.L, tape.x, null, float32(gradOutput), dInput, T, B, run.reverse ? 1 : 0, run.truncate ?? 0, threads);
      return {
        dInput,
        dInitial: cell.states.map((_, k) => region(tape, `C${k}`, B * H).slice()),
        grads: new Map(cell.params.map((p, i) => [p.name, region(tape, `GP${i}`, sizeOf(p.shape, dims)).slice()])),
      };
    },

    prewarm(dims) {
      for (const d of dims) nativeLibrary(cell, d).catch(() => undefined);
    },

    beginSequence() {
      generation++;
      for (const tape of outstanding) {
        recycle(tape.M);
        if (tape.ownX) recycle(tape.x);
      }
      outstanding.clear();
    },

    dispose() {
      outstanding.clear();
      weights.clear();
      spare.length = 0;
    },
  };
}

