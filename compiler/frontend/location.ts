// Source locations for user errors: a ts-morph node (or a raw span) → file:line:col, the line text and the caret length.
import type { Node, SourceFile } from 'ts-morph';
import { CellforgeError, type SourceLocation } from '../../ir/errors.js';

/** The location of `length` characters starting at `pos`; the caret stops at the end of the first line. */
export function spanLocation(sf: SourceFile, file: string, pos: number, length: number): SourceLocation {
  const { line, column } = sf.getLineAndColumnAtPos(pos);
  const text = sf.getFullText();
  const lineStart = pos - (column - 1);
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = text.length;
  // Tabs become single spaces so that the caret, indented with spaces, lines up; columns count characters either way.
  const lineText = text.slice(lineStart, lineEnd).replace(/\r$/, '').replace(/\t/g, ' ');
  const caret = Math.max(1, Math.min(length, lineText.length - (column - 1)));
  return { file, line, column, lineText, length: caret };
}

/** The location of a node, from its first token (leading comments and whitespace excluded). */
export function nodeLocation(node: Node, file: string): SourceLocation {
  const start = node.getStart();
  return spanLocation(node.getSourceFile(), file, start, node.getEnd() - start);
}

/** A user error pointing at `node`: a one-line message and a one-line hint. */
export function userError(node: Node, file: string, message: string, hint?: string): CellforgeError {
  return new CellforgeError(message, nodeLocation(node, file), hint);
}
