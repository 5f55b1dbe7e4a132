// Generated code is part of the debugging interface: the JS and WGSL kernels of LSTM and GRU are pinned.
import { describe, expect, it } from 'vitest';
import { builtinCell } from '../../../index.js';
import { jsKernels } from '../../../compiler/codegen/js/kernels.js';

describe.each(['lstm', 'gru'])('%s', (name) => {
  it('js kernels', () => {
    expect(builtinCell(name).emit('js', { inputSize: 3, hiddenSize: 4 })).toMatchSnapshot();
  });
  it('wgsl kernels', () => {
    expect(builtinCell(name).emit('wgsl', { inputSize: 3, hiddenSize: 4 })).toMatchSnapshot();
  });
  it('kernels name no value of the cell source but numbers and generated names', () => {
    const k = jsKernels(builtinCell(name), { X: 16, H: 16 });
    const js = `${k.forwardSource}\n${k.backwardSource}`;
    // Sizes are inlined as constants; the only identifiers are generated ones (v12_0, P3, HX5, ...).
    expect(js).toMatch(/const HX\d+ = new Float32Array\(CH \* B \* \d+\)/);
    expect(js).not.toMatch(/weight_|bias_/);
  });
});
