// The `wasm` backend: the compiler's WebAssembly SIMD module per (cell, X, H), tensors resident in one shared
// memory for the whole sequence, and the products over all T·B rows optionally split over worker threads.
import { guardDepth, type CompiledCell } from '../../compiler/compile.js';
import { packB, transposeInto } from '../../compiler/codegen/wasm/gemm.js';
import { wasmKernels, type WasmKernels } from '../../compiler/codegen/wasm/kernels.js';
import { wasmProgram, type SequenceGemm } from '../../compiler/codegen/wasm/program.js';
import { sizeOf } from '../../ir/shape.js';
import type { StepPlan } from '../../compiler/plan/step-plan.js';
import { tapeGone, type DirectionGrads, type DirectionResult, type DirectionRun, type Floats, type SequenceBackend } from '../backend.js';
import { defaultThreads, WorkerPool } from './pool.js';
import { heapFor, sharedHeap, type Heap } from './heap.js';

interface Exports {
  forward(L: number, T: number, B: number, rev: number, keep: number, par: number, b0: number, b1: number): void;
  backward(L: number, T: number, B: number, rev: number, truncate: number, par: number, b0: number, b1: number): void;
  sum_rows(src: number, rows: number, cols: number, dst: number): void;
  gemm(M: number, N: number, K: number, a: number, lda: number, bp: number, c: number, ldc: number, acc: number): void;
}

type Gemm = Exports['gemm'];

/** The pool the running call's large products go to (the module's `pgemm` import reads it). */
let activePool: WorkerPool | undefined;
/** Instances of each module, per heap (an instance is bound to one memory). */
const instances = new WeakMap<Heap, WeakMap<WebAssembly.Module, Exports>>();

function instance(k: WasmKernels, heap: Heap): Exports {
  let perHeap = instances.get(heap);
  if (!perHeap) instances.set(heap, (perHeap = new WeakMap()));
  let ex = perHeap.get(k.module);
  if (!ex) {
    const self: { ex?: Exports } = {};
    const pgemm: Gemm = (...a) => (activePool ? activePool.gemm(...a) : self.ex!.gemm(...a));
    ex = new WebAssembly.Instance(k.module, { env: { memory: heap.memory, pgemm } }).exports as unknown as Exports;
    self.ex = ex;
    perHeap.set(k.module, ex);
  }
  return ex;
}

const pools = new WeakMap<Heap, Map<string, Promise<WorkerPool>>>();

/**
 * One pool per (threads, split threshold) for a heap (the process's, by default): workers are started once and
 * reused, and stopped when the heap is retired.
 */
export function poolOf(threads: number, minSplitWork?: number, heap: Heap = sharedHeap()): Promise<WorkerPool> {
  let perHeap = pools.get(heap);
  if (!perHeap) {
    const created = (perHeap = new Map<string, Promise<WorkerPool>>());
    pools.set(heap, created);
    heap.onRetire(() => {
      for (const p of created.values()) void p.then((pool) => pool.dispose(), () => undefined);
    });
  }
  const key = `${threads}/${minSplitWork ?? 'default'}`;
  const known = perHeap.get(key);
  if (known) return known;
  const p = WorkerPool.create(heap.memory, threads, minSplitWork !== undefined ? { minSplitWork } : {});
  perHeap.set(key, p);
  return p;
}

interface WasmTape {
  readonly heap: Heap;
  readonly at: number;
  readonly bytes: number;
  readonly offsets: readonly number[];
  readonly kernels: WasmKernels;
  readonly generation: number;
}

export interface WasmOptions {
  /** Worker threads for the large products (default: the number of cores); 1 runs everything on the caller's thread. */
  readonly threads?: number;
  /** Smallest M·N·K split over the threads (default: the pool's, measured); tests lower it. */
  readonly minSplitWork?: number;
  /** Use the relaxed-SIMD multiply-add (default: wherever the engine has it); false tests the fallback. */
  readonly fma?: boolean;
}

/** Steps per chunk of an inference run (longer ones go through one block in chunks). */
const CHUNK_STEPS = 256;

/** A backend dropped without dispose() (its RNN garbage-collected) gives its tapes' blocks back to the heap. */
const dropped = new FinalizationRegistry<Set<WasmTape>>((tapes) => {
  for (const tape of tapes) tape.heap.release(tape.at, tape.bytes);
  tapes.clear();
});

