// Page version of runtime/wasm/pool.ts: the wasm backend runs on one thread in a page (the playground already
// trains in a Web Worker, off the page's thread), so there is no pool to start.
import { CellforgeError } from '../../ir/errors.js';

export const SPLIT_WORK = 1 << 22;

export function defaultThreads(): number {
  return 1;
}

export class WorkerPool {
  readonly minSplitWork = SPLIT_WORK;
  static create(): Promise<WorkerPool> {
    return Promise.reject(new CellforgeError('the wasm backend runs on one thread in a page', undefined, 'use threads: 1'));
  }
  gemm(): void {}
  runLoops(): void {}
  hold(): void {}
  dispose(): void {}
}
