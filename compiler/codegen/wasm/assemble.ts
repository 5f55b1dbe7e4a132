// Turns the WebAssembly text cellforge generates into a validated binary, with wabt (the WebAssembly Binary
// Toolkit's own parser and validator, compiled to JS), and says which SIMD extensions this engine runs.
import { setV8Flag, v8Major } from './v8-flags.js';
import { CellforgeError } from '../../../ir/errors.js';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;

const FEATURES = { simd: true, relaxed_simd: true, threads: true, bulk_memory: true, mutable_globals: true, sat_float_to_int: true };

let wabt: Promise<Wabt> | undefined;

function loadWabt(): Promise<Wabt> {
  wabt ??= import('wabt').then((m) => (m.default as unknown as () => Promise<Wabt>)());
  return wabt;
}

/** Assemble and validate one module; an invalid module is a compiler bug, reported with wabt's message. */
export async function assembleWat(text: string, name = 'cellforge.wat'): Promise<Uint8Array<ArrayBuffer>> {
  relaxedSimd(); // enables the instructions in engines that have them behind a flag
  const w = await loadWabt();
  let module: ReturnType<Wabt['parseWat']> | undefined;
  try {
    module = w.parseWat(name, text, FEATURES);
    // The typings say validate() takes no features; wabt's JS does take them (and needs them for SIMD).
    (module.validate as (features: typeof FEATURES) => void)(FEATURES);
    const bytes = new Uint8Array(module.toBinary({ log: false, write_debug_names: true }).buffer);
    if (!WebAssembly.validate(bytes)) throw new Error('the engine rejected a module wabt accepted');
    return bytes;
  } catch (e) {
    throw new CellforgeError(`internal error: cellforge generated an invalid WebAssembly module ${name}: ${(e as Error).message}`, undefined, 'please report this with the cell source');
  } finally {
    module?.destroy();
  }
}

// (module (func (param v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 0) (local.get 0))))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b,
  0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x85, 0x02, 0x0b,
]);

let relaxed: boolean | undefined;

/**
 * V8 before 12 inlines small wasm functions (our $sigmoid4, $tanh4, the GEMM micro-kernels into their callers)
 * only behind a flag; measured here it makes an LSTM step ~15 % faster. Newer V8 inlines by default.
 */
function enableInlining(): void {
  // flags frozen: modules run without cross-function inlining
  if (v8Major() < 12) setV8Flag('--experimental-wasm-inlining');
}

/**
 * Whether f32x4.relaxed_madd (a fused multiply-add) compiles here. Node 20's V8 has it behind a flag, which
 * only enables the instruction set for modules compiled afterwards; newer engines ship it. The first call also
 * turns on V8 11's wasm inlining (enableInlining): every module is compiled after it (assembleWat calls this).
 */
export function relaxedSimd(): boolean {
  if (relaxed !== undefined) return relaxed;
  enableInlining();
  // not V8, or flags are frozen: fall back to multiply and add
  if (!WebAssembly.validate(RELAXED_PROBE)) setV8Flag('--experimental-wasm-relaxed-simd');
  relaxed = WebAssembly.validate(RELAXED_PROBE);
  return relaxed;
}

/** Whether this engine runs WebAssembly SIMD128 and shared memory at all. */
export function wasmSimdAvailable(): boolean {
  // (module (func (result v128) (f32x4.splat (f32.const 0))))
  const simdProbe = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00,
    0x43, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x13, 0x0b,
  ]);
  return typeof WebAssembly === 'object' && WebAssembly.validate(simdProbe) && typeof SharedArrayBuffer === 'function';
}
