// The wasm backend's worker threads, sharing its WebAssembly memory: they split one GEMM (by row tiles or column
// panels), or run a cell module's time loop for a range of examples each (runLoops).
//
// The caller's thread runs its own share on its own instance of the gemm module; each worker runs one share on
// its instance; the caller then blocks in Atomics.wait (allowed on Node's main thread) until every worker has
// counted itself done, so `gemm` is synchronous. The work is cut along whichever has more units: row tiles
// (multiples of the kernel's row block, so every row runs the same kernel as without the pool and the result is
// bit-identical) or column panels of 8 (a panel range is bp + p0·K·8·4 and c + p0·8·4 with a smaller N).
// Products below SPLIT_WORK multiply-adds run on the calling thread only (see there).
//
// Control block (Int32Array over a SharedArrayBuffer): the job generation the workers wait on, the done count the
// caller waits on, an error state, a stop flag, a hot flag, and one job per worker: a product's share, the
// instantiation of a cell module (sent over the worker's MessagePort and received synchronously), or a cell
// module's time loop over a range of examples (runLoops). A worker that throws (a trap on a
// bad address) records the message in a shared text buffer and still counts itself done; a worker that dies
// between jobs is seen by its error/exit event, which marks the pool failed and wakes any waiter; every later
// gemm then throws instead of waiting forever. Nothing waits with a timeout.
import os from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { assembleWat, relaxedSimd } from '../../compiler/codegen/wasm/assemble.js';
import { defaultRows, gemmModuleWat, PANEL } from '../../compiler/codegen/wasm/gemm.js';
import { CellforgeError } from '../../ir/errors.js';

/** Threads a pool should use by default: the parallelism the OS offers this process. */
export function defaultThreads(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}

/**
 * Smallest M·N·K (multiply-adds) split over threads: 2^22 (~150 µs on one thread at ~55 GFLOP/s). Measured on a
 * 2-vCPU Zen 4 VM, Node 20, 2 threads, a series of products with 20 µs of other work between them: a hand-off
 * to a polling worker and back costs ~1-2 µs, to a sleeping one ~10-60 µs (hundreds after idling for ms), and
 * this VM's scheduler often runs the woken worker on the caller's CPU until it rebalances, so 2 threads lost
 * below ~2^21 (1M: 0.5-0.85×), broke even at 2^22 (0.96-1.12×) and won from 2^24 (1.3-1.9×; 512³: 1.7-2.0×).
 * Back to back with the worker kept on its own CPU they won from 2^19 (16×256×128: 1.8×), so on ordinary
 * hardware a lower threshold (the `minSplitWork` option) may pay.
 */
export const SPLIT_WORK = 1 << 22;

type GemmFn = (M: number, N: number, K: number, a: number, lda: number, bp: number, c: number, ldc: number, acc: number) => void;

const GEN = 0; // job generation: workers wait for it to change
const DONE = 1; // workers done with the current job
const ERR = 2; // 0 ok, 1 a job threw (message in the text buffer), 2 a worker died
const STOP = 3; // set before the last generation bump: workers leave their loop
const ERR_LEN = 4; // bytes of the error message
const HOT = 5; // 1 while a time loop runs whose per-step products are split: workers poll instead of sleeping
const JOBS = 8; // one job per worker from here: its kind, then 9 ints
const JOB_INTS = 10;
// Job kinds. GEMM: M N K a lda bp c ldc acc. LOAD: instantiate the module waiting on the worker's port. LOOP: call
// time loop `fn` (0 forward, 1 backward) of loaded module `id` with L T B rev keep|truncate b0 b1.
const NONE = 0;
const GEMM = 1;
const LOAD = 2;
const LOOP = 3;
const TEXT_BYTES = 1024;
// Polling before sleeping. A futex wake-up costs ~10-60 µs here, so a short poll catches the next job of a burst
// (per-step products) or the workers finishing at about the caller's time. Kept short on purpose: where the
// kernel packs both threads onto one CPU (this VM's scheduler does), a polling thread holds the CPU the other
// one needs, and every longer poll (0.1-2 ms tried) added its own length to each product.
const SPIN_MS = 0.03; // a worker, after a job
const WAIT_SPIN_MS = 0.02; // the caller, after its share

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

