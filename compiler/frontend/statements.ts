// The statements of a cell body: `const` declarations, then one `return { state: expr, ... }`.
import { Node, SyntaxKind, VariableDeclarationKind, type KindToNodeMappings, type ObjectLiteralExpression, type VariableStatement } from 'ts-morph';
import type { Output } from '../../ir/graph.js';
import { sameShape, showShape, vecH } from '../../ir/shape.js';
import type { Lowering } from './context.js';
import { unwrap } from './statics.js';

type Rule<K extends SyntaxKind> = (node: KindToNodeMappings[K], cx: Lowering) => void;
type Rules = { readonly [K in SyntaxKind]?: Rule<K> };

const LOOP_HINT = 'a cell describes one timestep; the runtime loops over time';
const BRANCH_HINT = 'a cell computes the same formula at every step; to choose between values, blend them with a gate: z * a + (1 - z) * b';
const NO_FUNCTIONS_HINT = 'a cell body is one straight-line timestep: write the expression inline, or repeat it';

const reject =
  (message: string, hint: string) =>
  (node: Node, cx: Lowering): never =>
    cx.fail(node, message, hint);

function constStatement(statement: VariableStatement, cx: Lowering): void {
  const kind = statement.getDeclarationKind();
  if (kind !== VariableDeclarationKind.Const) {
    cx.fail(statement.getDeclarationList().getFirstChildOrThrow(), `\`${kind}\` is not supported in cell bodies`, 'cell values never change: use const');
  }
  for (const decl of statement.getDeclarations()) {
    const nameNode = decl.getNameNode();
    const init = decl.getInitializer();
    if (!init) cx.fail(decl, `'${nameNode.getText()}' has no value`, `give it one: const ${nameNode.getText()} = ...`);
    if (Node.isIdentifier(nameNode)) {
      const val = cx.expr(init);
      cx.builder.label(val.id, nameNode.getText());
      cx.define(nameNode, nameNode.getText(), { kind: 'value', val });
      continue;
    }
    if (Node.isObjectBindingPattern(nameNode)) {
      cx.fail(
        nameNode,
        'object destructuring is only allowed for the state parameter',
        'split a stacked vector with array destructuring: const [a, b] = linear(name, v, 2)',
      );
    }
    // const [a, , c] = linear(...) / split(...): one chunk per name, holes skip a chunk.
    const val = cx.expr(init);
    if (val.chunks === undefined) {
      cx.fail(init, 'only a stacked vector can be destructured', 'destructure linear(name, v, n) or split(v, n), which give n chunks');
    }
    const elements = nameNode.getElements();
    for (const el of elements) {
      if (Node.isOmittedExpression(el)) continue;
      if (el.getDotDotDotToken()) cx.fail(el, 'rest elements are not supported in cell bodies', 'name each chunk: const [a, b, c] = ...');
      if (el.getInitializer()) cx.fail(el, 'default values are not supported in cell bodies', 'every chunk has a value; remove the = ...');
      if (!Node.isIdentifier(el.getNameNode())) {
        cx.fail(
          el.getNameNode(),
          'nested destructuring is not supported in cell bodies',
          'split the chunk with another const: const [a, b] = split(c, 2)',
        );
      }
    }
    if (elements.length !== val.chunks) {
      const hint = `list exactly ${val.chunks} names (skip a chunk with a hole: [a, , c]), or change the chunk count`;
      cx.fail(nameNode, `the destructuring lists ${elements.length} chunks, but the vector has ${val.chunks}`, hint);
    }
    elements.forEach((el, index) => {
      if (Node.isOmittedExpression(el)) return;
      const name = el.getNameNode();
      const id = cx.op('chunk', [val.id], { index, count: val.chunks! }, el);
      cx.builder.label(id, name.getText());
      cx.define(name, name.getText(), { kind: 'value', val: { id } });
    });
  }
}

const statementRules: Rules = {
  [SyntaxKind.VariableStatement]: constStatement,
  [SyntaxKind.EmptyStatement]: () => {},
  [SyntaxKind.ForStatement]: reject('loops are not supported in cell bodies', LOOP_HINT),
  [SyntaxKind.ForOfStatement]: reject('loops are not supported in cell bodies', LOOP_HINT),
  [SyntaxKind.ForInStatement]: reject('loops are not supported in cell bodies', LOOP_HINT),
  [SyntaxKind.WhileStatement]: reject('loops are not supported in cell bodies', LOOP_HINT),
  [SyntaxKind.DoStatement]: reject('loops are not supported in cell bodies', LOOP_HINT),
  [SyntaxKind.IfStatement]: reject('`if` is not supported in cell bodies (no data-dependent control flow)', BRANCH_HINT),
  [SyntaxKind.SwitchStatement]: reject('`switch` is not supported in cell bodies (no data-dependent control flow)', BRANCH_HINT),
  [SyntaxKind.TryStatement]: reject('`try` is not supported in cell bodies', 'a cell is compiled, never run: nothing in it can throw'),
  [SyntaxKind.ThrowStatement]: reject('`throw` is not supported in cell bodies', 'a cell is compiled, never run: nothing in it can throw'),
  [SyntaxKind.FunctionDeclaration]: reject('functions cannot be defined inside a cell body', NO_FUNCTIONS_HINT),
  [SyntaxKind.ClassDeclaration]: reject('classes cannot be defined inside a cell body', NO_FUNCTIONS_HINT),
  [SyntaxKind.Block]: reject('nested blocks are not supported in cell bodies', 'declare the consts directly in the cell body'),
  [SyntaxKind.ExpressionStatement]: (n, cx) => {
    const e = n.getExpression();
    // Assignments, `++` and `--` report themselves as such.
    if (Node.isBinaryExpression(e) || Node.isPrefixUnaryExpression(e) || Node.isPostfixUnaryExpression(e)) cx.expr(e);
    cx.fail(n, 'this statement has no effect', 'give the value a name with const, or return it as a new state');
  },
};

