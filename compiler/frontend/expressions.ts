// Expressions of a cell body → IR nodes. One rule per ts-morph SyntaxKind; any other kind is a user error.
import { Node, SyntaxKind, type BinaryExpression, type KindToNodeMappings, type PrefixUnaryExpression } from 'ts-morph';
import { builtin, lowerCall } from './builtins.js';
import type { Lowering, Val } from './context.js';

type Rule<K extends SyntaxKind> = (node: KindToNodeMappings[K], cx: Lowering) => Val;
type Rules = { readonly [K in SyntaxKind]?: Rule<K> };

const DSL_ONLY = 'cells support + - * /, numbers and the functions of cellforge/dsl';
const CONTROL_FLOW_HINT = 'a cell computes the same formula at every step; to choose between values, blend them with a gate: z * a + (1 - z) * b';
const IMMUTABLE_HINT = 'cell values never change: declare a new const instead, such as const h2 = ...';
const NO_FUNCTIONS_HINT = 'a cell body is one straight-line timestep: write the expression inline, or repeat it';

/** A rule for syntax that is not part of the cell language. */
const reject =
  (message: string, hint: string) =>
  (node: Node, cx: Lowering): never =>
    cx.fail(node, message, hint);

const elementwiseOps: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.PlusToken]: 'add',
  [SyntaxKind.MinusToken]: 'sub',
  [SyntaxKind.AsteriskToken]: 'mul',
  [SyntaxKind.SlashToken]: 'div',
};

const comparisons = new Set([
  SyntaxKind.LessThanToken,
  SyntaxKind.GreaterThanToken,
  SyntaxKind.LessThanEqualsToken,
  SyntaxKind.GreaterThanEqualsToken,
  SyntaxKind.EqualsEqualsToken,
  SyntaxKind.EqualsEqualsEqualsToken,
  SyntaxKind.ExclamationEqualsToken,
  SyntaxKind.ExclamationEqualsEqualsToken,
]);

const logical = new Set([SyntaxKind.AmpersandAmpersandToken, SyntaxKind.BarBarToken, SyntaxKind.QuestionQuestionToken]);

function binary(node: BinaryExpression, cx: Lowering): Val {
  const token = node.getOperatorToken();
  const kind = token.getKind();
  const text = token.getText();
  const op = elementwiseOps[kind];
  if (op) return { id: cx.op(op, [cx.expr(node.getLeft()).id, cx.expr(node.getRight()).id], {}, node) };
  if (kind === SyntaxKind.AsteriskAsteriskToken) {
    cx.fail(
      token,
      '`**` is not supported in cell bodies',
      'write x * x for a square, or exp(y * log(x)) for a general power',
    );
  }
  if (kind === SyntaxKind.PercentToken) cx.fail(token, '`%` is not supported in cell bodies', DSL_ONLY);
  if (logical.has(kind)) cx.fail(token, `\`${text}\` is not supported in cell bodies (no data-dependent control flow)`, CONTROL_FLOW_HINT);
  if (comparisons.has(kind)) cx.fail(token, `comparison \`${text}\` is not supported in cell bodies`, 'use min, max, relu or a sigmoid gate instead');
  if (kind >= SyntaxKind.FirstAssignment && kind <= SyntaxKind.LastAssignment) cx.fail(node, 'assignment is not supported in cell bodies', IMMUTABLE_HINT);
  cx.fail(token, `\`${text}\` is not supported in cell bodies`, DSL_ONLY);
}

function prefix(node: PrefixUnaryExpression, cx: Lowering): Val {
  const operand = node.getOperand();
  switch (node.getOperatorToken()) {
    case SyntaxKind.MinusToken:
      // `-1` is one constant, not neg(const 1).
      if (Node.isNumericLiteral(operand)) return { id: cx.builder.constant(-operand.getLiteralValue()) };
      return { id: cx.op('neg', [cx.expr(operand).id], {}, node) };
    case SyntaxKind.PlusToken:
      return cx.expr(operand);
    case SyntaxKind.PlusPlusToken:
    case SyntaxKind.MinusMinusToken:
      return cx.fail(node, 'assignment is not supported in cell bodies', IMMUTABLE_HINT);
    default:
      return cx.fail(node, `\`${node.getText().slice(0, 1)}\` is not supported in cell bodies`, DSL_ONLY);
  }
}