/** The gemm module, compiled once per process for each FMA flag. */
export function gemmModule(fma: boolean): Promise<WebAssembly.Module> {
  let m = modules.get(fma);
  if (!m) {
    m = assembleWat(gemmModuleWat(fma), `gemm${fma ? '-fma' : ''}.wat`).then((bytes) => WebAssembly.compile(bytes));
    m.catch(() => modules.delete(fma));
    modules.set(fma, m);
  }
  return m;
}

// Plain JS, evaluated as a CommonJS script in each worker (works the same under tsx/vitest and from dist/).
const WORKER_SOURCE = `
'use strict';
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const { module, memory, control, text, index, port } = workerData;
const ctl = new Int32Array(control);
const bytes = new Uint8Array(text);
const GEN = ${GEN}, DONE = ${DONE}, ERR = ${ERR}, STOP = ${STOP}, ERR_LEN = ${ERR_LEN}, HOT = ${HOT};
const GEMM = ${GEMM}, LOAD = ${LOAD}, LOOP = ${LOOP};
const loaded = []; // cell modules' exports, by the id the pool gave them
const job = ${JOBS} + index * ${JOB_INTS};
function report(e) {
  if (Atomics.compareExchange(ctl, ERR, 0, 1) !== 0) return;
  const msg = new TextEncoder().encode('worker ' + index + ': ' + String(e && e.message || e)).subarray(0, bytes.length);
  bytes.set(msg);
  Atomics.store(ctl, ERR_LEN, msg.length);
}
let gemm;
try {
  gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message || e) });
  throw e;
}
let gen = Atomics.load(ctl, GEN); // before saying ready: no job is posted until every worker is ready
parentPort.postMessage({ ready: true });
for (;;) {
  // spin a little before sleeping: a futex wake-up costs tens of microseconds, and jobs often come in bursts
  const t0 = performance.now();
  while (Atomics.load(ctl, GEN) === gen && (Atomics.load(ctl, HOT) === 1 || performance.now() - t0 < ${SPIN_MS}));
  Atomics.wait(ctl, GEN, gen);
  gen = Atomics.load(ctl, GEN);
  if (Atomics.load(ctl, STOP)) break;
  try {
    const kind = ctl[job], a = job + 1;
    if (kind === GEMM) gemm(ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7], ctl[a + 8]);
    else if (kind === LOAD) {
      const m = receiveMessageOnPort(port)?.message;
      if (!m) throw new Error('no module was sent with the load job');
      loaded[m.id] = new WebAssembly.Instance(m.module, { env: { memory, pgemm: gemm } }).exports;
    } else if (kind === LOOP) {
      const ex = loaded[ctl[a]];
      (ctl[a + 1] === 0 ? ex.forward : ex.backward)(ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], 0, ctl[a + 7], ctl[a + 8]);
    }
  } catch (e) {
    report(e);
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}
`;

export interface WorkerPoolOptions {
  /** Use f32x4.relaxed_madd; default: whenever the engine has it. */
  fma?: boolean;
  /** Smallest M·N·K split over threads; default SPLIT_WORK (tests lower it to exercise the split). */
  minSplitWork?: number;
}

export class WorkerPool {
  readonly threads: number;
  readonly fma: boolean;
  private readonly rows: number;
  /** Smallest M·N·K this pool splits over its threads. */
  readonly minSplitWork: number;
  private readonly local: GemmFn;
  private readonly workers: Worker[];
  private readonly ctl: Int32Array;
  private readonly text: Uint8Array;
  private failure: string | undefined;
  private disposed = false;
  private splits = 0;

  private readonly ports: MessagePort[];
  /** Cell modules the workers have instantiated, with the id their jobs name them by. */
  private readonly loaded = new Map<WebAssembly.Module, number>();

  private constructor(threads: number, fma: boolean, minSplitWork: number, local: GemmFn, workers: Worker[], ports: MessagePort[], ctl: Int32Array, text: Uint8Array) {
    this.ports = ports;
    this.threads = threads;
    this.minSplitWork = minSplitWork;
    this.fma = fma;
    this.rows = defaultRows(fma);
    this.local = local;
    this.workers = workers;
    this.ctl = ctl;
    this.text = text;
  }