/** `return { h: ..., c: ... }` for this cell's states. */
const returnExample = (cx: Lowering): string => `return { ${cx.states.map((s) => `${s}: ...`).join(', ')} }`;

/** `return { h: expr, c }`: the new states, as outputs in declared order. */
function lowerReturn(obj: Node, cx: Lowering): Output[] {
  const example = returnExample(cx);
  if (!Node.isObjectLiteralExpression(obj)) cx.fail(obj, 'a cell must return an object of its new states', example);
  const ids = new Map<string, number>();
  for (const p of (obj as ObjectLiteralExpression).getProperties()) {
    let id: number;
    let name: string;
    if (Node.isShorthandPropertyAssignment(p)) {
      name = p.getName();
      id = cx.resolve(p.getNameNode()).id;
    } else if (Node.isPropertyAssignment(p)) {
      const key = p.getNameNode();
      if (Node.isComputedPropertyName(key)) cx.fail(key, 'computed state names are not supported', example);
      name = Node.isStringLiteral(key) || Node.isNoSubstitutionTemplateLiteral(key) ? key.getLiteralValue() : key.getText();
      id = cx.expr(p.getInitializerOrThrow()).id;
    } else if (Node.isSpreadAssignment(p)) {
      cx.fail(p, 'spread `...` is not supported in the return statement', example);
    } else {
      cx.fail(p, 'functions cannot be defined inside a cell body', example);
    }
    const where = Node.isPropertyAssignment(p) ? p.getNameNode() : p;
    if (!cx.states.includes(name)) {
      cx.fail(
        where,
        `'${name}' is not a declared state`,
        `declared states: ${cx.states.join(', ')}; add it to cell({ state: [...] })`,
      );
    }
    if (ids.has(name)) cx.fail(where, `state '${name}' is returned twice`, example);
    const shape = cx.shapeOf(id);
    if (!sameShape(shape, vecH())) {
      const hint =
        shape.length === 1 && shape[0]!.sym === 'H'
          ? `split the stacked vector into its gates first: const [a, b] = split(v, ${shape[0]!.mult})`
          : shape.length === 1 && shape[0]!.sym === 'X'
            ? 'project it to the hidden size first: linear(name, v)'
            : 'a state is a vector of hidden size H';
      const at = Node.isPropertyAssignment(p) ? p.getInitializerOrThrow() : p;
      cx.fail(at, `new state '${name}' has shape ${showShape(shape)}, but states are ${showShape(vecH())}`, hint);
    }
    ids.set(name, id);
  }
  const missing = cx.states.filter((s) => !ids.has(s));
  if (missing.length > 0) cx.fail(obj, `state '${missing[0]}' is not returned`, `return every declared state: ${example}`);
  return cx.states.map((name) => ({ name, id: ids.get(name)! }));
}

/** The names a declaration binds: `a`, or the names of `[a, , c]`. */
function boundNames(name: Node): string[] {
  if (Node.isIdentifier(name)) return [name.getText()];
  if (Node.isArrayBindingPattern(name) || Node.isObjectBindingPattern(name)) {
    return name.getElements().flatMap((el) => (Node.isBindingElement(el) ? boundNames(el.getNameNode()) : []));
  }
  return [];
}

/** Lower a cell body (a block, or an expression body `=> ({ h: ... })`) to its outputs. */
export function lowerBody(body: Node, cx: Lowering): Output[] {
  if (!Node.isBlock(body)) return lowerReturn(unwrap(body), cx);
  const statements = body.getStatements();
  for (const s of statements) {
    if (Node.isVariableStatement(s)) for (const d of s.getDeclarations()) boundNames(d.getNameNode()).forEach((n) => cx.declaredLater.add(n));
  }
  for (const [i, s] of statements.entries()) {
    if (Node.isReturnStatement(s)) {
      const next = statements[i + 1];
      if (next) cx.fail(next, 'code after return is never reached', 'return the new states at the end of the cell body');
      const e = s.getExpression();
      if (!e) cx.fail(s, 'return needs the new states', returnExample(cx));
      return lowerReturn(unwrap(e), cx);
    }
    const rule = statementRules[s.getKind()] as Rule<SyntaxKind> | undefined;
    if (!rule) cx.fail(s, `this statement (${s.getKindName()}) is not supported in cell bodies`, 'a cell body is const declarations and one final return');
    rule(s, cx);
  }
  return cx.fail(body.getLastChildOrThrow(), 'the cell body does not return its new state', `end it with ${returnExample(cx)}`);
}
