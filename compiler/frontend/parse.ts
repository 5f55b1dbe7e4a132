// The frontend's entry: read a .cell.ts module with ts-morph (never running it) and lower its cell to the step IR.
import { Node, Project, ts, type ArrowFunction, type BindingElement, type CallExpression, type FunctionExpression, type SourceFile } from 'ts-morph';
import { CellforgeError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { dim, vecH } from '../../ir/shape.js';
import { Lowering } from './context.js';
import { spanLocation, userError } from './location.js';
import { readModule, type CellModule } from './module.js';
import { lowerBody } from './statements.js';
import { unwrap } from './statics.js';

/** A cell read from its source: the forward step graph plus what the runtime and the CLI need to know. */
export interface CellIR {
  /** The file's basename without `.cell.ts` / `.ts`: `lstm`. */
  name: string;
  /** The display path used in messages. */
  file: string;
  /** The JSDoc comment on `export default cell(...)`, without the comment markers. */
  doc?: string;
  /** The name of the step function's first parameter, the step input (`x`). */
  inputName: string;
  /** The declared states, in declared order; also the order of the graph's outputs. */
  states: string[];
  graph: Graph;
}

// One in-memory project for the process: creating it is the slow part, parsing a cell takes a millisecond.
let project: Project | undefined;

/** Parse and lower a cell module. `file` is the path shown in messages. Throws `CellforgeError` on bad cells. */
export function parseCell(source: string, file: string): CellIR {
  project ??= new Project({ useInMemoryFileSystem: true });
  const sf = project.createSourceFile('/cell.ts', source, { overwrite: true });
  try {
    return lowerCell(sf, file);
  } finally {
    project.removeSourceFile(sf);
  }
}

/** `lstm` from `samples/cells/lstm.cell.ts`. */
export function cellName(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/(\.cell)?\.[cm]?ts$/, '');
}

function lowerCell(sf: SourceFile, file: string): CellIR {
  throwSyntaxError(sf, file);
  const mod = readModule(sf, file);
  const call = cellCall(mod);
  const states = stateNames(call, file);
  const name = cellName(file);
  const cx = new Lowering(file, name, states);
  for (const [local, dslName] of mod.functions) cx.functions.set(local, dslName);
  for (const [constant, value] of mod.constants) {
    cx.constants.set(constant, value);
    cx.names.set(constant, { kind: 'number', value });
  }
  const fn = cellFunction(call, cx);
  const inputName = bindParameters(fn, cx);
  const outputs = lowerBody(fn.getBody()!, cx);
  return { name, file, ...(mod.doc ? { doc: mod.doc } : {}), inputName, states, graph: cx.builder.build(outputs) };
}

