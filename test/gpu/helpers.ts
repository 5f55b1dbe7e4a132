/**
 * WebGPU test helpers. The device is resolved once, when this module loads.
 *
 * Without an adapter the WebGPU tests never pass silently:
 * - in CI (`CI` set) every one of them FAILS with the reason (e.g. lavapipe missing);
 * - locally they are skipped, and "WebGPU tests skipped: <reason>" is printed once.
 *
 *   gpuTest('adds', async (device) => { ... });
 *   describeGpu('lstm', (gpu) => { it('forward', async () => { const d = gpu.device; ... }); });
 */
/// <reference types="@webgpu/types" />
import { beforeEach, describe, test } from 'vitest';
import { requestDevice } from '../../runtime/webgpu/device.js';

const result = await requestDevice();

/** CI as most CI systems set it ("true", "1", ...); "false"/"0"/"" mean not CI. */
const inCI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

/** Why WebGPU tests cannot run here, or null when a device exists. */
export const gpuUnavailable: string | null = result.device ? null : result.reason;

/** What describeGpu hands its body: use `device` only inside tests and hooks, never at collection time. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: string;
}

const context: GpuContext = {
  get device(): GPUDevice {
    if (!result.device) throw new Error(result.reason);
    return result.device;
  },
  get adapterInfo(): string {
    return result.device ? result.adapterInfo : `none (${result.reason})`;
  },
};

const WARNED = Symbol.for('cellforge.gpuTestsSkippedWarning');
function warnSkipped(reason: string): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[WARNED]) return;
  g[WARNED] = true;
  console.warn(`WebGPU tests skipped: ${reason}`);
}

/** A test that needs the WebGPU device. */
export function gpuTest(name: string, fn: (device: GPUDevice) => unknown, timeout?: number): void {
  if (result.device) {
    const device = result.device;
    test(name, () => fn(device), timeout);
  } else if (inCI) {
    const reason = result.reason;
    test(name, () => {
      throw new Error(`WebGPU test cannot run in CI: ${reason}`);
    });
  } else {
    warnSkipped(result.reason);
    test.skip(name, () => fn(null as never), timeout);
  }
}

/** A suite of tests that need the WebGPU device (through `gpu.device`). */
export function describeGpu(name: string, fn: (gpu: GpuContext) => void): void {
  if (result.device) {
    describe(name, () => fn(context));
  } else if (inCI) {
    const reason = result.reason;
    describe(name, () => {
      // beforeEach (not beforeAll) so that every test of the suite is reported as failed, with the reason.
      beforeEach(() => {
        throw new Error(`WebGPU test cannot run in CI: ${reason}`);
      });
      fn(context);
    });
  } else {
    warnSkipped(result.reason);
    describe.skip(name, () => fn(context));
  }
}
