// Which steps export as the engines' own operators (torch.nn.LSTM/GRU/RNN, ONNX LSTM/GRU/RNN): recognised by the
// step's structure, never by name; and compiler/export stays loadable in a browser (no Node module on its imports).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCell, builtinNames, compileCell } from '../../index.js';
import { nativeStep, stepFingerprint } from '../../compiler/export/step.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('native steps', () => {
  it('the built-in LSTM, GRU (both reset placements) and tanh/relu RNN are recognised, no other sample cell is', () => {
    const found = Object.fromEntries(builtinNames().map((n) => [n, nativeStep(builtinCell(n)) ?? null]));
    // A change to how the frontend lowers these cells changes their fingerprints: update step.ts from this list.
    const fingerprints = ['lstm', 'gru', 'gru_reset_before', 'rnn_tanh', 'rnn_relu'].map((n) => `${n} ${stepFingerprint(builtinCell(n))}`);
    expect(found, fingerprints.join('\n')).toEqual({
      gru: 'gru', gru_reset_before: 'gru_reset_before', gru_simplified: null, indrnn: null, lstm: 'lstm', lstm_cifg: null,
      lstm_layernorm: null, lstm_peephole: null, mgu: null, rnn_relu: 'rnn_relu', rnn_tanh: 'rnn_tanh',
    });
  });

  it('by structure: the same step under another name is recognised, a changed step under the name lstm is not', () => {
    const source = readFileSync(join(ROOT, 'samples/cells/lstm.cell.ts'), 'utf8');
    expect(nativeStep(compileCell(source.replace('/** LSTM', '/** my own LSTM')))).toBe('lstm');
    expect(nativeStep(compileCell(source.replace('const f = sigmoid(xf + hf);', 'const f = sigmoid(xf + hf + 1);')))).toBeUndefined();
    expect(nativeStep(compileCell(source.replace("['h', 'c']", "['h', 'cell']").replace('{ h, c }', '{ h, cell: c }').replace('c: c2', 'cell: c2')))).toBeUndefined();
  });
});

describe('compiler/export in a browser', () => {
  it('imports no Node module, directly or through the modules it imports', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'crypto', 'url'].includes(spec)) bad.push(`${file.slice(ROOT.length + 1)}: ${spec}`);
      }
    };
    visit(join(ROOT, 'compiler/export/index.ts'));
    expect(seen.size).toBeGreaterThan(8);
    expect(bad).toEqual([]);
  });
});