const rules: Rules = {
  [SyntaxKind.NumericLiteral]: (n, cx) => ({ id: cx.builder.constant(n.getLiteralValue()) }),
  [SyntaxKind.Identifier]: (n, cx) => cx.resolve(n),
  [SyntaxKind.BinaryExpression]: binary,
  [SyntaxKind.PrefixUnaryExpression]: prefix,
  [SyntaxKind.CallExpression]: lowerCall,
  // Type-only wrappers and parentheses change nothing.
  [SyntaxKind.ParenthesizedExpression]: (n, cx) => cx.expr(n.getExpression()),
  [SyntaxKind.AsExpression]: (n, cx) => cx.expr(n.getExpression()),
  [SyntaxKind.SatisfiesExpression]: (n, cx) => cx.expr(n.getExpression()),
  [SyntaxKind.NonNullExpression]: (n, cx) => cx.expr(n.getExpression()),
  [SyntaxKind.TypeAssertionExpression]: (n, cx) => cx.expr(n.getExpression()),
  [SyntaxKind.PropertyAccessExpression]: (n, cx) => {
    const object = n.getExpression();
    const name = n.getName();
    if (Node.isIdentifier(object) && cx.names.get(object.getText())?.kind === 'states') return cx.readState(n.getNameNode(), name);
    if (object.getText() === 'Math') {
      const hint = builtin(name) ? `use ${name} from cellforge/dsl` : 'write the number itself, or a module constant such as const PI = 3.141592653589793';
      cx.fail(n, `Math.${name} is not supported in cell bodies`, hint);
    }
    cx.expr(object); // reports `this.h`, undefined names, ... first
    return cx.fail(n, 'property access is not supported in cell bodies', 'the only property access in a cell reads a state, such as s.h');
  },
  [SyntaxKind.PostfixUnaryExpression]: reject('assignment is not supported in cell bodies', IMMUTABLE_HINT),
  [SyntaxKind.ElementAccessExpression]: reject('indexing is not supported in cell bodies', 'split a stacked vector into chunks: const [a, b] = split(v, 2)'),
  [SyntaxKind.ConditionalExpression]: reject('`?:` is not supported in cell bodies (no data-dependent control flow)', CONTROL_FLOW_HINT),
  [SyntaxKind.StringLiteral]: reject('strings are not values in cell bodies', 'strings only name parameters, as in linear(\'ih\', x)'),
  [SyntaxKind.NoSubstitutionTemplateLiteral]: reject('strings are not values in cell bodies', 'strings only name parameters, as in linear(\'ih\', x)'),
  [SyntaxKind.TemplateExpression]: reject('template strings are not supported in cell bodies', 'parameter names are string literals, as in linear(\'ih\', x)'),
  [SyntaxKind.TrueKeyword]: reject('booleans are not values in cell bodies', DSL_ONLY),
  [SyntaxKind.FalseKeyword]: reject('booleans are not values in cell bodies', DSL_ONLY),
  [SyntaxKind.NullKeyword]: reject('`null` is not a value in cell bodies', DSL_ONLY),
  [SyntaxKind.BigIntLiteral]: reject('bigint literals are not supported in cell bodies', 'write an ordinary number, such as 1 or 0.5'),
  [SyntaxKind.RegularExpressionLiteral]: reject('regular expressions are not supported in cell bodies', DSL_ONLY),
  [SyntaxKind.ObjectLiteralExpression]: reject(
    'object literals are only allowed in the return statement and as options',
    'return { h: ... } returns the new state; linear(name, v, n, { bias: false }) and param(name, { init: 0 }) take options',
  ),
  [SyntaxKind.ArrayLiteralExpression]: reject('array literals are not supported in cell bodies', 'values are vectors already; linear(name, v, n) stacks gates'),
  [SyntaxKind.NewExpression]: reject('`new` is not supported in cell bodies', DSL_ONLY),
  [SyntaxKind.ThisKeyword]: reject('`this` is not supported in cell bodies', 'a cell reads only its input, its states and its parameters'),
  [SyntaxKind.SuperKeyword]: reject('`super` is not supported in cell bodies', 'a cell reads only its input, its states and its parameters'),
  [SyntaxKind.AwaitExpression]: reject('`await` is not supported in cell bodies', 'a cell is compiled, never run: there is nothing to wait for'),
  [SyntaxKind.YieldExpression]: reject('`yield` is not supported in cell bodies', 'a cell describes one timestep; the runtime loops over time'),
  [SyntaxKind.ArrowFunction]: reject('functions cannot be defined inside a cell body', NO_FUNCTIONS_HINT),
  [SyntaxKind.FunctionExpression]: reject('functions cannot be defined inside a cell body', NO_FUNCTIONS_HINT),
  [SyntaxKind.ClassExpression]: reject('classes cannot be defined inside a cell body', NO_FUNCTIONS_HINT),
  [SyntaxKind.TypeOfExpression]: reject('`typeof` is not supported in cell bodies', DSL_ONLY),
  [SyntaxKind.VoidExpression]: reject('`void` is not supported in cell bodies', DSL_ONLY),
  [SyntaxKind.DeleteExpression]: reject('`delete` is not supported in cell bodies', IMMUTABLE_HINT),
  [SyntaxKind.TaggedTemplateExpression]: reject('tagged templates are not supported in cell bodies', DSL_ONLY),
  [SyntaxKind.SpreadElement]: reject('spread `...` is not supported in cell bodies', 'pass each argument explicitly'),
};

/** Lower one expression of a cell body to an IR node. */
export function lowerExpression(cx: Lowering, node: Node): Val {
  const rule = rules[node.getKind()] as Rule<SyntaxKind> | undefined;
  if (!rule) cx.fail(node, `this kind of expression (${node.getKindName()}) is not supported in cell bodies`, DSL_ONLY);
  return rule(node, cx);
}
