// What the machine offers a run, in Node (a page gets web/shims/machine.ts, from what the browser says).
import { totalmem } from 'node:os';

/** Bytes of memory the machine has. */
export function machineMemoryBytes(): number {
  return totalmem();
}