export function wasmBackend(cell: CompiledCell, options: WasmOptions = {}): SequenceBackend {
  // Generate eagerly for error reporting: an unsupported cell fails at construction, not mid-training.
  guardDepth(cell.file, () => wasmProgram(cell, { X: 1, H: 1 }, false));
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const outstanding = new Set<WasmTape>();
  let generation = 0;

  const release = (tape: WasmTape) => {
    if (outstanding.delete(tape)) tape.heap.release(tape.at, tape.bytes);
  };

  /** Views of the run's regions (made after any allocation: growing the memory replaces its buffer). */
  const views = (tape: WasmTape) => {
    const { layout } = tape.kernels.program.run;
    const f32 = new Float32Array(tape.heap.memory.buffer);
    const address = (name: string) => tape.at + tape.offsets[layout.index(name)]!;
    const region = (name: string, length: number) => f32.subarray(address(name) / 4, address(name) / 4 + length);
    return { f32, address, region };
  };

  /** Products over every row of the sequence, on the pool when it has threads to give. */
  const gemmFor = async (k: WasmKernels, heap: Heap, rows: number): Promise<Gemm> => {
    const ex = instance(k, heap);
    if (threads === 1 || rows < 64) return ex.gemm;
    const pool = await poolOf(threads, options.minSplitWork, heap);
    return (...a) => pool.gemm(...a);
  };

  /**
   * Runs a time loop (`fn` 0: forward, 1: backward) over the threads: split by examples when there are several,
   * else with its `par` argument, per-step products of at least that many multiply-adds going to the pool (0:
   * none; the pool is held hot for the loop when some per-step product is that large).
   */
  const timeLoop = async (k: WasmKernels, heap: Heap, fn: 0 | 1, args: readonly number[], dims: DirectionRun['dims'], B: number, T: number, loop: (par: number, b0: number, b1: number) => void): Promise<void> => {
    if (threads === 1) return loop(0, 0, B);
    const pool = await poolOf(threads, options.minSplitWork, heap);
    const products = stepProducts(k.program.run[fn === 0 ? 'forwardPlan' : 'backwardPlan'], dims);
    // Examples are independent: with two or more, each thread runs the whole time loop for its own examples
    // (no synchronisation until the end). Only worth a dispatch when the loop has enough work.
    const parts = Math.min(threads, B);
    if (parts > 1 && T * B * products.reduce((a, b) => a + b, 0) >= pool.minSplitWork) {
      const ranges = Array.from({ length: parts }, (_, i) => [Math.floor((i * B) / parts), Math.floor(((i + 1) * B) / parts)] as const);
      pool.runLoops(k.module, fn, args, ranges, (b0, b1) => loop(0, b0, b1));
      return;
    }
    // One example: its per-step products split over the threads when large enough.
    const hot = products.some((macs) => B * macs >= pool.minSplitWork);
    activePool = pool;
    if (hot) pool.hold(true);
    try {
      loop(pool.minSplitWork, 0, B);
    } finally {
      if (hot) pool.hold(false);
      activePool = undefined;
    }
  };

  const backend: SequenceBackend = {
    name: 'wasm',
    async forwardDirection(run: DirectionRun): Promise<DirectionResult> {
      const { steps: T, batch: B, dims } = run;
      const { X, H } = dims;
      // Inference over a long sequence runs in chunks of steps through one block: memory does not grow with T
      // (besides the input and output themselves).
      const chunked = !run.training && T > CHUNK_STEPS;
      const steps = chunked ? CHUNK_STEPS : T;
      const k = await wasmKernels(cell, dims, options.fma);
      const { layout } = k.program.run;
      const { offsets, bytes } = layout.place(B, steps);
      const heap = heapFor(bytes);
      const ex = instance(k, heap);
      const at = heap.alloc(bytes);
      const tape: WasmTape = { heap, at, bytes, offsets, kernels: k, generation };
      outstanding.add(tape);
      try {
        const { f32, address, region } = views(tape);
        new Int32Array(heap.memory.buffer, at, offsets.length).set(offsets.map((o) => o + at));
        cell.params.forEach((p, i) => {
          const w = run.params.get(p.name)!;
          region(`P${i}`, w.length).set(w);
          if (p.shape.length !== 2) return;
          const [R, K] = [sizeOf([p.shape[0]!], dims), sizeOf([p.shape[1]!], dims)];
          if (layout.has(`WN${i}`)) packB(f32, address(`WN${i}`) / 4, w, 0, K, R, 1, K);
          // W itself (for matvec_t): the backward's products, so only when a backward may follow
          if (layout.has(`WT${i}`) && (run.training || k.program.run.packedTForward.has(i))) packB(f32, address(`WT${i}`) / 4, w, 0, R, K, K, 1);
        });
        cell.states.forEach((_, s) => region(`S${s}`, B * H).set(run.initial[s]!));
        const gemm = await gemmFor(k, heap, steps * B);
        /** Steps [0, n) of the block's X, LEN and reverse flag: input projections, then the time loop. */
        const forward = async (n: number, reverse: boolean) => {
          region('OUT', n * B * H).fill(0);
          for (const g of k.program.hoisted) if (g.kind === 'hoisted') gemm(n * B, g.N, X, address('X'), X, address(g.weight), address(g.out), g.N, 0);
          const args = [at, n, B, reverse ? 1 : 0, run.training ? 1 : 0] as const;
          await timeLoop(k, heap, 0, args, dims, B, n, (par, b0, b1) => ex.forward(...args, par, b0, b1));
        };
        const lengths = new Int32Array(heap.memory.buffer, address('LEN'), B);
        let output: Float32Array;
        if (!chunked) {
          lengths.set(run.lengths);
          region('X', T * B * X).set(run.input);
          await forward(T, run.reverse);
          output = region('OUT', T * B * H).slice();
        } else {
          output = new Float32Array(T * B * H);
          /** The time example b reads at step s (within its length). */
          const timeOf = (b: number, s: number) => (run.reverse ? run.lengths[b]! - 1 - s : s);
          for (let s0 = 0; s0 < T; s0 += steps) {
            const n = Math.min(steps, T - s0);
            // Step q of the chunk reads time t(s0 + q) of each example, gathered here in step order; the
            // chunk runs forwards with each example's remaining length, and its outputs go back to their times.
            const xs = region('X', n * B * X);
            xs.fill(0);
            for (let b = 0; b < B; b++) {
              lengths[b] = Math.max(0, Math.min(n, run.lengths[b]! - s0));
              for (let q = 0; q < lengths[b]!; q++) {
                const t = timeOf(b, s0 + q);
                xs.set(run.input.subarray((t * B + b) * X, (t * B + b + 1) * X), (q * B + b) * X);
              }
            }
            await forward(n, false);
            const out = region('OUT', n * B * H);
            for (let b = 0; b < B; b++) {
              for (let q = 0; q < lengths[b]!; q++) {
                const t = timeOf(b, s0 + q);
                for (let j = 0; j < H; j++) output[(t * B + b) * H + j] = out[(q * B + b) * H + j]!;
              }
            }
          }
        }
        const final = cell.states.map((_, s) => region(`S${s}`, B * H).slice());
        return { output, final, tape };
      } finally {
        if (!run.training) release(tape);
      }
    },

    async backwardDirection(run: DirectionRun, result: DirectionResult, gradOutput: Floats, gradFinal: readonly Floats[]): Promise<DirectionGrads> {
      const tape = result.tape as WasmTape;
      if (!outstanding.has(tape)) {
        throw tapeGone(tape.generation === generation);
      }
      const { steps: T, batch: B, dims } = run;
      const { X, H } = dims;
      const k = tape.kernels;
      const ex = instance(k, tape.heap);
      const { address, region } = views(tape);
      region('GOUT', T * B * H).set(gradOutput);
      cell.states.forEach((_, s) => region(`C${s}`, B * H).set(gradFinal[s]!));
      cell.params.forEach((p, i) => region(`GP${i}`, sizeOf(p.shape, dims)).fill(0));
      region('DX', T * B * X).fill(0);
      const { backwardPlan } = k.program.run;
      for (const id of backwardPlan.perTime) region(`b.PT${id}`, T * B * sizeOf(backwardPlan.graph.nodes[id]!.shape, dims)).fill(0);
      for (const r of k.program.rowSums) region(r.rows, T * B * r.size).fill(0);
      const args = [tape.at, T, B, run.reverse ? 1 : 0, run.truncate ?? 0] as const;
      await timeLoop(k, tape.heap, 1, args, dims, B, T, (par, b0, b1) => ex.backward(...args, par, b0, b1));
      const gemm = await gemmFor(k, tape.heap, T * B);
      for (const g of k.program.deferred) deferredProduct(g, T * B, gemm, views(tape));
      for (const r of k.program.rowSums) ex.sum_rows(address(r.rows), T * B, r.size, address(r.target));
      return {
        dInput: region('DX', T * B * X).slice(),
        dInitial: cell.states.map((_, s) => region(`C${s}`, B * H).slice()),
        grads: new Map(cell.params.map((p, i) => [p.name, region(`GP${i}`, sizeOf(p.shape, dims)).slice()])),
      };
    },

    beginSequence() {
      generation++;
      for (const tape of [...outstanding]) release(tape);
    },

    dispose() {
      for (const tape of [...outstanding]) release(tape);
    },
  };
  dropped.register(backend, outstanding);
  return backend;
}

/** N·K of every per-step product of a plan (times the batch, its multiply-adds per step). */
function stepProducts(plan: StepPlan, dims: DirectionRun['dims']): number[] {
  return plan.graph.nodes.filter((n) => plan.role[n.id] === 'gemm').map((n) => sizeOf(plan.graph.nodes[n.args[0]!]!.shape, dims));
}

/** One weight or input gradient over all rows: gᵀ·v (after copying gᵀ and packing v) or g·W. */
function deferredProduct(g: SequenceGemm, rows: number, gemm: Gemm, v: { f32: Float32Array; address: (name: string) => number }): void {
  const { f32, address } = v;
  if (g.kind === 'outer') {
    transposeInto(f32, address(g.aT) / 4, f32, address(g.a) / 4, rows, g.M);
    packB(f32, address(g.bP) / 4, f32, address(g.b) / 4, rows, g.N, g.N, 1);
    gemm(g.M, g.N, rows, address(g.aT), rows, address(g.bP), address(g.target), g.N, 1);
  } else if (g.kind === 'matvec_t') {
    gemm(rows, g.K, g.R, address(g.g), g.R, address(g.weight), address(g.target), g.K, 1);
  }
}