/** The parser's first complaint, if any, as a user error. */
function throwSyntaxError(sf: SourceFile, file: string): void {
  // Parse diagnostics only: the type checker would cost far more than the whole compile.
  const diagnostics = (sf.compilerNode as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (!first) return;
  const message = ts.flattenDiagnosticMessageText(first.messageText, ' ').replace(/\.$/, '');
  const hint = 'a cell is a TypeScript module; fix the syntax first';
  throw new CellforgeError(`syntax error: ${message}`, spanLocation(sf, file, first.start, first.length), hint);
}

const CELL_EXAMPLE = "export default cell({ state: ['h'] }, (x, { h }) => { ... })";

/** The `cell(options, step)` call of `export default`. */
function cellCall(mod: CellModule): CallExpression {
  const exported = mod.defaultExport;
  if (!exported) throw new CellforgeError('the module has no `export default cell(...)`', mod.start, `a cell module ends with ${CELL_EXAMPLE}`);
  const e = unwrap(exported.getExpression());
  const callee = Node.isCallExpression(e) ? unwrap(e.getExpression()) : undefined;
  if (!callee || !Node.isIdentifier(callee) || (mod.functions.get(callee.getText()) ?? callee.getText()) !== 'cell') {
    throw userError(e, mod.file, 'the default export must be a call to cell(...)', CELL_EXAMPLE);
  }
  return e as CallExpression;
}

const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{ state: ['h', 'c'] }` → ['h', 'c']. */
function stateNames(call: CallExpression, file: string): string[] {
  const fail: (node: Node, message: string, hint: string) => never = (node, message, hint) => {
    throw userError(node, file, message, hint);
  };
  const args = call.getArguments();
  if (args.length !== 2) fail(call, `cell takes 2 arguments, got ${args.length}`, CELL_EXAMPLE);
  const options = unwrap(args[0]!);
  if (!Node.isObjectLiteralExpression(options)) return fail(args[0]!, 'the first argument of cell must be an options object', CELL_EXAMPLE);
  let list: Node | undefined;
  for (const p of options.getProperties()) {
    const key = Node.isPropertyAssignment(p) || Node.isShorthandPropertyAssignment(p) ? p.getName() : undefined;
    if (key !== 'state') fail(p, `unknown cell option${key ? ` ${JSON.stringify(key)}` : ''}`, "the only cell option is state: ['h', ...]");
    if (!Node.isPropertyAssignment(p)) return fail(p, 'the state option must list the state names', "state: ['h', 'c']");
    list = unwrap(p.getInitializerOrThrow());
  }
  if (!list) return fail(options, 'the cell options have no state list', "declare the recurrent state: cell({ state: ['h'] }, ...)");
  if (!Node.isArrayLiteralExpression(list)) return fail(list, 'the state option must be an array of string literals', "state: ['h', 'c']");
  const states: string[] = [];
  for (const el of list.getElements()) {
    const lit = unwrap(el);
    if (!Node.isStringLiteral(lit) && !Node.isNoSubstitutionTemplateLiteral(lit)) return fail(el, 'state names must be string literals', "state: ['h', 'c']");
    const name = lit.getLiteralValue();
    if (!STATE_NAME.test(name)) fail(el, `${JSON.stringify(name)} is not a valid state name`, 'use letters, digits and _, such as h or c');
    if (states.includes(name)) fail(el, `state '${name}' is declared twice`, 'declare each state once');
    states.push(name);
  }
  if (states.length === 0) fail(list, 'a cell needs at least one state', "state: ['h']");
  return states;
}

/** The step function: `(x, { h }) => { ... }` or `function (x, s) { ... }`. */
function cellFunction(call: CallExpression, cx: Lowering): ArrowFunction | FunctionExpression {
  const arg = call.getArguments()[1]!;
  const fn = unwrap(arg);
  const example = `(x, { ${cx.states.join(', ')} }) => { ... }`;
  if (!Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) {
    return cx.fail(
      arg,
      'the second argument of cell must be the step function',
      `write it inline: ${example}`,
    );
  }
  if (fn.isAsync()) cx.fail(fn, 'the step function cannot be async', `write it as ${example}`);
  if (Node.isFunctionExpression(fn) && fn.isGenerator()) cx.fail(fn, 'the step function cannot be a generator', `write it as ${example}`);
  return fn;
}

/** Make the input and state leaves (states in declared order) and bind the parameter names; returns the input's name. */
function bindParameters(fn: ArrowFunction | FunctionExpression, cx: Lowering): string {
  const params = fn.getParameters();
  const example = `(x, { ${cx.states.join(', ')} }) => { ... }`;
  if (params.length === 0) cx.fail(fn, 'the step function must take the input as its first parameter', example);
  if (params.length > 2) cx.fail(params[2]!, 'the step function takes two parameters: the input and the states', example);
  for (const p of params) {
    if (p.isRestParameter()) cx.fail(p, 'rest parameters are not supported', example);
    if (p.hasInitializer() || p.hasQuestionToken()) cx.fail(p, 'parameters of the step function cannot be optional', example);
  }
  const input = params[0]!.getNameNode();
  if (!Node.isIdentifier(input)) return cx.fail(input, 'the first parameter is the input vector and must be a plain name', example);
  cx.define(input, input.getText(), { kind: 'value', val: { id: cx.builder.leaf('input', input.getText(), [dim('X')], { loc: cx.loc(input) }) } });

  const stateParam = params[1]?.getNameNode();
  const bound = new Map<string, BindingElement>();
  if (stateParam && Node.isObjectBindingPattern(stateParam)) {
    for (const el of stateParam.getElements()) {
      const key = el.getPropertyNameNode() ?? el.getNameNode();
      const state = Node.isStringLiteral(key) ? key.getLiteralValue() : key.getText();
      if (el.getDotDotDotToken()) cx.fail(el, 'rest elements are not supported', example);
      if (!cx.states.includes(state)) cx.readState(key, state); // reports the undeclared state
      if (el.getInitializer()) cx.fail(el, 'states cannot have default values', 'the runtime provides every state (zeros at the first step)');
      if (!Node.isIdentifier(el.getNameNode())) cx.fail(el.getNameNode(), 'nested destructuring is not supported', example);
      bound.set(state, el);
    }
  } else if (stateParam && !Node.isIdentifier(stateParam)) {
    cx.fail(stateParam, 'the states are an object, not an array', example);
  }
  for (const s of cx.states) cx.stateIds.set(s, cx.builder.leaf('state', s, vecH(), { loc: cx.loc(bound.get(s) ?? stateParam ?? fn) }));
  if (stateParam && Node.isIdentifier(stateParam)) cx.define(stateParam, stateParam.getText(), { kind: 'states' });
  for (const [state, el] of bound) cx.define(el.getNameNode(), el.getNameNode().getText(), { kind: 'value', val: { id: cx.stateIds.get(state)! } });
  return input.getText();
}
