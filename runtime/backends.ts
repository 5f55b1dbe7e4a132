// Backend choice: by name, or `auto` (the fastest one available here, decided at the first run).
import type { CompiledCell } from '../compiler/compile.js';
import { CellforgeError } from '../ir/errors.js';
import type { DirectionGrads, DirectionResult, DirectionRun, SequenceBackend } from './backend.js';
import { jsBackend } from './js/backend.js';
import { referenceBackend } from './reference/backend.js';
import { wasmSimdAvailable } from '../compiler/codegen/wasm/assemble.js';

export interface BackendOptions {
  /** wasm, native: threads for the large products (default: the number of cores; 1: none). */
  readonly threads?: number;
}

export type BackendName = 'reference' | 'js' | 'wasm' | 'webgpu' | 'native' | 'auto';
export const backendNames: readonly BackendName[] = ['reference', 'js', 'wasm', 'webgpu', 'native', 'auto'];

/**
 * A backend whose construction waits for something (the GPU device, a C compiler); the first run awaits it.
 * `eager`: prewarm() starts the construction (and the backend's own prewarm) at once.
 */
function deferredBackend(pending: string, make: () => Promise<SequenceBackend>, eager = false): SequenceBackend {
  let ready: Promise<SequenceBackend> | undefined;
  let resolved: SequenceBackend | undefined;
  const get = async () => (resolved ??= await (ready ??= make()));
  return {
    get name() {
      return resolved?.name ?? pending;
    },
    get stats() {
      return resolved?.stats;
    },
    forwardDirection: async (run: DirectionRun): Promise<DirectionResult> => (await get()).forwardDirection(run),
    backwardDirection: async (run: DirectionRun, result: DirectionResult, g: Float64Array, gf: readonly Float64Array[]): Promise<DirectionGrads> =>
      (await get()).backwardDirection(run, result, g, gf),
    prewarm: (dims) => {
      if (eager) get().then((b) => b.prewarm?.(dims), () => undefined);
    },
    beginSequence: () => resolved?.beginSequence?.(),
    dispose: () => resolved?.dispose?.(),
  };
}

async function gpuDevice(): Promise<{ device: GPUDevice; adapterInfo: string } | { device: null; reason: string }> {
  const { requestDevice } = await import('./webgpu/device.js');
  return requestDevice();
}

async function webgpu(cell: CompiledCell): Promise<SequenceBackend> {
  const result = await gpuDevice();
  if (!result.device) throw new CellforgeError(`backend webgpu: ${result.reason}`);
  const { webgpuBackend } = await import('./webgpu/backend.js');
  return webgpuBackend(cell, result.device);
}

async function wasm(cell: CompiledCell, options: BackendOptions): Promise<SequenceBackend> {
  if (!wasmSimdAvailable()) throw new CellforgeError('backend wasm: this JavaScript engine has no WebAssembly SIMD128 or no SharedArrayBuffer', undefined, 'use backend js');
  const { wasmBackend } = await import('./wasm/backend.js');
  return wasmBackend(cell, options);
}

/** Node with a working C compiler (the probe runs once per process); in a browser, never. */
async function nativeAvailable(): Promise<boolean> {
  if (typeof process === 'undefined' || !process.versions?.node) return false;
  const { findToolchain } = await import('./native/toolchain.js');
  return typeof (await findToolchain()) !== 'string';
}

async function native(cell: CompiledCell, options: BackendOptions): Promise<SequenceBackend> {
  if (typeof process === 'undefined' || !process.versions?.node) throw new CellforgeError('backend native: needs Node.js (a browser cannot load a C library)', undefined, 'use backend wasm');
  const { requireToolchain } = await import('./native/library.js');
  await requireToolchain();
  const { nativeBackend } = await import('./native/backend.js');
  return nativeBackend(cell, options);
}

/**
 * `auto`: webgpu on a hardware adapter, else native where a C compiler works, else wasm (SIMD128), else js. A software adapter (Mesa's
 * llvmpipe/lavapipe, SwiftShader) runs WGSL on the CPU far slower than the CPU kernels, so it is only used
 * when asked for by name.
 */
async function auto(cell: CompiledCell, options: BackendOptions): Promise<SequenceBackend> {
  const result = await gpuDevice();
  if (result.device && !/fallback adapter|llvmpipe|swiftshader/i.test(result.adapterInfo)) return webgpu(cell);
  if (await nativeAvailable()) return native(cell, options);
  if (wasmSimdAvailable()) return wasm(cell, options);
  return jsBackend(cell);
}

export function createBackend(name: BackendName, cell: CompiledCell, options: BackendOptions = {}): SequenceBackend {
  switch (name) {
    case 'reference':
      return referenceBackend(cell);
    case 'js':
      return jsBackend(cell);
    case 'webgpu':
      return deferredBackend('webgpu', () => webgpu(cell));
    case 'auto':
      return deferredBackend('auto', () => auto(cell, options));
    case 'wasm':
      return deferredBackend('wasm', () => wasm(cell, options));
    case 'native':
      return deferredBackend('native', () => native(cell, options), true);
    default:
      throw new CellforgeError(`unknown backend '${String(name)}'`, undefined, `backends: ${backendNames.join(', ')}`);
  }
}
