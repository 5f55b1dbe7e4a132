// The playground's modules that run without a browser: the type checker against the DSL declarations, the
// completions read from them, the URL-hash state, and the compile views (the CLI's text, errors at their line).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCell } from '../../../compiler/compile.js';
import { samplesDir } from '../../../compiler/paths.js';
import { compileForView } from '../../../web/src/compile-view.js';
import { dslCompletions } from '../../../web/src/completions.js';
import { defaultSettings, readHash, writeHash } from '../../../web/src/state.js';
import { typecheck } from '../../../web/src/typecheck.js';

const samples = readdirSync(samplesDir()).filter((f) => f.endsWith('.cell.ts'));
const lstm = readFileSync(join(samplesDir(), 'lstm.cell.ts'), 'utf8');

describe('type checker (TypeScript against dsl/index.d.ts)', () => {
  it('finds nothing wrong in any sample cell', () => {
    for (const f of samples) expect(typecheck(readFileSync(join(samplesDir(), f), 'utf8')), f).toEqual([]);
  }, 60_000);

  it("reports a type error at its line and column, and a DSL function's arity", () => {
    const bad = lstm.replace('const g = tanh(xg + hg);', "const g = tanh(xg + hg, 'x');");
    const line = bad.split('\n').findIndex((l) => l.includes("'x'")) + 1;
    const d = typecheck(bad);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line, column: bad.split('\n')[line - 1]!.indexOf("'x'") + 1, source: 'typescript' });
    expect(d[0]!.message).toMatch(/Expected 1 argument/);
  });
});

describe('completions', () => {
  it('offer every function the DSL declares, with its signature and doc', () => {
    const dsl = readFileSync(new URL('../../../dsl/index.d.ts', import.meta.url), 'utf8');
    const list = dslCompletions(dsl);
    const declared = [...dsl.matchAll(/export declare function (\w+)/g)].map((m) => m[1]);
    expect(list.map((c) => c.label)).toEqual(declared);
    const linear = list.find((c) => c.label === 'linear')!;
    expect(linear.detail).toMatch(/name: string, input: Vec/);
    expect(String(linear.info)).toMatch(/W·input \+ b/);
  });
});

describe('URL hash state', () => {
  it('round-trips the cell source and every setting', () => {
    const state = { cell: lstm, cell2: 'gru', settings: { task: 'charlm', hidden: 64, layers: 2, lr: 0.003, batch: 8, steps: 120, seed: 7, backend: 'wasm' } } as const;
    expect(readHash(writeHash(state))).toEqual(state);
  });

  it('falls back to the defaults for missing or bad values', () => {
    expect(readHash('#task=nope&hidden=-3&lr=abc&layers=1.5&backend=cuda')).toEqual({ cell: 'lstm', settings: defaultSettings });
  });
});

describe('compile views', () => {
  it('are the text of `cellforge compile --emit`, for every kind', () => {
    const r = compileForView(lstm, 'samples/cells/lstm.cell.ts', { X: 16, H: 16 });
    expect(r.diagnostics).toEqual([]);
    const cell = compileCell('lstm');
    for (const kind of ['ir', 'backward-ir', 'wgsl', 'js', 'wasm'] as const) expect(r.views[kind], kind).toBe(cell.emit(kind));
  });

  it("put a compile error at the user's line and column, with the hint", () => {
    const bad = lstm.replace('const i = sigmoid(xi + hi);', 'const i = sigmoid(xi + hq);');
    const r = compileForView(bad, 'my_cell.cell.ts', { X: 16, H: 16 });
    expect(r.views).toEqual({});
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ line: 7, column: bad.split('\n')[6]!.indexOf('hq') + 1, length: 2, source: 'cellforge' });
    expect(r.diagnostics[0]!.message).toMatch(/hq/);
  });
});
