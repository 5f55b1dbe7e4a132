// Backend choice: by name, or `auto` (the fastest one available here, decided at the first run).
import type { CompiledCell } from '../compiler/compile.js';
import { CellforgeError } from '../ir/errors.js';
import type { DirectionGrads, DirectionResult, DirectionRun, SequenceBackend } from './backend.js';
import { jsBackend } from './js/backend.js';
import { referenceBackend } from './reference/backend.js';

export type BackendName = 'reference' | 'js' | 'wasm' | 'webgpu' | 'auto';
export const backendNames: readonly BackendName[] = ['reference', 'js', 'wasm', 'webgpu', 'auto'];

/** A backend whose construction waits for something (the GPU device); the first run awaits it. */
function deferredBackend(pending: string, make: () => Promise<SequenceBackend>): SequenceBackend {
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

/**
 * `auto`: webgpu on a hardware adapter, else js. A software adapter (Mesa's llvmpipe/lavapipe, SwiftShader)
 * runs WGSL on the CPU far slower than the js kernels, so it is only used when asked for by name.
 */
async function auto(cell: CompiledCell): Promise<SequenceBackend> {
  const result = await gpuDevice();
  if (result.device && !/fallback adapter|llvmpipe|swiftshader/i.test(result.adapterInfo)) return webgpu(cell);
  return jsBackend(cell);
}

export function createBackend(name: BackendName, cell: CompiledCell): SequenceBackend {
  switch (name) {
    case 'reference':
      return referenceBackend(cell);
    case 'js':
      return jsBackend(cell);
    case 'webgpu':
      return deferredBackend('webgpu', () => webgpu(cell));
    case 'auto':
      return deferredBackend('auto', () => auto(cell));
    case 'wasm':
      throw new CellforgeError(`backend 'wasm' is not available in this version of cellforge`, undefined, 'available backends: reference, js, webgpu, auto');
    default:
      throw new CellforgeError(`unknown backend '${String(name)}'`, undefined, `backends: ${backendNames.join(', ')}`);
  }
}
