// One WebAssembly memory for every wasm backend of the process, shared with the GEMM worker threads, and a
// first-fit allocator over it: each run's tensors are one block, kept while its tape may still be read.
import { CellforgeError } from '../../ir/errors.js';

const PAGE = 65536;
/** 2 GiB: a shared memory reserves its maximum address space up front. */
const MAX_PAGES = 32768;
const ALIGN = 64;
/** The first bytes stay unused, so address 0 is never a tensor. */
const START = 1024;

export class Heap {
  readonly memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
  /** Free blocks by address, disjoint and coalesced. */
  private free: { at: number; bytes: number }[] = [{ at: START, bytes: 64 * PAGE - START }];
  /** Bytes in allocated blocks. */
  private used = 0;
  private readonly retireHooks: (() => void)[] = [];

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  get inUse(): number {
    return this.used;
  }

  /** Runs `f` when this heap is replaced (see heapFor): what was made for its memory (worker pools) goes too. */
  onRetire(f: () => void): void {
    this.retireHooks.push(f);
  }

  retire(): void {
    for (const f of this.retireHooks.splice(0)) f();
  }

  alloc(request: number): number {
    const bytes = Math.ceil(Math.max(request, 1) / ALIGN) * ALIGN;
    let i = this.free.findIndex((f) => f.bytes >= bytes);
    if (i < 0) {
      this.grow(bytes);
      i = this.free.findIndex((f) => f.bytes >= bytes);
    }
    const block = this.free[i]!;
    const at = block.at;
    if (block.bytes === bytes) this.free.splice(i, 1);
    else this.free[i] = { at: at + bytes, bytes: block.bytes - bytes };
    this.used += bytes;
    return at;
  }

  release(at: number, request: number): void {
    const bytes = Math.ceil(Math.max(request, 1) / ALIGN) * ALIGN;
    this.used -= bytes;
    this.addFree(at, bytes);
  }

  /** Puts [at, at + bytes) on the free list, merged with its neighbours. */
  private addFree(at: number, bytes: number): void {
    let i = this.free.findIndex((f) => f.at > at);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { at, bytes });
    // merge with the next block, then with the previous one
    const next = this.free[i + 1];
    if (next && at + bytes === next.at) this.free.splice(i, 2, { at, bytes: bytes + next.bytes });
    const prev = this.free[i - 1];
    const cur = this.free[i]!;
    if (prev && prev.at + prev.bytes === cur.at) this.free.splice(i - 1, 2, { at: prev.at, bytes: prev.bytes + cur.bytes });
  }

  private grow(bytes: number): void {
    const end = this.bytes;
    const last = this.free[this.free.length - 1];
    const tail = last && last.at + last.bytes === end ? last.bytes : 0;
    const pages = Math.ceil((bytes - tail) / PAGE);
    const now = end / PAGE;
    if (now + pages > MAX_PAGES) {
      throw new CellforgeError(
        `this run needs a block of ${Math.ceil(bytes / 2 ** 20).toLocaleString('en-US')} MiB in the wasm backend's memory, beyond the ${MAX_PAGES / 16} MiB it can hold`,
        undefined,
        'use fewer steps or a smaller batch per call, or backend js',
      );
    }
    this.memory.grow(pages);
    this.addFree(end, pages * PAGE);
  }
}

let heap: Heap | undefined;

/** A memory grown past this is given back (replaced by a new one) once nothing in it is in use. */
let retainBytes = 256 * 2 ** 20;

/** The heap every wasm backend allocates from now. */
export function sharedHeap(): Heap {
  return (heap ??= new Heap());
}

/**
 * The heap to allocate `request` bytes from. A WebAssembly memory never shrinks, so after one large run the process
 * would keep its peak for good: when the heap is idle (no tape or run holds a block), has grown past the retention
 * limit, and this request is small against it, it is retired and a new one takes its place (the old memory is
 * freed by the garbage collector once the last view of it is gone).
 */
export function heapFor(request: number): Heap {
  const h = sharedHeap();
  if (h.inUse === 0 && h.bytes > retainBytes && request * 4 < h.bytes) {
    h.retire();
    heap = new Heap();
  }
  return sharedHeap();
}

/** Tests: the retention limit (bytes); returns the previous one. */
export function setRetainBytes(bytes: number): number {
  const before = retainBytes;
  retainBytes = bytes;
  return before;
}
