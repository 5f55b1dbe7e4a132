/// <reference types="@webgpu/types" />
/**
 * WebGPU device acquisition: one GPUDevice per process, shared by the whole WebGPU runtime.
 *
 * In a browser (or any host that already provides `navigator.gpu`) that implementation is used. In Node, Dawn is
 * loaded from the `webgpu` npm package with a dynamic import (the only Node-specific code of the WebGPU runtime),
 * and its globals (GPUBufferUsage, GPUMapMode, GPUShaderStage, ...) are installed on globalThis so the rest of the
 * runtime can use them exactly as in a browser.
 *
 * Machines without a GPU: Mesa's lavapipe Vulkan driver (Debian bookworm-backports `mesa-vulkan-drivers` with
 * `libvulkan1`) gives Dawn an "llvmpipe" adapter that runs the same WGSL on the CPU.
 *
 * Process exit: the package's README warns that a live Dawn instance (the object `create()` returns) can keep
 * Node's event loop alive. Checked with webgpu 0.6.2 on Node 20: a process (and a vitest worker: forks, threads,
 * --no-isolate) that keeps the device and the instance exits normally, so nothing is needed for exit. Long-lived
 * hosts that want the memory back can call `releaseDevice()`: it destroys the device and drops our reference to
 * the Dawn instance; a later `requestDevice()` starts over.
 */

export type DeviceResult =
  | { device: GPUDevice; adapterInfo: string }
  | { device: null; reason: string };

/** Hint shown when no adapter exists; one line. */
const NO_ADAPTER =
  "no WebGPU adapter found (Dawn via the 'webgpu' package); on Linux without a GPU install Mesa's lavapipe: " +
  'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1';

/** Adapter limits the runtime wants raised to the adapter's maximum (defaults are small: 128 MiB, 16 KiB). */
const MAX_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

let pending: Promise<DeviceResult> | null = null;
/** The Dawn instance we created (null in a browser), kept referenced for as long as its device is in use. */
let dawn: GPU | null = null;

/** Resolves the process-wide device once; later calls return the same promise. Never rejects. */
export function requestDevice(): Promise<DeviceResult> {
  pending ??= acquire().catch((err: unknown): DeviceResult => {
    dawn = null;
    return { device: null, reason: `WebGPU device request failed: ${message(err)}` };
  });
  return pending;
}

/** Destroys the device (if any) and drops the Dawn instance. A later `requestDevice()` starts over. */
export async function releaseDevice(): Promise<void> {
  const current = pending;
  pending = null;
  if (current) {
    const result = await current;
    result.device?.destroy();
  }
  dawn = null;
}

async function acquire(): Promise<DeviceResult> {
  const hostGpu = globalThis.navigator?.gpu;
  if (hostGpu) return open(hostGpu, 'no WebGPU adapter found (navigator.gpu.requestAdapter() gave none)');
  // Node: Dawn prints its probe warnings to stderr from native code; keep them for the reason of a failed probe.
  const { captureNativeStderr } = await import('./native-stderr.js');
  const { value, dawn: said } = await captureNativeStderr(async () => {
    const gpu = await loadDawn();
    return typeof gpu === 'string' ? ({ device: null, reason: gpu } as DeviceResult) : open(gpu, NO_ADAPTER);
  });
  if (value.device || !said) return value;
  return { device: null, reason: `${value.reason} (Dawn: ${said})` };
}

async function open(gpu: GPU, noAdapter: string): Promise<DeviceResult> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    dawn = null;
    return { device: null, reason: noAdapter };
  }

  const requiredLimits: Record<string, number> = {};
  for (const name of MAX_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredLimits, label: 'cellforge' });

  // An unexpected loss (driver reset, out of memory) makes the next requestDevice() start over.
  const thisRequest = pending;
  void device.lost.then(() => {
    if (pending === thisRequest) pending = null;
  });

  return { device, adapterInfo: describeAdapter(adapter) };
}

/** Loads Dawn (Node); returns the GPU object, or a one-line reason why it cannot be loaded. */
async function loadDawn(): Promise<GPU | string> {
  let mod: { create(options: string[]): GPU; globals: object };
  try {
    // A variable specifier keeps bundlers for the browser from trying to resolve the Node-only package.
    const specifier = 'webgpu';
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    return `cannot load the 'webgpu' package (Dawn for Node): ${message(err)}`;
  }
  // GPUBufferUsage, GPUMapMode, GPUShaderStage, ...: never overwrite what the host already defines.
  for (const [name, value] of Object.entries(mod.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  }
  dawn = mod.create([]);
  return dawn;
}

/** E.g. "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 [mesa, software, fallback adapter]". */
function describeAdapter(adapter: GPUAdapter): string {
  const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
  const name = description || device || 'unknown adapter';
  const extras = [vendor, architecture, isFallbackAdapter ? 'fallback adapter' : ''].filter((s) => s.length > 0);
  return extras.length > 0 ? `${name} [${extras.join(', ')}]` : name;
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