  /** A pool of `threads` threads (the caller's included: 1 means no workers) over the shared `memory`. */
  static async create(memory: WebAssembly.Memory, threads: number, options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new CellforgeError(`WorkerPool: threads must be a positive integer, got ${threads}`);
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new CellforgeError('WorkerPool: the memory must be shared (new WebAssembly.Memory({ ..., shared: true }))');
    const fma = options.fma ?? relaxedSimd();
    if (fma && !relaxedSimd()) throw new CellforgeError('WorkerPool: this engine has no f32x4.relaxed_madd');
    const module = await gemmModule(fma);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const local = instance.exports.gemm as GemmFn;
    const control = new SharedArrayBuffer((JOBS + JOB_INTS * (threads - 1)) * 4);
    const text = new SharedArrayBuffer(TEXT_BYTES);
    const ctl = new Int32Array(control);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    const startListeners: (() => void)[] = [];
    const ports: MessagePort[] = [];
    for (let index = 0; index < threads - 1; index++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, text, index, port: port2 }, transferList: [port2] });
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const fail = (e: unknown) => reject(new CellforgeError(`WorkerPool: worker ${index} failed to start: ${e instanceof Error ? e.message : String(e)}`));
          const onMessage = (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : fail(m.error));
          const onExit = (code: number) => fail(`exited with code ${code}`);
          w.on('message', onMessage).on('error', fail).on('exit', onExit);
          startListeners.push(() => w.off('message', onMessage).off('error', fail).off('exit', onExit));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      Atomics.store(ctl, STOP, 1);
      for (const w of workers) void w.terminate();
      throw e;
    }
    const pool = new WorkerPool(threads, fma, options.minSplitWork ?? SPLIT_WORK, local, workers, ports, ctl, new Uint8Array(text));
    for (const off of startListeners) off();
    workers.forEach((w, index) => {
      const died = (why: string) => {
        if (pool.disposed) return;
        pool.failure ??= `WorkerPool: worker ${index} ${why}; the pool can no longer be used`;
        Atomics.store(ctl, ERR, 2);
        Atomics.notify(ctl, DONE);
      };
      w.on('error', (e) => died(`failed: ${e.message}`));
      w.on('exit', (code) => died(`exited (code ${code})`));
      w.unref(); // an idle pool never keeps the process alive
    });
    return pool;
  }

  /**
   * Keep the workers polling (on) or let them sleep between products (off). A time loop whose per-step products
   * are split holds the pool hot: a sleeping worker costs tens of microseconds to wake, and a scheduler that
   * places a thread woken this often on its waker's CPU keeps both on one core; a polling worker keeps its own.
   * The poll burns the other cores while held, so hold it only around such a loop.
   */
  hold(on: boolean): void {
    Atomics.store(this.ctl, HOT, on ? 1 : 0);
  }

  /** How many products this pool has split over its threads (the rest ran on the calling thread alone). */
  get splitCount(): number {
    return this.splits;
  }

  /**
   * C[m,n] = (acc ? C[m,n] : 0) + Σ_k A[m,k]·B[k,n] for m < M, n < N, exactly like the module's $gemm (byte
   * addresses a, bp, c; strides lda, ldc in floats; B packed by packB). Returns when the whole product is done.
   */
  gemm(M: number, N: number, K: number, a: number, lda: number, bp: number, c: number, ldc: number, acc: boolean | number): void {
    this.check();
    const ac = acc ? 1 : 0;
    const nw = this.workers.length;
    if (nw === 0 || M * N * K < this.minSplitWork) {
      this.local(M, N, K, a, lda, bp, c, ldc, ac);
      return;
    }
    const R = this.rows;
    const rowTiles = Math.ceil(M / R);
    const panels = Math.ceil(N / PANEL);
    const byRows = rowTiles >= panels;
    const units = byRows ? rowTiles : panels;
    const parts = Math.min(this.threads, units);
    if (parts <= 1) {
      this.local(M, N, K, a, lda, bp, c, ldc, ac);
      return;
    }
    // part i covers units [floor(i·units/parts), floor((i+1)·units/parts)); the caller takes part 0
    const jobs: number[][] = [];
    for (let i = 0; i < this.threads; i++) {
      const u0 = Math.floor((i * units) / parts);
      const u1 = Math.floor(((i + 1) * units) / parts);
      if (i >= parts || u1 <= u0) jobs.push([NONE]);
      else if (byRows) {
        const m0 = u0 * R;
        const m1 = Math.min(M, u1 * R);
        jobs.push([GEMM, m1 - m0, N, K, a + m0 * lda * 4, lda, bp, c + m0 * ldc * 4, ldc, ac]);
      } else {
        const n0 = u0 * PANEL;
        const n1 = Math.min(N, u1 * PANEL);
        jobs.push([GEMM, M, n1 - n0, K, a, lda, bp + u0 * K * PANEL * 4, c + n0 * 4, ldc, ac]);
      }
    }
    this.splits++;
    const j = jobs[0]!;
    this.dispatch(jobs.slice(1), () => {
      if (j[0] === GEMM) this.local(j[1]!, j[2]!, j[3]!, j[4]!, j[5]!, j[6]!, j[7]!, j[8]!, j[9]!);
    });
  }

  /**
   * Runs a cell module's time loop (`fn` 0: forward, 1: backward) over example ranges, one per thread: the
   * caller's range through `local` (its own instance), the others on the workers (the module is instantiated on
   * each worker the first time). `args`: L T B rev keep|truncate.
   */
  runLoops(module: WebAssembly.Module, fn: 0 | 1, args: readonly number[], ranges: readonly (readonly [number, number])[], local: (b0: number, b1: number) => void): void {
    this.check();
    const id = this.load(module);
    const jobs = this.workers.map((_, w) => {
      const r = ranges[w + 1];
      return r ? [LOOP, id, fn, ...args, r[0], r[1]] : [NONE];
    });
    this.splits++;
    this.dispatch(jobs, () => local(ranges[0]![0], ranges[0]![1]));
  }

  private check(): void {
    if (this.disposed) throw new CellforgeError('WorkerPool: used after dispose()');
    if (this.failure) throw new CellforgeError(this.failure);
  }

  /** The module's id on the workers, instantiating it there first (synchronously, through each worker's port). */
  private load(module: WebAssembly.Module): number {
    let id = this.loaded.get(module);
    if (id === undefined) {
      id = this.loaded.size;
      for (const port of this.ports) port.postMessage({ id, module });
      this.dispatch(this.workers.map(() => [LOAD]), () => {});
      this.loaded.set(module, id);
    }
    return id;
  }

  /** Posts one job per worker, runs `mine` on this thread, and waits until every worker has counted itself done. */
  private dispatch(jobs: readonly (readonly number[])[], mine: () => void): void {
    const ctl = this.ctl;
    const nw = this.workers.length;
    jobs.forEach((job, w) => {
      ctl.fill(0, JOBS + w * JOB_INTS, JOBS + (w + 1) * JOB_INTS);
      ctl.set(job, JOBS + w * JOB_INTS);
    });
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, ERR_LEN, 0);
    if (Atomics.load(ctl, ERR) === 1) Atomics.store(ctl, ERR, 0); // a job error of an earlier call
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let own: unknown;
    try {
      mine();
    } catch (e) {
      own = e;
    }
    // every worker counts itself done, even after a throw; a dead one sets ERR = 2 and wakes us
    const t0 = performance.now();
    while (Atomics.load(ctl, DONE) < nw && (Atomics.load(ctl, HOT) === 1 || performance.now() - t0 < WAIT_SPIN_MS));
    for (let d = Atomics.load(ctl, DONE); d < nw; d = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, ERR) === 2) {
        this.failure ??= 'WorkerPool: a worker died during a product; the pool can no longer be used';
        throw new CellforgeError(this.failure);
      }
      Atomics.wait(ctl, DONE, d);
    }
    if (own !== undefined) throw own;
    const err = Atomics.load(ctl, ERR);
    if (err === 1) {
      const msg = new TextDecoder().decode(this.text.slice(0, Atomics.load(ctl, ERR_LEN)));
      throw new CellforgeError(`WorkerPool: ${msg}`);
    }
    if (err === 2) {
      this.failure ??= 'WorkerPool: a worker died; the pool can no longer be used';
      throw new CellforgeError(this.failure);
    }
  }

  /** Stops and terminates the workers; the pool cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
  }
}
