// V8 flags for the wasm code generator's optional instructions (Node only: a page runs what its engine ships and
// gets web/shims/v8-flags.ts, which sets nothing).
import v8 from 'node:v8';

/** Sets a V8 flag; false when the engine refuses (flags frozen). Affects only modules compiled afterwards. */
export function setV8Flag(flag: string): boolean {
  try {
    v8.setFlagsFromString(flag);
    return true;
  } catch {
    return false;
  }
}

/** V8's major version (NaN when unknown). */
export function v8Major(): number {
  return Number(process.versions.v8?.split('.')[0]);
}
