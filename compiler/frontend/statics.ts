// Compile-time numbers: module constants, chunk counts and `init` values. Never evaluates anything but arithmetic.
import { Node, SyntaxKind } from 'ts-morph';

/** Wrappers that only carry types (`as`, `!`, `satisfies`, `<T>`) and parentheses: the frontend looks through them. */
export function unwrap(node: Node): Node {
  while (
    Node.isParenthesizedExpression(node) ||
    Node.isAsExpression(node) ||
    Node.isNonNullExpression(node) ||
    Node.isSatisfiesExpression(node) ||
    Node.isTypeAssertion(node)
  ) {
    node = node.getExpression();
  }
  return node;
}

const arithmetic: Partial<Record<SyntaxKind, (a: number, b: number) => number>> = {
  [SyntaxKind.PlusToken]: (a, b) => a + b,
  [SyntaxKind.MinusToken]: (a, b) => a - b,
  [SyntaxKind.AsteriskToken]: (a, b) => a * b,
  [SyntaxKind.SlashToken]: (a, b) => a / b,
};

/**
 * The value of a numeric literal expression (`3`, `-0.5`, `1e-5`, `1 / 3`, `GATES`), or undefined when the
 * expression is not made only of numeric literals, `+ - * /` and the module constants in `constants`.
 */
export function staticNumber(node: Node, constants: ReadonlyMap<string, number>): number | undefined {
  node = unwrap(node);
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  if (Node.isIdentifier(node)) return constants.get(node.getText());
  if (Node.isPrefixUnaryExpression(node)) {
    const v = staticNumber(node.getOperand(), constants);
    if (v === undefined) return undefined;
    if (node.getOperatorToken() === SyntaxKind.MinusToken) return -v;
    if (node.getOperatorToken() === SyntaxKind.PlusToken) return v;
    return undefined;
  }
  if (Node.isBinaryExpression(node)) {
    const f = arithmetic[node.getOperatorToken().getKind()];
    const a = staticNumber(node.getLeft(), constants);
    const b = staticNumber(node.getRight(), constants);
    return f && a !== undefined && b !== undefined ? f(a, b) : undefined;
  }
  return undefined;
}
