// Page version of runtime/machine.ts: what the browser says of the machine (navigator.deviceMemory is coarse and
// absent outside Chromium; 4 GiB then, a typical tab's ceiling).
export function machineMemoryBytes(): number {
  const gib = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory ?? 4;
  return gib * 2 ** 30;
}
