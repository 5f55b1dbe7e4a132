// Page version of compiler/codegen/wasm/v8-flags.ts: a page cannot set engine flags; it runs what the engine ships.
export function setV8Flag(_flag: string): boolean {
  return false;
}

export function v8Major(): number {
  return NaN;
}
