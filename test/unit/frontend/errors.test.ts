// Bad cells: each one is a CellforgeError with file:line:col, the source line, a caret under the culprit and a hint.
import { describe, expect, it } from 'vitest';
import { parseCell } from '../../../compiler/frontend/index.js';
import { CellforgeError } from '../../../ir/errors.js';

const HEAD = "import { cell, linear, param, sigmoid, split, tanh } from 'cellforge/dsl';\n\n";
/** A one-state cell around `body`, which starts on line 4. */
const gru = (body: string, sig = "{ state: ['h'] }, (x, { h })") => `${HEAD}export default cell(${sig} => {\n${body}\n});\n`;
const lines = (...l: string[]) => l.join('\n');

const cases: readonly (readonly [name: string, source: string, expected: string])[] = [
  [
    'syntax error',
    gru('  const a = x +;\n  return { h: a };'),
    lines(
      'bad.cell.ts:4:16: syntax error: Expression expected',
      '4 |   const a = x +;',
      '                   ^',
      'hint: a cell is a TypeScript module; fix the syntax first',
    ),
  ],
  [
    'no default export',
    HEAD + 'const EPS = 1e-5;\n',
    lines(
      'bad.cell.ts:1:1: the module has no `export default cell(...)`',
      "1 | import { cell, linear, param, sigmoid, split, tanh } from 'cellforge/dsl';",
      '    ^',
      "hint: a cell module ends with export default cell({ state: ['h'] }, (x, { h }) => { ... })",
    ),
  ],
  [
    'default export not cell',
    HEAD + 'export default 42;\n',
    lines(
      'bad.cell.ts:3:16: the default export must be a call to cell(...)',
      '3 | export default 42;',
      '                   ^^',
      "hint: export default cell({ state: ['h'] }, (x, { h }) => { ... })",
    ),
  ],
  [
    'state option missing',
    HEAD + 'export default cell({}, (x) => ({ h: x }));\n',
    lines(
      'bad.cell.ts:3:21: the cell options have no state list',
      '3 | export default cell({}, (x) => ({ h: x }));',
      '                        ^^',
      "hint: declare the recurrent state: cell({ state: ['h'] }, ...)",
    ),
  ],
  [
    'state not string literals',
    HEAD + "export default cell({ state: [h] }, (x) => ({ h: x }));\n",
    lines(
      'bad.cell.ts:3:31: state names must be string literals',
      '3 | export default cell({ state: [h] }, (x) => ({ h: x }));',
      '                                  ^',
      "hint: state: ['h', 'c']",
    ),
  ],
  [
    'duplicate state',
    HEAD + "export default cell({ state: ['h', 'c', 'h'] }, (x) => ({ h: x }));\n",
    lines(
      "bad.cell.ts:3:41: state 'h' is declared twice",
      "3 | export default cell({ state: ['h', 'c', 'h'] }, (x) => ({ h: x }));",
      '                                            ^^^',
      'hint: declare each state once',
    ),
  ],
  [
    'unknown function',
    gru('  return { h: tahn(linear(\'hh\', h)) };'),
    lines(
      "bad.cell.ts:4:15: unknown function 'tahn'",
      "4 |   return { h: tahn(linear('hh', h)) };",
      '                  ^^^^',
      "hint: did you mean 'tanh'? available: linear, split, param, layerNorm, sigmoid, tanh, relu, exp, log, sqrt, abs, softplus, min, max, mean, sum",
    ),
  ],
  [
    'unknown function, no suggestion',
    gru('  return { h: swish(h) };'),
    lines(
      "bad.cell.ts:4:15: unknown function 'swish'",
      '4 |   return { h: swish(h) };',
      '                  ^^^^^',
      'hint: available: linear, split, param, layerNorm, sigmoid, tanh, relu, exp, log, sqrt, abs, softplus, min, max, mean, sum',
    ),
  ],
  [
    'calling a non-function',
    gru('  return { h: h(1) };'),
    lines(
      "bad.cell.ts:4:15: 'h' is not a function",
      '4 |   return { h: h(1) };',
      '                  ^',
      'hint: h is a value; cells call only the functions of cellforge/dsl',
    ),
  ],
  [
    'for loop',
    gru('  for (const i of [1, 2]) {}\n  return { h };'),
    lines(
      'bad.cell.ts:4:3: loops are not supported in cell bodies',
      '4 |   for (const i of [1, 2]) {}',
      '      ^^^^^^^^^^^^^^^^^^^^^^^^^^',
      'hint: a cell describes one timestep; the runtime loops over time',
    ),
  ],
  [
    'while loop',
    gru('  while (true) {}\n  return { h };'),
    lines(
      'bad.cell.ts:4:3: loops are not supported in cell bodies',
      '4 |   while (true) {}',
      '      ^^^^^^^^^^^^^^^',
      'hint: a cell describes one timestep; the runtime loops over time',
    ),
  ],
  [
    'if',
    gru('  if (h) {}\n  return { h };'),
    lines(
      'bad.cell.ts:4:3: `if` is not supported in cell bodies (no data-dependent control flow)',
      '4 |   if (h) {}',
      '      ^^^^^^^^^',
      'hint: a cell computes the same formula at every step; to choose between values, blend them with a gate: z * a + (1 - z) * b',
    ),
  ],
  [
    'conditional',
    gru('  return { h: h ? h : x };'),
    lines(
      'bad.cell.ts:4:15: `?:` is not supported in cell bodies (no data-dependent control flow)',
      '4 |   return { h: h ? h : x };',
      '                  ^^^^^^^^^',
      'hint: a cell computes the same formula at every step; to choose between values, blend them with a gate: z * a + (1 - z) * b',
    ),
  ],
  [
    '&&',
    gru('  return { h: h && h };'),
    lines(
      'bad.cell.ts:4:17: `&&` is not supported in cell bodies (no data-dependent control flow)',
      '4 |   return { h: h && h };',
      '                    ^^',
      'hint: a cell computes the same formula at every step; to choose between values, blend them with a gate: z * a + (1 - z) * b',
    ),
  ],
  [
    '||',
    gru('  const a = h || tanh(h);\n  return { h: a };'),
    lines(
      'bad.cell.ts:4:15: `||` is not supported in cell bodies (no data-dependent control flow)',
      '4 |   const a = h || tanh(h);',
      '                  ^^',
      'hint: a cell computes the same formula at every step; to choose between values, blend them with a gate: z * a + (1 - z) * b',
    ),
  ],
  [
    'let',
    gru('  let a = tanh(h);\n  return { h: a };'),
    lines(
      'bad.cell.ts:4:3: `let` is not supported in cell bodies',
      '4 |   let a = tanh(h);',
      '      ^^^',
      'hint: cell values never change: use const',
    ),
  ],
  [
    'var',
    gru('  var a = tanh(h);\n  return { h: a };'),
    lines(
      'bad.cell.ts:4:3: `var` is not supported in cell bodies',
      '4 |   var a = tanh(h);',
      '      ^^^',
      'hint: cell values never change: use const',
    ),
  ],
  [
    'assignment',
    gru('  h = tanh(h);\n  return { h };'),
    lines(
      'bad.cell.ts:4:3: assignment is not supported in cell bodies',
      '4 |   h = tanh(h);',
      '      ^^^^^^^^^^^',
      'hint: cell values never change: declare a new const instead, such as const h2 = ...',
    ),
  ],
  [
    'compound assignment',
    gru('  const a = tanh(h);\n  a += 1;\n  return { h: a };'),
    lines(
      'bad.cell.ts:5:3: assignment is not supported in cell bodies',
      '5 |   a += 1;',
      '      ^^^^^^',
      'hint: cell values never change: declare a new const instead, such as const h2 = ...',
    ),
  ],
  [
    'increment',
    gru('  const a = tanh(h);\n  a++;\n  return { h: a };'),
    lines(
      'bad.cell.ts:5:3: assignment is not supported in cell bodies',
      '5 |   a++;',
      '      ^^^',
      'hint: cell values never change: declare a new const instead, such as const h2 = ...',
    ),
  ],
  [
    'undefined name',
    gru('  return { h: tanh(hh) };'),
    lines(
      "bad.cell.ts:4:20: 'hh' is not defined",
      '4 |   return { h: tanh(hh) };',
      '                       ^^',
      "hint: did you mean 'h'? names in scope: x, h",
    ),
  ],
  [
    'used before defined',
    gru('  const a = tanh(b);\n  const b = tanh(h);\n  return { h: a };'),
    lines(
      "bad.cell.ts:4:18: 'b' is used before it is defined",
      '4 |   const a = tanh(b);',
      '                     ^',
      'hint: move its const declaration above this line',
    ),
  ],
  [
    'undeclared state in destructuring',
    gru('  return { h };', "{ state: ['h'] }, (x, { h, c })"),
    lines(
      "bad.cell.ts:3:48: 'c' is not a declared state",
      "3 | export default cell({ state: ['h'] }, (x, { h, c }) => {",
      '                                                   ^',
      "hint: did you mean 'h'? declared states: h; add it to cell({ state: [...] })",
    ),
  ],
  [
    'undeclared state via s.q',
    gru('  return { h: s.q };', "{ state: ['h'] }, (x, s)"),
    lines(
      "bad.cell.ts:4:17: 'q' is not a declared state",
      '4 |   return { h: s.q };',
      '                    ^',
      "hint: did you mean 'h'? declared states: h; add it to cell({ state: [...] })",
    ),
  ],
  [
    'state not returned',
    gru('  return { h };', "{ state: ['h', 'c'] }, (x, { h, c })"),
    lines(
      "bad.cell.ts:4:10: state 'c' is not returned",
      '4 |   return { h };',
      '             ^^^^^',
      'hint: return every declared state: return { h: ..., c: ... }',
    ),
  ],
  [
    'returning a non-state',
    gru('  return { h, q: h };'),
    lines(
      "bad.cell.ts:4:15: 'q' is not a declared state",
      '4 |   return { h, q: h };',
      '                  ^',
      'hint: declared states: h; add it to cell({ state: [...] })',
    ),
  ],
  [
    'return not an object',
    gru('  return tanh(h);'),
    lines(
      'bad.cell.ts:4:10: a cell must return an object of its new states',
      '4 |   return tanh(h);',
      '             ^^^^^^^',
      'hint: return { h: ... }',
    ),
  ],
  [
    'missing return',
    gru('  const a = tanh(h);'),
    lines(
      'bad.cell.ts:5:1: the cell body does not return its new state',
      '5 | });',
      '    ^',
      'hint: end it with return { h: ... }',
    ),
  ],
  [
    'chunk count mismatch',
    gru("  const [a, b, c, d] = linear('ih', x, 3);\n  return { h: a };"),
    lines(
      'bad.cell.ts:4:9: the destructuring lists 4 chunks, but the vector has 3',
      "4 |   const [a, b, c, d] = linear('ih', x, 3);",
      '            ^^^^^^^^^^^^',
      'hint: list exactly 3 names (skip a chunk with a hole: [a, , c]), or change the chunk count',
    ),
  ],
  [
    'non-literal name',
    gru('  return { h: linear(h, x) };'),
    lines(
      'bad.cell.ts:4:22: the first argument of linear must be a string literal',
      '4 |   return { h: linear(h, x) };',
      '                         ^',
      "hint: parameter names are fixed at compile time, as in linear('ih', ...)",
    ),
  ],
  [
    'non-literal chunk count',
    gru("  const [a, b] = linear('ih', x, h);\n  return { h: a };"),
    lines(
      'bad.cell.ts:4:34: the chunk count must be a number literal',
      "4 |   const [a, b] = linear('ih', x, h);",
      '                                     ^',
      'hint: shapes are fixed at compile time: write 3, or a module constant such as const GATES = 3',
    ),
  ],
  [
    'chunks < 1',
    gru("  return { h: linear('ih', x, 0) };"),
    lines(
      'bad.cell.ts:4:31: the chunk count must be a positive integer, got 0',
      "4 |   return { h: linear('ih', x, 0) };",
      '                                  ^',
      'hint: one chunk per gate: 3 for a GRU, 4 for an LSTM',
    ),
  ],
  [
    'chunks not an integer',
    gru("  return { h: linear('ih', x, 1.5) };"),
    lines(
      'bad.cell.ts:4:31: the chunk count must be a positive integer, got 1.5',
      "4 |   return { h: linear('ih', x, 1.5) };",
      '                                  ^^^',
      'hint: one chunk per gate: 3 for a GRU, 4 for an LSTM',
    ),
  ],
  [
    'shape mismatch',
    gru('  return { h: tanh(x + h) };'),
    lines(
      'bad.cell.ts:4:20: shape mismatch: operands have different shapes: f32[X] and f32[H]',
      '4 |   return { h: tanh(x + h) };',
      '                       ^^^^^',
      'hint: elementwise operands must have the same size (or be scalars)',
    ),
  ],
  [
    'string literal',
    gru("  return { h: h * 'a' };"),
    lines(
      'bad.cell.ts:4:19: strings are not values in cell bodies',
      "4 |   return { h: h * 'a' };",
      '                      ^^^',
      "hint: strings only name parameters, as in linear('ih', x)",
    ),
  ],
  [
    'boolean literal',
    gru('  return { h: h * true };'),
    lines(
      'bad.cell.ts:4:19: booleans are not values in cell bodies',
      '4 |   return { h: h * true };',
      '                      ^^^^',
      'hint: cells support + - * /, numbers and the functions of cellforge/dsl',
    ),
  ],
  [
    'object literal',
    gru('  const a = { v: h };\n  return { h };'),
    lines(
      'bad.cell.ts:4:13: object literals are only allowed in the return statement and as options',
      '4 |   const a = { v: h };',
      '                ^^^^^^^^',
      'hint: return { h: ... } returns the new state; linear(name, v, n, { bias: false }) and param(name, { init: 0 }) take options',
    ),
  ],
  [
    'array literal',
    gru('  const a = [h, h];\n  return { h };'),
    lines(
      'bad.cell.ts:4:13: array literals are not supported in cell bodies',
      '4 |   const a = [h, h];',
      '                ^^^^^^',
      'hint: values are vectors already; linear(name, v, n) stacks gates',
    ),
  ],
  [
    'new',
    gru('  return { h: new Float32Array(4) };'),
    lines(
      'bad.cell.ts:4:15: `new` is not supported in cell bodies',
      '4 |   return { h: new Float32Array(4) };',
      '                  ^^^^^^^^^^^^^^^^^^^',
      'hint: cells support + - * /, numbers and the functions of cellforge/dsl',
    ),
  ],
  [
    'this',
    gru('  return { h: this.h };'),
    lines(
      'bad.cell.ts:4:15: `this` is not supported in cell bodies',
      '4 |   return { h: this.h };',
      '                  ^^^^',
      'hint: a cell reads only its input, its states and its parameters',
    ),
  ],
  [
    'await',
    gru('  return { h: await h };'),
    lines(
      'bad.cell.ts:4:15: `await` is not supported in cell bodies',
      '4 |   return { h: await h };',
      '                  ^^^^^^^',
      'hint: a cell is compiled, never run: there is nothing to wait for',
    ),
  ],
  [
    'nested arrow function',
    gru('  const f = (v: number) => v;\n  return { h };'),
    lines(
      'bad.cell.ts:4:13: functions cannot be defined inside a cell body',
      '4 |   const f = (v: number) => v;',
      '                ^^^^^^^^^^^^^^^^',
      'hint: a cell body is one straight-line timestep: write the expression inline, or repeat it',
    ),
  ],
  [
    'nested function declaration',
    gru('  function f(v: number) { return v; }\n  return { h };'),
    lines(
      'bad.cell.ts:4:3: functions cannot be defined inside a cell body',
      '4 |   function f(v: number) { return v; }',
      '      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      'hint: a cell body is one straight-line timestep: write the expression inline, or repeat it',
    ),
  ],
  [
    'property access',
    gru('  return { h: x.length };'),
    lines(
      'bad.cell.ts:4:15: property access is not supported in cell bodies',
      '4 |   return { h: x.length };',
      '                  ^^^^^^^^',
      'hint: the only property access in a cell reads a state, such as s.h',
    ),
  ],
  [
    'Math.tanh',
    gru('  return { h: Math.tanh(h) };'),
    lines(
      'bad.cell.ts:4:15: Math.tanh is not supported in cell bodies',
      '4 |   return { h: Math.tanh(h) };',
      '                  ^^^^^^^^^',
      'hint: use tanh from cellforge/dsl',
    ),
  ],
  [
    'exponent',
    gru('  return { h: h ** 2 };'),
    lines(
      'bad.cell.ts:4:17: `**` is not supported in cell bodies',
      '4 |   return { h: h ** 2 };',
      '                    ^^',
      'hint: write x * x for a square, or exp(y * log(x)) for a general power',
    ),
  ],
  [
    'remainder',
    gru('  return { h: h % 2 };'),
    lines(
      'bad.cell.ts:4:17: `%` is not supported in cell bodies',
      '4 |   return { h: h % 2 };',
      '                    ^',
      'hint: cells support + - * /, numbers and the functions of cellforge/dsl',
    ),
  ],
  [
    'comparison',
    gru('  return { h: h * (h > 0) };'),
    lines(
      'bad.cell.ts:4:22: comparison `>` is not supported in cell bodies',
      '4 |   return { h: h * (h > 0) };',
      '                         ^',
      'hint: use min, max, relu or a sigmoid gate instead',
    ),
  ],
  [
    'destructuring a plain vector',
    gru('  const [a, b] = tanh(h);\n  return { h: a };'),
    lines(
      'bad.cell.ts:4:18: only a stacked vector can be destructured',
      '4 |   const [a, b] = tanh(h);',
      '                     ^^^^^^^',
      'hint: destructure linear(name, v, n) or split(v, n), which give n chunks',
    ),
  ],
  [
    'state of the wrong shape',
    gru('  return { h: x };'),
    lines(
      "bad.cell.ts:4:15: new state 'h' has shape f32[X], but states are f32[H]",
      '4 |   return { h: x };',
      '                  ^',
      'hint: project it to the hidden size first: linear(name, v)',
    ),
  ],
  [
    'stacked state',
    gru("  return { h: linear('hh', h, 2) };"),
    lines(
      "bad.cell.ts:4:15: new state 'h' has shape f32[2H], but states are f32[H]",
      "4 |   return { h: linear('hh', h, 2) };",
      '                  ^^^^^^^^^^^^^^^^^^',
      'hint: split the stacked vector into its gates first: const [a, b] = split(v, 2)',
    ),
  ],
  [
    'redefining a state',
    gru('  const h = tanh(x);\n  return { h };'),
    lines(
      "bad.cell.ts:4:9: 'h' is already defined",
      '4 |   const h = tanh(x);',
      '            ^',
      'hint: a state is updated by returning it, not by redefining it: return { h: ... }',
    ),
  ],
  [
    'import from another module',
    "import { tanh } from 'mathjs';\n" + gru('  return { h: tanh(h) };'),
    lines(
      'bad.cell.ts:1:22: cells can only import from cellforge/dsl',
      "1 | import { tanh } from 'mathjs';",
      '                         ^^^^^^^^',
      'hint: the compiler never runs a cell, so it cannot use other modules; import type is fine',
    ),
  ],
  [
    'unknown option',
    gru("  return { h: linear('hh', h, 1, { bais: false }) };"),
    lines(
      "bad.cell.ts:4:36: unknown option 'bais' for linear",
      "4 |   return { h: linear('hh', h, 1, { bais: false }) };",
      '                                       ^^^^',
      "hint: did you mean 'bias'? linear accepts { bias }",
    ),
  ],
  [
    'split into unequal chunks',
    gru("  const [a, b, c] = split(h, 3);\n  return { h: a };"),
    lines(
      'bad.cell.ts:4:21: cannot split f32[H] into 3 equal chunks',
      '4 |   const [a, b, c] = split(h, 3);',
      '                        ^^^^^^^^^^^',
      'hint: split divides a stacked vector, such as linear(name, v, 4), into its gates',
    ),
  ],
  [
    'one weight with two shapes',
    gru("  const [a, b] = linear('hh', h, 2);\n  return { h: linear('hh', h, 3) };"),
    lines(
      "bad.cell.ts:5:15: parameter 'weight_hh' is declared as f32[2H,H] and as f32[3H,H]",
      "5 |   return { h: linear('hh', h, 3) };",
      '                  ^^^^^^^^^^^^^^^^^^',
      'hint: every use of a weight name must have the same number of chunks and the same input size',
    ),
  ],
  [
    'non-numeric module constant',
    HEAD + "const NAME = 'ih';\n" + "export default cell({ state: ['h'] }, (x, { h }) => ({ h }));\n",
    lines(
      'bad.cell.ts:3:14: a module-level constant must be a number',
      "3 | const NAME = 'ih';",
      '                 ^^^^',
      'hint: the compiler never runs the cell; only numeric literals and + - * / of them are known at compile time',
    ),
  ],
  [
    'wrong arity',
    gru('  return { h: tanh(x, h) };'),
    lines(
      'bad.cell.ts:4:15: tanh takes 1 argument, got 2',
      '4 |   return { h: tanh(x, h) };',
      '                  ^^^^^^^^^^',
      'hint: usage: tanh(v)',
    ),
  ],
  [
    'cell inside the body',
    gru("  return { h: cell({ state: ['h'] }, (x) => x) };"),
    lines(
      'bad.cell.ts:4:15: cell() can only be used in export default',
      "4 |   return { h: cell({ state: ['h'] }, (x) => x) };",
      '                  ^^^^',
      'hint: a module defines one cell: export default cell({ state: [...] }, (x, state) => { ... })',
    ),
  ],
  [
    'code after return',
    gru('  return { h };\n  const a = h;'),
    lines(
      'bad.cell.ts:5:3: code after return is never reached',
      '5 |   const a = h;',
      '      ^^^^^^^^^^^^',
      'hint: return the new states at the end of the cell body',
    ),
  ],
  [
    'state returned twice',
    gru('  return { h, h: tanh(h) };'),
    lines(
      "bad.cell.ts:4:15: state 'h' is returned twice",
      '4 |   return { h, h: tanh(h) };',
      '                  ^',
      'hint: return { h: ... }',
    ),
  ],
  [
    'reduction of a scalar',
    gru('  return { h: h - mean(mean(h)) };'),
    lines(
      'bad.cell.ts:4:24: the argument of mean must be a vector, got f32[]',
      '4 |   return { h: h - mean(mean(h)) };',
      '                           ^^^^^^^',
      'hint: pass a vector such as x, a state, or a gate; numbers and reductions are scalars',
    ),
  ],
  [
    'index access',
    gru('  return { h: h[0] };'),
    lines(
      'bad.cell.ts:4:15: indexing is not supported in cell bodies',
      '4 |   return { h: h[0] };',
      '                  ^^^^',
      'hint: split a stacked vector into chunks: const [a, b] = split(v, 2)',
    ),
  ],
  [
    'state object used as a value',
    gru('  return { h: tanh(s) };', "{ state: ['h'] }, (x, s)"),
    lines(
      "bad.cell.ts:4:20: 's' is the state object, not a vector",
      '4 |   return { h: tanh(s) };',
      '                       ^',
      'hint: read one state, such as s.h',
    ),
  ],
  [
    'rest element',
    gru("  const [a, ...b] = linear('ih', x, 3);\n  return { h: a };"),
    lines(
      'bad.cell.ts:4:13: rest elements are not supported in cell bodies',
      "4 |   const [a, ...b] = linear('ih', x, 3);",
      '                ^^^^',
      'hint: name each chunk: const [a, b, c] = ...',
    ),
  ],
  [
    'tab indentation',
    gru('\treturn { h: x };'),
    lines(
      "bad.cell.ts:4:14: new state 'h' has shape f32[X], but states are f32[H]",
      '4 |  return { h: x };',
      '                 ^',
      'hint: project it to the hidden size first: linear(name, v)',
    ),
  ],
  [
    'two default exports',
    gru('  return { h };') + "export default cell({ state: ['h'] }, (x, { h }) => ({ h }));\n",
    lines(
      'bad.cell.ts:6:1: the module has two default exports',
      "6 | export default cell({ state: ['h'] }, (x, { h }) => ({ h }));",
      '    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      'hint: a module defines one cell',
    ),
  ],
  [
    'misspelt import',
    "import { tanhh } from 'cellforge/dsl';\n" + gru('  return { h };'),
    lines(
      "bad.cell.ts:1:10: cellforge/dsl has no export 'tanhh'",
      "1 | import { tanhh } from 'cellforge/dsl';",
      '             ^^^^^',
      "hint: did you mean 'tanh'? check the spelling",
    ),
  ],
  [
    'renamed state read by its state name',
    gru('  return { h: tanh(h) };', "{ state: ['h'] }, (x, { h: hPrev })"),
    lines(
      "bad.cell.ts:4:20: 'h' is not defined",
      '4 |   return { h: tanh(h) };',
      '                       ^',
      'hint: the state h is named hPrev in this cell',
    ),
  ],
  [
    'async step function',
    HEAD + "export default cell({ state: ['h'] }, async (x, { h }) => ({ h }));\n",
    lines(
      'bad.cell.ts:3:39: the step function cannot be async',
      "3 | export default cell({ state: ['h'] }, async (x, { h }) => ({ h }));",
      '                                          ^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      'hint: write it as (x, { h }) => { ... }',
    ),
  ],
  [
    'non-literal init',
    gru("  return { h: param('w', { init: h }) };"),
    lines(
      'bad.cell.ts:4:34: init must be a number literal',
      "4 |   return { h: param('w', { init: h }) };",
      '                                     ^',
      'hint: initial values are fixed at compile time, as in param(name, { init: 1 })',
    ),
  ],
  [
    'linear of a scalar',
    gru("  return { h: linear('hh', mean(h)) };"),
    lines(
      'bad.cell.ts:4:28: the input of linear must be a vector, got f32[]',
      "4 |   return { h: linear('hh', mean(h)) };",
      '                               ^^^^^^^',
      'hint: pass a vector such as x, a state, or a gate; numbers and reductions are scalars',
    ),
  ],
  [
    'one parameter with two initial values',
    gru("  const p = param('w', { init: 1 });\n  return { h: p * param('w', { init: 0 }) };"),
    lines(
      "bad.cell.ts:5:19: parameter 'w' is declared with init 1 and with init 0",
      "5 |   return { h: p * param('w', { init: 0 }) };",
      '                      ^^^^^^^^^^^^^^^^^^^^^^^',
      'hint: give each parameter one initial value, or another name',
    ),
  ],
];

function compileError(source: string): CellforgeError {
  try {
    parseCell(source, 'bad.cell.ts');
  } catch (e) {
    if (e instanceof CellforgeError) return e;
    throw e;
  }
  throw new Error('the cell compiled, but it should not have');
}

describe('frontend errors', () => {
  it('covers many kinds of mistakes', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s', (_name, source, expected) => {
    const error = compileError(source);
    expect(error.format()).toBe(expected);
    // One plain line each, and a location that agrees with the caret display.
    expect(error.message).not.toContain('\n');
    expect(error.hint).toBeDefined();
    expect(error.hint).not.toContain('\n');
    const loc = error.location!;
    expect(loc.file).toBe('bad.cell.ts');
    expect(source.split('\n')[loc.line - 1]!.replace(/\t/g, ' ')).toBe(loc.lineText);
    expect(loc.length).toBeGreaterThan(0);
  });
});
