// What the cell language accepts: names, states, destructuring, constants, options, parameter sharing, speed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cellName, parseCell, type CellIR } from '../../../compiler/frontend/index.js';
import type { Graph } from '../../../ir/graph.js';
import { printGraph } from '../../../ir/print.js';
import { showShape } from '../../../ir/shape.js';
import { verify } from '../../../ir/verify.js';

const HEAD = "import { cell, layerNorm, linear, max, mean, min, param, relu, sigmoid, split, sum, tanh } from 'cellforge/dsl';\n\n";
/** A cell module: the DSL import, then `lines`. */
const src = (...lines: string[]) => `${HEAD}${lines.join('\n')}\n`;
const compile = (source: string, file = 'test.cell.ts'): CellIR => {
  const cell = parseCell(source, file);
  verify(cell.graph);
  return cell;
};
/** The printed nodes without the `graph name {` frame, for short comparisons. */
const body = (g: Graph) => printGraph(g).split('\n').slice(1, -1).map((l) => l.trim());
const params = (g: Graph) => g.params.map((p) => `${p.name} ${showShape(p.shape)}`);

describe('cell language', () => {
  it('reads the name, the doc comment, the input name and the states', () => {
    const cell = compile(src(
      '/**',
      ' * A tiny cell.',
      ' * Second line.',
      ' */',
      "export default cell({ state: ['h', 'c'] }, (input, { h, c }) => ({ h: tanh(linear('ih', input)) + h, c }));",
    ), 'dir/tiny.cell.ts');
    expect(cell).toMatchObject({ name: 'tiny', file: 'dir/tiny.cell.ts', doc: 'A tiny cell.\nSecond line.', inputName: 'input', states: ['h', 'c'] });
    expect(cellName('C:\\cells\\my_gru.ts')).toBe('my_gru');
    expect(compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => ({ h }));",
    )).doc).toBeUndefined();
  });

  it('accepts renamed states, and returns outputs in declared order whatever the return order', () => {
    const cell = compile(src(
      "export default cell({ state: ['h', 'c'] }, (x, { c: cPrev, h: hPrev }) => {",
      '  return { c: cPrev * 2, h: hPrev };',
      '});',
    ));
    expect(body(cell.graph)).toEqual([
      '%0 = input x : f32[X]',
      '%1 = state h : f32[H]',
      '%2 = state c : f32[H]',
      '%3 = const 2 : f32[]',
      '%4 = mul %2 %3 : f32[H]',
      'return h: %1, c: %4',
    ]);
  });

  it('reads states from a state object as s.h', () => {
    const cell = compile(src(
      "export default cell({ state: ['h', 'c'] }, (x, s) => {",
      '  const c = s.c + s.h;',
      '  return { h: tanh(c), c };',
      '});',
    ));
    expect(body(cell.graph)).toEqual([
      '%0 = input x : f32[X]',
      '%1 = state h : f32[H]',
      '%2 = state c : f32[H]',
      '%3 = add %2 %1 : f32[H]  # c',
      '%4 = tanh %3 : f32[H]',
      'return h: %4, c: %3',
    ]);
  });

  it('accepts shorthand returns, expression bodies and function expressions', () => {
    const a = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      '  return { h };',
      '});',
    ));
    const b = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => ({ h }));",
    ));
    const c = compile(src(
      "export default cell({ state: ['h'] }, function (x, { h }) {",
      "  return { 'h': h };",
      '});',
    ));
    for (const cell of [a, b, c]) expect(cell.graph.outputs).toEqual([{ name: 'h', id: 1 }]);
  });

  it('skips chunks at holes in destructuring', () => {
    const cell = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      "  const [a, , c] = linear('ih', x, 3);",
      "  const [, , , d] = split(linear('hh', h, 4), 2 + 2);",
      '  return { h: a + c + d };',
      '});',
    ));
    expect(body(cell.graph).filter((l) => l.includes('chunk'))).toEqual([
      '%6 = chunk %5 {index=0, count=3} : f32[H]  # a',
      '%7 = chunk %5 {index=2, count=3} : f32[H]  # c',
      '%12 = chunk %11 {index=3, count=4} : f32[H]  # d',
    ]);
  });

  it('splits a stacked vector kept whole, and splits chunks again', () => {
    const cell = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      "  const gates = linear('ih', x, 4);",
      '  const [ab, cd] = split(gates, 2);',
      '  const [g0, , , g3] = gates;',
      '  const [a, b] = split(ab, 2);',
      '  return { h: a * b + sum(cd) * g0 * g3 };',
      '});',
    ));
    expect(body(cell.graph).filter((l) => l.includes('chunk'))).toEqual([
      '%6 = chunk %5 {index=0, count=2} : f32[2H]  # ab',
      '%7 = chunk %5 {index=1, count=2} : f32[2H]  # cd',
      '%8 = chunk %5 {index=0, count=4} : f32[H]  # g0',
      '%9 = chunk %5 {index=3, count=4} : f32[H]  # g3',
      '%10 = chunk %6 {index=0, count=2} : f32[H]  # a',
      '%11 = chunk %6 {index=1, count=2} : f32[H]  # b',
    ]);
  });

  it('shares one parameter between two linear calls with the same name', () => {
    const cell = compile(
      src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      "  const [xr, xn] = linear('ih', x, 2);",
      "  const [hr, ,] = linear('hh', h, 2);",
      '  const r = sigmoid(xr + hr);',
      "  const [, hn] = linear('hh', r * h, 2);",
      '  return { h: tanh(xn + hn) };',
      '});',
    ),
    );
    expect(params(cell.graph)).toEqual(['weight_ih f32[2H,X]', 'bias_ih f32[2H]', 'weight_hh f32[2H,H]', 'bias_hh f32[2H]']);
    expect(cell.graph.nodes.filter((n) => n.op === 'param')).toHaveLength(4);
    expect(body(cell.graph).filter((l) => l.includes('matvec') || l.includes('add %'))).toEqual([
      '%4 = matvec %2 %0 : f32[2H]',
      '%5 = add %4 %3 : f32[2H]',
      '%10 = matvec %8 %1 : f32[2H]',
      '%11 = add %10 %9 : f32[2H]',
      '%13 = add %6 %12 : f32[H]',
      '%16 = matvec %8 %15 : f32[2H]',
      '%17 = add %16 %9 : f32[2H]',
      '%19 = add %7 %18 : f32[H]',
    ]);
  });

  it('uses module constants as values, chunk counts and initial values', () => {
    const cell = compile(
      src(
      'type Gate = number;',
      'interface Unused { a: number }',
      'const GATES = 2;',
      'export const SCALE = 1 / 4;',
      'const NEG = -SCALE * 2;',
      '',
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      "  const [a, b] = linear('ih', x, GATES);",
      "  const p = param('p', { init: NEG });",
      '  const g: Gate = a * SCALE + b * NEG + p;',
      '  return { h: g * h };',
      '});',
    ),
    );
    expect(params(cell.graph)).toEqual(['weight_ih f32[2H,X]', 'bias_ih f32[2H]', 'p f32[H]']);
    expect(cell.graph.params[2]!.init).toEqual({ kind: 'constant', value: -0.5 });
    expect(body(cell.graph)).toContain('%9 = const 0.25 : f32[]');
    expect(body(cell.graph)).toContain('%11 = const -0.5 : f32[]');
  });

  it('lowers literals, signs and type-only wrappers', () => {
    const cell = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      '  const a = -1 * (h as number) + +h!;',
      '  const b = -(a satisfies number) / 2.5;',
      '  return { h: b };',
      '});',
    ));
    expect(body(cell.graph)).toEqual([
      '%0 = input x : f32[X]',
      '%1 = state h : f32[H]',
      '%2 = const -1 : f32[]',
      '%3 = mul %2 %1 : f32[H]',
      '%4 = add %3 %1 : f32[H]  # a',
      '%5 = neg %4 : f32[H]',
      '%6 = const 2.5 : f32[]',
      '%7 = div %5 %6 : f32[H]  # b',
      'return h: %7',
    ]);
  });

  it('lowers every DSL function', () => {
    const cell = compile(
      src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      "  const v = linear('ih', x, 1, { bias: false });",
      "  const n = layerNorm('ln', v);",
      '  const m = min(relu(n), max(h, 0)) - mean(h) + sum(h);',
      '  return { h: m };',
      '});',
    ),
    );
    expect(params(cell.graph)).toEqual(['weight_ih f32[H,X]', 'weight_ln f32[H]', 'bias_ln f32[H]']);
    const ops = cell.graph.nodes.map((n) => n.op);
    for (const op of ['matvec', 'mean', 'sqrt', 'relu', 'min', 'max', 'sum']) expect(ops).toContain(op);
    expect(ops.filter((o) => o === 'add')).not.toHaveLength(0);
  });

  it('follows import aliases', () => {
    const cell = compile("import { cell as defineCell, tanh as th } from 'cellforge/dsl';\nimport type { Vec } from 'cellforge/dsl';\n\nexport default defineCell({ state: ['h'] }, (x, { h }) => ({ h: th(h) as Vec }));\n");
    expect(body(cell.graph)[2]).toBe('%2 = tanh %1 : f32[H]');
  });

  it('leaves constant folding to the passes', () => {
    const cell = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => ({ h: h * (1 + 2) }));",
    ));
    expect(cell.graph.nodes.map((n) => n.op)).toEqual(['input', 'state', 'const', 'const', 'add', 'mul']);
  });

  it('attaches source locations to nodes', () => {
    const cell = compile(src(
      "export default cell({ state: ['h'] }, (x, { h }) => {",
      '  const z = sigmoid(h);',
      '  return { h: z };',
      '});',
    ));
    const z = cell.graph.nodes.find((n) => n.label === 'z')!;
    expect(z.loc).toEqual({ file: 'test.cell.ts', line: 4, column: 13, lineText: '  const z = sigmoid(h);', length: 10 });
  });

  it('compiles a cell in well under 100 ms once ts-morph is loaded', () => {
    const source = readFileSync(new URL('../../../samples/cells/lstm.cell.ts', import.meta.url), 'utf8');
    for (let i = 0; i < 5; i++) parseCell(source, 'lstm.cell.ts');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      parseCell(source, 'lstm.cell.ts');
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    expect(times[10]!).toBeLessThan(100);
  });
});
