// Every sample cell compiles, verifies and type-checks against the DSL declarations; lstm and gru IR are pinned.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { parseCell } from '../../../compiler/frontend/index.js';
import { printGraph } from '../../../ir/print.js';
import { showShape } from '../../../ir/shape.js';
import { verify } from '../../../ir/verify.js';

const dir = fileURLToPath(new URL('../../../samples/cells/', import.meta.url));
const samples = readdirSync(dir)
  .filter((f) => f.endsWith('.cell.ts'))
  .sort();
const compile = (name: string) => parseCell(readFileSync(dir + `${name}.cell.ts`, 'utf8'), `samples/cells/${name}.cell.ts`);

describe('sample cells', () => {
  it('has the cells the design lists', () => {
    expect(samples.map((f) => f.replace('.cell.ts', ''))).toEqual([
      'gru',
      'gru_reset_before',
      'gru_simplified',
      'indrnn',
      'lstm',
      'lstm_cifg',
      'lstm_layernorm',
      'lstm_peephole',
      'mgu',
      'rnn_relu',
      'rnn_tanh',
    ]);
  });

  it.each(samples.map((f) => f.replace('.cell.ts', '')))('%s compiles, verifies and has a doc line', (name) => {
    const cell = compile(name);
    expect(cell.name).toBe(name);
    expect(cell.inputName).toBe('x');
    expect(cell.doc).toMatch(/\S/);
    expect(cell.graph.outputs.map((o) => o.name)).toEqual(cell.states);
    verify(cell.graph);
  });

  it('gives the built-in cells PyTorch parameter names and shapes', () => {
    const params = (name: string) => compile(name).graph.params.map((p) => `${p.name} ${showShape(p.shape)}`);
    const torch = (gates: number) => [`weight_ih f32[${gates}H,X]`, `bias_ih f32[${gates}H]`, `weight_hh f32[${gates}H,H]`, `bias_hh f32[${gates}H]`].map((s) => s.replace('[1H', '[H'));
    expect(params('rnn_tanh')).toEqual(torch(1));
    expect(params('rnn_relu')).toEqual(torch(1));
    expect(params('lstm')).toEqual(torch(4));
    expect(params('gru')).toEqual(torch(3));
    expect(params('gru_reset_before')).toEqual(torch(3));
    expect(params('lstm_peephole')).toEqual([...torch(4), 'peephole_i f32[H]', 'peephole_f f32[H]', 'peephole_o f32[H]']);
    expect(params('indrnn')).toEqual(['weight_ih f32[H,X]', 'bias_ih f32[H]', 'weight_hh f32[H]']);
    expect(compile('lstm_layernorm').graph.params.map((p) => [p.name, p.init])).toEqual([
      ['weight_ih', { kind: 'uniform' }],
      ['weight_ln_ih', { kind: 'constant', value: 1 }],
      ['bias_ln_ih', { kind: 'constant', value: 0 }],
      ['weight_hh', { kind: 'uniform' }],
      ['weight_ln_hh', { kind: 'constant', value: 1 }],
      ['bias_ln_hh', { kind: 'constant', value: 0 }],
      ['weight_ln_c', { kind: 'constant', value: 1 }],
      ['bias_ln_c', { kind: 'constant', value: 0 }],
    ]);
  });

  it('lowers the LSTM', () => {
    const cell = compile('lstm');
    expect(cell.states).toEqual(['h', 'c']);
    expect(printGraph(cell.graph)).toMatchInlineSnapshot(`
      "graph lstm {
        %0 = input x : f32[X]
        %1 = state h : f32[H]
        %2 = state c : f32[H]
        %3 = param weight_ih : f32[4H,X]
        %4 = param bias_ih : f32[4H]
        %5 = matvec %3 %0 : f32[4H]
        %6 = add %5 %4 : f32[4H]
        %7 = chunk %6 {index=0, count=4} : f32[H]  # xi
        %8 = chunk %6 {index=1, count=4} : f32[H]  # xf
        %9 = chunk %6 {index=2, count=4} : f32[H]  # xg
        %10 = chunk %6 {index=3, count=4} : f32[H]  # xo
        %11 = param weight_hh : f32[4H,H]
        %12 = param bias_hh : f32[4H]
        %13 = matvec %11 %1 : f32[4H]
        %14 = add %13 %12 : f32[4H]
        %15 = chunk %14 {index=0, count=4} : f32[H]  # hi
        %16 = chunk %14 {index=1, count=4} : f32[H]  # hf
        %17 = chunk %14 {index=2, count=4} : f32[H]  # hg
        %18 = chunk %14 {index=3, count=4} : f32[H]  # ho
        %19 = add %7 %15 : f32[H]
        %20 = sigmoid %19 : f32[H]  # i
        %21 = add %8 %16 : f32[H]
        %22 = sigmoid %21 : f32[H]  # f
        %23 = add %9 %17 : f32[H]
        %24 = tanh %23 : f32[H]  # g
        %25 = add %10 %18 : f32[H]
        %26 = sigmoid %25 : f32[H]  # o
        %27 = mul %22 %2 : f32[H]
        %28 = mul %20 %24 : f32[H]
        %29 = add %27 %28 : f32[H]  # c2
        %30 = tanh %29 : f32[H]
        %31 = mul %26 %30 : f32[H]
        return h: %31, c: %29
      }"
    `);
  });

  it('lowers the GRU', () => {
    expect(printGraph(compile('gru').graph)).toMatchInlineSnapshot(`
      "graph gru {
        %0 = input x : f32[X]
        %1 = state h : f32[H]
        %2 = param weight_ih : f32[3H,X]
        %3 = param bias_ih : f32[3H]
        %4 = matvec %2 %0 : f32[3H]
        %5 = add %4 %3 : f32[3H]
        %6 = chunk %5 {index=0, count=3} : f32[H]  # xr
        %7 = chunk %5 {index=1, count=3} : f32[H]  # xz
        %8 = chunk %5 {index=2, count=3} : f32[H]  # xn
        %9 = param weight_hh : f32[3H,H]
        %10 = param bias_hh : f32[3H]
        %11 = matvec %9 %1 : f32[3H]
        %12 = add %11 %10 : f32[3H]
        %13 = chunk %12 {index=0, count=3} : f32[H]  # hr
        %14 = chunk %12 {index=1, count=3} : f32[H]  # hz
        %15 = chunk %12 {index=2, count=3} : f32[H]  # hn
        %16 = add %6 %13 : f32[H]
        %17 = sigmoid %16 : f32[H]  # r
        %18 = add %7 %14 : f32[H]
        %19 = sigmoid %18 : f32[H]  # z
        %20 = mul %17 %15 : f32[H]
        %21 = add %8 %20 : f32[H]
        %22 = tanh %21 : f32[H]  # n
        %23 = const 1 : f32[]
        %24 = sub %23 %19 : f32[H]
        %25 = mul %24 %22 : f32[H]
        %26 = mul %19 %1 : f32[H]
        %27 = add %25 %26 : f32[H]
        return h: %27
      }"
    `);
  });

  it('type-checks against dsl/index.d.ts', () => {
    const project = new Project({
      skipAddingFilesFromTsConfig: true,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noUnusedLocals: true,
        noEmit: true,
        types: [],
      },
    });
    project.addSourceFilesAtPaths(`${dir}*.cell.ts`);
    // Never saved: proves that `cellforge/dsl` resolves to the declarations and that they catch a missing state.
    project.createSourceFile(`${dir}__missing_state.cell.ts`, "import { cell, tanh } from 'cellforge/dsl';\nexport default cell({ state: ['h', 'c'] }, (x, { h }) => ({ h: tanh(x + h) }));\n");
    const problems = project
      .getPreEmitDiagnostics()
      .map((d) => `${d.getSourceFile()?.getBaseName()}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, ' ')}`);
    expect(problems).toEqual([`__missing_state.cell.ts: Property 'c' is missing in type '{ h: number; }' but required in type 'Record<"h" | "c", number>'.`]);
  });
});
