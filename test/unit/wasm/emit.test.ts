// The wasm backend's generated modules: every sample cell's module validates (wabt and the engine), the
// generated part of LSTM's and GRU's is pinned, and no text of the cell source reaches the module.
import { describe, expect, it } from 'vitest';
import { builtinCell, builtinNames } from '../../../index.js';
import { assembleWat } from '../../../compiler/codegen/wasm/assemble.js';
import { gemmWat } from '../../../compiler/codegen/wasm/gemm.js';
import { mathWatFor } from '../../../compiler/codegen/wasm/math.js';
import { wasmProgram } from '../../../compiler/codegen/wasm/program.js';

describe('wasm modules', () => {
  it.each(builtinNames())('%s: validates with and without fused multiply-add, at odd sizes', async (name) => {
    for (const fma of [true, false]) {
      for (const dims of [{ X: 3, H: 4 }, { X: 17, H: 9 }]) {
        const bytes = await assembleWat(wasmProgram(builtinCell(name), dims, fma).text);
        expect(WebAssembly.validate(bytes)).toBe(true);
      }
    }
  });

  it.each(['lstm', 'gru'])('%s: the generated step and loop functions (after the math and GEMM libraries) are pinned', (name) => {
    const text = wasmProgram(builtinCell(name), { X: 3, H: 5 }, true).text;
    const generated = text.slice(text.indexOf('(func $step_gemm'));
    expect(text).toContain(mathWatFor(true));
    expect(text).toContain(gemmWat(true));
    expect(generated).toMatchSnapshot();
  });

  it('emit("wasm") prints the module text after a header in comments', () => {
    const emitted = builtinCell('lstm').emit('wasm', { inputSize: 3, hiddenSize: 4 });
    expect(emitted).toMatch(/^# cell lstm/);
    expect(emitted).toContain('(func $forward (export "forward")');
    expect(emitted).toContain('(func $backward (export "backward")');
    expect(emitted).toContain(';; WebAssembly text specialised to X=3, H=4');
  });

  it('names no value of the cell source but numbers and generated names', () => {
    const text = wasmProgram(builtinCell('lstm'), { X: 16, H: 16 }, true).text;
    expect(text).not.toMatch(/weight_|bias_/);
  });
});
